#include "bot/net/tls.hpp"

#include "bot/net/endpoint.hpp"
#include "bot/log.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>

namespace deploybot::detail {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_client_tls_context(const tls_options& options) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    system::error_code ec;
    ctx->set_default_verify_paths(ec);
    if (ec) log::warn("tls", "cannot load the system CA store: {}", ec.message());
    if (options.ca_file && !options.ca_file->empty()) {
        ctx->load_verify_file(*options.ca_file, ec);
        if (ec) log::error("tls", "cannot load tls.ca_file {}: {}", *options.ca_file, ec.message());
    }
    ctx->set_verify_mode(ssl::verify_peer);
    return ctx;
}

template <class SslStream>
system::error_code prepare_tls_stream(SslStream& stream, const std::string& host) {
    if (!is_ip_literal(host)) {
        if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()))
            return make_error_code(errc::tls_error);
    }
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(host));
    return {};
}

template system::error_code prepare_tls_stream(boost::beast::ssl_stream<boost::beast::tcp_stream>&,
                                               const std::string&);

}  // namespace deploybot::detail
