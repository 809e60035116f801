#pragma once
// Messages of the post-live phase (pure): the watch line on a deploy message,
// its thread updates, the regression alert with Roll back / Looks fine, the
// final summary, the rollback offer and the rollback record's message and
// announcement, and the post-mortem issue.
#include "bot/core/blocks.hpp"
#include "bot/store/store.hpp"
#include "commands/render/deploy_message.hpp"
#include "commands/workflow/deploy_request.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot {

inline constexpr std::string_view rollback_action_id = "rollback.go";
inline constexpr std::string_view watch_ack_action_id = "watch.ack";

// "watching (3 of 12 checks)", "stable after 1h", "regressed", "partly observed
// (observed 35 of 60 min)", "not observed (Sentry gave no data)", "ended: …".
std::string render_watch_phase(const watch_info& w);

// The watch section of a record's channel message ("" when there is no watch).
std::string render_watch_section(const deploy_request& req, const message_context& ctx);

// One thread line per check: "Check 3/12 (10:10–10:15 WIB): 4 errors (baseline 1.3 per 5 min) — fine".
std::string render_watch_progress(const deploy_request& req, int index, const message_context& ctx);

struct alert_context {
    std::string mention;              // monitoring.mention ("" none, "here", "channel", U…, S…)
    std::string sentry_url;           // the project's issues since the deploy
    std::string rollback_target;      // what Roll back would go back to ("" = the previous production deployment)
};
// The channel alert of check `index`: figures, new issues, links, and the two buttons.
blocks::message render_watch_alert(const deploy_request& req, int index, const alert_context& a,
                                   const message_context& ctx);

// The final summary (or the early end), for the thread and the channel.
blocks::message render_watch_summary(const deploy_request& req, const message_context& ctx);

// What /deploy rollback offers before anything moves.
struct rollback_offer {
    candidate_info target;            // deployment, commit, message, created
    std::string target_creator;       // who deployed it (Vercel creator)
    production_info from;
    std::string from_message;
    bool crosses_migrations = false;
    bool migrations_unknown = false;  // the compare could not be read
    std::vector<std::string> migration_files;
    std::string reason;
};
blocks::message render_rollback_offer(const rollback_offer& o, const message_context& ctx);

// rollback.go values: from an offer ("o|<target>|<from>|<reason>") or from an
// alert ("a|<record id>"). Pure; nullopt for anything else.
struct rollback_click {
    bool from_alert = false;
    std::int64_t record = 0;          // alert: the watched record
    std::string target, from, reason; // offer
};
std::string rollback_offer_value(const rollback_offer& o);
std::string rollback_alert_value(std::int64_t record);
std::optional<rollback_click> parse_rollback_value(std::string_view v);

// The channel message and the outcome announcement of a record that is not a
// production deploy checklist (a rollback, a hotfix), by its kind.
blocks::message render_record_message(const deploy_request& req, const message_context& ctx);
blocks::message render_record_outcome(const deploy_request& req, const message_context& ctx);

// A hotfix record's channel message (PR, approval, CI, what ships, the Deploy
// hotfix button while it waits) and its outcome announcement.
inline constexpr std::string_view hotfix_go_action_id = "hotfix.go";
inline constexpr std::string_view hotfix_cancel_action_id = "hotfix.cancel";
blocks::message render_hotfix_message(const deploy_request& req, const message_context& ctx);
blocks::message render_hotfix_outcome(const deploy_request& req, const message_context& ctx);
// "Hotfix #3 (PR #418, `5e6f7a8`) is not on main yet — merge it back" (mrkdwn, one line).
std::string render_backport_pending(const deploy_request& req);

// A rollback record's channel message, and its outcome announcement.
blocks::message render_rollback_message(const deploy_request& req, const message_context& ctx);
blocks::message render_rollback_outcome(const deploy_request& req, const message_context& ctx);

// The post-mortem issue of a rollback or a hotfix, drafted from the records
// and the audit log (`rolled_back`: the deploy a rollback replaced, if ours).
struct postmortem_draft {
    std::string title;
    std::string body;   // GitHub Markdown
};
struct postmortem_links {
    std::string slack_message;        // permalink-ish link to the deploy message ("" = none)
    std::string compare_url;          // GitHub compare target...bad
    std::string sentry_url;
};
// Pure: the audit rows about these records ("#12" as a whole number), in
// order, without the bookkeeping (a message or thread line delivered).
std::vector<audit_entry> select_postmortem_timeline(std::vector<audit_entry> audit, const std::vector<std::int64_t>& ids);
postmortem_draft render_postmortem(const deploy_request& rollback, const std::optional<deploy_request>& rolled_back,
                                   const std::vector<audit_entry>& audit, const postmortem_links& links,
                                   const message_context& ctx);

}  // namespace deploybot
