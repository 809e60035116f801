#pragma once
#include "bot/core/backoff.hpp"
#include "bot/core/envelope.hpp"
#include "bot/slack/socket_mode_fsm.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/net/ws_client.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace deploybot {

class runtime_metrics;

struct socket_mode_options {
    ws_options ws;
    std::chrono::milliseconds hello_timeout{10000};
    std::chrono::milliseconds close_timeout{3000};     // bound on a closing handshake
    // After a replacement says hello, the old connection keeps reading (and
    // acking) this long before it is closed: Slack may have routed envelopes
    // to it that are still in flight, and a closing WebSocket discards them.
    std::chrono::milliseconds retire_drain{1500};
    backoff_policy backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)};
    std::chrono::milliseconds too_many_websockets_backoff{60000};
    std::uint64_t jitter_seed = 0;                     // 0 = random
    runtime_metrics* metrics = nullptr;                // envelopes, acks, ack latency; null = off
};

// Keeps one ready Socket Mode connection to Slack. Every envelope is acked
// as soon as it is parsed and handed to the handler, which must not block
// (it spawns its work) and may return the ack's response payload (an instant
// answer to a slash command, when the envelope accepts one). Refresh is make-before-break: a new connection is opened and
// must say hello before the old one is closed with 1000. Dead connections are
// found by the WebSocket idle timeout (own pings at half of it) and replaced
// with exponential backoff + jitter. Auth failures and link_disabled stop it.
class socket_mode_client {
public:
    using envelope_handler = std::function<std::optional<json::object>(envelope_frame&)>;

    socket_mode_client(asio::any_io_executor ex, slack_api& api, socket_mode_options options,
                       envelope_handler handler);
    ~socket_mode_client();

    // Runs until stop() or an unrecoverable condition.
    asio::awaitable<socket_mode_exit> run();

    // Stop taking envelopes; run() then flushes queued acks, closes every
    // connection with 1000 (bounded by close_timeout) and returns `stopped`.
    void stop();

    socket_mode_status status() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace deploybot
