// The plain WebSocket stream's Beast instantiations (the TLS one is in ws_stream_tls.cpp).
#include "bot/net/ws_stream_impl.hpp"

namespace deploybot::detail {

std::unique_ptr<ws_stream> make_plain_ws_stream(asio::any_io_executor ex, ws_options options) {
    return std::make_unique<ws_stream_impl<websocket::stream<beast::tcp_stream>>>(std::move(ex), std::move(options));
}

}  // namespace deploybot::detail
