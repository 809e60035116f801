#pragma once
#include <fmt/format.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

// One event per line on stderr: "<utc time> <LEVEL> <component>: <message>".
// Every line is scrubbed of registered secrets and of anything shaped like a
// Slack/GitHub/Vercel token before it leaves the process.
namespace deploybot::log {

enum class level { debug = 0, info, warn, error };

// write() keeps at most this many bytes of one message; the rest is replaced
// by "…(+N bytes)" so that no input can make a log line huge.
inline constexpr std::size_t max_message_bytes = 16 * 1024;

void write(level lvl, std::string_view component, std::string_view message);

// Registers a secret (token) to scrub from every line. Empty strings are ignored.
void add_secret(std::string secret);

// Pure: what write() does to a message before printing it. One linear pass, no
// recursion: safe on any input.
std::string redact(std::string_view text);

// Pure: `text` cut to at most max_bytes on a UTF-8 boundary, then "…(+N bytes)"
// when something was cut. A token or registered secret straddling the cut is
// dropped whole, so no prefix of it survives where redaction cannot see it.
std::string truncate_for_log(std::string_view text, std::size_t max_bytes = 200);

using sink_fn = std::function<void(std::string_view line)>;
// Replaces stderr as the destination (tests capture lines). nullptr restores stderr.
void set_sink(sink_fn sink);
void set_min_level(level lvl);

namespace detail {
inline std::atomic<int> min_level{static_cast<int>(level::info)};
}

// Cheap check so that dropped lines are never formatted.
inline bool enabled(level lvl) {
    return static_cast<int>(lvl) >= detail::min_level.load(std::memory_order_relaxed);
}

template <class... Args>
void debug(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    if (!enabled(level::debug)) return;
    write(level::debug, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    if (!enabled(level::info)) return;
    write(level::info, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    if (!enabled(level::warn)) return;
    write(level::warn, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    if (!enabled(level::error)) return;
    write(level::error, component, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace deploybot::log
