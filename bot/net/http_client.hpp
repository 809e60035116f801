#pragma once
#include "bot/core/error.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deploybot {

namespace asio = boost::asio;

class runtime_metrics;

struct http_header {
    std::string name;
    std::string value;
};

struct http_request {
    std::string method = "GET";
    std::string url;                      // absolute http:// or https:// URL
    std::vector<http_header> headers;
    std::string body;
    std::optional<std::chrono::milliseconds> timeout;   // default: client's
    std::string_view service = "other";   // metrics label ("slack", "github", …); a literal
};

struct http_response {
    int status = 0;
    std::vector<http_header> headers;
    std::string body;

    // Case-insensitive; empty when absent.
    std::string header(std::string_view name) const;
};

struct tls_options {
    std::optional<std::string> ca_file;   // extra CAs on top of the system store
    // The system store's hashed directory, used alone; unset = $SSL_CERT_DIR or
    // OpenSSL's (/usr/lib/ssl/certs). Not a config key: tests point it at their own.
    std::optional<std::string> system_ca_dir;
};

struct http_client_options {
    std::chrono::milliseconds timeout{10000};   // connect + TLS + one exchange
    std::size_t max_body_bytes = 8 << 20;
    std::size_t max_header_bytes = 16 << 10;
    std::size_t max_idle_per_host = 4;
    tls_options tls;
    runtime_metrics* metrics = nullptr;          // counts responses per service and status; null = off
};

// HTTP/1.1 client shared by Slack, GitHub, Vercel and Sentry clients.
// Keeps connections alive and reuses them per scheme+host+port; every request
// has a deadline; TLS verifies the peer and host name (SNI set) always.
// Transport failures come back as error codes; any HTTP status is a response.
class http_client {
public:
    http_client(asio::any_io_executor ex, http_client_options options);
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    asio::awaitable<result<http_response>> request(http_request req);

    // A caller waits out a rate limit of `service` before trying again (metrics only).
    void note_rate_limit_wait(std::string_view service, std::chrono::milliseconds wait);

    // Closes idle pooled connections (shutdown).
    void close_idle();

    // TLS handshakes done so far, and how many of them resumed a session
    // (after an idle connection closed, the next one resumes instead of
    // doing a full handshake).
    struct tls_counts {
        std::uint64_t handshakes = 0;
        std::uint64_t resumed = 0;
    };
    tls_counts tls_handshakes() const;

    const http_client_options& options() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

// Parses a Retry-After header (delta seconds); nullopt when absent/invalid.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

}  // namespace deploybot
