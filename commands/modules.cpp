#include "commands/modules.hpp"

#include "commands/bot_context.hpp"
#include "commands/deploy/deploy_commands.hpp"
#include "commands/hotfix/hotfix_service.hpp"
#include "commands/service_clients.hpp"
#include "commands/rollback/rollback_service.hpp"
#include "commands/staging/staging_service.hpp"
#include "commands/stats/stats_service.hpp"
#include "commands/watch/watch_service.hpp"

namespace deploybot {

module_list make_feature_modules(bot_context& ctx) {
    module_list out;
    register_basic_commands(ctx);
    // One client per service, shared by every module (one ETag cache, one retry policy each).
    auto clients = std::make_shared<service_clients>(ctx);
    auto deploy = make_deploy_service(ctx, clients);
    auto& records = deploy->records_port();
    // The post-live modules attach to the deploy records before anything starts.
    auto watch = make_watch_service(ctx, records, clients);
    auto rollback = make_rollback_service(ctx, records, clients);
    auto hotfix = make_hotfix_service(ctx, records, clients);
    auto staging = make_staging_service(ctx, records, clients);
    auto stats = make_stats_service(ctx, records);
    out.push_back(std::move(deploy));
    out.push_back(std::move(watch));
    out.push_back(std::move(rollback));
    out.push_back(std::move(hotfix));
    out.push_back(std::move(staging));
    out.push_back(std::move(stats));
    return out;
}

}  // namespace deploybot
