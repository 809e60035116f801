// GitHub client against the in-memory fake GitHub on 127.0.0.1.
#include "run_on.hpp"
#include "bot/net/http_client.hpp"
#include "fakes/fake_github.hpp"
#include "integrations/github/github_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <future>

namespace {

namespace asio = boost::asio;
using namespace deploybot;
using namespace std::chrono_literals;
using fakes::fake_github;
using fakes::gh_limit_mode;

const std::string gh_token = "ghp_fake_test_token_0001";

using deploybot::testing::run_on;

std::string sha_n(int n) {
    std::string s = std::to_string(n);
    return std::string(40 - s.size(), 'c') + s;
}

struct github_env {
    fake_github fake;
    asio::io_context ioc;
    http_client http;
    github_client client;

    static config::github_t make_cfg(const fake_github& f) {
        config::github_t cfg;
        cfg.api_url = f.base_url();
        cfg.repo = "acme/shop-web";
        cfg.main_branch = "main";
        return cfg;
    }
    static github_client_options make_opts(int per_page) {
        github_client_options o;
        o.per_page = per_page;
        o.retry.max_wait = 5s;
        o.retry.backoff_base = 50ms;
        return o;
    }
    explicit github_env(int per_page = 100, std::string token = gh_token)
        : fake(fake_github::options{}),
          http(ioc.get_executor(), http_client_options{}),
          client(http, make_cfg(fake), std::move(token), make_opts(per_page)) {
        fake.start();
    }
};

}  // namespace

TEST_CASE("github client: branch head with the mandatory headers") {
    github_env env;
    env.fake.set_branch("main", sha_n(1));
    auto r = run_on(env.ioc, env.client.get_branch_head("main"));
    REQUIRE(r.has_value());
    CHECK(*r == sha_n(1));
    auto reqs = env.fake.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].path == "/repos/acme/shop-web/branches/main");
    CHECK(reqs[0].header("Authorization") == "Bearer " + gh_token);
    CHECK(reqs[0].header("Accept") == "application/vnd.github+json");
    CHECK(reqs[0].header("X-GitHub-Api-Version") == "2022-11-28");
    CHECK(reqs[0].header("User-Agent") == std::string("deploybot/") + DEPLOYBOT_VERSION);

    auto missing = run_on(env.ioc, env.client.get_branch_head("nope"));
    REQUIRE(missing.has_error());
    CHECK(missing.error().code == errc::not_found);
    CHECK(missing.error().http_status == 404);
}

TEST_CASE("github client: bad token is 401 and the token never shows in the error") {
    github_env env(100, "ghp_fake_wrong_token_01");
    env.fake.set_branch("main", sha_n(1));
    auto r = run_on(env.ioc, env.client.get_branch_head("main"));
    REQUIRE(r.has_error());
    CHECK(r.error().http_status == 401);
    CHECK(r.error().code == errc::auth_failed);
    CHECK(r.error().detail == "Bad credentials");
    CHECK(r.error().to_string().find("ghp_") == std::string::npos);
    CHECK(env.fake.requests().size() == 1);
}

TEST_CASE("github fake: unsupported API version is 400, missing User-Agent 403") {
    github_env env;
    env.fake.set_branch("main", sha_n(1));
    http_request bad;
    bad.url = env.fake.base_url() + "/repos/acme/shop-web/branches/main";
    bad.headers = {{"Authorization", "Bearer " + gh_token}, {"User-Agent", "t"}, {"X-GitHub-Api-Version", "2099-01-01"}};
    auto r = run_on(env.ioc, env.http.request(bad));
    REQUIRE(r.has_value());
    CHECK(r->status == 400);
    http_request no_ua;
    no_ua.url = bad.url;
    // http_client adds its own User-Agent; an empty one is what the fake must refuse.
    no_ua.headers = {{"Authorization", "Bearer " + gh_token}, {"User-Agent", ""}};
    auto r2 = run_on(env.ioc, env.http.request(no_ua));
    REQUIRE(r2.has_value());
    CHECK(r2->status == 403);
}

TEST_CASE("github client: check runs follow Link pages with filter=latest") {
    github_env env(2);
    const auto sha = sha_n(7);
    for (int i = 0; i < 5; ++i) env.fake.set_check_run(sha, {.id = 100 + i, .name = "job-" + std::to_string(i)});
    // A re-run of job-0 that failed replaces the older run with filter=latest.
    env.fake.set_check_run(sha, {.id = 200, .name = "job-0", .conclusion = "failure"});
    auto r = run_on(env.ioc, env.client.list_check_runs(sha));
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 5);
    CHECK((*r)[0].name == "job-0");
    CHECK((*r)[0].id == 200);
    CHECK((*r)[0].conclusion == "failure");
    CHECK((*r)[4].name == "job-4");
    CHECK((*r)[4].app_slug == "github-actions");
    auto reqs = env.fake.requests();
    REQUIRE(reqs.size() == 3);
    for (auto& q : reqs) {
        CHECK(q.query_param("filter") == "latest");
        CHECK(q.query_param("per_page") == "2");
    }
    CHECK(reqs[2].query_param("page") == "3");
}

TEST_CASE("github client: combined status across pages, latest per context") {
    github_env env(1);
    const auto sha = sha_n(8);
    env.fake.add_status(sha, {"ci/lint", "pending", "", ""});
    env.fake.add_status(sha, {"ci/lint", "success", "ok", "https://ci/1"});
    env.fake.add_status(sha, {"Vercel", "failure", "Build failed", "https://vercel/1"});
    auto r = run_on(env.ioc, env.client.get_combined_status(sha));
    REQUIRE(r.has_value());
    CHECK(r->state == "failure");
    CHECK(r->total_count == 2);
    REQUIRE(r->statuses.size() == 2);
    CHECK(env.fake.requests().size() == 2);
    int success = 0;
    for (auto& s : r->statuses) success += s.state == "success";
    CHECK(success == 1);
}

TEST_CASE("github client: compare with commit pages, files only from page 1") {
    github_env env(2);
    for (int i = 1; i <= 5; ++i) {
        fakes::gh_commit c{sha_n(i), "Commit " + std::to_string(i) + "\n\nbody", "dev" + std::to_string(i), "Dev", "2026-01-0" + std::to_string(i) + "T10:00:00Z", {}};
        if (i == 3) c.files = {{"prisma/migrations/20260105_add_promo/migration.sql", "added", ""}};
        if (i == 4) c.files = {{"src/cart/total.ts", "renamed", "src/cart/sum.ts"}};
        env.fake.add_commit(c);
    }
    env.fake.set_branch("main", sha_n(5));
    auto r = run_on(env.ioc, env.client.compare(sha_n(1), "main"));
    REQUIRE(r.has_value());
    CHECK(r->status == "ahead");
    CHECK(r->ahead_by == 4);
    CHECK(r->behind_by == 0);
    CHECK(r->total_commits == 4);
    REQUIRE(r->commits.size() == 4);
    CHECK(r->commits[0].sha == sha_n(2));
    CHECK(r->commits[0].message == "Commit 2");
    CHECK(r->commits[0].author_login == "dev2");
    CHECK(r->commits[3].date == "2026-01-05T10:00:00Z");
    REQUIRE(r->files.size() == 2);
    CHECK(r->files[1].status == "renamed");
    CHECK(r->files[1].previous_filename == "src/cart/sum.ts");
    CHECK_FALSE(r->files_from_commits);
    CHECK(env.fake.requests().size() == 2);

    auto behind = run_on(env.ioc, env.client.compare("main", sha_n(3)));
    REQUIRE(behind.has_value());
    CHECK(behind->status == "behind");
    CHECK(behind->behind_by == 2);
}

TEST_CASE("github client: 300+ files fall back to per-commit file lists") {
    github_env env;
    env.fake.add_commit({sha_n(1), "base", "a", "A", "2026-01-01T00:00:00Z", {}});
    fakes::gh_commit big{sha_n(2), "big", "a", "A", "2026-01-02T00:00:00Z", {}};
    for (int i = 0; i < 310; ++i) big.files.push_back({"gen/file" + std::to_string(i) + ".ts", "added", ""});
    env.fake.add_commit(big);
    env.fake.add_commit({sha_n(3), "mig", "a", "A", "2026-01-03T00:00:00Z", {{"db/migrate/1.sql", "added", ""}}});
    auto r = run_on(env.ioc, env.client.compare(sha_n(1), sha_n(3)));
    REQUIRE(r.has_value());
    CHECK(r->files_from_commits);
    CHECK_FALSE(r->files_incomplete);
    CHECK(r->files.size() == 311);
    CHECK(r->files.back().filename == "db/migrate/1.sql");
    CHECK(env.fake.requests_to("/repos/acme/shop-web/commits/" + sha_n(2)).size() == 1);
}

TEST_CASE("github client: PRs for a commit, reviews over pages, open hotfix PR") {
    github_env env(1);
    fakes::gh_pull pr{412, "closed", "Fix cart total rounding", false, "budi-dev", "2026-01-06T09:30:12Z", sha_n(9),
                      "fix/cart-rounding", sha_n(10), "main"};
    env.fake.add_pr(pr);
    env.fake.link_commit_to_pr(sha_n(9), 412);
    env.fake.add_review(412, {0, "sari-dev", "CHANGES_REQUESTED", sha_n(11)});
    env.fake.add_review(412, {0, "sari-dev", "APPROVED", sha_n(10)});
    env.fake.add_review(412, {0, "rina", "COMMENTED", sha_n(10)});
    fakes::gh_pull hot{420, "open", "Hotfix cart crash", false, "budi-dev", "", "", "hotfix/cart-crash", sha_n(12), "main"};
    env.fake.add_pr(hot);

    auto prs = run_on(env.ioc, env.client.list_pulls_for_commit(sha_n(9)));
    REQUIRE(prs.has_value());
    REQUIRE(prs->size() == 1);
    CHECK((*prs)[0].number == 412);
    CHECK((*prs)[0].user_login == "budi-dev");
    CHECK((*prs)[0].head_sha == sha_n(10));
    CHECK((*prs)[0].merged_at == "2026-01-06T09:30:12Z");

    auto none = run_on(env.ioc, env.client.list_pulls_for_commit(sha_n(99)));
    REQUIRE(none.has_value());
    CHECK(none->empty());

    env.fake.clear_requests();
    auto reviews = run_on(env.ioc, env.client.list_reviews(412));
    REQUIRE(reviews.has_value());
    REQUIRE(reviews->size() == 3);
    CHECK((*reviews)[0].state == "CHANGES_REQUESTED");
    CHECK((*reviews)[1].state == "APPROVED");
    CHECK((*reviews)[1].commit_id == sha_n(10));
    CHECK(env.fake.requests().size() == 3);

    auto got = run_on(env.ioc, env.client.get_pull(412));
    REQUIRE(got.has_value());
    CHECK(got->title == "Fix cart total rounding");
    CHECK(got->base_ref == "main");

    env.fake.clear_requests();
    auto open = run_on(env.ioc, env.client.find_open_pull("hotfix/cart-crash"));
    REQUIRE(open.has_value());
    REQUIRE(open->has_value());
    CHECK((*open)->number == 420);
    auto reqs = env.fake.requests();
    REQUIRE(reqs.size() == 1);
    CHECK(reqs[0].query_param("head") == "acme:hotfix/cart-crash");
    CHECK(reqs[0].query_param("state") == "open");
    CHECK(reqs[0].query_param("base") == "main");
    auto missing = run_on(env.ioc, env.client.find_open_pull("hotfix/other"));
    REQUIRE(missing.has_value());
    CHECK_FALSE(missing->has_value());
}

TEST_CASE("github client: create issue, 410 when disabled, 422 without title") {
    github_env env;
    auto r = run_on(env.ioc, env.client.create_issue("Post-mortem: checkout errors", "## Timeline", {"post-mortem", "incident"}));
    REQUIRE(r.has_value());
    CHECK(r->number == 418);
    CHECK(r->html_url == "https://github.com/acme/shop-web/issues/418");
    auto issues = env.fake.issues();
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].labels == std::vector<std::string>{"post-mortem", "incident"});
    CHECK(env.fake.requests()[0].header("Content-Type") == "application/json");

    auto invalid = run_on(env.ioc, env.client.create_issue("", "x", {}));
    REQUIRE(invalid.has_error());
    CHECK(invalid.error().http_status == 422);
    CHECK(invalid.error().code == errc::bad_request);

    env.fake.set_issues_disabled(true);
    auto gone = run_on(env.ioc, env.client.create_issue("t", "b", {}));
    REQUIRE(gone.has_error());
    CHECK(gone.error().code == errc::rejected);
    CHECK(gone.error().detail == "Issues are disabled for this repo");
}

TEST_CASE("github client: 429 with retry-after 1 s is retried after the wait") {
    github_env env;
    env.fake.set_branch("main", sha_n(1));
    env.fake.script_limit(1, gh_limit_mode::retry_after, 429, 1);
    auto r = run_on(env.ioc, env.client.get_branch_head("main"));
    REQUIRE(r.has_value());
    CHECK(*r == sha_n(1));
    auto reqs = env.fake.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[1].at - reqs[0].at >= 900ms);
}

TEST_CASE("github client: primary limit waits until x-ratelimit-reset") {
    github_env env;
    env.fake.set_branch("main", sha_n(1));
    env.fake.script_limit(1, gh_limit_mode::primary, 403, 0, 1);
    auto r = run_on(env.ioc, env.client.get_branch_head("main"));
    REQUIRE(r.has_value());
    CHECK(env.fake.requests().size() == 2);
}

TEST_CASE("github client: 403 without rate-limit signals is a permission error, not retried") {
    github_env env;
    env.fake.set_branch("main", sha_n(1));
    env.fake.script_limit(1, gh_limit_mode::permission, 403);
    auto r = run_on(env.ioc, env.client.get_branch_head("main"));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::forbidden);
    CHECK(r.error().http_status == 403);
    CHECK(r.error().detail == "Resource not accessible by personal access token");
    CHECK(env.fake.requests().size() == 1);
}

TEST_CASE("github client: secondary limit beyond max_wait returns rate_limited with the retry time") {
    github_env env;
    env.fake.set_branch("main", sha_n(1));
    env.fake.script_limit(1, gh_limit_mode::secondary_without_retry_after, 403);
    auto r = run_on(env.ioc, env.client.get_branch_head("main"));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::rate_limited);
    REQUIRE(r.error().retry_after.has_value());
    CHECK(*r.error().retry_after == 60s);
    CHECK(env.fake.requests().size() == 1);
}

TEST_CASE("github client: a rate-limited POST is not retried") {
    github_env env;
    env.fake.script_limit(1, gh_limit_mode::retry_after, 429, 1);
    auto r = run_on(env.ioc, env.client.create_issue("Post-mortem", "b", {}));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::rate_limited);
    CHECK(r.error().retry_after == std::optional<std::chrono::seconds>(1s));
    CHECK(env.fake.requests().size() == 1);
    CHECK(env.fake.issues().empty());
}

TEST_CASE("github fake: ETag on 200 GETs, 304 on a matching If-None-Match without spending the limit") {
    github_env env;
    env.fake.set_branch("main", sha_n(1));
    http_request get;
    get.url = env.fake.base_url() + "/repos/acme/shop-web/branches/main";
    get.headers = {{"Authorization", "Bearer " + gh_token}, {"User-Agent", "t"}};
    auto first = run_on(env.ioc, env.http.request(get));
    REQUIRE(first.has_value());
    CHECK(first->status == 200);
    const auto etag = first->header("ETag");
    REQUIRE(etag.size() == 18);   // 16 hex digits, quoted
    CHECK(etag.front() == '"');
    CHECK(etag.back() == '"');
    CHECK(first->header("x-ratelimit-remaining") == "4999");

    auto cond = get;
    cond.headers.push_back({"If-None-Match", etag});
    auto second = run_on(env.ioc, env.http.request(cond));
    REQUIRE(second.has_value());
    CHECK(second->status == 304);
    CHECK(second->body.empty());
    CHECK(second->header("ETag") == etag);
    CHECK(second->header("x-ratelimit-remaining") == "4999");
    CHECK(second->header("x-ratelimit-limit") == "5000");
    CHECK(env.fake.not_modified_count() == 1);

    // Weak comparison and lists, as RFC 9110 asks for If-None-Match.
    auto weak = get;
    weak.headers.push_back({"If-None-Match", "\"0000000000000000\", W/" + etag});
    auto third = run_on(env.ioc, env.http.request(weak));
    REQUIRE(third.has_value());
    CHECK(third->status == 304);
    CHECK(env.fake.not_modified_count() == 2);

    // New data, new ETag: the old validator gets the full body and costs one request.
    env.fake.set_branch("main", sha_n(2));
    auto changed = run_on(env.ioc, env.http.request(cond));
    REQUIRE(changed.has_value());
    CHECK(changed->status == 200);
    CHECK(changed->body.find(sha_n(2)) != std::string::npos);
    CHECK(changed->header("ETag") != etag);
    CHECK(changed->header("x-ratelimit-remaining") == "4998");
    CHECK(env.fake.not_modified_count() == 2);
    CHECK(env.fake.rate_limit_remaining() == 4998);
}

TEST_CASE("github client: a repeated check-runs call is a free 304 replayed from the cache") {
    github_env env;
    const auto sha = sha_n(20);
    env.fake.set_check_run(sha, {.id = 100, .name = "build", .status = "in_progress", .conclusion = ""});
    auto first = run_on(env.ioc, env.client.list_check_runs(sha));
    REQUIRE(first.has_value());
    REQUIRE(first->size() == 1);
    CHECK((*first)[0].status == "in_progress");
    const auto remaining = env.fake.rate_limit_remaining();
    CHECK(remaining == 4999);
    CHECK(env.fake.requests()[0].header("If-None-Match").empty());

    env.fake.clear_requests();
    auto second = run_on(env.ioc, env.client.list_check_runs(sha));
    REQUIRE(second.has_value());
    REQUIRE(second->size() == 1);
    CHECK((*second)[0].id == 100);
    CHECK((*second)[0].name == "build");
    CHECK((*second)[0].status == "in_progress");
    CHECK((*second)[0].html_url == (*first)[0].html_url);
    CHECK(env.fake.not_modified_count() == 1);
    CHECK(env.fake.rate_limit_remaining() == remaining);
    auto reqs = env.fake.requests();
    REQUIRE(reqs.size() == 1);
    const auto etag = reqs[0].header("If-None-Match");
    CHECK(etag.size() == 18);

    // The run completes: the cached ETag no longer matches, the new data comes back.
    env.fake.set_check_run(sha, {.id = 100, .name = "build", .status = "completed", .conclusion = "failure"});
    env.fake.set_check_run(sha, {.id = 101, .name = "e2e"});
    env.fake.clear_requests();
    auto third = run_on(env.ioc, env.client.list_check_runs(sha));
    REQUIRE(third.has_value());
    REQUIRE(third->size() == 2);
    CHECK((*third)[0].conclusion == "failure");
    CHECK((*third)[1].name == "e2e");
    CHECK(env.fake.not_modified_count() == 1);
    CHECK(env.fake.rate_limit_remaining() == remaining - 1);
    REQUIRE(env.fake.requests().size() == 1);
    CHECK(env.fake.requests()[0].header("If-None-Match") == etag);

    // And the fresh ETag is the one sent next time.
    env.fake.clear_requests();
    auto fourth = run_on(env.ioc, env.client.list_check_runs(sha));
    REQUIRE(fourth.has_value());
    REQUIRE(fourth->size() == 2);
    CHECK((*fourth)[0].conclusion == "failure");
    CHECK(env.fake.not_modified_count() == 2);
    REQUIRE(env.fake.requests().size() == 1);
    CHECK(env.fake.requests()[0].header("If-None-Match") != etag);
    CHECK(env.fake.rate_limit_remaining() == remaining - 1);
}

TEST_CASE("github client: pagination over cached pages uses the cached Link header") {
    github_env env(2);
    const auto sha = sha_n(21);
    for (int i = 0; i < 5; ++i) env.fake.set_check_run(sha, {.id = 300 + i, .name = "job-" + std::to_string(i)});
    env.fake.add_status(sha, {"ci/lint", "success", "ok", "https://ci/1"});
    env.fake.add_status(sha, {"ci/test", "success", "ok", "https://ci/2"});
    env.fake.add_status(sha, {"Vercel", "pending", "Building", "https://vercel/1"});
    auto first = run_on(env.ioc, env.client.list_check_runs(sha));
    REQUIRE(first.has_value());
    REQUIRE(first->size() == 5);
    auto status1 = run_on(env.ioc, env.client.get_combined_status(sha));
    REQUIRE(status1.has_value());
    REQUIRE(status1->statuses.size() == 3);
    const auto remaining = env.fake.rate_limit_remaining();
    CHECK(remaining == 5000 - 5);

    env.fake.clear_requests();
    auto second = run_on(env.ioc, env.client.list_check_runs(sha));
    REQUIRE(second.has_value());
    REQUIRE(second->size() == 5);
    for (int i = 0; i < 5; ++i) {
        CHECK((*second)[i].id == 300 + i);
        CHECK((*second)[i].name == "job-" + std::to_string(i));
    }
    auto status2 = run_on(env.ioc, env.client.get_combined_status(sha));
    REQUIRE(status2.has_value());
    CHECK(status2->state == "pending");
    CHECK(status2->total_count == 3);
    REQUIRE(status2->statuses.size() == 3);
    CHECK(status2->statuses[2].context == status1->statuses[2].context);

    // Every page was asked for conditionally (the fake's 304 has no Link) and cost nothing.
    auto reqs = env.fake.requests();
    REQUIRE(reqs.size() == 5);
    for (auto& q : reqs) CHECK_FALSE(q.header("If-None-Match").empty());
    CHECK(reqs[2].query_param("page") == "3");
    CHECK(env.fake.not_modified_count() == 5);
    CHECK(env.fake.rate_limit_remaining() == remaining);

    // A change on page 3 only: pages 1–2 replay, page 3 is fresh.
    env.fake.set_check_run(sha, {.id = 304, .name = "job-4", .conclusion = "failure"});
    auto third = run_on(env.ioc, env.client.list_check_runs(sha));
    REQUIRE(third.has_value());
    REQUIRE(third->size() == 5);
    CHECK((*third)[0].conclusion == "success");
    CHECK((*third)[4].conclusion == "failure");
    CHECK(env.fake.not_modified_count() == 7);
    CHECK(env.fake.rate_limit_remaining() == remaining - 1);
}

TEST_CASE("github client: errors and non-GETs are never cached") {
    github_env env;
    auto missing = run_on(env.ioc, env.client.get_branch_head("nope"));
    REQUIRE(missing.has_error());
    auto again = run_on(env.ioc, env.client.get_branch_head("nope"));
    REQUIRE(again.has_error());
    CHECK(again.error().code == errc::not_found);
    REQUIRE(run_on(env.ioc, env.client.create_issue("t", "b", {})).has_value());
    REQUIRE(run_on(env.ioc, env.client.create_issue("t", "b", {})).has_value());
    auto reqs = env.fake.requests();
    REQUIRE(reqs.size() == 4);
    for (auto& q : reqs) CHECK(q.header("If-None-Match").empty());
    CHECK(env.fake.issues().size() == 2);
    CHECK(env.fake.not_modified_count() == 0);
}

TEST_CASE("github etag cache: LRU bounded by entries and bytes") {
    github_etag_cache cache(2, 100);
    cache.store("a", {"\"1\"", "aaaa", ""});
    cache.store("b", {"\"2\"", "bbbb", ""});
    REQUIRE(cache.find("a").has_value());   // a is now the most recent
    cache.store("c", {"\"3\"", "cccc", ""});
    CHECK(cache.size() == 2);
    CHECK_FALSE(cache.find("b").has_value());
    REQUIRE(cache.find("a").has_value());
    CHECK(cache.find("a")->body == "aaaa");
    CHECK(cache.find("c")->etag == "\"3\"");

    // Replacing keeps one entry per URL.
    cache.store("c", {"\"4\"", "cc", "<x>; rel=\"next\""});
    CHECK(cache.size() == 2);
    CHECK(cache.find("c")->etag == "\"4\"");
    CHECK(cache.find("c")->link == "<x>; rel=\"next\"");

    // Too big for the byte budget: not stored, and evicts older entries when it fits only alone.
    cache.store("big", {"\"5\"", std::string(200, 'x'), ""});
    CHECK_FALSE(cache.find("big").has_value());
    cache.store("d", {"\"6\"", std::string(90, 'x'), ""});
    CHECK(cache.find("d").has_value());
    CHECK(cache.size() == 1);

    github_etag_cache off(0, 100);
    off.store("a", {"\"1\"", "a", ""});
    CHECK(off.size() == 0);
}
