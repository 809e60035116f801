#include "commands/workflow/stats_digest.hpp"

#include <date/tz.h>

#include <cstdio>
#include <stdexcept>

namespace deploybot {
namespace {

using sys_time = std::chrono::system_clock::time_point;
constexpr auto digest_time = std::chrono::hours(9);

const date::time_zone* zone_of(const config::schedule_t& cfg) {
    try {
        return date::locate_zone(cfg.timezone);
    } catch (const std::runtime_error&) {
        return date::locate_zone("UTC");
    }
}

// 09:00 never falls in a DST gap in practice; if it did, the transition
// instant is taken (and the earlier of two in a fall-back overlap).
sys_time at_nine(const date::time_zone* tz, date::local_days day) {
    const auto lt = date::local_time<std::chrono::minutes>(day) + digest_time;
    const auto info = tz->get_info(lt);
    if (info.result == date::local_info::nonexistent)
        return std::chrono::time_point_cast<sys_time::duration>(info.second.begin);
    return std::chrono::time_point_cast<sys_time::duration>(tz->to_sys(lt, date::choose::earliest));
}

std::string week_name(date::local_days monday) {
    const date::year_month_day ymd{monday};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buf;
}

// The Monday of the local week containing `day`.
date::local_days monday_of(date::local_days day) {
    return day - (date::weekday{day} - date::Monday);
}

digest_slot slot(const date::time_zone* tz, date::local_days monday) { return {at_nine(tz, monday), week_name(monday)}; }

}  // namespace

digest_slot last_digest_slot(const config::schedule_t& cfg, sys_time now) {
    const auto* tz = zone_of(cfg);
    const auto today = date::floor<date::days>(tz->to_local(now));
    auto monday = monday_of(today);
    auto s = slot(tz, monday);
    if (s.due > now) s = slot(tz, monday - date::weeks{1});
    return s;
}

digest_slot next_digest_slot(const config::schedule_t& cfg, sys_time now) {
    const auto* tz = zone_of(cfg);
    const auto today = date::floor<date::days>(tz->to_local(now));
    auto s = slot(tz, monday_of(today));
    if (s.due <= now) s = slot(tz, monday_of(today) + date::weeks{1});
    return s;
}

std::optional<digest_slot> digest_slot_of(const config::schedule_t& cfg, std::string_view week) {
    int y = 0;
    unsigned m = 0, d = 0;
    char tail = 0;
    if (week.size() != 10) return std::nullopt;
    const std::string text(week);
    if (std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) return std::nullopt;
    const date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
    if (!ymd.ok()) return std::nullopt;
    const date::local_days day{ymd};
    if (date::weekday{day} != date::Monday) return std::nullopt;
    auto s = slot(zone_of(cfg), day);
    if (s.week != week) return std::nullopt;
    return s;
}

digest_slot digest_slot_to_arm(const config::schedule_t& cfg, sys_time now, std::string_view last_posted_week) {
    const auto last = last_digest_slot(cfg, now);
    // Weeks compare as ISO dates: a later week is a greater string.
    if (!last_posted_week.empty() && last_posted_week < std::string_view(last.week)) return last;
    return next_digest_slot(cfg, now);
}

std::string digest_timer_key(const digest_slot& s) { return std::string(digest_timer_prefix) + s.week; }

std::string_view digest_week_of_key(std::string_view key) {
    if (!key.starts_with(digest_timer_prefix)) return {};
    return key.substr(digest_timer_prefix.size());
}

}  // namespace deploybot
