// Vercel client against the in-memory fake Vercel on 127.0.0.1.
#include "run_on.hpp"
#include "bot/net/http_client.hpp"
#include "fakes/fake_vercel.hpp"
#include "integrations/vercel/vercel_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <future>

namespace {

namespace asio = boost::asio;
using namespace deploybot;
using namespace std::chrono_literals;
using fakes::fake_vercel;

const std::string vercel_token = "vercel_test_token_0001";

using deploybot::testing::run_on;

struct vercel_env {
    fake_vercel fake;
    asio::io_context ioc;
    http_client http;
    vercel_client client;

    static config::vercel_t make_cfg(const fake_vercel& f, std::string team) {
        config::vercel_t cfg;
        cfg.api_url = f.base_url();
        cfg.project = f.opts().project_id;
        cfg.team = std::move(team);
        cfg.staging_domain = f.opts().staging_domain;
        cfg.production_domain = f.opts().production_domains.front();
        return cfg;
    }
    static vercel_client_options make_opts(std::string list_path) {
        vercel_client_options o;
        o.retry.max_wait = 5s;
        o.retry.backoff_base = 50ms;
        o.list_path = std::move(list_path);
        return o;
    }
    explicit vercel_env(std::string team = "team_Zk31", std::string list_path = "/v7/deployments")
        : fake(fake_vercel::options{}),
          http(ioc.get_executor(), http_client_options{}),
          client(http, make_cfg(fake, std::move(team)), vercel_token, make_opts(std::move(list_path))) {
        fake.start();
    }

    // Every request carried the team scope and only the Vercel token.
    void check_hygiene() {
        auto reqs = fake.requests();
        CHECK_FALSE(reqs.empty());
        for (auto& r : reqs) {
            CHECK(r.query_param("teamId") == "team_Zk31");
            CHECK(r.header("Authorization") == "Bearer " + vercel_token);
        }
    }
    int count(std::string_view method, std::string_view path) {
        int n = 0;
        for (auto& r : fake.requests()) n += r.method == method && r.path == path;
        return n;
    }
};

}  // namespace

TEST_CASE("vercel client: project, alias and deployment reads carry teamId") {
    vercel_env env;
    auto s = env.fake.setup_model_a();
    auto p = run_on(env.ioc, env.client.get_project());
    REQUIRE(p.has_value());
    CHECK(p->name == "shop-web");
    CHECK(p->link_repo_id == 881234567);
    CHECK(p->production_branch == "main");
    CHECK_FALSE(p->auto_assign_custom_domains);
    REQUIRE(p->production.has_value());
    CHECK(p->production->id == s.production_id);
    CHECK(p->production_aliases.size() == 2);
    CHECK_FALSE(p->last_alias_request.has_value());

    auto a = run_on(env.ioc, env.client.get_alias("staging.example.id"));
    REQUIRE(a.has_value());
    CHECK(a->deployment_id == s.staging_id);
    CHECK(a->updated_at_ms == 1767700100000);

    env.fake.set_alias_array_form(true);
    auto arr = run_on(env.ioc, env.client.get_alias("example.id"));
    REQUIRE(arr.has_value());
    CHECK(arr->deployment_id == s.production_id);

    auto d = run_on(env.ioc, env.client.get_deployment(s.staging_id));
    REQUIRE(d.has_value());
    CHECK(d->target == "production");
    CHECK(d->ready_state == "READY");
    CHECK(d->ready_substate == "STAGED");
    CHECK(d->git_sha.size() == 40);
    auto by_url = run_on(env.ioc, env.client.get_deployment(d->url));
    REQUIRE(by_url.has_value());
    CHECK(by_url->id == s.staging_id);

    auto unknown = run_on(env.ioc, env.client.get_alias("nope.example.id"));
    REQUIRE(unknown.has_error());
    CHECK(unknown.error().code == errc::not_found);
    CHECK(unknown.error().detail == "The alias was not found");
    env.check_hygiene();
}

TEST_CASE("vercel client: a team project without teamId is forbidden") {
    vercel_env env("");
    env.fake.setup_model_a();
    auto p = run_on(env.ioc, env.client.get_project());
    REQUIRE(p.has_error());
    CHECK(p.error().http_status == 403);
    CHECK(p.error().code == errc::forbidden);
    CHECK_FALSE(env.fake.requests()[0].has_query_param("teamId"));
}

TEST_CASE("vercel client: list deployments follows pagination.next with filters") {
    for (std::string path : {"/v6/deployments", "/v7/deployments"}) {
        CAPTURE(path);
        vercel_env env("team_Zk31", path);
        auto s = env.fake.setup_model_a();
        deployment_filter f;
        f.target = "production";
        f.states = {"READY"};
        f.rollback_candidate = true;
        f.limit = 1;
        auto r = run_on(env.ioc, env.client.list_deployments(f));
        REQUIRE(r.has_value());
        REQUIRE(r->size() == 2);   // the STAGED build is not a rollback candidate
        CHECK((*r)[0].id == s.production_id);
        CHECK((*r)[1].id == s.previous_production_id);
        CHECK((*r)[0].created_ms > (*r)[1].created_ms);
        CHECK((*r)[0].git_message == "Current release");
        auto reqs = env.fake.requests_to(path);
        REQUIRE(reqs.size() == 2);   // one item per page; page 2 has next = null
        CHECK(reqs[0].query_param("state") == "READY");
        CHECK(reqs[0].query_param("rollbackCandidate") == "true");
        CHECK(reqs[0].query_param("projectId") == "prj_7Hq2LmP0aa");
        CHECK_FALSE(reqs[0].has_query_param("until"));
        CHECK(reqs[1].query_param("until") == std::to_string((*r)[0].created_ms));
        env.check_hygiene();
    }
}

TEST_CASE("vercel client: model A promote completes asynchronously, promoted once") {
    vercel_env env;
    auto s = env.fake.setup_model_a();
    auto p = run_on(env.ioc, env.client.get_project());
    auto stg = run_on(env.ioc, env.client.get_deployment(s.staging_id));
    REQUIRE(p.has_value());
    REQUIRE(stg.has_value());
    CHECK(detect_staging_model(*p, *stg) == vercel_staging_model::staged_production);

    const auto t0 = env.client.now_ms() - 1;   // baseline: our job is newer
    auto pr = run_on(env.ioc, env.client.promote(s.staging_id));
    REQUIRE(pr.has_value());
    CHECK(pr->http_status == 201);
    CHECK(pr->http_status == 201);
    CHECK(env.fake.alias_target("example.id") == s.production_id);   // not yet moved

    auto done = run_on(env.ioc, env.client.wait_for_promote(s.staging_id, t0, 10s, 20ms));
    REQUIRE(done.has_value());
    CHECK(done->job_status == "succeeded");
    CHECK(done->production_alias_confirmed);
    CHECK(done->failed_aliases.empty());
    CHECK(env.fake.promote_calls() == 1);
    CHECK(env.fake.alias_target("example.id") == s.staging_id);
    CHECK(env.fake.alias_target("www.example.id") == s.staging_id);
    CHECK(env.count("GET", "/v9/projects/prj_7Hq2LmP0aa") >= 4);   // pending, in-progress, succeeded

    auto promoted = run_on(env.ioc, env.client.get_deployment(s.staging_id));
    REQUIRE(promoted.has_value());
    CHECK(promoted->ready_substate == "PROMOTED");

    auto body = env.fake.requests_to("/v10/projects/prj_7Hq2LmP0aa/promote/" + s.staging_id);
    REQUIRE(body.size() == 1);
    CHECK(body[0].method == "POST");
    env.check_hygiene();
}

TEST_CASE("vercel client: a 409 on promote is an error with Vercel's message, never success by itself") {
    vercel_env env;
    auto s = env.fake.setup_model_a();
    auto pr = run_on(env.ioc, env.client.promote(s.production_id));
    REQUIRE_FALSE(pr.has_value());
    CHECK(pr.error().http_status == 409);
    CHECK(pr.error().detail.find("already the current production") != std::string::npos);
    CHECK(env.fake.promote_calls() == 1);
}

TEST_CASE("vercel client: promoting a preview is a 4xx error and not retried") {
    vercel_env env;
    auto s = env.fake.setup_model_c();
    auto pr = run_on(env.ioc, env.client.promote(s.staging_id));
    REQUIRE(pr.has_error());
    CHECK(pr.error().http_status == 400);
    CHECK(pr.error().code == errc::bad_request);
    CHECK(pr.error().detail.find("preview") != std::string::npos);
    CHECK(env.fake.promote_calls() == 1);
}

TEST_CASE("vercel client: failed promote job lists the alias that did not move") {
    vercel_env env;
    auto s = env.fake.setup_model_a();
    env.fake.fail_next_alias_job("www.example.id");
    const auto t0 = env.client.now_ms() - 1;   // baseline: our job is newer
    REQUIRE(run_on(env.ioc, env.client.promote(s.staging_id)).has_value());
    auto done = run_on(env.ioc, env.client.wait_for_promote(s.staging_id, t0, 10s, 20ms));
    REQUIRE(done.has_value());
    CHECK(done->job_status == "failed");
    CHECK_FALSE(done->production_alias_confirmed);
    REQUIRE(done->failed_aliases.size() == 1);
    CHECK(done->failed_aliases[0].alias == "www.example.id");
    CHECK(done->failed_aliases[0].status == "failed");
    CHECK(env.fake.alias_target("www.example.id") == s.production_id);
}

TEST_CASE("vercel client: wait_for_promote times out while the job stays pending") {
    vercel_env env;
    auto s = env.fake.setup_model_a();
    env.fake.set_alias_move_polls(1000);
    REQUIRE(run_on(env.ioc, env.client.promote(s.staging_id)).has_value());
    auto r = run_on(env.ioc, env.client.wait_for_promote(s.staging_id, env.client.now_ms(), 300ms, 50ms));
    REQUIRE(r.has_error());
    CHECK(r.error().code == errc::timeout);
}

TEST_CASE("vercel client: model B promotion by rebuild goes live by auto-assign") {
    vercel_env env;
    auto s = env.fake.setup_model_b();
    auto p = run_on(env.ioc, env.client.get_project());
    auto stg = run_on(env.ioc, env.client.get_deployment(s.staging_id));
    REQUIRE(p.has_value());
    REQUIRE(stg.has_value());
    CHECK(stg->custom_environment_slug == "staging");
    CHECK(detect_staging_model(*p, *stg) == vercel_staging_model::custom_environment);

    create_deployment_request req;
    req.rebuild_of = s.staging_id;
    req.meta = {{"action", "promote"}, {"deployBot", "release"}};
    auto created = run_on(env.ioc, env.client.create_deployment(req));
    REQUIRE(created.has_value());
    CHECK(created->id != s.staging_id);
    CHECK(created->id.rfind("dpl_", 0) == 0);
    CHECK(created->ready_state == "QUEUED");
    CHECK(created->target == "production");
    CHECK(created->git_sha == stg->git_sha);

    auto body = boost::json::parse(env.fake.last_create_body()).as_object();
    CHECK(body.at("name").as_string() == "shop-web");
    CHECK(body.at("deploymentId").as_string() == s.staging_id);
    CHECK(body.at("target").as_string() == "production");
    CHECK(body.at("meta").as_object().at("action").as_string() == "promote");

    auto ready = run_on(env.ioc, env.client.wait_for_ready(created->id, 10s, 20ms));
    REQUIRE(ready.has_value());
    CHECK(ready->ready_state == "READY");
    CHECK(ready->alias_assigned);
    CHECK(env.fake.alias_target("example.id") == created->id);
    CHECK(env.fake.promote_calls() == 0);
    CHECK(env.fake.create_calls() == 1);
    env.check_hygiene();
}

TEST_CASE("vercel client: model C rebuild from gitSource, then promote when auto-assign is off") {
    vercel_env env;
    auto s = env.fake.setup_model_c();
    auto p = run_on(env.ioc, env.client.get_project());
    auto stg = run_on(env.ioc, env.client.get_deployment(s.staging_id));
    REQUIRE(p.has_value());
    REQUIRE(stg.has_value());
    CHECK(detect_staging_model(*p, *stg) == vercel_staging_model::preview);
    env.fake.set_auto_assign(false);

    create_deployment_request req;
    req.name = p->name;
    req.git = git_source{p->link_repo_id, "", "", "main", stg->git_sha};
    auto created = run_on(env.ioc, env.client.create_deployment(req));
    REQUIRE(created.has_value());
    auto body = boost::json::parse(env.fake.last_create_body()).as_object();
    CHECK(body.at("gitSource").as_object().at("repoId").as_int64() == 881234567);
    CHECK(body.at("gitSource").as_object().at("sha").as_string() == stg->git_sha);

    auto ready = run_on(env.ioc, env.client.wait_for_ready(created->id, 10s, 20ms));
    REQUIRE(ready.has_value());
    CHECK(ready->ready_substate == "STAGED");
    CHECK(env.fake.alias_target("example.id") == s.production_id);

    const auto t0 = env.client.now_ms() - 1;   // baseline: our job is newer
    REQUIRE(run_on(env.ioc, env.client.promote(created->id)).has_value());
    auto done = run_on(env.ioc, env.client.wait_for_promote(created->id, t0, 10s, 20ms));
    REQUIRE(done.has_value());
    CHECK(done->production_alias_confirmed);
    CHECK(env.fake.promote_calls() == 1);

    // org/repo form of gitSource is accepted too; a wrong repository is a 400 in the `err` shape.
    req.git = git_source{std::nullopt, "acme", "shop-web", "hotfix/cart-crash", ""};
    CHECK(run_on(env.ioc, env.client.create_deployment(req)).has_value());
    req.git = git_source{std::nullopt, "acme", "other", "main", ""};
    auto bad = run_on(env.ioc, env.client.create_deployment(req));
    REQUIRE(bad.has_error());
    CHECK(bad.error().reason == "incorrect_git_source_info");
    CHECK(bad.error().code == errc::bad_request);
    CHECK(bad.error().detail == "Unknown repository");
}

TEST_CASE("vercel client: wait_for_ready reports ERROR and times out on a stuck build") {
    vercel_env env;
    env.fake.add_deployment({.id = "dpl_Fail1", .target = "production", .ready_state = "QUEUED", .fail_build = true});
    auto r = run_on(env.ioc, env.client.wait_for_ready("dpl_Fail1", 10s, 20ms));
    REQUIRE(r.has_value());
    CHECK(r->ready_state == "ERROR");

    env.fake.set_build_gets(1000);
    env.fake.add_deployment({.id = "dpl_Slow1", .target = "production", .ready_state = "QUEUED"});
    auto slow = run_on(env.ioc, env.client.wait_for_ready("dpl_Slow1", 300ms, 50ms));
    REQUIRE(slow.has_error());
    CHECK(slow.error().code == errc::timeout);
}

TEST_CASE("vercel client: rollback v1, v9 fallback, hobby restriction") {
    vercel_env env;
    auto s = env.fake.setup_model_a();
    const auto t0 = env.client.now_ms() - 1;   // baseline: our job is newer
    auto r = run_on(env.ioc, env.client.rollback(s.previous_production_id, "checkout errors"));
    REQUIRE(r.has_value());
    CHECK(env.count("POST", "/v1/projects/prj_7Hq2LmP0aa/rollback/" + s.previous_production_id) == 1);
    auto done = run_on(env.ioc, env.client.wait_for_rollback(s.previous_production_id, t0, 10s, 20ms));
    REQUIRE(done.has_value());
    CHECK(done->job_status == "succeeded");
    CHECK(done->production_alias_confirmed);
    CHECK(env.fake.rollback_description() == "checkout errors");
    CHECK_FALSE(env.fake.auto_assign());

    env.fake.set_rollback_v1_missing(true);
    auto v9 = run_on(env.ioc, env.client.rollback(s.production_id, "undo"));
    REQUIRE(v9.has_value());
    CHECK(env.count("POST", "/v9/projects/prj_7Hq2LmP0aa/rollback/" + s.production_id) == 1);

    // A 404 about the deployment is the answer: no second POST on v9.
    env.fake.set_rollback_v1_missing(false);
    auto missing = run_on(env.ioc, env.client.rollback("dpl_DoesNotExist", ""));
    REQUIRE(missing.has_error());
    CHECK(missing.error().http_status == 404);
    CHECK(env.count("POST", "/v1/projects/prj_7Hq2LmP0aa/rollback/dpl_DoesNotExist") == 1);
    CHECK(env.count("POST", "/v9/projects/prj_7Hq2LmP0aa/rollback/dpl_DoesNotExist") == 0);

    env.fake.set_hobby_plan(true);
    env.fake.add_deployment({.id = "dpl_Newest9", .target = "production", .ready_substate = "PROMOTED",
                             .rollback_candidate = true});
    env.fake.set_alias("example.id", "dpl_Newest9");
    auto hobby = run_on(env.ioc, env.client.rollback(s.previous_production_id, ""));
    REQUIRE(hobby.has_error());
    CHECK(hobby.error().http_status == 402);
    CHECK(hobby.error().reason == "payment_required");
    CHECK(hobby.error().code == errc::rejected);
    env.check_hygiene();
}

TEST_CASE("vercel client: both error shapes are parsed") {
    vercel_env env;
    env.fake.fail_next(1, 404, "not_found", "Deployment not found", false);
    auto a = run_on(env.ioc, env.client.get_deployment("dpl_x"));
    REQUIRE(a.has_error());
    CHECK(a.error().code == errc::not_found);
    CHECK(a.error().detail == "Deployment not found");
    env.fake.fail_next(1, 400, "bad_request", "Invalid request: `limit` should be <= 100", true);
    auto b = run_on(env.ioc, env.client.get_project());
    REQUIRE(b.has_error());
    CHECK(b.error().code == errc::bad_request);
    CHECK(b.error().detail == "Invalid request: `limit` should be <= 100");
    CHECK(b.error().service == "vercel");
}

TEST_CASE("vercel client: 429 is retried after the reset; a 429 on promote is not") {
    vercel_env env;
    auto s = env.fake.setup_model_a();
    env.fake.rate_limit_next(1, 1000);
    auto p = run_on(env.ioc, env.client.get_project());
    REQUIRE(p.has_value());
    auto reqs = env.fake.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[1].at - reqs[0].at >= 900ms);

    env.fake.rate_limit_next(1, 1000);
    auto pr = run_on(env.ioc, env.client.promote(s.staging_id));
    REQUIRE(pr.has_error());
    CHECK(pr.error().code == errc::rate_limited);
    REQUIRE(pr.error().retry_after.has_value());
    CHECK(*pr.error().retry_after <= 1s);
    CHECK(env.count("POST", "/v10/projects/prj_7Hq2LmP0aa/promote/" + s.staging_id) == 1);

    env.fake.rate_limit_next(1, 60000);   // beyond max_wait: reported, not slept
    auto far = run_on(env.ioc, env.client.get_project());
    REQUIRE(far.has_error());
    CHECK(far.error().code == errc::rate_limited);
    CHECK(*far.error().retry_after >= 59s);
}

TEST_CASE("vercel client: 5xx on GET retried with backoff, on POST not") {
    vercel_env env;
    auto s = env.fake.setup_model_b();
    env.fake.fail_next(2, 503, "internal_server_error", "try later");
    auto p = run_on(env.ioc, env.client.get_project());
    REQUIRE(p.has_value());
    CHECK(env.fake.requests().size() == 3);

    env.fake.clear_requests();
    env.fake.fail_next(1, 500, "internal_server_error", "boom");
    create_deployment_request req;
    req.name = "shop-web";
    req.rebuild_of = s.staging_id;
    auto c = run_on(env.ioc, env.client.create_deployment(req));
    REQUIRE(c.has_error());
    CHECK(c.error().http_status == 500);
    CHECK(env.fake.requests().size() == 1);
    CHECK(env.fake.create_calls() == 0);
}
