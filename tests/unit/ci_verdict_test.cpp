#include "commands/workflow/ci_verdict.hpp"

#include <doctest/doctest.h>

using namespace deploybot;

namespace {

check_run run(std::string name, std::string status, std::optional<std::string> conclusion = std::nullopt) {
    return {name, std::move(status), std::move(conclusion), "https://github.com/acme/shop-web/runs/" + name};
}

}  // namespace

TEST_CASE("ci: all runs and statuses successful is green with a count") {
    ci_inputs in;
    for (int i = 0; i < 10; ++i) in.check_runs.push_back(run("job" + std::to_string(i), "completed", "success"));
    in.check_runs.push_back(run("docs", "completed", "skipped"));
    in.statuses = {{"ci/lint", "success", "https://ci.example.id/b/1"}};
    in.status_total_count = 1;
    const auto v = evaluate_ci(in);
    CHECK(v.verdict == ci_state::green);
    CHECK(v.summary == "12 checks passed");
    CHECK(v.offending.empty());
    CHECK(to_string(v.verdict) == "green");
}

TEST_CASE("ci: in-progress runs and pending statuses are pending, named sorted") {
    ci_inputs in;
    in.check_runs = {run("lint", "queued"), run("e2e", "in_progress"), run("unit", "completed", "success")};
    const auto v = evaluate_ci(in);
    CHECK(v.verdict == ci_state::pending);
    CHECK(v.summary == "2 pending: e2e, lint");
    REQUIRE(v.offending.size() == 2);
    CHECK(v.offending[0].url == "https://github.com/acme/shop-web/runs/e2e");
}

TEST_CASE("ci: any failure is red even with pending ones") {
    ci_inputs in;
    in.check_runs = {run("e2e", "completed", "timed_out"), run("lint", "in_progress")};
    const auto v = evaluate_ci(in);
    CHECK(v.verdict == ci_state::red);
    CHECK(v.summary == "failed: e2e");
    REQUIRE(v.offending.size() == 1);
    CHECK(v.offending[0].name == "e2e");
}

TEST_CASE("ci: every bad or unknown conclusion is red") {
    for (const char* c : {"failure", "cancelled", "action_required", "stale", "brand_new_value"}) {
        ci_inputs in;
        in.check_runs = {run("build", "completed", c)};
        CHECK_MESSAGE(evaluate_ci(in).verdict == ci_state::red, c);
    }
    ci_inputs neutral;
    neutral.check_runs = {run("build", "completed", "neutral")};
    CHECK(evaluate_ci(neutral).verdict == ci_state::green);
}

TEST_CASE("ci: statuses are ignored when total_count is 0") {
    ci_inputs in;
    in.statuses = {{"ci/old", "failure", ""}};
    in.status_total_count = 0;
    const auto v = evaluate_ci(in);
    CHECK(v.verdict == ci_state::unknown);
    CHECK(v.summary == "no CI checks reported");
}

TEST_CASE("ci: latest status per context wins (newest first)") {
    ci_inputs in;
    in.statuses = {{"ci/test", "success", "https://ci/2"}, {"ci/test", "failure", "https://ci/1"}};
    in.status_total_count = 2;
    auto v = evaluate_ci(in);
    CHECK(v.verdict == ci_state::green);
    CHECK(v.summary == "1 check passed");
    in.statuses = {{"ci/test", "error", "https://ci/3"}, {"ci/test", "success", "https://ci/2"}};
    v = evaluate_ci(in);
    CHECK(v.verdict == ci_state::red);
    CHECK(v.summary == "failed: ci/test");
    CHECK(v.offending[0].url == "https://ci/3");
}

TEST_CASE("ci: required checks filter others out and a missing one is pending") {
    ci_inputs in;
    in.check_runs = {run("build", "completed", "success"), run("flaky", "completed", "failure")};
    in.required_checks = {"build", "deploy-preview"};
    const auto v = evaluate_ci(in);
    CHECK(v.verdict == ci_state::pending);
    CHECK(v.summary == "1 pending: deploy-preview");
    REQUIRE(v.offending.size() == 1);
    CHECK(v.offending[0].url.empty());
    in.required_checks = {"build"};
    CHECK(evaluate_ci(in).verdict == ci_state::green);
}

TEST_CASE("ci: long offender lists are shortened") {
    ci_inputs in;
    for (char c = 'a'; c <= 'g'; ++c) in.check_runs.push_back(run(std::string(1, c), "queued"));
    CHECK(evaluate_ci(in).summary == "7 pending: a, b, c, d, e and 2 more");
}

TEST_CASE("ci_verdict: two workflows each with a job called `test`: the failing one makes the verdict red") {
    ci_inputs in;
    in.check_runs = {
        {"test", "completed", std::string("success"), "https://github.com/acme/shop-web/runs/1"},
        {"test", "completed", std::string("failure"), "https://github.com/acme/shop-web/runs/2"},
    };
    const auto v = evaluate_ci(in);
    CHECK(v.verdict == ci_state::red);
    // The same run listed twice is one signal.
    ci_inputs twice;
    twice.check_runs = {
        {"build", "completed", std::string("success"), "https://github.com/acme/shop-web/runs/3"},
        {"build", "completed", std::string("success"), "https://github.com/acme/shop-web/runs/3"},
    };
    CHECK(evaluate_ci(twice).verdict == ci_state::green);
    CHECK(evaluate_ci(twice).signal_count == 1);
}
