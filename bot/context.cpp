#include "bot/context.hpp"

#include "bot/log.hpp"

namespace deploybot {

asio::awaitable<void> reply_ephemeral(bot_context& ctx, slash_command cmd, blocks::message msg) {
    auto body = blocks::to_json(msg);
    if (!cmd.response_url.empty()) {
        body["response_type"] = "ephemeral";
        auto r = co_await ctx.slack.respond(cmd.response_url, std::move(body));
        if (r) co_return;
        log::warn("reply", "response_url reply failed ({}); trying chat.postEphemeral", r.error().to_string());
        body = blocks::to_json(msg);
    }
    auto r = co_await ctx.slack.post_ephemeral(cmd.channel_id, cmd.user_id, std::move(body));
    if (!r) log::warn("reply", "ephemeral reply to {} failed: {}", cmd.user_id, r.error().to_string());
}

asio::awaitable<void> reply_ephemeral(bot_context& ctx, block_action click, blocks::message msg) {
    auto r = co_await ctx.slack.post_ephemeral(click.channel_id, click.user_id, blocks::to_json(msg));
    if (r) co_return;
    log::warn("reply", "ephemeral reply to {} failed: {}", click.user_id, r.error().to_string());
    if (!click.response_url.empty()) {
        auto body = blocks::to_json(msg);
        body["response_type"] = "ephemeral";
        body["replace_original"] = false;
        co_await ctx.slack.respond(click.response_url, std::move(body));
    }
}

audit_entry audit_row(bot_context& ctx, std::string user, std::string kind, std::string what, std::string channel,
                      std::string detail) {
    audit_entry e;
    e.at = ctx.clock();
    e.user_id = std::move(user);
    e.kind = std::move(kind);
    e.what = std::move(what);
    e.channel_id = std::move(channel);
    e.detail = std::move(detail);
    return e;
}

void audit(bot_context& ctx, std::string user, std::string kind, std::string what, std::string channel,
           std::string detail) {
    auto e = audit_row(ctx, std::move(user), std::move(kind), std::move(what), std::move(channel), std::move(detail));
    if (auto r = ctx.db.append_audit(e); !r) log::error("store", "audit append failed: {}", r.error().message());
}

}  // namespace deploybot
