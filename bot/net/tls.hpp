#pragma once
// Private to the translation units that own a TLS stream (http_client.cpp, ws_client.cpp).
#include "bot/net/http_client.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>

namespace deploybot::detail {

// TLS 1.2+ client context: system CAs plus options.ca_file, peer verification on.
// There is deliberately no way to switch verification off.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const tls_options& options);

// SNI (unless `host` is an IP literal) and host name verification for one stream.
template <class SslStream>
system::error_code prepare_tls_stream(SslStream& stream, const std::string& host);

}  // namespace deploybot::detail
