#pragma once
#include "commands/service_clients_fwd.hpp"
#include "commands/bot_context.hpp"
#include "commands/deploy/deploy_commands.hpp"

#include <memory>

namespace deploybot {

// The one-hour watch after production goes live (issue #8): a Sentry deploy
// marker, the baseline, one check per monitoring.interval_s on a durable
// timer, thread updates, the channel alert (Roll back / Looks fine, keep
// watching) and the final summary. Performs the watch effects of the deploy
// records; registers the watch.* buttons and the "watch:" timers.
std::unique_ptr<feature_module> make_watch_service(bot_context& ctx, deploy_records& records, shared_clients clients);

}  // namespace deploybot
