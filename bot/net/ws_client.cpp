#include "bot/net/ws_client.hpp"

#include "bot/net/endpoint.hpp"
#include "bot/net/ws_stream.hpp"
#include "bot/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <memory>

namespace deploybot {

using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

// The connection's logic (outbox, one write chain, bounded close) over a
// stream of either type (bot/net/ws_stream.hpp); no Beast in this file.
struct ws_connection::impl : std::enable_shared_from_this<impl> {
    asio::any_io_executor executor_;
    ws_options options_;
    std::unique_ptr<detail::ws_stream> ws_;
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

    void abort() {
        open_ = false;
        if (!ws_) return;
        ws_->abort();
        drained_.cancel();
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
        ws_ = ep.tls ? detail::make_tls_ws_stream(executor_, options_) : detail::make_plain_ws_stream(executor_, options_);
        if (auto ec = co_await ws_->connect(std::move(results), ep, deadline)) co_return ec;
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
        ws_->write(outbox_.front().text, [self = shared_from_this()](system::error_code ec) { self->on_write(ec); });
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
    auto m = co_await p->ws_->read();
    if (!m) p->open_ = false;
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
    // The pending read (owned by the reader coroutine) sees the close reply; we
    // only bound the handshake and then make sure the socket is gone.
    asio::steady_timer guard(p->executor_, deadline);
    guard.async_wait([weak = std::weak_ptr<impl>(p)](system::error_code ec) {
        if (auto s = weak.lock(); s && !ec) s->abort();
    });
    co_await p->ws_->close(code, deadline - std::chrono::steady_clock::now());
    guard.cancel();
}

void ws_connection::abort() { impl_->abort(); }

bool ws_connection::is_open() const { return impl_->open_; }

std::size_t ws_connection::pending_writes() const { return impl_->outbox_.size(); }

}  // namespace deploybot
