// Sentry client against the in-memory fake Sentry on 127.0.0.1.
#include "run_on.hpp"
#include "bot/net/http_client.hpp"
#include "fakes/fake_sentry.hpp"
#include "integrations/sentry/sentry_client.hpp"

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace {

namespace asio = boost::asio;
using namespace deploybot;
using namespace std::chrono_literals;
using fakes::fake_sentry;
using std::chrono::system_clock;
using deploybot::testing::run_on;

const std::string sentry_token = "sntry-test-token";

// 2026-01-06T03:05:00 UTC: the deploy time of every case.
const system_clock::time_point deploy_time = std::chrono::sys_days{std::chrono::year{2026} / 1 / 6} + 3h + 5min;

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct sentry_env {
    fake_sentry fake;
    asio::io_context ioc;
    http_client http;
    sentry_client client;

    static config::sentry_t make_cfg(const fake_sentry& f) {
        config::sentry_t cfg;
        cfg.api_url = f.api_url() + "//";   // trailing slashes are stripped
        cfg.org = "acme";
        cfg.project = "shop-web";
        cfg.environment = "production";
        return cfg;
    }
    static sentry_client_options make_opts(std::function<std::int64_t()> now_ms) {
        sentry_client_options o;
        o.retry.max_attempts = 3;
        o.retry.max_wait = 50ms;
        o.retry.backoff_base = 10ms;
        o.now_ms = std::move(now_ms);
        return o;
    }
    explicit sentry_env(std::string token = sentry_token, std::function<std::int64_t()> now_ms = {})
        : http(ioc.get_executor(), http_client_options{}),
          client(http, make_cfg(fake), std::move(token), make_opts(std::move(now_ms))) {
        fake.start();
    }

    sentry_deploy_marker marker(std::string version) const {
        sentry_deploy_marker m;
        m.version = std::move(version);
        m.repository = "acme/shop-web";
        m.previous_commit = "3c1e0b7f4d2a9e6c5b8a7f0e1d2c3b4a59687766";
        m.commit_url = "https://github.com/acme/shop-web/commit/" + m.version;
        m.name = "promote dpl_3TbYw8cXqM";
        m.url = "https://vercel.com/acme/shop-web/3TbYw8cXqM";
        m.started = deploy_time - 52s;
        m.finished = deploy_time;
        return m;
    }
};

}  // namespace

TEST_CASE("sentry client: error count in a window is filtered by time and environment") {
    sentry_env env;
    env.fake.add_events("SHOP-WEB-1", "TypeError: a", deploy_time - 30min, 3);
    env.fake.add_events("SHOP-WEB-2", "TypeError: b", deploy_time, 5);          // start is inclusive
    env.fake.add_events("SHOP-WEB-2", "TypeError: b", deploy_time + 59min, 2);
    env.fake.add_events("SHOP-WEB-2", "TypeError: b", deploy_time + 60min, 4);  // end is exclusive
    env.fake.add_events("SHOP-WEB-3", "TypeError: c", deploy_time + 15min, 7, "staging");

    auto after = run_on(env.ioc, env.client.count_errors(deploy_time, deploy_time + 60min));
    REQUIRE(after.has_value());
    CHECK(*after == 7);
    auto before = run_on(env.ioc, env.client.count_errors(deploy_time - 60min, deploy_time));
    REQUIRE(before.has_value());
    CHECK(*before == 3);
    auto empty = run_on(env.ioc, env.client.count_errors(deploy_time + 2h, deploy_time + 3h));
    REQUIRE(empty.has_value());
    CHECK(*empty == 0);

    auto reqs = env.fake.requests_to("/api/0/organizations/acme/events/");
    REQUIRE(reqs.size() == 3);
    const auto& r = reqs[0];
    CHECK(r.method == "GET");
    CHECK(r.header("Authorization") == "Bearer " + sentry_token);
    CHECK(r.query_param("dataset") == "errors");
    CHECK(r.query_param("field") == "count()");
    CHECK(r.query_param("project") == "shop-web");
    CHECK(r.query_param("environment") == "production");
    CHECK(r.query_param("start") == "2026-01-06T03:05:00");
    CHECK(r.query_param("end") == "2026-01-06T04:05:00");
    // "()" and ":" travel percent-encoded (sentry.md §1).
    CHECK(r.query.find("field=count%28%29") != std::string::npos);
    CHECK(r.query.find("start=2026-01-06T03%3A05%3A00") != std::string::npos);
    CHECK(r.query.find(sentry_token) == std::string::npos);
}

TEST_CASE("sentry client: new issues since the deploy, newest first, with string counts") {
    sentry_env env;
    env.fake.add_events("SHOP-WEB-OLD", "Old bug", deploy_time - 2h, 50);
    env.fake.add_events("SHOP-WEB-OLD", "Old bug", deploy_time + 5min, 9);    // old issue seen again: not new
    env.fake.add_events("SHOP-WEB-3K", "TypeError: cart.items is undefined", deploy_time + 4min, 100);
    env.fake.add_events("SHOP-WEB-3K", "TypeError: cart.items is undefined", deploy_time + 30min, 21);
    env.fake.add_events("SHOP-WEB-3M", "RangeError: x", deploy_time + 20min, 2);
    env.fake.add_events("SHOP-WEB-ST", "Staging only", deploy_time + 10min, 5, "staging");

    auto r = run_on(env.ioc, env.client.new_issues(deploy_time, 20));
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 2);
    CHECK((*r)[0].short_id == "SHOP-WEB-3M");
    CHECK((*r)[1].short_id == "SHOP-WEB-3K");
    CHECK((*r)[1].title == "TypeError: cart.items is undefined");
    CHECK((*r)[1].count == 121);
    CHECK((*r)[1].user_count == 121);
    CHECK((*r)[1].level == "error");
    CHECK((*r)[1].first_seen == "2026-01-06T03:09:00Z");
    CHECK((*r)[1].permalink == env.fake.base_url() + "/organizations/acme/issues/" + (*r)[1].id + "/");
    CHECK_FALSE((*r)[1].id.empty());

    auto one = run_on(env.ioc, env.client.new_issues(deploy_time, 1));
    REQUIRE(one.has_value());
    REQUIRE(one->size() == 1);
    CHECK((*one)[0].short_id == "SHOP-WEB-3M");

    auto reqs = env.fake.requests_to("/api/0/organizations/acme/issues/");
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].query_param("query") == "is:unresolved firstSeen:>2026-01-06T03:05:00");
    CHECK(reqs[0].query_param("sort") == "new");
    CHECK(reqs[0].query_param("limit") == "20");
    CHECK(reqs[0].query_param("environment") == "production");
    CHECK(reqs[1].query_param("limit") == "1");
}

TEST_CASE("sentry client: record_deploy creates the release (201, then 208) and the deploy") {
    sentry_env env;
    const std::string sha = "9b0d5e1c7a3f2e4d6c8b0a1f3e5d7c9b1a2f4e6d";
    auto first = run_on(env.ioc, env.client.record_deploy(env.marker(sha)));
    REQUIRE(first.has_value());
    auto m = env.marker(sha);
    m.name = "rollback " + std::string(100, 'x');
    auto second = run_on(env.ioc, env.client.record_deploy(m));
    REQUIRE(second.has_value());

    auto rels = env.fake.releases();
    REQUIRE(rels.size() == 1);
    CHECK(rels[0].version == sha);
    CHECK(rels[0].create_calls == 2);   // the second POST was answered 208
    CHECK(rels[0].projects == std::vector<std::string>{"shop-web"});
    CHECK(rels[0].url == "https://github.com/acme/shop-web/commit/" + sha);
    REQUIRE(rels[0].refs.size() == 1);
    CHECK(rels[0].refs[0].repository == "acme/shop-web");
    CHECK(rels[0].refs[0].commit == sha);
    CHECK(rels[0].refs[0].previous_commit == "3c1e0b7f4d2a9e6c5b8a7f0e1d2c3b4a59687766");

    auto deps = env.fake.deploys();
    REQUIRE(deps.size() == 2);
    CHECK(deps[0].version == sha);
    CHECK(deps[0].environment == "production");
    CHECK(deps[0].name == "promote dpl_3TbYw8cXqM");
    CHECK(deps[0].url == "https://vercel.com/acme/shop-web/3TbYw8cXqM");
    CHECK(deps[0].date_started == "2026-01-06T03:04:08Z");
    CHECK(deps[0].date_finished == "2026-01-06T03:05:00Z");
    CHECK(deps[1].name == m.name.substr(0, 64));
    CHECK(env.fake.count_requests("POST") == 4);
}

TEST_CASE("sentry client: a release version is one percent-encoded path segment; no refs without a repository") {
    // Sentry refuses '/' in versions; ' ', '?', '+' and '#' are allowed and must be escaped.
    sentry_env env;
    auto m = env.marker("2026.01 rc?1+b#2");
    m.repository.clear();
    auto r = run_on(env.ioc, env.client.record_deploy(m));
    REQUIRE(r.has_value());
    auto deps = env.fake.deploys();
    REQUIRE(deps.size() == 1);
    CHECK(deps[0].version == "2026.01 rc?1+b#2");
    auto rels = env.fake.releases();
    REQUIRE(rels.size() == 1);
    CHECK(rels[0].refs.empty());
    auto posts = env.fake.requests();
    REQUIRE(posts.size() == 2);
    CHECK(posts[1].target == "/api/0/organizations/acme/releases/2026.01%20rc%3F1%2Bb%232/deploys/");
}

TEST_CASE("sentry client: a deploy for a release Sentry does not know is a not_found error") {
    sentry_env env;
    env.fake.set_forget_releases(true);
    auto r = run_on(env.ioc, env.client.record_deploy(env.marker("abc123")));
    REQUIRE(r.has_error());
    CHECK(r.error().service == "sentry");
    CHECK(r.error().http_status == 404);
    CHECK(r.error().code == errc::not_found);
    CHECK(r.error().detail == "The requested resource does not exist");
    CHECK(env.fake.deploys().empty());
    CHECK(env.fake.count_requests("POST", "/deploys/") == 1);   // never retried
}

TEST_CASE("sentry client: a refused release is a bad_request error and no deploy is sent") {
    sentry_env env;
    auto r = run_on(env.ioc, env.client.record_deploy(env.marker("release/1.2")));
    REQUIRE(r.has_error());
    CHECK(r.error().http_status == 400);
    CHECK(r.error().code == errc::bad_request);
    CHECK(r.error().detail == "version: Invalid release version.");
    CHECK(env.fake.count_requests("POST") == 1);
    CHECK(env.fake.releases().empty());
}

TEST_CASE("sentry client: 401 and 403 are not retried") {
    sentry_env env("sntry-wrong-token");
    auto r = run_on(env.ioc, env.client.count_errors(deploy_time, deploy_time + 1h));
    REQUIRE(r.has_error());
    CHECK(r.error().http_status == 401);
    CHECK(r.error().code == errc::auth_failed);
    CHECK(r.error().detail == "Invalid token");
    CHECK(env.fake.count_requests() == 1);

    sentry_env ok;
    ok.fake.fail_all(403);
    auto f = run_on(ok.ioc, ok.client.new_issues(deploy_time, 5));
    REQUIRE(f.has_error());
    CHECK(f.error().code == errc::forbidden);
    CHECK(f.error().detail == "You do not have permission to perform this action.");
    CHECK(ok.fake.count_requests() == 1);
}

TEST_CASE("sentry client: 429 waits for the reset (capped) and retries") {
    // Our clock runs 10 s behind Sentry's: the reset is ≥ 10 s away, so only the
    // max_wait cap (50 ms) keeps the wait short; an exponential wait would be 10 ms.
    sentry_env env(sentry_token, [] { return wall_ms() - 10000; });
    env.fake.add_events("SHOP-WEB-1", "x", deploy_time + 1min, 4);
    env.fake.fail_next(429, 1);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run_on(env.ioc, env.client.count_errors(deploy_time, deploy_time + 1h));
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    REQUIRE(r.has_value());
    CHECK(*r == 4);
    CHECK(env.fake.count_requests("GET") == 2);
    CHECK(env.fake.gets_answered() == 2);
    CHECK(elapsed >= 50ms);
    CHECK(elapsed < 5s);
}

TEST_CASE("sentry client: a persistent 429 gives up as rate_limited after max_attempts") {
    sentry_env env;
    env.fake.fail_all(429);
    auto r = run_on(env.ioc, env.client.count_errors(deploy_time, deploy_time + 1h));
    REQUIRE(r.has_error());
    CHECK(r.error().http_status == 429);
    CHECK(r.error().code == errc::rate_limited);
    REQUIRE(r.error().retry_after.has_value());
    CHECK(*r.error().retry_after <= 2s);
    CHECK(env.fake.count_requests("GET") == 3);
}

TEST_CASE("sentry client: 5xx is retried, a persistent 5xx is unavailable") {
    sentry_env env;
    env.fake.fail_next(503, 2);
    auto ok = run_on(env.ioc, env.client.new_issues(deploy_time, 5));
    REQUIRE(ok.has_value());
    CHECK(ok->empty());
    CHECK(env.fake.count_requests("GET") == 3);

    env.fake.clear_requests();
    env.fake.fail_all(500);
    auto r = run_on(env.ioc, env.client.count_errors(deploy_time, deploy_time + 1h));
    REQUIRE(r.has_error());
    CHECK(r.error().http_status == 500);
    CHECK(r.error().code == errc::unavailable);
    CHECK(r.error().detail == "Internal Error");
    CHECK(env.fake.count_requests("GET") == 3);

    // A POST is never sent twice, whatever the status.
    env.fake.clear_requests();
    auto p = run_on(env.ioc, env.client.record_deploy(env.marker("abc123")));
    REQUIRE(p.has_error());
    CHECK(p.error().code == errc::unavailable);
    CHECK(env.fake.count_requests("POST") == 1);
}

TEST_CASE("sentry client: server down is a transport error; a POST goes out exactly once") {
    sentry_env env;
    env.fake.set_down(true);
    auto r = run_on(env.ioc, env.client.count_errors(deploy_time, deploy_time + 1h));
    REQUIRE(r.has_error());
    CHECK(r.error().http_status == 0);
    CHECK(r.error().code == errc::transport);
    CHECK(env.fake.count_requests("GET") == 3);
    CHECK(env.fake.gets_answered() == 0);

    auto p = run_on(env.ioc, env.client.record_deploy(env.marker("abc123")));
    REQUIRE(p.has_error());
    CHECK(p.error().http_status == 0);
    CHECK(p.error().code == errc::outcome_unknown);
    CHECK(env.fake.count_requests("POST") == 1);
    CHECK(env.fake.releases().empty());

    env.fake.set_down(false);
    auto back = run_on(env.ioc, env.client.count_errors(deploy_time, deploy_time + 1h));
    REQUIRE(back.has_value());
    CHECK(*back == 0);
}

TEST_CASE("sentry client: the token never appears in an error; hostile details are bounded") {
    sentry_env env;
    env.fake.set_fault_detail("token " + sentry_token + " rejected " + std::string(5000, 'x') + sentry_token);
    for (int status : {400, 403, 404, 429, 500}) {
        CAPTURE(status);
        env.fake.fail_all(status);
        auto r = run_on(env.ioc, env.client.count_errors(deploy_time, deploy_time + 1h));
        REQUIRE(r.has_error());
        CHECK(r.error().http_status == status);
        CHECK(r.error().detail.find(sentry_token) == std::string::npos);
        CHECK(r.error().to_string().find(sentry_token) == std::string::npos);
        CHECK(r.error().detail.find("rejected") != std::string::npos);
        CHECK(r.error().detail.size() <= sentry_max_error_bytes + 32);
    }
    env.fake.fail_all(0);
    env.fake.set_down(true);
    auto p = run_on(env.ioc, env.client.record_deploy(env.marker("abc123")));
    REQUIRE(p.has_error());
    CHECK(p.error().to_string().find(sentry_token) == std::string::npos);
}

TEST_CASE("sentry client: issues page link for self-hosted (the fake) and sentry.io") {
    sentry_env env;
    CHECK(env.client.issues_page_url(deploy_time) ==
          env.fake.base_url() +
              "/organizations/acme/issues/?project=shop-web&environment=production"
              "&query=firstSeen%3A%3E2026-01-06T03%3A05%3A00");

    for (std::string api : {"https://sentry.io/api/0/", "https://de.sentry.io/api/0", "https://US.sentry.io/api/0"}) {
        CAPTURE(api);
        config::sentry_t cfg = sentry_env::make_cfg(env.fake);
        cfg.api_url = api;
        cfg.environment.clear();
        sentry_client saas(env.http, cfg, sentry_token);
        CHECK(saas.issues_page_url(deploy_time) ==
              "https://acme.sentry.io/issues/?project=shop-web&query=firstSeen%3A%3E2026-01-06T03%3A05%3A00");
    }
    CHECK(env.fake.count_requests() == 0);
}
