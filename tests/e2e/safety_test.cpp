// End-to-end safety suite (ctest label "safety"): faults injected into the
// fake Vercel and Slack at every external mutation, hostile input, a second
// process on the same database, and SIGKILL at persisted states. Each case
// asserts on what the fakes received (one mutation) and what the channel was
// told (one true announcement), and on what the bot stored.
#include "deploy_world.hpp"

using namespace deploy_world;

namespace {

// Model A staging, GitHub seeded, the in-process bot connected.
void started(world& w) {
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start();
}

// Model A, checklist complete, Deploy button showing.
void ready_to_deploy(world& w) {
    started(w);
    w.request(deployer);
    w.complete_checklist();
}

// Exactly one promote reached Vercel's job, production serves the QA'd build,
// the channel heard "live" once and never "failed".
void expect_single_live(world& w, int promote_posts = 1) {
    REQUIRE(w.wait_top_level("is *live*", 30s));
    CHECK(w.vc.promote_calls() == promote_posts);
    CHECK(w.vc.alias_target("example.id") == w.sc.staging_id);
    CHECK(w.count_top_level("is *live*") == 1);
    CHECK(w.count_top_level("*failed*") == 0);
    CHECK(w.count_top_level("*outcome unknown*") == 0);
    // The bot has recorded that the announcement arrived (it may still be looking it up).
    CHECK(w.logs.wait_for("(outcome announced", 30s));
    w.stop();
    auto st = w.read_store();
    REQUIRE(st.history.size() == 1);
    CHECK(st.history[0].state == request_state::live);
    CHECK_FALSE(st.history[0].announcement_owed);
    CHECK_FALSE(st.history[0].announcement_ts.empty());
    REQUIRE(st.history[0].sign_off);
    CHECK(st.history[0].sign_off->user == qa);   // the same sign-off, never asked again
    CHECK(count_audit(st.audit, "transition", "promoting") == 1);
}

}  // namespace

TEST_CASE("safety: promote answer lost (connection reset after Vercel accepted it) → one promote, announced live") {
    world w;
    ready_to_deploy(w);
    w.vc.lose_next_promote_answer(fake_vercel::lost_answer::reset);
    w.click(deployer, "deploy.go");
    expect_single_live(w);
}

TEST_CASE("safety: promote answered 502 by a gateway after Vercel accepted it → one promote, announced live") {
    world w;
    ready_to_deploy(w);
    w.vc.lose_next_promote_answer(fake_vercel::lost_answer::gateway_502);
    w.click(deployer, "deploy.go");
    expect_single_live(w);
}

TEST_CASE("safety: promote answer arrives after the client's timeout → one promote, announced live") {
    world w;
    w.tweak = [](app_options& o) { o.cfg.http.timeout = std::chrono::milliseconds(1000); };
    ready_to_deploy(w);
    w.vc.lose_next_promote_answer(fake_vercel::lost_answer::late, 3s);
    w.click(deployer, "deploy.go");
    expect_single_live(w);
}

TEST_CASE("safety: a 429 on the promote is sent again after Retry-After, with the same sign-off") {
    world w;
    ready_to_deploy(w);
    w.vc.rate_limit_next_promotes(2, 1);
    w.click(deployer, "deploy.go");
    expect_single_live(w, 3);   // two refused (not carried out), the third accepted
}

TEST_CASE("safety: a 500 on the promote with nothing done at Vercel is sent again → live") {
    world w;
    ready_to_deploy(w);
    w.vc.fail_next_promotes(1, 500);
    w.click(deployer, "deploy.go");
    expect_single_live(w, 2);
}

TEST_CASE("safety: Vercel's clock 60 s behind ours → the promote is still recognised and confirmed") {
    world w;
    ready_to_deploy(w);
    w.vc.set_clock_skew(-60s);
    w.click(deployer, "deploy.go");
    expect_single_live(w);
}

TEST_CASE("safety: a 409 on the promote is not success: production unchanged → failed with Vercel's message") {
    world w;
    ready_to_deploy(w);
    w.vc.fail_next_promote(409, "conflict", "Another promote is already in progress for this project");
    w.click(deployer, "deploy.go");
    auto failed = w.wait_top_level("*failed*", 30s);
    REQUIRE(failed);
    CHECK(has(all_text(*failed), "Another promote is already in progress"));
    CHECK(w.vc.promote_calls() == 1);
    CHECK(w.count_top_level("is *live*") == 0);
    CHECK(w.vc.alias_target("example.id") == w.sc.production_id);
}

TEST_CASE("safety: promote answer lost and no trace at Vercel → 'outcome unknown' with what to check, never 'failed'") {
    world w;
    ready_to_deploy(w);
    w.vc.lose_next_promote_answer(fake_vercel::lost_answer::reset_not_done);
    w.click(deployer, "deploy.go");
    auto unknown = w.wait_top_level("*outcome unknown*", 30s);
    REQUIRE(unknown);
    const auto text = all_text(*unknown);
    CHECK(has(text, "Check what example.id serves in Vercel"));
    CHECK(has(text, "`" + sha(3).substr(0, 7) + "`"));
    CHECK(has(text, "did not send the promote a second time"));
    CHECK(w.vc.promote_calls() == 1);   // never re-sent blindly
    CHECK(w.count_top_level("*failed*") == 0);
    REQUIRE(w.wait_checklist_has("*Outcome unknown*"));
    // Nothing stuck: the team can start again.
    w.command("prod", deployer);
    REQUIRE(w.wait_top_level("Production deploy #2"));
    w.stop();
    auto st = w.read_store();
    REQUIRE_FALSE(st.history.empty());
    CHECK(st.history.back().state == request_state::outcome_unknown);
}

TEST_CASE("safety: Vercel stops answering while the promote is followed → announced unknown within the bound") {
    world w;
    w.tweak = [](app_options& o) {
        o.cfg.http.timeout = std::chrono::milliseconds(500);
        o.cfg.http.max_retries = 0;
        o.cfg.vercel.promote_timeout = std::chrono::seconds(3);
    };
    ready_to_deploy(w);
    w.vc.set_alias_move_polls(1000000);   // accepted, never finishes
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_promote_posted());
    w.vc.set_latency(60s);                // and then Vercel hangs
    auto unknown = w.wait_top_level("*outcome unknown*", 30s);
    REQUIRE(unknown);
    CHECK(w.vc.promote_calls() == 1);
    CHECK(w.count_top_level("*failed*") == 0);
    w.vc.set_latency(0ms);
}

TEST_CASE("safety: /deploy status answers within its deadline while Vercel hangs, naming Vercel") {
    world w;
    started(w);
    w.vc.set_latency(30s);
    w.command("status", qa);
    auto st = w.wait_ephemeral(qa, "Vercel is not answering", 15s);
    REQUIRE(st);
    CHECK(has(all_text(*st), "*Lock*: not locked"));
    w.vc.set_latency(0ms);
}

TEST_CASE("safety: the live announcement's answer is lost → Slack is asked, exactly one announcement") {
    world w;
    ready_to_deploy(w);
    w.slack.lose_next_answer("chat.postMessage", 1);
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 30s));
    // The bot looks the post up by its metadata instead of posting again.
    REQUIRE(w.slack.wait_for_requests(
        [](const std::vector<fakes::recorded_request>& rs) {
            return std::any_of(rs.begin(), rs.end(), [](const auto& r) { return has(r.path, "conversations.history"); });
        },
        10s));
    expect_single_live(w);
}

TEST_CASE("safety: Slack answers 500 to the live announcement → retried until posted, once") {
    world w;
    ready_to_deploy(w);
    w.slack.http_error_next("chat.postMessage", 2, 500);
    w.click(deployer, "deploy.go");
    expect_single_live(w);
}

TEST_CASE("safety: an announcement owed when the bot stopped is posted after the restart, once") {
    world w;
    ready_to_deploy(w);
    w.slack.fail_next("chat.postMessage", 1000, "fatal_error");   // Slack broken for the rest of this run
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_checklist_has("*Live* on example.id", 30s));
    CHECK(w.vc.alias_target("example.id") == w.sc.staging_id);
    CHECK(w.count_top_level("is *live*") == 0);
    w.stop();
    CHECK(w.read_store().history.at(0).announcement_owed);
    w.slack.clear_faults("chat.postMessage");
    w.start();
    expect_single_live(w);
}

TEST_CASE("safety: the checklist post's answer is lost → one checklist message, and the bot knows its ts") {
    world w;
    started(w);
    w.slack.lose_next_answer("chat.postMessage", 1);
    w.request(deployer);
    REQUIRE(w.wait_checklist_has("Team notified (this message)"));
    CHECK(w.count_top_level("Production deploy #1") == 1);
    w.stop();
    auto st = w.read_store();
    REQUIRE(st.active);
    CHECK(st.active->message_ts == w.ts);
}

TEST_CASE("safety: a checklist that cannot be posted is retried; one that was deleted is posted again") {
    world w;
    started(w);
    w.slack.fail_next("chat.postMessage", 1, "not_in_channel");
    w.command("prod", deployer);
    REQUIRE(w.wait_ephemeral(deployer, "keep trying to post it"));
    w.command("prod", deployer2);
    REQUIRE(w.wait_ephemeral(deployer2, "could not be posted yet"));   // never points at a message that does not exist
    auto posted = w.wait_top_level("Production deploy #1", 15s);
    REQUIRE(posted);
    w.ts = posted->ts;
    CHECK(w.count_top_level("Production deploy #1") == 1);
    // Someone deletes it: the next update finds it gone and posts a new one.
    w.slack.delete_message(channel, w.ts);
    auto again = w.slack.wait_for_message(
        [&](const fakes::slack_message& m) {
            return m.thread_ts.empty() && m.ts != posted->ts && has(all_text(m), "Production deploy #1");
        },
        20s);
    REQUIRE(again);
    w.ts = again->ts;
    // Slack has the new message before the bot has read chat.postMessage's answer: wait until the bot updates
    // that message (it updates the ts it stored) after something changes, then stop.
    w.gh.set_check_run(sha(3), {.id = 9001, .name = "build", .status = "completed", .conclusion = "failure"});
    CHECK(w.slack.wait_for(
        [&](const fake_slack& s) {
            for (const auto& m : s.update_history(channel, again->ts))
                if (m.source == "chat.update") return true;
            return false;
        },
        10s));
    w.stop();
    auto st = w.read_store();
    REQUIRE(st.active);
    CHECK(st.active->message_ts == again->ts);
}

TEST_CASE("safety: a 30,000-character token-shaped command from anyone, anywhere, does not crash the bot") {
    world w;
    started(w);
    const std::string huge = "help xoxb-" + std::string(30000, 'a');
    w.slack.send_slash_command("/deploy", huge, outsider, "C0GENERAL01");
    w.slack.send_slash_command("/deploy", "help Bearer " + std::string(30000, 'b'), outsider, channel);
    REQUIRE(w.slack.wait_for([](const fake_slack& s) {
        int cut = 0;
        for (const auto& p : s.response_url_posts())
            if (has(boost::json::serialize(p.body), "deploybot read only the first 2000")) ++cut;
        return cut == 2;
    }, 15s));
    // Still alive and answering.
    w.command("status", qa);
    REQUIRE(w.wait_ephemeral(qa, "*Lock*"));
    for (const auto& line : w.logs.lines()) {
        CHECK(line.size() < 20000);
        CHECK(line.find("xoxb-aaaaaa") == std::string::npos);
        CHECK(line.find("Bearer bbbb") == std::string::npos);
    }
}

TEST_CASE("safety: secrets typed by users are not echoed, stored or audited") {
    world w;
    started(w);
    const std::string pasted = "oops ghp_abcdefghijklmnop0123 and xoxb-1234567890-abcdefABCDEF and " + w.vc.opts().token;
    w.command("lock " + pasted, admin);
    auto locked = w.wait_top_level("locked production deploys");
    REQUIRE(locked);
    const auto text = all_text(*locked);
    CHECK_FALSE(has(text, "ghp_abcdefghijklmnop0123"));
    CHECK_FALSE(has(text, "xoxb-1234567890"));
    CHECK_FALSE(has(text, w.vc.opts().token));
    CHECK(has(text, "[redacted]"));
    w.command("status", qa);
    auto st = w.wait_ephemeral(qa, "*Lock*");
    REQUIRE(st);
    CHECK_FALSE(has(all_text(*st), w.vc.opts().token));
    w.stop();
    auto db = store::open(w.dir + "/deploybot.sqlite3");
    REQUIRE(db);
    auto lock = (*db)->get_kv("deploy_lock");
    REQUIRE(lock);
    CHECK_FALSE(has(*lock, w.vc.opts().token));
    CHECK_FALSE(has(*lock, "ghp_abcdefghijklmnop0123"));
    for (const auto& a : (*db)->audit_tail(100)) {
        CHECK_FALSE(has(a.what, w.vc.opts().token));
        CHECK_FALSE(has(a.what, "ghp_abcdefghijklmnop0123"));
        CHECK_FALSE(has(a.detail, w.vc.opts().token));
    }
}

TEST_CASE("safety: a click from another channel or another message is refused and changes nothing") {
    world w;
    started(w);
    w.request(deployer);
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.signoff"); }));
    w.slack.send_block_action(qa, "C0GENERAL01", w.ts, "deploy.signoff", "1");
    REQUIRE(w.wait_ephemeral(qa, "not on production deploy #1's checklist message"));
    const auto other = w.slack.seed_message(channel, "unrelated", deployer);
    w.slack.send_block_action(qa, channel, other, "deploy.signoff", "1");
    REQUIRE(w.slack.wait_for([&](const fake_slack& s) {
        int n = 0;
        for (const auto& e : s.ephemerals())
            if (e.user == qa && has(all_text(e), "not on production deploy #1's checklist message")) ++n;
        return n == 2;
    }, 10s));
    CHECK_FALSE(has(*w.checklist(), "QA signed off"));
    w.stop();
    auto st = w.read_store();
    REQUIRE(st.active);
    CHECK_FALSE(st.active->sign_off);
}

TEST_CASE("safety: Refresh is rate limited per request") {
    world w;
    started(w);
    w.request(deployer);
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.refresh"); }));
    w.click(outsider, "deploy.refresh");
    w.click(outsider, "deploy.refresh");
    REQUIRE(w.wait_ephemeral(outsider, "refreshed moments ago"));
}

TEST_CASE("safety: a second process on the same database refuses to start and never connects") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start_process();
    auto second = w.spawn_process();
    const auto code = second->wait_exit(20s);
    REQUIRE(code);
    CHECK(*code == 1);
    CHECK(has(second->err(), "another deploybot (pid "));
    CHECK(has(second->err(), "deploybot.sqlite3"));
    CHECK(w.slack.num_connections() == 1);
    // A kill -9 of the first never blocks the restart.
    w.kill_process();
    w.start_process();
    w.command("help", qa);
    // Answered in the ack.
    REQUIRE(w.slack.wait_for([](const fake_slack& s) {
        for (const auto& a : s.acks())
            if (a.payload && a.payload->contains("blocks")) return true;
        return false;
    }, 10s));
}

TEST_CASE("safety: SIGKILL right after the checklist reached Slack → the restarted bot finds it; one message") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start_process();
    w.slack.set_latency(5s);   // the post arrives, its answer does not (yet)
    w.command("prod", deployer);
    REQUIRE(w.wait_top_level("Production deploy #1", 15s));
    w.kill_process();
    w.slack.set_latency(0ms);
    w.start_process();
    REQUIRE(w.wait_top_level("Production deploy #1"));
    const auto first = w.top_level();
    REQUIRE(first.size() == 1);
    w.ts = first[0].ts;
    // The restarted bot knows this message: the first update lands on it.
    REQUIRE(w.wait_checklist_has("Team notified (this message)", 15s));
    CHECK(w.count_top_level("Production deploy #1") == 1);
}

TEST_CASE("safety: SIGKILL after live, before the announcement's answer → after restart one announcement") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start_process();
    w.request(deployer);
    w.complete_checklist();
    w.slack.set_latency(5s);
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 30s));
    w.kill_process();
    w.slack.set_latency(0ms);
    w.start_process();
    // Give the restarted bot the time it needs to look and decide.
    REQUIRE(w.slack.wait_for_requests(
        [](const std::vector<fakes::recorded_request>& rs) {
            return std::any_of(rs.begin(), rs.end(), [](const auto& r) { return has(r.path, "conversations.history"); });
        },
        15s));
    REQUIRE(w.slack.wait_for([](const fake_slack& s) { return s.num_connections() == 1; }, 10s));
    w.proc->signal(SIGTERM);
    REQUIRE(w.proc->wait_exit(10s));
    w.proc.reset();
    CHECK(w.count_top_level("is *live*") == 1);
    CHECK(w.vc.promote_calls() == 1);
    auto st = w.read_store();
    REQUIRE(st.history.size() == 1);
    CHECK_FALSE(st.history[0].announcement_owed);
}

TEST_CASE("safety: a staging domain assigned to no deployment (deploymentId null) is said plainly, no empty id is fetched") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.vc.set_alias("staging.example.id", "");
    w.start();
    w.request(deployer);
    REQUIRE(w.wait_ephemeral(deployer, "staging.example.id is not assigned to a deployment"));
    for (const auto& r : w.vc.requests()) CHECK_FALSE(r.path == "/v13/deployments/");
    w.command("status", qa);
    REQUIRE(w.wait_ephemeral(qa, "not assigned to a deployment"));
}

TEST_CASE("safety: the rebuild's answer is lost (model B) → the build is found by its meta; one create, live") {
    world w;
    w.sc = w.vc.setup_model_b();
    w.seed_github();
    w.start();
    w.request(deployer);
    w.complete_checklist();
    w.vc.lose_next_create_answer();
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 30s));
    CHECK(w.vc.create_calls() == 1);
    CHECK(w.count_top_level("*failed*") == 0);
    const auto target = w.vc.alias_target("example.id");
    auto d = w.vc.deployment(target);
    REQUIRE(d);
    CHECK(d->git_sha == sha(3));
}

TEST_CASE("safety: an admin who is not a deployer can neither request nor trigger a production deploy") {
    world w;
    started(w);
    w.command("prod", admin);
    REQUIRE(w.wait_ephemeral(admin, "Only deployers can request a production deploy"));
    w.request(deployer);
    w.complete_checklist();
    w.click(admin, "deploy.go");
    REQUIRE(w.wait_ephemeral(admin, "Only deployers can deploy to production"));
    CHECK(w.vc.promote_calls() == 0);
}

TEST_CASE("safety: SIGKILL while collecting, after the sign-off → the restarted bot keeps it; one message, one promote") {
    world w;
    w.sc = w.vc.setup_model_a();
    w.seed_github();
    w.start_process();
    w.request(deployer);
    w.sign_off();
    w.kill_process();
    w.start_process();
    w.complete_rest();
    REQUIRE(w.wait_checklist([](const std::string& s) { return has_button(s, "deploy.go"); }, 15s));
    w.click(deployer, "deploy.go");
    REQUIRE(w.wait_top_level("is *live*", 30s));
    CHECK(w.count_top_level("*Staging build*") == 1);   // one checklist message
    CHECK(w.count_top_level("is *live*") == 1);
    CHECK(w.vc.promote_calls() == 1);
    w.proc->signal(SIGTERM);
    REQUIRE(w.proc->wait_exit(10s));
    w.proc.reset();
    auto st = w.read_store();
    REQUIRE(st.history.size() == 1);
    REQUIRE(st.history[0].sign_off);
    CHECK(st.history[0].sign_off->user == qa);
}
