#include "commands/workflow/schedule.hpp"

#include <date/date.h>
#include <doctest/doctest.h>

using namespace deploybot;
using namespace std::chrono;

namespace {

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
    return date::sys_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} + minutes{mi};
}

config::schedule_t jakarta() { return config::schedule_t{}; }   // defaults: Tue/Thu 10–12 WIB, Fri blocked

}  // namespace

TEST_CASE("schedule: Tuesday 10:00 WIB is open and closes at 12:00 WIB") {
    const auto st = evaluate_schedule(jakarta(), utc(2026, 12, 1, 3));   // Tue 03:00Z = 10:00 WIB
    CHECK(st.is_open);
    REQUIRE(st.closes_at);
    CHECK(*st.closes_at == utc(2026, 12, 1, 5));
    CHECK(st.closes_at_text == "Tue 1 Dec 12:00 WIB");
    CHECK_FALSE(st.next_open);
}

TEST_CASE("schedule: Friday is closed and the next window is Tuesday") {
    const auto st = evaluate_schedule(jakarta(), utc(2026, 12, 4, 3));   // Fri 10:00 WIB
    CHECK_FALSE(st.is_open);
    REQUIRE(st.next_open);
    CHECK(*st.next_open == utc(2026, 12, 8, 3));
    CHECK(st.next_open_text == "Tue 8 Dec 10:00 WIB");
}

TEST_CASE("schedule: Thursday 12:00 WIB exactly is closed (end is exclusive)") {
    const auto st = evaluate_schedule(jakarta(), utc(2026, 12, 3, 5));
    CHECK_FALSE(st.is_open);
    REQUIRE(st.next_open);
    CHECK(st.next_open_text == "Tue 8 Dec 10:00 WIB");
    const auto before = evaluate_schedule(jakarta(), utc(2026, 12, 3, 4, 59));
    CHECK(before.is_open);
}

TEST_CASE("schedule: Tuesday before the window points at the same day") {
    const auto st = evaluate_schedule(jakarta(), utc(2026, 12, 1, 1));   // 08:00 WIB
    CHECK_FALSE(st.is_open);
    CHECK(st.next_open_text == "Tue 1 Dec 10:00 WIB");
    const auto wed = evaluate_schedule(jakarta(), utc(2026, 12, 2, 3));
    CHECK(wed.next_open_text == "Thu 3 Dec 10:00 WIB");
}

TEST_CASE("schedule: a blocked day is never open even when a window names it") {
    auto cfg = jakarta();
    cfg.windows = {deploy_window{{2, 4, 5}, 10 * 60, 12 * 60}};
    const auto fri = evaluate_schedule(cfg, utc(2026, 12, 4, 3));
    CHECK_FALSE(fri.is_open);
    CHECK(fri.next_open_text == "Tue 8 Dec 10:00 WIB");
}

TEST_CASE("schedule: no window within 14 days gives nullopt") {
    auto cfg = jakarta();
    cfg.blocked_days = {2, 4};
    const auto st = evaluate_schedule(cfg, utc(2026, 12, 1, 3));
    CHECK_FALSE(st.is_open);
    CHECK_FALSE(st.next_open);
    CHECK(st.next_open_text.empty());
    cfg.windows.clear();
    CHECK_FALSE(evaluate_schedule(cfg, utc(2026, 12, 1, 3)).next_open);
}

TEST_CASE("schedule: Europe/Amsterdam keeps local 10:00 across the March DST change") {
    config::schedule_t cfg;
    cfg.timezone = "Europe/Amsterdam";
    cfg.windows = {deploy_window{{2}, 10 * 60, 12 * 60}};
    cfg.blocked_days = {};
    // Tue 24 Mar 2026 10:00 CET = 09:00Z; DST starts Sun 29 Mar; Tue 31 Mar 10:00 CEST = 08:00Z.
    const auto before = evaluate_schedule(cfg, utc(2026, 3, 24, 9, 30));
    CHECK(before.is_open);
    CHECK(before.closes_at_text == "Tue 24 Mar 12:00 CET");
    const auto after = evaluate_schedule(cfg, utc(2026, 3, 24, 12));
    REQUIRE(after.next_open);
    CHECK(*after.next_open == utc(2026, 3, 31, 8));
    CHECK(after.next_open_text == "Tue 31 Mar 10:00 CEST");
    CHECK(evaluate_schedule(cfg, utc(2026, 3, 31, 8)).is_open);
    CHECK_FALSE(evaluate_schedule(cfg, utc(2026, 3, 31, 7, 59)).is_open);
}

TEST_CASE("schedule: adjacent windows merge into one closing time") {
    config::schedule_t cfg;
    cfg.timezone = "UTC";
    cfg.blocked_days = {};
    cfg.windows = {deploy_window{{1}, 9 * 60, 10 * 60}, deploy_window{{1}, 10 * 60, 11 * 60}};
    const auto st = evaluate_schedule(cfg, utc(2026, 11, 30, 9, 30));   // Monday
    CHECK(st.is_open);
    REQUIRE(st.closes_at);
    CHECK(*st.closes_at == utc(2026, 11, 30, 11));
}

TEST_CASE("schedule: describe_local uses the zone abbreviation") {
    CHECK(describe_local(jakarta(), utc(2026, 12, 3, 3)) == "Thu 3 Dec 10:00 WIB");
    config::schedule_t bad;
    bad.timezone = "Not/AZone";
    CHECK(describe_local(bad, utc(2026, 12, 3, 3)) == "Thu 3 Dec 03:00 UTC");
}
