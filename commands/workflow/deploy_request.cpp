#include "commands/workflow/deploy_request.hpp"

#include <algorithm>
#include <stdexcept>

// The transitions of one production deploy request (names, readiness and the
// JSON form live in deploy_request_names/_readiness/_json.cpp).
namespace deploybot {

namespace {

struct machine {
    const deploy_request& before;
    time_point now;
    transition_result out;

    machine(const deploy_request& r, time_point t) : before(r), now(t) { out.request = r; }

    deploy_request& req() { return out.request; }

    transition_result refuse(const std::string& user, std::string reason) {
        transition_result r;
        r.request = before;
        if (!user.empty()) r.effects.push_back(post_refusal{user, reason});
        r.refused = refusal{std::move(reason)};
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

    // Refusal text for user clicks on a request that can no longer change.
    std::optional<std::string> closed_reason() const {
        if (before.kind != record_kind::production)
            return "#" + std::to_string(before.id) + " is a " + std::string(to_string(before.kind)) +
                   ", not a production deploy checklist; nothing to change there.";
        switch (before.state) {
            case request_state::promoting:
                return "Production deploy #" + std::to_string(before.id) +
                       " is already promoting; the checklist is frozen until it finishes.";
            case request_state::live:
            case request_state::failed:
            case request_state::cancelled:
            case request_state::outcome_unknown:
            case request_state::rolled_back:
                return "Production deploy #" + std::to_string(before.id) + " is " + std::string(to_string(before.state)) +
                       "; start a new request with /deploy prod.";
            case request_state::collecting:
            case request_state::scheduled: return std::nullopt;
        }
        return std::nullopt;
    }

    // `why` is stored plain text (rendered escaped); `announcement` may mention people.
    void void_sign_off(const std::string& why, const std::string& announcement) {
        auto& r = req();
        r.sign_off_void = true;
        r.sign_off_void_reason = why;
        out.effects.push_back(announce_sign_off_void{announcement});
    }

    // Staging item from the candidate + sign-off.
    void refresh_staging_item() {
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

    transition_result on(const checklist_evaluated& e) {
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

    transition_result on(const message_posted& e) {
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

    transition_result on(const qa_sign_off_clicked& e) {
        if (auto why = closed_reason()) return refuse(e.user, *why);
        const auto& r = before;
        if (e.user == r.requester)
            return refuse(e.user, "Two-person rule: you requested production deploy #" + std::to_string(r.id) +
                                      ", so someone else — a QA lead — must sign off staging.");
        if (!r.candidate.ready)
            return refuse(e.user, "Staging deployment " + describe_candidate(r.candidate) +
                                      " is not READY yet; sign off once it is.");
        if (r.sign_off && r.sign_off->deployment_id == r.candidate.deployment_id && !r.sign_off_void)
            return refuse(e.user, "Staging " + describe_candidate(r.candidate) + " is already signed off by <@" +
                                      r.sign_off->user + ">.");
        req().sign_off = qa_sign_off{e.user, now, r.candidate.deployment_id, r.candidate.commit_sha};
        req().sign_off_void = false;
        req().sign_off_void_reason.clear();
        refresh_staging_item();
        out.effects.push_back(update_message{});
        return accept("qa sign-off by " + e.user + " for " + describe_candidate(r.candidate));
    }

    transition_result on(const confirm_migrations& e) {
        if (auto why = closed_reason()) return refuse(e.user, *why);
        auto& it = req().item(item_key::migrations);
        if (it.state == item_state::not_applicable)
            return refuse(e.user, "No migrations ship in this release; nothing to confirm.");
        if (it.state == item_state::pending)
            return refuse(e.user, "The release has not been checked for migrations yet; press Refresh first.");
        if (it.state == item_state::done)
            return refuse(e.user, "Migrations were already confirmed by <@" + it.by_user + ">.");
        it.state = item_state::done;
        it.evidence = "Migrations tested on staging (confirmed)";
        it.by_user = e.user;
        it.at = now;
        out.effects.push_back(update_message{});
        return accept("migrations confirmed by " + e.user);
    }

    transition_result on(const flags_chosen& e) {
        if (auto why = closed_reason()) return refuse(e.user, *why);
        if (e.choice == flags_choice::none) return refuse(e.user, "Choose Configured or Not needed.");
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

    transition_result on(const confirm_rollback_plan& e) {
        if (auto why = closed_reason()) return refuse(e.user, *why);
        auto& it = req().item(item_key::rollback);
        if (it.state == item_state::failed)
            return refuse(e.user, "There is no eligible production deployment to roll back to (" + it.evidence +
                                      "); the plan cannot be confirmed until there is one.");
        if (it.state == item_state::pending)
            return refuse(e.user, "The rollback target has not been checked yet; press Refresh first.");
        if (it.state == item_state::done)
            return refuse(e.user, "The rollback plan was already confirmed by <@" + it.by_user + ">.");
        it.state = item_state::done;
        it.evidence = "Rollback to " + req().rollback_target_id + " confirmed";
        it.by_user = e.user;
        it.at = now;
        out.effects.push_back(update_message{});
        return accept("rollback plan confirmed by " + e.user);
    }

    transition_result on(const override_schedule& e) {
        if (auto why = closed_reason()) return refuse(e.admin, *why);
        if (e.reason.find_first_not_of(" \t\n") == std::string::npos)
            return refuse(e.admin, "A schedule override needs a written reason, e.g. /deploy override payment outage fix.");
        auto& r = req();
        r.window_override = schedule_override{e.admin, e.reason, now};
        if (r.state == request_state::scheduled) r.state = request_state::collecting;
        out.effects.push_back(announce_override{e.admin, e.reason});
        out.effects.push_back(update_message{});
        return accept("schedule override by " + e.admin + ": " + e.reason);
    }

    transition_result on(const window_opened&) {
        if (before.state != request_state::scheduled) return ignore();
        req().state = request_state::collecting;
        req().next_window.clear();
        out.effects.push_back(mention_requester_window_open{before.requester});
        out.effects.push_back(update_message{});
        return accept("deploy window opened");
    }

    transition_result on(const window_closed& e) {
        if (before.state != request_state::collecting || before.window_override) return ignore();
        req().state = request_state::scheduled;
        req().next_window = e.next_window;
        out.effects.push_back(update_message{});
        return accept("deploy window closed; next " + e.next_window);
    }

    transition_result on(const deploy_clicked& e) {
        if (before.state == request_state::promoting)
            return refuse(e.user, "Production deploy #" + std::to_string(before.id) + " is already promoting (" +
                                      before.promote.attempt_id + "); this click changes nothing.");
        if (auto why = closed_reason()) return refuse(e.user, *why);
        const auto missing = missing_for_deploy(before, e.window_open, e.next_window);
        if (!missing.empty()) {
            std::string text = "Can't deploy #" + std::to_string(before.id) + " yet: ";
            for (std::size_t i = 0; i < missing.size(); ++i) text += (i ? "; " : "") + missing[i];
            text += ".";
            return refuse(e.user, text);
        }
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

    bool other_attempt(const std::string& attempt) const {
        return !attempt.empty() && attempt != before.promote.attempt_id;
    }

    transition_result on(const promote_started& e) {
        if (before.state != request_state::promoting || other_attempt(e.attempt_id) || before.promote.started_at)
            return ignore();
        req().promote.started_at = now;
        req().promote.target_deployment_id = e.target_deployment_id.empty() ? before.candidate.deployment_id
                                                                            : e.target_deployment_id;
        out.effects.push_back(update_message{});
        return accept("promote started: " + req().promote.target_deployment_id);
    }

    transition_result on(const promote_sending& e) {
        if (before.state != request_state::promoting || other_attempt(e.attempt_id)) return ignore();
        auto& r = req();
        r.promote.sent_baseline_ms = e.baseline_ms;
        if (!e.target_deployment_id.empty()) r.promote.target_deployment_id = e.target_deployment_id;
        if (!r.promote.started_at) r.promote.started_at = now;
        return accept("promote POST of " + r.promote.target_deployment_id + " (baseline " +
                      std::to_string(e.baseline_ms) + ")");
    }

    transition_result on(const promote_finished& e) {
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
            if (r.kind == record_kind::rollback) {
                r.rollback.postmortem_owed = true;
                out.effects.push_back(open_postmortem{});
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

    transition_result on(const announcement_posted& e) {
        if (!before.announcement_owed) return ignore();
        auto& r = req();
        r.announcement_owed = false;
        r.announcement_ts = e.ts;
        return accept("outcome announced " + e.ts);
    }

    // ---- the post-live phase ----

    bool watching() const { return before.watch.phase == watch_phase::watching; }

    transition_result on(const watch_baseline& e) {
        if (!watching()) return ignore();
        auto& w = req().watch;
        if (e.hour_before >= 0) w.baseline_hour = e.hour_before;
        if (e.last_week >= 0) w.last_week_hour = e.last_week;
        if (w == before.watch) return ignore();
        return accept("watch baseline: " + std::to_string(w.baseline_hour) + " errors in the hour before, " +
                      std::to_string(w.last_week_hour) + " a week earlier");
    }

    transition_result on(const watch_marker_recorded&) {
        if (before.watch.marker_recorded || before.watch.phase == watch_phase::none) return ignore();
        req().watch.marker_recorded = true;
        return accept("sentry deploy marker recorded");
    }

    transition_result on(const watch_checked& e) {
        // Checks arrive in order, once each: a late or repeated one changes nothing.
        if (!watching() || e.index != static_cast<int>(before.watch.checks.size()) + 1) return ignore();
        auto& w = req().watch;
        watch_check c{e.index, e.observed, e.observed ? e.events : 0, false, e.note};
        if (e.observed) c.regression = is_regression(e.events, baseline_per_interval(before.watch), e.policy);
        for (const auto& issue : e.new_issues) {
            const bool known = std::any_of(w.new_issues.begin(), w.new_issues.end(),
                                           [&](const new_issue_ref& n) { return n.short_id == issue.short_id; });
            if (!known && w.new_issues.size() < max_tracked_new_issues) w.new_issues.push_back(issue);
        }
        w.checks.push_back(c);
        out.effects.push_back(watch_progress{e.index});
        if (should_alert(before.watch, c)) {
            ++w.alerts;
            w.alert_open = true;
            w.alert_events = c.events;
            w.alert_index = e.index;
            w.alert_owed = true;
            w.alert_ts.clear();
            w.acked_by.clear();
            out.effects.push_back(watch_alert{e.index});
        }
        if (e.index >= w.intervals()) {
            w.phase = final_phase(w);
            w.summary_owed = true;
            out.effects.push_back(watch_summary{});
        }
        out.effects.push_back(update_message{});
        std::string what = "watch check " + std::to_string(e.index) + "/" + std::to_string(w.intervals()) + ": ";
        what += e.observed ? std::to_string(e.events) + " errors" + (c.regression ? " (regression)" : "")
                           : "no data (" + e.note + ")";
        if (is_finished(w.phase)) what += "; watch " + std::string(to_string(w.phase));
        return accept(what);
    }

    transition_result on(const watch_acknowledged& e) {
        if (!before.watch.alert_open)
            return refuse(e.user, "There is no open alert on " + record_name(before) + " to acknowledge.");
        auto& w = req().watch;
        w.alert_open = false;
        w.acked_by = e.user;
        out.effects.push_back(update_message{});
        return accept("alert acknowledged by " + e.user + " (keep watching)");
    }

    transition_result on(const watch_progress_posted& e) {
        if (e.index <= before.watch.progress_posted || e.index > static_cast<int>(before.watch.checks.size()))
            return ignore();
        req().watch.progress_posted = e.index;
        return accept("watch line " + std::to_string(e.index) + " in the thread");
    }

    transition_result on(const watch_alert_posted& e) {
        if (!before.watch.alert_owed) return ignore();
        req().watch.alert_owed = false;
        req().watch.alert_ts = e.ts;
        return accept("watch alert " + std::to_string(before.watch.alert_index) + " posted " + e.ts);
    }

    transition_result on(const watch_summary_posted& e) {
        if (!before.watch.summary_owed) return ignore();
        req().watch.summary_owed = false;
        req().watch.summary_ts = e.ts;
        return accept("watch summary posted " + e.ts);
    }

    transition_result on(const replaced_by& e) {
        if (before.state != request_state::live) return ignore();
        auto& r = req();
        std::string what;
        if (e.rollback) {
            r.state = request_state::rolled_back;
            r.rolled_back_by = e.record;
            what = "rolled back by rollback #" + std::to_string(e.record);
        } else if (watching()) {
            what = "superseded by #" + std::to_string(e.record);
        } else {
            return ignore();
        }
        if (watching()) {
            r.watch.phase = watch_phase::ended;
            r.watch.ended_reason = what;
            r.watch.alert_open = false;
            r.watch.summary_owed = true;
            out.effects.push_back(watch_summary{});
        }
        out.effects.push_back(update_message{});
        return accept(what);
    }

    transition_result on(const postmortem_opened& e) {
        if (!before.rollback.postmortem_owed) return ignore();
        auto& p = req().rollback;
        p.postmortem_owed = false;
        p.postmortem_url = e.url;
        p.postmortem_error.clear();
        return accept("post-mortem issue opened: " + e.url);
    }

    transition_result on(const postmortem_failed& e) {
        if (!before.rollback.postmortem_owed) return ignore();
        auto& p = req().rollback;
        p.postmortem_error = e.error;
        if (e.give_up) p.postmortem_owed = false;
        if (p == before.rollback) return ignore();
        return accept(std::string(e.give_up ? "post-mortem issue not confirmed: " : "post-mortem issue failed: ") +
                      e.error);
    }

    transition_result on(const cancel_request& e) {
        if (before.state == request_state::promoting)
            return refuse(e.user, "Production deploy #" + std::to_string(before.id) +
                                      " is promoting and cannot be cancelled; once it finishes, use /deploy rollback "
                                      "if production needs to go back.");
        if (auto why = closed_reason()) return refuse(e.user, *why);
        if (e.user != before.requester && !e.is_admin)
            return refuse(e.user, "Only the requester (<@" + before.requester +
                                      ">) or an admin can cancel production deploy #" + std::to_string(before.id) + ".");
        req().state = request_state::cancelled;
        req().cancelled_by = e.user;
        out.effects.push_back(update_message{});
        out.effects.push_back(announce_cancelled{e.user});
        return accept("cancelled by " + e.user);
    }
};

}  // namespace

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
    if (r.rollback.postmortem_owed) out.push_back(open_postmortem{});
    return out;
}

}  // namespace deploybot
