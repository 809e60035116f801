#pragma once
// When the weekly stats digest is due (stats.weekly_digest): Monday 09:00 in
// schedule.timezone, one post per week. Pure: the zone's rules come from the
// tz database, the time is a parameter.
#include "bot/config.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace deploybot {

struct digest_slot {
    std::chrono::system_clock::time_point due{};   // that Monday 09:00 local, as an instant
    std::string week;                              // the Monday's local date, "2026-01-05"

    bool operator==(const digest_slot&) const = default;
};

// The first Monday 09:00 strictly after `now`.
digest_slot next_digest_slot(const config::schedule_t& cfg, std::chrono::system_clock::time_point now);
// The latest Monday 09:00 at or before `now`.
digest_slot last_digest_slot(const config::schedule_t& cfg, std::chrono::system_clock::time_point now);
// The slot of a week ("2026-01-05"); nullopt when it is not a Monday's date.
std::optional<digest_slot> digest_slot_of(const config::schedule_t& cfg, std::string_view week);

// What to arm when the bot starts, given the last week whose digest went out
// ("" = none ever): a missed Monday is owed once (its slot, already due, so
// it goes out late); otherwise the next Monday. A bot that never posted one
// starts with the next Monday rather than a late digest on its first day.
digest_slot digest_slot_to_arm(const config::schedule_t& cfg, std::chrono::system_clock::time_point now,
                               std::string_view last_posted_week);

// The scheduler key of a slot ("stats.digest:2026-01-05") and back.
inline constexpr std::string_view digest_timer_prefix = "stats.digest:";
std::string digest_timer_key(const digest_slot& s);
std::string_view digest_week_of_key(std::string_view key);

}  // namespace deploybot
