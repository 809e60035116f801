#include "commands/workflow/deploy_request.hpp"
#include "commands/workflow/deploy_machine.hpp"

#include <algorithm>
#include <stdexcept>

// The transitions of one production deploy request (names, readiness and the
// JSON form live in deploy_request_names/_readiness/_json.cpp).
namespace deploybot {

namespace workflow_detail {
// `why` is stored plain text (rendered escaped); `announcement` may mention people.
void machine::void_sign_off(const std::string& why, const std::string& announcement) {
    auto& r = req();
    r.sign_off_void = true;
    r.sign_off_void_reason = why;
    out.effects.push_back(announce_sign_off_void{announcement});
}

// Staging item from the candidate + sign-off.
void machine::refresh_staging_item() {
    auto& r = req();
    auto& it = r.item(item_key::staging);
    if (!r.candidate.ready) {
        it.state = item_state::pending;
        it.evidence = "Staging deployment " + describe_candidate(r.candidate) + " is not READY yet";
        if (r.sign_off_void) it.evidence += ". " + r.sign_off_void_reason;
        it.evidence_url = r.candidate.url;
        it.by_user.clear();
        it.at.reset();
    } else if (r.sign_off && r.sign_off->deployment_id == r.candidate.deployment_id) {
        it.state = item_state::done;
        it.evidence = "QA signed off " + describe_candidate(r.candidate);
        it.evidence_url = r.candidate.url;
        it.by_user = r.sign_off->user;
        it.at = r.sign_off->at;
    } else {
        // waiting for a QA lead; after a void sign-off the evidence says why.
        it.state = r.sign_off_void ? item_state::pending : item_state::waiting;
        it.evidence = r.sign_off_void ? r.sign_off_void_reason
                                      : "Staging serves " + describe_candidate(r.candidate) +
                                            " (READY); waiting for a QA lead's sign-off";
        it.evidence_url = r.candidate.url;
        it.by_user.clear();
        it.at.reset();
    }
}

transition_result machine::on(const checklist_evaluated& e) {
    if (before.kind != record_kind::production) return ignore();
    if (before.state != request_state::collecting && before.state != request_state::scheduled) return ignore();
    auto& r = req();
    const bool candidate_moved =
        !e.staging.deployment_id.empty() && e.staging.deployment_id != r.candidate.deployment_id;
    if (candidate_moved) {
        out.effects.push_back(candidate_changed{r.candidate.deployment_id, e.staging.deployment_id});
        if (r.sign_off && !r.sign_off_void) {
            const std::string what = "was for " + describe_candidate(r.candidate) + "; staging now serves " +
                                     describe_candidate(e.staging) + ", so it is void — a QA lead must sign off again";
            void_sign_off("The QA sign-off " + what, "<@" + r.sign_off->user + "> your QA sign-off " + what + ".");
        }
        r.candidate = e.staging;
    } else if (!e.staging.deployment_id.empty()) {
        r.candidate.ready = e.staging.ready;
        r.candidate.ready_substate = e.staging.ready_substate;
        if (r.candidate.model == staging_model::unknown) r.candidate.model = e.staging.model;
    }
    refresh_staging_item();
    if (!e.production.deployment_id.empty()) r.production = e.production;

    auto& tests = r.item(item_key::tests);
    r.last_ci = e.ci.verdict;
    const auto tests_state = e.ci.verdict == ci_state::green ? item_state::done
                             : e.ci.verdict == ci_state::red ? item_state::failed
                                                             : item_state::pending;
    if (tests_state != tests.state || e.ci.summary != tests.evidence) tests.at = now;
    tests.state = tests_state;
    tests.evidence = e.ci.summary;   // the candidate line already names the commit
    tests.evidence_url = !e.ci.offending.empty() && !e.ci.offending.front().url.empty() ? e.ci.offending.front().url
                                                                                       : e.ci_url;
    tests.by_user.clear();

    auto& mig = r.item(item_key::migrations);
    if (!e.touches_migrations) {
        if (mig.state != item_state::not_applicable) mig.at = now;
        mig.state = item_state::not_applicable;
        mig.evidence = "No files under the migration paths change";
        mig.by_user.clear();
    } else if (mig.state != item_state::done || candidate_moved) {   // new code may add migrations
        mig.state = item_state::waiting;
        std::string files;
        for (std::size_t i = 0; i < e.migration_files.size() && i < 3; ++i) files += (i ? ", " : "") + e.migration_files[i];
        if (e.migration_files.size() > 3) files += " and " + std::to_string(e.migration_files.size() - 3) + " more";
        mig.evidence = std::to_string(e.migration_files.size()) + " migration file" +
                       (e.migration_files.size() == 1 ? "" : "s") + (files.empty() ? "" : ": " + files) +
                       "; a deployer or QA lead must confirm they were tested on staging";
        mig.by_user.clear();
        mig.at.reset();
    }

    r.production_pinned = e.production_pinned;
    r.rolling_release = e.rolling_release;
    auto& rb = r.item(item_key::rollback);
    const bool target_changed = e.rollback_target_id != r.rollback_target_id;
    r.rollback_target_id = e.rollback_target_id;
    if (!e.rollback_eligible) {
        rb.state = item_state::failed;
        rb.evidence = "No eligible production deployment to roll back to" +
                      (e.rollback_detail.empty() ? std::string() : ": " + e.rollback_detail);
        rb.by_user.clear();
        rb.at.reset();
    } else if (rb.state != item_state::done || target_changed) {
        rb.state = item_state::waiting;
        rb.evidence = "Would roll back to " + e.rollback_target_id +
                      (e.rollback_detail.empty() ? std::string() : " (" + e.rollback_detail + ")") +
                      "; confirm the rollback plan";
        rb.by_user.clear();
        rb.at.reset();
    }

    // The periodic refresh usually finds nothing new: no write, no audit row, no chat.update.
    if (out.effects.empty() && r == before) return ignore();
    out.effects.push_back(update_message{});
    return accept("checklist evaluated: " + std::to_string(done_count(r)) + "/6 done");
}

transition_result machine::on(const message_posted& e) {
    if (is_terminal(before.state)) return ignore();
    auto& r = req();
    if (r.message_ts == e.ts && r.item(item_key::notified).state == item_state::done) return ignore();
    r.channel = e.channel.empty() ? r.channel : e.channel;
    r.message_ts = e.ts;
    auto& it = r.item(item_key::notified);
    it.state = item_state::done;
    it.evidence = "Checklist posted in the deploy channel";
    it.at = now;
    return accept("message posted " + e.ts);
}

transition_result machine::on(const qa_sign_off_clicked& e) {
    if (auto why = closed_reason()) return refuse(e.user, *why);
    const auto& r = before;
    if (e.user == r.requester)
        return refuse(e.user, {refusal_code::two_person_rule, "production deploy #" + std::to_string(r.id), "", {}});
    if (!r.candidate.ready)
        return refuse(e.user, {refusal_code::staging_not_ready, describe_candidate(r.candidate), "", {}});
    if (r.sign_off && r.sign_off->deployment_id == r.candidate.deployment_id && !r.sign_off_void)
        return refuse(e.user, {refusal_code::already_signed_off, describe_candidate(r.candidate), r.sign_off->user, {}});
    req().sign_off = qa_sign_off{e.user, now, r.candidate.deployment_id, r.candidate.commit_sha};
    req().sign_off_void = false;
    req().sign_off_void_reason.clear();
    refresh_staging_item();
    out.effects.push_back(update_message{});
    return accept("qa sign-off by " + e.user + " for " + describe_candidate(r.candidate));
}

transition_result machine::on(const prior_sign_off& e) {
    const auto& r = before;
    if (r.kind != record_kind::production || (r.state != request_state::collecting && r.state != request_state::scheduled))
        return ignore();
    if (e.user.empty() || e.user == r.requester || !r.candidate.ready || e.deployment_id != r.candidate.deployment_id)
        return ignore();
    if (r.sign_off && r.sign_off->deployment_id == r.candidate.deployment_id && !r.sign_off_void) return ignore();
    req().sign_off = qa_sign_off{e.user, e.at, r.candidate.deployment_id, r.candidate.commit_sha};
    req().sign_off_void = false;
    req().sign_off_void_reason.clear();
    refresh_staging_item();
    out.effects.push_back(update_message{});
    return accept("qa sign-off by " + e.user + " (given on the staging announcement) for " + describe_candidate(r.candidate));
}

transition_result machine::on(const confirm_migrations& e) {
    if (auto why = closed_reason()) return refuse(e.user, *why);
    auto& it = req().item(item_key::migrations);
    if (it.state == item_state::not_applicable)
        return refuse(e.user, {refusal_code::no_migrations, "", "", {}});
    if (it.state == item_state::pending)
        return refuse(e.user, {refusal_code::migrations_unchecked, "", "", {}});
    if (it.state == item_state::done)
        return refuse(e.user, {refusal_code::migrations_confirmed, "", it.by_user, {}});
    it.state = item_state::done;
    it.evidence = "Migrations tested on staging (confirmed)";
    it.by_user = e.user;
    it.at = now;
    out.effects.push_back(update_message{});
    return accept("migrations confirmed by " + e.user);
}

transition_result machine::on(const flags_chosen& e) {
    if (auto why = closed_reason()) return refuse(e.user, *why);
    if (e.choice == flags_choice::none) return refuse(e.user, {refusal_code::flags_choice_missing, "", "", {}});
    if (before.flags == e.choice) return ignore();
    req().flags = e.choice;
    auto& it = req().item(item_key::flags);
    it.state = item_state::done;
    it.evidence = e.choice == flags_choice::configured ? "Feature flags configured" : "No feature flags needed";
    it.by_user = e.user;
    it.at = now;
    out.effects.push_back(update_message{});
    return accept("flags " + std::string(to_string(e.choice)) + " by " + e.user);
}

transition_result machine::on(const confirm_rollback_plan& e) {
    if (auto why = closed_reason()) return refuse(e.user, *why);
    auto& it = req().item(item_key::rollback);
    if (it.state == item_state::failed)
        return refuse(e.user, {refusal_code::no_rollback_target, "", "", {it.evidence}});
    if (it.state == item_state::pending)
        return refuse(e.user, {refusal_code::rollback_target_unchecked, "", "", {}});
    if (it.state == item_state::done)
        return refuse(e.user, {refusal_code::rollback_plan_confirmed, "", it.by_user, {}});
    it.state = item_state::done;
    it.evidence = "Rollback to " + req().rollback_target_id + " confirmed";
    it.by_user = e.user;
    it.at = now;
    out.effects.push_back(update_message{});
    return accept("rollback plan confirmed by " + e.user);
}

transition_result machine::on(const override_schedule& e) {
    if (auto why = closed_reason()) return refuse(e.admin, *why);
    if (e.reason.find_first_not_of(" \t\n") == std::string::npos)
        return refuse(e.admin, {refusal_code::override_needs_reason, "", "", {}});
    auto& r = req();
    r.window_override = schedule_override{e.admin, e.reason, now};
    if (r.state == request_state::scheduled) r.state = request_state::collecting;
    out.effects.push_back(announce_override{e.admin, e.reason});
    out.effects.push_back(update_message{});
    return accept("schedule override by " + e.admin + ": " + e.reason);
}

transition_result machine::on(const window_opened&) {
    if (before.kind != record_kind::production || before.state != request_state::scheduled) return ignore();
    req().state = request_state::collecting;
    req().next_window.clear();
    out.effects.push_back(mention_requester_window_open{before.requester});
    out.effects.push_back(update_message{});
    return accept("deploy window opened");
}

transition_result machine::on(const window_closed& e) {
    if (before.kind != record_kind::production || before.state != request_state::collecting || before.window_override)
        return ignore();
    req().state = request_state::scheduled;
    req().next_window = e.next_window;
    out.effects.push_back(update_message{});
    return accept("deploy window closed; next " + e.next_window);
}

}  // namespace workflow_detail

refusal lock_refusal(const lock_view& lock) {
    return {refusal_code::deploys_locked, "Production deploys", lock.by, {lock.since, lock.reason}};
}

namespace workflow_detail {

transition_result machine::on(const deploy_clicked& e) {
    if (before.kind == record_kind::hotfix) return hotfix_clicked(e);
    if (before.state == request_state::promoting)
        return refuse(e.user, {refusal_code::already_promoting, "Production deploy #" + std::to_string(before.id), "",
                               {before.promote.attempt_id}});
    if (auto why = closed_reason()) return refuse(e.user, *why);
    if (e.lock) return refuse(e.user, lock_refusal(*e.lock));
    const auto missing = missing_for_deploy(before, e.window_open, e.next_window);
    if (!missing.empty())
        return refuse(e.user, {refusal_code::not_ready_to_deploy, "#" + std::to_string(before.id), "", missing});
    auto& r = req();
    r.state = request_state::promoting;
    r.promote_attempts = before.promote_attempts + 1;
    r.promote = promote_info{};
    r.promote.attempt_id = std::to_string(r.id) + "-" + std::to_string(r.promote_attempts);
    r.promote.clicked_by = e.user;
    r.promote.clicked_at = now;
    out.effects.push_back(update_message{});
    out.effects.push_back(
        start_promote{r.promote.attempt_id, r.candidate.deployment_id, r.candidate.commit_sha, r.candidate.model});
    return accept("promoting " + describe_candidate(r.candidate) + " (attempt " + r.promote.attempt_id +
                  ") clicked by " + e.user);
}

// A hotfix has no window and no checklist: its evidence (approval, CI) was
// checked when it was requested. A lock set after it was offered stops it,
// unless an admin ran it through that lock (hotfix.lock_override).
transition_result machine::hotfix_clicked(const deploy_clicked& e) {
    if (auto why = state_closed_reason()) return refuse(e.user, *why);
    if (e.lock && before.hotfix.lock_override.empty())
        return refuse(e.user, {refusal_code::locked_after_offer, "Hotfix #" + std::to_string(before.id), e.lock->by,
                               {e.lock->reason}});
    auto& r = req();
    r.state = request_state::promoting;
    r.promote_attempts = before.promote_attempts + 1;
    r.promote = promote_info{};
    r.promote.attempt_id = std::to_string(r.id) + "-" + std::to_string(r.promote_attempts);
    r.promote.clicked_by = e.user;
    r.promote.clicked_at = now;
    out.effects.push_back(update_message{});
    out.effects.push_back(run_hotfix{r.promote.attempt_id, false});
    return accept("hotfix of " + r.candidate.commit_sha.substr(0, 7) + " (attempt " + r.promote.attempt_id +
                  ") clicked by " + e.user);
}

transition_result machine::on(const promote_started& e) {
    if (before.state != request_state::promoting || other_attempt(e.attempt_id) || before.promote.started_at)
        return ignore();
    req().promote.started_at = now;
    req().promote.target_deployment_id = e.target_deployment_id.empty() ? before.candidate.deployment_id
                                                                        : e.target_deployment_id;
    out.effects.push_back(update_message{});
    return accept("promote started: " + req().promote.target_deployment_id);
}

transition_result machine::on(const promote_sending& e) {
    if (before.state != request_state::promoting || other_attempt(e.attempt_id)) return ignore();
    auto& r = req();
    r.promote.sent_baseline_ms = e.baseline_ms;
    if (!e.target_deployment_id.empty()) r.promote.target_deployment_id = e.target_deployment_id;
    if (!r.promote.started_at) r.promote.started_at = now;
    return accept("promote POST of " + r.promote.target_deployment_id + " (baseline " +
                  std::to_string(e.baseline_ms) + ")");
}

transition_result machine::on(const promote_finished& e) {
    if (before.state != request_state::promoting || other_attempt(e.attempt_id)) return ignore();
    auto& r = req();
    if (!e.target_deployment_id.empty()) r.promote.target_deployment_id = e.target_deployment_id;
    if (r.promote.target_deployment_id.empty()) r.promote.target_deployment_id = r.candidate.deployment_id;
    if (!r.promote.started_at) r.promote.started_at = now;
    r.promote.finished_at = now;
    r.announcement_owed = true;
    if (e.ok) {
        r.state = request_state::live;
        r.promote.outcome = "live";
        out.effects.push_back(update_message{});
        out.effects.push_back(announce_live{r.promote.target_deployment_id, r.candidate.commit_sha});
        if (e.watch_duration_s > 0 && e.watch_interval_s > 0) {
            r.watch = watch_info{};
            r.watch.phase = watch_phase::watching;
            r.watch.live_at = now;
            r.watch.duration_s = e.watch_duration_s;
            r.watch.interval_s = e.watch_interval_s;
            out.effects.push_back(start_watch{});
        }
        if (r.kind == record_kind::rollback || r.kind == record_kind::hotfix) {
            r.postmortem.owed = true;
            out.effects.push_back(open_postmortem{});
        }
        if (r.kind == record_kind::hotfix) {
            r.hotfix.backport_pending = true;
            out.effects.push_back(track_backport{});
        }
        return accept("live: " + r.promote.target_deployment_id);
    }
    if (e.unknown) {
        r.state = request_state::outcome_unknown;
        r.promote.outcome = "unknown";
        r.promote.error = e.error;
        out.effects.push_back(update_message{});
        out.effects.push_back(announce_unknown{e.error});
        return accept("promote outcome unknown: " + e.error);
    }
    r.state = request_state::failed;
    r.promote.outcome = "failed";
    r.promote.error = e.error.empty() ? "unknown error" : e.error;
    out.effects.push_back(update_message{});
    out.effects.push_back(announce_failed{r.promote.error});
    return accept("promote failed: " + r.promote.error);
}

transition_result machine::on(const announcement_posted& e) {
    if (!before.announcement_owed) return ignore();
    auto& r = req();
    r.announcement_owed = false;
    r.announcement_ts = e.ts;
    return accept("outcome announced " + e.ts);
}

transition_result machine::on(const cancel_request& e) {
    const std::string name = record_name(before);
    if (before.state == request_state::promoting)
        return refuse(e.user, {refusal_code::cancel_while_promoting, name, "", {}});
    if (auto why = before.kind == record_kind::rollback ? closed_reason() : state_closed_reason())
        return refuse(e.user, *why);
    if (e.user != before.requester && !e.is_admin)
        return refuse(e.user, {refusal_code::cancel_not_allowed, name, before.requester, {}});
    req().state = request_state::cancelled;
    req().cancelled_by = e.user;
    out.effects.push_back(update_message{});
    out.effects.push_back(announce_cancelled{e.user});
    return accept("cancelled by " + e.user);
}

}  // namespace workflow_detail

using workflow_detail::machine;

const checklist_item& deploy_request::item(item_key k) const {
    for (const auto& it : items)
        if (it.key == k) return it;
    throw std::logic_error("deploy_request without checklist item");   // make_/parse_ always create all six
}

checklist_item& deploy_request::item(item_key k) {
    return const_cast<checklist_item&>(static_cast<const deploy_request&>(*this).item(k));
}

deploy_request make_deploy_request(std::int64_t id, std::string requester, std::string channel,
                                   candidate_info candidate, production_info production, bool window_open,
                                   std::string next_window, time_point now) {
    deploy_request r;
    r.id = id;
    r.requester = std::move(requester);
    r.channel = std::move(channel);
    r.created_at = r.updated_at = now;
    r.candidate = std::move(candidate);
    r.production = std::move(production);
    r.state = window_open ? request_state::collecting : request_state::scheduled;
    if (!window_open) r.next_window = std::move(next_window);
    for (auto k : all_items) r.items.push_back(checklist_item{k});
    r.item(item_key::flags).state = item_state::waiting;
    r.item(item_key::flags).evidence = "Configured or Not needed?";
    return r;
}

deploy_request make_hotfix_record(std::int64_t id, std::string requester, std::string channel, candidate_info commit,
                                  production_info production, hotfix_info info, time_point now) {
    deploy_request r;
    r.id = id;
    r.kind = record_kind::hotfix;
    r.state = request_state::collecting;
    r.requester = std::move(requester);
    r.channel = std::move(channel);
    r.created_at = r.updated_at = now;
    r.candidate = std::move(commit);
    r.production = std::move(production);
    for (auto k : all_items) r.items.push_back(checklist_item{k});
    r.hotfix = std::move(info);
    return r;
}

deploy_request make_rollback_record(std::int64_t id, std::string by, std::string channel, candidate_info target,
                                    production_info from, rollback_info info, time_point now) {
    deploy_request r;
    r.id = id;
    r.kind = record_kind::rollback;
    r.state = request_state::promoting;
    r.requester = by;
    r.channel = std::move(channel);
    r.created_at = r.updated_at = now;
    r.candidate = std::move(target);
    r.production = std::move(from);
    for (auto k : all_items) r.items.push_back(checklist_item{k});
    r.rollback = std::move(info);
    r.promote_attempts = 1;
    r.promote.attempt_id = std::to_string(id) + "-1";
    r.promote.clicked_by = std::move(by);
    r.promote.clicked_at = now;
    r.promote.target_deployment_id = r.candidate.deployment_id;
    return r;
}

transition_result apply(const deploy_request& req, const deploy_event& ev, time_point now) {
    return std::visit([&](const auto& e) { return machine{req, now}.on(e); }, ev);
}

std::vector<effect> resume_effects(const deploy_request& r) {
    std::vector<effect> out;
    switch (r.state) {
        case request_state::promoting:
            if (r.kind == record_kind::rollback)
                out.push_back(verify_rollback{r.promote.attempt_id, r.candidate.deployment_id, r.promote.sent_baseline_ms});
            else if (r.kind == record_kind::hotfix)
                out.push_back(run_hotfix{r.promote.attempt_id, true});
            else
                out.push_back(verify_promote{r.promote.attempt_id, r.candidate.deployment_id,
                                             r.promote.target_deployment_id, r.promote.sent_baseline_ms});
            break;
        case request_state::collecting:
        case request_state::scheduled: out.push_back(update_message{}); break;
        case request_state::live:
        case request_state::failed:
        case request_state::cancelled:
        case request_state::outcome_unknown:
        case request_state::rolled_back: break;
    }
    if (r.watch.phase == watch_phase::watching) out.push_back(start_watch{});
    if (r.watch.progress_posted < static_cast<int>(r.watch.checks.size()))
        out.push_back(watch_progress{static_cast<int>(r.watch.checks.size())});
    if (r.watch.alert_owed) out.push_back(watch_alert{r.watch.alert_index});
    if (r.watch.summary_owed) out.push_back(watch_summary{});
    if (r.postmortem.owed) out.push_back(open_postmortem{});
    if (r.hotfix.backport_pending && r.state == request_state::live) out.push_back(track_backport{});
    return out;
}

}  // namespace deploybot
