#pragma once
// Retry / rate-limit decisions shared by the GitHub and Vercel clients.
// Pure functions: they take the signals of one response plus the attempt
// number and the clock value, and say whether (and how long) to wait.
#include "bot/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deploybot {

// Epoch seconds from a server header → milliseconds, saturating (never overflows).
std::int64_t epoch_s_to_ms(std::int64_t epoch_s);

// Knobs for retries and waits. Tests shrink max_wait so nothing sleeps a minute.
struct api_retry_options {
    int max_attempts = 4;                               // total tries of one idempotent call
    std::chrono::milliseconds max_wait{120000};         // longest single wait honoured
    std::chrono::milliseconds backoff_base{2000};       // first exponential backoff step
    std::chrono::milliseconds secondary_min_wait{60000};   // GitHub secondary limit floor
};

enum class retry_action {
    done,      // the response is final (success or an error to report)
    retry,     // wait `wait`, then resend
    give_up,   // retryable in principle, but not now: report `code` with `wait`
};

struct retry_decision {
    retry_action action = retry_action::done;
    std::chrono::milliseconds wait{0};
    errc code = errc::ok;   // for give_up / permission: rate_limited, forbidden, unavailable; ok = keep the response's
};

// What a GitHub response says about limits.
struct github_limit_signals {
    int status = 0;
    std::optional<std::chrono::seconds> retry_after;   // `retry-after`
    std::optional<std::int64_t> remaining;             // `x-ratelimit-remaining`
    std::optional<std::int64_t> reset_epoch_s;         // `x-ratelimit-reset`
    std::string message;                               // body "message"
};

// Pure. GitHub order (github.md §1): retry-after → remaining==0 until reset →
// secondary limit (≥ secondary_min_wait, doubling) ; a 403 without any signal is a
// permission problem and is never retried. 502/503/504 on idempotent calls back
// off exponentially. Non-idempotent calls are never retried (the caller re-reads state).
// `attempt` = number of tries already made (1 after the first response).
retry_decision decide_github_retry(const github_limit_signals& s, int attempt, bool idempotent,
                                   std::int64_t now_epoch_ms, const api_retry_options& opt);

// What a Vercel response says about limits.
struct vercel_limit_signals {
    int status = 0;
    std::optional<std::int64_t> body_reset_ms;         // error.limit.resetMs or reset*1000
    std::optional<std::int64_t> header_reset_epoch_s;  // X-RateLimit-Reset
    std::optional<std::chrono::seconds> retry_after;   // Retry-After
};

// Pure. Vercel (vercel.md §1): 429 → until reset (body, else header, else
// Retry-After), else exponential from backoff_base; 500/502/503/504 retryable only
// for GET. Never retries anything else, never a POST.
retry_decision decide_vercel_retry(const vercel_limit_signals& s, int attempt, bool is_get,
                                   std::int64_t now_epoch_ms, const api_retry_options& opt);

// Pure: backoff_base * 2^(attempt-1), saturating.
std::chrono::milliseconds make_exponential_wait(std::chrono::milliseconds base, int attempt);

struct link_entry {
    std::string url;
    std::string rel;
};

// Pure: RFC 8288 Link header as GitHub sends it: `<url>; rel="next", <url>; rel="last"`.
std::vector<link_entry> parse_link_header(std::string_view value);
// Pure: URL of rel="next", nullopt when there is none.
std::optional<std::string> parse_link_next(std::string_view value);

// Pure: integer header value, nullopt when absent or malformed.
std::optional<std::int64_t> parse_int_header(std::string_view value);

}  // namespace deploybot
