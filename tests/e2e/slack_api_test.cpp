// The Web API client and the shared HTTP client against the fake Slack.
#include "bot_harness.hpp"
#include "run_on.hpp"
#include "bot/net/http_client.hpp"
#include "bot/slack/slack_api.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

using namespace deploybot;
using namespace deploybot::testing;
using fakes::fake_slack;
using deploybot::testing::run_on;

namespace {


struct client_fixture {
    log_capture logs;
    fake_slack slack;
    boost::asio::io_context ioc;
    http_client http{ioc.get_executor(), [] {
                         http_client_options o;
                         o.tls.ca_file = fakes::pki().ca_file;
                         o.timeout = 5000ms;
                         return o;
                     }()};
    slack_api api{ioc.get_executor(), http,
                  slack_api_options{slack.api_url(), slack.opts().bot_token, slack.opts().app_token}};
    client_fixture() { slack.start(); }
};

boost::json::object msg(std::string channel, std::string text) {
    return boost::json::object{{"channel", std::move(channel)}, {"text", std::move(text)}};
}

}  // namespace

TEST_CASE("slack_api: chat.postMessage 429 waits Retry-After and retries") {
    client_fixture f;
    f.slack.rate_limit_next("chat.postMessage", 1, 1);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run_on(f.ioc, f.api.post_message(msg("C0DEPLOYS01", "hello")));
    REQUIRE(r.has_value());
    CHECK_FALSE(r->ts.empty());
    CHECK(std::chrono::steady_clock::now() - t0 >= 1000ms);
    CHECK(f.slack.requests_to("/api/chat.postMessage").size() == 2);
    REQUIRE(f.slack.messages_in("C0DEPLOYS01").size() == 1);
    CHECK(f.slack.messages_in("C0DEPLOYS01")[0].text == "hello");
}

TEST_CASE("slack_api: ok:false becomes a typed error carrying Slack's code") {
    client_fixture f;
    auto r = run_on(f.ioc, f.api.post_message(msg("C0NOSUCH001", "x")));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().reason == "channel_not_found");
    CHECK(r.error().code == errc::not_found);
    CHECK(r.error().code != errc::auth_failed);
    f.slack.fail_next("auth.test", 1, "invalid_auth");
    auto a = run_on(f.ioc, f.api.auth_test());
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error().code == errc::auth_failed);
    CHECK(a.error().reason == "invalid_auth");
}

TEST_CASE("slack_api: posts to one channel are paced ~1/s, in order, none dropped, on one kept-alive connection") {
    client_fixture f;
    auto burst = [&]() -> boost::asio::awaitable<int> {
        int ok = 0;
        std::vector<std::future<outcome<posted_message>>> futs;
        for (int i = 0; i < 4; ++i)
            futs.push_back(boost::asio::co_spawn(f.ioc, f.api.post_message(msg("C0DEPLOYS01", fmt::format("m{}", i))),
                                                 boost::asio::use_future));
        co_return ok + static_cast<int>(futs.size());
    };
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(run_on(f.ioc, burst()) == 4);
    // Drive the loop until all four are stored.
    while (f.slack.messages_in("C0DEPLOYS01").size() < 4) {
        REQUIRE(std::chrono::steady_clock::now() - t0 < 15s);
        f.ioc.run_one_for(100ms);
    }
    CHECK(std::chrono::steady_clock::now() - t0 >= 2900ms);   // 4 posts → 3 intervals
    const auto msgs = f.slack.messages_in("C0DEPLOYS01");
    for (int i = 0; i < 4; ++i) CHECK(msgs[static_cast<std::size_t>(i)].text == fmt::format("m{}", i));
    CHECK(f.slack.requests_to("/api/chat.postMessage").size() == 4);   // no 429 was needed
    const auto reqs = f.slack.requests_to("/api/chat.postMessage");
    for (const auto& r : reqs) CHECK(r.connection_id == reqs.front().connection_id);
    for (const auto& r : reqs) CHECK(r.header("Content-Type").find("charset=utf-8") != std::string::npos);
}

TEST_CASE("slack_api: updates of one message are coalesced, the latest content wins") {
    client_fixture f;
    auto posted = run_on(f.ioc, f.api.post_message(msg("C0DEPLOYS01", "v0")));
    REQUIRE(posted.has_value());
    auto many = [&]() -> boost::asio::awaitable<void> {
        std::vector<std::future<outcome<void>>> futs;
        for (int i = 1; i <= 5; ++i)
            futs.push_back(boost::asio::co_spawn(
                f.ioc, f.api.update_message(posted->channel, posted->ts, msg("", fmt::format("v{}", i))),
                boost::asio::use_future));
        co_return;
    };
    run_on(f.ioc, many());
    const auto t0 = std::chrono::steady_clock::now();
    while (f.slack.message("C0DEPLOYS01", posted->ts)->text != "v5") {
        REQUIRE(std::chrono::steady_clock::now() - t0 < 10s);
        f.ioc.run_one_for(100ms);
    }
    CHECK(f.slack.requests_to("/api/chat.update").size() <= 2);   // v1, then straight to v5
}

TEST_CASE("http_client: unknown CA refused; deadline enforced") {
    fake_slack slack;
    slack.start();
    boost::asio::io_context ioc;
    http_client_options o;
    o.tls.ca_file = fakes::pki().other_ca_file;
    http_client http(ioc.get_executor(), o);
    auto r = run_on(ioc, http.request(http_request{"POST", slack.api_url() + "/auth.test", {}, "{}", {}}));
    REQUIRE_FALSE(r.has_value());
    CHECK(slack.requests().empty());

    // A server that answers after the deadline: a read → errc::timeout; a POST
    // that went out → errc::outcome_unknown (it may have been carried out), and
    // it is not sent a second time.
    o.tls.ca_file = fakes::pki().ca_file;
    http_client http2(ioc.get_executor(), o);
    slack.set_latency(1500ms);
    http_request slow_get{"GET", slack.api_url() + "/auth.test", {}, "", std::chrono::milliseconds(300)};
    auto g = run_on(ioc, http2.request(slow_get));
    REQUIRE_FALSE(g.has_value());
    CHECK(g.error() == make_error_code(errc::timeout));
    slack.clear_requests();
    http_request slow{"POST", slack.api_url() + "/auth.test", {}, "{}", std::chrono::milliseconds(300)};
    auto t = run_on(ioc, http2.request(slow));
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error() == make_error_code(errc::outcome_unknown));
    CHECK(slack.wait_for_requests([](const auto& rs) { return rs.size() == 1; }, 2s));
    CHECK(slack.requests().size() == 1);
}

namespace {

// A directory laid out as update-ca-certificates lays out /etc/ssl/certs: the
// CA's PEM under its subject hash ("5ad8a5d6.0"). Removed when the test ends.
struct hashed_ca_dir {
    std::filesystem::path path;
    explicit hashed_ca_dir(const std::string& ca_file) {
        path = std::filesystem::temp_directory_path() / ("deploybot_ca_dir_" + std::to_string(::getpid()));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
        std::FILE* f = std::fopen(ca_file.c_str(), "r");
        REQUIRE(f);
        X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
        std::fclose(f);
        REQUIRE(cert);
        char name[16];
        std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(cert));
        X509_free(cert);
        std::ifstream in(ca_file);
        std::ostringstream pem;
        pem << in.rdbuf();
        std::ofstream(path / name) << pem.str();
    }
    ~hashed_ca_dir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("http_client: without tls.ca_file the system store's hashed directory verifies the server") {
    fake_slack slack;
    slack.start();
    boost::asio::io_context ioc;
    {
        hashed_ca_dir trusted(fakes::pki().ca_file);
        http_client_options o;
        o.tls.system_ca_dir = trusted.path.string();
        http_client http(ioc.get_executor(), o);
        auto r = run_on(ioc, http.request(http_request{"POST", slack.api_url() + "/auth.test", {}, "{}", {}}));
        REQUIRE(r.has_value());
        CHECK(r->status == 200);
        CHECK(slack.requests_to("/api/auth.test").size() == 1);
    }
    {
        // A directory with another CA only: the handshake is refused, nothing is sent.
        slack.clear_requests();
        hashed_ca_dir other(fakes::pki().other_ca_file);
        http_client_options o;
        o.tls.system_ca_dir = other.path.string();
        http_client http(ioc.get_executor(), o);
        auto r = run_on(ioc, http.request(http_request{"POST", slack.api_url() + "/auth.test", {}, "{}", {}}));
        REQUIRE_FALSE(r.has_value());
        CHECK(slack.requests().empty());
    }
}

TEST_CASE("http_client: a POST is never sent twice on its own; a stale pooled connection is not used for it") {
    fake_slack slack;
    slack.start();
    boost::asio::io_context ioc;
    http_client_options o;
    o.tls.ca_file = fakes::pki().ca_file;
    http_client http(ioc.get_executor(), o);
    auto post = [&] {
        return run_on(ioc, http.request(http_request{"POST", slack.api_url() + "/auth.test",
                                                     {{"Authorization", "Bearer " + slack.opts().bot_token},
                                                      {"Content-Type", "application/json"}},
                                                     "{}", {}}));
    };
    REQUIRE(post().has_value());   // leaves a pooled keep-alive connection
    // The answer of the next chat-changing call is lost after the server acted on it.
    slack.lose_next_answer("auth.test", 1);
    slack.clear_requests();
    auto lost = post();
    REQUIRE_FALSE(lost.has_value());
    CHECK(lost.error() == make_error_code(errc::outcome_unknown));
    CHECK(slack.requests().size() == 1);   // sent once, not again on a fresh connection
    // The server closed the pooled connection: the next POST notices before writing and opens a new one.
    REQUIRE(post().has_value());
}
