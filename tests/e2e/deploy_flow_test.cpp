// End-to-end: the production deploy workflow (issue #3) — the real app against
// fake Slack, fake GitHub and fake Vercel. Tests drive the bot like Slack does
// and assert on what it sent (messages, updates, ephemerals, Vercel calls) and
// what it stored (deploy_requests, audit rows).
#include "deploy_world.hpp"

using namespace deploy_world;

namespace {

void happy_path(world& w, char model) {
    if (model == 'A') w.sc = w.vc.setup_model_a();
    if (model == 'B') w.sc = w.vc.setup_model_b();
    if (model == 'C') w.sc = w.vc.setup_model_c();
    const bool migrations = model == 'A';
    w.seed_github(migrations);
    w.start();
    w.request(deployer);

    // One message: candidate, what ships (reviewed + flagged), checklist.
    REQUIRE(w.wait_checklist([](const std::string& s) {
        return has(s, "#410") && has(s, "#412") && has(s, ":white_check_mark: CI green");
    }));
    auto text = *w.checklist();
    CHECK(has(text, "*Staging build*"));
    CHECK(has(text, "`" + sha(3).substr(0, 7) + "` Fix cart total rounding"));   // leads with the commit
    CHECK(has(text, "<https://vercel.com/acme/shop-web/Stag0003|"));   // the inspector, never a bare host
    CHECK_FALSE(has(text, "dpl_"));   // deployment ids only behind links
    CHECK(has(text, "Fix cart total rounding"));
    CHECK(has(text, "approved by budi"));
    CHECK(has(text, "*unreviewed*"));
    CHECK(has(text, "1 PR is not approved"));
    CHECK(has(text, "Team notified (this message)"));   // team notified
    CHECK_FALSE(has_button(text, "deploy.go"));
    if (model == 'A') {
        CHECK(has(text, "identical build"));
        CHECK(has(text, "migration file"));
    } else {
        CHECK(has(text, "rebuild of `"));
        CHECK(has(text, "No database migrations"));
    }
    CHECK(w.top_level().size() == 1);

    w.sign_off();
    CHECK_FALSE(has_button(*w.checklist(), "deploy.go"));
    w.click(deployer2, "deploy.flags.configured");
    REQUIRE(w.wait_checklist_has("Feature flags configured"));
    CHECK_FALSE(has_button(*w.checklist(), "deploy.go"));
    if (migrations) {
        REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.migrations"); }));
        w.click(qa, "deploy.migrations");
        REQUIRE(w.wait_checklist_has("Migrations tested on staging — confirmed"));
        CHECK_FALSE(has_button(*w.checklist(), "deploy.go"));
    }
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.rollback_plan"); }));
    w.click(deployer, "deploy.rollback_plan");
    // Only now the Deploy button appears.
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.go"); }));
    CHECK(has(*w.checklist(), "Rollback plan confirmed by <@" + deployer + ">"));

    w.click(deployer2, "deploy.go");
    auto live = w.wait_top_level("is *live*", 20s);
    REQUIRE(live);
    const auto live_text = all_text(*live);
    CHECK(has(live_text, "Production deploy #1"));
    CHECK(has(live_text, "Fix cart total rounding"));
    CHECK(has(live_text, "`" + sha(3).substr(0, 7) + "`"));
    CHECK(has(live_text, "Requested by <@" + deployer + ">"));
    CHECK(has(live_text, "signed off by <@" + qa + ">"));
    CHECK(has(live_text, "deployed by <@" + deployer2 + ">"));
    CHECK(has(live_text, "took "));
    if (model == 'A') {
        CHECK(has(live_text, "the identical build QA tested"));
        CHECK(w.vc.promote_calls() == 1);
        CHECK(w.vc.create_calls() == 0);
        CHECK(w.vc.alias_target("example.id") == w.sc.staging_id);
        CHECK(w.vc.requests_to("/v10/projects/" + w.vc.opts().project_id + "/promote/" + w.sc.staging_id).size() == 1);
    } else {
        CHECK(has(live_text, "a production rebuild of the commit QA tested"));
        CHECK(w.vc.create_calls() == 1);
        CHECK(w.vc.promote_calls() <= 1);
        CHECK(has(w.vc.last_create_body(), w.sc.staging_id));
        const auto target = w.vc.alias_target("example.id");
        CHECK(target != w.sc.production_id);
        auto d = w.vc.deployment(target);
        REQUIRE(d);
        CHECK(d->git_sha == sha(3));
    }
    REQUIRE(w.wait_checklist_has("*Live* on example.id"));
    CHECK_FALSE(has_button(*w.checklist(), "deploy.go"));
    CHECK(w.count_top_level("is *live*") == 1);

    w.stop();
    auto st = w.read_store();
    CHECK_FALSE(st.active);
    REQUIRE(st.history.size() == 1);
    CHECK(st.history[0].state == request_state::live);
    CHECK(st.history[0].sign_off);
    CHECK(st.history[0].sign_off->user == qa);
    CHECK(count_audit(st.audit, "transition", "qa sign-off by " + qa) == 1);
    CHECK(count_audit(st.audit, "transition", "promoting") == 1);
    CHECK(count_audit(st.audit, "transition", "live: ") == 1);
}

}  // namespace

TEST_CASE("deploy flow: happy path to live, staging model A (identical build, migrations confirmed)") {
    world w;
    happy_path(w, 'A');
}

TEST_CASE("deploy flow: happy path to live, staging model B (custom environment, rebuild)") {
    world w;
    happy_path(w, 'B');
}

TEST_CASE("deploy flow: happy path to live, staging model C (preview branch, rebuild)") {
    world w;
    happy_path(w, 'C');
}

TEST_CASE("deploy flow: wrong roles are refused for /deploy prod and every button") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github(true);
    w.start();

    w.command("prod", qa);
    CHECK(w.wait_ephemeral(qa, "Only deployers can request a production deploy"));
    w.request(both_roles);
    REQUIRE(w.wait_checklist([](const std::string& s) {
        return has_button(s, "deploy.signoff") && has_button(s, "deploy.migrations") &&
               has_button(s, "deploy.rollback_plan");
    }));

    w.click(deployer, "deploy.signoff");
    CHECK(w.wait_ephemeral(deployer, "Only QA leads can sign off staging"));
    // Two-person rule: a QA lead who requested cannot sign off.
    w.click(both_roles, "deploy.signoff");
    CHECK(w.wait_ephemeral(both_roles, "Two-person rule"));
    w.click(outsider, "deploy.migrations");
    CHECK(w.wait_ephemeral(outsider, "Only deployers or QA leads can confirm database migrations"));
    w.click(outsider, "deploy.flags.configured");
    CHECK(w.wait_ephemeral(outsider, "Only deployers or QA leads can confirm feature flags"));
    w.click(qa, "deploy.rollback_plan");
    CHECK(w.wait_ephemeral(qa, "Only deployers can confirm the rollback plan"));
    w.click(qa, "deploy.go");
    CHECK(w.wait_ephemeral(qa, "Only deployers can deploy to production"));
    w.click(outsider, "deploy.cancel");
    CHECK(w.wait_ephemeral(outsider, "Only the requester"));
    // A second request points to the open one.
    w.command("prod", deployer2);
    CHECK(w.wait_ephemeral(deployer2, "is already open"));

    // Nothing changed: no sign-off, no promote, one message.
    CHECK_FALSE(has(*w.checklist(), "QA signed off"));
    CHECK(w.vc.promote_calls() == 0);
    CHECK(w.top_level().size() == 1);
    w.stop();
    auto st = w.read_store();
    REQUIRE(st.active);
    CHECK(st.active->state == request_state::collecting);
    CHECK_FALSE(st.active->sign_off);
}

TEST_CASE("deploy flow: CI red and CI pending refuse the deploy; pending → green updates the message by itself") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github(false, "in_progress", "");
    w.start();
    w.request(deployer);
    REQUIRE(w.wait_checklist_has("CI"));
    w.complete_rest();
    w.sign_off();
    // Everything done except CI: the click is refused with the reason.
    CHECK_FALSE(has_button(*w.checklist(), "deploy.go"));
    CHECK(has(*w.checklist(), "CI running"));
    w.click(deployer, "deploy.go");
    CHECK(w.wait_ephemeral(deployer, "CI is still running"));
    CHECK(w.vc.promote_calls() == 0);

    // CI finishes green: nobody clicks, the ticker refreshes the message.
    const auto updates_before = w.slack.update_history(channel, w.ts).size();
    w.gh.set_check_run(sha(3), {.id = 9001, .name = "build", .status = "completed", .conclusion = "success"});
    REQUIRE(w.wait_checklist([](const std::string& s) {
        return has(s, ":white_check_mark: CI green") && has_button(s, "deploy.go");
    }));
    CHECK(w.slack.update_history(channel, w.ts).size() > updates_before);

    // A re-run fails: CI red refuses.
    w.gh.set_check_run(sha(3), {.id = 9003, .name = "build", .status = "completed", .conclusion = "failure"});
    REQUIRE(w.wait_checklist([](const std::string& s) { return has(s, ":x: CI failed"); }));
    CHECK_FALSE(has_button(*w.checklist(), "deploy.go"));
    w.click(deployer, "deploy.go");
    CHECK(w.wait_ephemeral(deployer, "CI failed"));
    CHECK(w.vc.promote_calls() == 0);
}

TEST_CASE("deploy flow: staging not READY refuses sign-off; staging moving after sign-off voids it") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.request(deployer);
    w.complete_checklist();

    // Staging moves to a new build of a new commit.
    w.gh.add_commit({sha(4), "Tweak checkout copy", "andi", "Andi"});
    w.gh.set_check_run(sha(4), {.id = 9101, .name = "build"});
    w.vc.set_build_gets(1000);   // stays BUILDING
    w.vc.add_deployment({.id = "dpl_Stag0004", .target = "production", .ready_state = "BUILDING",
                         .git_sha = sha(4), .git_message = "Tweak checkout copy"});
    w.vc.set_alias("staging.example.id", "dpl_Stag0004");

    auto reply = w.wait_thread("void");
    REQUIRE(reply);
    CHECK(has(all_text(*reply), "<@" + qa + ">"));
    REQUIRE(w.wait_checklist([](const std::string& s) { return !has_button(s, "deploy.go") && has(s, "Stag0004"); }));
    CHECK(has(*w.checklist(), "void"));
    // Not READY: sign-off refused.
    w.click(qa, "deploy.signoff");
    CHECK(w.wait_ephemeral(qa, "is not READY yet"));
    w.click(deployer, "deploy.go");
    CHECK(w.wait_ephemeral(deployer, "staging deployment dpl_Stag0004 (" + sha(4).substr(0, 7) + ") is not READY"));
    CHECK(w.vc.promote_calls() == 0);

    // The build finishes elsewhere; staging now serves a READY build, still unsigned.
    w.vc.add_deployment({.id = "dpl_Stag0005", .target = "production", .ready_substate = "STAGED",
                         .git_sha = sha(4), .git_message = "Tweak checkout copy"});
    w.vc.set_alias("staging.example.id", "dpl_Stag0005");
    REQUIRE(w.wait_checklist([](const std::string& s) { return has(s, "Stag0005") && has_button(s, "deploy.signoff"); }));
    CHECK_FALSE(has_button(*w.checklist(), "deploy.go"));
    w.click(deployer, "deploy.go");
    CHECK(w.wait_ephemeral(deployer, "QA sign-off missing (the previous one is void"));
    CHECK(w.vc.promote_calls() == 0);
    w.click(qa, "deploy.signoff");
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.go"); }));
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 20s));
    CHECK(w.vc.alias_target("example.id") == "dpl_Stag0005");
    CHECK(w.vc.promote_calls() == 1);
}

TEST_CASE("deploy flow: outside the window → scheduled → window opens → mention and Deploy button; admin override") {
    world w;
    w.always_open = false;   // Tue/Thu 10:00–12:00 WIB, Fridays blocked
    w.set_clock(utc(2026, 12, 1, 2, 0));   // Tue 09:00 WIB
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.request(deployer);
    CHECK(w.wait_ephemeral(deployer, "scheduled for the next window, Tue 1 Dec 10:00 WIB"));
    w.command("status", qa);
    auto status = w.wait_ephemeral(qa, "*Deploy window*: closed; next Tue 1 Dec 10:00 WIB");
    REQUIRE(status);
    CHECK(has(all_text(*status), "*Active request*: #1 by <@" + deployer + ">, scheduled"));
    // The checklist can be completed in advance; no Deploy button yet.
    w.sign_off();
    w.complete_rest();
    REQUIRE(w.wait_checklist_has("Tue 1 Dec 10:00 WIB"));
    CHECK_FALSE(has_button(*w.checklist(), "deploy.go"));
    w.click(deployer, "deploy.go");
    CHECK(w.wait_ephemeral(deployer, "outside the deploy window — next window Tue 1 Dec 10:00 WIB"));

    // The scheduled state survives a restart.
    w.restart();
    w.set_clock(utc(2026, 12, 1, 3, 0, 5));   // Tue 10:00:05 WIB
    auto mention = w.wait_thread("the deploy window is open");
    REQUIRE(mention);
    CHECK(has(all_text(*mention), "<@" + deployer + ">"));
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.go"); }));
    CHECK(w.thread().size() == 1);

    // The window closes again (12:00); an admin overrides with a reason.
    w.set_clock(utc(2026, 12, 1, 6, 0, 5));
    REQUIRE(w.wait_checklist([](const std::string& s) { return !has_button(s, "deploy.go"); }));
    w.command("override", deployer);
    CHECK(w.wait_ephemeral(deployer, "Only admins can deploy outside the schedule"));
    w.command("override payment outage fix", admin);
    auto ann = w.wait_top_level("overrode the deploy window");
    REQUIRE(ann);
    CHECK(has(all_text(*ann), "payment outage fix"));
    CHECK(has(all_text(*ann), "<@" + admin + ">"));
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.go"); }));
    CHECK(has(*w.checklist(), "window overridden by <@" + admin + ">"));
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 20s));
    CHECK(w.vc.promote_calls() == 1);

    w.stop();
    auto st = w.read_store();
    CHECK(count_audit(st.audit, "transition", "schedule override by " + admin + ": payment outage fix") == 1);
    CHECK(count_audit(st.audit, "transition", "deploy window opened") == 1);
}

TEST_CASE("deploy flow: the durable checklist timer fires at the window's edge, not at the next refresh") {
    world w;
    w.always_open = false;
    // A refresh an hour apart: only a timer armed for the window's opening can
    // notice it within the test's deadline.
    w.tweak = [](app_options& o) { o.cfg.checklist_refresh = std::chrono::hours(1); };
    w.set_clock(utc(2026, 12, 1, 2, 0));   // Tue 09:00 WIB, clock stopped
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.request(deployer);
    REQUIRE(w.wait_ephemeral(deployer, "scheduled for the next window, Tue 1 Dec 10:00 WIB"));
    {
        auto st = w.read_store();
        CHECK(count_audit(st.audit, "transition", "deploy window opened") == 0);
    }
    // After a restart the open request arms it again.
    w.restart();
    w.set_clock(utc(2026, 12, 1, 3, 0, 1));   // Tue 10:00:01 WIB
    auto mention = w.wait_thread("the deploy window is open");
    REQUIRE(mention);
    CHECK(has(all_text(*mention), "<@" + deployer + ">"));
    w.stop();
    auto st = w.read_store();
    CHECK(count_audit(st.audit, "transition", "deploy window opened") == 1);
}

TEST_CASE("deploy flow: /deploy lock blocks /deploy prod and the Deploy click; unlock; non-admins refused") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.request(deployer);
    w.complete_checklist();

    w.command("lock black friday freeze", deployer);
    CHECK(w.wait_ephemeral(deployer, "Only admins can lock deploys"));
    w.command("lock black friday freeze", admin);
    REQUIRE(w.wait_top_level("locked production deploys: black friday freeze"));
    w.click(deployer, "deploy.go");
    CHECK(w.wait_ephemeral(deployer, "locked by <@" + admin + ">"));
    CHECK(w.vc.promote_calls() == 0);

    w.command("status", deployer2);
    auto status = w.wait_ephemeral(deployer2, "*Lock*:");
    REQUIRE(status);
    CHECK(has(all_text(*status), "black friday freeze"));

    w.command("unlock", deployer);
    CHECK(w.wait_ephemeral(deployer, "Only admins can unlock deploys"));
    w.command("unlock", admin);
    REQUIRE(w.wait_top_level("unlocked production deploys"));
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 20s));
    CHECK(w.vc.promote_calls() == 1);

    // Locked: a new /deploy prod is refused too.
    w.command("lock incident", admin);
    REQUIRE(w.wait_top_level("locked production deploys: incident"));
    w.command("prod", deployer);
    CHECK(w.wait_ephemeral(deployer, "Production deploys are locked"));
    CHECK(w.count_top_level("Production deploy #2") == 0);
    w.stop();
    auto st = w.read_store();
    CHECK(count_audit(st.audit, "lock", "black friday freeze") == 1);
    CHECK(count_audit(st.audit, "unlock", "") == 1);
}

TEST_CASE("deploy flow: cancel by requester, by admin; others refused; the message says cancelled") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.request(deployer);
    REQUIRE(w.wait_checklist_has("CI "));
    w.command("cancel", deployer2);
    CHECK(w.wait_ephemeral(deployer2, "Only the requester"));
    w.command("cancel", deployer);
    REQUIRE(w.wait_checklist_has("*Cancelled* by <@" + deployer + ">"));
    CHECK_FALSE(has_button(*w.checklist(), "deploy.signoff"));
    CHECK(w.wait_thread("cancelled by <@" + deployer + ">"));

    // A new request, cancelled by an admin with the button.
    w.request_id = 2;
    w.command("prod", deployer2);
    auto second = w.slack.wait_for_message(
        [](const fakes::slack_message& m) { return m.thread_ts.empty() && has(all_text(m), "Production deploy #2"); }, 10s);
    REQUIRE(second);
    w.ts = second->ts;
    w.click(admin, "deploy.cancel");
    REQUIRE(w.wait_checklist_has("*Cancelled* by <@" + admin + ">"));
    w.command("cancel", admin);
    CHECK(w.wait_ephemeral(admin, "no open production deploy request"));

    w.command("history", deployer);
    auto hist = w.wait_ephemeral(deployer, "#2 cancelled");
    REQUIRE(hist);
    CHECK(has(all_text(*hist), "#1 cancelled"));
    w.stop();
    auto st = w.read_store();
    CHECK_FALSE(st.active);
    REQUIRE(st.history.size() == 2);
    CHECK(st.history[0].cancelled_by != st.history[1].cancelled_by);
}

TEST_CASE("deploy flow: double click on Deploy promotes exactly once") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.vc.set_alias_move_polls(6);
    w.seed_github();
    w.start();
    w.request(deployer);
    w.complete_checklist();
    const auto first = w.click(deployer, "deploy.go");
    w.click(deployer2, "deploy.go");
    REQUIRE(w.slack.redeliver(first));   // Slack retries the same envelope too
    REQUIRE(w.wait_top_level("is *live*", 20s));
    CHECK(w.vc.promote_calls() == 1);
    CHECK(w.count_top_level("is *live*") == 1);
    // The second click is told why nothing happened (promoting, or already live).
    CHECK(w.wait_ephemeral(deployer2, "Production deploy #1 is"));
    w.stop();
    auto st = w.read_store();
    CHECK(count_audit(st.audit, "transition", "promoting") == 1);
}

TEST_CASE("deploy flow: Vercel promote failure → failed announcement with Vercel's reason") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.vc.fail_next_alias_job("example.id");
    w.seed_github();
    w.start();
    w.request(deployer);
    w.complete_checklist();
    w.click(deployer, "deploy.go");
    auto failed = w.wait_top_level("*failed*", 20s);
    REQUIRE(failed);
    const auto text = all_text(*failed);
    CHECK(has(text, "Vercel reported the promote failed"));
    CHECK(has(text, "example.id"));
    CHECK(has(text, "Production still serves `"));   // what production still serves, by commit
    REQUIRE(w.wait_checklist_has("*Promote failed*"));
    CHECK(w.vc.promote_calls() == 1);
    CHECK(w.count_top_level("is *live*") == 0);
    w.command("history", qa);
    auto hist = w.wait_ephemeral(qa, "#1 failed");
    REQUIRE(hist);
    CHECK(has(all_text(*hist), ":x:"));
    // Nothing stuck: a new request can start.
    w.command("prod", deployer);
    REQUIRE(w.wait_top_level("Production deploy #2"));
    w.stop();
    auto st = w.read_store();
    REQUIRE_FALSE(st.history.empty());
    CHECK(st.history[0].state == request_state::failed);
}

TEST_CASE("deploy flow: Vercel refuses the promote → failed announcement naming Vercel's error") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.request(deployer);
    w.complete_checklist();
    w.vc.fail_next_promote(400, "bad_request", "Deployment was deleted meanwhile");
    w.click(deployer, "deploy.go");
    auto failed = w.wait_top_level("*failed*", 20s);
    REQUIRE(failed);
    CHECK(has(all_text(*failed), "Vercel refused the promote"));
    CHECK(has(all_text(*failed), "Deployment was deleted meanwhile"));
    CHECK(w.vc.promote_calls() == 1);   // never retried blindly
    CHECK(w.vc.alias_target("example.id") == w.sc.production_id);
}

TEST_CASE("deploy flow: GitHub 429 on check runs → readable message; a later Refresh succeeds") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.gh.script_limit(6, fakes::gh_limit_mode::retry_after, 429, 1);
    w.start();
    w.request(deployer);
    auto eph = w.wait_ephemeral(deployer, "Some checks could not be evaluated");
    REQUIRE(eph);
    CHECK(has(all_text(*eph), "GitHub"));
    // The tests item says so in plain words (chat.update is paced, so wait for it).
    CHECK(w.slack.wait_for(
        [&](const fake_slack& s) {
            for (const auto& m : s.update_history(channel, w.ts))
                if (has(all_text(m), "could not read CI from GitHub")) return true;
            return false;
        },
        5s));
    w.click(deployer, "deploy.refresh");
    REQUIRE(w.wait_checklist_has(":white_check_mark: CI green"));
    w.complete_checklist();
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 20s));
}

TEST_CASE("deploy flow: /deploy status and /deploy history") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.command("history", deployer);
    CHECK(w.wait_ephemeral(deployer, "No production deploys yet"));
    w.request(deployer);
    REQUIRE(w.wait_checklist_has("CI "));
    w.command("status", qa);
    auto st1 = w.wait_ephemeral(qa, "*Active request*");
    REQUIRE(st1);
    auto t1 = all_text(*st1);
    CHECK(has(t1, "*Production* (example.id): `dpl_Prod0002`"));
    CHECK(has(t1, "*Staging* (staging.example.id): `dpl_Stag0003`"));
    CHECK(has(t1, "*Active request*: #1 by <@" + deployer + ">, collecting"));
    CHECK(has(t1, "*Lock*: not locked"));
    CHECK(has(t1, "*Deploy window*: open until"));

    w.complete_checklist();
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 20s));
    w.command("history 5", qa);
    auto h = w.wait_ephemeral(qa, "#1 live");
    REQUIRE(h);
    auto ht = all_text(*h);
    CHECK(has(ht, "requested by <@" + deployer + ">"));
    CHECK(has(ht, "signed off by <@" + qa + ">"));
    CHECK(has(ht, "promote took"));
    w.command("status", qa);
    auto st2 = w.wait_ephemeral(qa, "*Active request*: none");
    REQUIRE(st2);
    CHECK(has(all_text(*st2), "*Production* (example.id): `dpl_Stag0003`"));
}

TEST_CASE("deploy flow: restart while collecting and after sign-off: buttons on the existing message keep working") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.request(deployer);
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.signoff"); }));
    w.restart();   // collecting
    w.sign_off();
    w.restart();   // after sign-off
    REQUIRE(w.wait_checklist_has("QA signed off"));
    w.complete_rest();
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.go"); }));
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 20s));
    CHECK(w.vc.promote_calls() == 1);
    CHECK(w.count_top_level("Production deploy #") == 2);   // the checklist + the live announcement, no re-post
    CHECK(w.top_level().front().ts == w.ts);
}

TEST_CASE("deploy flow: restart mid-promote follows the in-flight promote; one promote, one announcement") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.vc.set_alias_move_polls(40);   // ~2 s of polling at 50 ms
    w.seed_github();
    w.start();
    w.request(deployer);
    w.complete_checklist();
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_promote_posted());
    REQUIRE(w.wait_checklist_has("*Promoting*"));
    w.stop();
    CHECK(w.vc.alias_target("example.id") == w.sc.production_id);   // still moving
    w.start();
    REQUIRE(w.wait_top_level("is *live*", 20s));
    CHECK(w.vc.promote_calls() == 1);
    CHECK(w.vc.alias_target("example.id") == w.sc.staging_id);
    REQUIRE(w.wait_checklist_has("*Live* on example.id"));
    CHECK(w.count_top_level("is *live*") == 1);
    w.stop();
    auto st = w.read_store();
    REQUIRE(st.history.size() == 1);
    CHECK(st.history[0].state == request_state::live);
    CHECK(count_audit(st.audit, "transition", "live: ") == 1);
}

TEST_CASE("deploy flow: restart mid-rebuild (model B) follows the same build; one create") {
    world w;
    w.sc = w.vc.setup_model_b();
    w.vc.set_build_gets(15);
    w.seed_github();
    w.start();
    w.request(deployer);
    w.complete_checklist();
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_checklist_has("(a production rebuild)"));
    w.stop();
    w.start();
    REQUIRE(w.wait_top_level("is *live*", 20s));
    CHECK(w.vc.create_calls() == 1);
    CHECK(w.count_top_level("is *live*") == 1);
}

TEST_CASE("deploy flow: SIGKILL of the bot process mid-promote; the restarted process finishes it, one promote") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.vc.set_alias_move_polls(30);   // ~3 s of polling at 100 ms
    w.seed_github();
    w.start_process();
    w.request(deployer);
    w.complete_checklist();
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_promote_posted());
    w.kill_process();
    CHECK(w.vc.alias_target("example.id") == w.sc.production_id);   // still moving
    CHECK(w.count_top_level("is *live*") == 0);
    w.start_process();
    REQUIRE(w.wait_top_level("is *live*", 20s));
    CHECK(w.vc.promote_calls() == 1);
    CHECK(w.vc.alias_target("example.id") == w.sc.staging_id);
    REQUIRE(w.wait_checklist_has("*Live* on example.id"));
    CHECK(w.count_top_level("is *live*") == 1);
    // Buttons of the old message still answer after the restart.
    w.click(deployer, "deploy.go");
    CHECK(w.wait_ephemeral(deployer, "Production deploy #1 is live"));
    CHECK(w.vc.promote_calls() == 1);
}

TEST_CASE("deploy flow: with every fake API answering after 200 ms the checklist is one round of latency per step, not the sum") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.gh.set_latency(200ms);
    w.vc.set_latency(200ms);
    const auto t0 = std::chrono::steady_clock::now();
    w.request(deployer);
    const auto posted = std::chrono::steady_clock::now() - t0;
    REQUIRE(w.wait_checklist([](const std::string& s) {
        return has(s, "approved by budi") && has(s, ":white_check_mark: CI green") && has(s, "Rollback plan");
    }));
    const auto evaluated = std::chrono::steady_clock::now() - t0;
    const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    MESSAGE("checklist message posted after " << ms(posted) << " ms; fully evaluated after " << ms(evaluated)
                                              << " ms (13 API calls x 200 ms = 2600 ms if sequential)");
    CHECK(posted < 1s);   // the message does not wait for the evidence
    CHECK(evaluated < 2600ms);
}

TEST_CASE("deploy flow: Vercel failing at /deploy prod → the requester is told which call failed; the checklist recovers") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    // Every attempt of the first evaluation's Vercel round fails (4 calls x 2 attempts).
    w.vc.fail_next(8, 500, "internal_server_error", "An unexpected internal error occurred");
    w.request(deployer);
    auto eph = w.wait_ephemeral(deployer, "Some checks could not be evaluated");
    REQUIRE(eph);
    const auto text = all_text(*eph);
    CHECK(has(text, "Vercel: cannot find what serves staging.example.id"));
    CHECK(has(text, "500"));
    CHECK(has(text, "press *Refresh*"));
    // Nothing stuck: the next evaluation fills the checklist in.
    REQUIRE(w.wait_checklist([](const std::string& s) {
        return has(s, "Stag0003") && has(s, ":white_check_mark: CI green");
    }));
    w.complete_checklist();
}

TEST_CASE("deploy flow: a big batch is warned about and a long PR list is summarised within Block Kit limits") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.gh.add_commit({sha(1), "Older release", "sari", "Sari"});
    w.gh.add_commit({sha(2), "Current release", "sari", "Sari"});
    for (int i = 0; i < 24; ++i) {
        const int n = 600 + i;
        w.gh.add_commit({sha(n), fmt::format("Change number {} (#{})", i, n), "dewi", "Dewi"});
        w.gh.add_pr({.number = n, .title = fmt::format("Change number {}", i), .user_login = "dewi",
                     .merged_at = "2026-01-06T08:00:00Z", .merge_commit_sha = sha(n)});
        w.gh.link_commit_to_pr(sha(n), n);
        if (i != 20) w.gh.add_review(n, {.user_login = "budi", .state = "APPROVED", .commit_id = sha(n)});
    }
    w.gh.add_commit({sha(3), "Fix cart total rounding", "andi", "Andi"});   // pushed without a PR
    w.gh.set_check_run(sha(3), {.id = 9001, .name = "build"});
    w.start();
    w.request(deployer);
    REQUIRE(w.wait_checklist_has("Big batch: 24 PRs"));
    const auto text = *w.checklist();
    CHECK(has(text, "24 PRs · 25 commits"));
    CHECK(has(text, "more — <"));                     // summarised with a link
    CHECK(has(text, "full comparison"));
    CHECK(has(text, "1 commit without a PR"));
    // What needs attention is listed even though the list is cut.
    CHECK(has(text, "pushed without a PR"));
    CHECK(has(text, "|#620>"));
    CHECK(has(text, "*unreviewed*"));
    CHECK(has(text, "…and 10 more"));
    auto m = w.slack.message(channel, w.ts);
    REQUIRE(m);
    CHECK(m->blocks.size() <= 50);
    w.complete_checklist();
}

TEST_CASE("deploy flow: a checklist message that could not be posted is posted on restart; nothing is lost") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.slack.fail_next("chat.postMessage", 1, "not_in_channel");
    w.command("prod", deployer);
    REQUIRE(w.slack.wait_for_ephemeral(
        [](const fakes::slack_ephemeral& e) { return has(all_text(e), "could not post the checklist") && has(all_text(e), "not_in_channel"); },
        10s));
    CHECK(w.top_level().empty());
    w.restart();
    // The recorded request's message goes out on start, and the checklist fills in.
    auto m = w.slack.wait_for_message(
        [](const fakes::slack_message& m) { return m.thread_ts.empty() && has(all_text(m), "Production deploy #1"); }, 10s);
    REQUIRE(m);
    w.ts = m->ts;
    REQUIRE(w.wait_checklist_has("passed"));   // the evidence gathered before the restart is on it
    CHECK(w.count_top_level("Production deploy #") == 1);
}

TEST_CASE("deploy flow: rolling releases on → the checklist says why Deploy is not offered; nothing is promoted") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.vc.set_rolling_release(true);
    w.seed_github();
    w.start();
    w.request(deployer);
    w.sign_off();
    w.complete_rest();
    REQUIRE(w.wait_checklist_has("rolling releases are on"));
    CHECK_FALSE(has_button(*w.checklist(), "deploy.go"));
    CHECK(has(*w.checklist(), " · STAGED"));
    w.click(deployer, "deploy.go");   // a stale or forged click is refused the same way
    REQUIRE(w.wait_ephemeral(deployer, "rolling releases are on"));
    CHECK(w.vc.promote_calls() == 0);
}
