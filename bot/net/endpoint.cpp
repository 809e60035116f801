#include "bot/net/endpoint.hpp"

#include <boost/url/grammar/parse.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace deploybot {

std::string endpoint::host_header() const {
    const bool default_port = (tls && port == "443") || (!tls && port == "80");
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return default_port ? h : h + ":" + port;
}

result<endpoint> parse_endpoint(std::string_view url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) return make_error_code(errc::bad_url);
    const boost::urls::url_view& u = *parsed;
    std::string scheme(u.scheme());
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    endpoint ep;
    if (scheme == "https" || scheme == "wss") ep.tls = true;
    else if (scheme != "http" && scheme != "ws") return make_error_code(errc::bad_url);
    ep.websocket = scheme == "ws" || scheme == "wss";
    if (!u.has_authority() || u.encoded_host().empty()) return make_error_code(errc::bad_url);
    if (u.host_type() == boost::urls::host_type::ipv6) {
        ep.host = std::string(u.encoded_host_address());
    } else {
        ep.host = std::string(u.encoded_host());
    }
    ep.port = u.has_port() ? std::string(u.port()) : (ep.tls ? "443" : "80");
    std::string target(u.encoded_path());
    if (target.empty()) target = "/";
    if (u.has_query()) {
        target += "?";
        target += std::string(u.encoded_query());
    }
    ep.target = std::move(target);
    return ep;
}

bool is_ip_literal(std::string_view host) {
    if (host.find(':') != std::string_view::npos) return true;   // IPv6
    return !host.empty() && std::all_of(host.begin(), host.end(),
                                        [](unsigned char c) { return std::isdigit(c) || c == '.'; });
}

std::optional<listen_address> parse_listen_address(std::string_view text, std::string* why) {
    auto fail = [&](std::string reason) -> std::optional<listen_address> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return fail("must be host:port, e.g. 127.0.0.1:9187 (or \"\" to turn /healthz and /metrics off)");
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535)
        return fail("the port must be a number from 0 to 65535, e.g. 127.0.0.1:9187");
    listen_address out;
    out.port = static_cast<std::uint16_t>(port);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
        if (!boost::urls::parse_ipv6_address(host)) return fail("[" + std::string(host) + "] is not an IPv6 address");
    } else if (host != "localhost" && !boost::urls::parse_ipv4_address(host)) {
        return fail("the host must be an IP address (127.0.0.1, 0.0.0.0, [::1]) or localhost");
    }
    out.host = std::string(host);
    return out;
}

}  // namespace deploybot
