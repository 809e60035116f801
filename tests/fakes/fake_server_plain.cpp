// The plain HTTP/WebSocket connection's Beast instantiations (TLS: fake_server_tls.cpp).
#include "fakes/fake_server_impl.hpp"

namespace deploybot::fakes::detail {

asio::awaitable<void> run_plain_connection(fake_server::impl* server, tcp::socket socket, std::uint64_t connection_id) {
    co_await run_http(server, beast::tcp_stream(std::move(socket)), connection_id);
}

}  // namespace deploybot::fakes::detail
