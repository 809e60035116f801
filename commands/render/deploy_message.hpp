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
// The undo_* buttons take back a person's item while the request is collecting.
enum class deploy_action {
    signoff, migrations, flags_configured, flags_not_needed, rollback_plan, refresh, cancel, go,
    undo_signoff, undo_migrations, undo_flags, undo_rollback_plan
};
std::string_view action_id(deploy_action a);   // "deploy.signoff", …, "deploy.go", "deploy.undo.flags"
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
    bool loaded = false;     // false: GitHub has not answered yet (never render "nothing new" then)
};

struct message_context {
    time_point now{};
    config::schedule_t schedule;     // times are shown in its zone
    window_status window;            // evaluate_schedule(schedule, now)
    std::string production_domain;   // e.g. "app.clario.id"
    std::string staging_domain;      // e.g. "staging.clario.id" (what QA tests)
    std::vector<std::string> qa_leads;   // Slack user ids: who can sign off (mentioned while waiting)
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

// "Production gets the identical build QA tested" etc. (no internal model letters).
std::string render_staging_model_line(const candidate_info& c);

// "2h 5m", "12m", "3d 4h"
std::string render_age(std::chrono::system_clock::duration d);

// How long something took: "2 s", "1 min 5 s", "12 min", "2h 5m".
std::string render_duration(std::chrono::system_clock::duration d);

// A Slack date token: each reader sees their own time zone; `fallback`
// (e.g. "Tue 1 Dec 10:24 WIB") where tokens are not rendered.
// "<!date^1764559440^{date_short_pretty} {time}|Tue 1 Dec 10:24 WIB>"
std::string slack_date(time_point t, std::string_view fallback);

// The outcome of a production deploy, posted in the checklist's thread
// (and broadcast to the channel): live, failed, outcome unknown.
blocks::message render_live_announcement(const deploy_request& req, const message_context& ctx);
blocks::message render_failed_announcement(const deploy_request& req, const message_context& ctx);
blocks::message render_unknown_announcement(const deploy_request& req, const message_context& ctx);

}  // namespace deploybot
