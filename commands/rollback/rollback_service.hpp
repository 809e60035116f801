#pragma once
#include "commands/service_clients_fwd.hpp"
#include "commands/bot_context.hpp"
#include "commands/deploy/deploy_commands.hpp"

#include <memory>

namespace deploybot {

// One-click rollback (issue #8): `/deploy rollback [reason]` (alias
// `/rollback`) offers what production goes back to; the offer's button and the
// watch alert's Roll back button create a rollback record that Vercel's
// instant rollback carries out, followed until production serves the target.
// A rollback that goes live opens the post-mortem issue on GitHub.
std::unique_ptr<feature_module> make_rollback_service(bot_context& ctx, deploy_records& records, shared_clients clients);

}  // namespace deploybot
