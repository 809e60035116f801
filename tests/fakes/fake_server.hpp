#pragma once
// Reusable base for local fake services (Slack, GitHub, Vercel, Sentry).
// Each fake listens on 127.0.0.1 (ephemeral port), plain or TLS with a
// certificate generated at test time, runs its own io_context on its own
// thread, records every request, and can inject faults.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot::fakes {

struct header_field {
    std::string name;
    std::string value;
};

struct recorded_request {
    std::string method;
    std::string target;   // path + "?" + query, as sent
    std::string path;     // percent-decoded path without query
    std::string query;    // raw query string without '?'
    std::vector<header_field> headers;
    std::string body;
    std::chrono::steady_clock::time_point at;
    std::uint64_t connection_id = 0;   // same value = same TCP connection (keep-alive checks)

    std::string header(std::string_view name) const;            // case-insensitive, "" when absent
    std::string query_param(std::string_view name) const;       // percent-decoded, "" when absent
    bool has_query_param(std::string_view name) const;
};

struct fake_response {
    int status = 200;
    std::vector<header_field> headers;    // Content-Type defaults to application/json
    std::string body;
    std::chrono::milliseconds delay{0};   // answer after this long (non-blocking)
    bool drop_connection = false;         // close the socket instead of answering
};

using ws_session_id = std::uint64_t;

class fake_server {
public:
    struct options {
        bool tls = false;
        std::string name = "fake";
        std::uint16_t port = 0;   // 0: an ephemeral port (the tests); the sandbox's page asks for its own
    };
    explicit fake_server(options opts);
    virtual ~fake_server();
    fake_server(const fake_server&) = delete;
    fake_server& operator=(const fake_server&) = delete;

    // Must be called by the most-derived constructor's owner after construction
    // (virtual dispatch is not available inside the base constructor).
    void start();
    // Stops accepting, closes every connection, joins the thread. Idempotent;
    // derived destructors must call it before their members die.
    void stop();

    std::string base_url() const;      // "http://127.0.0.1:PORT" or "https://…"
    std::string ws_base_url() const;   // "ws://127.0.0.1:PORT" or "wss://…"
    std::uint16_t port() const;

    std::vector<recorded_request> requests() const;   // every HTTP request so far (snapshot)
    std::vector<recorded_request> requests_to(std::string_view path) const;
    void clear_requests();
    // Keeps only the newest `n` recorded requests from now on (a long-running
    // sandbox would otherwise grow without bound); tests keep them all.
    void set_record_limit(std::size_t n);

    // Blocks the calling (test) thread until pred holds over the recorded
    // requests, or the deadline passes. Returns pred's final value.
    bool wait_for_requests(const std::function<bool(const std::vector<recorded_request>&)>& pred,
                           std::chrono::milliseconds timeout);

    // Every response is delayed by this much on top of its own delay.
    void set_latency(std::chrono::milliseconds latency);

    // WebSocket control, callable from any thread.
    void ws_send(ws_session_id id, std::string text);
    void ws_send_binary(ws_session_id id, std::string data);
    void ws_close(ws_session_id id, int code);   // close handshake
    void ws_drop(ws_session_id id);              // TCP close, no close frame
    void ws_go_silent(ws_session_id id);         // stop reading/answering pings (half-open peer)
    void ws_send_ping(ws_session_id id, std::string payload);

protected:
    // Server thread. An HTTP request that is not a WebSocket upgrade.
    virtual fake_response handle(const recorded_request& req) = 0;

    // Server thread. A WebSocket upgrade request: return 101 to accept (then
    // on_ws_open is called), or any other status to refuse with that status.
    virtual int accept_websocket(const recorded_request& /*req*/) { return 404; }
    virtual void on_ws_open(ws_session_id /*id*/, const recorded_request& /*upgrade*/) {}
    virtual void on_ws_message(ws_session_id /*id*/, const std::string& /*text*/) {}
    // Pong received from the client (payload).
    virtual void on_ws_pong(ws_session_id /*id*/, const std::string& /*payload*/) {}
    // Close frame received (code, 0 when the socket just went away).
    virtual void on_ws_closed(ws_session_id /*id*/, int /*close_code*/) {}

    // Runs fn on the server thread after `delay` (timers for fakes).
    void post_after(std::chrono::milliseconds delay, std::function<void()> fn);

    // Notifies wait_for_requests/wait_until waiters that state changed.
    void notify_changed();

    // Blocks the test thread until pred() holds (pred called with mutex_ held).
    bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

    // Guards derived-class state shared between the server thread and tests.
    mutable std::mutex mutex_;
    std::condition_variable changed_;

public:
    struct impl;

private:
    std::unique_ptr<impl> impl_;
    options options_;
};

// Test PKI generated at runtime (once per process): a CA and a server
// certificate for 127.0.0.1/localhost signed by it.
struct test_pki {
    std::string ca_cert_pem;
    std::string server_cert_pem;
    std::string server_key_pem;
    std::string ca_file;          // CA written to a temp file (for tls.ca_file)
    // A second, unrelated CA, for "unknown CA is refused" tests.
    std::string other_ca_file;
};
const test_pki& pki();

}  // namespace deploybot::fakes
