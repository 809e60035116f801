// Self-tests of the fake server base and fake Slack, with a tiny synchronous
// Beast client (independent of the bot's own http_client).
#include "fakes/fake_server.hpp"
#include "fakes/fake_slack.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using deploybot::fakes::fake_response;
using deploybot::fakes::recorded_request;

class echo_fake : public deploybot::fakes::fake_server {
public:
    echo_fake() : fake_server(options{true, "echo"}) { start(); }
    ~echo_fake() override { stop(); }

protected:
    fake_response handle(const recorded_request& req) override {
        fake_response r;
        r.body = json::serialize(json::object{{"path", req.path}, {"q", req.query_param("q")}});
        if (req.path == "/slow") r.delay = 300ms;
        return r;
    }
};

struct tls_client {
    asio::io_context ioc;
    ssl::context ctx{ssl::context::tls_client};
    beast::ssl_stream<beast::tcp_stream> stream{ioc, ctx};

    explicit tls_client(const std::string& ca_file) {
        ctx.load_verify_file(ca_file);
        ctx.set_verify_mode(ssl::verify_peer);
    }
    // Returns the handshake error (empty on success).
    beast::error_code connect(std::uint16_t port) {
        stream.set_verify_mode(ssl::verify_peer);   // the SSL object predates ctx's setting
        stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
        beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        beast::error_code ec;
        stream.handshake(ssl::stream_base::client, ec);
        return ec;
    }
    http::response<http::string_body> request(http::verb verb, const std::string& target, std::string body = {},
                                              std::string auth = {}) {
        http::request<http::string_body> req{verb, target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::content_type, "application/json; charset=utf-8");
        if (!auth.empty()) req.set(http::field::authorization, "Bearer " + auth);
        req.body() = std::move(body);
        req.prepare_payload();
        http::write(stream, req);
        beast::flat_buffer buf;
        http::response<http::string_body> res;
        http::read(stream, buf, res);
        return res;
    }
};

using ws_stream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

// A raw Socket Mode client: connections.open, handshake, hello; frames are
// read asynchronously with a limit so a missing frame fails instead of hanging.
struct socket_mode_client {
    tls_client api{deploybot::fakes::pki().ca_file};
    ws_stream ws{api.ioc, api.ctx};
    json::object hello;

    explicit socket_mode_client(deploybot::fakes::fake_slack& slack) {
        REQUIRE_FALSE(api.connect(slack.port()));
        auto res = api.request(http::verb::post, "/api/apps.connections.open", {}, slack.opts().app_token);
        auto body = json::parse(res.body()).as_object();
        REQUIRE(body.at("ok").as_bool());
        std::string target = std::string(body.at("url").as_string()).substr(slack.ws_base_url().size());
        beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), slack.port()));
        ws.next_layer().handshake(ssl::stream_base::client);
        ws.handshake("127.0.0.1", target);
        auto h = next();
        REQUIRE(h);
        hello = *h;
    }
    std::optional<json::object> next(std::chrono::milliseconds limit = 5s) {
        beast::flat_buffer buf;
        bool done = false;
        beast::error_code ec;
        ws.async_read(buf, [&](beast::error_code e, std::size_t) {
            ec = e;
            done = true;
        });
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (!done && std::chrono::steady_clock::now() < deadline) {
            api.ioc.restart();
            api.ioc.run_for(20ms);
        }
        if (!done) {
            beast::get_lowest_layer(ws).cancel();
            api.ioc.restart();
            api.ioc.run_for(1s);
            return std::nullopt;
        }
        if (ec) return std::nullopt;
        return json::parse(beast::buffers_to_string(buf.data())).as_object();
    }
    void ack(const std::string& envelope_id, std::optional<json::object> payload = std::nullopt) {
        json::object frame{{"envelope_id", envelope_id}};
        if (payload) frame["payload"] = *payload;
        ws.write(asio::buffer(json::serialize(frame)));
    }
};

// One Web API call with the bot token: (HTTP status, Retry-After, body).
struct api_answer {
    int status = 0;
    std::string retry_after;
    json::object body;
};

api_answer call_api(tls_client& api, const deploybot::fakes::fake_slack& slack, const std::string& method,
                    std::string body, std::string token = {}) {
    auto res = api.request(http::verb::post, "/api/" + method, std::move(body),
                           token.empty() ? slack.opts().bot_token : token);
    return {static_cast<int>(res.result_int()), std::string(res[http::field::retry_after]),
            json::parse(res.body()).as_object()};
}

}  // namespace

TEST_CASE("fake_server: HTTP over TLS, keep-alive, delay, request recording") {
    echo_fake fake;
    tls_client client(deploybot::fakes::pki().ca_file);
    REQUIRE_FALSE(client.connect(fake.port()));

    auto res = client.request(http::verb::get, "/a%20b?q=x%2By&z=1");
    CHECK(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "application/json");
    CHECK(json::parse(res.body()).at("path").as_string() == "/a b");
    CHECK(json::parse(res.body()).at("q").as_string() == "x+y");

    auto t0 = std::chrono::steady_clock::now();
    auto slow = client.request(http::verb::post, "/slow", "{}");
    CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
    CHECK(slow.result_int() == 200);

    auto reqs = fake.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].query == "q=x%2By&z=1");
    CHECK(reqs[0].has_query_param("z"));
    CHECK(reqs[1].method == "POST");
    CHECK(reqs[1].body == "{}");
    CHECK(reqs[1].header("content-type") == "application/json; charset=utf-8");
    CHECK(reqs[0].connection_id == reqs[1].connection_id);   // one TCP connection
    CHECK(fake.requests_to("/slow").size() == 1);
}

TEST_CASE("test pki: the fake's CA verifies, an unrelated CA is refused") {
    echo_fake fake;
    tls_client good(deploybot::fakes::pki().ca_file);
    CHECK_FALSE(good.connect(fake.port()));
    tls_client bad(deploybot::fakes::pki().other_ca_file);
    CHECK(bad.connect(fake.port()));
    CHECK(fake.requests().empty());
}

TEST_CASE("fake_slack: connections.open tickets are single-use; hello; ack with payload") {
    deploybot::fakes::fake_slack slack;
    tls_client api(deploybot::fakes::pki().ca_file);
    REQUIRE_FALSE(api.connect(slack.port()));

    auto wrong = api.request(http::verb::post, "/api/apps.connections.open", {}, slack.opts().bot_token);
    CHECK(json::parse(wrong.body()).at("error").as_string() == "invalid_auth");
    auto res = api.request(http::verb::post, "/api/apps.connections.open", {}, slack.opts().app_token);
    auto body = json::parse(res.body()).as_object();
    REQUIRE(body.at("ok").as_bool());
    std::string url(body.at("url").as_string());
    std::string prefix = slack.ws_base_url();
    REQUIRE(url.starts_with(prefix + "/link/?ticket="));
    std::string target = url.substr(prefix.size());

    auto open_ws = [&](websocket::stream<beast::ssl_stream<beast::tcp_stream>>& ws,
                       websocket::response_type& response) {
        beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), slack.port()));
        ws.next_layer().handshake(ssl::stream_base::client);
        beast::error_code ec;
        ws.handshake(response, "127.0.0.1", target, ec);
        return ec;
    };

    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(api.ioc, api.ctx);
    websocket::response_type first;
    REQUIRE_FALSE(open_ws(ws, first));
    beast::flat_buffer buf;
    ws.read(buf);
    auto hello = json::parse(beast::buffers_to_string(buf.data())).as_object();
    CHECK(hello.at("type").as_string() == "hello");
    CHECK(hello.at("num_connections").as_int64() == 1);
    CHECK(hello.at("connection_info").at("app_id").as_string() == slack.opts().app_id);
    REQUIRE(slack.wait_for_sessions(1, 2s));

    websocket::stream<beast::ssl_stream<beast::tcp_stream>> reused(api.ioc, api.ctx);
    websocket::response_type second;
    CHECK(open_ws(reused, second));
    CHECK(second.result_int() == 401);

    std::string id = slack.send_slash_command("/deploy", "status", "U01AAAA", "C0DEPLOYS01");
    buf.clear();
    ws.read(buf);
    auto env = json::parse(beast::buffers_to_string(buf.data())).as_object();
    CHECK(env.at("envelope_id").as_string() == id);
    CHECK(env.at("payload").at("is_enterprise_install").as_string() == "false");
    ws.write(asio::buffer(json::serialize(json::object{
        {"envelope_id", id}, {"payload", json::object{{"text", "Nothing is deploying."}}}})));
    auto ack = slack.wait_for_ack(id, 2s);
    REQUIRE(ack);
    CHECK_FALSE(ack->late);
    auto eph = slack.wait_for_ephemeral([](const auto& e) { return e.text == "Nothing is deploying."; }, 2s);
    REQUIRE(eph);
    CHECK(eph->user == "U01AAAA");

    ws.close(websocket::close_code::normal);
    CHECK(slack.wait_for_close_code(slack.sessions().at(0).id, 2s) == 1000);
}

TEST_CASE("fake_slack Web API: channel checks, posting limit, text-only update drops blocks") {
    deploybot::fakes::fake_slack slack;
    tls_client api(deploybot::fakes::pki().ca_file);
    REQUIRE_FALSE(api.connect(slack.port()));
    auto call = [&](std::string method, std::string body) {
        auto res = api.request(http::verb::post, "/api/" + method, std::move(body), slack.opts().bot_token);
        return std::pair{res.result_int(), json::parse(res.body()).as_object()};
    };
    CHECK(call("chat.postMessage", R"({"channel":"CNOPE","text":"x"})").second.at("error") == "channel_not_found");
    CHECK(call("chat.postMessage", R"({"channel":"C0GENERAL01","text":"x"})").second.at("error") == "not_in_channel");
    CHECK(call("chat.postMessage", R"({"channel":"C0DEPLOYS01"})").second.at("error") == "no_text");
    auto [status, first] = call("chat.postMessage", R"({"channel":"C0DEPLOYS01","text":"a","blocks":[
        {"type":"section","text":{"type":"mrkdwn","text":"a"}}]})");
    REQUIRE(first.at("ok").as_bool());
    std::string ts(first.at("ts").as_string());
    CHECK(call("chat.postMessage", R"({"channel":"C0DEPLOYS01","text":"b"})").second.at("ts").as_string() > ts);
    CHECK(call("chat.postMessage", R"({"channel":"C0DEPLOYS01","text":"c"})").first == 200);
    CHECK(call("chat.postMessage", R"({"channel":"C0DEPLOYS01","text":"d"})").first == 429);   // burst of 3

    auto upd = call("chat.update", R"({"channel":"C0DEPLOYS01","ts":")" + ts + R"(","text":"a2"})");
    CHECK(upd.second.at("ok").as_bool());
    auto history = slack.update_history("C0DEPLOYS01", ts);
    REQUIRE(history.size() == 2);
    CHECK(history[0].blocks.size() == 1);
    CHECK(history[1].blocks.empty());
    CHECK(history[1].text == "a2");
    CHECK(call("chat.update", R"({"channel":"C0DEPLOYS01","ts":"1.000001","text":"x"})").second.at("error") ==
          "message_not_found");
}

TEST_CASE("fake_slack: is_archived for archived channels; reply_broadcast shows a thread reply in the channel") {
    deploybot::fakes::fake_slack::options opts;
    opts.archived_channels = {"C0ARCHIVE01"};
    deploybot::fakes::fake_slack slack(opts);
    tls_client api(deploybot::fakes::pki().ca_file);
    REQUIRE_FALSE(api.connect(slack.port()));

    auto archived = call_api(api, slack, "chat.postMessage", R"({"channel":"C0ARCHIVE01","text":"x"})");
    CHECK(archived.status == 200);
    CHECK(archived.body.at("error") == "is_archived");
    CHECK(call_api(api, slack, "chat.update", R"({"channel":"C0ARCHIVE01","ts":"1.000001","text":"x"})")
              .body.at("error") == "is_archived");
    CHECK(call_api(api, slack, "chat.postMessage", R"({"channel":"CNOPE","text":"x"})").body.at("error") ==
          "channel_not_found");

    auto parent = call_api(api, slack, "chat.postMessage", R"({"channel":"C0DEPLOYS01","text":"deploy #7"})");
    REQUIRE(parent.body.at("ok").as_bool());
    std::string parent_ts(parent.body.at("ts").as_string());
    auto quiet = call_api(api, slack, "chat.postMessage",
                          R"({"channel":"C0DEPLOYS01","text":"step 1 done","thread_ts":")" + parent_ts + R"("})");
    REQUIRE(quiet.body.at("ok").as_bool());
    CHECK_FALSE(quiet.body.at("message").as_object().contains("subtype"));
    auto loud = call_api(api, slack, "chat.postMessage",
                         R"({"channel":"C0DEPLOYS01","text":"deploy failed","thread_ts":")" + parent_ts +
                             R"(","reply_broadcast":true})");
    REQUIRE(loud.body.at("ok").as_bool());
    CHECK(loud.body.at("message").at("subtype") == "thread_broadcast");
    CHECK(loud.body.at("message").at("thread_ts").as_string() == parent_ts);

    auto loud_msg = slack.message("C0DEPLOYS01", std::string(loud.body.at("ts").as_string()));
    REQUIRE(loud_msg);
    CHECK(loud_msg->reply_broadcast);
    CHECK(loud_msg->thread_ts == parent_ts);
    auto quiet_msg = slack.message("C0DEPLOYS01", std::string(quiet.body.at("ts").as_string()));
    REQUIRE(quiet_msg);
    CHECK_FALSE(quiet_msg->reply_broadcast);
    auto timeline = slack.channel_timeline("C0DEPLOYS01");
    REQUIRE(timeline.size() == 2);
    CHECK(timeline[0].text == "deploy #7");
    CHECK(timeline[1].text == "deploy failed");
}

TEST_CASE("fake_slack: per-method tier limiter answers 429 + Retry-After only when enforce_tiers is on") {
    {
        deploybot::fakes::fake_slack lenient;   // default: the bot's suites reconnect freely
        tls_client api(deploybot::fakes::pki().ca_file);
        REQUIRE_FALSE(api.connect(lenient.port()));
        for (int i = 0; i < 3; ++i)
            CHECK(call_api(api, lenient, "apps.connections.open", {}, lenient.opts().app_token).status == 200);
    }
    deploybot::fakes::fake_slack::options opts;
    opts.enforce_tiers = true;
    opts.tier_per_window[3] = 2;
    deploybot::fakes::fake_slack slack(opts);
    tls_client api(deploybot::fakes::pki().ca_file);
    REQUIRE_FALSE(api.connect(slack.port()));

    // Tier 1: one call per minute.
    auto first = call_api(api, slack, "apps.connections.open", {}, slack.opts().app_token);
    CHECK(first.status == 200);
    CHECK(first.body.at("ok").as_bool());
    auto second = call_api(api, slack, "apps.connections.open", {}, slack.opts().app_token);
    CHECK(second.status == 429);
    CHECK(second.retry_after == "60");
    CHECK(second.body.at("error") == "ratelimited");

    // Only that method is blocked; auth.test has no tier here.
    for (int i = 0; i < 3; ++i) CHECK(call_api(api, slack, "auth.test", {}).status == 200);

    // Tier 3 set to 2/min: the third call waits ~30 s for a token.
    std::string upd = R"({"channel":"C0DEPLOYS01","ts":"1.000001","text":"x"})";
    CHECK(call_api(api, slack, "chat.update", upd).body.at("error") == "message_not_found");
    CHECK(call_api(api, slack, "chat.update", upd).status == 200);
    auto third = call_api(api, slack, "chat.update", upd);
    CHECK(third.status == 429);
    CHECK(third.retry_after == "30");
    CHECK(call_api(api, slack, "chat.postEphemeral", R"({"channel":"C0DEPLOYS01","user":"U01AAAA","text":"x"})")
              .status == 200);
}

namespace {

std::string response_url_target(const deploybot::fakes::fake_slack& slack, const std::string& envelope_id) {
    for (const auto& e : slack.envelopes())
        if (e.envelope_id == envelope_id) {
            std::string url(e.frame.at("payload").at("response_url").as_string());
            REQUIRE(url.starts_with(slack.base_url()));
            return url.substr(slack.base_url().size());
        }
    FAIL("no such envelope");
    return {};
}

}  // namespace

TEST_CASE("fake_slack: response_url answers expired_url after response_url_ttl or 5 uses") {
    {
        deploybot::fakes::fake_slack slack;
        tls_client api(deploybot::fakes::pki().ca_file);
        REQUIRE_FALSE(api.connect(slack.port()));
        std::string target =
            response_url_target(slack, slack.send_slash_command("/deploy", "status", "U01AAAA", "C0DEPLOYS01"));
        for (int i = 0; i < 5; ++i)
            CHECK(json::parse(api.request(http::verb::post, target, R"({"text":"ok"})").body()).at("ok").as_bool());
        CHECK(json::parse(api.request(http::verb::post, target, R"({"text":"6th"})").body()).at("error") ==
              "expired_url");
    }
    deploybot::fakes::fake_slack::options opts;
    opts.response_url_ttl = std::chrono::milliseconds(0);   // every URL is already past its 30 minutes
    deploybot::fakes::fake_slack slack(opts);
    tls_client api(deploybot::fakes::pki().ca_file);
    REQUIRE_FALSE(api.connect(slack.port()));
    std::string target =
        response_url_target(slack, slack.send_slash_command("/deploy", "status", "U01AAAA", "C0DEPLOYS01"));
    auto body = json::parse(api.request(http::verb::post, target, R"({"text":"late"})").body()).as_object();
    CHECK_FALSE(body.at("ok").as_bool());
    CHECK(body.at("error") == "expired_url");
    CHECK(slack.ephemerals().empty());
    REQUIRE(slack.response_url_posts().size() == 1);
    CHECK_FALSE(slack.response_url_posts()[0].accepted);
}

TEST_CASE("fake_slack: view_submission for a views.open modal; the ack's response_action is honoured") {
    deploybot::fakes::fake_slack slack;
    socket_mode_client client(slack);
    REQUIRE(slack.wait_for_sessions(1, 2s));

    std::string cmd = slack.send_slash_command("/deploy", "rollback", "U01AAAA", "C0DEPLOYS01");
    auto cmd_frame = client.next();
    REQUIRE(cmd_frame);
    client.ack(cmd);
    std::string trigger(cmd_frame->at("payload").at("trigger_id").as_string());
    auto opened = call_api(client.api, slack, "views.open",
                           json::serialize(json::object{
                               {"trigger_id", trigger},
                               {"view", json::object{{"type", "modal"},
                                                     {"callback_id", "rollback_confirm"},
                                                     {"private_metadata", "deploy-7"},
                                                     {"title", json::object{{"type", "plain_text"}, {"text", "Rollback"}}},
                                                     {"blocks", json::array{}}}}}));
    REQUIRE(opened.body.at("ok").as_bool());
    std::string view_id(opened.body.at("view").at("id").as_string());

    auto submit = [&](const std::string& id, std::optional<json::object> ack_payload) {
        std::string env = slack.send_view_submission(
            "U01AAAA", id,
            json::object{{"reason", json::object{{"reason_input", json::object{{"type", "plain_text_input"},
                                                                               {"value", "bad build"}}}}}});
        auto frame = client.next();
        REQUIRE(frame);
        client.ack(env, std::move(ack_payload));
        REQUIRE(slack.wait_for_ack(env, 2s));
        return *frame;
    };

    auto frame = submit(view_id, json::object{{"response_action", "errors"},
                                              {"errors", json::object{{"reason", "Say why"}}}});
    CHECK(frame.at("type") == "interactive");
    CHECK(frame.at("accepts_response_payload").as_bool());
    const auto& payload = frame.at("payload").as_object();
    CHECK(payload.at("type") == "view_submission");
    CHECK(payload.at("user").at("id") == "U01AAAA");
    CHECK(payload.at("view").at("id").as_string() == view_id);
    CHECK(payload.at("view").at("callback_id") == "rollback_confirm");
    CHECK(payload.at("view").at("private_metadata") == "deploy-7");
    CHECK(payload.at("view").at("state").at("values").at("reason").at("reason_input").at("value") == "bad build");
    REQUIRE(slack.view_responses().size() == 1);
    CHECK(slack.view_responses()[0].action == "errors");
    CHECK(slack.view_responses()[0].errors.at("reason") == "Say why");
    CHECK_FALSE(slack.views().at(0).closed);

    submit(view_id, json::object{{"response_action", "update"},
                                 {"view", json::object{{"type", "modal"}, {"callback_id", "rollback_sure"}}}});
    CHECK(slack.view_responses().at(1).action == "update");
    CHECK(slack.views().at(0).view.at("callback_id") == "rollback_sure");

    submit(view_id, json::object{{"response_action", "push"},
                                 {"view", json::object{{"type", "modal"}, {"callback_id", "rollback_step2"}}}});
    auto views = slack.views();
    REQUIRE(views.size() == 2);
    CHECK(views[1].previous_view_id == view_id);
    CHECK(views[1].view.at("callback_id") == "rollback_step2");
    CHECK(slack.view_responses().at(2).pushed_view_id == views[1].id);

    auto pushed_frame = submit(views[1].id, json::object{{"response_action", "clear"}});
    CHECK(pushed_frame.at("payload").at("view").at("callback_id") == "rollback_step2");
    views = slack.views();
    CHECK(views[0].closed);
    CHECK(views[1].closed);

    // A plain ack (no payload) closes just the submitted modal.
    std::string cmd2 = slack.send_slash_command("/deploy", "rollback", "U01AAAA", "C0DEPLOYS01");
    auto cmd2_frame = client.next();
    REQUIRE(cmd2_frame);
    client.ack(cmd2);
    auto reopened = call_api(client.api, slack, "views.open",
                             json::serialize(json::object{
                                 {"trigger_id", cmd2_frame->at("payload").at("trigger_id")},
                                 {"view", json::object{{"type", "modal"}, {"callback_id", "again"}}}}));
    REQUIRE(reopened.body.at("ok").as_bool());
    std::string view2(reopened.body.at("view").at("id").as_string());
    submit(view2, std::nullopt);
    CHECK(slack.view_responses().back().action.empty());
    CHECK(slack.views().back().closed);
}

TEST_CASE("fake_slack: an unacked events_api envelope comes back with retry_attempt 1..3, retry_reason timeout") {
    deploybot::fakes::fake_slack::options opts;
    opts.ack_deadline = 500ms;   // roomy: the acked envelope must not be retried on a loaded machine
    opts.event_retry_delays = {0ms, 50ms, 100ms};   // scaled down from immediate, ~1 min, ~5 min
    deploybot::fakes::fake_slack slack(opts);
    socket_mode_client client(slack);
    REQUIRE(slack.wait_for_sessions(1, 2s));

    auto event = [](const std::string& event_id) {
        return json::object{{"type", "events_api"},
                            {"accepts_response_payload", false},
                            {"retry_attempt", 0},
                            {"retry_reason", ""},
                            {"payload", json::object{{"type", "event_callback"},
                                                     {"event_id", event_id},
                                                     {"event", json::object{{"type", "app_mention"}}}}}};
    };
    std::string acked = slack.send_envelope(event("Ev01ACKED"));
    auto acked_frame = client.next();
    REQUIRE(acked_frame);
    client.ack(acked);
    REQUIRE(slack.wait_for_ack(acked, 2s));

    std::string ignored = slack.send_envelope(event("Ev02IGNORED"));
    for (int attempt = 0; attempt <= 3; ++attempt) {
        CAPTURE(attempt);
        auto frame = client.next();
        REQUIRE(frame);
        CHECK(frame->at("envelope_id").as_string() == ignored);
        CHECK(frame->at("retry_attempt").as_int64() == attempt);
        CHECK(frame->at("retry_reason") == (attempt == 0 ? "" : "timeout"));
        CHECK(frame->at("payload").at("event_id") == "Ev02IGNORED");
    }
    client.ack(ignored);
    auto ack = slack.wait_for_ack(ignored, 2s);
    REQUIRE(ack);
    CHECK_FALSE(ack->late);   // latency counts from the last delivery

    for (const auto& e : slack.envelopes()) {
        if (e.envelope_id == acked) {
            CHECK(e.deliveries == 1);   // acked in time: never retried, though its retries would be due by now
            CHECK_FALSE(e.late);
        } else {
            CHECK(e.envelope_id == ignored);
            CHECK(e.deliveries == 4);
            CHECK(e.late);
            CHECK(e.failure.empty());   // events are retried, not failed
        }
    }
}
