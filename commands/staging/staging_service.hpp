#pragma once
#include "commands/service_clients_fwd.hpp"
#include "commands/bot_context.hpp"
#include "commands/deploy/deploy_commands.hpp"

#include <memory>

namespace deploybot {

// Staging announcements (issue #9): every vercel.staging_poll_s the bot looks
// for new staging builds of the main branch and posts one message each in
// #deployments, updated in place as it builds; READY ones get a "QA: sign off"
// button whose sign-off the next /deploy prod of that build starts with.
std::unique_ptr<feature_module> make_staging_service(bot_context& ctx, deploy_records& records, shared_clients clients);

}  // namespace deploybot
