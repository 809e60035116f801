#pragma once
#include "bot/core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deploybot {

// Where an http(s):// or ws(s):// URL points.
struct endpoint {
    bool tls = false;
    bool websocket = false;
    std::string host;     // without brackets for IPv6
    std::string port;     // always set (defaults 80/443)
    std::string target;   // path + query, at least "/"

    std::string pool_key() const { return (tls ? "s:" : "p:") + host + ":" + port; }
    std::string host_header() const;   // "host" or "host:port" when not default
};

// Pure: parses an absolute URL (Boost.URL). errc::bad_url for anything else.
result<endpoint> parse_endpoint(std::string_view url);

// Pure: true when `host` is an IPv4/IPv6 literal (no SNI for those).
bool is_ip_literal(std::string_view host);

// Where a server listens, as written in http.listen ("127.0.0.1:9187").
struct listen_address {
    std::string host;   // an IP literal (IPv6 without brackets) or "localhost"
    std::uint16_t port = 0;   // 0 = any free port
};

// Pure: "IPv4:port", "[IPv6]:port" or "localhost:port"; nullopt, with the
// reason in *why, for anything else.
std::optional<listen_address> parse_listen_address(std::string_view text, std::string* why = nullptr);

}  // namespace deploybot
