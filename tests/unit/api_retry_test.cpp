#include "integrations/api_retry.hpp"
#include "integrations/github/github_client.hpp"
#include "integrations/sentry/sentry_client.hpp"
#include "integrations/vercel/vercel_client.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace deploybot;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {
constexpr std::int64_t now_ms = 1767700000000;   // 2026-01-06T11:46:40Z
constexpr std::int64_t now_s = now_ms / 1000;

api_retry_options test_opts() {
    api_retry_options o;
    o.max_attempts = 4;
    o.max_wait = 120s;
    o.backoff_base = 2s;
    o.secondary_min_wait = 60s;
    return o;
}
}  // namespace

TEST_CASE("github: retry-after wins over everything else") {
    github_limit_signals s{429, 7s, 0, now_s + 500, "API rate limit exceeded"};
    auto d = decide_github_retry(s, 1, true, now_ms, test_opts());
    CHECK(d.action == retry_action::retry);
    CHECK(d.wait == 7000ms);
}

TEST_CASE("github: remaining 0 waits until x-ratelimit-reset") {
    github_limit_signals s{403, std::nullopt, 0, now_s + 30, "API rate limit exceeded for user ID 1."};
    auto d = decide_github_retry(s, 1, true, now_ms, test_opts());
    CHECK(d.action == retry_action::retry);
    CHECK(d.wait == 30000ms);
}

TEST_CASE("github: a reset in the past means retry now") {
    github_limit_signals s{403, std::nullopt, 0, now_s - 10, ""};
    auto d = decide_github_retry(s, 1, true, now_ms, test_opts());
    CHECK(d.action == retry_action::retry);
    CHECK(d.wait == 0ms);
}

TEST_CASE("github: secondary limit without retry-after waits >= 60 s then doubles, then gives up") {
    github_limit_signals s{403, std::nullopt, 4990, now_s + 3600, "You have exceeded a secondary rate limit."};
    auto opts = test_opts();
    opts.max_wait = 10min;
    auto d1 = decide_github_retry(s, 1, true, now_ms, opts);
    CHECK(d1.action == retry_action::retry);
    CHECK(d1.wait == 60s);
    auto d2 = decide_github_retry(s, 2, true, now_ms, opts);
    CHECK(d2.wait == 120s);
    auto d3 = decide_github_retry(s, 3, true, now_ms, opts);
    CHECK(d3.wait == 240s);
    auto d4 = decide_github_retry(s, 4, true, now_ms, opts);
    CHECK(d4.action == retry_action::give_up);
    CHECK(d4.code == errc::rate_limited);
}

TEST_CASE("github: 403 without rate-limit signals is a permission error, never retried") {
    github_limit_signals s{403, std::nullopt, 4999, now_s + 3600, "Resource not accessible by personal access token"};
    auto d = decide_github_retry(s, 1, true, now_ms, test_opts());
    CHECK(d.action == retry_action::done);
    CHECK(d.code == errc::forbidden);
}

TEST_CASE("github: wait beyond max_wait gives up at once with the wait") {
    github_limit_signals s{403, std::nullopt, 0, now_s + 3000, ""};
    auto d = decide_github_retry(s, 1, true, now_ms, test_opts());
    CHECK(d.action == retry_action::give_up);
    CHECK(d.code == errc::rate_limited);
    CHECK(d.wait == 3000s);
}

TEST_CASE("github: POST is never retried, even on a rate limit") {
    github_limit_signals s{429, 1s, std::nullopt, std::nullopt, ""};
    auto d = decide_github_retry(s, 1, false, now_ms, test_opts());
    CHECK(d.action == retry_action::give_up);
    CHECK(d.wait == 1s);
}

TEST_CASE("github: 503 on GET backs off, 404 and 500 are final") {
    auto d = decide_github_retry({503, {}, {}, {}, ""}, 1, true, now_ms, test_opts());
    CHECK(d.action == retry_action::retry);
    CHECK(d.wait == 2s);
    CHECK(decide_github_retry({404, {}, {}, {}, ""}, 1, true, now_ms, test_opts()).action == retry_action::done);
    CHECK(decide_github_retry({500, {}, {}, {}, ""}, 1, true, now_ms, test_opts()).action == retry_action::done);
    CHECK(decide_github_retry({200, {}, {}, {}, ""}, 1, true, now_ms, test_opts()).action == retry_action::done);
}

TEST_CASE("vercel: 429 waits until body resetMs, before the header") {
    vercel_limit_signals s{429, now_ms + 4500, now_s + 100, std::nullopt};
    auto d = decide_vercel_retry(s, 1, true, now_ms, test_opts());
    CHECK(d.action == retry_action::retry);
    CHECK(d.wait == 4500ms);
}

TEST_CASE("vercel: 429 falls back to X-RateLimit-Reset then exponential from 2 s") {
    vercel_limit_signals h{429, std::nullopt, now_s + 9, std::nullopt};
    CHECK(decide_vercel_retry(h, 1, true, now_ms, test_opts()).wait == 9s);
    vercel_limit_signals none{429, std::nullopt, std::nullopt, std::nullopt};
    CHECK(decide_vercel_retry(none, 1, true, now_ms, test_opts()).wait == 2s);
    CHECK(decide_vercel_retry(none, 2, true, now_ms, test_opts()).wait == 4s);
    CHECK(decide_vercel_retry(none, 3, true, now_ms, test_opts()).wait == 8s);
    CHECK(decide_vercel_retry(none, 4, true, now_ms, test_opts()).action == retry_action::give_up);
}

TEST_CASE("vercel: 5xx retryable for GET only; POST never retried") {
    for (int st : {500, 502, 503, 504}) {
        CHECK(decide_vercel_retry({st, {}, {}, {}}, 1, true, now_ms, test_opts()).action == retry_action::retry);
        CHECK(decide_vercel_retry({st, {}, {}, {}}, 1, false, now_ms, test_opts()).action == retry_action::done);
    }
    auto post429 = decide_vercel_retry({429, now_ms + 1000, {}, {}}, 1, false, now_ms, test_opts());
    CHECK(post429.action == retry_action::give_up);
    CHECK(post429.code == errc::rate_limited);
    CHECK(post429.wait == 1s);
    CHECK(decide_vercel_retry({409, {}, {}, {}}, 1, true, now_ms, test_opts()).action == retry_action::done);
}

TEST_CASE("vercel: reset beyond max_wait gives up with the retry time") {
    auto opts = test_opts();
    opts.max_wait = 5s;
    auto d = decide_vercel_retry({429, now_ms + 60000, {}, {}}, 1, true, now_ms, opts);
    CHECK(d.action == retry_action::give_up);
    CHECK(d.wait == 60s);
}

TEST_CASE("link header: next and last parsed, absent next is nullopt") {
    const std::string v =
        "<https://api.github.com/repositories/1000/issues?per_page=3&page=2>; rel=\"next\", "
        "<https://api.github.com/repositories/1000/issues?per_page=3&page=5>; rel=\"last\"";
    auto entries = parse_link_header(v);
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].rel == "next");
    CHECK(entries[1].rel == "last");
    CHECK(entries[1].url == "https://api.github.com/repositories/1000/issues?per_page=3&page=5");
    CHECK(parse_link_next(v) == std::optional<std::string>("https://api.github.com/repositories/1000/issues?per_page=3&page=2"));
    CHECK_FALSE(parse_link_next("<https://x/?page=1>; rel=\"prev\", <https://x/?page=1>; rel=\"first\"").has_value());
    CHECK_FALSE(parse_link_next("").has_value());
    CHECK(parse_link_next("<https://x/a?page=2>;rel=next") == std::optional<std::string>("https://x/a?page=2"));
    CHECK(parse_link_next("<https://x/b>; rel=\"prev next\"") == std::optional<std::string>("https://x/b"));
}

TEST_CASE("int header parsing is strict") {
    CHECK(parse_int_header(" 42 ") == std::optional<std::int64_t>(42));
    CHECK_FALSE(parse_int_header("").has_value());
    CHECK_FALSE(parse_int_header("4x").has_value());
}

TEST_CASE("github error bodies keep the message and validation details") {
    auto e = parse_github_error(422, R"({"message":"Validation Failed","errors":[{"resource":"Issue","code":"missing_field","field":"title"}]})");
    CHECK(e.code == errc::bad_request);
    CHECK(e.detail == "Validation Failed (title missing_field)");
    auto e2 = parse_github_error(404, "not json");
    CHECK(e2.code == errc::not_found);
    CHECK(e2.detail == "HTTP 404");
    CHECK(make_first_line("Fix cart (#412)\n\nlong body") == "Fix cart (#412)");
}

TEST_CASE("vercel error bodies: both {error} and {err} shapes") {
    auto a = parse_vercel_error(404, R"({"error":{"code":"not_found","message":"Deployment not found"}})");
    CHECK(a.code == errc::not_found);
    CHECK(a.detail == "Deployment not found");
    auto b = parse_vercel_error(400, R"({"err":{"code":"missing_name","message":"name required"}})");
    CHECK(b.reason == "missing_name");
    CHECK(b.code == errc::bad_request);
    CHECK(b.detail == "name required");
    auto c = parse_vercel_error(502, "<html>");
    CHECK(c.code == errc::unavailable);
    CHECK(c.service == "vercel");
}

TEST_CASE("staging model detection: A, B, C") {
    vercel_project project = parse_vercel_project(
        R"({"id":"prj_1","name":"shop-web","autoAssignCustomDomains":false,
            "link":{"type":"github","repoId":881234567,"productionBranch":"main"},
            "customEnvironments":[{"id":"env_51Lp","slug":"staging","type":"preview"}]})");
    CHECK_FALSE(project.auto_assign_custom_domains);
    CHECK(project.link_repo_id == 881234567);
    REQUIRE(project.custom_environments.size() == 1);

    auto a = parse_vercel_deployment(
        R"({"id":"dpl_A","readyState":"READY","readySubstate":"STAGED","target":"production"})");
    CHECK(detect_staging_model(project, a) == vercel_staging_model::staged_production);
    CHECK(render_staging_model(detect_staging_model(project, a)) == "A");

    auto b = parse_vercel_deployment(
        R"({"id":"dpl_B","readyState":"READY","target":null,"customEnvironment":{"id":"env_51Lp","slug":"staging"}})");
    CHECK(b.target.empty());
    CHECK(detect_staging_model(project, b) == vercel_staging_model::custom_environment);

    auto c = parse_vercel_deployment(R"({"uid":"dpl_C","state":"READY","target":null})");
    CHECK(c.id == "dpl_C");
    CHECK(c.ready_state == "READY");
    CHECK(detect_staging_model(project, c) == vercel_staging_model::preview);
    CHECK(render_staging_model(vercel_staging_model::preview) == "C");
}

TEST_CASE("vercel project parse: lastAliasRequest and targets.production") {
    auto p = parse_vercel_project(R"({"id":"prj_1","name":"shop-web",
        "targets":{"production":{"id":"dpl_9","url":"x.vercel.app","alias":["example.id","www.example.id"],"readyState":"READY"}},
        "lastAliasRequest":{"type":"promote","fromDeploymentId":null,"toDeploymentId":"dpl_3","jobStatus":"in-progress","requestedAt":1767780000000}})");
    CHECK(p.auto_assign_custom_domains);   // absent = Vercel default (on)
    REQUIRE(p.production.has_value());
    CHECK(p.production->id == "dpl_9");
    CHECK(p.production_aliases.size() == 2);
    REQUIRE(p.last_alias_request.has_value());
    CHECK(p.last_alias_request->from_deployment_id.empty());
    CHECK(p.last_alias_request->to_deployment_id == "dpl_3");
    CHECK(p.last_alias_request->job_status == "in-progress");
    CHECK(p.last_alias_request->requested_at_ms == 1767780000000);
}

TEST_CASE("vercel deployment parse: meta, gitSource fallback, truthy aliasAssigned") {
    auto d = parse_vercel_deployment(R"({"id":"dpl_3","readyState":"READY","aliasAssigned":1767690095000,
        "gitSource":{"type":"github","ref":"main","sha":"9b0d"},"meta":{"githubCommitMessage":"Fix"}})");
    CHECK(d.alias_assigned);
    CHECK(d.git_sha == "9b0d");
    CHECK(d.git_ref == "main");
    CHECK(d.git_message == "Fix");
    CHECK(d.is_terminal());
    CHECK(parse_vercel_deployment(R"({"id":"x","readyState":"BLOCKED"})").is_terminal());   // final (vercel.md §3.2)
}

TEST_CASE("failure renders without secrets and with retry time") {
    failure e(errc::rate_limited, "vercel", 429, "Rate limit exceeded", std::chrono::seconds(12));
    CHECK(e.to_string() == "vercel 429 rate_limited: Rate limit exceeded (retry after 12 s)");
    // Vercel's own word is shown; the decision is on the status.
    auto v = parse_vercel_error(404, R"({"error":{"code":"deployment_not_found","message":"Deployment not found"}})");
    CHECK(v.code == errc::not_found);
    CHECK(v.to_string() == "vercel 404 deployment_not_found: Deployment not found");
    CHECK(parse_github_error(404, R"({"message":"Not Found"})").to_string() == "github 404 not_found: Not Found");
}

TEST_CASE("parse_github_error, parse_vercel_error, parse_sentry_error: every status → errc") {
    const std::pair<int, errc> table[] = {
        {400, errc::bad_request}, {401, errc::auth_failed}, {402, errc::rejected},    {403, errc::forbidden},
        {404, errc::not_found},   {409, errc::conflict},    {410, errc::rejected},    {422, errc::bad_request},
        {429, errc::rate_limited}, {500, errc::unavailable}, {502, errc::unavailable}, {503, errc::unavailable},
        {504, errc::unavailable}, {418, errc::rejected},    {302, errc::http_status},
    };
    for (auto [status, want] : table) {
        CAPTURE(status);
        const auto g = parse_github_error(status, R"({"message":"m"})");
        const auto v = parse_vercel_error(status, R"({"error":{"code":"some_word","message":"m"}})");
        const auto s = parse_sentry_error(status, R"({"detail":"m"})");
        CHECK(g.code == want);
        CHECK(v.code == want);
        CHECK(s.code == want);
        for (const failure* f : {&g, &v, &s}) {
            CHECK(f->http_status == status);
            CHECK(f->detail == "m");
        }
        CHECK(g.reason.empty());
        CHECK(v.reason == "some_word");
        CHECK(s.reason.empty());
        CHECK(parse_vercel_error(status, "").reason.empty());
    }
}

TEST_CASE("vercel parse: BLOCKED is a final state, reported with its readyStateReason") {
    auto d = parse_vercel_deployment(
        R"({"id":"dpl_B","readyState":"BLOCKED","readyStateReason":"Git author is not a member of the team"})");
    CHECK(d.ready_state == "BLOCKED");
    CHECK(d.is_terminal());
    CHECK(d.error_message == "Git author is not a member of the team");
    auto e = parse_vercel_deployment(R"({"id":"dpl_E","readyState":"BUILDING"})");
    CHECK_FALSE(e.is_terminal());
}

TEST_CASE("github links: the web host comes from github.api_url (GitHub Enterprise), and CI points at the checks") {
    CHECK(github_web_base("https://api.github.com") == "https://github.com");
    CHECK(github_web_base("https://ghe.example.com/api/v3") == "https://ghe.example.com");
    CHECK(github_web_base("http://127.0.0.1:8123") == "http://127.0.0.1:8123");
    CHECK(github_checks_url("https://ghe.example.com/api/v3", "acme/shop-web", "9b0d5e1") ==
          "https://ghe.example.com/acme/shop-web/commit/9b0d5e1/checks");
    CHECK(github_checks_url("https://api.github.com", "acme/shop-web", "9b0d5e1") ==
          "https://github.com/acme/shop-web/commit/9b0d5e1/checks");
}

TEST_CASE("rate-limit headers at the edges of int64 saturate instead of overflowing") {
    constexpr auto big = std::numeric_limits<std::int64_t>::max();
    constexpr auto small = std::numeric_limits<std::int64_t>::min();
    // A reset "epoch" of 9e18 s: a wait far beyond max_wait, so give up (never UB, never a negative wait).
    github_limit_signals g{403, std::nullopt, 0, big, ""};
    auto d = decide_github_retry(g, 1, true, now_ms, test_opts());
    CHECK(d.action == retry_action::give_up);
    CHECK(d.wait > 120000ms);
    github_limit_signals past{403, std::nullopt, 0, small, ""};
    CHECK(decide_github_retry(past, 1, true, now_ms, test_opts()).wait == 0ms);
    github_limit_signals ra{429, std::chrono::seconds(big), std::nullopt, std::nullopt, ""};
    CHECK(decide_github_retry(ra, 1, true, now_ms, test_opts()).action == retry_action::give_up);
    vercel_limit_signals v{429, small, big, std::nullopt};
    CHECK(decide_vercel_retry(v, 1, true, now_ms, test_opts()).wait == 0ms);   // resetMs in the past wins
    vercel_limit_signals vh{429, std::nullopt, big, std::nullopt};
    CHECK(decide_vercel_retry(vh, 1, true, now_ms, test_opts()).action == retry_action::give_up);
    vercel_limit_signals vr{429, std::nullopt, std::nullopt, std::chrono::seconds(big)};
    CHECK(decide_vercel_retry(vr, 1, true, now_ms, test_opts()).action == retry_action::give_up);
}

TEST_CASE("github: commit dates parse as instants; anything else is no date") {
    using namespace std::chrono;
    const auto t = parse_github_time("2026-11-27T03:05:00Z");
    REQUIRE(t);
    CHECK(duration_cast<seconds>(t->time_since_epoch()).count() == 1795748700);
    const auto offset = parse_github_time("2026-11-27T10:05:00+07:00");
    REQUIRE(offset);
    CHECK(*offset == *t);
    CHECK(parse_github_time("2026-11-27T03:05:00.250Z") == *t + milliseconds(250));
    CHECK_FALSE(parse_github_time(""));
    CHECK_FALSE(parse_github_time("yesterday"));
    CHECK_FALSE(parse_github_time("2026-11-27T03:05:00Zjunk"));
}
