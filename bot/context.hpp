#pragma once
// What the runtime hands to feature modules: the pieces it owns (config,
// Slack, store, HTTP client, router, clock). The composition root (main.cpp)
// builds the modules from it; bot/ knows them only as feature_module.
#include "bot/config.hpp"
#include "bot/core/blocks.hpp"
#include "bot/core/envelope.hpp"
#include "bot/core/router.hpp"
#include "bot/metrics.hpp"
#include "bot/scheduler.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/slack/socket_mode.hpp"
#include "bot/store/store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

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
    scheduler& timers;       // durable timers on the injected time source (clock() is its now())
    metrics::registry& metrics;   // /metrics: modules add their own families (loop thread only)
};

// Ephemeral answer to the person who typed a command (response_url, so it
// works in any channel). Parameters are values: the reply may outlive the
// caller; `ctx` is the app's own, which outlives every handler and reply (the
// app stops the io_context before it destroys the context).
asio::awaitable<void> reply_ephemeral(bot_context& ctx, slash_command cmd, blocks::message msg);
// Ephemeral answer to the person who clicked (chat.postEphemeral in that channel).
asio::awaitable<void> reply_ephemeral(bot_context& ctx, block_action click, blocks::message msg);

// One audit row (who, what, when, channel), stamped with the context's clock.
audit_entry audit_row(bot_context& ctx, std::string user, std::string kind, std::string what, std::string channel,
                      std::string detail = {});
// Appends one row to the audit log on its own; a failure is logged. A change a
// person caused is written with store::write_audited instead, in its own transaction.
void audit(bot_context& ctx, std::string user, std::string kind, std::string what, std::string channel,
           std::string detail = {});

// A feature (the production deploy workflow, later rollback, hotfix, …): it
// registers its routes when built, resumes persisted work on start(), and
// stops its timers on stop().
class feature_module {
public:
    virtual ~feature_module() = default;
    virtual void start() {}
    virtual void stop() {}
};

using module_list = std::vector<std::unique_ptr<feature_module>>;
using module_factory = std::function<module_list(bot_context&)>;

}  // namespace deploybot
