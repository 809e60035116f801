// End-to-end: staging announcements (issue #9) — every new staging build of
// main announced once in #deployments and updated in place as it builds, a QA
// sign-off given there carried into the next /deploy prod of that build, a
// failed build with Vercel's reason, a newer build voiding the sign-off, and
// no repeats after a restart.
#include "deploy_world.hpp"

using namespace deploy_world;

namespace {

void staging_world(world& w) {
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.gh.add_pr({.number = 420, .title = "Add coupon field", .user_login = "dewi", .merged_at = "2026-01-07T09:00:00Z",
                 .merge_commit_sha = sha(61), .head_ref = "coupon"});
    w.gh.link_commit_to_pr(sha(61), 420);
    w.gh.add_commit({sha(61), "Add coupon field (#420)", "dewi", "Dewi", "2026-01-07T09:30:12Z", {{"src/coupon.tsx"}}});
    w.gh.add_commit({sha(62), "Fix coupon rounding (#421)", "andi", "Andi", "2026-01-07T10:30:12Z", {{"src/coupon.ts"}}});
    w.gh.set_branch("main", sha(62));
    w.gh.set_check_run(sha(61), {.id = 9201, .name = "build", .status = "completed", .conclusion = "success"});
    w.tweak = [](app_options& o) { o.cfg.vercel.staging_poll = std::chrono::seconds(1); };
}

// The bot's first poll (the feed starts at what staging serves, unannounced).
// The first poll's answer is the baseline (taken as seen). The fake records a
// request before it answers, so a build added right after the first request
// could land in that answer: wait for the second poll, which the bot sends only
// after it has read the first.
void wait_first_poll(world& w) {
    REQUIRE(w.vc.wait_for_requests(
        [](const auto& rs) {
            return std::count_if(rs.begin(), rs.end(), [](const auto& r) {
                       return r.method == "GET" && has(r.path, "/v7/deployments");
                   }) >= 2;
        },
        15s));
}

fakes::fv_deployment build(const std::string& id, int n, std::string message, bool fail = false) {
    fakes::fv_deployment d;
    d.id = id;
    d.target = "production";
    d.ready_state = "QUEUED";
    d.ready_substate = "STAGED";
    d.git_sha = sha(n);
    d.git_message = std::move(message);
    d.fail_build = fail;
    return d;
}

int count_msgs(world& w, std::string_view needle) {
    int n = 0;
    for (const auto& m : w.top_level()) n += has(all_text(m), needle);
    return n;
}

}  // namespace

TEST_CASE("staging: a new build is announced building → ready; QA signs off there; /deploy prod starts with it") {
    world w;
    staging_world(w);
    w.start();
    wait_first_poll(w);
    CHECK(count_msgs(w, "Staging is") == 0);   // the current staging build is taken as seen, not announced

    const auto pushed = std::chrono::steady_clock::now();
    w.vc.add_deployment(build("dpl_Stag0004", 61, "Add coupon field (#420)"));
    auto building = w.wait_top_level("dpl_Stag0004", 10s);
    REQUIRE(building);
    auto first = all_text(*building);
    CHECK((has(first, "Staging is building") || has(first, "Staging is ready")));
    CHECK(has(first, "Add coupon field"));
    CHECK_MESSAGE(has(first, "*Since* `" + sha(3).substr(0, 7) + "`"), first);   // the commits since the previous staging build
    CHECK(has(first, sha(61).substr(0, 7)));
    CHECK(has(first, "|#420>"));   // the PR the commit came from
    CHECK(has(first, "|https://"));   // the staging build's own address
    w.ts = building->ts;
    REQUIRE(w.wait_checklist([](const std::string& s) { return has(s, "Staging is ready") && has_button(s, "staging.signoff"); }));
    // A figure for the notes (not a bound): Vercel lists the build → announced → READY shown, at a 1 s poll.
    MESSAGE("new staging build → 'Staging is ready' with the sign-off button: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - pushed).count()
            << " ms (vercel.staging_poll_s = 1; the fake builds over 2 GETs)");
    CHECK(count_msgs(w, "|dpl_Stag0004>") == 1);   // updated in place, never posted again

    // QA leads only; then the sign-off shows on the message.
    w.slack.send_block_action(deployer, channel, w.ts, "staging.signoff", "dpl_Stag0004");
    REQUIRE(w.wait_ephemeral(deployer, "QA lead"));
    w.slack.send_block_action(qa, channel, w.ts, "staging.signoff", "dpl_Stag0004");
    REQUIRE(w.wait_checklist_has("QA signed off by <@" + qa + ">"));
    CHECK_FALSE(has_button(*w.checklist(), "staging.signoff"));

    // Staging now serves the new build: /deploy prod starts with "Staging tested and approved" done.
    w.vc.set_alias("staging.example.id", "dpl_Stag0004");
    w.request(deployer);
    REQUIRE(w.wait_checklist_has("QA signed off by"));
    CHECK(has(*w.checklist(), qa));
    w.stop();
    auto st = w.read_store();
    REQUIRE(st.active);
    REQUIRE(st.active->sign_off);
    CHECK(st.active->sign_off->user == qa);
    CHECK(st.active->sign_off->deployment_id == "dpl_Stag0004");
    CHECK(count_audit(st.audit, "transition", "given on the staging announcement") == 1);
}

TEST_CASE("staging: a failed build says why; a newer build voids the sign-off; a restart announces nothing twice") {
    world w;
    staging_world(w);
    w.start();
    wait_first_poll(w);
    w.vc.add_deployment(build("dpl_Stag0004", 61, "Add coupon field (#420)"));
    auto ready = w.wait_top_level("dpl_Stag0004", 10s);
    REQUIRE(ready);
    w.ts = ready->ts;
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "staging.signoff"); }));
    w.slack.send_block_action(qa, channel, w.ts, "staging.signoff", "dpl_Stag0004");
    REQUIRE(w.wait_checklist_has("QA signed off"));

    w.vc.add_deployment(build("dpl_Stag0005", 62, "Fix coupon rounding (#421)", /*fail=*/true));
    REQUIRE(w.wait_top_level("Staging build failed", 15s));
    auto failed = w.wait_top_level("|dpl_Stag0005>");
    REQUIRE(failed);
    CHECK_MESSAGE(has(all_text(*failed), "npm run build"), all_text(*failed));   // Vercel's reason
    CHECK(has(all_text(*failed), "commit by budi-dev"));   // the commit's author
    CHECK(has(all_text(*failed), "https://vercel.com/acme/shop-web/Stag0005"));   // Vercel's inspector
    // The older message says it was superseded and its sign-off is void; clicking it again is refused.
    REQUIRE(w.wait_checklist_has("the QA sign-off on this build is void"));
    w.slack.send_block_action(qa, channel, w.ts, "staging.signoff", "dpl_Stag0004");
    REQUIRE(w.wait_ephemeral(qa, "A newer staging build"));

    w.restart();
    w.vc.clear_requests();
    // Two polls after the restart: the first one has finished when the second one lists.
    REQUIRE(w.vc.wait_for_requests(
        [](const auto& rs) {
            return std::count_if(rs.begin(), rs.end(), [](const auto& r) { return r.method == "GET" && has(r.path, "/v7/deployments"); }) >= 2;
        },
        10s));
    CHECK(count_msgs(w, "|dpl_Stag0004>") == 1);   // the link in its own message (others only mention it)
    CHECK(count_msgs(w, "|dpl_Stag0005>") == 1);
}
