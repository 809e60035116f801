#include "commands/service_clients.hpp"

#include "commands/bot_context.hpp"
#include "commands/module_support.hpp"

namespace deploybot {

namespace {
api_retry_options sentry_retry(const config& cfg) {
    auto o = retry_options(cfg);
    // A check that cannot be read soon is "no data" for its interval; the
    // watch goes on rather than waiting out a long rate limit.
    o.max_wait = std::chrono::seconds(30);
    return o;
}
}  // namespace

// The clients compare their clock with the servers' timestamps (rate-limit
// resets, lastAliasRequest.requestedAt), so they use the real clock; the
// injected clock drives the schedule and the watch only.
service_clients::service_clients(bot_context& ctx)
    : github(ctx.http, ctx.cfg.github, ctx.tokens.github_token, github_client_options{.retry = retry_options(ctx.cfg)}),
      vercel(ctx.http, ctx.cfg.vercel, ctx.tokens.vercel_token, vercel_client_options{.retry = retry_options(ctx.cfg)}),
      sentry(ctx.http, ctx.cfg.sentry, ctx.tokens.sentry_token, sentry_client_options{.retry = sentry_retry(ctx.cfg)}) {}

}  // namespace deploybot
