#include "bot/net/http_client.hpp"

#include "bot/net/http_connection.hpp"
#include "bot/net/tls.hpp"
#include "bot/net/endpoint.hpp"
#include "bot/log.hpp"
#include "bot/runtime_metrics.hpp"

#include <memory>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <cerrno>
#include <strings.h>
#include <sys/socket.h>

namespace deploybot {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Methods that may be sent again without changing the result (RFC 9110 §9.2.2).
bool is_idempotent(http::verb v) {
    return v == http::verb::get || v == http::verb::head || v == http::verb::options || v == http::verb::put ||
           v == http::verb::delete_;
}

// A pooled connection the server closed (or wrote to) while it sat idle is
// unusable. Checked without blocking before reuse, so a request that changes
// something is not written into a connection that is already gone.
bool looks_reusable(detail::http_connection& c) {
    if (c.buffer.size() != 0) return false;   // stray bytes: the previous exchange left something
    auto& sock = c.lowest().socket();
    if (!sock.is_open()) return false;
    char byte = 0;
    const auto n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n >= 0) return false;                  // 0 = orderly close; >0 = unsolicited data (e.g. TLS close_notify)
    return errno == EAGAIN || errno == EWOULDBLOCK;
}

bool is_stale_connection_error(const system::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}
}  // namespace

std::string http_response::header(std::string_view name) const {
    for (const auto& h : headers)
        if (h.name.size() == name.size() && strncasecmp(h.name.data(), name.data(), name.size()) == 0) return h.value;
    return {};
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    long long secs = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
    if (ec != std::errc{} || ptr != value.data() + value.size() || secs < 0) return std::nullopt;
    return std::chrono::seconds(std::min<long long>(secs, 24 * 3600));
}

struct session_free {
    void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};

struct http_client::impl : std::enable_shared_from_this<impl> {
    asio::any_io_executor executor_;
    http_client_options options_;
    std::shared_ptr<ssl::context> tls_context_;
    std::multimap<std::string, std::unique_ptr<detail::http_connection>> idle_;
    // The last TLS session per host, offered again on the next connection.
    std::map<std::string, std::unique_ptr<SSL_SESSION, session_free>> sessions_;
    tls_counts tls_counts_;

    void remember_session(const std::string& key, detail::http_connection& conn) {
        if (!conn.tls) return;
        // A copy: OpenSSL marks the connection's own session not resumable when
        // the connection is freed without a TLS shutdown (an idle close).
        SSL_SESSION* s = SSL_get1_session(conn.tls->native_handle());
        if (s && SSL_SESSION_is_resumable(s)) sessions_[key].reset(SSL_SESSION_dup(s));
        if (s) SSL_SESSION_free(s);
    }

    impl(asio::any_io_executor ex, http_client_options options)
        : executor_(std::move(ex)), options_(std::move(options)),
          tls_context_(detail::make_client_tls_context(options_.tls)) {}

    std::unique_ptr<detail::http_connection> take_idle(const std::string& key) {
        for (auto it = idle_.find(key); it != idle_.end() && it->first == key; it = idle_.find(key)) {
            auto conn = std::move(it->second);
            idle_.erase(it);
            if (looks_reusable(*conn)) return conn;
            conn->close();
        }
        return nullptr;
    }

    void give_back(const std::string& key, std::unique_ptr<detail::http_connection> conn) {
        if (idle_.count(key) >= options_.max_idle_per_host) return;   // closes it
        idle_.emplace(key, std::move(conn));
    }

    // Parameters are values: a coroutine may outlive its caller's frame.
    asio::awaitable<result<std::unique_ptr<detail::http_connection>>> open(endpoint ep,
                                                              std::chrono::steady_clock::time_point deadline) {
        // Shared with the deadline's handler, which may run after this frame is
        // gone (the timer fired just as the resolve completed): never by reference.
        auto resolver = std::make_shared<tcp::resolver>(executor_);
        // The resolver has no timeout of its own: a timer cancels it.
        asio::steady_timer resolve_timer(executor_, deadline);
        resolve_timer.async_wait([resolver](system::error_code ec) {
            if (!ec) resolver->cancel();
        });
        auto [rec, results] = co_await resolver->async_resolve(ep.host, ep.port, use_tuple);
        resolve_timer.cancel();
        if (rec) co_return rec == asio::error::operation_aborted ? make_error_code(errc::timeout) : rec;

        auto conn = std::make_unique<detail::http_connection>();
        if (ep.tls) {
            conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor_, *tls_context_);
            if (auto ec = detail::prepare_tls_stream(*conn->tls, ep.host)) co_return ec;
            if (auto it = sessions_.find(ep.pool_key()); it != sessions_.end())
                SSL_set_session(conn->tls->native_handle(), it->second.get());
        } else {
            conn->plain = std::make_unique<beast::tcp_stream>(executor_);
        }
        auto& stream = conn->lowest();
        stream.expires_at(deadline);
        auto [cec, _] = co_await stream.async_connect(results, use_tuple);
        if (cec) co_return cec == beast::error::timeout ? make_error_code(errc::timeout) : cec;
        if (ep.tls) {
            auto hec = co_await detail::http_tls_handshake(*conn);
            if (hec) {
                log::warn("http", "TLS handshake with {}:{} failed: {}", ep.host, ep.port, hec.message());
                co_return hec == beast::error::timeout ? make_error_code(errc::timeout) : hec;
            }
            ++tls_counts_.handshakes;
            if (SSL_session_reused(conn->tls->native_handle())) ++tls_counts_.resumed;
        }
        co_return conn;
    }

    asio::awaitable<result<http_response>> run(http_request request) {
        auto self = shared_from_this();   // the client may be destroyed while we run
        auto ep = parse_endpoint(request.url);
        if (!ep || ep->websocket) co_return make_error_code(errc::bad_url);
        const auto timeout = request.timeout.value_or(options_.timeout);

        http::verb verb = http::string_to_verb(request.method);
        if (verb == http::verb::unknown) co_return make_error_code(errc::bad_url);
        http::request<http::string_body> req{verb, ep->target, 11};
        req.set(http::field::host, ep->host_header());
        req.set(http::field::user_agent, "deploybot/" DEPLOYBOT_VERSION);
        req.keep_alive(true);
        for (const auto& h : request.headers) req.set(h.name, h.value);
        if (!request.body.empty() || verb == http::verb::post || verb == http::verb::put ||
            verb == http::verb::patch) {
            req.body() = std::move(request.body);   // request is this frame's own copy
            req.prepare_payload();
        }

        const std::string key = ep->pool_key();
        const bool idempotent = is_idempotent(verb);
        // A pooled connection may have been closed by the server while idle. For an
        // idempotent request such a failure is retried once on a fresh connection.
        // A request that changes something (POST, PATCH) is never sent twice by
        // us: once its bytes went out, a failure is errc::outcome_unknown, and the
        // caller reads the service's state before saying anything.
        for (int attempt = 0; attempt < 2; ++attempt) {
            const auto deadline = std::chrono::steady_clock::now() + timeout;
            auto conn = attempt == 0 ? take_idle(key) : nullptr;
            const bool reused = conn != nullptr;
            if (!conn) {
                auto opened = co_await open(*ep, deadline);
                if (!opened) co_return opened.error();
                conn = std::move(*opened);
            }
            conn->lowest().expires_at(deadline);
            http_response out;
            system::error_code ec;
            const detail::http_limits limits{options_.max_header_bytes, options_.max_body_bytes};
            if (conn->tls) ec = co_await detail::http_exchange_tls(*conn, req, out, limits);
            else ec = co_await detail::http_exchange_plain(*conn, req, out, limits);
            if (ec) {
                conn->close();
                if (!idempotent) {
                    log::warn("http", "{} {}:{}{} got no answer ({}); not sent again", request.method, ep->host,
                              ep->port, log::truncate_for_log(ep->target, 120), ec.message());
                    co_return make_error_code(errc::outcome_unknown);
                }
                if (reused && is_stale_connection_error(ec)) continue;
                if (ec == beast::error::timeout) co_return make_error_code(errc::timeout);
                co_return ec;
            }
            // After the first exchange: a TLS 1.3 session ticket arrives after the handshake.
            if (!reused) remember_session(key, *conn);
            const auto connection_header = out.header("Connection");
            const bool server_keeps = strcasecmp(connection_header.c_str(), "close") != 0;
            if (server_keeps) {
                conn->lowest().expires_never();
                give_back(key, std::move(conn));
            } else {
                conn->close();
            }
            co_return out;
        }
        co_return make_error_code(errc::connection_closed);
    }
};

http_client::http_client(asio::any_io_executor ex, http_client_options options)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(options))) {}

http_client::~http_client() { close_idle(); }

asio::awaitable<result<http_response>> http_client::request(http_request req) {
    auto p = impl_;
    const auto service = req.service;
    auto r = co_await p->run(std::move(req));
    if (p->options_.metrics) p->options_.metrics->api_response(service, r ? r->status : 0);
    co_return r;
}

void http_client::note_rate_limit_wait(std::string_view service, std::chrono::milliseconds wait) {
    if (impl_->options_.metrics) impl_->options_.metrics->rate_limit_wait(service, wait);
}

void http_client::close_idle() {
    for (auto& [key, conn] : impl_->idle_) conn->close();
    impl_->idle_.clear();
}

const http_client_options& http_client::options() const { return impl_->options_; }

http_client::tls_counts http_client::tls_handshakes() const { return impl_->tls_counts_; }

}  // namespace deploybot
