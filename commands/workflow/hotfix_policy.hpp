#pragma once
// The hotfix lane's rule (pure): one APPROVED review from someone other than
// the PR's author (the latest review per reviewer counts, so a later "changes
// requested" cancels an approval) and green CI on the PR's head commit.
// Window and QA sign-off do not apply; the lock is checked by the caller.
#include "commands/workflow/ci_verdict.hpp"
#include "commands/workflow/review_state.hpp"

#include <string>
#include <vector>

namespace deploybot {

// What the person typed: "/deploy hotfix <branch|PR number> <reason>".
struct hotfix_args {
    int pr_number = 0;          // > 0 when the first word is a number (or #number)
    std::string branch;         // otherwise the branch
    std::string reason;
    std::string problem;        // non-empty: what to type instead
};
hotfix_args parse_hotfix_args(std::string_view args);

// One sentence per thing that is missing; empty = the hotfix may be offered.
std::vector<std::string> hotfix_missing(std::string_view author, const review_summary& reviews, const ci_verdict& ci);

}  // namespace deploybot
