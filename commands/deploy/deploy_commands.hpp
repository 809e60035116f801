#pragma once
#include "commands/bot_context.hpp"

#include <memory>

namespace deploybot {

// The production deploy workflow (/deploy prod, status, history, cancel,
// lock, unlock and the checklist buttons): registers its routes on
// construction, resumes persisted requests on start().
class deploy_service : public feature_module {};

std::unique_ptr<deploy_service> make_deploy_service(bot_context& ctx);

}  // namespace deploybot
