// The one failure vocabulary: errc names, failure::to_string() shapes, Slack's
// words and HTTP statuses → errc.
#include "bot/core/enum_names.hpp"
#include "bot/core/error.hpp"

#include <boost/system/result.hpp>
#include <doctest/doctest.h>

#include <string>
#include <type_traits>

using namespace deploybot;

TEST_CASE("errc: described, so every value has a name and a message") {
    CHECK(enum_name(errc::no_trace) == "no_trace");
    CHECK(enum_name(errc::rejected) == "rejected");
    CHECK(make_error_code(errc::timeout).message() == "timed out");
    CHECK(make_error_code(errc::not_answering).message() == "not answering");
    CHECK(make_error_code(static_cast<errc>(999)).message() == "unknown deploybot error");
    CHECK(make_error_code(errc::not_found).category().name() == std::string("deploybot"));
}

TEST_CASE("failure: a string never converts to one by accident") {
    static_assert(!std::is_convertible_v<std::string, failure>);
    static_assert(!std::is_constructible_v<failure, std::string>);
    static_assert(!std::is_convertible_v<errc, failure>);
    outcome<std::string> s = std::string("x");   // unambiguous
    CHECK(s.value() == "x");
    outcome<std::string> f = failure(errc::timeout, "vercel");
    CHECK(f.error().code == errc::timeout);
}

TEST_CASE("failure::to_string: today's shapes") {
    failure v(errc::rate_limited, "vercel", 429, "Rate limit exceeded", std::chrono::seconds(12));
    CHECK(v.to_string() == "vercel 429 rate_limited: Rate limit exceeded (retry after 12 s)");
    // The service's own word wins over the errc's name.
    failure n(errc::not_found, "vercel", 404, "Deployment not found");
    n.reason = "deployment_not_found";
    CHECK(n.word() == "deployment_not_found");
    CHECK(n.to_string() == "vercel 404 deployment_not_found: Deployment not found");
    // No HTTP answer: no status.
    CHECK(failure(errc::outcome_unknown, "github").to_string() == "github outcome_unknown");
    CHECK(failure(errc::transport, "sentry", 0, "Connection refused").to_string() ==
          "sentry transport: Connection refused");
    // Slack: its word, then what was called.
    failure s(errc::not_found, "slack", 200, "chat.postMessage");
    s.reason = "channel_not_found";
    CHECK(s.to_string() == "channel_not_found (chat.postMessage)");
    CHECK(failure(errc::timeout, "slack").to_string() == "timeout");
}

TEST_CASE("throw_exception_from_error: value() of a failed outcome throws its text") {
    outcome<int> r = failure(errc::bad_json, "github", 0, "unexpected pull response");
    CHECK_THROWS_WITH(r.value(), "github bad_json: unexpected pull response");
}

TEST_CASE("transport_code and outcome_unknown") {
    CHECK(transport_code(make_error_code(errc::outcome_unknown)) == errc::outcome_unknown);
    CHECK(transport_code(make_error_code(errc::timeout)) == errc::timeout);
    CHECK(transport_code(make_error_code(boost::system::errc::connection_refused)) == errc::transport);
    CHECK(outcome_unknown(failure(errc::outcome_unknown, "vercel")));
    for (int s : {502, 503, 504}) CHECK(outcome_unknown(failure(errc::unavailable, "vercel", s)));
    CHECK_FALSE(outcome_unknown(failure(errc::unavailable, "vercel", 500)));
    CHECK_FALSE(outcome_unknown(failure(errc::timeout, "vercel")));
    CHECK_FALSE(outcome_unknown(failure(errc::rate_limited, "vercel", 429)));
}

TEST_CASE("slack_errc: Slack's words (reference/slack.md §3.4) → errc") {
    for (auto w : {"not_authed", "invalid_auth", "account_inactive", "user_removed_from_team", "team_disabled",
                   "token_revoked", "token_expired", "not_allowed_token_type", "no_permission", "missing_scope",
                   "forbidden_team"}) {
        CAPTURE(w);
        CHECK(slack_errc(w) == errc::auth_failed);
    }
    CHECK(slack_errc("ratelimited") == errc::rate_limited);
    CHECK(slack_errc("rate_limited") == errc::rate_limited);
    for (auto w : {"channel_not_found", "message_not_found", "user_not_found", "thread_not_found"})
        CHECK(slack_errc(w) == errc::not_found);
    for (auto w : {"not_in_channel", "is_archived", "restricted_action", "cant_update_message", "edit_window_closed",
                   "user_not_in_channel"})
        CHECK(slack_errc(w) == errc::forbidden);
    for (auto w : {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long", "no_text",
                   "invalid_arguments", "missing_args", "expired_trigger_id", "invalid_metadata_format"})
        CHECK(slack_errc(w) == errc::bad_request);
    for (auto w : {"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
        CHECK(slack_errc(w) == errc::unavailable);
    CHECK(slack_errc("something_new") == errc::rejected);
    CHECK(slack_errc("") == errc::rejected);
    CHECK(slack_errc("_not_found") == errc::not_found);
}

TEST_CASE("status_errc: HTTP error statuses → errc") {
    CHECK(status_errc(400) == errc::bad_request);
    CHECK(status_errc(422) == errc::bad_request);
    CHECK(status_errc(401) == errc::auth_failed);
    CHECK(status_errc(403) == errc::forbidden);
    CHECK(status_errc(404) == errc::not_found);
    CHECK(status_errc(409) == errc::conflict);
    CHECK(status_errc(429) == errc::rate_limited);
    CHECK(status_errc(402) == errc::rejected);
    CHECK(status_errc(410) == errc::rejected);
    CHECK(status_errc(500) == errc::unavailable);
    CHECK(status_errc(503) == errc::unavailable);
    CHECK(status_errc(302) == errc::http_status);
    CHECK(status_errc(0) == errc::http_status);
}
