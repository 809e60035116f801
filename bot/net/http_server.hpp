#pragma once
// A small HTTP/1.1 server for the operator's read-only endpoints (/healthz,
// /metrics): plain HTTP, bounded requests, keep-alive, a deadline on every
// read and write, a cap on connections. Runs on the app's loop; no Beast types
// here (they stay in http_server.cpp).
#include "bot/core/error.hpp"
#include "bot/net/endpoint.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace deploybot {

namespace asio = boost::asio;

struct http_server_options {
    listen_address address{"127.0.0.1", 9187};
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 1024;                  // the endpoints take no body
    std::chrono::milliseconds request_timeout{10000};   // to read one request / write one response
    std::chrono::milliseconds idle_timeout{60000};      // keep-alive between requests
    std::size_t max_connections = 32;                   // more are closed on accept
};

struct http_server_request {
    std::string method;   // GET or HEAD (others are answered 405 by the server)
    std::string path;     // target without the query string
};

struct http_server_response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

// Called on the loop thread, synchronously, once per request.
using http_server_handler = std::function<http_server_response(const http_server_request&)>;

class http_server {
public:
    // Binds and listens. A bind failure (address in use, no such address) is
    // an error value; serving starts at once.
    static result<std::unique_ptr<http_server>> listen(asio::any_io_executor ex, http_server_options options,
                                                       http_server_handler handler);
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    // The bound port (the real one when 0 was asked for).
    std::uint16_t port() const;

    // Stops accepting, closes every connection; the handler is not called again.
    void stop();

    struct impl;

private:
    explicit http_server(std::shared_ptr<impl> p);
    std::shared_ptr<impl> impl_;
};

}  // namespace deploybot
