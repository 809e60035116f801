#include "commands/workflow/stats_digest.hpp"

#include <date/date.h>
#include <doctest/doctest.h>

using namespace deploybot;
using namespace std::chrono;

namespace {

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
    return date::sys_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} + minutes{mi};
}

config::schedule_t zone(const char* name) {
    config::schedule_t s;
    s.timezone = name;
    return s;
}

}  // namespace

TEST_CASE("digest: Monday 09:00 WIB is 02:00 UTC all year in Asia/Jakarta") {
    const auto jkt = zone("Asia/Jakarta");
    // Wed 7 Jan 2026 → Mon 12 Jan.
    auto s = next_digest_slot(jkt, utc(2026, 1, 7, 12));
    CHECK(s.due == utc(2026, 1, 12, 2));
    CHECK(s.week == "2026-01-12");
    // Monday 08:59 WIB → that same Monday; 09:00 exactly → the next one.
    CHECK(next_digest_slot(jkt, utc(2026, 1, 12, 1, 59)).week == "2026-01-12");
    CHECK(next_digest_slot(jkt, utc(2026, 1, 12, 2)).week == "2026-01-19");
    // Sunday 23:30 UTC is already Monday 06:30 in Jakarta.
    CHECK(next_digest_slot(jkt, utc(2026, 1, 11, 23, 30)).due == utc(2026, 1, 12, 2));
    // Summer: still 02:00 UTC.
    CHECK(next_digest_slot(jkt, utc(2026, 7, 1, 0)).due == utc(2026, 7, 6, 2));
    CHECK(last_digest_slot(jkt, utc(2026, 1, 12, 2)).week == "2026-01-12");
    CHECK(last_digest_slot(jkt, utc(2026, 1, 12, 1, 59)).week == "2026-01-05");
}

TEST_CASE("digest: in a zone with DST the Monday stays 09:00 local across the change") {
    const auto ams = zone("Europe/Amsterdam");
    // CET (UTC+1): Mon 23 Mar 2026 09:00 = 08:00 UTC.
    CHECK(next_digest_slot(ams, utc(2026, 3, 20, 12)).due == utc(2026, 3, 23, 8));
    // Clocks go forward Sun 29 Mar: Mon 30 Mar 09:00 CEST = 07:00 UTC, a week minus an hour later.
    const auto after = next_digest_slot(ams, utc(2026, 3, 23, 8));
    CHECK(after.week == "2026-03-30");
    CHECK(after.due == utc(2026, 3, 30, 7));
    // Asked on the Sunday of the change itself, at 01:30 UTC (03:30 CEST).
    CHECK(next_digest_slot(ams, utc(2026, 3, 29, 1, 30)).due == utc(2026, 3, 30, 7));
    // And back in October (Sun 25 Oct): Mon 26 Oct 09:00 CET = 08:00 UTC.
    CHECK(next_digest_slot(ams, utc(2026, 10, 24, 0)).due == utc(2026, 10, 26, 8));
}

TEST_CASE("digest: week keys round-trip and reject what is not a Monday") {
    const auto jkt = zone("Asia/Jakarta");
    const auto s = next_digest_slot(jkt, utc(2026, 1, 7, 12));
    CHECK(digest_timer_key(s) == "stats.digest:2026-01-12");
    CHECK(digest_week_of_key("stats.digest:2026-01-12") == "2026-01-12");
    CHECK(digest_week_of_key("watch:3").empty());
    const auto back = digest_slot_of(jkt, "2026-01-12");
    REQUIRE(back);
    CHECK(*back == s);
    CHECK_FALSE(digest_slot_of(jkt, "2026-01-13"));   // a Tuesday
    CHECK_FALSE(digest_slot_of(jkt, "2026-02-30"));
    CHECK_FALSE(digest_slot_of(jkt, "garbage"));
    CHECK_FALSE(digest_slot_of(jkt, ""));
}

TEST_CASE("digest: on start a missed Monday is owed once, otherwise the next Monday") {
    const auto jkt = zone("Asia/Jakarta");
    const auto wed = utc(2026, 1, 14, 5);   // Wed 14 Jan
    // Never posted any: start with the next Monday, no late digest on the first day.
    CHECK(digest_slot_to_arm(jkt, wed, "").week == "2026-01-19");
    // Posted 12 Jan's: nothing owed.
    CHECK(digest_slot_to_arm(jkt, wed, "2026-01-12").week == "2026-01-19");
    // Last posted 5 Jan, down on 12 Jan: 12 Jan's is owed (already due, so it fires at once) …
    const auto owed = digest_slot_to_arm(jkt, wed, "2026-01-05");
    CHECK(owed.week == "2026-01-12");
    CHECK(owed.due <= wed);
    // … and after three missed weeks only the latest one is.
    CHECK(digest_slot_to_arm(jkt, utc(2026, 2, 4, 5), "2026-01-05").week == "2026-02-02");
}
