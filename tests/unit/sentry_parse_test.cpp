// Pure parts of the Sentry client: time format, parsers, error mapping, retry decision.
#include "bot/log.hpp"
#include "integrations/sentry/sentry_client.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <limits>
#include <string>

using namespace deploybot;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

const std::chrono::system_clock::time_point jan6 = std::chrono::sys_days{std::chrono::year{2026} / 1 / 6};
constexpr std::int64_t max_int64 = std::numeric_limits<std::int64_t>::max();

api_retry_options fast_retry() {
    api_retry_options o;
    o.max_attempts = 4;
    o.max_wait = 5000ms;
    o.backoff_base = 100ms;
    return o;
}

}  // namespace

TEST_CASE("sentry parse: ISO time is UTC with seconds precision, no zone") {
    CHECK(sentry_iso_time(jan6 + 3h + 5min) == "2026-01-06T03:05:00");
    CHECK(sentry_iso_time(jan6 + 23h + 59min + 59s + 999ms) == "2026-01-06T23:59:59");
    CHECK(sentry_iso_time(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00");
    CHECK(sentry_iso_time(std::chrono::system_clock::time_point{} - 1s) == "1969-12-31T23:59:59");
    CHECK(sentry_iso_time(std::chrono::sys_days{std::chrono::year{2028} / 2 / 29} + 12h) == "2028-02-29T12:00:00");
}

TEST_CASE("sentry parse: count() as an integer, a numeric string, or no row") {
    auto n = parse_sentry_count(R"j({"data":[{"count()":184,"count_unique(issue)":9}],"meta":{"fields":{"count()":"integer"}}})j");
    REQUIRE(n.has_value());
    CHECK(*n == 184);
    auto s = parse_sentry_count(R"j({"data":[{"count()":"77"}]})j");
    REQUIRE(s.has_value());
    CHECK(*s == 77);
    auto d = parse_sentry_count(R"j({"data":[{"count()":12.0}]})j");
    REQUIRE(d.has_value());
    CHECK(*d == 12);
    auto empty = parse_sentry_count(R"j({"data":[],"meta":{}})j");
    REQUIRE(empty.has_value());
    CHECK(*empty == 0);
    auto huge = parse_sentry_count(R"j({"data":[{"count()":"99999999999999999999999"}]})j");
    REQUIRE(huge.has_value());
    CHECK(*huge == max_int64);
}

TEST_CASE("sentry parse: anything else is a bad_json error, never a made-up count") {
    for (std::string body : {R"j({"data":[{"count_unique(user)":3}]})j", R"j({"data":[{"count()":null}]})j",
                             R"j({"data":[{"count()":"12abc"}]})j", R"j({"data":[{"count()":-4}]})j",
                             R"j({"data":[{"count()":"-4"}]})j", R"j({"data":[{"count()":1e300}]})j",
                             R"j({"data":{"count()":1}})j", R"j({"meta":{}})j", R"j([1])j", R"j({"data":[7]})j",
                             "<html>502 Bad Gateway</html>", ""}) {
        CAPTURE(body);
        auto r = parse_sentry_count(body);
        REQUIRE(r.has_error());
        CHECK(r.error().service == "sentry");
        CHECK(r.error().code == errc::bad_json);
    }
}

TEST_CASE("sentry parse: issues with a string count, tolerant of missing fields") {
    auto r = parse_sentry_issues(R"j([
      {"id":"6123400987","shortId":"SHOP-WEB-3K","title":"TypeError: cart.items is undefined",
       "culprit":"app/cart/page","level":"error","status":"unresolved","count":"121","userCount":48,
       "firstSeen":"2026-01-06T03:09:41Z","lastSeen":"2026-01-06T04:01:12Z",
       "permalink":"https://acme.sentry.io/issues/6123400987/","project":{"id":"4501234","slug":"shop-web"}},
      {"id":"6123400988"},
      {"id":"6123400989","count":"lots","userCount":"7"},
      {"id":"6123400990","count":55,"userCount":-3},
      "not an issue", 42, null
    ])j");
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 4);
    const auto& a = (*r)[0];
    CHECK(a.id == "6123400987");
    CHECK(a.short_id == "SHOP-WEB-3K");
    CHECK(a.title == "TypeError: cart.items is undefined");
    CHECK(a.culprit == "app/cart/page");
    CHECK(a.level == "error");
    CHECK(a.permalink == "https://acme.sentry.io/issues/6123400987/");
    CHECK(a.count == 121);
    CHECK(a.user_count == 48);
    CHECK(a.first_seen == "2026-01-06T03:09:41Z");
    CHECK((*r)[1].short_id.empty());
    CHECK((*r)[1].count == 0);
    CHECK((*r)[1].first_seen.empty());
    CHECK((*r)[2].count == 0);
    CHECK((*r)[2].user_count == 7);
    CHECK((*r)[3].count == 55);
    CHECK((*r)[3].user_count == 0);

    auto none = parse_sentry_issues("[]");
    REQUIRE(none.has_value());
    CHECK(none->empty());
    for (std::string body : {R"j({"detail":"x"})j", "not json", ""}) {
        CAPTURE(body);
        auto bad = parse_sentry_issues(body);
        REQUIRE(bad.has_error());
        CHECK(bad.error().code == errc::bad_json);
    }
}

TEST_CASE("sentry parse: errors carry the detail and the code for the status") {
    auto e = parse_sentry_error(404, R"j({"detail":"The requested resource does not exist"})j");
    CHECK(e.service == "sentry");
    CHECK(e.http_status == 404);
    CHECK(e.code == errc::not_found);
    CHECK(e.detail == "The requested resource does not exist");
    CHECK(parse_sentry_error(400, R"j({"detail":"Invalid query: x"})j").code == errc::bad_request);
    CHECK(parse_sentry_error(401, R"j({"detail":"Invalid token"})j").code == errc::auth_failed);
    CHECK(parse_sentry_error(403, "{}").code == errc::forbidden);
    CHECK(parse_sentry_error(429, "{}").code == errc::rate_limited);
    CHECK(parse_sentry_error(503, "{}").code == errc::unavailable);
    CHECK(parse_sentry_error(409, "{}").code == errc::conflict);
    CHECK(parse_sentry_error(502, "<html>Bad Gateway</html>").detail == "HTTP 502");
    CHECK(parse_sentry_error(403, R"j({"detail":{"code":"x","message":"Feature not enabled"}})j").detail ==
          "Feature not enabled");
    CHECK(parse_sentry_error(400, R"j({"version":["This field is required."]})j").detail ==
          "version: This field is required.");
}

TEST_CASE("sentry parse: an error message from a body is bounded and scrubbed of secrets") {
    const std::string secret = "sntry-unit-secret-4f1c9e";
    log::add_secret(secret);
    std::string detail = "bad token " + secret + " ";
    for (int i = 0; i < 400; ++i) detail += "é";   // 2 bytes each: the cut must not split one
    auto e = parse_sentry_error(401, R"j({"detail":")j" + detail + R"j("})j");
    CHECK(e.detail.find(secret) == std::string::npos);
    CHECK(e.detail.rfind("bad token ", 0) == 0);
    CHECK(e.detail.size() <= sentry_max_error_bytes + 32);
    CHECK(e.detail.size() > 100);
    // Valid UTF-8: no stray continuation byte before the truncation marker.
    auto cut = e.detail.find("\xC3\xA9\xE2");   // "é" followed by "…"
    CHECK(cut != std::string::npos);
}

TEST_CASE("sentry retry: 429 waits until X-Sentry-Rate-Limit-Reset, capped at max_wait") {
    const auto opt = fast_retry();
    const std::int64_t now = 1767668700000;   // ms
    sentry_limit_signals s{429, now / 1000 + 2, std::nullopt};
    auto d = decide_sentry_retry(s, 1, true, now, opt);
    CHECK(d.action == retry_action::retry);
    CHECK(d.wait == 2000ms);

    s.reset_epoch_s = now / 1000 + 3600;
    d = decide_sentry_retry(s, 1, true, now, opt);
    CHECK(d.action == retry_action::retry);
    CHECK(d.wait == 5000ms);

    s.reset_epoch_s = now / 1000 - 10;   // already passed
    CHECK(decide_sentry_retry(s, 1, true, now, opt).wait == 0ms);

    s.reset_epoch_s = std::nullopt;
    s.retry_after = 3s;
    CHECK(decide_sentry_retry(s, 1, true, now, opt).wait == 3000ms);

    s.retry_after = std::nullopt;
    CHECK(decide_sentry_retry(s, 1, true, now, opt).wait == 100ms);
    CHECK(decide_sentry_retry(s, 3, true, now, opt).wait == 400ms);
}

TEST_CASE("sentry retry: hostile reset values never overflow") {
    const auto opt = fast_retry();
    for (std::int64_t reset : {max_int64, max_int64 / 1000, max_int64 / 1000 + 1, std::numeric_limits<std::int64_t>::min(),
                               std::int64_t{-1}, std::int64_t{0}}) {
        CAPTURE(reset);
        sentry_limit_signals s{429, reset, std::nullopt};
        auto d = decide_sentry_retry(s, 1, true, 1767668700000, opt);
        CHECK(d.action == retry_action::retry);
        CHECK(d.wait >= 0ms);
        CHECK(d.wait <= opt.max_wait);
        auto last = decide_sentry_retry(s, opt.max_attempts, true, 1767668700000, opt);
        CHECK(last.action == retry_action::give_up);
        CHECK(last.wait >= 0ms);
        CHECK(last.wait <= milliseconds(24LL * 3600 * 1000));
    }
}

TEST_CASE("sentry retry: 5xx and transport back off; attempts bounded; POST and 4xx never retried") {
    const auto opt = fast_retry();
    const std::int64_t now = 1767668700000;
    auto d = decide_sentry_retry({503, std::nullopt, std::nullopt}, 2, true, now, opt);
    CHECK(d.action == retry_action::retry);
    CHECK(d.wait == 200ms);
    d = decide_sentry_retry({500, std::nullopt, std::nullopt}, 4, true, now, opt);
    CHECK(d.action == retry_action::give_up);
    CHECK(d.code == errc::unavailable);
    d = decide_sentry_retry({0, std::nullopt, std::nullopt}, 1, true, now, opt);
    CHECK(d.action == retry_action::retry);
    d = decide_sentry_retry({0, std::nullopt, std::nullopt}, 4, true, now, opt);
    CHECK(d.action == retry_action::give_up);
    CHECK(d.code == errc::ok);   // the caller keeps the transport code
    d = decide_sentry_retry({429, now / 1000 + 1, std::nullopt}, 4, true, now, opt);
    CHECK(d.action == retry_action::give_up);
    CHECK(d.code == errc::rate_limited);
    CHECK(d.wait == 1000ms);

    for (int status : {0, 429, 500, 502}) {
        CAPTURE(status);
        CHECK(decide_sentry_retry({status, std::nullopt, std::nullopt}, 1, false, now, opt).action ==
              retry_action::give_up);
    }
    for (int status : {200, 201, 208, 400, 401, 403, 404, 409}) {
        CAPTURE(status);
        CHECK(decide_sentry_retry({status, std::nullopt, std::nullopt}, 1, true, now, opt).action ==
              retry_action::done);
    }
    auto big = opt;
    big.max_attempts = 100;
    big.max_wait = milliseconds(max_int64);
    auto far = decide_sentry_retry({503, std::nullopt, std::nullopt}, 60, true, now, big);
    CHECK(far.action == retry_action::retry);
    CHECK(far.wait > 0ms);
}
