#pragma once
#include "bot/core/error.hpp"
#include "bot/net/http_client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace deploybot {

struct ws_options {
    std::chrono::milliseconds handshake_timeout{10000};   // TCP + TLS + upgrade
    std::chrono::milliseconds idle_timeout{30000};        // no inbound frame → dead; pings at half
    std::size_t max_message_bytes = 1 << 20;
    tls_options tls;
};

// One WebSocket client connection (ws:// or wss://). Reads are done by one
// coroutine at a time; sends are queued and written in order, so any coroutine
// may send while another reads.
class ws_connection {
public:
    static asio::awaitable<result<std::shared_ptr<ws_connection>>> connect(asio::any_io_executor ex,
                                                                           std::string url, ws_options options);
    ~ws_connection();

    // Next text message. Control frames (ping/pong) are handled internally; a
    // binary message is returned with is_binary set. An error means the
    // connection is finished (closed by peer, idle timeout, reset).
    struct message {
        std::string text;
        bool is_binary = false;
    };
    asio::awaitable<result<message>> read();

    // Queues a text frame. Returns immediately; write errors end the connection.
    // `on_written` (optional) runs once the frame is written to the socket.
    void send(std::string text, std::function<void()> on_written = {});

    // Closing handshake with `code`, bounded by `timeout`, then the socket is closed.
    asio::awaitable<void> close(int code, std::chrono::milliseconds timeout);

    // Closes the socket without a handshake (pending read ends with an error).
    void abort();

    bool is_open() const;
    std::size_t pending_writes() const;

    struct impl;

private:
    explicit ws_connection(std::shared_ptr<impl> p);
    std::shared_ptr<impl> impl_;
};

}  // namespace deploybot
