#include "commands/modules.hpp"

#include "commands/bot_context.hpp"
#include "commands/deploy/deploy_commands.hpp"

namespace deploybot {

module_list make_feature_modules(bot_context& ctx) {
    module_list out;
    register_basic_commands(ctx);
    out.push_back(make_deploy_service(ctx));
    return out;
}

}  // namespace deploybot
