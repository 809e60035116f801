#pragma once
// The deploy records' figures for /metrics: deploys, hotfixes and rollbacks by
// outcome (counted as each record enters a final state), watch results, and
// on each scrape the watches running and their open alerts.
#include "bot/metrics.hpp"
#include "commands/deploy/deploy_store.hpp"
#include "commands/workflow/deploy_request.hpp"

namespace deploybot {

class deploy_metrics {
public:
    // Registers the families and a collector that reads `records` on scrape.
    // `records` must outlive the registry's use (the app stops serving
    // /metrics before the modules go).
    deploy_metrics(metrics::registry& registry, deploy_store& records);

    // After a transition was saved: counts a new outcome or watch result.
    void on_transition(const deploy_request& before, const deploy_request& after);

private:
    metrics::family<metrics::counter>& deploys_;
    metrics::family<metrics::counter>& rollbacks_;
    metrics::family<metrics::counter>& watch_results_;
};

// Pure: the outcome label when `after` reached an outcome `before` did not
// have ("live", "failed", "cancelled", "unknown", "rolled_back"); "" otherwise.
std::string_view new_outcome(const deploy_request& before, const deploy_request& after);

}  // namespace deploybot
