// End-to-end: the operator's endpoints (issue #12, "Operating it"). The real
// app against the fakes, with /healthz and /metrics on a free port; the tests
// read them over HTTP like a load balancer and Prometheus would.
#include "deploy_world.hpp"
#include "fakes/prometheus_text.hpp"

#include "bot/net/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <sqlite3.h>

using namespace deploy_world;
using deploybot::testing::parse_prometheus_text;
using deploybot::testing::prom_parse_result;

namespace {

constexpr std::string_view serving = "serving /healthz and /metrics on http://127.0.0.1:";

// The port the bot logged, from its most recent "serving" line, once the bot
// has taken Slack's hello (the fake marks a session ready when it sends it).
int ops_port(log_capture& logs) {
    REQUIRE(logs.wait_for(serving, 10s));
    REQUIRE(logs.wait_for("connection 1 ready", 10s));
    int port = 0;
    for (const auto& line : logs.lines())
        if (auto at = line.find(serving); at != std::string::npos) port = std::stoi(line.substr(at + serving.size()));
    REQUIRE(port > 0);
    return port;
}

struct answer {
    int status = 0;
    std::string body;
    std::string content_type;
};

// A GET from the test thread with deploybot's own client on a private loop.
answer http_get(int port, const std::string& path, std::chrono::milliseconds timeout = 15s) {
    boost::asio::io_context ioc;
    http_client_options o;
    o.timeout = timeout;
    http_client client(ioc.get_executor(), o);
    answer out;
    auto get = [&]() -> boost::asio::awaitable<void> {
        http_request req;
        req.url = "http://127.0.0.1:" + std::to_string(port) + path;
        auto r = co_await client.request(std::move(req));
        if (!r) co_return;
        out.status = r->status;
        out.body = r->body;
        out.content_type = r->header("Content-Type");
    };
    boost::asio::co_spawn(ioc, get(), [](std::exception_ptr) {});
    ioc.run();
    return out;
}

prom_parse_result scrape(int port) {
    const auto a = http_get(port, "/metrics");
    REQUIRE(a.status == 200);
    CHECK(a.content_type == "text/plain; version=0.0.4; charset=utf-8");
    auto p = parse_prometheus_text(a.body);
    REQUIRE_MESSAGE(p.error.empty(), p.error << "\n" << a.body);
    return p;
}

}  // namespace

TEST_CASE("ops: /healthz is 200 ok when connected; /metrics parses and moves with envelopes, acks, API calls and a deploy going live") {
    world w;
    w.sc = w.vc.setup_model_b();
    w.seed_github();
    w.start();
    const int port = ops_port(w.logs);
    const auto health = http_get(port, "/healthz");
    CHECK(health.status == 200);
    CHECK(health.body == "ok\n");
    CHECK(http_get(port, "/nope").status == 404);

    auto before = scrape(port);
    CHECK(before.value("deploybot_socket_mode_connected") == 1);
    CHECK(before.value("deploybot_socket_mode_state", {{"state", "connected"}}) == 1);
    CHECK(before.value("deploybot_deploys_total", {{"kind", "production"}, {"outcome", "live"}}) == 0);
    CHECK(before.value("deploybot_envelopes_total", {{"type", "slash_commands"}}) == 0);
    CHECK(before.value("deploybot_watches_active") == 0);
    for (const auto& [name, fam] : before.families) CHECK(name.starts_with("deploybot_"));

    w.request(deployer);
    w.complete_checklist();
    w.click(deployer2, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 20s));
    const auto slack_acks = static_cast<double>(w.slack.acks().size());

    auto after = scrape(port);
    CHECK(after.value("deploybot_deploys_total", {{"kind", "production"}, {"outcome", "live"}}) == 1);
    CHECK(after.value("deploybot_deploys_total", {{"kind", "production"}, {"outcome", "failed"}}) == 0);
    CHECK(after.value("deploybot_envelopes_total", {{"type", "slash_commands"}}) == 1);
    CHECK(after.value("deploybot_envelopes_total", {{"type", "interactive"}}) >= 4);
    // Every envelope the fake Slack saw acked was counted as acked, with its latency.
    CHECK(after.sum("deploybot_acks_total") == slack_acks);
    CHECK(after.sum("deploybot_ack_latency_seconds_count") == slack_acks);
    CHECK(after.value("deploybot_ack_latency_seconds_bucket", {{"type", "interactive"}, {"le", "+Inf"}}) ==
          after.value("deploybot_acks_total", {{"type", "interactive"}}));
    CHECK(after.value("deploybot_api_requests_total", {{"service", "vercel"}, {"status", "200"}}) > 0);
    CHECK(after.value("deploybot_api_requests_total", {{"service", "github"}, {"status", "200"}}) > 0);
    CHECK(after.value("deploybot_api_requests_total", {{"service", "slack"}, {"status", "200"}}) > 0);
}

TEST_CASE("ops: a failing API call and a rate-limit wait are counted per service and status") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    const int port = ops_port(w.logs);
    w.vc.fail_next(8, 500, "internal_server_error", "An unexpected internal error occurred");
    w.request(deployer);
    REQUIRE(w.wait_ephemeral(deployer, "Some checks could not be evaluated"));
    auto p = scrape(port);
    CHECK(p.value("deploybot_api_errors_total", {{"service", "vercel"}, {"status", "500"}}) >= 1);
    CHECK(p.value("deploybot_api_requests_total", {{"service", "vercel"}, {"status", "500"}}) ==
          p.value("deploybot_api_errors_total", {{"service", "vercel"}, {"status", "500"}}));
    CHECK_FALSE(p.value("deploybot_api_errors_total", {{"service", "github"}, {"status", "200"}}));

    // A 429 with a short reset: the GET waits it out (counted before the
    // warning is logged) and tries again.
    CHECK_FALSE(p.value("deploybot_rate_limit_waits_total", {{"service", "vercel"}}));
    w.vc.rate_limit_next(1, 50);
    w.click(deployer, "deploy.refresh");
    REQUIRE(w.logs.wait_for("answered 429, retrying in", 10s));
    p = scrape(port);
    CHECK(p.value("deploybot_rate_limit_waits_total", {{"service", "vercel"}}) == 1);
    CHECK(p.value("deploybot_rate_limit_wait_seconds_total", {{"service", "vercel"}}) < 2);
    CHECK(p.value("deploybot_api_requests_total", {{"service", "vercel"}, {"status", "429"}}) == 1);
}

TEST_CASE("ops: /healthz is 503 naming the Socket Mode state while Slack's socket is down, 200 again after") {
    world w;
    w.start();
    const int port = ops_port(w.logs);
    REQUIRE(http_get(port, "/healthz").status == 200);
    // Slack refuses every new WebSocket for a while, then the connection drops.
    w.slack.reject_next_handshakes(1000, 503);
    const auto ids = w.slack.open_session_ids();
    REQUIRE(ids.size() == 1);
    w.slack.drop(ids[0]);
    // The bot noticed and is trying again (and being refused).
    REQUIRE(w.logs.wait_for("WebSocket handshake refused with HTTP 503", 15s));
    const auto down = http_get(port, "/healthz");
    CHECK(down.status == 503);
    CHECK(down.body == "socket mode: reconnecting\n");
    auto p = scrape(port);
    CHECK(p.value("deploybot_socket_mode_connected") == 0);
    CHECK(p.value("deploybot_socket_mode_state", {{"state", "reconnecting"}}) == 1);
    w.slack.reject_next_handshakes(0);
    // The second hello this process saw (ids count attempts, so not "connection 2").
    REQUIRE(w.logs.wait_for_count("ready (hello from", 2, 15s));
    const auto up = http_get(port, "/healthz");
    CHECK(up.status == 200);
    CHECK(up.body == "ok\n");
    CHECK(scrape(port).value("deploybot_socket_mode_connected") == 1);
}

TEST_CASE("ops: /healthz is 503 with SQLite's reason while storage takes no write") {
    world w;
    w.start();
    const int port = ops_port(w.logs);
    REQUIRE(http_get(port, "/healthz").status == 200);
    // Another process holds the database's write lock (a backup, a sqlite3
    // shell left in a transaction): the probe's write waits briefly and fails.
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open((w.dir + "/deploybot.sqlite3").c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    const auto locked = http_get(port, "/healthz");
    CHECK(locked.status == 503);
    CHECK(locked.body == "storage: not writable: database is locked\n");
    REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    const auto again = http_get(port, "/healthz");
    CHECK(again.status == 200);
    CHECK(again.body == "ok\n");
}

TEST_CASE("ops: http.listen \"\" turns the endpoints off; an address in use is logged and the bot runs on") {
    SUBCASE("off") {
        world w;
        w.tweak = [](app_options& o) { o.cfg.http.listen = ""; };
        w.start();
        CHECK(w.logs.wait_for("http.listen is \"\": /healthz and /metrics are off", 5s));
        CHECK_FALSE(w.logs.contains(serving));
    }
    SUBCASE("address in use") {
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::acceptor taken(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
        const auto port = taken.local_endpoint().port();
        world w;
        w.tweak = [port](app_options& o) { o.cfg.http.listen = "127.0.0.1:" + std::to_string(port); };
        w.start();   // connected to Slack all the same
        CHECK(w.logs.wait_for("cannot listen on 127.0.0.1:" + std::to_string(port), 5s));
        CHECK_FALSE(w.logs.contains(serving));
    }
}

TEST_CASE("ops: the server bounds requests, keeps connections alive and answers only GET and HEAD") {
    world w;
    w.start();
    const int port = ops_port(w.logs);
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    auto exchange = [&](const std::string& request) {
        boost::asio::write(s, boost::asio::buffer(request));
        std::string got;
        char buf[4096];
        // Read until the blank line and the announced body are in.
        while (true) {
            const auto head_end = got.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                const auto cl = got.find("Content-Length: ");
                const std::size_t len = cl == std::string::npos ? 0 : std::stoul(got.substr(cl + 16));
                const bool head = request.starts_with("HEAD");
                if (got.size() >= head_end + 4 + (head ? 0 : len)) return got;
            }
            boost::system::error_code ec;
            const auto n = s.read_some(boost::asio::buffer(buf), ec);
            if (ec) return got;
            got.append(buf, n);
        }
    };
    // Two requests on one connection (keep-alive).
    auto first = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    INFO(first);
    CHECK(first.starts_with("HTTP/1.1 200"));
    CHECK(first.ends_with("\r\n\r\nok\n"));
    auto head = exchange("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(head.starts_with("HTTP/1.1 200"));
    CHECK(head.ends_with("\r\n\r\n"));
    auto post = exchange("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
    CHECK(post.starts_with("HTTP/1.1 405"));
    CHECK(post.find("Allow: GET, HEAD") != std::string::npos);
    // A header section beyond the limit is refused and the connection closed.
    auto huge = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(9000, 'a') + "\r\n\r\n");
    CHECK(huge.starts_with("HTTP/1.1 431"));
}

TEST_CASE("ops: the real binary with log.format json writes one scrubbed JSON object per line and serves /healthz") {
    world w;
    w.start_process(R"("log": {"format": "json"},)");
    REQUIRE(w.proc->wait_stderr("serving /healthz and /metrics on http://127.0.0.1:", 10s));
    REQUIRE(w.proc->wait_stderr("connection 1 ready", 10s));
    const auto err = w.proc->err();
    const auto at = err.find(serving);
    const int port = std::stoi(err.substr(at + serving.size()));
    const auto health = http_get(port, "/healthz");
    CHECK(health.status == 200);
    CHECK(health.body == "ok\n");
    w.proc->signal(SIGTERM);
    REQUIRE(w.proc->wait_exit(10s));
    const auto all = w.proc->err();
    std::size_t count = 0;
    for (std::size_t pos = 0; pos < all.size();) {
        const auto nl = all.find('\n', pos);
        if (nl == std::string::npos) break;
        const auto line = all.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.empty()) continue;
        ++count;
        boost::system::error_code ec;
        const auto v = boost::json::parse(line, ec);
        REQUIRE_MESSAGE(!ec, line);
        REQUIRE_MESSAGE(v.is_object(), line);
        const auto& o = v.as_object();
        CHECK(o.size() == 4);
        CHECK(o.contains("ts"));
        CHECK(o.contains("level"));
        CHECK(o.contains("component"));
        CHECK(o.contains("msg"));
        CHECK(line.find(w.slack.opts().bot_token) == std::string::npos);
        CHECK(line.find(w.slack.opts().app_token) == std::string::npos);
        CHECK(line.find(w.gh.opts().token) == std::string::npos);
    }
    CHECK(count >= 3);
    w.proc.reset();
}
