#pragma once
#include "bot/context.hpp"
#include "bot/core/blocks.hpp"
#include "bot/config.hpp"
#include "bot/core/envelope.hpp"
#include "bot/core/router.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/slack/socket_mode.hpp"
#include "bot/store/store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>

namespace deploybot {

// "1 h 5 min", "3 d 4 h", "42 s" — pure.
std::string format_duration(std::chrono::seconds d);

// The bot part of /deploy status: version, uptime, connection state.
blocks::message render_basic_status(const bot_context& ctx);

// Registers /deploy help and /deploy status (foundation commands).
void register_basic_commands(bot_context& ctx);

}  // namespace deploybot
