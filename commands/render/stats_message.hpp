#pragma once
// The /deploy stats answer and the weekly digest (pure): a section with the
// four DORA figures as fields, each with its trend against the previous
// period and what it is based on, and a plain-text fallback.
#include "bot/core/blocks.hpp"
#include "commands/workflow/stats.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace deploybot {

// "2 d 4 h", "3 h 5 min", "12 min", "40 s"
std::string describe_stats_duration(std::chrono::seconds d);

// One figure's lines, as shown in its field (mrkdwn, no title) and in the fallback.
std::string render_frequency(const stats_report& r);
std::string render_lead_time(const stats_report& r);
std::string render_failure_rate(const stats_report& r);
std::string render_time_to_restore(const stats_report& r);

// `title`: "Deploy stats — last 30 days" or "Weekly deploy digest — …" (plain text, escaped here).
blocks::message render_stats_message(const stats_report& r, std::string_view title);

}  // namespace deploybot
