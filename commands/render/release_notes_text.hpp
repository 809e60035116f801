#pragma once
// What ships, as the checklist shows it: the summary line, one line per PR or
// direct commit (cut to fit, what needs attention first), and the warnings.
// Pure.
#include "commands/render/deploy_message.hpp"

#include <string>
#include <vector>

namespace deploybot::render_text {

std::string review_text(const shipped_pr& pr);
std::string ships_summary(const release_notes& notes);
std::string ships_list(const release_notes& notes, const message_context& ctx);
std::vector<std::string> warnings(const release_notes& notes, const message_context& ctx);

}  // namespace deploybot::render_text
