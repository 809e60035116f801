// The sandbox's page server and world, without the bot (the browser test,
// tests/browser, drives the whole thing): what the page and its JSON show,
// what the side panel changes in the fakes, and the requests it refuses.
#include "fakes/shop_world.hpp"
#include "sandbox/sandbox_page.hpp"
#include "sandbox/sandbox_world.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <string>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

struct answer {
    int status = 0;
    std::string content_type;
    std::string body;
    json::object json() const { return boost::json::parse(body).as_object(); }
};

answer call(std::uint16_t port, http::verb verb, const std::string& target, const std::string& body = {},
            const std::string& content_type = "application/json", const std::string& host = {}) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host.empty() ? "127.0.0.1:" + std::to_string(port) : host);
    if (!body.empty() || verb == http::verb::post) {
        req.set(http::field::content_type, content_type);
        req.body() = body;
        req.prepare_payload();
    }
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    return {static_cast<int>(res.result_int()), std::string(res[http::field::content_type]), res.body()};
}

std::string state_of(const std::string& user) { return "/api/state?user=" + user; }

}  // namespace

TEST_CASE("sandbox page: the page, the world as JSON, panel actions, and what it refuses") {
    using namespace deploybot;
    sandbox::world w;
    sandbox::page_server page(w, 0);
    page.run();
    const auto port = page.port();

    auto index = call(port, http::verb::get, "/");
    CHECK(index.status == 200);
    CHECK(index.content_type.starts_with("text/html"));
    CHECK(index.body.find("# deployments") != std::string::npos);
    CHECK(call(port, http::verb::get, "/app.js").body.find("block_id") != std::string::npos);

    auto st = call(port, http::verb::get, state_of(fakes::shop::deployer)).json();
    CHECK(st.at("people").as_array().size() == 4);
    CHECK(st.at("messages").as_array().empty());
    const auto& world0 = st.at("world").as_object();
    CHECK(world0.at("window_open").as_bool());   // the clock starts inside a deploy window
    CHECK(world0.at("production").as_object().at("id").as_string() == "dpl_Prod0002");
    CHECK(world0.at("staging").as_object().at("id").as_string() == "dpl_Stag0003");

    // Merge a PR: GitHub's main moves, CI runs, Vercel builds it.
    auto merged = call(port, http::verb::post, "/api/world/merge", "{}").json();
    CHECK(merged.at("ok").as_bool());
    auto world1 = call(port, http::verb::get, state_of(fakes::shop::deployer)).json().at("world").as_object();
    const auto& pr = world1.at("prs").as_array().at(0).as_object();
    CHECK(pr.at("number").as_int64() == 413);
    CHECK(pr.at("ci").as_string() == "running");
    CHECK(world1.at("building").as_array().at(0).as_object().at("id").as_string() == "dpl_Stag0004");
    call(port, http::verb::post, "/api/world/ci_fail", "{}");
    auto world2 = call(port, http::verb::get, state_of(fakes::shop::deployer)).json().at("world").as_object();
    CHECK(world2.at("prs").as_array().at(0).as_object().at("ci").as_string() == "failed");

    // The next window is another day, and open.
    const std::string before(world2.at("clock").as_string());
    call(port, http::verb::post, "/api/world/next_window", "{}");
    auto world3 = call(port, http::verb::get, state_of(fakes::shop::deployer)).json().at("world").as_object();
    CHECK(world3.at("window_open").as_bool());
    CHECK(std::string(world3.at("clock").as_string()).substr(0, 6) != before.substr(0, 6));

    // Armed faults show in the panel.
    call(port, http::verb::post, "/api/world/fail_promote", "{}");
    call(port, http::verb::post, "/api/world/spike", "{}");
    auto world4 = call(port, http::verb::get, state_of(fakes::shop::deployer)).json().at("world").as_object();
    CHECK(world4.at("promote_fail_armed").as_bool());
    CHECK(std::string(world4.at("spike").as_string()).find("45 TypeErrors") != std::string::npos);

    // Refused: another Host (DNS rebinding), a POST that is not JSON (a cross-site form), an unknown
    // person, and a command while no bot is connected.
    CHECK(call(port, http::verb::get, "/", {}, {}, "evil.example:80").status == 403);
    CHECK(call(port, http::verb::post, "/api/world/merge", "{}", "text/plain").status == 415);
    CHECK(call(port, http::verb::post, "/api/command", R"({"user":"U0NOBODY001","command":"/deploy","text":"prod"})")
              .status == 400);
    CHECK(call(port, http::verb::post, "/api/command",
               R"({"user":")" + fakes::shop::deployer + R"(","command":"/deploy","text":"prod"})")
              .status == 503);
    CHECK(w.slack().envelopes().empty());   // nothing reached Slack
    page.stop();
}
