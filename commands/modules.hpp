#pragma once
#include "bot/context.hpp"

namespace deploybot {

// Every feature module of deploybot, with its routes registered: /deploy help
// and status, and the production deploy workflow. The composition root passes
// this to app_options::make_modules.
module_list make_feature_modules(bot_context& ctx);

}  // namespace deploybot
