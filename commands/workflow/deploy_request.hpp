#pragma once
#include "bot/core/error.hpp"
#include "bot/core/enum_names.hpp"
#include "commands/workflow/ci_verdict.hpp"
#include "commands/workflow/watch.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// The persisted state machine of one production deploy request (DESIGN.md §2
// principle 4). Pure: `apply` takes a request, an event and the time and
// returns the next request plus the effects the I/O layer must perform.
//
// Contract with the I/O layer: persist the returned request (deploy_store::
// save, which also appends the audit row) BEFORE performing any effect. A crash
// after the save re-derives what is still to do from the persisted state
// (`resume_effects`), so nothing is done twice: a second deploy_clicked while
// promoting is refused, promote results for another attempt are ignored, and
// announcements are tied to state changes that happen once.
//
// Role checks (deployer / QA lead / admin, config.people) are the caller's job
// via permissions.hpp; this machine enforces the rules that need the request's
// own data: the two-person rule, requester-or-admin cancel, states.
namespace deploybot {

using time_point = std::chrono::system_clock::time_point;

// "ready" is derived, not stored: it depends on the clock (window) and on the
// checklist, and a persisted "ready" would go stale the moment staging moved or
// the window closed. See missing_for_deploy / is_deployable.
// outcome_unknown: the promote was sent, and neither its answer nor Vercel's
// state said what became of it within a bounded time (announced as such, with
// what to check). Terminal, like live/failed/cancelled.
// rolled_back: was live, and a rollback record replaced it in production.
BOOST_DEFINE_ENUM_CLASS(request_state, collecting, scheduled, promoting, live, failed, cancelled, outcome_unknown, rolled_back)
std::string_view to_string(request_state s);
std::optional<request_state> parse_request_state(std::string_view s);
bool is_terminal(request_state s);

// What a record is. A production deploy goes through the checklist; a
// rollback (Vercel instant rollback to an earlier production deployment) is
// created in `promoting` and shares the promote, outcome and watch phases.
BOOST_DEFINE_ENUM_CLASS(record_kind, production, rollback, hotfix)
std::string_view to_string(record_kind k);
record_kind parse_record_kind(std::string_view s);

// reference/vercel.md §2.
enum class staging_model {
    unknown,
    staged_production,    // A: promote re-points domains to the identical build
    custom_environment,   // B: production gets a rebuild of the same commit
    preview_branch,       // C: production gets a rebuild of the same commit
};
std::string_view to_string(staging_model m);
staging_model parse_staging_model(std::string_view s);

BOOST_DEFINE_ENUM_CLASS(item_key, tests, staging, migrations, flags, notified, rollback)
inline constexpr std::array<item_key, 6> all_items{item_key::tests,      item_key::staging,
                                                   item_key::migrations, item_key::flags,
                                                   item_key::notified,   item_key::rollback};
std::string_view to_string(item_key k);
std::optional<item_key> parse_item_key(std::string_view s);
std::string_view item_title(item_key k);   // "All tests pass", …

// waiting = the automatic part is fine, a person still has to click.
BOOST_DEFINE_ENUM_CLASS(item_state, pending, done, failed, not_applicable, waiting)
std::string_view to_string(item_state s);
std::optional<item_state> parse_item_state(std::string_view s);

struct checklist_item {
    item_key key = item_key::tests;
    item_state state = item_state::pending;
    std::string evidence;          // plain text (renderers escape it), e.g. "12 checks passed on 9b0d5e1"
    std::string evidence_url;
    std::string by_user;           // Slack user id of the person who completed it, "" = the bot
    std::optional<time_point> at;

    bool operator==(const checklist_item&) const = default;
};

// The deployment serving vercel.staging_domain, pinned when evaluated.
struct candidate_info {
    std::string deployment_id;
    std::string url;
    std::string commit_sha;
    std::string commit_message;
    time_point created_at{};
    staging_model model = staging_model::unknown;
    bool ready = false;            // readyState == READY
    std::string ready_substate;    // STAGED | ROLLING | PROMOTED (model A), "" otherwise

    bool operator==(const candidate_info&) const = default;
};

struct production_info {
    std::string deployment_id;
    std::string commit_sha;

    bool operator==(const production_info&) const = default;
};

struct qa_sign_off {
    std::string user;
    time_point at{};
    std::string deployment_id;
    std::string commit_sha;

    bool operator==(const qa_sign_off&) const = default;
};

BOOST_DEFINE_ENUM_CLASS(flags_choice, none, configured, not_needed)
std::string_view to_string(flags_choice c);

struct schedule_override {
    std::string admin;
    std::string reason;
    time_point at{};

    bool operator==(const schedule_override&) const = default;
};

struct promote_info {
    std::string attempt_id;              // "<request id>-<n>", unique per click that started a promote
    std::string clicked_by;
    std::optional<time_point> clicked_at;
    std::optional<time_point> started_at;
    std::string target_deployment_id;    // differs from the candidate for a rebuild (models B/C)
    std::optional<time_point> finished_at;
    std::string outcome;                 // "", "live", "failed", "unknown"
    std::string error;
    // lastAliasRequest.requestedAt read just before the promote POST, recorded
    // before sending it; -1 = the POST was never sent. Ours is the newer job.
    std::int64_t sent_baseline_ms = -1;
    std::string outcome_note;            // e.g. "Vercel rate limited the promote; retried after 2 s"

    bool operator==(const promote_info&) const = default;
};

// A rollback record's own facts (kind == rollback). Its candidate is the
// target, its production what it replaces.
struct rollback_info {
    std::int64_t rolls_back = 0;         // the live record it replaces (0 = none of ours)
    std::string reason;
    std::string alert;                   // "" = by command; else the alert it answered
    bool crosses_migrations = false;
    std::vector<std::string> migration_files;
    std::string from_message;            // commit message of what it replaces

    bool operator==(const rollback_info&) const = default;
};

// A hotfix record's own facts (kind == hotfix): the PR and its evidence, as
// checked when it was requested. Its candidate is the PR's head commit (the
// deployment id is filled once Vercel built it).
struct hotfix_info {
    int pr_number = 0;
    std::string pr_title, pr_url, pr_author, head_ref;
    std::vector<std::string> approvers;  // GitHub logins, never the author
    std::string ci_summary, ci_url;
    std::string reason;
    std::string compare_url;             // production...hotfix
    int ships_commits = 0;               // commits beyond production
    int production_has_extra = 0;        // commits production has that the hotfix lacks (they go away)
    std::string lock_override;           // "" or the lock an admin overrode
    bool backport_pending = false;       // live, and not yet reachable from the main branch
    std::optional<time_point> last_reminder;

    bool operator==(const hotfix_info&) const = default;
};

// The GitHub post-mortem issue a rollback or a hotfix owes once it is live.
struct postmortem_info {
    bool owed = false;
    std::string url;
    std::string error;                   // last failure, shown in the thread

    bool operator==(const postmortem_info&) const = default;
};

// A PR a record ships and when its first commit was authored: where its lead
// time starts (/deploy stats). Read from GitHub with the release notes, so the
// figures never call GitHub.
struct shipped_change {
    int pr_number = 0;
    time_point first_commit_at{};

    bool operator==(const shipped_change&) const = default;
};

struct shipped_changes {
    std::string head_sha;                // the commit they were read for ("" = never read)
    std::vector<shipped_change> prs;     // at most max_shipped_changes

    bool operator==(const shipped_changes&) const = default;
};

inline constexpr std::size_t max_shipped_changes = 100;

struct deploy_request {
    std::int64_t id = 0;
    record_kind kind = record_kind::production;
    std::int64_t revision = 0;           // +1 per accepted transition
    request_state state = request_state::collecting;
    std::string requester;
    time_point created_at{};
    time_point updated_at{};
    std::string channel;
    std::string message_ts;              // checklist message, "" until posted
    candidate_info candidate;
    production_info production;          // what production served at request time
    std::vector<checklist_item> items;   // always the six, in all_items order
    std::optional<qa_sign_off> sign_off;
    bool sign_off_void = false;
    std::string sign_off_void_reason;
    flags_choice flags = flags_choice::none;
    std::optional<schedule_override> window_override;
    std::string next_window;             // "Thu 3 Dec 10:00 WIB" when scheduled
    ci_state last_ci = ci_state::unknown;
    std::string rollback_target_id;      // production deployment we would roll back to
    bool production_pinned = false;      // Vercel's last production change was a rollback (auto-assign off)
    bool rolling_release = false;        // the project has rolling releases on: a promote would be staged
    promote_info promote;
    int promote_attempts = 0;
    std::string cancelled_by;
    // The live / failed / unknown announcement is owed from the moment the
    // outcome is recorded until Slack has it (a persisted effect: retried, and
    // re-sent after a restart, but looked up first so it is never posted twice).
    bool announcement_owed = false;
    std::string announcement_ts;
    watch_info watch;                    // the post-live phase
    rollback_info rollback;              // kind == rollback
    hotfix_info hotfix;                  // kind == hotfix
    postmortem_info postmortem;          // rollback and hotfix, once live
    std::int64_t rolled_back_by = 0;     // state rolled_back: the rollback record
    shipped_changes changes;             // the PRs it ships (lead time), when GitHub told us

    const checklist_item& item(item_key k) const;
    checklist_item& item(item_key k);

    bool operator==(const deploy_request&) const = default;
};

// A rollback record, created in `promoting`: production goes back to `target`.
// The I/O layer saves it and starts the rollback (the attempt id is "<id>-1").
deploy_request make_rollback_record(std::int64_t id, std::string by, std::string channel, candidate_info target,
                                    production_info from, rollback_info info, time_point now);

// A hotfix record, created in `collecting` (waiting for its Deploy hotfix click).
deploy_request make_hotfix_record(std::int64_t id, std::string requester, std::string channel, candidate_info commit,
                                  production_info production, hotfix_info info, time_point now);

// A new request. window_open decides collecting vs scheduled.
deploy_request make_deploy_request(std::int64_t id, std::string requester, std::string channel,
                                   candidate_info candidate, production_info production, bool window_open,
                                   std::string next_window, time_point now);

// ---- events ----
struct checklist_evaluated {
    candidate_info staging;              // what serves the staging domain now
    production_info production;          // what serves production now ("" = unknown, keep the old)
    ci_verdict ci;                       // of staging.commit_sha
    std::string ci_url;                  // link for the tests item (e.g. commit checks page)
    bool touches_migrations = false;
    std::vector<std::string> migration_files;
    bool rollback_eligible = false;
    std::string rollback_target_id;      // production deployment we would roll back to
    std::string rollback_detail;         // why (not) eligible, for the evidence text
    bool production_pinned = false;      // lastAliasRequest is a rollback to what production serves
    bool rolling_release = false;        // project.rollingRelease is set
};
struct message_posted { std::string channel, ts; };
struct qa_sign_off_clicked { std::string user; };
// A QA lead signed off this staging deployment on its staging announcement.
// Counts like the checklist's button for that deployment; the two-person rule
// still applies (the requester's own sign-off is not taken).
struct prior_sign_off { std::string user; time_point at{}; std::string deployment_id; };
struct confirm_migrations { std::string user; };
struct flags_chosen { std::string user; flags_choice choice = flags_choice::configured; };
struct confirm_rollback_plan { std::string user; };
// Takes back a person's item (QA sign-off, migrations, flags, rollback plan)
// while the request is collecting; anything else is refused.
struct item_undone { std::string user; item_key key = item_key::flags; };
struct override_schedule { std::string admin; std::string reason; };
struct window_opened {};
struct window_closed { std::string next_window; };
// The freeze set by /deploy lock, as the machine sees it (`since` already in
// the schedule's words). The machine decides whether it stops a click.
struct lock_view {
    std::string by;        // Slack user id ("" when unknown)
    std::string since;     // "Tue 1 Dec 10:04 WIB" ("" when unknown)
    std::string reason;
    bool operator==(const lock_view&) const = default;
};
struct deploy_clicked {
    std::string user;
    bool window_open = false;
    std::string next_window;
    std::optional<lock_view> lock;       // production deploys are locked right now
};
struct promote_started { std::string attempt_id; std::string target_deployment_id; };
// Recorded right before the promote POST (see promote_info::sent_baseline_ms).
struct promote_sending { std::string attempt_id; std::string target_deployment_id; std::int64_t baseline_ms = 0; };
struct promote_finished {
    std::string attempt_id;
    bool ok = false;
    std::string target_deployment_id;
    std::string error;
    bool unknown = false;                // neither success nor failure could be established
    // The watch that starts when it is live (monitoring.*; 0 = no watch).
    std::int64_t watch_duration_s = 0;
    std::int64_t watch_interval_s = 0;
};
struct cancel_request { std::string user; bool is_admin = false; };
struct announcement_posted { std::string ts; };
// ---- the watch (post-live) ----
struct watch_baseline { std::int64_t hour_before = -1; std::int64_t last_week = -1; };
struct watch_marker_recorded {};
struct watch_checked {
    int index = 0;
    bool observed = false;
    std::int64_t events = 0;
    std::string note;
    std::vector<new_issue_ref> new_issues;   // first seen since T
    watch_policy policy;
};
struct watch_acknowledged { std::string user; };
struct watch_alert_posted { std::string ts; };
struct watch_progress_posted { int index = 0; };
struct watch_summary_posted { std::string ts; };
// Production moved on under this record: a rollback replaced it (state
// rolled_back), or a newer deploy went live (the watch ends).
struct replaced_by { std::int64_t record = 0; bool rollback = false; };
struct postmortem_opened { std::string url; };
struct postmortem_failed { std::string error; bool give_up = false; };
// The hotfix commit is reachable from the main branch (merged back), or a
// reminder about it went out.
struct backport_merged {};
struct backport_reminded {};
// The PRs between production and the candidate `head_sha`, with their first
// commits (kept while the record is open; stats count them once it is live
// with that commit).
struct changes_read { std::string head_sha; std::vector<shipped_change> prs; };

using deploy_event =
    std::variant<checklist_evaluated, message_posted, qa_sign_off_clicked, prior_sign_off, confirm_migrations, flags_chosen,
                 confirm_rollback_plan, override_schedule, window_opened, window_closed, deploy_clicked,
                 promote_started, promote_sending, promote_finished, cancel_request, announcement_posted,
                 watch_baseline, watch_marker_recorded, watch_checked, watch_acknowledged, watch_alert_posted, watch_progress_posted,
                 watch_summary_posted,
                 replaced_by, postmortem_opened, postmortem_failed, backport_merged, backport_reminded,
                 changes_read, item_undone>;
std::string_view event_name(const deploy_event& e);   // "checklist_evaluated", "qa_sign_off", …

// ---- effects (values; the I/O layer executes them after persisting) ----
// Why the machine refused a person's event: a code and the values its text
// needs. commands/render/refusal_text.hpp turns it into words; the machine
// holds no Slack syntax (no mentions, no markup).
enum class refusal_code {
    not_a_checklist,            // a checklist button on a rollback or hotfix record
    checklist_frozen,           // production deploy promoting
    request_closed,             // production deploy finished: start a new request
    record_promoting,           // any record promoting
    record_closed,              // any record finished: start a new one
    two_person_rule,            // the requester cannot sign off their own deploy
    staging_not_ready,
    already_signed_off,
    no_migrations,
    migrations_unchecked,
    migrations_confirmed,
    flags_choice_missing,
    no_rollback_target,
    rollback_target_unchecked,
    rollback_plan_confirmed,
    override_needs_reason,
    already_promoting,
    not_ready_to_deploy,        // details: what is missing
    cancel_while_promoting,
    cancel_not_allowed,
    no_open_alert,
    deploys_locked,             // person: who locked; details: since, reason
    locked_after_offer,         // a hotfix offered before the lock; details: reason
    nothing_to_undo,            // details: why (not collecting, not a person's item, not done)
};
struct refusal {
    refusal_code code{};
    std::string subject;                 // the record ("production deploy #12") or the candidate
    std::string person;                  // the Slack user the text names ("" when none)
    std::vector<std::string> details;    // the state, evidence, what is missing
    bool operator==(const refusal&) const = default;
};
struct post_refusal { std::string user; refusal why; };               // ephemeral to user
struct update_message {};                                              // chat.update the checklist
struct start_promote {
    std::string attempt_id;
    std::string deployment_id;
    std::string commit_sha;
    staging_model model = staging_model::unknown;   // A: promote; B/C: rebuild then promote
};
// After a restart in `promoting`: ask Vercel what happened, never re-promote blindly.
struct verify_promote {
    std::string attempt_id;
    std::string deployment_id;
    std::string target_deployment_id;
    std::int64_t sent_baseline_ms = -1;  // -1: the promote POST never went out
};
struct announce_live { std::string target_deployment_id; std::string commit_sha; };
struct announce_failed { std::string error; };
struct announce_unknown { std::string detail; };                       // outcome unknown: what to check
struct mention_requester_window_open { std::string requester; };      // in the message thread
struct announce_override { std::string admin; std::string reason; };
struct announce_cancelled { std::string by; };
struct announce_sign_off_void { std::string text; };                   // in the message thread
struct candidate_changed { std::string old_deployment_id; std::string new_deployment_id; };   // recompute "what ships"
// The post-live phase (executed by the watch module).
struct start_watch {};                                                 // marker, baseline, first check
struct watch_progress { int index = 0; };                              // thread lines owed up to index
struct watch_alert { int index = 0; };                                 // the channel alert with buttons
struct watch_summary {};                                               // the final summary (owed until posted)
struct open_postmortem {};                                             // the GitHub issue (owed until opened)
// A rollback record found in `promoting` after a restart: read Vercel first.
struct verify_rollback { std::string attempt_id; std::string target_deployment_id; std::int64_t sent_baseline_ms = -1; };
// A hotfix clicked (or found promoting after a restart: its build is looked
// up by the attempt's meta before anything is created).
struct run_hotfix { std::string attempt_id; bool resuming = false; };
struct track_backport {};                                              // until the commit is on main

using effect = std::variant<post_refusal, update_message, start_promote, verify_promote, announce_live,
                            announce_failed, announce_unknown, mention_requester_window_open, announce_override,
                            announce_cancelled, announce_sign_off_void, candidate_changed, start_watch,
                            watch_progress, watch_alert, watch_summary, open_postmortem, verify_rollback,
                            run_hotfix, track_backport>;
std::string_view effect_name(const effect& e);

struct transition_result {
    deploy_request request;              // unchanged when refused or ignored
    std::vector<effect> effects;         // refused: a post_refusal for user events, nothing otherwise
    std::optional<refusal> refused;
    bool changed = false;                // persist (and audit) only when true
    std::string audit_what;              // e.g. "qa_sign_off by U01BBBB", "promoting dpl_…"
};

transition_result apply(const deploy_request& req, const deploy_event& ev, time_point now);

// Why a lock stops a production deploy: the same refusal for `/deploy prod`
// and for the Deploy click.
refusal lock_refusal(const lock_view& lock);

// What still blocks "Deploy to production", one human sentence each, e.g.
// "CI is still running (2 pending: e2e, lint)", "QA sign-off missing",
// "outside the deploy window — next window Thu 3 Dec 10:00 WIB". Empty = deployable.
std::vector<std::string> missing_for_deploy(const deploy_request& req, bool window_open, std::string_view next_window);
bool is_deployable(const deploy_request& req, bool window_open);
int done_count(const deploy_request& req);   // items done or not_applicable
bool is_settled(item_state s);               // done or not_applicable
std::string describe_candidate(const candidate_info& c);   // "dpl_… (9b0d5e1)"

// Effects still owed after a restart (see the contract above), the post-live
// phase included (a watch in progress, an owed summary or post-mortem).
std::vector<effect> resume_effects(const deploy_request& req);

// "production deploy #4", "rollback #5"
std::string record_name(const deploy_request& req);

// JSON blob for the store. Parsing is tolerant: unknown keys are ignored,
// missing ones take defaults; only a non-object / non-JSON text is an error.
std::string serialize_request(const deploy_request& req);
result<deploy_request> parse_request(std::string_view json_text);

}  // namespace deploybot
