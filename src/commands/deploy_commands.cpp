#include "commands/deploy_commands.hpp"

namespace deploybot {

// The deploy workflow is wired in by issue #3; until then the foundation
// serves help and status only (help marks the rest "coming soon").
std::unique_ptr<deploy_service> make_deploy_service(bot_context&) { return nullptr; }

}  // namespace deploybot
