// End-to-end: the real app against the fake Slack (TLS, 127.0.0.1).
#include "bot_harness.hpp"
#include "bot/store/store.hpp"
#include "commands/bot_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

using namespace deploybot;
using namespace deploybot::testing;
using fakes::fake_slack;
using fakes::ws_session_id;

namespace {

std::string ephemeral_text(const fakes::slack_ephemeral& e) {
    std::string all = e.text;
    for (const auto& b : e.blocks) all += boost::json::serialize(b);
    return all;
}

struct fixture {
    log_capture logs;
    std::string dir = temp_dir();
    fake_slack slack;
    std::unique_ptr<bot_runner> bot;

    fixture() { slack.start(); }
    explicit fixture(fake_slack::options o) : slack(std::move(o)) { slack.start(); }

    app_options options() {
        app_options o;
        o.cfg = test_config(slack, dir);
        o.tokens = test_secrets(slack);
        o.socket.backoff = {std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
        o.socket.close_timeout = std::chrono::milliseconds(1000);
        o.socket.too_many_websockets_backoff = std::chrono::milliseconds(1500);
        return o;
    }
    void start(app_options o) {
        bot = std::make_unique<bot_runner>(std::move(o));
        bot->start();
    }
    void start() { start(options()); }
    ws_session_id ready_session() {
        REQUIRE(slack.wait_for_sessions(1, 10s));
        return slack.open_session_ids().back();
    }
    // A connection other than `old` is open and has said hello.
    bool replaced(ws_session_id old, std::chrono::seconds timeout) {
        return slack.wait_for([&](const fake_slack& s) {
            for (const auto& x : s.sessions())
                if (x.id != old && x.ready && x.open) return true;
            return false;
        }, timeout);
    }
    // The /deploy help reply (it lists /deploy prod) reached the user.
    bool help_answered(std::chrono::seconds timeout) {
        return slack
            .wait_for_ephemeral([](const auto& e) { return ephemeral_text(e).find("/deploy prod") != std::string::npos; },
                                timeout)
            .has_value();
    }
    int count_ephemerals(std::string_view needle) {
        int n = 0;
        for (const auto& e : slack.ephemerals())
            if (ephemeral_text(e).find(needle) != std::string::npos) ++n;
        return n;
    }
    ~fixture() {
        if (bot) bot->stop();
        // No token may appear in any log line, whatever the test did.
        for (const auto& line : logs.lines()) {
            CHECK(line.find(slack.opts().app_token) == std::string::npos);
            CHECK(line.find(slack.opts().bot_token) == std::string::npos);
            CHECK(line.find("ghp_fake_harness_token") == std::string::npos);
        }
        std::filesystem::remove_all(dir);
    }
};

// Registers /deploy history as a handler that takes `delay` before answering.
std::function<void(bot_context&)> slow_history(std::chrono::milliseconds delay) {
    return [delay](bot_context& ctx) {
        ctx.routes.on_command(subcommand::history,
                              [&ctx, delay](slash_command cmd, command_request) -> boost::asio::awaitable<void> {
                                  boost::asio::steady_timer t(ctx.executor, delay);
                                  co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
                                  blocks::message m;
                                  m.text = "slow handler done";
                                  co_await reply_ephemeral(ctx, cmd, m);
                              });
    };
}

}  // namespace

TEST_CASE("connect, hello, /deploy help answered in #deployments") {
    fixture f;
    f.start();
    const auto session = f.ready_session();
    const auto id = f.slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01", session);
    auto ack = f.slack.wait_for_ack(id, 5s);
    REQUIRE(ack);
    CHECK_FALSE(ack->late);
    auto reply = f.slack.wait_for_ephemeral(
        [](const auto& e) { return ephemeral_text(e).find("/deploy prod") != std::string::npos; }, 5s);
    REQUIRE(reply);
    const auto text = ephemeral_text(*reply);
    CHECK(text.find("/deploy status") != std::string::npos);
    CHECK(text.find("/deploy hotfix") != std::string::npos);
    CHECK(text.find("/deploy rollback") != std::string::npos);
    CHECK(text.find("coming soon") == std::string::npos);   // every subcommand is built
    CHECK_FALSE(reply->text.empty());
    // Answered in the ack itself: no response_url POST, no chat.postEphemeral.
    CHECK(reply->source == "ack");
    REQUIRE(ack->payload);
    CHECK(ack->payload->contains("blocks"));
    CHECK(f.slack.response_url_posts().empty());
    CHECK(f.logs.contains("/deploy help from U0DEPLOYER1"));
    // The command is in the audit log: who, what, when, channel.
    f.bot->stop();
    auto db = store::open(f.dir + "/deploybot.sqlite3");
    REQUIRE(db.has_value());
    const auto audit = (*db)->audit_tail(10);
    REQUIRE_FALSE(audit.empty());
    const auto& row = audit.back();
    CHECK(row.kind == "command");
    CHECK(row.what == "/deploy help");
    CHECK(row.user_id == "U0DEPLOYER1");
    CHECK(row.channel_id == "C0DEPLOYS01");
    CHECK(row.at.time_since_epoch().count() > 0);
}

TEST_CASE("unknown subcommand and empty text get help; /deploy status shows version and connection") {
    fixture f;
    f.start();
    const auto session = f.ready_session();
    f.slack.send_slash_command("/deploy", "frobnicate", "U0DEPLOYER1", "C0DEPLOYS01", session);
    REQUIRE(f.slack.wait_for_ephemeral(
        [](const auto& e) { return ephemeral_text(e).find("I don't know `frobnicate`") != std::string::npos; }, 5s));
    f.slack.send_slash_command("/deploy", "status", "U0DEPLOYER1", "C0DEPLOYS01", session);
    auto status = f.slack.wait_for_ephemeral(
        [](const auto& e) { return ephemeral_text(e).find("Uptime") != std::string::npos; }, 5s);
    REQUIRE(status);
    CHECK(ephemeral_text(*status).find(DEPLOYBOT_VERSION) != std::string::npos);
    CHECK(ephemeral_text(*status).find("connected") != std::string::npos);
}

TEST_CASE("wrong channel gets an ephemeral 'use #deployments'") {
    fixture f;
    f.start();
    const auto session = f.ready_session();
    f.slack.send_slash_command("/deploy", "prod", "U0DEPLOYER1", "C0GENERAL01", session);
    auto reply = f.slack.wait_for_ephemeral(
        [](const auto& e) { return ephemeral_text(e).find("<#C0DEPLOYS01>") != std::string::npos; }, 5s);
    REQUIRE(reply);
    CHECK(f.slack.messages_in("C0GENERAL01").empty());
    CHECK(f.slack.messages_in("C0DEPLOYS01").empty());
}

TEST_CASE("the ack does not wait for a slow handler") {
    fixture f;
    auto o = f.options();
    o.configure_routes = slow_history(3000ms);
    f.start(std::move(o));
    const auto session = f.ready_session();
    const auto slow = f.slack.send_slash_command("/deploy", "history", "U0DEPLOYER1", "C0DEPLOYS01", session);
    auto ack = f.slack.wait_for_ack(slow, 2s);
    REQUIRE(ack);
    CHECK(ack->latency < 1000ms);
    // While the slow handler runs, another envelope is acked and answered at once.
    const auto quick = f.slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01", session);
    auto ack2 = f.slack.wait_for_ack(quick, 2s);
    REQUIRE(ack2);
    CHECK(ack2->latency < 1000ms);
    REQUIRE(f.help_answered(2s));
    CHECK(f.count_ephemerals("slow handler done") == 0);   // still running
    REQUIRE(f.slack.wait_for_ephemeral(
        [](const auto& e) { return e.text == "slow handler done"; }, 5s));
    CHECK(f.slack.late_acks().empty());
}

TEST_CASE("duplicate envelope_id is acked twice and handled once") {
    fixture f;
    f.start();
    const auto session = f.ready_session();
    const auto id = f.slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01", session);
    REQUIRE(f.slack.wait_for_ack(id, 5s));
    REQUIRE(f.help_answered(5s));
    REQUIRE(f.slack.redeliver(id, session));
    REQUIRE(f.slack.wait_for([&](const fake_slack& s) {
        int n = 0;
        for (const auto& a : s.acks()) n += a.envelope_id == id;
        return n == 2;
    }, 5s));
    // A later command proves the loop went on; the duplicate produced no second reply.
    f.slack.send_slash_command("/deploy", "status", "U0DEPLOYER1", "C0DEPLOYS01", session);
    REQUIRE(f.slack.wait_for_ephemeral(
        [](const auto& e) { return ephemeral_text(e).find("Uptime") != std::string::npos; }, 5s));
    CHECK(f.count_ephemerals("/deploy prod") == 1);
    CHECK(f.logs.contains("already handled"));
}

TEST_CASE("garbage frames, unknown envelopes and binary frames are survived") {
    fixture f;
    f.start();
    const auto session = f.ready_session();
    f.slack.send_raw(session, "this is not json");
    f.slack.send_raw(session, "[1,2,3]");
    f.slack.send_raw(session, R"({"type":"mystery"})");
    f.slack.send_raw(session, std::string(200000, '{'));
    f.slack.send_binary(session, std::string("\x00\x01\x02", 3));
    const auto unknown = f.slack.send_envelope(boost::json::object{{"type", "brand_new_type"}, {"payload", {}}}, session);
    REQUIRE(f.slack.wait_for_ack(unknown, 5s));   // acked even though we do not know it
    const auto id = f.slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01", session);
    REQUIRE(f.slack.wait_for_ack(id, 5s));
    REQUIRE(f.help_answered(5s));
    // Still the same connection: nothing above made the bot reconnect.
    CHECK(f.slack.open_session_ids() == std::vector<ws_session_id>{session});
    CHECK(f.logs.contains("ignoring a frame"));
    CHECK(f.logs.contains("binary frame"));
}

TEST_CASE("refresh_requested: make-before-break, envelope sent mid-rotation handled once") {
    fake_slack::options so;
    so.refresh_grace = 4000ms;   // the old connection stays open long enough to deliver mid-rotation
    fixture f(so);
    f.start();
    const auto old_session = f.ready_session();
    f.slack.refresh(old_session);
    // The bot opens a second connection while the first is still open.
    REQUIRE(f.slack.wait_for([&](const fake_slack& s) {
        for (const auto& x : s.sessions())
            if (x.id != old_session && x.ready) return true;
        return false;
    }, 5s));
    // Mid-rotation (the new one is ready, the old one not yet closed): an
    // envelope on the old connection is still acked and handled, once.
    const auto id = f.slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01", old_session);
    auto ack = f.slack.wait_for_ack(id, 3s);
    REQUIRE(ack);
    CHECK(ack->session == old_session);
    REQUIRE(f.help_answered(5s));
    // Then the client closes the old one with 1000, before Slack would have.
    auto code = f.slack.wait_for_close_code(old_session, 5s);
    REQUIRE(code);
    CHECK(*code == 1000);
    CHECK(f.count_ephemerals("/deploy prod") == 1);
    // Exactly one connection remains, and it works.
    REQUIRE(f.slack.wait_for_sessions(1, 5s));
    const auto id2 = f.slack.send_slash_command("/deploy", "status", "U0DEPLOYER1", "C0DEPLOYS01");
    REQUIRE(f.slack.wait_for_ack(id2, 3s));
    CHECK(f.slack.failures().empty());   // no dispatch_failed / operation_timeout during the rotation
}

TEST_CASE("abrupt drop: the bot reconnects with a fresh URL") {
    fixture f;
    f.start();
    const auto first = f.ready_session();
    f.slack.drop(first);
    REQUIRE(f.replaced(first, 10s));
    // Each connection used its own ticket (single-use URLs).
    const auto sessions = f.slack.sessions();
    REQUIRE(sessions.size() >= 2);
    CHECK(sessions[0].ticket != sessions[1].ticket);
    const auto id = f.slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01");
    REQUIRE(f.slack.wait_for_ack(id, 5s));
}

TEST_CASE("a peer that stops answering pings is replaced within the idle timeout") {
    fixture f;
    f.start();   // ping_interval 1 s → idle timeout 3 s
    const auto first = f.ready_session();
    const auto t0 = std::chrono::steady_clock::now();
    f.slack.go_silent(first);
    REQUIRE(f.replaced(first, 8s));
    CHECK(std::chrono::steady_clock::now() - t0 < 6s);   // 3 s idle + backoff + connect
    const auto id = f.slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01");
    REQUIRE(f.slack.wait_for_ack(id, 5s));
}

TEST_CASE("auth failure on apps.connections.open stops the bot with a clear message") {
    fixture f;
    f.slack.fail_next("apps.connections.open", 100, "invalid_auth");
    f.start();
    auto rc = f.bot->wait_exit(10s);
    REQUIRE(rc);
    CHECK(*rc == 1);
    CHECK(f.logs.contains("SLACK_APP_TOKEN"));
    CHECK(f.slack.requests_to("/api/apps.connections.open").size() == 1);   // no retry loop
}

TEST_CASE("link_disabled stops reconnecting") {
    fixture f;
    f.start();
    const auto session = f.ready_session();
    f.slack.send_disconnect(session, "link_disabled");
    auto rc = f.bot->wait_exit(10s);
    REQUIRE(rc);
    CHECK(*rc == 2);
    CHECK(f.logs.contains("link_disabled"));
    CHECK(f.slack.requests_to("/api/apps.connections.open").size() == 1);
}

TEST_CASE("handshake failures (HTTP 409) back off and then connect") {
    fixture f;
    f.slack.reject_next_handshakes(2, 409);
    f.start();
    REQUIRE(f.slack.wait_for_sessions(1, 10s));
    CHECK(f.slack.requests_to("/api/apps.connections.open").size() >= 3);
    CHECK(f.logs.contains("reconnecting in"));
}

TEST_CASE("too_many_websockets backs off before reconnecting") {
    fixture f;
    f.start();
    const auto first = f.ready_session();
    const auto t0 = std::chrono::steady_clock::now();
    f.slack.send_disconnect(first, "too_many_websockets");
    REQUIRE(f.replaced(first, 10s));
    CHECK(std::chrono::steady_clock::now() - t0 >= 1400ms);   // too_many_websockets_backoff
    CHECK(f.logs.contains("too_many_websockets"));
}

TEST_CASE("a server certificate from an unknown CA is refused") {
    fixture f;
    auto o = f.options();
    o.cfg.tls.ca_file = fakes::pki().other_ca_file;
    f.start(std::move(o));
    REQUIRE(f.logs.wait_for("TLS handshake", 5s));
    CHECK(f.slack.sessions().empty());
    CHECK(f.slack.requests().empty());   // nothing reached the HTTP layer
}

TEST_CASE("stop closes the WebSocket with 1000 after flushing acks") {
    fixture f;
    f.start();
    const auto session = f.ready_session();
    const auto id = f.slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01", session);
    REQUIRE(f.slack.wait_for_ack(id, 5s));
    const auto t0 = std::chrono::steady_clock::now();
    f.bot->stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    auto code = f.slack.wait_for_close_code(session, 2s);
    REQUIRE(code);
    CHECK(*code == 1000);
    f.bot.reset();
}

TEST_CASE("a frame over slack.max_message_bytes drops that connection only; the bot reconnects and keeps serving") {
    fixture f;
    auto o = f.options();
    o.cfg.slack.max_message_bytes = 64 * 1024;
    f.start(std::move(o));
    const auto first = f.ready_session();
    f.slack.send_raw(first, std::string(256 * 1024, 'x'));
    // WebSocket forbids skipping a message, so the limit ends this connection: Beast writes
    // close 1009 and closes the socket with the rest of the 256 KiB unread, which makes the
    // kernel send a reset that can overtake the close frame at the fake (then it sees the
    // connection vanish, code 0). Either way the connection ends, and only this one …
    auto code = f.slack.wait_for_close_code(first, 5s);
    REQUIRE(code);
    CHECK((*code == 1009 || *code == 0));
    // … and a fresh one takes over at once.
    REQUIRE(f.replaced(first, 10s));
    const auto id = f.slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01");
    REQUIRE(f.slack.wait_for_ack(id, 5s));
}

// Every reply the router itself gives (help, an unknown subcommand, the wrong
// channel, text too long) survives a response_url that fails: it falls back to
// chat.postEphemeral. Answers that can travel in the ack do (help); an
// envelope that accepts no response payload is answered by response_url. Under
// ASan with detect_stack_use_after_return (set by the test command) this also
// guards the fallback reading a dead frame.
TEST_CASE("router replies fall back to chat.postEphemeral when response_url fails") {
    fake_slack::options so;
    so.response_url_uses = 0;   // every response_url answers expired_url
    fixture f(so);
    f.start();
    const auto session = f.ready_session();
    const std::string user = "U0DEPLOYER1";
    auto without_payload = [&](std::string text) {
        boost::json::object payload{{"command", "/deploy"},        {"text", std::move(text)},
                                    {"user_id", user},             {"channel_id", "C0DEPLOYS01"},
                                    {"team_id", "T0123ABCD45"},    {"response_url", f.slack.base_url() + "/response/x"}};
        boost::json::object env{{"type", "slash_commands"}, {"accepts_response_payload", false},
                                {"retry_attempt", 0},       {"retry_reason", ""},
                                {"payload", std::move(payload)}};
        f.slack.send_envelope(std::move(env), session);
    };
    f.slack.send_slash_command("/deploy", "help", user, "C0DEPLOYS01", session);
    without_payload("frobnicate");
    f.slack.send_slash_command("/deploy", "lock " + std::string(5000, 'x'), user, "C0DEPLOYS01", session);
    auto answered = [&](std::string_view source, std::string_view needle) {
        return f.slack.wait_for_ephemeral(
            [&](const auto& e) {
                return e.user == user && e.source == source && ephemeral_text(e).find(needle) != std::string::npos;
            },
            10s);
    };
    CHECK(answered("ack", "/deploy prod"));                                   // help, in the ack
    CHECK(answered("chat.postEphemeral", "I don't know `frobnicate`"));       // unknown subcommand, no ack payload
    CHECK(answered("chat.postEphemeral", "2000"));                            // the command text limit
    CHECK(f.logs.contains("response_url reply failed"));
}
