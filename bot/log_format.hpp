#pragma once
// The JSON form of log lines (config key log.format): one object per line,
//   {"ts":"2026-01-06T03:00:00.123Z","level":"info","component":"socket","msg":"…"}
// scrubbed exactly like the text form (bot/log.hpp).
#include "bot/log.hpp"

#include <string>
#include <string_view>

namespace deploybot::log {

enum class format { text, json };
// Text (the default) or JSON lines, for every line written from now on.
void set_format(format f);

// Pure: the JSON line for one already scrubbed message; invalid UTF-8 becomes
// U+FFFD, so every line is valid JSON.
std::string render_json_line(std::string_view ts, level lvl, std::string_view component, std::string_view message);

}  // namespace deploybot::log
