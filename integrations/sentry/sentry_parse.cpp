// Pure parts of the Sentry client: time format, answer parsers, error mapping
// and the retry decision (reference/sentry.md §1, §3.1, §3.5).
#include "integrations/json_fields.hpp"
#include "integrations/sentry/sentry_client.hpp"

#include "bot/log.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace deploybot {

namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

using namespace json_fields;

constexpr std::string_view service_name = "sentry";
constexpr std::int64_t max_int64 = std::numeric_limits<std::int64_t>::max();
// A reported retry_after never exceeds a day, whatever a server claims.
constexpr milliseconds max_reported_wait{24LL * 3600 * 1000};

failure bad_json(std::string_view what) {
    return failure(errc::bad_json, std::string(service_name), 0, fmt::format("unexpected {} response", what));
}

// Digits only (Sentry's string counts); a value past int64 saturates.
std::optional<std::int64_t> parse_count_text(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ptr != s.data() + s.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) return s.front() == '-' ? std::nullopt : std::optional(max_int64);
    if (ec != std::errc{} || n < 0) return std::nullopt;
    return n;
}

// An integer, a double within range, or a numeric string.
std::optional<std::int64_t> count_of(const json::object& o, std::string_view key) {
    if (auto* v = o.if_contains(key); v && v->is_string()) return parse_count_text(v->get_string());
    if (auto n = opt_int_of(o, key); n && *n >= 0) return n;
    return std::nullopt;
}

// DRF answers {"detail": "..."}, sometimes {"detail": {"message": ...}}, and
// for field validation {"name": ["Ensure this field ..."]}.
std::string error_text(const json::object& o) {
    if (auto* d = o.if_contains("detail")) {
        if (d->is_string()) return std::string(d->get_string());
        if (auto* dobj = d->if_object()) return str_of(*dobj, "message");
    }
    for (auto& [key, value] : o) {
        auto* arr = value.if_array();
        if (!arr || arr->empty() || !(*arr)[0].is_string()) continue;
        return std::string(key) + ": " + std::string((*arr)[0].get_string());
    }
    return {};
}

milliseconds until(std::int64_t reset_epoch_s, std::int64_t now_ms) {
    const std::int64_t target_ms = reset_epoch_s <= 0                   ? 0
                                   : reset_epoch_s >= max_int64 / 1000 ? max_int64
                                                                        : reset_epoch_s * 1000;
    return milliseconds(std::max<std::int64_t>(0, target_ms - std::max<std::int64_t>(0, now_ms)));
}

}  // namespace

std::string sentry_iso_time(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                       hms.minutes().count(), hms.seconds().count());
}

outcome<std::int64_t> parse_sentry_count(std::string_view json_text) {
    auto v = parse_body(json_text);
    if (!v || !v->is_object()) return bad_json("events");
    auto* data = arr_of(v->get_object(), "data");
    if (!data) return bad_json("events");
    if (data->empty()) return std::int64_t{0};   // no row: nothing matched
    auto* row = (*data)[0].if_object();
    if (!row) return bad_json("events");
    auto n = count_of(*row, "count()");
    if (!n) return bad_json("events count()");
    return *n;
}

sentry_issue tag_invoke(json::value_to_tag<sentry_issue>, const json::value& v) {
    sentry_issue i;
    const auto* o = v.if_object();
    if (!o) return i;
    i.id = str_of(*o, "id");
    i.short_id = str_of(*o, "shortId");
    i.title = str_of(*o, "title");
    i.culprit = str_of(*o, "culprit");
    i.level = str_of(*o, "level");
    i.permalink = str_of(*o, "permalink");
    i.count = count_of(*o, "count").value_or(0);
    i.user_count = count_of(*o, "userCount").value_or(0);
    i.first_seen = str_of(*o, "firstSeen");
    return i;
}

outcome<std::vector<sentry_issue>> parse_sentry_issues(std::string_view json_text) {
    auto v = parse_body(json_text);
    if (!v || !v->is_array()) return bad_json("issues");
    std::vector<sentry_issue> out;
    for (auto& item : v->get_array())
        if (item.is_object()) out.push_back(json::value_to<sentry_issue>(item));
    return out;
}

failure parse_sentry_error(int status, std::string_view body) {
    failure e(status_errc(status), std::string(service_name), status);
    if (auto v = parse_body(body); v && v->is_object()) e.detail = error_text(v->get_object());
    if (e.detail.empty())
        e.detail = fmt::format("HTTP {}", status);
    else
        e.detail = log::truncate_for_log(log::redact(e.detail), sentry_max_error_bytes);
    return e;
}

retry_decision decide_sentry_retry(const sentry_limit_signals& s, int attempt, bool is_get,
                                   std::int64_t now_epoch_ms, const api_retry_options& opt) {
    milliseconds wait{0};
    errc give_up_code = errc::ok;
    if (s.status == 429) {
        if (s.reset_epoch_s)
            wait = until(*s.reset_epoch_s, now_epoch_ms);
        else if (s.retry_after)
            wait = std::chrono::duration_cast<milliseconds>(*s.retry_after);
        else
            wait = make_exponential_wait(opt.backoff_base, attempt);
        give_up_code = errc::rate_limited;
    } else if (s.status >= 500 || s.status == 0) {
        wait = make_exponential_wait(opt.backoff_base, attempt);
        if (s.status != 0) give_up_code = errc::unavailable;
    } else {
        return {};   // success or a permanent error (400/401/403/404 …)
    }
    if (!is_get || attempt >= opt.max_attempts)
        return {retry_action::give_up, std::min(wait, max_reported_wait), give_up_code};
    return {retry_action::retry, std::max(milliseconds(0), std::min(wait, opt.max_wait)), {}};
}

}  // namespace deploybot
