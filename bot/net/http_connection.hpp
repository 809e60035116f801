#pragma once
// Private to http_client*.cpp: one pooled connection, and the exchange on
// it compiled once per stream type (http_client_plain.cpp, http_client_tls.cpp),
// so the two Beast instantiations build in parallel.
#include "bot/net/http_client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>

namespace deploybot::detail {

namespace beast = boost::beast;

// One pooled connection: plain or TLS.
struct http_connection {
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
    void close() {
        system::error_code ec;
        lowest().socket().close(ec);
    }
};

struct http_limits {
    std::size_t max_header_bytes;
    std::size_t max_body_bytes;
};

// Writes `req` and reads the response into `out`. References on purpose (a
// stream cannot be copied): only ever co_awaited directly by the client's
// run(), whose frame owns the connection, the request and `out`.
asio::awaitable<system::error_code> http_exchange_plain(http_connection& conn,
                                                        beast::http::request<beast::http::string_body>& req,
                                                        http_response& out, http_limits limits);
asio::awaitable<system::error_code> http_exchange_tls(http_connection& conn,
                                                      beast::http::request<beast::http::string_body>& req,
                                                      http_response& out, http_limits limits);
// The client side of the TLS handshake on conn.tls. By reference for the same
// reason: co_awaited directly by run(), which holds the connection's shared_ptr.
asio::awaitable<system::error_code> http_tls_handshake(http_connection& conn);

}  // namespace deploybot::detail
