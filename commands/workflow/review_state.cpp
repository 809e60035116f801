#include "commands/workflow/review_state.hpp"

#include <utility>

namespace deploybot {

review_summary evaluate_reviews(std::string_view author_login, const std::vector<pr_review>& reviews,
                                std::optional<std::string_view> require_fresh_head_sha) {
    // Insertion-ordered "latest decision per reviewer"; PR review lists are short.
    std::vector<std::pair<std::string, const pr_review*>> latest;
    for (const auto& r : reviews) {
        if (r.user_login.empty() || r.user_login == author_login) continue;
        if (r.state != "APPROVED" && r.state != "CHANGES_REQUESTED" && r.state != "DISMISSED") continue;
        bool found = false;
        for (auto& [login, rev] : latest)
            if (login == r.user_login) {
                rev = &r;
                found = true;
            }
        if (!found) latest.emplace_back(r.user_login, &r);
    }
    review_summary out;
    for (const auto& [login, rev] : latest) {
        if (rev->state == "APPROVED" && (!require_fresh_head_sha || rev->commit_id == *require_fresh_head_sha))
            out.approvers.push_back(login);
        if (rev->state == "CHANGES_REQUESTED") out.changes_requested_by.push_back(login);
    }
    out.approved = !out.approvers.empty() && out.changes_requested_by.empty();
    return out;
}

}  // namespace deploybot
