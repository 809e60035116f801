#pragma once
#include "bot/blocks.hpp"
#include "bot/config.hpp"
#include "bot/envelope.hpp"
#include "bot/router.hpp"
#include "bot/slack_api.hpp"
#include "bot/socket_mode.hpp"
#include "bot/store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>

namespace deploybot {

using wall_clock = std::function<std::chrono::system_clock::time_point()>;

// What command handlers may use. Owned by the app; outlives every handler.
struct bot_context {
    asio::any_io_executor executor;
    const config& cfg;
    slack_api& slack;
    store& db;
    http_client& http;
    const secrets& tokens;
    wall_clock clock;
    std::chrono::system_clock::time_point started_at;
    std::function<socket_mode_status()> socket_status;
    router& routes;
};

// Ephemeral answer to the person who typed a command (response_url, so it
// works in any channel). Parameters are values: the reply may outlive the caller.
asio::awaitable<void> reply_ephemeral(bot_context& ctx, slash_command cmd, blocks::message msg);
// Ephemeral answer to the person who clicked (chat.postEphemeral in that channel).
asio::awaitable<void> reply_ephemeral(bot_context& ctx, block_action click, blocks::message msg);

// Appends one row to the audit log (who, what, when, channel); a failure is logged.
void audit(bot_context& ctx, std::string user, std::string kind, std::string what, std::string channel,
           std::string detail = {});

// "1 h 5 min", "3 d 4 h", "42 s" — pure.
std::string format_duration(std::chrono::seconds d);

// The bot part of /deploy status: version, uptime, connection state.
blocks::message render_basic_status(const bot_context& ctx);

// Registers /deploy help and /deploy status (foundation commands).
void register_basic_commands(bot_context& ctx);

}  // namespace deploybot
