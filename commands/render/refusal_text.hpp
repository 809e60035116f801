#pragma once
// The words for the machine's refusals (commands/workflow/deploy_request.hpp:
// refusal_code). Pure; mentions and markup are added here, never in the machine.
#include "commands/workflow/deploy_request.hpp"

#include <string>

namespace deploybot {

// Slack mrkdwn for the ephemeral answer, e.g. "Migrations were already confirmed by <@U01…>."
std::string refusal_text(const refusal& r);

}  // namespace deploybot
