// End-to-end: the emergency hotfix lane (issue #9) — the PR's approval and CI,
// the hotfix message and its Deploy hotfix button, the production build of
// exactly that commit, the watch and post-mortem, and back-merge tracking.
#include "deploy_world.hpp"

using namespace deploy_world;

namespace {

// Production serves sha(2) (model A scenario); the hotfix PR #418 from branch
// hotfix/cart-crash has head sha(60), one commit beyond main.
void seed_hotfix(world& w, bool approved = true, std::string ci = "success") {
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.gh.add_commit({sha(60), "Fix cart crash on iOS Safari (#418)", "andi", "Andi", "2026-01-06T10:30:12Z",
                     {{"src/cart.ts"}}});
    w.gh.add_pr({.number = 418, .state = "open", .title = "Fix cart crash on iOS Safari", .user_login = "andi",
                 .head_ref = "hotfix/cart-crash", .head_sha = sha(60)});
    w.gh.add_review(418, {.user_login = "andi", .state = "APPROVED", .commit_id = sha(60)});   // the author: never counts
    if (approved) w.gh.add_review(418, {.user_login = "budi", .state = "APPROVED", .commit_id = sha(60)});
    w.gh.set_check_run(sha(60), {.id = 9101, .name = "build", .status = ci == "pending" ? "in_progress" : "completed",
                                 .conclusion = ci == "pending" ? "" : ci});
}

std::string hotfix_message(world& w) {
    auto m = w.wait_top_level(":ambulance: Hotfix #1");
    REQUIRE(m);
    w.ts = m->ts;
    w.request_id = 1;
    return all_text(*m);
}

}  // namespace

TEST_CASE("hotfix: PR by number → message with evidence → Deploy hotfix → that commit live, watched, post-mortem") {
    world w;
    seed_hotfix(w);
    w.start();
    w.slack.send_slash_command("/hotfix", "418 checkout crashes on iOS Safari", deployer, channel);
    const auto text = hotfix_message(w);
    CHECK(has(text, "Fix cart crash on iOS Safari"));
    CHECK(has(text, "approved by* budi"));
    CHECK_FALSE(has(text, "approved by* andi"));
    CHECK(has(text, sha(60).substr(0, 7)));
    CHECK(has(text, "hotfix/cart-crash"));
    CHECK(has(text, "checkout crashes on iOS Safari"));
    CHECK(has(text, "*Ships* "));
    CHECK(has_button(text, "hotfix.go"));
    CHECK(has(text, "\"style\":\"danger\""));
    CHECK(w.vc.create_calls() == 0);   // nothing moves before the click

    // A non-deployer's click is refused; the requester may click (the approval was the second person).
    w.click(outsider, "hotfix.go");
    REQUIRE(w.wait_ephemeral(outsider, "Only deployers"));
    const auto clicked = std::chrono::steady_clock::now();
    w.click(deployer, "hotfix.go");
    w.click(deployer, "hotfix.go");   // a double click deploys once
    auto live = w.wait_top_level("*Hotfix #1 is live*", 30s);
    REQUIRE(live);
    MESSAGE("hotfix confirm click → announced live: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - clicked).count()
            << " ms (fake Vercel: build QUEUED→BUILDING→READY over 2 polls, then a promote)");
    CHECK(w.vc.create_calls() == 1);
    CHECK(has(w.vc.last_create_body(), sha(60)));              // exactly the approved commit
    CHECK(has(w.vc.last_create_body(), "hotfix/cart-crash"));
    const auto target = w.vc.alias_target("example.id");
    auto d = w.vc.deployment(target);
    REQUIRE(d);
    CHECK(d->git_sha == sha(60));
    CHECK(has(all_text(*live), "checkout crashes on iOS Safari"));
    CHECK(has(all_text(*live), "approved by budi"));

    // Post-mortem issue, and the watch started (a Sentry deploy marker for the hotfix commit).
    REQUIRE(w.wait_thread("Post-mortem issue opened"));
    auto issues = w.gh.issues();
    REQUIRE(issues.size() == 1);
    CHECK(has(issues[0].title, "Post-mortem: hotfix"));
    CHECK(has(issues[0].body, "PR #418"));
    REQUIRE(w.sentry.wait_for_requests(
        [](const auto& rs) {
            return std::any_of(rs.begin(), rs.end(), [](const auto& r) { return r.method == "GET" && has(r.path, "/events/"); });
        },
        10s));
    bool marked = false;
    for (const auto& dep : w.sentry.deploys()) marked = marked || dep.version == sha(60);
    CHECK(marked);

    // Back-merge: not on main yet → /deploy status lists it; once main has it, the thread says so and it stops.
    REQUIRE(w.wait_thread("reminder: the hotfix commit"));
    w.command("status", deployer);
    REQUIRE(w.wait_ephemeral(deployer, "Back-merge pending"));
    {
        // The next /deploy prod checklist warns about it too.
        const auto hotfix_ts = w.ts;
        w.command("prod", deployer);
        auto checklist = w.wait_top_level("Production deploy #2");
        REQUIRE(checklist);
        w.ts = checklist->ts;
        REQUIRE(w.wait_checklist_has("is not on the main branch yet"));
        w.command("cancel", deployer);
        REQUIRE(w.wait_ephemeral(deployer, "Production deploy #2 cancelled."));
        w.ts = hotfix_ts;
    }
    w.gh.set_branch("main", sha(60));
    w.restart();   // the backport check also runs on start
    REQUIRE(w.wait_thread("is on `main` now"));
    w.stop();
    auto st = w.read_store();
    REQUIRE_FALSE(st.history.empty());
    CHECK(st.history[0].kind == record_kind::hotfix);
    CHECK(st.history[0].state == request_state::live);
    CHECK_FALSE(st.history[0].hotfix.backport_pending);
    CHECK(count_audit(st.audit, "transition", "hotfix of") == 1);
}

TEST_CASE("hotfix: by branch; every refusal says what is missing and nothing is built") {
    world w;
    seed_hotfix(w, /*approved=*/false);
    w.tweak = [](app_options& o) { o.cfg.people.deployers.push_back(admin); };   // an admin who may deploy
    w.start();
    // Waits for a NEW matching ephemeral: the same refusal twice in a row must
    // not be satisfied by the first one (the next step would then race the command).
    auto refused = [&](const std::string& user, const std::string& text, std::string_view expect) {
        auto matching = [&](const fakes::fake_slack& s) {
            std::size_t n = 0;
            for (const auto& e : s.ephemerals())
                if (e.user == user && has(all_text(e), expect)) ++n;
            return n;
        };
        const auto before = matching(w.slack);
        w.slack.send_slash_command("/deploy", "hotfix " + text, user, channel);
        const bool seen = w.slack.wait_for([&](const fakes::fake_slack& s) { return matching(s) > before; }, 10s);
        CHECK_MESSAGE(seen, "expected \"" << expect << "\" for: " << text);
    };
    refused(deployer, "418", "needs a reason");
    refused(deployer, "", "Say which PR or branch");
    refused(deployer, "--weird!! x", "neither a PR number nor a branch");
    refused(outsider, "418 why", "Only deployers");
    refused(deployer, "999 why", "can't find PR #999");
    refused(deployer, "no-such-branch why", "can't find an open PR from branch `no-such-branch`");
    refused(deployer, "hotfix/cart-crash urgent", "from someone other than the author");   // only the author approved
    w.gh.add_review(418, {.user_login = "budi", .state = "APPROVED", .commit_id = sha(60)});
    w.gh.add_review(418, {.user_login = "budi", .state = "CHANGES_REQUESTED", .commit_id = sha(60)});
    refused(deployer, "418 urgent", "changes were requested by budi");
    w.gh.add_review(418, {.user_login = "citra", .state = "APPROVED", .commit_id = sha(60)});
    refused(deployer, "418 urgent", "changes were requested by budi");   // still: budi's latest is changes requested
    w.gh.add_review(418, {.user_login = "budi", .state = "APPROVED", .commit_id = sha(60)});
    w.gh.set_check_run(sha(60), {.id = 9101, .name = "build", .status = "completed", .conclusion = "failure"});
    refused(deployer, "418 urgent", "green CI on the head commit");
    w.gh.set_check_run(sha(60), {.id = 9101, .name = "build", .status = "in_progress", .conclusion = ""});
    refused(deployer, "418 urgent", "still running");
    w.gh.set_check_run(sha(60), {.id = 9101, .name = "build", .status = "completed", .conclusion = "success"});
    // Locked: a deployer is refused; an admin may go through the lock (recorded).
    w.command("lock release freeze", admin);
    REQUIRE(w.wait_top_level("locked production deploys"));
    refused(deployer, "418 urgent", "Only an admin can run a hotfix through the lock");
    CHECK(w.vc.create_calls() == 0);
    w.slack.send_slash_command("/hotfix", "hotfix/cart-crash urgent payment bug", admin, channel);
    auto m = w.wait_top_level(":ambulance: Hotfix #1");
    REQUIRE(m);
    CHECK(has(all_text(*m), "Deploy lock overridden"));
    CHECK(has(all_text(*m), "overrode the lock (release freeze): urgent payment bug"));
    CHECK(w.vc.create_calls() == 0);
    // One open hotfix at a time.
    refused(admin, "418 again", "Hotfix #1 by <@" + admin + "> is already open");
}

TEST_CASE("hotfix: a restart after the build was requested follows that build; one build, one announcement") {
    world w;
    seed_hotfix(w);
    w.vc.set_build_gets(30);   // the build takes a while
    w.start();
    w.slack.send_slash_command("/hotfix", "418 checkout down", deployer, channel);
    hotfix_message(w);
    w.click(deployer, "hotfix.go");
    REQUIRE(w.vc.wait_for_requests(
        [](const auto& rs) {
            return std::any_of(rs.begin(), rs.end(), [](const auto& r) { return r.method == "POST" && has(r.path, "/v13/deployments"); });
        },
        10s));
    w.restart();
    w.vc.set_build_gets(1);
    REQUIRE(w.wait_top_level("*Hotfix #1 is live*", 30s));
    CHECK(w.vc.create_calls() == 1);
    CHECK(w.count_top_level("*Hotfix #1 is live*") == 1);
}
