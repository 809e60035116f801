#pragma once
// Private to ws_client.cpp and the two stream translation units. One
// WebSocket stream type (plain or TLS) behind virtual calls, so that each
// type's Beast instantiations are compiled in their own translation unit
// (ws_stream_plain.cpp, ws_stream_tls.cpp), in parallel on a 2-core build.
#include "bot/net/endpoint.hpp"
#include "bot/net/ws_client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

namespace deploybot::detail {

class ws_stream {
public:
    virtual ~ws_stream() = default;
    // TCP connect (+ TLS handshake) + WebSocket upgrade, bounded by `deadline`.
    virtual asio::awaitable<system::error_code> connect(asio::ip::tcp::resolver::results_type results, endpoint ep,
                                                        std::chrono::steady_clock::time_point deadline) = 0;
    virtual asio::awaitable<result<ws_connection::message>> read() = 0;
    // `text` must stay alive until `done` runs.
    virtual void write(std::string_view text, std::function<void(system::error_code)> done) = 0;
    // Closing handshake with `code`, bounded by `timeout` (the pending read sees the reply).
    virtual asio::awaitable<void> close(int code, std::chrono::steady_clock::duration timeout) = 0;
    virtual void abort() = 0;
};

std::unique_ptr<ws_stream> make_plain_ws_stream(asio::any_io_executor ex, ws_options options);
std::unique_ptr<ws_stream> make_tls_ws_stream(asio::any_io_executor ex, ws_options options);

}  // namespace deploybot::detail
