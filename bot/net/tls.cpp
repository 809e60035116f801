#include "bot/net/tls.hpp"

#include "bot/net/endpoint.hpp"
#include "bot/log.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <filesystem>

namespace deploybot::detail {

namespace ssl = boost::asio::ssl;

namespace {

// True when `dir` holds OpenSSL's hashed links ("5ad8a5d6.0"), as Debian's
// update-ca-certificates makes them in /etc/ssl/certs.
bool has_hashed_certificates(const std::string& dir) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name.size() >= 10 && name[8] == '.' &&
            name.find_first_not_of("0123456789abcdef") == 8)
            return true;
    }
    return false;
}

// The system CA store. Debian has it twice: a bundle file of ~150 certificates
// that OpenSSL parses up front (~1.3 MB of memory for the life of the process),
// and a hashed directory it reads one certificate at a time when a handshake
// needs it. The directory is used (options.system_ca_dir, else SSL_CERT_DIR,
// else OpenSSL's) unless SSL_CERT_FILE names a bundle: then OpenSSL's own
// defaults, which honour both variables.
void use_system_ca_store(ssl::context& ctx, const tls_options& options, system::error_code& ec) {
    if (options.system_ca_dir) {
        ctx.add_verify_path(*options.system_ca_dir, ec);
        return;
    }
    if (!std::getenv(X509_get_default_cert_file_env())) {
        const char* env_dir = std::getenv(X509_get_default_cert_dir_env());
        const std::string dir = env_dir && *env_dir ? env_dir : X509_get_default_cert_dir();
        if (has_hashed_certificates(dir)) {
            ctx.add_verify_path(dir, ec);
            return;
        }
    }
    ctx.set_default_verify_paths(ec);
}

}  // namespace

std::shared_ptr<ssl::context> make_client_tls_context(const tls_options& options) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    system::error_code ec;
    use_system_ca_store(*ctx, options, ec);
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
