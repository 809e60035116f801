#include "bot/net/ws_client.hpp"

#include "bot/net/tls.hpp"
#include "bot/net/endpoint.hpp"
#include "bot/log.hpp"

#include <memory>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <deque>
#include <variant>

namespace deploybot {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using plain_ws = websocket::stream<beast::tcp_stream>;
using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
}  // namespace

struct ws_connection::impl : std::enable_shared_from_this<impl> {
    asio::any_io_executor executor_;
    ws_options options_;
    std::shared_ptr<ssl::context> tls_context_;   // outlives the stream
    std::variant<std::monostate, std::unique_ptr<plain_ws>, std::unique_ptr<tls_ws>> ws_;
    beast::flat_buffer buffer_;
    struct outgoing {
        std::string text;
        std::function<void()> on_written;
    };
    std::deque<outgoing> outbox_;
    bool writing_ = false;
    bool open_ = false;
    bool closing_ = false;
    asio::steady_timer drained_;   // wakes close() when the outbox empties

    impl(asio::any_io_executor ex, ws_options options)
        : executor_(ex), options_(std::move(options)), drained_(ex) {}

    template <class F>
    decltype(auto) visit(F&& f) {
        if (auto* tls = std::get_if<std::unique_ptr<tls_ws>>(&ws_)) return f(**tls);
        return f(*std::get<std::unique_ptr<plain_ws>>(ws_));
    }

    beast::tcp_stream& lowest() {
        return visit([](auto& ws) -> beast::tcp_stream& { return beast::get_lowest_layer(ws); });
    }

    void abort() {
        open_ = false;
        if (std::holds_alternative<std::monostate>(ws_)) return;
        system::error_code ec;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        lowest().socket().close(ec);
        drained_.cancel();
    }

    template <class Ws>
    void configure(Ws& ws) {
        websocket::stream_base::timeout t{};
        t.handshake_timeout = options_.handshake_timeout;
        t.idle_timeout = options_.idle_timeout;
        t.keep_alive_pings = true;   // ping at idle/2; no inbound frame by idle → closed
        ws.set_option(t);
        ws.read_message_max(options_.max_message_bytes);
        ws.auto_fragment(false);
        ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
            req.set(beast::http::field::user_agent, "deploybot/" DEPLOYBOT_VERSION);
        }));
    }

    asio::awaitable<system::error_code> connect(endpoint ep) {   // a value: the frame may outlive the caller
        const auto deadline = std::chrono::steady_clock::now() + options_.handshake_timeout;
        // Shared with the deadline's handler, which may run after this frame is
        // gone (the timer fired just as the resolve completed): never by reference.
        auto resolver = std::make_shared<tcp::resolver>(executor_);
        asio::steady_timer resolve_timer(executor_, deadline);
        resolve_timer.async_wait([resolver](system::error_code ec) {
            if (!ec) resolver->cancel();
        });
        auto [rec, results] = co_await resolver->async_resolve(ep.host, ep.port, use_tuple);
        resolve_timer.cancel();
        if (rec) co_return rec == asio::error::operation_aborted ? make_error_code(errc::timeout) : rec;

        system::error_code ec;
        if (ep.tls) {
            tls_context_ = detail::make_client_tls_context(options_.tls);
            auto ws = std::make_unique<tls_ws>(executor_, *tls_context_);
            if (auto pec = detail::prepare_tls_stream(ws->next_layer(), ep.host)) co_return pec;
            auto& tcp_layer = beast::get_lowest_layer(*ws);
            tcp_layer.expires_at(deadline);
            auto [cec, _] = co_await tcp_layer.async_connect(results, use_tuple);
            if (cec) co_return cec;
            auto [hec] = co_await ws->next_layer().async_handshake(ssl::stream_base::client, use_tuple);
            if (hec) {
                log::warn("socket", "TLS handshake with {}:{} failed: {}", ep.host, ep.port, hec.message());
                co_return hec;
            }
            tcp_layer.expires_never();   // the websocket timeouts take over
            configure(*ws);
            ws_ = std::move(ws);
        } else {
            auto ws = std::make_unique<plain_ws>(executor_);
            auto& tcp_layer = beast::get_lowest_layer(*ws);
            tcp_layer.expires_at(deadline);
            auto [cec, _] = co_await tcp_layer.async_connect(results, use_tuple);
            if (cec) co_return cec;
            tcp_layer.expires_never();
            configure(*ws);
            ws_ = std::move(ws);
        }
        websocket::response_type response;
        ec = co_await visit([&](auto& ws) -> asio::awaitable<system::error_code> {
            auto [e] = co_await ws.async_handshake(response, ep.host_header(), ep.target, use_tuple);
            co_return e;
        });
        if (ec) {
            if (response.result_int() != 0 && response.result_int() != 101)
                log::warn("socket", "WebSocket handshake refused with HTTP {}", response.result_int());
            abort();
            co_return ec == websocket::error::upgrade_declined ? make_error_code(errc::handshake_failed) : ec;
        }
        open_ = true;
        co_return system::error_code{};
    }

    // One write chain per connection, started when the outbox fills and
    // ended when it empties: no coroutine frame or spawn per ack.
    void start_writer() {
        if (writing_ || outbox_.empty() || !open_) return;
        writing_ = true;
        write_front();
    }

    void write_front() {
        visit([&](auto& ws) {
            ws.text(true);
            ws.async_write(asio::buffer(outbox_.front().text),
                           [self = shared_from_this()](system::error_code ec, std::size_t) { self->on_write(ec); });
        });
    }

    void on_write(system::error_code ec) {
        if (ec) {
            log::warn("socket", "write failed: {}", ec.message());
            outbox_.clear();
            abort();
        } else {
            auto done = std::move(outbox_.front().on_written);
            outbox_.pop_front();
            if (done) done();
            if (!outbox_.empty() && open_) {
                write_front();
                return;
            }
        }
        writing_ = false;
        drained_.cancel();
    }
};

ws_connection::ws_connection(std::shared_ptr<impl> p) : impl_(std::move(p)) {}

ws_connection::~ws_connection() { impl_->abort(); }

asio::awaitable<result<std::shared_ptr<ws_connection>>> ws_connection::connect(asio::any_io_executor ex,
                                                                               std::string url, ws_options options) {
    auto ep = parse_endpoint(url);
    if (!ep || !ep->websocket) co_return make_error_code(errc::bad_url);
    auto p = std::make_shared<impl>(ex, std::move(options));
    if (auto ec = co_await p->connect(*ep)) co_return ec;
    co_return std::shared_ptr<ws_connection>(new ws_connection(std::move(p)));
}

asio::awaitable<result<ws_connection::message>> ws_connection::read() {
    auto p = impl_;
    if (!p->open_) co_return make_error_code(errc::connection_closed);
    p->buffer_.clear();
    system::error_code ec = co_await p->visit([&](auto& ws) -> asio::awaitable<system::error_code> {
        auto [e, n] = co_await ws.async_read(p->buffer_, use_tuple);
        co_return e;
    });
    if (ec) {
        p->open_ = false;
        if (ec == beast::error::timeout) co_return make_error_code(errc::timeout);
        co_return ec;
    }
    message m;
    m.is_binary = p->visit([](auto& ws) { return !ws.got_text(); });
    m.text = beast::buffers_to_string(p->buffer_.data());
    co_return m;
}

void ws_connection::send(std::string text, std::function<void()> on_written) {
    if (!impl_->open_ || impl_->closing_) return;
    impl_->outbox_.push_back({std::move(text), std::move(on_written)});
    impl_->start_writer();
}

asio::awaitable<void> ws_connection::close(int code, std::chrono::milliseconds timeout) {
    auto p = impl_;
    if (!p->open_ || p->closing_) co_return;
    p->closing_ = true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // Acks already queued go out before the close frame.
    while (p->writing_ && p->open_ && std::chrono::steady_clock::now() < deadline) {
        p->drained_.expires_at(deadline);
        co_await p->drained_.async_wait(use_tuple);
    }
    if (!p->open_) co_return;
    p->visit([&](auto& ws) {
        auto t = websocket::stream_base::timeout{};
        t.handshake_timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::max(deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration(1)));
        t.idle_timeout = websocket::stream_base::none();
        t.keep_alive_pings = false;
        ws.set_option(t);
    });
    // The pending read (owned by the reader coroutine) sees the close reply; we
    // only bound the handshake and then make sure the socket is gone.
    asio::steady_timer guard(p->executor_, deadline);
    guard.async_wait([weak = std::weak_ptr<impl>(p)](system::error_code ec) {
        if (auto s = weak.lock(); s && !ec) s->abort();
    });
    co_await p->visit([&](auto& ws) -> asio::awaitable<void> {
        auto [e] = co_await ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)), use_tuple);
        if (e && e != asio::error::operation_aborted)
            log::debug("socket", "close handshake ended with {}", e.message());
    });
    guard.cancel();
}

void ws_connection::abort() { impl_->abort(); }

bool ws_connection::is_open() const { return impl_->open_; }

std::size_t ws_connection::pending_writes() const { return impl_->outbox_.size(); }

}  // namespace deploybot
