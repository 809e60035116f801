#pragma once
// The deploy record's state machine, shared by the files that define its
// transitions: deploy_request.cpp (checklist, promote, cancel) and
// deploy_request_post_live.cpp (watch, rollback, post-mortem, back-merge).
// Internal to commands/workflow: everyone else calls apply().
#include "commands/workflow/deploy_request.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace deploybot::workflow_detail {

struct machine {
    const deploy_request& before;
    time_point now;
    transition_result out;

    machine(const deploy_request& r, time_point t) : before(r), now(t) { out.request = r; }

    deploy_request& req() { return out.request; }

    bool watching() const { return before.watch.phase == watch_phase::watching; }

    transition_result refuse(const std::string& user, refusal why) {
        transition_result r;
        r.request = before;
        if (!user.empty()) r.effects.push_back(post_refusal{user, why});
        r.refused = std::move(why);
        return r;
    }
    // Internal events that do not apply (late, duplicate) change nothing and say nothing.
    transition_result ignore() {
        transition_result r;
        r.request = before;
        return r;
    }
    transition_result accept(std::string what) {
        out.changed = true;
        out.audit_what = std::move(what);
        out.request.revision = before.revision + 1;
        out.request.updated_at = now;
        return std::move(out);
    }
    // The refusal for user clicks on a request that can no longer change.
    std::optional<refusal> closed_reason() const {
        if (before.kind != record_kind::production)
            return refusal{refusal_code::not_a_checklist, "#" + std::to_string(before.id), "",
                           {std::string(to_string(before.kind))}};
        return production_closed_reason();
    }
    // The refusal for a request (any kind) whose state takes no more clicks.
    std::optional<refusal> state_closed_reason() const {
        const std::string name = record_name(before);
        switch (before.state) {
            case request_state::promoting: return refusal{refusal_code::record_promoting, name, "", {}};
            case request_state::live:
            case request_state::failed:
            case request_state::cancelled:
            case request_state::outcome_unknown:
            case request_state::rolled_back:
                return refusal{refusal_code::record_closed, name, "", {std::string(to_string(before.state))}};
            case request_state::collecting:
            case request_state::scheduled: return std::nullopt;
        }
        return std::nullopt;
    }
    std::optional<refusal> production_closed_reason() const {
        const std::string name = "Production deploy #" + std::to_string(before.id);
        switch (before.state) {
            case request_state::promoting: return refusal{refusal_code::checklist_frozen, name, "", {}};
            case request_state::live:
            case request_state::failed:
            case request_state::cancelled:
            case request_state::outcome_unknown:
            case request_state::rolled_back:
                return refusal{refusal_code::request_closed, name, "", {std::string(to_string(before.state))}};
            case request_state::collecting:
            case request_state::scheduled: return std::nullopt;
        }
        return std::nullopt;
    }
    // `why` is stored plain text (rendered escaped); `announcement` may mention people.
    void void_sign_off(const std::string& why, const std::string& announcement);
    // Staging item from the candidate + sign-off.
    void refresh_staging_item();
    transition_result on(const checklist_evaluated& e);
    transition_result on(const message_posted& e);
    transition_result on(const qa_sign_off_clicked& e);
    transition_result on(const prior_sign_off& e);
    transition_result on(const confirm_migrations& e);
    transition_result on(const flags_chosen& e);
    transition_result on(const confirm_rollback_plan& e);
    transition_result on(const override_schedule& e);
    transition_result on(const window_opened&);
    transition_result on(const window_closed& e);
    transition_result on(const deploy_clicked& e);
    // A hotfix has no window and no checklist: its evidence (approval, CI) was
    // checked when it was requested; the lock is the caller's.
    transition_result hotfix_clicked(const deploy_clicked& e);
    bool other_attempt(const std::string& attempt) const {
        return !attempt.empty() && attempt != before.promote.attempt_id;
    }
    transition_result on(const promote_started& e);
    transition_result on(const promote_sending& e);
    transition_result on(const promote_finished& e);
    transition_result on(const announcement_posted& e);
    transition_result on(const watch_baseline& e);
    transition_result on(const watch_marker_recorded&);
    transition_result on(const watch_checked& e);
    transition_result on(const watch_acknowledged& e);
    transition_result on(const watch_progress_posted& e);
    transition_result on(const watch_alert_posted& e);
    transition_result on(const watch_summary_posted& e);
    transition_result on(const replaced_by& e);
    transition_result on(const postmortem_opened& e);
    transition_result on(const postmortem_failed& e);
    transition_result on(const backport_merged&);
    transition_result on(const backport_reminded&);
    transition_result on(const changes_read& e);
    transition_result on(const cancel_request& e);
    transition_result on(const item_undone& e);   // deploy_request_undo.cpp
};

}  // namespace deploybot::workflow_detail
