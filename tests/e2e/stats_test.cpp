// End-to-end: /deploy stats and the weekly digest (issue #12) — the real app
// against the fakes, on an injected clock. Asserts on what the bot answered
// (ephemeral, to whoever asked) and what it posted in the channel.
#include "deploy_world.hpp"

using namespace deploy_world;

namespace {

const auto t0 = utc(2026, 12, 1, 3, 5);   // Tue 1 Dec 2026 10:05 WIB: live at this moment

// The PRs' own commits: #410's first was authored 4 days before t0, #412's 2 days before (median 3 d).
void seed_pr_commits(world& w) {
    w.gh.add_pr({.number = 410, .title = "Add wishlist badge", .user_login = "dewi",
                 .merged_at = "2026-01-06T08:00:00Z", .merge_commit_sha = sha(50), .head_ref = "wishlist",
                 .commits = {{sha(60), "Wishlist badge: first cut", "dewi", "Dewi", "2026-11-27T03:05:00Z"},
                             {sha(61), "Wishlist badge: tests", "dewi", "Dewi", "2026-11-28T10:00:00Z"}}});
    w.gh.add_pr({.number = 412, .title = "Fix cart total rounding", .user_login = "andi",
                 .merged_at = "2026-01-06T09:00:00Z", .merge_commit_sha = sha(3), .head_ref = "cart-rounding",
                 .commits = {{sha(70), "Round cart totals once", "andi", "Andi", "2026-11-29T03:05:00Z"}}});
}

int count_digests(const world& w, std::string_view week) { return w.count_top_level(week); }

}  // namespace

TEST_CASE("stats: a deploy that goes live shows frequency 1 and the lead time of its PRs") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    seed_pr_commits(w);
    w.set_clock(t0);
    w.start();

    // Before any deploy: no made-up figures.
    w.command("stats", outsider);
    auto before = w.wait_ephemeral(outsider, "no deploy went live");
    REQUIRE(before);
    CHECK(has(all_text(*before), "not enough data"));

    w.request(deployer);
    w.complete_checklist();
    w.click(deployer2, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 20s));
    w.time->set(t0 + 1min);   // the period ends now, just after it went live

    w.command("stats", outsider);   // anyone may ask
    auto e = w.wait_ephemeral(outsider, "1 deploy (");
    REQUIRE(e);
    const auto text = all_text(*e);
    CHECK(has(text, "last 30 days"));
    CHECK(has(text, "1 deploy (0.2 per week)"));
    CHECK(has(text, "median 3 d over 2 PRs"));
    CHECK(has(text, "based on 1 deploy"));
    CHECK(has(text, "0% (0 of 1 rolled back, hotfixed or regressed)"));
    CHECK(has(text, "nothing was rolled back or hotfixed"));
    // The answer went to the asker alone.
    CHECK(w.count_top_level("last 30 days") == 0);

    // Bad input is refused with the accepted range; a number of days is taken.
    w.command("stats abc", outsider);
    CHECK(w.wait_ephemeral(outsider, "from 1 to 365"));
    w.command("stats 100000", deployer);
    CHECK(w.wait_ephemeral(deployer, "more than a year"));
    w.command("stats 7", deployer);
    auto week = w.wait_ephemeral(deployer, "last 7 days");
    REQUIRE(week);
    CHECK(has(all_text(*week), "1 deploy (1.0 per week)"));

    // The lead time came from what was stored with the record at evaluation time.
    w.stop();
    auto st = w.read_store();
    REQUIRE(st.history.size() == 1);
    CHECK(st.history[0].changes.head_sha == sha(3));
    CHECK(st.history[0].changes.prs.size() == 2);
    CHECK(count_audit(st.audit, "transition", "shipped PRs read for") == 1);
}

TEST_CASE("stats: the weekly digest is posted once on Monday 09:00, not again after a restart, and once late") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.tweak = [](app_options& o) { o.cfg.stats.weekly_digest = true; };
    w.set_clock(utc(2026, 12, 7, 1, 59));   // Mon 7 Dec 08:59 WIB
    w.start();

    w.time->set(utc(2026, 12, 7, 2, 0));   // 09:00 WIB
    auto digest = w.wait_top_level("7 days to Mon 7 Dec 09:00 WIB");
    REQUIRE(digest);
    const auto text = all_text(*digest);
    CHECK(has(text, "Weekly deploy digest"));
    CHECK(has(text, "no deploy went live"));

    // A restart the same morning posts nothing again: the next post is the following Monday's.
    w.restart();
    w.time->set(utc(2026, 12, 14, 2, 0));
    REQUIRE(w.wait_top_level("7 days to Mon 14 Dec 09:00 WIB"));
    CHECK(count_digests(w, "7 days to Mon 7 Dec") == 1);

    // Down over two Mondays: only the latest missed one is posted, once, when the bot is back.
    w.stop();
    w.time->set(utc(2026, 12, 30, 5, 0));   // Wed 30 Dec
    w.start();
    REQUIRE(w.wait_top_level("7 days to Mon 28 Dec 09:00 WIB"));
    CHECK(count_digests(w, "7 days to Mon 21 Dec") == 0);
    CHECK(count_digests(w, "7 days to Mon 28 Dec") == 1);
    CHECK(count_digests(w, "7 days to Mon 14 Dec") == 1);
}
