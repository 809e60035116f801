#include "commands/workflow/hotfix_policy.hpp"

#include "bot/core/command.hpp"

#include <charconv>

namespace deploybot {

namespace {
bool valid_branch(std::string_view b) {
    if (b.empty() || b.size() > 200 || b.front() == '-' || b.front() == '/' || b.back() == '/') return false;
    for (char c : b)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '-' || c == '_' || c == '.')) return false;
    return b.find("..") == std::string_view::npos;
}
}  // namespace

hotfix_args parse_hotfix_args(std::string_view args) {
    hotfix_args out;
    args = trim(args);
    const auto space = args.find_first_of(" \t\n");
    std::string_view first = args.substr(0, space);
    const std::string_view rest = space == std::string_view::npos ? std::string_view{} : trim(args.substr(space));
    static constexpr std::string_view usage =
        "Usage: `/deploy hotfix <branch or PR number> <reason>`, e.g. `/deploy hotfix 418 checkout crashes on iOS "
        "Safari`.";
    if (first.empty()) {
        out.problem = "Say which PR or branch to ship and why. " + std::string(usage);
        return out;
    }
    std::string_view num = first;
    if (num.front() == '#') num.remove_prefix(1);
    int n = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
    if (ec == std::errc{} && p == num.data() + num.size() && !num.empty()) {
        if (n <= 0) {
            out.problem = "A PR number is positive. " + std::string(usage);
            return out;
        }
        out.pr_number = n;
    } else if (valid_branch(first)) {
        out.branch = std::string(first);
    } else {
        out.problem = "`" + std::string(first.substr(0, 100)) + "` is neither a PR number nor a branch name. " +
                      std::string(usage);
        return out;
    }
    if (rest.empty()) {
        out.problem = "A hotfix needs a reason (it goes into the announcement and the post-mortem). " + std::string(usage);
        return out;
    }
    out.reason = std::string(rest);
    return out;
}

std::vector<std::string> hotfix_missing(std::string_view author, const review_summary& reviews, const ci_verdict& ci) {
    std::vector<std::string> out;
    if (reviews.approvers.empty())
        out.push_back("an APPROVED review from someone other than the author (" + std::string(author) +
                      "); the author's own approval does not count");
    if (!reviews.changes_requested_by.empty()) {
        std::string who;
        for (std::size_t i = 0; i < reviews.changes_requested_by.size(); ++i)
            who += (i ? ", " : "") + reviews.changes_requested_by[i];
        out.push_back("changes were requested by " + who + " (their latest review), which cancels the approval");
    }
    switch (ci.verdict) {
        case ci_state::green: break;
        case ci_state::red: out.push_back("green CI on the head commit: " + ci.summary); break;
        case ci_state::pending: out.push_back("green CI on the head commit: still running (" + ci.summary + ")"); break;
        case ci_state::unknown: out.push_back("green CI on the head commit: " + ci.summary); break;
    }
    return out;
}

}  // namespace deploybot
