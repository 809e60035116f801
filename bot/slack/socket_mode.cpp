#include "bot/slack/socket_mode.hpp"

#include "bot/log.hpp"
#include "bot/runtime_metrics.hpp"
#include "bot/spawn.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <random>
#include <vector>

namespace deploybot {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

std::string_view to_string(connection_state s) {
    switch (s) {
    case connection_state::connecting: return "connecting";
    case connection_state::connected: return "connected";
    case connection_state::reconnecting: return "reconnecting";
    case connection_state::stopped: return "stopped";
    }
    return "?";
}

struct socket_mode_client::impl : std::enable_shared_from_this<impl> {
    struct connection {
        std::uint64_t id = 0;
        std::shared_ptr<ws_connection> ws;
        bool ready = false;
        bool retiring = false;
        std::chrono::steady_clock::time_point opened_at;
    };

    asio::any_io_executor executor_;
    slack_api& api_;
    socket_mode_options options_;
    envelope_handler handler_;

    std::vector<std::shared_ptr<connection>> connections_;
    std::shared_ptr<connection> current_;
    std::uint64_t next_id_ = 1;
    bool stopping_ = false;
    int replacement_failures_ = 0;   // replacements lost before hello since the last hello
    std::vector<std::chrono::steady_clock::time_point> recently_closed_;   // bounded (16)
    bool reconnect_pending_ = false;
    bool replacing_ = false;
    bool too_many_websockets_ = false;
    int attempt_ = 0;
    std::optional<socket_mode_exit> exit_;
    std::mt19937_64 rng_;
    asio::steady_timer wake_;      // run() sleeps on it until exit_
    asio::steady_timer backoff_;   // reconnect delay, cancelled by stop()
    socket_mode_status status_;

    impl(asio::any_io_executor ex, slack_api& api, socket_mode_options options, envelope_handler handler)
        : executor_(ex), api_(api), options_(std::move(options)), handler_(std::move(handler)),
          rng_(options_.jitter_seed ? options_.jitter_seed : std::random_device{}()), wake_(ex), backoff_(ex) {}

    template <class Coro>
    void spawn(Coro&& coro, std::string_view what) {
        spawn_logged(executor_, std::forward<Coro>(coro), "socket", std::string(what));
    }

    void finish(socket_mode_exit why) {
        if (!exit_) exit_ = why;
        stopping_ = true;
        backoff_.cancel();
        wake_.cancel();
    }

    bool has_live_connection() const {
        return std::any_of(connections_.begin(), connections_.end(),
                           [](const auto& c) { return !c->retiring && c->ws->is_open(); });
    }

    // Schedules one connection attempt (with backoff after failures) unless a
    // connection is ready or being set up.
    void ensure_connected() {
        if (stopping_ || reconnect_pending_ || has_live_connection()) return;
        reconnect_pending_ = true;
        status_.state = status_.reconnects == 0 && attempt_ == 0 ? connection_state::connecting
                                                                 : connection_state::reconnecting;
        spawn(attempt_connect(shared_from_this()), "reconnect");
    }

    static asio::awaitable<void> attempt_connect(std::shared_ptr<impl> self) {
        std::chrono::milliseconds delay{0};
        if (self->attempt_ > 0) delay = backoff_delay(self->options_.backoff, self->attempt_ - 1, self->rng_());
        if (self->too_many_websockets_) delay = std::max(delay, self->options_.too_many_websockets_backoff);
        self->too_many_websockets_ = false;
        ++self->attempt_;
        if (delay.count() > 0) {
            log::info("socket", "reconnecting in {} ms (attempt {})", delay.count(), self->attempt_);
            self->backoff_.expires_after(delay);
            co_await self->backoff_.async_wait(use_tuple);
        }
        bool ok = false;
        if (!self->stopping_) ok = co_await self->open_connection();
        self->reconnect_pending_ = false;
        if (!ok) self->ensure_connected();
    }

    // apps.connections.open (fresh single-use URL) + WebSocket connect. The
    // connection becomes usable only when its hello arrives.
    asio::awaitable<bool> open_connection() {
        auto self = shared_from_this();
        auto url = co_await api_.connections_open();
        if (!url) {
            if (url.error().is_auth_failure()) {
                log::error("socket",
                           "apps.connections.open refused the app token ({}); stopping. Check SLACK_APP_TOKEN: an "
                           "app-level token (xapp-…) with scope connections:write",
                           url.error().code);
                finish(socket_mode_exit::auth_failed);
            } else {
                log::warn("socket", "apps.connections.open failed: {}", url.error().to_string());
            }
            co_return false;
        }
        auto ws = co_await ws_connection::connect(executor_, *url, options_.ws);
        if (!ws) {
            log::warn("socket", "WebSocket connect failed: {}", ws.error().message());
            co_return false;
        }
        if (stopping_) {
            (*ws)->abort();
            co_return false;
        }
        auto c = std::make_shared<connection>();
        c->id = next_id_++;
        c->ws = std::move(*ws);
        c->opened_at = std::chrono::steady_clock::now();
        connections_.push_back(c);
        log::info("socket", "connection {} open, waiting for hello", c->id);
        spawn(read_loop(self, c), "socket reader");
        spawn(hello_deadline(self, c), "hello deadline");
        co_return true;
    }

    static asio::awaitable<void> hello_deadline(std::shared_ptr<impl> self, std::shared_ptr<connection> c) {
        asio::steady_timer timer(self->executor_, self->options_.hello_timeout);
        co_await timer.async_wait(use_tuple);
        if (!c->ready && c->ws->is_open()) {
            log::warn("socket", "connection {}: no hello within {} ms; dropping it", c->id,
                      self->options_.hello_timeout.count());
            c->ws->abort();
        }
    }

    static asio::awaitable<void> read_loop(std::shared_ptr<impl> self, std::shared_ptr<connection> c) {
        while (true) {
            auto m = co_await c->ws->read();
            if (!m) {
                if (!c->retiring && !self->stopping_)
                    log::warn("socket", "connection {} lost: {}", c->id, m.error().message());
                break;
            }
            if (m->is_binary) {
                log::warn("socket", "connection {}: ignoring a binary frame of {} bytes", c->id, m->text.size());
                continue;
            }
            self->on_frame(c, parse_frame(m->text));
        }
        self->on_closed(c);
    }

    void on_frame(const std::shared_ptr<connection>& c, frame f) {
        if (auto* env = std::get_if<envelope_frame>(&f)) {
            if (stopping_) {
                // Slash commands and clicks are never delivered again: acked with a
                // "restarting" answer. Events stay unacked, so Slack retries them.
                if (env->type == envelope_type::slash_commands || env->type == envelope_type::interactive)
                    c->ws->send(make_restarting_ack(env->envelope_id));
                return;
            }
            c->ws->send(make_ack(env->envelope_id), ack_observer(env->type));   // ack first, always
            // The handler runs in a later turn of the loop, so the ack's write
            // starts before any handler work (even the dedup write to SQLite).
            asio::post(executor_, [self = shared_from_this(), env = std::move(*env)]() mutable {
                try {
                    self->handler_(std::move(env));
                } catch (const std::exception& e) {
                    log::error("socket", "envelope handler threw: {}", e.what());
                }
            });
        } else if (auto* hello = std::get_if<hello_frame>(&f)) {
            on_hello(c, *hello);
        } else if (auto* d = std::get_if<disconnect_frame>(&f)) {
            on_disconnect(c, *d);
        } else if (auto* bad = std::get_if<invalid_frame>(&f)) {
            if (bad->envelope_id && !stopping_) c->ws->send(make_ack(*bad->envelope_id));
            log::warn("socket", "connection {}: ignoring a frame: {}", c->id, bad->reason);
        }
    }

    // Counts the envelope now and its ack once written (null without metrics).
    std::function<void()> ack_observer(envelope_type type) {
        auto* m = options_.metrics;
        if (!m) return {};
        m->envelope_received(type);
        return [m, type, read_at = std::chrono::steady_clock::now()] {
            m->ack_written(type, std::chrono::steady_clock::now() - read_at);
        };
    }

    void on_hello(const std::shared_ptr<connection>& c, const hello_frame& h) {
        if (c->ready) return;
        c->ready = true;
        attempt_ = 0;
        auto previous = current_;
        current_ = c;
        replacing_ = false;
        replacement_failures_ = 0;
        if (previous) ++status_.reconnects;
        status_.state = connection_state::connected;
        status_.connected_since = std::chrono::system_clock::now();
        status_.num_connections = h.num_connections;
        status_.host = h.host;
        log::info("socket", "connection {} ready (hello from {}, {} open connection(s), lifetime ~{} s)", c->id,
                  h.host, h.num_connections, h.approximate_connection_time_s);
        const auto ours = static_cast<int>(std::count_if(connections_.begin(), connections_.end(),
                                                         [](const auto& x) { return x->ws->is_open(); }));
        // Slack still counts a connection this process closed moments ago (a
        // rotation): only a surplus beyond those is worth a warning.
        const auto recent = std::chrono::steady_clock::now() - std::chrono::seconds(10);
        std::erase_if(recently_closed_, [&](auto t) { return t < recent; });
        if (h.num_connections > ours + static_cast<int>(recently_closed_.size()))
            log::warn("socket", "Slack counts {} connections but this process holds {}: another instance or "
                                "ghost connections may be receiving envelopes",
                      h.num_connections, ours);
        // Make-before-break: only now that the new one is ready, close the rest.
        for (auto& other : connections_)
            if (other != c && !other->retiring) retire(other, options_.retire_drain);
    }

    void on_disconnect(const std::shared_ptr<connection>& c, const disconnect_frame& d) {
        switch (d.reason) {
        case disconnect_reason::warning:
        case disconnect_reason::refresh_requested:
            log::info("socket", "connection {}: Slack asked to refresh ({}); opening a replacement", c->id,
                      d.reason_text);
            start_replacement(c);
            break;
        case disconnect_reason::link_disabled:
            log::error("socket", "Slack disabled Socket Mode for this app (link_disabled); not reconnecting. "
                                 "Turn Socket Mode back on in the app settings and restart deploybot.");
            finish(socket_mode_exit::link_disabled);
            break;
        case disconnect_reason::too_many_websockets:
            log::error("socket", "Slack refused connection {}: too_many_websockets (another deploybot instance or "
                                 "leaked connections); backing off",
                       c->id);
            too_many_websockets_ = true;
            retire(c, std::chrono::milliseconds(0));
            break;
        case disconnect_reason::unknown:
            log::warn("socket", "connection {}: disconnect with unknown reason '{}'; replacing it", c->id,
                      d.reason_text);
            start_replacement(c);
            break;
        }
    }

    // A refresh may arrive on a connection that has not said hello yet
    // (reference/slack.md §7.7): it is replaced all the same, once.
    void start_replacement(const std::shared_ptr<connection>& c) {
        if (c->retiring || replacing_ || stopping_) return;
        replacing_ = true;
        spawn(replace(shared_from_this()), "replacement");
    }

    static asio::awaitable<void> replace(std::shared_ptr<impl> self) {
        const bool ok = co_await self->open_connection();
        if (!ok) {
            self->replacing_ = false;   // the old one stays until Slack closes it; then ensure_connected
        }
    }

    void retire(const std::shared_ptr<connection>& c, std::chrono::milliseconds drain) {
        if (c->retiring) return;
        c->retiring = true;
        spawn(close_connection(shared_from_this(), c, drain), "close");
    }

    static asio::awaitable<void> close_connection(std::shared_ptr<impl> self, std::shared_ptr<connection> c,
                                                  std::chrono::milliseconds drain) {
        if (drain.count() > 0) {
            asio::steady_timer timer(self->executor_, drain);
            co_await timer.async_wait(use_tuple);
        }
        log::info("socket", "closing connection {}", c->id);
        co_await c->ws->close(1000, self->options_.close_timeout);
        c->ws->abort();   // the closing handshake is bounded; the socket is always gone after it
    }

    void on_closed(const std::shared_ptr<connection>& c) {
        std::erase(connections_, c);
        recently_closed_.push_back(std::chrono::steady_clock::now());
        if (recently_closed_.size() > 16) recently_closed_.erase(recently_closed_.begin());
        if (!c->ready && replacing_) {
            // The replacement died before its hello (or timed out waiting for it):
            // open another while the old one still serves, a few times at most;
            // after that ensure_connected takes over once Slack closes the old one.
            replacing_ = false;
            if (current_ && !current_->retiring && !stopping_ && ++replacement_failures_ <= 3) {
                log::warn("socket", "replacement connection {} closed before hello; opening another", c->id);
                start_replacement(current_);
            }
        }
        if (c == current_) {
            current_.reset();
            for (auto& other : connections_)
                if (other->ready && !other->retiring) current_ = other;
        }
        if (!current_ && status_.state == connection_state::connected)
            status_.state = connection_state::reconnecting;
        ensure_connected();
        wake_.cancel();   // run() may be waiting for connections to drain
    }

    asio::awaitable<socket_mode_exit> run() {
        auto self = shared_from_this();
        ensure_connected();
        while (!exit_) {
            wake_.expires_at(std::chrono::steady_clock::time_point::max());
            co_await wake_.async_wait(use_tuple);
        }
        status_.state = connection_state::stopped;
        // Close every connection with 1000 (queued acks go first), bounded.
        auto open = connections_;
        for (auto& c : open) {
            c->retiring = true;
            co_await c->ws->close(1000, options_.close_timeout);
            c->ws->abort();
        }
        co_return *exit_;
    }
};

socket_mode_client::socket_mode_client(asio::any_io_executor ex, slack_api& api, socket_mode_options options,
                                       envelope_handler handler)
    : impl_(std::make_shared<impl>(std::move(ex), api, std::move(options), std::move(handler))) {}

socket_mode_client::~socket_mode_client() {
    impl_->stopping_ = true;
    impl_->handler_ = [](envelope_frame) {};
}

asio::awaitable<socket_mode_exit> socket_mode_client::run() {
    auto p = impl_;
    co_return co_await p->run();
}

void socket_mode_client::stop() { impl_->finish(socket_mode_exit::stopped); }

socket_mode_status socket_mode_client::status() const { return impl_->status_; }

}  // namespace deploybot
