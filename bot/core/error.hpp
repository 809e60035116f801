#pragma once
// The bot's one failure vocabulary: `errc` says *what* went wrong (callers
// decide on it), `failure` carries the diagnostics (which service, its HTTP
// status, its own word, human text). Boost.MySQL's model: an error code plus a
// diagnostics struct.
#include <boost/assert/source_location.hpp>
#include <boost/describe/enum.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace deploybot {

namespace system = boost::system;

template <class T>
using result = boost::system::result<T>;

// Failures the bot expects and handles; everything else is a bug (exception).
enum class errc {
    ok = 0,
    timeout = 1,
    bad_url,
    http_status,          // an HTTP status we do not classify (not 4xx/5xx)
    body_too_large,
    bad_json,
    rejected,             // the service said no for a reason we do not classify (`reason` says which)
    rate_limited,         // the service rate-limited us (429, Slack's ratelimited) beyond the waits we honour
    auth_failed,          // unrecoverable token problem
    handshake_failed,
    connection_closed,
    tls_error,
    cancelled,
    not_found,
    conflict,
    invalid_config,
    storage_error,
    // A request that changes something was sent, and no answer came back (reset,
    // end of stream, timeout): it may or may not have been carried out.
    outcome_unknown,
    transport,            // no HTTP answer, and nothing was carried out that we know of
    forbidden,            // the token works but may not do this
    unavailable,          // the service's own failure (5xx, Slack's internal_error …)
    bad_request,          // the service refused the request as malformed or invalid (400, 422)
    bad_response,         // an answer that lacks what it must carry
    no_trace,             // a mutation whose answer was lost left no trace in the service's state
    not_answering,        // the service answered none of our reads for too long
};
BOOST_DESCRIBE_ENUM(errc, ok, timeout, bad_url, http_status, body_too_large, bad_json, rejected, rate_limited,
                    auth_failed, handshake_failed, connection_closed, tls_error, cancelled, not_found, conflict,
                    invalid_config, storage_error, outcome_unknown, transport, forbidden, unavailable, bad_request,
                    bad_response, no_trace, not_answering)

const system::error_category& deploybot_category() noexcept;

inline system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), deploybot_category()};
}

// An expected failure of a call to Slack, GitHub, Vercel or Sentry, shown to
// users as-is. Never holds a token.
struct failure {
    // Explicit: an aggregate would be constructible from one string (C++20
    // paren-init), which makes result<std::string, failure> ambiguous. `reason`
    // is set by the few places that have the service's own word.
    failure() = default;
    explicit failure(errc code_, std::string service_ = {}, int http_status_ = 0, std::string detail_ = {},
                     std::optional<std::chrono::seconds> retry_after_ = {})
        : code(code_), service(std::move(service_)), http_status(http_status_), detail(std::move(detail_)),
          retry_after(retry_after_) {}

    errc code = errc::ok;
    std::string service;        // "slack", "github", "vercel", "sentry"
    int http_status = 0;        // 0 = no HTTP answer
    std::string reason;         // the service's own word when it gave one ("channel_not_found", Vercel's error code)
    std::string detail;         // human text, never a token
    std::optional<std::chrono::seconds> retry_after;   // when a retry could succeed

    // `reason` when the service gave one, else the errc's name.
    std::string_view word() const noexcept;
    // "vercel 404 not_found: Deployment not found (retry after 12 s)";
    // Slack: "channel_not_found (chat.postMessage)".
    std::string to_string() const;
};

template <class T>
using outcome = boost::system::result<T, failure>;

// Lets outcome<T>::value() throw (bugs only; callers test has_value()).
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

// Pure: the errc for a request that got no HTTP response. outcome_unknown = a
// mutation went out and nothing came back (it may have been carried out);
// timeout; else transport.
errc transport_code(const system::error_code& ec) noexcept;

// Pure: true when a failure says a mutation may have been carried out: no
// answer after it was sent, or a gateway error (502/503/504) that may hide a success.
bool outcome_unknown(const failure& f) noexcept;

// Pure: Slack's error word (reference/slack.md §3.4) → errc. Token problems →
// auth_failed, ratelimited → rate_limited, *_not_found → not_found, …; a word
// we do not classify → rejected.
errc slack_errc(std::string_view reason) noexcept;

// Pure: an HTTP error status → errc (401 auth_failed, 403 forbidden, 404
// not_found, 409 conflict, 400/422 bad_request, 429 rate_limited, 5xx
// unavailable, other 4xx rejected, anything else http_status).
errc status_errc(int http_status) noexcept;

}  // namespace deploybot

template <>
struct boost::system::is_error_code_enum<deploybot::errc> : std::true_type {};
