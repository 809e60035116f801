#include "commands/workflow/deploy_machine.hpp"

// The post-live transitions of a deploy record: the watch, the replacement by
// a rollback or a newer deploy, the post-mortem and the hotfix back-merge.
namespace deploybot::workflow_detail {

transition_result machine::on(const watch_baseline& e) {
    if (!watching()) return ignore();
    auto& w = req().watch;
    if (e.hour_before >= 0) w.baseline_hour = e.hour_before;
    if (e.last_week >= 0) w.last_week_hour = e.last_week;
    if (w == before.watch) return ignore();
    return accept("watch baseline: " + std::to_string(w.baseline_hour) + " errors in the hour before, " +
                  std::to_string(w.last_week_hour) + " a week earlier");
}

transition_result machine::on(const watch_marker_recorded&) {
    if (before.watch.marker_recorded || before.watch.phase == watch_phase::none) return ignore();
    req().watch.marker_recorded = true;
    return accept("sentry deploy marker recorded");
}

transition_result machine::on(const watch_checked& e) {
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

transition_result machine::on(const watch_acknowledged& e) {
    if (!before.watch.alert_open)
        return refuse(e.user, {refusal_code::no_open_alert, record_name(before), "", {}});
    auto& w = req().watch;
    w.alert_open = false;
    w.acked_by = e.user;
    out.effects.push_back(update_message{});
    return accept("alert acknowledged by " + e.user + " (keep watching)");
}

transition_result machine::on(const watch_progress_posted& e) {
    if (e.index <= before.watch.progress_posted || e.index > static_cast<int>(before.watch.checks.size()))
        return ignore();
    req().watch.progress_posted = e.index;
    return accept("watch line " + std::to_string(e.index) + " in the thread");
}

transition_result machine::on(const watch_alert_posted& e) {
    if (!before.watch.alert_owed) return ignore();
    req().watch.alert_owed = false;
    req().watch.alert_ts = e.ts;
    return accept("watch alert " + std::to_string(before.watch.alert_index) + " posted " + e.ts);
}

transition_result machine::on(const watch_summary_posted& e) {
    if (!before.watch.summary_owed) return ignore();
    req().watch.summary_owed = false;
    req().watch.summary_ts = e.ts;
    return accept("watch summary posted " + e.ts);
}

transition_result machine::on(const replaced_by& e) {
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

transition_result machine::on(const postmortem_opened& e) {
    if (!before.postmortem.owed) return ignore();
    auto& p = req().postmortem;
    p.owed = false;
    p.url = e.url;
    p.error.clear();
    return accept("post-mortem issue opened: " + e.url);
}

transition_result machine::on(const postmortem_failed& e) {
    if (!before.postmortem.owed) return ignore();
    auto& p = req().postmortem;
    p.error = e.error;
    if (e.give_up) p.owed = false;
    if (p == before.postmortem) return ignore();
    return accept(std::string(e.give_up ? "post-mortem issue not confirmed: " : "post-mortem issue failed: ") +
                  e.error);
}

transition_result machine::on(const backport_merged&) {
    if (!before.hotfix.backport_pending) return ignore();
    req().hotfix.backport_pending = false;
    out.effects.push_back(update_message{});
    return accept("hotfix commit " + before.candidate.commit_sha.substr(0, 7) + " is on the main branch");
}

transition_result machine::on(const backport_reminded&) {
    if (!before.hotfix.backport_pending) return ignore();
    req().hotfix.last_reminder = now;
    return accept("backport reminder sent");
}

// Kept while the record is open (the candidate may still move); once it is
// terminal the PRs it shipped are settled.
transition_result machine::on(const changes_read& e) {
    if (is_terminal(before.state) || e.head_sha.empty()) return ignore();
    shipped_changes c{e.head_sha, e.prs};
    if (c.prs.size() > max_shipped_changes) c.prs.resize(max_shipped_changes);
    if (c == before.changes) return ignore();
    req().changes = std::move(c);
    return accept("shipped PRs read for " + e.head_sha.substr(0, 7) + ": " + std::to_string(req().changes.prs.size()));
}

}  // namespace deploybot::workflow_detail
