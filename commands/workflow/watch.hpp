#pragma once
// The one-hour watch after production goes live (issue #8, sentry.md §2/§4):
// the persisted part of a deploy record, and the pure rules that decide what a
// check means. No I/O here: counts come in, verdicts and texts' facts go out.
#include "bot/core/enum_names.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot {

// watching → stable | regressed | partly_observed | not_observed, or ended
// early when production changed under the watch (rolled back, superseded).
BOOST_DEFINE_ENUM_CLASS(watch_phase, none, watching, stable, regressed, partly_observed, not_observed, ended)
std::string_view to_string(watch_phase p);
watch_phase parse_watch_phase(std::string_view s);
bool is_finished(watch_phase p);   // any phase after watching

struct watch_check {
    int index = 0;                 // 1-based: interval [T + (index-1)·i, T + index·i)
    bool observed = false;         // false: Sentry gave no data ("no data is not a pass")
    std::int64_t events = 0;
    bool regression = false;
    std::string note;              // why not observed, e.g. "sentry 503 unavailable"

    bool operator==(const watch_check&) const = default;
};

struct new_issue_ref {
    std::string short_id, title, url;
    std::int64_t count = 0;

    bool operator==(const new_issue_ref&) const = default;
};

struct watch_info {
    watch_phase phase = watch_phase::none;
    std::chrono::system_clock::time_point live_at{};   // T: when production started serving it
    std::int64_t duration_s = 0;      // fixed when the watch starts (monitoring.duration_s)
    std::int64_t interval_s = 0;      // monitoring.interval_s
    std::int64_t baseline_hour = -1;  // errors in [T-1h, T); -1 = not known (yet)
    std::int64_t last_week_hour = -1; // errors in [T-7d, T-7d+1h); -1 = Sentry does not have it
    bool marker_recorded = false;     // Sentry release + deploy recorded (or given up on)
    std::vector<watch_check> checks;  // in order; at most intervals() entries
    int progress_posted = 0;          // checks whose thread line Slack has (the rest are owed)
    int alerts = 0;
    bool alert_open = false;          // an alert nobody acknowledged yet
    std::int64_t alert_events = -1;   // the figure of the last alert
    int alert_index = 0;              // the check that raised the last alert
    bool alert_owed = false;          // the last alert is not in Slack yet
    std::string alert_ts;
    std::string acked_by;             // who said "looks fine" to the last alert
    std::vector<new_issue_ref> new_issues;   // reported so far (bounded)
    bool summary_owed = false;        // the final summary is not in Slack yet
    std::string summary_ts;
    std::string ended_reason;         // phase ended: "rolled back by rollback #7", …

    int intervals() const;            // duration / interval, at least 1
    int observed_count() const;

    bool operator==(const watch_info&) const = default;
};

inline constexpr std::size_t max_tracked_new_issues = 20;

// The regression rule (config keys monitoring.min_events, monitoring.ratio).
struct watch_policy {
    std::int64_t min_events = 10;
    double ratio = 3.0;
};

// Expected errors per interval from the baseline hours: the larger of the hour
// before and the same hour a week earlier, scaled to one interval. nullopt when
// neither is known.
std::optional<double> baseline_per_interval(const watch_info& w);

// Pure: alert when the interval's events reach min_events AND ratio × the
// baseline per interval. Without a baseline, ratio × min_events is the bar
// (a busy site with no readable history must not page on its normal level).
bool is_regression(std::int64_t events, std::optional<double> baseline, const watch_policy& p);

// Pure: does a regressing check page the channel? The first regression does;
// while an alert is open the next ones go to the thread only; after "looks
// fine" only an interval worse than the acknowledged one pages again.
bool should_alert(const watch_info& before, const watch_check& check);

// Pure: the verdict once every interval was checked.
watch_phase final_phase(const watch_info& w);

// "observed 35 of 60 min"
std::string describe_observed(const watch_info& w);

}  // namespace deploybot
