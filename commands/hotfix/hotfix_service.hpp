#pragma once
#include "commands/service_clients_fwd.hpp"
#include "commands/bot_context.hpp"
#include "commands/deploy/deploy_commands.hpp"

#include <memory>

namespace deploybot {

// The emergency hotfix lane (issue #9): `/deploy hotfix <branch|PR> <reason>`
// (alias `/hotfix`) checks the PR's approval and CI, posts a hotfix message
// with a Deploy hotfix button, builds exactly that commit for production,
// promotes it when Vercel stages it, follows it until production serves it,
// and then tracks the back-merge into the main branch (a daily reminder).
std::unique_ptr<feature_module> make_hotfix_service(bot_context& ctx, deploy_records& records, shared_clients clients);

}  // namespace deploybot
