#pragma once
// Private to http_client_plain.cpp and http_client_tls.cpp.
#include "bot/net/http_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

namespace deploybot::detail {

namespace http = beast::http;

// References on purpose, as for http_exchange_plain/tls (http_connection.hpp):
// only ever co_awaited directly from them, inside run(), whose frame owns all four.
template <class Stream>
asio::awaitable<system::error_code> exchange(Stream& stream, http_connection& conn,
                                         http::request<http::string_body>& req, http_response& out,
                                         http_limits limits) {
    auto [wec, w] = co_await http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
    if (wec) co_return wec;
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    if (req.method() == http::verb::head) parser.skip(true);
    auto [rec, r] = co_await http::async_read(stream, conn.buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (rec) co_return rec == http::error::body_limit ? make_error_code(errc::body_too_large) : rec;
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.headers.clear();
    for (const auto& field : res)
        out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    out.body = std::move(res.body());
    co_return system::error_code{};
}


}  // namespace deploybot::detail
