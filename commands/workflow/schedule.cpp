#include "commands/workflow/schedule.hpp"

#include <date/tz.h>

#include <algorithm>
#include <stdexcept>

namespace deploybot {
namespace {

using sys_time = std::chrono::system_clock::time_point;

const date::time_zone* zone_of(const config::schedule_t& cfg) {
    try {
        return date::locate_zone(cfg.timezone);
    } catch (const std::runtime_error&) {
        return date::locate_zone("UTC");
    }
}

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Local wall time → instant. A start inside a spring-forward gap maps to the
// transition instant; an ambiguous (fall-back) time takes the earlier one.
sys_time to_sys(const date::time_zone* tz, date::local_time<std::chrono::minutes> lt) {
    auto info = tz->get_info(lt);
    switch (info.result) {
        case date::local_info::unique:
        case date::local_info::ambiguous:
            return sys_time{std::chrono::duration_cast<sys_time::duration>(
                (lt - info.first.offset).time_since_epoch())};
        case date::local_info::nonexistent:
        default:
            return sys_time{std::chrono::duration_cast<sys_time::duration>(info.second.begin.time_since_epoch())};
    }
}

struct interval {
    sys_time begin, end;
};

// Open intervals starting on local days [today-1, today+14], sorted by begin.
std::vector<interval> open_intervals(const config::schedule_t& cfg, const date::time_zone* tz, sys_time now) {
    const auto local_now = date::make_zoned(tz, now).get_local_time();
    const auto today = date::floor<date::days>(local_now);
    std::vector<interval> out;
    for (int d = -1; d <= 14; ++d) {
        const auto day = today + date::days{d};
        const int wd = static_cast<int>(date::weekday{day}.c_encoding());
        if (contains(cfg.blocked_days, wd)) continue;
        for (const auto& w : cfg.windows) {
            if (w.end_minute <= w.start_minute || !contains(w.days, wd)) continue;
            auto b = to_sys(tz, day + std::chrono::minutes{w.start_minute});
            auto e = to_sys(tz, day + std::chrono::minutes{w.end_minute});
            if (e > b) out.push_back({b, e});
        }
    }
    std::sort(out.begin(), out.end(), [](const interval& a, const interval& b) { return a.begin < b.begin; });
    return out;
}

}  // namespace

std::string describe_local(const config::schedule_t& cfg, sys_time t) {
    const auto zt = date::make_zoned(zone_of(cfg), date::floor<std::chrono::minutes>(t));
    const auto lt = zt.get_local_time();
    const date::year_month_day ymd{date::floor<date::days>(lt)};
    return date::format("%a ", lt) + std::to_string(static_cast<unsigned>(ymd.day())) + date::format(" %b %H:%M ", lt) +
           zt.get_info().abbrev;
}

window_status evaluate_schedule(const config::schedule_t& cfg, sys_time now) {
    const auto* tz = zone_of(cfg);
    const auto intervals = open_intervals(cfg, tz, now);
    window_status st;
    for (const auto& iv : intervals) {
        if (iv.begin <= now && now < iv.end) {
            // Extend through windows that overlap or touch the current one.
            sys_time end = iv.end;
            for (const auto& other : intervals)
                if (other.begin <= end && other.end > end) end = other.end;   // sorted: one pass
            st.is_open = true;
            st.closes_at = end;
            st.closes_at_text = describe_local(cfg, end);
            return st;
        }
    }
    for (const auto& iv : intervals) {
        if (iv.begin > now && iv.begin <= now + date::days{14}) {
            st.next_open = iv.begin;
            st.next_open_text = describe_local(cfg, iv.begin);
            break;
        }
    }
    return st;
}

}  // namespace deploybot
