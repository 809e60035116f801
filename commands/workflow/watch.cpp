#include "commands/workflow/watch.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace deploybot {


std::string_view to_string(watch_phase p) { return enum_name(p, "none"); }

watch_phase parse_watch_phase(std::string_view s) { return enum_from_name<watch_phase>(s).value_or(watch_phase::none); }

bool is_finished(watch_phase p) {
    switch (p) {
    case watch_phase::none:
    case watch_phase::watching: return false;
    case watch_phase::stable:
    case watch_phase::regressed:
    case watch_phase::partly_observed:
    case watch_phase::not_observed:
    case watch_phase::ended: return true;
    }
    return false;
}

int watch_info::intervals() const {
    if (interval_s <= 0 || duration_s <= 0) return 1;
    return static_cast<int>(std::clamp<std::int64_t>((duration_s + interval_s - 1) / interval_s, 1, 10000));
}

int watch_info::observed_count() const {
    return static_cast<int>(std::count_if(checks.begin(), checks.end(), [](const watch_check& c) { return c.observed; }));
}

std::optional<double> baseline_per_interval(const watch_info& w) {
    const auto hour = std::max(w.baseline_hour, w.last_week_hour);
    if (hour < 0 || w.interval_s <= 0) return std::nullopt;
    return static_cast<double>(hour) * static_cast<double>(w.interval_s) / 3600.0;
}

bool is_regression(std::int64_t events, std::optional<double> baseline, const watch_policy& p) {
    if (events < p.min_events) return false;
    const double bar = baseline ? p.ratio * *baseline : p.ratio * static_cast<double>(p.min_events);
    return static_cast<double>(events) >= bar;
}

bool should_alert(const watch_info& before, const watch_check& check) {
    if (!check.regression) return false;
    if (before.alerts == 0) return true;
    if (before.alert_open) return false;
    return check.events > before.alert_events;
}

watch_phase final_phase(const watch_info& w) {
    if (std::any_of(w.checks.begin(), w.checks.end(), [](const watch_check& c) { return c.regression; }))
        return watch_phase::regressed;
    const int observed = w.observed_count();
    if (observed == 0) return watch_phase::not_observed;
    if (observed < w.intervals()) return watch_phase::partly_observed;
    return watch_phase::stable;
}

std::string describe_observed(const watch_info& w) {
    const auto minutes = [](std::int64_t s) { return std::to_string((s + 30) / 60); };
    const std::int64_t total = static_cast<std::int64_t>(w.intervals()) * w.interval_s;
    return "observed " + minutes(static_cast<std::int64_t>(w.observed_count()) * w.interval_s) + " of " +
           minutes(std::min(total, std::max(w.duration_s, w.interval_s))) + " min";
}

}  // namespace deploybot
