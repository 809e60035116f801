#pragma once
#include "bot/config.hpp"

#include <chrono>
#include <optional>
#include <string>

// Deploy window policy (pure). Windows are in the configured IANA zone, so a
// DST change moves the UTC instants but never the local "Tue 10:00".
namespace deploybot {

struct window_status {
    bool is_open = false;
    // When open: the instant the current window (merged with windows that
    // start exactly when it ends) closes.
    std::optional<std::chrono::system_clock::time_point> closes_at;
    // When closed: start of the next open window within 14 days; nullopt when
    // there is none (no windows, or every window day is blocked).
    std::optional<std::chrono::system_clock::time_point> next_open;
    // describe_local() of closes_at / next_open, "" when absent.
    std::string closes_at_text;
    std::string next_open_text;
};

// An unknown timezone name is treated as UTC (config validation reports it).
window_status evaluate_schedule(const config::schedule_t& cfg, std::chrono::system_clock::time_point now);

// "Thu 3 Dec 10:00 WIB": weekday, day, month, 24h time and the zone's
// abbreviation at that instant.
std::string describe_local(const config::schedule_t& cfg, std::chrono::system_clock::time_point t);

}  // namespace deploybot
