#include "commands/render/release_notes_text.hpp"
#include "commands/render/text.hpp"

namespace deploybot::render_text {

using blocks::escape;
using blocks::truncate;

std::string review_text(const shipped_pr& pr) {
    auto join = [](const std::vector<std::string>& v) {
        std::string out;
        for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + escape(v[i]);
        return out;
    };
    switch (pr.review) {
        case pr_review_status::approved:
            return ":white_check_mark: approved" + (pr.approvers.empty() ? std::string() : " by " + join(pr.approvers));
        case pr_review_status::changes_requested:
            return ":warning: changes requested" +
                   (pr.changes_requested_by.empty() ? std::string() : " by " + join(pr.changes_requested_by));
        case pr_review_status::unreviewed: break;
    }
    return ":warning: *unreviewed*";
}

// "1 PR · 3 commits (compare)", or what is not known yet.
std::string ships_summary(const release_notes& notes) {
    if (!notes.loaded) return std::string(mark_checking) + " reading GitHub…";
    if (notes.prs.empty() && notes.direct_commits.empty()) return "Nothing new since production";
    std::string text = std::to_string(notes.prs.size()) + " PR" + (notes.prs.size() == 1 ? "" : "s") + " · " +
                       std::to_string(notes.total_commits) + " commit" + (notes.total_commits == 1 ? "" : "s");
    if (!notes.compare_url.empty()) text += " (" + link(notes.compare_url, "compare") + ")";
    return text;
}

// The PRs and direct commits, one line each ("" when there is nothing to list).
std::string ships_list(const release_notes& notes, const message_context& ctx) {
    constexpr std::size_t budget = 2700;   // stays well under section.text's 3000
    auto pr_line = [](const shipped_pr& pr) {
        return "• " + link(pr.url, "#" + std::to_string(pr.number)) + " " + escape(truncate(first_line(pr.title), 80)) +
               " — " + escape(truncate(pr.author, 39)) + " — " + review_text(pr);
    };
    auto commit_line = [](const direct_commit& c) {
        return "• :warning: `" + short_sha(c.sha) + "` " + escape(truncate(first_line(c.message), 80)) + " — " +
               escape(truncate(c.author, 39)) + " — pushed without a PR";
    };
    // When the list must be cut, what needs attention (PRs not approved,
    // commits without a PR) is listed first so the cut never hides it.
    std::vector<std::string> lines;
    const bool cut = notes.prs.size() + notes.direct_commits.size() > ctx.max_listed_prs;
    for (const auto& pr : notes.prs)
        if (!cut || pr.review != pr_review_status::approved) lines.push_back(pr_line(pr));
    for (const auto& c : notes.direct_commits) lines.push_back(commit_line(c));
    if (cut)
        for (const auto& pr : notes.prs)
            if (pr.review == pr_review_status::approved) lines.push_back(pr_line(pr));
    std::string text;
    std::size_t listed = 0;
    for (const auto& line : lines) {
        if (listed >= ctx.max_listed_prs || text.size() + line.size() + 1 > budget) break;
        text += (text.empty() ? "" : "\n") + line;
        ++listed;
    }
    const std::size_t rest = lines.size() - listed;
    if (rest > 0)
        text += "\n…and " + std::to_string(rest) + " more — " +
                (notes.compare_url.empty() ? std::string("see GitHub") : link(notes.compare_url, "full comparison"));
    return text;
}

std::vector<std::string> warnings(const release_notes& notes, const message_context& ctx) {
    std::vector<std::string> out;
    if (ctx.big_batch_warning > 0 && notes.prs.size() > static_cast<std::size_t>(ctx.big_batch_warning))
        out.push_back(":warning: Big batch: " + std::to_string(notes.prs.size()) +
                      " PRs in one release (more than " + std::to_string(ctx.big_batch_warning) +
                      ") — consider shipping smaller batches");
    std::size_t unreviewed = 0;
    for (const auto& pr : notes.prs) unreviewed += pr.review != pr_review_status::approved;
    if (unreviewed > 0)
        out.push_back(":warning: " + std::to_string(unreviewed) + " PR" + (unreviewed == 1 ? " is" : "s are") +
                      " not approved");
    if (!notes.direct_commits.empty())
        out.push_back(":warning: " + std::to_string(notes.direct_commits.size()) + " commit" +
                      (notes.direct_commits.size() == 1 ? "" : "s") + " without a PR");
    if (notes.behind_by > 0)
        out.push_back(":rotating_light: The candidate is " + std::to_string(notes.behind_by) +
                      " commit(s) behind production — something in production (a hotfix?) is missing from it");
    return out;
}

}  // namespace deploybot::render_text
