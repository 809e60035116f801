// The plain HTTP exchange's Beast instantiations (TLS: http_client_tls.cpp).
#include "bot/net/http_exchange_impl.hpp"

namespace deploybot::detail {

asio::awaitable<system::error_code> http_exchange_plain(http_connection& conn, http::request<http::string_body>& req,
                                                        http_response& out, http_limits limits) {
    co_return co_await exchange(*conn.plain, conn, req, out, limits);
}

}  // namespace deploybot::detail
