// The TLS HTTP/WebSocket connection's Beast instantiations (plain: fake_server_plain.cpp).
#include "fakes/fake_server_impl.hpp"

namespace deploybot::fakes::detail {

asio::awaitable<void> run_tls_connection(fake_server::impl* server, tcp::socket socket, std::uint64_t connection_id) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *server->ssl_ctx);
    lowest(stream).expires_after(tls_handshake_timeout);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, tuple_awaitable);
    if (ec) co_return;   // e.g. a client that refused our certificate
    co_await run_http(server, std::move(stream), connection_id);
}

}  // namespace deploybot::fakes::detail
