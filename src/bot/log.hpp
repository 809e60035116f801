#pragma once
#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>

// One event per line on stderr: "<utc time> <LEVEL> <component>: <message>".
// Every line is scrubbed of registered secrets and of anything shaped like a
// Slack/GitHub/Vercel token before it leaves the process.
namespace deploybot::log {

enum class level { debug = 0, info, warn, error };

void write(level lvl, std::string_view component, std::string_view message);

// Registers a secret (token) to scrub from every line. Empty strings are ignored.
void add_secret(std::string secret);

// Pure: what write() does to a message before printing it.
std::string redact(std::string_view text);

using sink_fn = std::function<void(std::string_view line)>;
// Replaces stderr as the destination (tests capture lines). nullptr restores stderr.
void set_sink(sink_fn sink);
void set_min_level(level lvl);

template <class... Args>
void debug(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(level::debug, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(level::info, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(level::warn, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(level::error, component, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace deploybot::log
