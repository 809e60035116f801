#pragma once
// Small text pieces every renderer uses (pure).
#include "bot/core/blocks.hpp"

#include <string>
#include <string_view>

namespace deploybot::render_text {

// The checklist's marks: settled, failed, not needed, waiting for a person,
// the bot is checking.
inline constexpr std::string_view mark_done = ":white_check_mark:";
inline constexpr std::string_view mark_failed = ":x:";
inline constexpr std::string_view mark_not_needed = ":heavy_minus_sign:";
inline constexpr std::string_view mark_person = ":large_yellow_circle:";
inline constexpr std::string_view mark_checking = ":hourglass_flowing_sand:";

inline std::string short_sha(std::string_view sha) { return std::string(sha.substr(0, 7)); }
inline std::string first_line(std::string_view s) { return std::string(s.substr(0, s.find('\n'))); }
// A Slack link with an escaped label; a missing url degrades to the bare label.
inline std::string link(std::string_view url, std::string_view label) {
    if (url.empty()) return blocks::escape(label);
    return "<" + blocks::escape(url) + "|" + blocks::escape(label) + ">";
}

}  // namespace deploybot::render_text
