#pragma once
#include "bot/core/enum_names.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// One CI verdict from commit statuses + check runs (reference/github.md §2.4). Pure.
namespace deploybot {

// One entry of GET …/commits/{ref}/status "statuses" (newest first, as GitHub sends them).
struct commit_status {
    std::string context;
    std::string state;        // error | failure | pending | success
    std::string target_url;
};

// One entry of GET …/commits/{ref}/check-runs (filter=latest).
struct check_run {
    std::string name;
    std::string status;                      // queued | in_progress | completed | waiting | requested | pending
    std::optional<std::string> conclusion;   // null until completed
    std::string html_url;
};

struct ci_inputs {
    std::vector<commit_status> statuses;
    int status_total_count = 0;              // statuses are ignored when 0 (Actions-only repos)
    std::vector<check_run> check_runs;
    std::vector<std::string> required_checks;   // empty = every signal counts
};

BOOST_DEFINE_ENUM_CLASS(ci_state, green, pending, red, unknown)
std::string_view to_string(ci_state s);

struct ci_offender {
    std::string name;
    std::string url;          // "" for a required check that never reported
};

struct ci_verdict {
    ci_state verdict = ci_state::unknown;
    // "12 checks passed" / "2 pending: e2e, lint" / "failed: e2e" / "no CI checks reported"
    std::string summary;
    std::vector<ci_offender> offending;   // red: failed ones; pending: pending ones; sorted by name
    int signal_count = 0;
};

ci_verdict evaluate_ci(const ci_inputs& in);

}  // namespace deploybot
