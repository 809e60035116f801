// The TLS HTTP exchange's and handshake's Beast instantiations (plain: http_client_plain.cpp).
#include "bot/net/http_exchange_impl.hpp"

namespace deploybot::detail {

asio::awaitable<system::error_code> http_exchange_tls(http_connection& conn, http::request<http::string_body>& req,
                                                      http_response& out, http_limits limits) {
    co_return co_await exchange(*conn.tls, conn, req, out, limits);
}

asio::awaitable<system::error_code> http_tls_handshake(http_connection& conn) {
    auto [ec] = co_await conn.tls->async_handshake(asio::ssl::stream_base::client,
                                                    asio::as_tuple(asio::use_awaitable));
    co_return ec;
}

}  // namespace deploybot::detail
