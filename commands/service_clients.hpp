#pragma once
// One client per service for the whole process, built once by the
// composition root (make_feature_modules) and shared by every feature module:
// one token each, one retry policy per service, one ETag cache for GitHub
// (conditional GETs from the checklist, the staging feed, the hotfix lane and
// rollback all hit it).
#include "commands/service_clients_fwd.hpp"
#include "integrations/github/github_client.hpp"
#include "integrations/sentry/sentry_client.hpp"
#include "integrations/vercel/vercel_client.hpp"

#include <memory>

namespace deploybot {

struct bot_context;

struct service_clients {
    explicit service_clients(bot_context& ctx);

    github_client github;
    vercel_client vercel;
    sentry_client sentry;
};

}  // namespace deploybot
