#pragma once
// A local Slack for end-to-end tests: Web API (POST /api/<method>), response
// URLs (POST /response/<token>) and Socket Mode (WebSocket /link/?ticket=…),
// following reference/slack.md §1–§5 and §8. Every test-facing function is
// thread-safe and callable from the test thread.
#include "fakes/fake_server.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <set>

namespace deploybot::fakes {

namespace json = boost::json;

struct slack_message {
    std::string channel;
    std::string ts;
    std::string text;
    json::array blocks;
    std::string thread_ts;          // "" unless a thread reply
    std::string user;               // author (the bot user for bot posts)
    std::string bot_id;             // "" for messages seeded as a human
    std::string source;             // "chat.postMessage", "chat.update", "response_url", "ack", "seed"
    bool deleted = false;
    bool reply_broadcast = false;   // thread reply also shown in the channel (subtype thread_broadcast)
    json::object metadata;          // message metadata ({event_type, event_payload}), {} when none
};

struct slack_ephemeral {
    std::string channel;
    std::string user;
    std::string text;
    json::array blocks;
    std::string message_ts;
    std::string thread_ts;
    std::string source;             // "chat.postEphemeral", "response_url", "ack"
};

struct slack_ack {
    std::string envelope_id;
    std::optional<json::object> payload;   // absent when the ack had no "payload" key
    std::chrono::steady_clock::time_point at;
    std::chrono::milliseconds latency{0};  // since the (last) delivery
    ws_session_id session = 0;
    bool late = false;
};

struct slack_envelope {
    std::string envelope_id;
    std::string type;                       // slash_commands / interactive / events_api / …
    json::object frame;                     // as last sent
    ws_session_id session = 0;              // 0: nobody to deliver to
    std::chrono::steady_clock::time_point sent_at;
    int deliveries = 0;
    bool acked = false;
    bool late = false;                      // acked after the deadline, or never
    std::string failure;                    // "", "operation_timeout", "dispatch_failed", "ack_timeout"
};

struct slack_session {
    ws_session_id id = 0;
    bool open = false;                      // socket open (includes silent sessions)
    bool ready = false;                     // hello sent
    bool silent = false;
    std::chrono::steady_clock::time_point opened_at;
    std::optional<int> close_code;          // close frame code from the client (0: vanished)
    bool closed_by_server = false;          // ws_close/drop/refresh initiated by the fake
    std::string ticket;
    bool ghost = false;                     // vanished without close, still counted
};

struct slack_view {
    std::string id;
    std::string trigger_id;
    json::object view;                      // current content (response_action "update" replaces it)
    std::string previous_view_id;           // set for views pushed by response_action "push"
    bool closed = false;                    // submitted and closed, or cleared
};

// What the ack of a view_submission asked for (reference §2.3).
struct slack_view_response {
    std::string envelope_id;
    std::string view_id;                    // the submitted view
    std::string action;                     // "" (close), "errors", "update", "push", "clear", or as sent
    json::object errors;                    // response_action "errors"
    json::object view;                      // response_action "update"/"push"
    std::string pushed_view_id;             // id given to the pushed view
};

struct slack_response_url_post {
    std::string token;
    json::value body;
    int use = 0;                            // 1-based
    bool accepted = false;
};

class fake_slack : public fake_server {
public:
    struct options {
        bool tls = true;
        std::string app_token = "xapp-fake-app-token-for-tests";
        std::string bot_token = "xoxb-1-testbottoken";
        std::string app_id = "A05QWERTY78";
        std::string team_id = "T0123ABCD45";
        std::string team_domain = "acme-eng";
        std::string bot_user_id = "U0BOT00001";
        std::string bot_id = "B05BOTBOT12";
        std::vector<std::string> member_channels = {"C0DEPLOYS01"};   // the bot may post here
        std::vector<std::string> other_channels = {"C0GENERAL01"};    // exist, bot not a member
        // Posting limit per channel (chat.postMessage): a token bucket.
        int post_burst = 3;
        std::chrono::milliseconds post_interval{1000};
        int post_retry_after_s = 1;
        // Socket Mode.
        int max_connections = 10;
        int approximate_connection_time_s = 18060;
        std::chrono::milliseconds connection_lifetime{0};   // 0: never refresh on its own
        std::chrono::milliseconds refresh_grace{2000};      // refresh_requested → close
        std::chrono::milliseconds server_ping_interval{0};  // 0: no server pings
        std::chrono::milliseconds ghost_ttl{0};             // how long vanished clients still count
        std::chrono::milliseconds ack_deadline{3000};
        std::chrono::milliseconds trigger_ttl{3000};
        // Unacked events_api envelopes come back after these delays (retry_attempt 1..3).
        std::vector<std::chrono::milliseconds> event_retry_delays = {std::chrono::milliseconds(0),
                                                                     std::chrono::milliseconds(60000),
                                                                     std::chrono::milliseconds(300000)};
        int response_url_uses = 5;
        std::chrono::milliseconds response_url_ttl{30 * 60 * 1000};   // then "expired_url"
        // Channels that exist but are archived: chat.* answers "is_archived".
        std::vector<std::string> archived_channels = {};
        // Per-method tier limiter (reference §4). Off by default: the bot's
        // suites reconnect (Tier 1 apps.connections.open) several times a minute.
        bool enforce_tiers = false;
        std::map<std::string, int> method_tiers = {{"apps.connections.open", 1},
                                                   {"chat.update", 3},
                                                   {"chat.postEphemeral", 4},
                                                   {"views.open", 4}};
        // Calls per tier_window for tiers 1..4; a bucket holds tier_burst more than that.
        std::map<int, int> tier_per_window = {{1, 1}, {2, 20}, {3, 50}, {4, 100}};
        int tier_burst = 0;
        std::chrono::milliseconds tier_window{60000};
    };

    // The constructor binds and starts the server (no start() call needed).
    fake_slack();
    explicit fake_slack(options opts);
    ~fake_slack() override;   // calls stop() before the state dies

    const options& opts() const { return opts_; }
    std::string api_url() const { return base_url() + "/api"; }

    // ---- Web API fault scripting ----
    // Next n calls to `method` answer HTTP 200 {"ok":false,"error":error}.
    void fail_next(std::string method, int n, std::string error);
    // Next n calls to `method` answer HTTP 429 with Retry-After.
    void rate_limit_next(std::string method, int n, int retry_after_s);
    // Next n calls to `method` answer this HTTP status with an HTML body (5xx outage).
    void http_error_next(std::string method, int n, int status);
    // Next n calls to `method` are carried out (a message is posted), but the
    // answer is lost: the connection closes before any response.
    void lose_next_answer(std::string method, int n);
    // Drops every scripted fault of `method` (Slack works again).
    void clear_faults(const std::string& method);
    // Someone deletes a message in the client (chat.update then answers message_not_found).
    void delete_message(const std::string& channel, const std::string& ts);
    // Next n WebSocket handshakes answer this status (409 in reference §1.2).
    void reject_next_handshakes(int n, int status = 409);
    // A message that exists before the test (e.g. a human's post to thread under).
    std::string seed_message(std::string channel, std::string text, std::string user);

    // ---- Socket Mode delivery (session 0 = pick an open, ready session: the newest) ----
    std::string send_slash_command(std::string command, std::string text, std::string user,
                                   std::string channel, ws_session_id session = 0);
    std::string send_block_action(std::string user, std::string channel, std::string message_ts,
                                  std::string action_id, std::string value, std::string block_id = {},
                                  ws_session_id session = 0);
    // Raw envelope; an envelope_id is added when missing. Returns it.
    std::string send_envelope(json::object envelope, ws_session_id session = 0);
    void send_raw(ws_session_id session, std::string text);
    void send_binary(ws_session_id session, std::string data);
    // A view_submission for a view opened through views.open; values is
    // view.state.values ({block_id: {action_id: {type, value}}}). The ack's
    // response_action is recorded in view_responses() and applied to views().
    std::string send_view_submission(std::string user, std::string view_id, json::object values,
                                     ws_session_id session = 0);
    // Same envelope_id again (retry_attempt+1, retry_reason "timeout").
    bool redeliver(const std::string& envelope_id, ws_session_id session = 0);

    void send_disconnect(ws_session_id session, std::string reason);
    void refresh(ws_session_id session);   // warning, refresh_requested, close after refresh_grace
    void close(ws_session_id session, int code = 1000);
    void drop(ws_session_id session);
    void go_silent(ws_session_id session);
    void ping(ws_session_id session, std::string payload = "fake-slack-ping");

    // ---- Observation ----
    std::vector<slack_session> sessions() const;
    std::vector<ws_session_id> open_session_ids() const;   // open + ready, oldest first
    int num_connections() const;                           // as hello would report it now
    bool wait_for_sessions(int n_open, std::chrono::milliseconds timeout);   // exactly n open+ready
    std::optional<int> wait_for_close_code(ws_session_id session, std::chrono::milliseconds timeout);
    std::vector<std::string> received_frames(ws_session_id session) const;   // client text frames
    std::vector<std::string> pongs(ws_session_id session) const;

    std::vector<slack_envelope> envelopes() const;
    std::vector<slack_ack> acks() const;
    // acks()[from…]: a long run reads only what is new instead of copying every ack each time.
    std::vector<slack_ack> acks_from(std::size_t from) const;
    std::optional<slack_ack> wait_for_ack(const std::string& envelope_id, std::chrono::milliseconds timeout);
    // The first ack of an envelope, and the envelope itself (by id, no scan).
    std::optional<slack_ack> find_ack(const std::string& envelope_id) const;
    std::optional<slack_envelope> find_envelope(const std::string& envelope_id) const;
    std::vector<slack_envelope> late_acks() const;      // late or missing acks
    std::vector<slack_envelope> failures() const;       // failure != ""

    std::vector<slack_message> posted_messages() const;   // current version of each message, post order
    std::vector<slack_message> messages_in(const std::string& channel) const;
    std::optional<slack_message> message(const std::string& channel, const std::string& ts) const;
    std::vector<slack_message> update_history(const std::string& channel, const std::string& ts) const;
    std::vector<slack_ephemeral> ephemerals() const;
    std::vector<slack_view> views() const;
    std::vector<slack_view_response> view_responses() const;
    // What a user sees in the channel: top-level messages plus broadcast replies.
    std::vector<slack_message> channel_timeline(const std::string& channel) const;
    std::vector<slack_response_url_post> response_url_posts() const;
    std::optional<slack_message> wait_for_message(const std::function<bool(const slack_message&)>& pred,
                                                  std::chrono::milliseconds timeout);
    std::optional<slack_ephemeral> wait_for_ephemeral(const std::function<bool(const slack_ephemeral&)>& pred,
                                                      std::chrono::milliseconds timeout);
    // Generic: waits until pred(*this) holds, re-checked after every state
    // change; pred runs unlocked and may call any snapshot function above.
    bool wait_for(const std::function<bool(const fake_slack& self)>& pred, std::chrono::milliseconds timeout);

protected:
    fake_response handle(const recorded_request& req) override;
    int accept_websocket(const recorded_request& req) override;
    void on_ws_open(ws_session_id id, const recorded_request& upgrade) override;
    void on_ws_message(ws_session_id id, const std::string& text) override;
    void on_ws_pong(ws_session_id id, const std::string& payload) override;
    void on_ws_closed(ws_session_id id, int close_code) override;

public:
    struct state;   // defined in fake_slack.cpp

private:
    fake_response handle_api(const recorded_request& req);           // mutex_ held
    std::string deliver_locked(json::object envelope, ws_session_id session);   // mutex_ held
    void schedule_server_ping(ws_session_id id);

    options opts_;
    std::unique_ptr<state> st_;
};

}  // namespace deploybot::fakes
