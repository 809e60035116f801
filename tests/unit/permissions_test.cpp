#include "bot/core/permissions.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using namespace deploybot;

namespace {

config::people_t make_people() {
    config::people_t p;
    p.deployers = {"U0DEPLOY"};
    p.qa_leads = {"U0QALEAD"};
    p.admins = {"U0ADMIN"};
    return p;
}

bool allowed(std::string_view user, action a) { return check_permission(make_people(), user, a).allowed; }

}  // namespace

TEST_CASE("permissions: has_role looks up each list") {
    const auto p = make_people();
    CHECK(has_role(p, "U0DEPLOY", role::deployer));
    CHECK_FALSE(has_role(p, "U0DEPLOY", role::qa_lead));
    CHECK(has_role(p, "U0QALEAD", role::qa_lead));
    CHECK(has_role(p, "U0ADMIN", role::admin));
    CHECK_FALSE(has_role(p, "U0ADMIN", role::deployer));
    CHECK_FALSE(has_role(p, "", role::deployer));
    CHECK_FALSE(has_role(p, "u0deploy", role::deployer));   // IDs are case-sensitive
}

TEST_CASE("permissions: deploy, rollback and hotfix are for deployers only, not admins") {
    for (auto a : {action::request_deploy, action::trigger_deploy, action::rollback, action::hotfix,
                   action::confirm_rollback_plan}) {
        CAPTURE(static_cast<int>(a));
        CHECK(allowed("U0DEPLOY", a));
        CHECK_FALSE(allowed("U0ADMIN", a));
        CHECK_FALSE(allowed("U0QALEAD", a));
        CHECK_FALSE(allowed("U0STRANGER", a));
        const auto refused = check_permission(make_people(), "U0QALEAD", a);
        CHECK(refused.reason.find("Only deployers") == 0);
        CHECK(refused.reason.find("Ask <@U0DEPLOY>.") != std::string::npos);
        CHECK(refused.reason.find("people.") == std::string::npos);
        CHECK(refused.reason.back() == '.');
    }
}

TEST_CASE("permissions: only QA leads sign off staging") {
    CHECK(allowed("U0QALEAD", action::sign_off_staging));
    CHECK_FALSE(allowed("U0DEPLOY", action::sign_off_staging));
    CHECK_FALSE(allowed("U0ADMIN", action::sign_off_staging));
    CHECK(check_permission(make_people(), "U0DEPLOY", action::sign_off_staging).reason ==
          "Only QA leads can sign off staging. Ask <@U0QALEAD>.");
    // Nobody has the role: say where an admin adds someone.
    CHECK(check_permission(config::people_t{}, "U0DEPLOY", action::sign_off_staging).reason ==
          "Only QA leads can sign off staging. Nobody has that role yet: an admin adds them to people.qa_leads in "
          "deploybot's config.");
}

TEST_CASE("permissions: migrations and flags may be confirmed by deployers or QA leads") {
    for (auto a : {action::confirm_migrations, action::confirm_flags}) {
        CAPTURE(static_cast<int>(a));
        CHECK(allowed("U0DEPLOY", a));
        CHECK(allowed("U0QALEAD", a));
        CHECK_FALSE(allowed("U0ADMIN", a));
        const auto refused = check_permission(make_people(), "U0STRANGER", a);
        CHECK_FALSE(refused.allowed);
        CHECK(refused.reason.find("Ask <@U0DEPLOY>, <@U0QALEAD>.") != std::string::npos);
    }
}

TEST_CASE("permissions: lock, unlock, override and cancel are for admins") {
    for (auto a : {action::lock, action::unlock, action::override_schedule, action::cancel_request}) {
        CAPTURE(static_cast<int>(a));
        CHECK(allowed("U0ADMIN", a));
        CHECK_FALSE(allowed("U0DEPLOY", a));
        CHECK_FALSE(allowed("U0QALEAD", a));
        const auto refused = check_permission(make_people(), "U0DEPLOY", a);
        CHECK(refused.reason.find("Ask <@U0ADMIN>.") != std::string::npos);
    }
    CHECK(check_permission(make_people(), "U0DEPLOY", action::lock).reason ==
          "Only admins can lock deploys. Ask <@U0ADMIN>.");
}

TEST_CASE("permissions: anyone may view") {
    const auto p = check_permission(make_people(), "U0STRANGER", action::view);
    CHECK(p.allowed);
    CHECK(p.reason.empty());
    CHECK(check_permission(config::people_t{}, "", action::view).allowed);
}

TEST_CASE("permissions: a user in several lists gets the union") {
    auto p = make_people();
    p.qa_leads.push_back("U0DEPLOY");
    CHECK(check_permission(p, "U0DEPLOY", action::sign_off_staging).allowed);
    CHECK(check_permission(p, "U0DEPLOY", action::trigger_deploy).allowed);
}

TEST_CASE("permissions: commands only in the configured channel") {
    config cfg;
    cfg.slack.channel = "C0DEPLOYS01";
    CHECK(is_deploy_channel(cfg, "C0DEPLOYS01"));
    CHECK_FALSE(is_deploy_channel(cfg, "C0RANDOM001"));
    CHECK_FALSE(is_deploy_channel(cfg, ""));
    cfg.slack.channel.clear();
    CHECK_FALSE(is_deploy_channel(cfg, ""));
}

// The whole authorisation matrix, one row per action, one column per role
// (DESIGN.md §1 and the README's table).
TEST_CASE("permissions: the authorisation table, every action x every role") {
    struct row {
        action a;
        bool deployer, qa_lead, admin, outsider;
    };
    const row table[] = {
        {action::request_deploy, true, false, false, false},
        {action::trigger_deploy, true, false, false, false},
        {action::sign_off_staging, false, true, false, false},
        {action::confirm_migrations, true, true, false, false},
        {action::confirm_flags, true, true, false, false},
        {action::confirm_rollback_plan, true, false, false, false},
        {action::cancel_request, false, false, true, false},
        {action::rollback, true, false, false, false},
        {action::hotfix, true, false, false, false},
        {action::lock, false, false, true, false},
        {action::unlock, false, false, true, false},
        {action::override_schedule, false, false, true, false},
        {action::view, true, true, true, true},
    };
    for (const auto& r : table) {
        CAPTURE(static_cast<int>(r.a));
        CHECK(allowed("U0DEPLOY", r.a) == r.deployer);
        CHECK(allowed("U0QALEAD", r.a) == r.qa_lead);
        CHECK(allowed("U0ADMIN", r.a) == r.admin);
        CHECK(allowed("U0STRANGER", r.a) == r.outsider);
        if (!r.outsider) CHECK_FALSE(check_permission(make_people(), "U0STRANGER", r.a).reason.empty());
    }
}

TEST_CASE("permissions: the README shows the table the code enforces") {
    const auto table = render_permission_table();
    CHECK(table.find("| `/deploy prod` | allow | deny | deny | — | deny | deny |") != std::string::npos);
    CHECK(table.find("| QA sign-off button | deny | allow | deny | deny (two-person rule) | deny | deny |") !=
          std::string::npos);
    std::ifstream in(std::string(DEPLOYBOT_FIXTURES) + "/../../README.md");
    REQUIRE(in);
    std::stringstream readme;
    readme << in.rdbuf();
    CHECK_MESSAGE(readme.str().find(table) != std::string::npos,
                  "README.md must contain render_permission_table() verbatim:\n" << table);
}
