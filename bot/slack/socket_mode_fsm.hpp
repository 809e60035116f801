#pragma once
// The Socket Mode connection lifecycle as a pure state machine: events in
// (a connection opened, said hello, asked to refresh, closed; a deadline
// passed; stop), actions out (open one, close one, abort one, finish). No
// sockets, no timers, no clock: time arrives inside the events. The runner in
// socket_mode.cpp performs the actions and feeds back what happened, so every
// reconnection decision (make-before-break refresh, too_many_websockets,
// hello timeout, backoff and its reset) is unit-tested step by step.
#include "bot/core/backoff.hpp"
#include "bot/core/envelope.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

namespace deploybot {

enum class connection_state { connecting, connected, reconnecting, stopped };
std::string_view to_string(connection_state s);

struct socket_mode_status {
    connection_state state = connection_state::connecting;
    std::chrono::system_clock::time_point connected_since{};
    int reconnects = 0;
    int num_connections = 0;    // from the last hello
    std::string host;           // from the last hello
};

// Why run() returned.
enum class socket_mode_exit { stopped, auth_failed, link_disabled };

struct socket_mode_fsm_options {
    backoff_policy backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)};
    std::chrono::milliseconds too_many_websockets_backoff{60000};
    // After a replacement says hello, the old connection keeps reading (and
    // acking) this long before it is closed: Slack may have routed envelopes
    // to it that are still in flight, and a closing WebSocket discards them.
    std::chrono::milliseconds retire_drain{1500};
    int max_replacement_failures = 3;
    std::uint64_t jitter_seed = 1;
};

namespace sm {

using conn_id = std::uint64_t;
using steady = std::chrono::steady_clock;

// Why a connection is being opened.
enum class purpose { connect, replacement };

// ---- events -----------------------------------------------------------------
struct start {};
struct stop {};
struct opened { conn_id id; };                         // WebSocket connected
struct open_failed { conn_id id; bool auth_failed = false; };   // connections.open or connect failed / cancelled
struct hello { conn_id id; hello_frame frame; steady::time_point now; std::chrono::system_clock::time_point wall; };
struct disconnect { conn_id id; disconnect_frame frame; };
struct hello_deadline { conn_id id; };                 // hello_timeout passed since `opened`
struct closed { conn_id id; steady::time_point now; }; // the socket is gone (read loop ended)
using event = std::variant<start, stop, opened, open_failed, hello, disconnect, hello_deadline, closed>;

// ---- actions ----------------------------------------------------------------
// Wait `delay` (cancellable), then apps.connections.open + connect; report
// opened / open_failed with this id.
struct open { conn_id id; purpose why; std::chrono::milliseconds delay{0}; };
struct watch { conn_id id; };                           // start reading it and arm its hello deadline
struct close { conn_id id; std::chrono::milliseconds drain{0}; };   // drain, then close 1000 (bounded), then abort
struct abort { conn_id id; };                           // drop the socket now
struct cancel_wait {};                                  // cut a pending open's delay short
struct finish { socket_mode_exit why; };
struct note { bool warning = false; std::string text; };   // a log line
using action = std::variant<open, watch, close, abort, cancel_wait, finish, note>;

struct connection {
    conn_id id = 0;
    bool ready = false;      // said hello
    bool retiring = false;   // being closed by us
    bool open = true;        // false once aborted
};

struct state {
    std::vector<connection> conns;
    conn_id current = 0;                  // the ready connection envelopes come from (0: none)
    conn_id next_id = 1;
    std::optional<conn_id> connecting;    // a pending `open` with purpose connect
    std::optional<conn_id> replacing;     // a pending or unready replacement
    bool too_many_websockets = false;
    int attempt = 0;                      // failed connects since the last hello
    int replacement_failures = 0;
    bool ever_ready = false;              // some connection said hello once
    bool stopping = false;
    std::optional<socket_mode_exit> exit;
    std::vector<steady::time_point> recently_closed;   // bounded (16)
    socket_mode_status status;
    std::mt19937_64 rng{1};
};

class machine {
public:
    explicit machine(socket_mode_fsm_options options = {});

    std::vector<action> on(const event& e);

    const state& current() const { return s_; }
    const connection* find(conn_id id) const;
    // Whether envelopes on this connection are still taken (not when stopping).
    bool stopping() const { return s_.stopping; }
    // run() may return: finished and every socket gone.
    // (A connect still in flight is not waited for: its socket is aborted when it opens.)
    bool done() const { return s_.exit.has_value() && s_.conns.empty(); }

private:
    void ensure_connected(std::vector<action>& out);
    void start_replacement(conn_id of, std::vector<action>& out);
    void retire(connection& c, std::chrono::milliseconds drain, std::vector<action>& out);
    void finish_with(socket_mode_exit why, std::vector<action>& out);
    connection* get(conn_id id);
    bool has_live_connection() const;

    void handle(const start&, std::vector<action>& out);
    void handle(const stop&, std::vector<action>& out);
    void handle(const opened& e, std::vector<action>& out);
    void handle(const open_failed& e, std::vector<action>& out);
    void handle(const hello& e, std::vector<action>& out);
    void handle(const disconnect& e, std::vector<action>& out);
    void handle(const hello_deadline& e, std::vector<action>& out);
    void handle(const closed& e, std::vector<action>& out);

    socket_mode_fsm_options options_;
    state s_;
};

}  // namespace sm
}  // namespace deploybot
