#include "commands/workflow/deploy_request.hpp"

#include <stdexcept>

// Names of states, items and events: what the store, the audit log and the
// messages call them.
namespace deploybot {

// ---- names ----

// Stored names are the enumerators' own, except outcome_unknown, stored as
// "unknown" since it was added (existing databases hold that word).
std::string_view to_string(request_state s) {
    return s == request_state::outcome_unknown ? "unknown" : enum_name(s, "collecting");
}

std::optional<request_state> parse_request_state(std::string_view s) {
    if (s == "unknown") return request_state::outcome_unknown;
    if (s == "outcome_unknown") return std::nullopt;   // never stored under this name
    return enum_from_name<request_state>(s);
}

bool is_terminal(request_state s) {
    switch (s) {
        case request_state::collecting:
        case request_state::scheduled:
        case request_state::promoting: return false;
        case request_state::live:
        case request_state::failed:
        case request_state::cancelled:
        case request_state::outcome_unknown:
        case request_state::rolled_back: return true;
    }
    return true;
}

std::string_view to_string(record_kind k) { return enum_name(k, "production"); }

record_kind parse_record_kind(std::string_view s) {
    return enum_from_name<record_kind>(s).value_or(record_kind::production);
}

std::string record_name(const deploy_request& req) {
    switch (req.kind) {
        case record_kind::production: return "production deploy #" + std::to_string(req.id);
        case record_kind::rollback: return "rollback #" + std::to_string(req.id);
        case record_kind::hotfix: return "hotfix #" + std::to_string(req.id);
    }
    return "#" + std::to_string(req.id);
}

std::string_view to_string(staging_model m) {
    switch (m) {
        case staging_model::staged_production: return "A";
        case staging_model::custom_environment: return "B";
        case staging_model::preview_branch: return "C";
        case staging_model::unknown: break;
    }
    return "unknown";
}

staging_model parse_staging_model(std::string_view s) {
    if (s == "A") return staging_model::staged_production;
    if (s == "B") return staging_model::custom_environment;
    if (s == "C") return staging_model::preview_branch;
    return staging_model::unknown;
}

std::string_view to_string(item_key k) { return enum_name(k, "tests"); }

std::optional<item_key> parse_item_key(std::string_view s) { return enum_from_name<item_key>(s); }

std::string_view item_title(item_key k) {
    switch (k) {
        case item_key::tests: return "All tests pass";
        case item_key::staging: return "Staging tested and approved";
        case item_key::migrations: return "Database migrations tested";
        case item_key::flags: return "Feature flags configured";
        case item_key::notified: return "Team notified";
        case item_key::rollback: return "Rollback plan ready";
    }
    return "";
}

std::string_view to_string(item_state s) { return enum_name(s, "pending"); }

std::optional<item_state> parse_item_state(std::string_view s) { return enum_from_name<item_state>(s); }

std::string_view to_string(flags_choice c) { return enum_name(c, "none"); }

std::string describe_candidate(const candidate_info& c) {
    return c.deployment_id + " (" + c.commit_sha.substr(0, 7) + ")";
}

bool is_settled(item_state s) { return s == item_state::done || s == item_state::not_applicable; }

namespace {
template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;
}  // namespace

std::string_view event_name(const deploy_event& e) {
    return std::visit(overloaded{
                          [](const checklist_evaluated&) { return "checklist_evaluated"; },
                          [](const message_posted&) { return "message_posted"; },
                          [](const qa_sign_off_clicked&) { return "qa_sign_off"; },
                          [](const prior_sign_off&) { return "prior_sign_off"; },
                          [](const confirm_migrations&) { return "confirm_migrations"; },
                          [](const flags_chosen&) { return "flags"; },
                          [](const confirm_rollback_plan&) { return "confirm_rollback_plan"; },
                          [](const override_schedule&) { return "override_schedule"; },
                          [](const window_opened&) { return "window_opened"; },
                          [](const window_closed&) { return "window_closed"; },
                          [](const deploy_clicked&) { return "deploy_clicked"; },
                          [](const promote_started&) { return "promote_started"; },
                          [](const promote_sending&) { return "promote_sending"; },
                          [](const promote_finished&) { return "promote_finished"; },
                          [](const cancel_request&) { return "cancel"; },
                          [](const announcement_posted&) { return "announcement_posted"; },
                          [](const watch_baseline&) { return "watch_baseline"; },
                          [](const watch_marker_recorded&) { return "watch_marker_recorded"; },
                          [](const watch_checked&) { return "watch_checked"; },
                          [](const watch_acknowledged&) { return "watch_acknowledged"; },
                          [](const watch_alert_posted&) { return "watch_alert_posted"; },
                          [](const watch_progress_posted&) { return "watch_progress_posted"; },
                          [](const watch_summary_posted&) { return "watch_summary_posted"; },
                          [](const replaced_by&) { return "replaced_by"; },
                          [](const postmortem_opened&) { return "postmortem_opened"; },
                          [](const postmortem_failed&) { return "postmortem_failed"; },
                          [](const backport_merged&) { return "backport_merged"; },
                          [](const backport_reminded&) { return "backport_reminded"; },
                          [](const changes_read&) { return "changes_read"; },
                          [](const item_undone&) { return "item_undone"; },
                      },
                      e);
}

std::string_view effect_name(const effect& e) {
    return std::visit(overloaded{
                          [](const post_refusal&) { return "post_refusal"; },
                          [](const update_message&) { return "update_message"; },
                          [](const start_promote&) { return "start_promote"; },
                          [](const verify_promote&) { return "verify_promote"; },
                          [](const announce_live&) { return "announce_live"; },
                          [](const announce_failed&) { return "announce_failed"; },
                          [](const announce_unknown&) { return "announce_unknown"; },
                          [](const mention_requester_window_open&) { return "mention_requester_window_open"; },
                          [](const announce_override&) { return "announce_override"; },
                          [](const announce_cancelled&) { return "announce_cancelled"; },
                          [](const announce_sign_off_void&) { return "announce_sign_off_void"; },
                          [](const candidate_changed&) { return "candidate_changed"; },
                          [](const start_watch&) { return "start_watch"; },
                          [](const watch_progress&) { return "watch_progress"; },
                          [](const watch_alert&) { return "watch_alert"; },
                          [](const watch_summary&) { return "watch_summary"; },
                          [](const open_postmortem&) { return "open_postmortem"; },
                          [](const verify_rollback&) { return "verify_rollback"; },
                          [](const run_hotfix&) { return "run_hotfix"; },
                          [](const track_backport&) { return "track_backport"; },
                      },
                      e);
}

}  // namespace deploybot
