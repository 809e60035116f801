#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// PR approval decision (reference/github.md §2.7). Pure.
namespace deploybot {

// One entry of GET …/pulls/{n}/reviews, chronological as GitHub returns them.
struct pr_review {
    std::string user_login;   // "" when GitHub sent "user": null (deleted account)
    std::string state;        // APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    std::string commit_id;
};

struct review_summary {
    std::vector<std::string> approvers;              // in order of each reviewer's first review
    std::vector<std::string> changes_requested_by;
    bool approved = false;                           // ≥1 approver and nobody's latest is CHANGES_REQUESTED
};

// require_fresh_head_sha: when set, only approvals of that commit count.
review_summary evaluate_reviews(std::string_view author_login, const std::vector<pr_review>& reviews,
                                std::optional<std::string_view> require_fresh_head_sha = std::nullopt);

}  // namespace deploybot
