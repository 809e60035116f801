#include "bot/log.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <regex>
#include <vector>

namespace deploybot::log {
namespace {

struct state {
    std::mutex mutex;
    std::vector<std::string> secrets;
    sink_fn sink;
    level min_level = level::info;
};

state& global() {
    static state s;
    return s;
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

// Token shapes of the services we talk to, so that a token we were never told
// about (e.g. one echoed back by a server) is still scrubbed.
const std::regex& token_pattern() {
    static const std::regex re(
        R"((xox[abposre]-[0-9A-Za-z-]{6,})|(xapp-[0-9A-Za-z-]{6,})|(gh[pousr]_[0-9A-Za-z]{10,})|(github_pat_[0-9A-Za-z_]{10,})|([Bb]earer\s+[^\s"',]+))");
    return re;
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
    if (what.empty()) return;
    for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size()))
        s.replace(pos, what.size(), with);
}

}  // namespace

void add_secret(std::string secret) {
    if (secret.size() < 4) return;  // too short to scrub without mangling text
    auto& g = global();
    std::lock_guard lock(g.mutex);
    g.secrets.push_back(std::move(secret));
}

std::string redact(std::string_view text) {
    std::string out(text);
    {
        auto& g = global();
        std::lock_guard lock(g.mutex);
        for (const auto& s : g.secrets) replace_all(out, s, "[redacted]");
    }
    out = std::regex_replace(out, token_pattern(), "[redacted]");
    // One event per line: a message never spans lines.
    for (auto& c : out)
        if (c == '\n' || c == '\r') c = ' ';
    return out;
}

void set_sink(sink_fn sink) {
    auto& g = global();
    std::lock_guard lock(g.mutex);
    g.sink = std::move(sink);
}

void set_min_level(level lvl) {
    auto& g = global();
    std::lock_guard lock(g.mutex);
    g.min_level = lvl;
}

void write(level lvl, std::string_view component, std::string_view message) {
    auto& g = global();
    {
        std::lock_guard lock(g.mutex);
        if (lvl < g.min_level) return;
    }
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::string line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} {}: {}", tm.tm_year + 1900,
                                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000,
                                   level_name(lvl), component, redact(message));
    std::lock_guard lock(g.mutex);
    if (g.sink) {
        g.sink(line);
    } else {
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stderr);
    }
}

}  // namespace deploybot::log
