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
