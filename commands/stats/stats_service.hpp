#pragma once
#include "commands/bot_context.hpp"
#include "commands/deploy/deploy_commands.hpp"

#include <memory>

namespace deploybot {

// /deploy stats [days] (an ephemeral answer to whoever asks) and the weekly
// digest in #deployments (stats.weekly_digest): DORA's four figures from the
// deploy records (commands/workflow/stats.hpp). The digest is a durable timer
// per week ("stats.digest:<Monday>") posted through the deploy records'
// post_once, so a restart never posts a week twice and a missed Monday goes
// out once, late.
std::unique_ptr<feature_module> make_stats_service(bot_context& ctx, deploy_records& records);

}  // namespace deploybot
