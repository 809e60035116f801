// The TLS WebSocket stream's Beast instantiations (the plain one is in ws_stream_plain.cpp).
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "bot/net/ws_stream_impl.hpp"

namespace deploybot::detail {

std::unique_ptr<ws_stream> make_tls_ws_stream(asio::any_io_executor ex, ws_options options) {
    return std::make_unique<ws_stream_impl<websocket::stream<beast::ssl_stream<beast::tcp_stream>>>>(
        std::move(ex), std::move(options));
}

}  // namespace deploybot::detail
