#pragma once
// Sentry REST client (reference/sentry.md): error counts in a window (§3.1),
// issues first seen since a time (§3.5), and the release + deploy marker
// (§3.6). Plain structs in and out; expected failures are failure values.
// GETs are retried on 429 (until X-Sentry-Rate-Limit-Reset, bounded by
// retry.max_wait) and on 5xx/transport errors; a POST is never sent twice.
#include "bot/config.hpp"
#include "bot/net/http_client.hpp"
#include "integrations/api_retry.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot {

struct sentry_issue {
    std::string id;
    std::string short_id;        // SHOP-WEB-3K
    std::string title;
    std::string culprit;
    std::string level;
    std::string permalink;       // https://acme.sentry.io/issues/6123400987/
    std::int64_t count = 0;      // Sentry sends a string
    std::int64_t user_count = 0;
    std::string first_seen;      // ISO-8601 as Sentry sent it
};
// A tolerant reader (json::value_to<sentry_issue>(v)): missing fields read as empty.
sentry_issue tag_invoke(boost::json::value_to_tag<sentry_issue>, const boost::json::value& v);

// What to record for a deploy (§3.6): the release (201 new, 208 exists: both
// fine), then its deploy in the configured environment.
struct sentry_deploy_marker {
    std::string version;           // the commit SHA
    std::string repository;        // owner/name, for refs; "" = no refs
    std::string previous_commit;   // "" = none
    std::string commit_url;        // release url
    std::string name;              // deploy name (≤ 64, truncated)
    std::string url;               // deploy url (Vercel)
    std::chrono::system_clock::time_point started{};
    std::chrono::system_clock::time_point finished{};
};

struct sentry_client_options {
    api_retry_options retry{};
    std::function<std::int64_t()> now_ms;   // wall clock (epoch ms); empty = system clock
};

class sentry_client {
public:
    sentry_client(http_client& http, config::sentry_t cfg, std::string token, sentry_client_options opts = {});

    // count() of error events (dataset=errors) for the configured project and
    // environment in [start, end) (§3.1).
    asio::awaitable<outcome<std::int64_t>> count_errors(std::chrono::system_clock::time_point start,
                                                        std::chrono::system_clock::time_point end);
    // Unresolved issues first seen after `since` (§3.5, sort=new), at most `limit`.
    asio::awaitable<outcome<std::vector<sentry_issue>>> new_issues(std::chrono::system_clock::time_point since,
                                                                   int limit);
    // Release (201/208) then deploy (§3.6). Never retried.
    asio::awaitable<outcome<void>> record_deploy(sentry_deploy_marker marker);

    // The web page of the project's issues since a time (for links in Slack).
    std::string issues_page_url(std::chrono::system_clock::time_point since) const;

private:
    asio::awaitable<outcome<http_response>> send(std::string method, std::string path_and_query, std::string body);
    std::int64_t now_ms() const;

    http_client& http_;
    config::sentry_t cfg_;
    std::string token_;
    sentry_client_options opts_;
};

// Pure helpers (exposed for tests and fuzzing).
// "2026-01-06T03:05:00" (UTC, seconds precision), as Sentry's start/end take.
std::string sentry_iso_time(std::chrono::system_clock::time_point t);
// The count() of a §3.1 table answer; an error for anything else.
outcome<std::int64_t> parse_sentry_count(std::string_view json_text);
// A §3.5 issue list (tolerant: missing fields are empty / 0).
outcome<std::vector<sentry_issue>> parse_sentry_issues(std::string_view json_text);
// {"detail": "..."} → failure with the code for the status. The message is
// scrubbed of registered secrets and bounded (sentry_max_error_bytes).
failure parse_sentry_error(int status, std::string_view body);
inline constexpr std::size_t sentry_max_error_bytes = 300;

// What one failed attempt says about retrying (status 0 = no HTTP response).
struct sentry_limit_signals {
    int status = 0;
    std::optional<std::int64_t> reset_epoch_s;           // X-Sentry-Rate-Limit-Reset
    std::optional<std::chrono::seconds> retry_after;     // Retry-After
};

// Pure. GET: 429 waits until the reset (else Retry-After, else exponential),
// 5xx and transport failures back off exponentially; every wait is capped at
// opt.max_wait; after opt.max_attempts tries: give_up ("rate_limited",
// "unavailable", "" for transport). A POST is never retried (give_up for 429).
// give_up's `wait` is the uncapped time until a retry could succeed (≤ 1 day).
retry_decision decide_sentry_retry(const sentry_limit_signals& s, int attempt, bool is_get,
                                   std::int64_t now_epoch_ms, const api_retry_options& opt);

}  // namespace deploybot
