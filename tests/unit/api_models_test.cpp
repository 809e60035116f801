// The API models read through Boost.JSON conversions (tag_invoke): the fields
// the bot uses, tolerance of what a service leaves out or mistypes, and never
// a throw on a value of the wrong shape.
#include "integrations/github/github_client.hpp"
#include "integrations/sentry/sentry_client.hpp"
#include "integrations/vercel/vercel_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>
#include <doctest/doctest.h>

using namespace deploybot;
namespace json = boost::json;

TEST_CASE("api models: json::value_to reads a GitHub pull request, tolerating missing and mistyped fields") {
    const auto pr = json::value_to<github_pull>(json::parse(R"({
        "number": 420, "state": "closed", "title": "Add coupon field", "draft": false,
        "user": {"login": "rina"}, "merged_at": "2026-11-30T03:00:00Z", "merge_commit_sha": "4b92478aa",
        "head": {"ref": "coupon", "sha": "abc1234"}, "base": {"ref": "main"},
        "html_url": "https://github.com/acme/shop-web/pull/420", "extra": {"ignored": true}})"));
    CHECK(pr.number == 420);
    CHECK(pr.title == "Add coupon field");
    CHECK(pr.user_login == "rina");
    CHECK(pr.merge_commit_sha == "4b92478aa");
    CHECK(pr.head_ref == "coupon");
    CHECK(pr.head_sha == "abc1234");
    CHECK(pr.base_ref == "main");
    const auto odd = json::value_to<github_pull>(json::parse(R"({"number": "420", "title": 7, "user": null})"));
    CHECK(odd.number == 0);
    CHECK(odd.title.empty());
    CHECK(odd.user_login.empty());
    const auto not_object = json::value_to<github_pull>(json::parse("[1,2]"));
    CHECK(not_object.number == 0);

    const auto run = json::value_to<github_check_run>(json::parse(
        R"({"id": 9, "name": "test", "status": "completed", "conclusion": "failure", "app": {"slug": "github-actions"}})"));
    CHECK(run.id == 9);
    CHECK(run.conclusion == "failure");
    CHECK(run.app_slug == "github-actions");
    const auto commit = json::value_to<github_commit>(json::parse(
        R"({"sha": "abc", "commit": {"message": "Fix rounding\n\nlong body", "author": {"name": "Rina"}}})"));
    CHECK(commit.message == "Fix rounding");   // the first line only
    CHECK(commit.author_name == "Rina");
    CHECK(json::value_to<github_file>(json::parse(R"({"filename": "db/migrate/1.sql", "status": "added"})")).filename ==
          "db/migrate/1.sql");
}

TEST_CASE("api models: json::value_to reads Vercel deployments and projects, and Sentry issues") {
    const auto d = json::value_to<vercel_deployment>(json::parse(R"({
        "id": "dpl_A", "url": "shop-a.vercel.app", "readyState": "READY", "readySubstate": "STAGED",
        "target": "production", "meta": {"githubCommitSha": "4b92478", "githubCommitRef": "main"}})"));
    CHECK(d.id == "dpl_A");
    CHECK(d.ready_state == "READY");
    CHECK(d.ready_substate == "STAGED");
    CHECK(d.git_sha == "4b92478");
    CHECK(json::value_to<vercel_deployment>(json::parse("null")).id.empty());
    CHECK(json::value_to<vercel_deployment>(json::parse(R"({"uid": "dpl_L"})")).id == "dpl_L");   // list form
    CHECK(json::value_to<vercel_project>(json::parse("\"x\"")).id.empty());

    const auto issue = json::value_to<sentry_issue>(
        json::parse(R"({"id": "1", "shortId": "SHOP-1", "title": "TypeError", "count": "12", "userCount": 3})"));
    CHECK(issue.short_id == "SHOP-1");
    CHECK(issue.count == 12);   // Sentry sends counts as strings
    CHECK(issue.user_count == 3);
    CHECK(json::value_to<sentry_issue>(json::parse("7")).id.empty());
}
