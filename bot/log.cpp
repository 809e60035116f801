#include "bot/log.hpp"
#include "bot/log_format.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <vector>

namespace deploybot::log {
namespace {

std::atomic<int> line_format{static_cast<int>(format::text)};

struct state {
    std::mutex mutex;
    std::vector<std::string> secrets;
    std::size_t longest_secret = 0;
    sink_fn sink;
};

state& global() {
    static state s;
    return s;
}

const char* json_level_name(level l) {
    switch (l) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
    }
    return "?";
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF included).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else return 0;
    if (i + n > s.size()) return 0;
    if (b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
    return n;
}

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto n = utf8_sequence(s, i);
        if (n == 0) {
            out += "\uFFFD";
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

const char* level_name(level l) {
    switch (l) {
    case level::debug: return "DEBUG";
    case level::info: return "INFO";
    case level::warn: return "WARN";
    case level::error: return "ERROR";
    }
    return "?";
}

constexpr std::string_view redacted = "[redacted]";

// Half-open byte range [begin, end) of the text to scrub.
struct span {
    std::size_t begin = 0;
    std::size_t end = 0;
};

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_slack_char(char c) { return is_alnum(c) || c == '-'; }
bool is_pat_char(char c) { return is_alnum(c) || c == '_'; }
// std::regex's \s in the "C" locale.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
bool is_bearer_char(char c) { return !is_space(c) && c != '"' && c != '\'' && c != ','; }
bool is_one_of(char c, std::string_view set) { return set.find(c) != std::string_view::npos; }

// End of the run of `in_class` bytes starting at `from`, when it is at least
// min_len long; 0 otherwise (no match ever ends at 0).
std::size_t run_end(std::string_view s, std::size_t from, std::size_t min_len, bool (*in_class)(char)) {
    std::size_t e = from;
    while (e < s.size() && in_class(s[e])) ++e;
    return e - from >= min_len ? e : 0;
}

// Token shapes of the services we talk to, so that a token we were never told
// about (e.g. one echoed back by a server) is still scrubbed. Same shapes as
//   xox[abposre]-[0-9A-Za-z-]{6,} | xapp-[0-9A-Za-z-]{6,} | gh[pousr]_[0-9A-Za-z]{10,}
//   | github_pat_[0-9A-Za-z_]{10,} | [Bb]earer\s+[^\s"',]+
// with greedy runs. Returns the end of the token starting at i, or 0.
std::size_t token_end(std::string_view s, std::size_t i) {
    const std::string_view rest = s.substr(i);
    if (rest.size() > 4 && rest.starts_with("xox") && is_one_of(rest[3], "abposre") && rest[4] == '-')
        return run_end(s, i + 5, 6, is_slack_char);
    if (rest.starts_with("xapp-")) return run_end(s, i + 5, 6, is_slack_char);
    if (rest.size() > 3 && rest.starts_with("gh") && is_one_of(rest[2], "pousr") && rest[3] == '_')
        return run_end(s, i + 4, 10, is_alnum);
    if (rest.starts_with("github_pat_")) return run_end(s, i + 11, 10, is_pat_char);
    if (rest.size() > 6 && (rest[0] == 'B' || rest[0] == 'b') && rest.substr(1, 5) == "earer") {
        const std::size_t value = run_end(s, i + 6, 1, is_space);
        return value == 0 ? 0 : run_end(s, value, 1, is_bearer_char);
    }
    return 0;
}

// Every token shape (leftmost, non-overlapping, like regex_replace) and every
// occurrence of a secret. Linear: a failed token attempt reads at most 21 bytes,
// except a Bearer's blank run, which no other attempt reads again.
std::vector<span> find_sensitive(std::string_view text, const std::vector<std::string>& secrets) {
    std::vector<span> out;
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        const std::size_t e = (c == 'x' || c == 'g' || c == 'B' || c == 'b') ? token_end(text, i) : 0;
        if (e != 0) {
            out.push_back({i, e});
            i = e;
        } else {
            ++i;
        }
    }
    for (const auto& secret : secrets)
        for (auto pos = text.find(secret); pos != std::string_view::npos; pos = text.find(secret, pos + 1))
            out.push_back({pos, pos + secret.size()});
    return out;
}

// Sorted, disjoint spans: overlapping spans become one, adjacent ones stay two
// (as when each was replaced in turn). Linear in the text size.
std::vector<span> merge_spans(std::size_t text_size, const std::vector<span>& spans) {
    std::vector<span> merged;
    if (spans.empty()) return merged;
    std::vector<std::size_t> end_at(text_size, 0);
    for (const auto& s : spans) end_at[s.begin] = std::max(end_at[s.begin], s.end);
    for (std::size_t i = 0; i < text_size;) {
        if (end_at[i] <= i) {
            ++i;
            continue;
        }
        std::size_t cover = end_at[i];
        for (std::size_t j = i + 1; j < cover; ++j) cover = std::max(cover, end_at[j]);
        merged.push_back({i, cover});
        i = cover;
    }
    return merged;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Largest cut <= want that does not split a UTF-8 code point (invalid UTF-8 is
// cut where asked).
std::size_t utf8_floor(std::string_view s, std::size_t want) {
    if (want >= s.size()) return s.size();
    std::size_t cut = want;
    for (int back = 0; back < 3 && cut > 0 && is_continuation(s[cut]); ++back) --cut;
    return is_continuation(s[cut]) ? want : cut;
}

// Where to cut `text` to keep at most max_bytes: on a UTF-8 boundary and never
// inside a sensitive span (a straddling span is dropped whole).
std::size_t safe_cut(std::string_view text, std::size_t max_bytes, const std::vector<span>& merged) {
    std::size_t cut = std::min(max_bytes, text.size());
    std::size_t k = merged.size();
    for (;;) {
        cut = utf8_floor(text, cut);
        while (k > 0 && merged[k - 1].begin >= cut) --k;
        if (k > 0 && merged[k - 1].end > cut) {
            cut = merged[k - 1].begin;
            continue;
        }
        return cut;
    }
}

// Bytes past a cut that must be read to know whether a token or secret
// straddles it: the longest secret, and any token's prefix plus minimum run.
std::size_t lookahead(const state& g) { return std::max<std::size_t>(64, g.longest_secret); }

std::string cut_marker(std::size_t dropped) { return fmt::format("\u2026(+{} bytes)", dropped); }

// The text with every span replaced by "[redacted]" and newlines folded.
std::string render(std::string_view text, const std::vector<span>& merged) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    auto copy_until = [&](std::size_t end) {
        for (; i < end; ++i) {
            const char c = text[i];
            // One event per line: a message never spans lines.
            out.push_back(c == '\n' || c == '\r' ? ' ' : c);
        }
    };
    for (const auto& s : merged) {
        copy_until(s.begin);
        out.append(redacted);
        i = s.end;
    }
    copy_until(text.size());
    return out;
}

// redact() of at most max_bytes of text. Only a bounded window is scanned, so
// the cost is bounded by max_bytes whatever the input size.
std::string scrub(std::string_view text, std::size_t max_bytes) {
    auto& g = global();
    std::lock_guard lock(g.mutex);
    if (text.size() <= max_bytes) return render(text, merge_spans(text.size(), find_sensitive(text, g.secrets)));
    const std::string_view window = text.substr(0, max_bytes + lookahead(g));
    auto merged = merge_spans(window.size(), find_sensitive(window, g.secrets));
    const std::size_t cut = safe_cut(window, max_bytes, merged);
    std::erase_if(merged, [&](const span& s) { return s.begin >= cut; });
    return render(window.substr(0, cut), merged) + cut_marker(text.size() - cut);
}

}  // namespace

void add_secret(std::string secret) {
    if (secret.size() < 4) return;  // too short to scrub without mangling text
    auto& g = global();
    std::lock_guard lock(g.mutex);
    if (std::find(g.secrets.begin(), g.secrets.end(), secret) != g.secrets.end()) return;
    g.longest_secret = std::max(g.longest_secret, secret.size());
    g.secrets.push_back(std::move(secret));
}

std::string redact(std::string_view text) { return scrub(text, text.size()); }

std::string truncate_for_log(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return std::string(text);
    auto& g = global();
    std::lock_guard lock(g.mutex);
    const std::string_view window = text.substr(0, max_bytes + lookahead(g));
    const auto merged = merge_spans(window.size(), find_sensitive(window, g.secrets));
    const std::size_t cut = safe_cut(window, max_bytes, merged);
    return std::string(text.substr(0, cut)) + cut_marker(text.size() - cut);
}

void set_sink(sink_fn sink) {
    auto& g = global();
    std::lock_guard lock(g.mutex);
    g.sink = std::move(sink);
}

void set_format(format f) { line_format.store(static_cast<int>(f), std::memory_order_relaxed); }

std::string render_json_line(std::string_view ts, level lvl, std::string_view component, std::string_view message) {
    boost::json::object o;
    o["ts"] = ts;
    o["level"] = json_level_name(lvl);
    o["component"] = valid_utf8(component);
    o["msg"] = valid_utf8(message);
    return boost::json::serialize(o);
}

void set_min_level(level lvl) { detail::min_level.store(static_cast<int>(lvl), std::memory_order_relaxed); }

void write(level lvl, std::string_view component, std::string_view message) {
    if (!enabled(lvl)) return;
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    const std::string ts = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
    std::string line =
        line_format.load(std::memory_order_relaxed) == static_cast<int>(format::json)
            ? render_json_line(ts, lvl, component, scrub(message, max_message_bytes))
            : fmt::format("{} {} {}: {}", ts, level_name(lvl), component, scrub(message, max_message_bytes));
    auto& g = global();
    std::lock_guard lock(g.mutex);
    if (g.sink) {
        g.sink(line);
    } else {
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stderr);
    }
}

}  // namespace deploybot::log
