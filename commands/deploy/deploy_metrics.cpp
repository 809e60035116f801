#include "commands/deploy/deploy_metrics.hpp"

#include "commands/workflow/watch.hpp"

namespace deploybot {

std::string_view new_outcome(const deploy_request& before, const deploy_request& after) {
    if (before.state == after.state || !is_terminal(after.state)) return {};
    return to_string(after.state);
}

deploy_metrics::deploy_metrics(metrics::registry& r, deploy_store& records)
    : deploys_(r.counters("deploybot_deploys_total",
                          "Production deploys and hotfixes reaching an outcome (live, failed, cancelled, unknown, "
                          "rolled_back), counted when the record enters it.",
                          {"kind", "outcome"})),
      rollbacks_(r.counters("deploybot_rollbacks_total",
                            "Rollbacks reaching an outcome (live = production is back on the earlier deployment).",
                            {"outcome"})),
      watch_results_(r.counters("deploybot_watch_results_total",
                                "Post-live watches that finished, by result (stable, regressed, partly_observed, "
                                "not_observed, ended).",
                                {"result"})) {
    // Zeros for the outcomes a dashboard asks about first.
    for (auto kind : {"production", "hotfix"})
        for (auto outcome : {"live", "failed"}) deploys_.with({kind, outcome});
    rollbacks_.with({"live"});
    rollbacks_.with({"failed"});
    auto& watching = r.gauge_metric("deploybot_watches_active", "Post-live watches in progress.");
    auto& alerts = r.gauge_metric("deploybot_watch_alerts_open",
                                  "Watches in progress with an alert nobody has acknowledged yet.");
    r.add_collector([&records, &watching, &alerts] {
        double active = 0, open = 0;
        for (const auto& rec : records.post_live_pending()) {
            if (rec.watch.phase != watch_phase::watching) continue;
            ++active;
            if (rec.watch.alert_open) ++open;
        }
        watching.set(active);
        alerts.set(open);
    });
}

void deploy_metrics::on_transition(const deploy_request& before, const deploy_request& after) {
    if (const auto outcome = new_outcome(before, after); !outcome.empty()) {
        if (after.kind == record_kind::rollback) rollbacks_.with({outcome}).inc();
        else deploys_.with({to_string(after.kind), outcome}).inc();
    }
    if (before.watch.phase == watch_phase::watching && is_finished(after.watch.phase))
        watch_results_.with({to_string(after.watch.phase)}).inc();
}

}  // namespace deploybot
