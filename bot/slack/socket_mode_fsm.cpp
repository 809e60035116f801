#include "bot/slack/socket_mode_fsm.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace deploybot {

std::string_view to_string(connection_state s) {
    switch (s) {
    case connection_state::connecting: return "connecting";
    case connection_state::connected: return "connected";
    case connection_state::reconnecting: return "reconnecting";
    case connection_state::stopped: return "stopped";
    }
    return "?";
}

namespace sm {

namespace {
template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};

note info(std::string text) { return note{false, std::move(text)}; }
note warning(std::string text) { return note{true, std::move(text)}; }
}  // namespace

machine::machine(socket_mode_fsm_options options) : options_(options) {
    s_.rng.seed(options_.jitter_seed);
}

std::vector<action> machine::on(const event& e) {
    std::vector<action> out;
    std::visit([&](const auto& ev) { handle(ev, out); }, e);
    return out;
}

connection* machine::get(conn_id id) {
    auto it = std::find_if(s_.conns.begin(), s_.conns.end(), [&](const connection& c) { return c.id == id; });
    return it == s_.conns.end() ? nullptr : &*it;
}

const connection* machine::find(conn_id id) const {
    auto it = std::find_if(s_.conns.begin(), s_.conns.end(), [&](const connection& c) { return c.id == id; });
    return it == s_.conns.end() ? nullptr : &*it;
}

bool machine::has_live_connection() const {
    return std::any_of(s_.conns.begin(), s_.conns.end(), [](const connection& c) { return !c.retiring && c.open; });
}

// One connection attempt (with backoff after failures) unless a connection
// is ready or being set up.
void machine::ensure_connected(std::vector<action>& out) {
    if (s_.stopping || s_.connecting || has_live_connection()) return;
    s_.status.state = s_.ever_ready ? connection_state::reconnecting : connection_state::connecting;
    std::chrono::milliseconds delay{0};
    if (s_.attempt > 0) delay = backoff_delay(options_.backoff, s_.attempt - 1, s_.rng());
    if (s_.too_many_websockets) delay = std::max(delay, options_.too_many_websockets_backoff);
    s_.too_many_websockets = false;
    ++s_.attempt;
    const conn_id id = s_.next_id++;
    s_.connecting = id;
    if (delay.count() > 0) out.push_back(info(fmt::format("reconnecting in {} ms (attempt {})", delay.count(), s_.attempt)));
    out.push_back(open{id, purpose::connect, delay});
}

// A refresh may arrive on a connection that has not said hello yet
// (reference/slack.md §7.7): it is replaced all the same, once.
void machine::start_replacement(conn_id of, std::vector<action>& out) {
    const auto* c = find(of);
    if (!c || c->retiring || s_.replacing || s_.stopping) return;
    const conn_id id = s_.next_id++;
    s_.replacing = id;
    out.push_back(open{id, purpose::replacement, std::chrono::milliseconds(0)});
}

void machine::retire(connection& c, std::chrono::milliseconds drain, std::vector<action>& out) {
    if (c.retiring) return;
    c.retiring = true;
    out.push_back(close{c.id, drain});
}

void machine::finish_with(socket_mode_exit why, std::vector<action>& out) {
    if (!s_.exit) s_.exit = why;
    if (s_.stopping) return;
    s_.stopping = true;
    s_.status.state = connection_state::stopped;
    out.push_back(cancel_wait{});
    // Every connection closes at once, in parallel: the shutdown promise is 5 s.
    for (auto& c : s_.conns) {
        if (c.retiring) continue;
        c.retiring = true;
        out.push_back(close{c.id, std::chrono::milliseconds(0)});
    }
    out.push_back(finish{*s_.exit});
}

void machine::handle(const start&, std::vector<action>& out) { ensure_connected(out); }

void machine::handle(const stop&, std::vector<action>& out) { finish_with(socket_mode_exit::stopped, out); }

void machine::handle(const opened& e, std::vector<action>& out) {
    const bool was_connect = s_.connecting == e.id;
    if (was_connect) s_.connecting.reset();
    if (s_.stopping || (!was_connect && s_.replacing != e.id)) {
        // Stopping, or an attempt nobody waits for any more: never used.
        if (s_.replacing == e.id) s_.replacing.reset();
        out.push_back(abort{e.id});
        return;
    }
    s_.conns.push_back(connection{e.id});
    out.push_back(info(fmt::format("connection {} open, waiting for hello", e.id)));
    out.push_back(watch{e.id});
}

void machine::handle(const open_failed& e, std::vector<action>& out) {
    if (e.auth_failed) {
        if (s_.connecting == e.id) s_.connecting.reset();
        if (s_.replacing == e.id) s_.replacing.reset();
        finish_with(socket_mode_exit::auth_failed, out);
        return;
    }
    if (s_.connecting == e.id) {
        s_.connecting.reset();
        ensure_connected(out);
    } else if (s_.replacing == e.id) {
        // The old connection stays until Slack closes it; then ensure_connected.
        s_.replacing.reset();
    }
}

void machine::handle(const hello& e, std::vector<action>& out) {
    auto* c = get(e.id);
    if (!c || c->ready) return;
    c->ready = true;
    s_.attempt = 0;
    s_.current = e.id;
    s_.replacing.reset();
    s_.replacement_failures = 0;
    if (s_.ever_ready) ++s_.status.reconnects;   // a refresh or a reconnect after a loss
    s_.ever_ready = true;
    s_.status.state = connection_state::connected;
    s_.status.connected_since = e.wall;
    s_.status.num_connections = e.frame.num_connections;
    s_.status.host = e.frame.host;
    out.push_back(info(fmt::format("connection {} ready (hello from {}, {} open connection(s), lifetime ~{} s)", e.id,
                                   e.frame.host, e.frame.num_connections, e.frame.approximate_connection_time_s)));
    const auto ours = static_cast<int>(
        std::count_if(s_.conns.begin(), s_.conns.end(), [](const connection& x) { return x.open; }));
    // Slack still counts a connection this process closed moments ago (a
    // rotation): only a surplus beyond those is worth a warning.
    const auto recent = e.now - std::chrono::seconds(10);
    std::erase_if(s_.recently_closed, [&](auto t) { return t < recent; });
    if (e.frame.num_connections > ours + static_cast<int>(s_.recently_closed.size()))
        out.push_back(warning(fmt::format("Slack counts {} connections but this process holds {}: another instance or "
                                          "ghost connections may be receiving envelopes",
                                          e.frame.num_connections, ours)));
    // Make-before-break: only now that the new one is ready, close the rest.
    for (auto& other : s_.conns)
        if (other.id != e.id) retire(other, options_.retire_drain, out);
}

void machine::handle(const disconnect& e, std::vector<action>& out) {
    auto* c = get(e.id);
    if (!c) return;
    switch (e.frame.reason) {
    case disconnect_reason::warning:
    case disconnect_reason::refresh_requested:
        out.push_back(info(fmt::format("connection {}: Slack asked to refresh ({}); opening a replacement", e.id,
                                       e.frame.reason_text)));
        start_replacement(e.id, out);
        break;
    case disconnect_reason::link_disabled:
        out.push_back(warning("Slack disabled Socket Mode for this app (link_disabled); not reconnecting. "
                              "Turn Socket Mode back on in the app settings and restart deploybot."));
        finish_with(socket_mode_exit::link_disabled, out);
        break;
    case disconnect_reason::too_many_websockets:
        out.push_back(warning(fmt::format("Slack refused connection {}: too_many_websockets (another deploybot "
                                          "instance or leaked connections); backing off",
                                          e.id)));
        s_.too_many_websockets = true;
        retire(*c, std::chrono::milliseconds(0), out);
        break;
    case disconnect_reason::unknown:
        out.push_back(warning(fmt::format("connection {}: disconnect with unknown reason '{}'; replacing it", e.id,
                                          e.frame.reason_text)));
        start_replacement(e.id, out);
        break;
    }
}

void machine::handle(const hello_deadline& e, std::vector<action>& out) {
    auto* c = get(e.id);
    if (!c || c->ready || !c->open) return;
    out.push_back(warning(fmt::format("connection {}: no hello in time; dropping it", e.id)));
    c->open = false;
    out.push_back(abort{e.id});
}

void machine::handle(const closed& e, std::vector<action>& out) {
    auto* c = get(e.id);
    if (!c) return;
    const bool was_ready = c->ready;
    std::erase_if(s_.conns, [&](const connection& x) { return x.id == e.id; });
    s_.recently_closed.push_back(e.now);
    if (s_.recently_closed.size() > 16) s_.recently_closed.erase(s_.recently_closed.begin());
    if (!was_ready && s_.replacing == e.id) {
        // The replacement died before its hello (or timed out waiting for it):
        // open another while the old one still serves, a few times at most;
        // after that ensure_connected takes over once Slack closes the old one.
        s_.replacing.reset();
        const auto* cur = find(s_.current);
        if (cur && !cur->retiring && !s_.stopping &&
            ++s_.replacement_failures <= options_.max_replacement_failures) {
            out.push_back(warning(fmt::format("replacement connection {} closed before hello; opening another", e.id)));
            start_replacement(s_.current, out);
        }
    }
    if (e.id == s_.current) {
        s_.current = 0;
        for (const auto& other : s_.conns)
            if (other.ready && !other.retiring) s_.current = other.id;
    }
    if (!s_.current && s_.status.state == connection_state::connected)
        s_.status.state = connection_state::reconnecting;
    ensure_connected(out);
}

}  // namespace sm
}  // namespace deploybot
