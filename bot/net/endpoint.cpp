#include "bot/net/endpoint.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>

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

}  // namespace deploybot
