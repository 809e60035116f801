#include "bot/slack/socket_mode.hpp"

#include "bot/log.hpp"
#include "bot/runtime_metrics.hpp"
#include "bot/spawn.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <random>

namespace deploybot {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

// The runner: performs the machine's actions (socket_mode_fsm.hpp) and feeds
// back what happened. Envelopes are the data path and stay here: acked as
// soon as they are parsed, the handler in a later turn of the loop.
struct socket_mode_client::impl : std::enable_shared_from_this<impl> {
    asio::any_io_executor executor_;
    slack_api& api_;
    socket_mode_options options_;
    envelope_handler handler_;
    sm::machine machine_;
    std::map<sm::conn_id, std::shared_ptr<ws_connection>> sockets_;
    asio::steady_timer wake_;      // run() sleeps on it until the machine is done
    asio::steady_timer backoff_;   // an open's delay, cut short by cancel_wait

    static socket_mode_fsm_options machine_options(const socket_mode_options& o) {
        socket_mode_fsm_options m;
        m.backoff = o.backoff;
        m.too_many_websockets_backoff = o.too_many_websockets_backoff;
        m.retire_drain = o.retire_drain;
        m.jitter_seed = o.jitter_seed ? o.jitter_seed : std::random_device{}();
        return m;
    }

    impl(asio::any_io_executor ex, slack_api& api, socket_mode_options options, envelope_handler handler)
        : executor_(ex), api_(api), options_(std::move(options)), handler_(std::move(handler)),
          machine_(machine_options(options_)), wake_(ex), backoff_(ex) {}

    template <class Coro>
    void spawn(Coro&& coro, std::string_view what) {
        spawn_logged(executor_, std::forward<Coro>(coro), "socket", std::string(what));
    }

    void feed(sm::event e) {
        for (auto& a : machine_.on(e)) perform(std::move(a));
        if (machine_.done()) wake_.cancel();
    }

    void perform(sm::action a) {
        std::visit(
            [&](auto& act) {
                using T = std::decay_t<decltype(act)>;
                if constexpr (std::is_same_v<T, sm::open>) {
                    spawn(open_connection(shared_from_this(), act.id, act.delay), "connect");
                } else if constexpr (std::is_same_v<T, sm::watch>) {
                    spawn(read_loop(shared_from_this(), act.id), "socket reader");
                    spawn(hello_deadline(shared_from_this(), act.id), "hello deadline");
                } else if constexpr (std::is_same_v<T, sm::close>) {
                    spawn(close_connection(shared_from_this(), act.id, act.drain), "close");
                } else if constexpr (std::is_same_v<T, sm::abort>) {
                    if (auto ws = socket(act.id)) ws->abort();
                } else if constexpr (std::is_same_v<T, sm::cancel_wait>) {
                    backoff_.cancel();
                } else if constexpr (std::is_same_v<T, sm::finish>) {
                    wake_.cancel();
                } else if constexpr (std::is_same_v<T, sm::note>) {
                    if (act.warning) log::warn("socket", "{}", act.text);
                    else log::info("socket", "{}", act.text);
                }
            },
            a);
    }

    std::shared_ptr<ws_connection> socket(sm::conn_id id) const {
        auto it = sockets_.find(id);
        return it == sockets_.end() ? nullptr : it->second;
    }

    // (Optional delay, then) apps.connections.open (a fresh single-use URL) +
    // WebSocket connect. The connection becomes usable only when its hello arrives.
    static asio::awaitable<void> open_connection(std::shared_ptr<impl> self, sm::conn_id id,
                                                 std::chrono::milliseconds delay) {
        if (delay.count() > 0) {
            self->backoff_.expires_after(delay);
            co_await self->backoff_.async_wait(use_tuple);
        }
        if (self->machine_.stopping()) {
            self->feed(sm::open_failed{id});
            co_return;
        }
        auto url = co_await self->api_.connections_open();
        if (!url) {
            const bool auth = url.error().code == errc::auth_failed;
            if (auth)
                log::error("socket",
                           "apps.connections.open refused the app token ({}); stopping. Check SLACK_APP_TOKEN: an "
                           "app-level token (xapp-…) with scope connections:write",
                           url.error().word());
            else
                log::warn("socket", "apps.connections.open failed: {}", url.error().to_string());
            self->feed(sm::open_failed{id, auth});
            co_return;
        }
        auto ws = co_await ws_connection::connect(self->executor_, *url, self->options_.ws);
        if (!ws) {
            log::warn("socket", "WebSocket connect failed: {}", ws.error().message());
            self->feed(sm::open_failed{id});
            co_return;
        }
        self->sockets_[id] = std::move(*ws);
        self->feed(sm::opened{id});
        // Not taken (stopping): the machine aborted it; forget it.
        if (!self->machine_.find(id)) self->sockets_.erase(id);
    }

    static asio::awaitable<void> hello_deadline(std::shared_ptr<impl> self, sm::conn_id id) {
        asio::steady_timer timer(self->executor_, self->options_.hello_timeout);
        co_await timer.async_wait(use_tuple);
        self->feed(sm::hello_deadline{id});
    }

    static asio::awaitable<void> read_loop(std::shared_ptr<impl> self, sm::conn_id id) {
        auto ws = self->socket(id);
        while (ws) {
            auto m = co_await ws->read();
            if (!m) {
                const auto* c = self->machine_.find(id);
                if (c && !c->retiring && !self->machine_.stopping())
                    log::warn("socket", "connection {} lost: {}", id, m.error().message());
                break;
            }
            if (m->is_binary) {
                log::warn("socket", "connection {}: ignoring a binary frame of {} bytes", id, m->text.size());
                continue;
            }
            self->on_frame(id, *ws, parse_frame(m->text));
        }
        self->sockets_.erase(id);
        self->feed(sm::closed{id, std::chrono::steady_clock::now()});
    }

    void on_frame(sm::conn_id id, ws_connection& ws, frame f) {
        if (auto* env = std::get_if<envelope_frame>(&f)) {
            if (machine_.stopping()) {
                // Slash commands and clicks are never delivered again: acked with a
                // "restarting" answer. Events stay unacked, so Slack retries them.
                if (env->type == envelope_type::slash_commands || env->type == envelope_type::interactive)
                    ws.send(make_restarting_ack(env->envelope_id));
                return;
            }
            // The handler runs before the ack is written: it does no I/O (the
            // dedup is in memory, audit rows are queued, work is spawned), and
            // an instant answer travels in the ack instead of a response_url POST.
            auto observer = ack_observer(env->type);
            std::optional<json::object> answer;
            try {
                answer = handler_(*env);
            } catch (const std::exception& e) {
                log::error("socket", "envelope handler threw: {}", e.what());
            }
            if (answer && env->accepts_response_payload)
                ws.send(make_ack(env->envelope_id, std::move(*answer)), std::move(observer));
            else
                ws.send(make_ack(env->envelope_id), std::move(observer));
        } else if (auto* h = std::get_if<hello_frame>(&f)) {
            feed(sm::hello{id, std::move(*h), std::chrono::steady_clock::now(), std::chrono::system_clock::now()});
        } else if (auto* d = std::get_if<disconnect_frame>(&f)) {
            feed(sm::disconnect{id, std::move(*d)});
        } else if (auto* bad = std::get_if<invalid_frame>(&f)) {
            if (bad->envelope_id && !machine_.stopping()) ws.send(make_ack(*bad->envelope_id));
            log::warn("socket", "connection {}: ignoring a frame: {}", id, bad->reason);
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

    static asio::awaitable<void> close_connection(std::shared_ptr<impl> self, sm::conn_id id,
                                                  std::chrono::milliseconds drain) {
        if (drain.count() > 0) {
            asio::steady_timer timer(self->executor_, drain);
            co_await timer.async_wait(use_tuple);
        }
        auto ws = self->socket(id);
        if (!ws) co_return;
        log::info("socket", "closing connection {}", id);
        co_await ws->close(1000, self->options_.close_timeout);
        ws->abort();   // the closing handshake is bounded; the socket is always gone after it
    }

    asio::awaitable<socket_mode_exit> run() {
        auto self = shared_from_this();
        feed(sm::start{});
        // Every connection is closed by the machine's own actions (in parallel,
        // each bounded by close_timeout); run() returns when all are gone.
        while (!machine_.done()) {
            wake_.expires_at(std::chrono::steady_clock::time_point::max());
            co_await wake_.async_wait(use_tuple);
        }
        co_return *machine_.current().exit;
    }
};

socket_mode_client::socket_mode_client(asio::any_io_executor ex, slack_api& api, socket_mode_options options,
                                       envelope_handler handler)
    : impl_(std::make_shared<impl>(std::move(ex), api, std::move(options), std::move(handler))) {}

socket_mode_client::~socket_mode_client() {
    impl_->handler_ = [](envelope_frame&) { return std::optional<json::object>{}; };
    if (!impl_->machine_.stopping()) impl_->feed(sm::stop{});
}

asio::awaitable<socket_mode_exit> socket_mode_client::run() {
    auto p = impl_;
    co_return co_await p->run();
}

void socket_mode_client::stop() { impl_->feed(sm::stop{}); }

socket_mode_status socket_mode_client::status() const { return impl_->machine_.current().status; }

}  // namespace deploybot
