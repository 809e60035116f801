#include "integrations/api_retry.hpp"

#include "bot/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace deploybot {

using std::chrono::milliseconds;

namespace {
// Server headers are untrusted numbers: every conversion saturates instead of
// overflowing (a reset "epoch" of 9e18 s is a very long wait, not UB).
constexpr std::int64_t max_epoch_s = std::int64_t{1} << 40;   // ~35,000 years
}  // namespace

milliseconds make_exponential_wait(milliseconds base, int attempt) {
    const int shift = std::clamp(attempt - 1, 0, 20);
    const auto limit = milliseconds(std::int64_t{1} << 40);
    auto w = base * (std::int64_t{1} << shift);
    return std::min(w, limit);
}

std::int64_t epoch_s_to_ms(std::int64_t s) { return std::clamp<std::int64_t>(s, -max_epoch_s, max_epoch_s) * 1000; }

namespace {

bool contains_ci(std::string_view hay, std::string_view needle) {
    auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
    return it != hay.end();
}

milliseconds until_ms(std::int64_t target_ms, std::int64_t now_ms) {
    target_ms = std::clamp<std::int64_t>(target_ms, -max_epoch_s * 1000, max_epoch_s * 1000);
    now_ms = std::clamp<std::int64_t>(now_ms, -max_epoch_s * 1000, max_epoch_s * 1000);
    return milliseconds(std::max<std::int64_t>(0, target_ms - now_ms));
}

milliseconds seconds_to_ms(std::chrono::seconds s) { return milliseconds(epoch_s_to_ms(std::max<std::int64_t>(0, s.count()))); }

// Common tail: bound by attempts and by the longest wait we agree to sleep.
retry_decision bounded(milliseconds wait, int attempt, const api_retry_options& opt, errc give_up_code) {
    if (attempt >= opt.max_attempts || wait > opt.max_wait)
        return {retry_action::give_up, wait, give_up_code};
    return {retry_action::retry, wait, {}};
}

}  // namespace

retry_decision decide_github_retry(const github_limit_signals& s, int attempt, bool idempotent,
                                   std::int64_t now_epoch_ms, const api_retry_options& opt) {
    if (s.status == 403 || s.status == 429) {
        milliseconds wait{0};
        if (s.retry_after) {
            wait = seconds_to_ms(*s.retry_after);
        } else if (s.remaining && *s.remaining == 0 && s.reset_epoch_s) {
            wait = until_ms(epoch_s_to_ms(*s.reset_epoch_s), now_epoch_ms);
        } else if (s.status == 429 || contains_ci(s.message, "rate limit") || (s.remaining && *s.remaining == 0)) {
            // Secondary limit without retry-after: at least a minute, then doubling.
            wait = std::max(opt.secondary_min_wait, make_exponential_wait(opt.secondary_min_wait, attempt));
        } else {
            return {retry_action::done, milliseconds{0}, errc::forbidden};
        }
        if (!idempotent) return {retry_action::give_up, wait, errc::rate_limited};
        return bounded(wait, attempt, opt, errc::rate_limited);
    }
    if (idempotent && (s.status == 502 || s.status == 503 || s.status == 504))
        return bounded(make_exponential_wait(opt.backoff_base, attempt), attempt, opt, errc::ok);
    return {};
}

retry_decision decide_vercel_retry(const vercel_limit_signals& s, int attempt, bool is_get,
                                   std::int64_t now_epoch_ms, const api_retry_options& opt) {
    if (s.status == 429) {
        milliseconds wait{0};
        if (s.body_reset_ms)
            wait = until_ms(*s.body_reset_ms, now_epoch_ms);
        else if (s.header_reset_epoch_s)
            wait = until_ms(epoch_s_to_ms(*s.header_reset_epoch_s), now_epoch_ms);
        else if (s.retry_after)
            wait = seconds_to_ms(*s.retry_after);
        else
            wait = make_exponential_wait(opt.backoff_base, attempt);
        if (!is_get) return {retry_action::give_up, wait, errc::rate_limited};
        return bounded(wait, attempt, opt, errc::rate_limited);
    }
    if (is_get && (s.status == 500 || s.status == 502 || s.status == 503 || s.status == 504))
        return bounded(make_exponential_wait(opt.backoff_base, attempt), attempt, opt, errc::ok);
    return {};
}

std::vector<link_entry> parse_link_header(std::string_view v) {
    std::vector<link_entry> out;
    std::size_t i = 0;
    while (i < v.size()) {
        const auto lt = v.find('<', i);
        if (lt == std::string_view::npos) break;
        const auto gt = v.find('>', lt + 1);
        if (gt == std::string_view::npos) break;
        link_entry e;
        e.url = std::string(v.substr(lt + 1, gt - lt - 1));
        // Parameters run until the next comma that starts a new link ("<").
        std::size_t end = v.find('<', gt + 1);
        std::string_view params = v.substr(gt + 1, end == std::string_view::npos ? v.npos : end - gt - 1);
        std::size_t p = 0;
        while (p < params.size()) {
            auto semi = params.find(';', p);
            std::string_view part = params.substr(p, semi == params.npos ? params.npos : semi - p);
            p = semi == params.npos ? params.size() : semi + 1;
            auto eq = part.find('=');
            if (eq == part.npos) continue;
            auto trim = [](std::string_view s) {
                while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == ',')) s.remove_prefix(1);
                while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == ',')) s.remove_suffix(1);
                return s;
            };
            auto key = trim(part.substr(0, eq));
            auto val = trim(part.substr(eq + 1));
            if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
            if (key == "rel") e.rel = std::string(val);
        }
        out.push_back(std::move(e));
        if (end == std::string_view::npos) break;
        i = end;
    }
    return out;
}

std::optional<std::string> parse_link_next(std::string_view value) {
    for (auto& e : parse_link_header(value)) {
        // rel may hold several space-separated relation types.
        std::string_view rel = e.rel;
        std::size_t p = 0;
        while (p <= rel.size()) {
            auto sp = rel.find(' ', p);
            if (rel.substr(p, sp == rel.npos ? rel.npos : sp - p) == "next") return e.url;
            if (sp == rel.npos) break;
            p = sp + 1;
        }
    }
    return std::nullopt;
}

std::optional<std::int64_t> parse_int_header(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.empty()) return std::nullopt;
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || ptr != v.data() + v.size()) return std::nullopt;
    return n;
}

}  // namespace deploybot
