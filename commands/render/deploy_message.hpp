#pragma once
#include "bot/core/blocks.hpp"
#include "bot/config.hpp"
#include "commands/workflow/deploy_request.hpp"
#include "commands/workflow/review_state.hpp"
#include "commands/workflow/schedule.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The #deployments checklist message of a production deploy request (pure).
namespace deploybot {

// Buttons of the message. Each action_id appears at most once per message;
// the button value is the request id (decimal).
enum class deploy_action { signoff, migrations, flags_configured, flags_not_needed, rollback_plan, refresh, cancel, go };
std::string_view action_id(deploy_action a);   // "deploy.signoff", …, "deploy.go"
std::optional<deploy_action> parse_deploy_action(std::string_view action_id);

enum class pr_review_status { approved, changes_requested, unreviewed };
pr_review_status review_status_of(const review_summary& s);

// One PR in "what ships" (from reference/github.md §2.5–2.7).
struct shipped_pr {
    int number = 0;
    std::string title;
    std::string author;      // GitHub login
    std::string url;
    pr_review_status review = pr_review_status::unreviewed;
    std::vector<std::string> approvers;
    std::vector<std::string> changes_requested_by;
};

// A commit between production and the candidate that maps to no PR.
struct direct_commit {
    std::string sha;
    std::string message;
    std::string author;
};

struct release_notes {
    std::vector<shipped_pr> prs;
    std::vector<direct_commit> direct_commits;
    std::string compare_url;
    int total_commits = 0;
    int behind_by = 0;       // > 0: the candidate lacks something production has
};

struct message_context {
    time_point now{};
    config::schedule_t schedule;     // times are shown in its zone
    window_status window;            // evaluate_schedule(schedule, now)
    std::string production_domain;   // e.g. "app.clario.id"
    int big_batch_warning = 15;      // config.github.big_batch_warning
    std::size_t max_listed_prs = 15; // longer lists are summarised with a compare link
    std::vector<std::string> pending_backports;   // hotfixes not on the main branch yet (mrkdwn lines)
};

// Checklist rendering while collecting/scheduled/promoting; terminal rendering
// (no buttons) when live, failed or cancelled. Always passes blocks::validate.
blocks::message render_deploy_message(const deploy_request& req, const release_notes& notes,
                                      const message_context& ctx);

// "Production deploy #12: 4/6 checks done", "Production deploy #12 is live: 9b0d5e1 …".
std::string render_fallback_text(const deploy_request& req);

// "Staging model A: production gets the identical build QA tested" etc.
std::string render_staging_model_line(const candidate_info& c);

// "2h 5m", "12m", "3d 4h"
std::string render_age(std::chrono::system_clock::duration d);

}  // namespace deploybot
