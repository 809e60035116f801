// End-to-end: after a deploy goes live (issue #8) — the Sentry watch on a fast
// injected clock (an hour in about six seconds), the regression alert and its
// buttons, one-click rollback through Vercel's instant rollback, and the
// post-mortem issue. Asserts on what the bot sent to Slack, Vercel, GitHub and
// Sentry and on what it stored.
#include "deploy_world.hpp"

#include <boost/json/parse.hpp>

using namespace deploy_world;

namespace {

// 600× real time: a 5-minute interval in 0.5 s, the hour in about 6 s.
constexpr double fast = 600.0;
const auto t0 = utc(2026, 12, 1, 3, 5);   // Tue 10:05 WIB: live at this moment

// The value of the first button with this action_id in a message's blocks.
std::string button_value(const std::string& all, std::string_view action) {
    const auto at = all.find("\"action_id\":\"" + std::string(action) + "\"");
    if (at == std::string::npos) return {};
    // Buttons are rendered as objects; find the value in the same object.
    const auto start = all.rfind('{', at);
    const auto end = all.find('}', at);
    const auto obj = all.substr(start, end - start);
    const auto v = obj.find("\"value\":\"");
    if (v == std::string::npos) return {};
    const auto q = obj.find('"', v + 9);
    return obj.substr(v + 9, q - v - 9);
}

// Model A, checklist done, deployed at t0 with the clock stopped; live.
void go_live(world& w, bool migrations = false) {
    w.sc = w.vc.setup_model_a();
    w.seed_github(migrations);
    w.set_clock(t0);
    w.start();
    w.request(deployer);
    w.complete_checklist(migrations);
    w.click(deployer2, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 20s));
    // The watch began: the Sentry release + deploy marker, then the baseline
    // (a GET of /events/ comes only after the marker POSTs were answered).
    REQUIRE(w.sentry.wait_for_requests(
        [](const auto& rs) {
            return std::any_of(rs.begin(), rs.end(), [](const auto& r) { return r.method == "GET" && has(r.path, "/events/"); });
        },
        10s));
}

int count_in(const std::vector<fakes::slack_message>& ms, std::string_view needle) {
    int n = 0;
    for (const auto& m : ms) n += has(all_text(m), needle);
    return n;
}

std::optional<deploy_request> stored(world& w, std::int64_t id) {
    auto db = store::open(w.dir + "/deploybot.sqlite3");
    REQUIRE(db);
    return deploy_store(**db).load(id);
}

}  // namespace

TEST_CASE("watch: a spike alerts once; Roll back by button → production serves the target, pinned, post-mortem") {
    world w;
    w.sentry.add_events("SHOP-1", "TimeoutError: upstream", t0 - 40min, 12);   // baseline: 12 in the hour before
    go_live(w, /*migrations=*/true);
    const auto prod_before = w.sc.production_id;
    CHECK(w.vc.alias_target("example.id") == w.sc.staging_id);
    {
        auto deploys = w.sentry.deploys();
        REQUIRE(deploys.size() == 1);
        CHECK(deploys[0].version == sha(3));
        CHECK(deploys[0].environment == "production");
        auto releases = w.sentry.releases();
        REQUIRE(releases.size() == 1);
        CHECK(releases[0].version == sha(3));
    }
    // The regression: 40 errors of a new issue in the third interval (10:15–10:20).
    w.sentry.add_events("SHOP-2", "TypeError: cart.items is undefined", t0 + 11min, 40);
    w.time->set_speed(fast);

    auto alert = w.wait_top_level("Error spike after production deploy #1", 20s);
    REQUIRE(alert);
    const auto alert_text = all_text(*alert);
    CHECK(has(alert_text, "*40 errors* in 5 min"));
    CHECK(has(alert_text, "baseline 1.0 per 5 min (12 in the hour before"));
    CHECK(has(alert_text, "SHOP-2"));
    CHECK(has(alert_text, "TypeError: cart.items is undefined"));
    CHECK(has(alert_text, "Sentry issues since the deploy"));
    CHECK(has_button(alert_text, "rollback.go"));
    CHECK(has_button(alert_text, "watch.ack"));
    CHECK(has(alert_text, "goes back to " + prod_before));   // the confirm dialog names the target
    CHECK(has(alert_text, "\"style\":\"danger\""));
    // Progress went to the deploy message's thread, one line per check.
    REQUIRE(w.wait_thread("Check 3/12"));
    CHECK(count_in(w.thread(), "Check 1/12") == 1);
    CHECK(has(all_text(*w.wait_thread("Check 3/12")), "regression"));

    // An outsider's click changes nothing.
    w.slack.send_block_action(outsider, channel, alert->ts, "rollback.go", button_value(alert_text, "rollback.go"));
    REQUIRE(w.wait_ephemeral(outsider, "Only deployers"));
    CHECK(w.vc.rollback_calls() == 0);

    w.slack.send_block_action(deployer, channel, alert->ts, "rollback.go", button_value(alert_text, "rollback.go"));
    w.slack.send_block_action(deployer, channel, alert->ts, "rollback.go", button_value(alert_text, "rollback.go"));
    auto done = w.wait_top_level("*Production rolled back*", 20s);
    REQUIRE(done);
    CHECK(w.vc.alias_target("example.id") == prod_before);
    CHECK(w.vc.rollback_calls() == 1);   // the double click rolled back once
    CHECK_FALSE(w.vc.auto_assign());     // Vercel pinned production
    const auto done_text = all_text(*done);
    CHECK(has(done_text, "by <@" + deployer + ">"));
    CHECK(has(done_text, prod_before));
    CHECK(has(done_text, "*pins*"));
    CHECK(has(done_text, "error spike after production deploy #1"));
    CHECK(w.count_top_level("*Production rolled back*") == 1);
    CHECK(has(w.vc.rollback_description(), "error spike"));

    // The post-mortem issue, with the timeline from the audit log.
    REQUIRE(w.gh.wait_for_requests(
        [](const auto& rs) {
            return std::any_of(rs.begin(), rs.end(), [](const auto& r) { return r.method == "POST" && has(r.path, "/issues"); });
        },
        10s));
    REQUIRE(w.slack.wait_for([](const fake_slack& s) {
        for (const auto& m : s.messages_in(channel))
            if (has(all_text(m), "Post-mortem issue opened")) return true;
        return false;
    }, 10s));
    auto issues = w.gh.issues();
    REQUIRE(issues.size() == 1);
    const auto& pm = issues[0];
    CHECK(has(pm.title, "Post-mortem: production rolled back to"));
    CHECK(std::find(pm.labels.begin(), pm.labels.end(), "post-mortem") != pm.labels.end());
    CHECK(has(pm.body, "## Timeline"));
    CHECK(has(pm.body, "qa sign-off by " + qa));
    CHECK(has(pm.body, "watch check 3/12: 40 errors (regression)"));
    CHECK(has(pm.body, "rollback #2 created"));
    CHECK(has(pm.body, "## Impact window"));
    CHECK(has(pm.body, "From "));
    CHECK(has(pm.body, "## What went wrong"));
    CHECK(has(pm.body, "SHOP-2"));
    CHECK(has(pm.body, "/compare/"));

    w.time->set_speed(0);
    w.stop();
    auto bad = stored(w, 1);
    REQUIRE(bad);
    CHECK(bad->state == request_state::rolled_back);
    CHECK(bad->rolled_back_by == 2);
    CHECK(bad->watch.phase == watch_phase::ended);
    CHECK(bad->watch.alerts == 1);
    // A figure for the notes: the spike began at T+11 min; its interval (T+10..15) was counted at T+15 min +
    // settle (90 s), so the alert went out 5.5 min after the regression began, in the interval after it started.
    REQUIRE(bad->watch.checks.size() >= 3);
    CHECK(bad->watch.checks[2].regression);
    CHECK(bad->watch.alert_index == 3);
    MESSAGE("regression start → alert (defaults: 300 s intervals, 90 s settle): "
            << std::chrono::duration_cast<std::chrono::seconds>(bad->watch.live_at + 3 * 300s + 90s - (t0 + 11min)).count()
            << " s, check " << bad->watch.alert_index << " of 12");
    auto rb = stored(w, 2);
    REQUIRE(rb);
    CHECK(rb->kind == record_kind::rollback);
    CHECK(rb->state == request_state::live);
    CHECK(rb->rollback.rolls_back == 1);
    CHECK(has(rb->postmortem.url, "/issues/" + std::to_string(pm.number)));
    CHECK(rb->candidate.deployment_id == prod_before);
    auto st = w.read_store();
    CHECK(count_audit(st.audit, "transition", "rollback #2 created") == 1);
}

TEST_CASE("rollback: /rollback offers the target and warns about a migration; a non-deployer is refused") {
    world w;
    go_live(w, /*migrations=*/true);
    const auto prod_before = w.sc.production_id;

    w.slack.send_slash_command("/rollback", "checkout broken", outsider, channel);
    REQUIRE(w.wait_ephemeral(outsider, "Only deployers"));

    w.slack.send_slash_command("/rollback", "checkout broken", deployer, channel);
    auto offer = w.wait_ephemeral(deployer, "Roll back example.id to");
    REQUIRE(offer);
    const auto text = all_text(*offer);
    CHECK(has(text, prod_before));
    CHECK(has(text, "Current release"));                      // the target's commit message
    CHECK(has(text, "crosses a database migration"));          // prisma/migrations/… between the two
    CHECK(has(text, "prisma/migrations/20260105_cart_total"));
    CHECK(has(text, "checkout broken"));
    CHECK(has(text, "*pins*"));
    CHECK(w.vc.rollback_calls() == 0);                          // an offer moves nothing
    const auto value = button_value(text, "rollback.go");
    REQUIRE_FALSE(value.empty());

    w.slack.send_block_action(outsider, channel, "", "rollback.go", value);
    REQUIRE(w.wait_ephemeral(outsider, "Only deployers"));
    CHECK(w.vc.rollback_calls() == 0);

    const auto clicked = std::chrono::steady_clock::now();
    w.slack.send_block_action(deployer, channel, "", "rollback.go", value);
    auto done = w.wait_top_level("*Production rolled back*", 20s);
    REQUIRE(done);
    // A figure for the notes, not a bound: the click → the announcement that production serves the target.
    MESSAGE("Roll back click → announced live: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - clicked).count()
            << " ms (fake Vercel: the alias moves after 2 polls of 50 ms)");
    CHECK(has(all_text(*done), "checkout broken"));
    CHECK(w.vc.alias_target("example.id") == prod_before);
    CHECK(w.vc.rollback_description() == "checkout broken");

    // The same offer clicked again: production moved, nothing happens.
    w.slack.send_block_action(deployer, channel, "", "rollback.go", value);
    REQUIRE(w.wait_ephemeral(deployer, "Production changed since this was offered"));
    CHECK(w.vc.rollback_calls() == 1);

    // History shows both; status and the next checklist say production is pinned.
    w.command("history", deployer);
    auto hist = w.wait_ephemeral(deployer, "rollback live");
    REQUIRE(hist);
    CHECK(has(all_text(*hist), "rolled_back"));
    CHECK(has(all_text(*hist), "rolled back by #2"));
    w.command("status", deployer);
    auto status = w.wait_ephemeral(deployer, "*Pinned* by rollback #2");
    REQUIRE(status);
    CHECK(has(all_text(*status), "*Watch*: rollback #2"));   // the rollback is watched like any go-live
    w.command("help", deployer);
    auto help = w.wait_ephemeral(deployer, "/deploy rollback [reason]");
    REQUIRE(help);
    CHECK_FALSE(has(all_text(*help), "rollback [reason]` — show what production goes back to, then roll back with one "
                                     "click (Vercel instant rollback; opens a post-mortem issue) _(coming soon)_"));
    CHECK(has(all_text(*help), "watch Sentry for an hour"));
    w.command("prod", deployer);
    auto next = w.wait_top_level("Production deploy #3");
    REQUIRE(next);
    w.ts = next->ts;
    REQUIRE(w.wait_checklist_has("Production is pinned by a rollback"));
}

TEST_CASE("rollback: refused while a deploy is promoting; nothing is sent to Vercel") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
    w.request(deployer);
    w.complete_checklist();
    w.vc.set_alias_move_polls(60);   // the promote takes a few seconds
    w.click(deployer2, "deploy.go");
    REQUIRE(w.wait_promote_posted());
    w.slack.send_slash_command("/rollback", "now", deployer, channel);
    REQUIRE(w.wait_ephemeral(deployer, "is promoting right now"));
    CHECK(w.vc.rollback_calls() == 0);
    REQUIRE(w.wait_top_level("is *live*", 20s));
}

TEST_CASE("watch: low traffic does not alarm; the hour ends 'stable' with the figures") {
    world w;
    w.sentry.add_events("SHOP-1", "rare error", t0 - 30min, 1);   // 1 error in the hour before
    go_live(w);
    w.sentry.add_events("SHOP-1", "rare error", t0 + 12min, 3);   // 1 → 3: three times, but below min_events
    w.time->set_speed(fast);
    auto summary = w.wait_thread("production stable after 1 h", 30s);
    REQUIRE(summary);
    CHECK(has(all_text(*summary), "3 errors in total"));
    CHECK(w.count_top_level("Error spike") == 0);
    REQUIRE(w.wait_checklist_has("Production stable after 1 h"));
    w.time->set_speed(0);
    w.stop();
    auto r = stored(w, 1);
    REQUIRE(r);
    CHECK(r->watch.phase == watch_phase::stable);
    CHECK(r->watch.checks.size() == 12);
    CHECK(r->watch.observed_count() == 12);
    CHECK_FALSE(r->watch.summary_owed);
}

TEST_CASE("watch: Sentry down the whole hour → 'not observed', never 'stable'") {
    world w;
    go_live(w);
    w.sentry.fail_all(503);
    w.time->set_speed(fast);
    auto summary = w.wait_thread("Sentry gave no data", 30s);
    REQUIRE(summary);
    REQUIRE(w.wait_thread("Check 12/12", 30s));
    CHECK_FALSE(has(all_text(*summary), "stable"));
    CHECK(count_in(w.thread(), "no data") >= 12);
    CHECK(w.count_top_level("Error spike") == 0);
    w.time->set_speed(0);
    w.stop();
    auto r = stored(w, 1);
    REQUIRE(r);
    CHECK(r->watch.phase == watch_phase::not_observed);
    CHECK(r->watch.observed_count() == 0);
}

TEST_CASE("watch: Sentry down for part of the hour → 'partly observed' with the minutes observed") {
    world w;
    go_live(w);
    w.sentry.fail_next(500, 14);   // baseline + the first checks (a retry each) get no data
    w.time->set_speed(fast);
    auto summary = w.wait_thread("partly observed", 30s);
    REQUIRE(summary);
    CHECK(has(all_text(*summary), "observed "));
    CHECK(has(all_text(*summary), " of 60 min"));
    w.time->set_speed(0);
    w.stop();
    auto r = stored(w, 1);
    REQUIRE(r);
    CHECK(r->watch.phase == watch_phase::partly_observed);
    CHECK(r->watch.observed_count() > 0);
    CHECK(r->watch.observed_count() < 12);
}

TEST_CASE("watch: 'Looks fine, keep watching' acknowledges; only a worse interval alerts again") {
    world w;
    w.sentry.add_events("SHOP-1", "old", t0 - 30min, 12);
    go_live(w);
    w.sentry.add_events("SHOP-2", "spike", t0 + 6min, 30);     // interval 2: alert
    w.sentry.add_events("SHOP-2", "spike", t0 + 11min, 25);    // interval 3: still high, not worse
    w.sentry.add_events("SHOP-3", "worse", t0 + 31min, 90);    // interval 7: worse → alert again
    w.time->set_speed(fast);
    auto first = w.wait_top_level("Error spike after production deploy #1", 20s);
    REQUIRE(first);
    w.time->set_speed(0);   // hold the clock while a person looks
    w.slack.send_block_action(outsider, channel, first->ts, "watch.ack", "1");
    REQUIRE(w.wait_ephemeral(outsider, "Only deployers and QA leads"));
    w.slack.send_block_action(qa, channel, first->ts, "watch.ack", "1");
    REQUIRE(w.wait_thread("looks fine, keep watching"));
    REQUIRE(w.wait_checklist_has("said it looks fine"));
    w.time->set_speed(fast);
    REQUIRE(w.slack.wait_for([](const fake_slack& s) {
        int n = 0;
        for (const auto& m : s.messages_in(channel))
            if (m.thread_ts.empty() && has(all_text(m), "Error spike after production deploy #1")) ++n;
        return n == 2;
    }, 30s));
    auto summary = w.wait_thread("production regressed", 30s);
    REQUIRE(summary);
    CHECK(w.count_top_level("Error spike after production deploy #1") == 2);
    w.time->set_speed(0);
    w.stop();
    auto r = stored(w, 1);
    REQUIRE(r);
    CHECK(r->watch.alerts == 2);
    CHECK(r->watch.phase == watch_phase::regressed);
    auto st = w.read_store();
    CHECK(count_audit(st.audit, "transition", "alert acknowledged by " + qa) == 1);
}

TEST_CASE("watch: a restart mid-watch resumes with the remaining checks and posts nothing twice") {
    world w;
    w.sentry.add_events("SHOP-1", "old", t0 - 30min, 12);
    go_live(w);
    w.sentry.add_events("SHOP-2", "spike", t0 + 6min, 40);   // interval 2
    w.time->set_speed(fast);
    REQUIRE(w.wait_top_level("Error spike after production deploy #1", 20s));
    REQUIRE(w.wait_thread("Check 3/12", 20s));
    w.time->set_speed(0);
    w.restart();
    w.time->set_speed(fast);
    REQUIRE(w.wait_thread("production regressed", 30s));
    REQUIRE(w.wait_thread("Check 12/12", 30s));   // thread posts are paced (about 1/s per channel)
    w.time->set_speed(0);
    for (int k = 1; k <= 12; ++k)
        CHECK_MESSAGE(count_in(w.thread(), "Check " + std::to_string(k) + "/12") == 1, "check " << k);
    CHECK(w.count_top_level("Error spike after production deploy #1") == 1);
    CHECK(w.sentry.deploys().size() == 1);   // the marker was not recorded again
    w.stop();
    auto r = stored(w, 1);
    REQUIRE(r);
    CHECK(r->watch.checks.size() == 12);
    CHECK(r->watch.alerts == 1);
}

TEST_CASE("rollback: Vercel refuses (402 on a hobby plan) → readable failure, nothing stuck, next rollback allowed") {
    world w;
    go_live(w);
    w.slack.send_slash_command("/rollback", "try it", deployer, channel);
    auto offer = w.wait_ephemeral(deployer, "Roll back example.id to");
    REQUIRE(offer);
    w.vc.fail_next_rollback(402, "payment_required",
                            "Hobby teams can only roll back to the previous production deployment. Upgrade to Pro.");
    w.slack.send_block_action(deployer, channel, "", "rollback.go", button_value(all_text(*offer), "rollback.go"));
    auto failed = w.wait_top_level("Rollback #2 *failed*", 20s);
    REQUIRE(failed);
    CHECK(has(all_text(*failed), "402"));
    CHECK(has(all_text(*failed), "Hobby teams can only roll back"));
    CHECK(has(all_text(*failed), "Production still serves"));
    CHECK(w.vc.alias_target("example.id") == w.sc.staging_id);
    // Nothing stuck: /deploy prod is not blocked and a new rollback can start.
    w.slack.send_slash_command("/rollback", "again", deployer, channel);
    REQUIRE(w.wait_ephemeral(deployer, "Roll back example.id to"));
    w.stop();
    auto r = stored(w, 2);
    REQUIRE(r);
    CHECK(r->state == request_state::failed);
    CHECK_FALSE(r->postmortem.owed);
    CHECK(r->watch.phase == watch_phase::none);
}

TEST_CASE("rollback: a restart while the rollback is in flight reads Vercel first; one rollback, one announcement") {
    world w;
    go_live(w);
    w.vc.set_alias_move_polls(40);   // the alias job takes a while
    w.slack.send_slash_command("/rollback", "restart test", deployer, channel);
    auto offer = w.wait_ephemeral(deployer, "Roll back example.id to");
    REQUIRE(offer);
    w.slack.send_block_action(deployer, channel, "", "rollback.go", button_value(all_text(*offer), "rollback.go"));
    REQUIRE(w.vc.wait_for_requests(
        [](const auto& rs) {
            return std::any_of(rs.begin(), rs.end(), [](const auto& r) { return r.method == "POST" && has(r.path, "/rollback/"); });
        },
        10s));
    w.restart();
    w.vc.set_alias_move_polls(2);
    auto done = w.wait_top_level("*Production rolled back*", 20s);
    REQUIRE(done);
    CHECK(w.vc.rollback_calls() == 1);
    CHECK(w.count_top_level("*Production rolled back*") == 1);
    CHECK(w.vc.alias_target("example.id") == w.sc.production_id);
}
