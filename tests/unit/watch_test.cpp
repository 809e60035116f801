// The post-live phase, pure: the regression rule, the watch lifecycle of a
// deploy record (every watch event in every relevant state), the rollback
// record, the evidence decisions (rollback target, migration match) and the
// rendered messages (within Block Kit limits).
#include "commands/render/post_live_message.hpp"
#include "commands/workflow/deploy_request.hpp"
#include "commands/workflow/evidence.hpp"
#include "commands/workflow/watch.hpp"

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

using namespace deploybot;
using namespace std::chrono_literals;

namespace {

const time_point T = time_point{} + std::chrono::hours(24 * 20000);

deploy_request live_record(std::int64_t duration_s = 3600, std::int64_t interval_s = 300) {
    candidate_info c;
    c.deployment_id = "dpl_New";
    c.commit_sha = "bbbbbbb222";
    c.commit_message = "Fix cart";
    c.ready = true;
    auto r = make_deploy_request(4, "U_REQ", "C_DEPLOY", c, {"dpl_Old", "aaaaaaa111"}, true, "", T - 1h);
    r.state = request_state::promoting;
    r.promote.attempt_id = "4-1";
    r.message_ts = "1700000000.000100";
    promote_finished f{"4-1", true, "dpl_New", ""};
    f.watch_duration_s = duration_s;
    f.watch_interval_s = interval_s;
    auto t = apply(r, f, T);
    REQUIRE(t.changed);
    return t.request;
}

template <class E>
bool has_effect(const transition_result& t) {
    for (const auto& e : t.effects)
        if (std::holds_alternative<E>(e)) return true;
    return false;
}

watch_checked check(int index, std::int64_t events, bool observed = true) {
    watch_checked c;
    c.index = index;
    c.observed = observed;
    c.events = events;
    if (!observed) c.note = "sentry 503 unavailable";
    return c;
}

}  // namespace

TEST_CASE("watch rule: min_events AND ratio × baseline; no baseline → ratio × min_events") {
    const watch_policy p{10, 3.0};
    CHECK_FALSE(is_regression(3, 1.0, p));      // 1 → 3: three times, but low traffic
    CHECK_FALSE(is_regression(9, 0.0, p));
    CHECK(is_regression(50, 0.0, p));           // a quiet site that throws 50
    CHECK(is_regression(30, 10.0, p));          // exactly 3×
    CHECK_FALSE(is_regression(29, 10.0, p));
    CHECK_FALSE(is_regression(29, std::nullopt, p));
    CHECK(is_regression(30, std::nullopt, p));
    watch_info w;
    w.interval_s = 300;
    CHECK_FALSE(baseline_per_interval(w));
    w.baseline_hour = 24;
    CHECK(*baseline_per_interval(w) == doctest::Approx(2.0));
    w.last_week_hour = 120;                     // the larger of the two hours
    CHECK(*baseline_per_interval(w) == doctest::Approx(10.0));
}

TEST_CASE("watch lifecycle: live starts it; checks in order; one alert; ack; worse alerts again; verdict") {
    auto r = live_record();
    CHECK(r.state == request_state::live);
    CHECK(r.watch.phase == watch_phase::watching);
    CHECK(r.watch.live_at == T);
    CHECK(r.watch.intervals() == 12);

    auto t = apply(r, watch_baseline{12, -1}, T);
    REQUIRE(t.changed);
    r = t.request;
    CHECK(r.watch.baseline_hour == 12);
    CHECK_FALSE(apply(r, watch_baseline{12, -1}, T).changed);   // nothing new, nothing written

    CHECK_FALSE(apply(r, check(2, 5), T).changed);               // out of order: ignored
    t = apply(r, check(1, 2), T);
    REQUIRE(t.changed);
    CHECK(has_effect<watch_progress>(t));
    CHECK_FALSE(has_effect<watch_alert>(t));
    r = t.request;
    CHECK_FALSE(apply(r, check(1, 2), T).changed);               // a repeated check changes nothing

    t = apply(r, check(2, 40), T);                               // 40 ≥ 10 and ≥ 3 × 1.0
    CHECK(has_effect<watch_alert>(t));
    r = t.request;
    CHECK(r.watch.alert_open);
    CHECK(r.watch.alert_owed);
    CHECK(r.watch.alert_index == 2);
    t = apply(r, check(3, 60), T);                               // open alert: thread only
    CHECK_FALSE(has_effect<watch_alert>(t));
    r = t.request;

    t = apply(r, watch_acknowledged{"U_QA"}, T);
    REQUIRE(t.changed);
    r = t.request;
    CHECK_FALSE(r.watch.alert_open);
    CHECK(apply(r, watch_acknowledged{"U_QA"}, T).refused);     // nothing open any more

    t = apply(r, check(4, 35), T);                               // regression, but not worse than 40
    CHECK_FALSE(has_effect<watch_alert>(t));
    r = t.request;
    t = apply(r, check(5, 41), T);                               // worse → alerts again
    CHECK(has_effect<watch_alert>(t));
    r = t.request;
    CHECK(r.watch.alerts == 2);
    for (int k = 6; k <= 11; ++k) r = apply(r, check(k, 1), T).request;
    t = apply(r, check(12, 1), T);
    CHECK(has_effect<watch_summary>(t));
    r = t.request;
    CHECK(r.watch.phase == watch_phase::regressed);
    CHECK(r.watch.summary_owed);
    CHECK_FALSE(apply(r, check(13, 1), T).changed);              // finished: no more checks
    r = apply(r, watch_summary_posted{"17.1"}, T).request;
    CHECK_FALSE(r.watch.summary_owed);
    // The record round-trips through its JSON form.
    auto back = parse_request(serialize_request(r));
    REQUIRE(back.has_value());
    CHECK(*back == r);
}

TEST_CASE("watch verdict: stable, partly observed, not observed — no data is never a pass") {
    auto run = [](std::vector<bool> observed) {
        auto r = live_record(static_cast<std::int64_t>(observed.size()) * 300, 300);
        r = apply(r, watch_baseline{12, -1}, T).request;
        for (std::size_t i = 0; i < observed.size(); ++i)
            r = apply(r, check(static_cast<int>(i) + 1, 1, observed[i]), T).request;
        return r.watch;
    };
    auto all = run({true, true, true, true});
    CHECK(all.phase == watch_phase::stable);
    CHECK(describe_observed(all) == "observed 20 of 20 min");
    auto some = run({false, true, false, true});
    CHECK(some.phase == watch_phase::partly_observed);
    CHECK(describe_observed(some) == "observed 10 of 20 min");
    auto none = run({false, false, false, false});
    CHECK(none.phase == watch_phase::not_observed);
    CHECK(render_watch_phase(none).find("stable") == std::string::npos);
}

TEST_CASE("rollback record: promoting → live opens the post-mortem; the replaced deploy becomes rolled back") {
    candidate_info target;
    target.deployment_id = "dpl_Old";
    target.commit_sha = "aaaaaaa111";
    rollback_info info;
    info.rolls_back = 4;
    info.reason = "checkout broken";
    auto rb = make_rollback_record(5, "U_DEP", "C_DEPLOY", target, {"dpl_New", "bbbbbbb222"}, info, T);
    CHECK(rb.kind == record_kind::rollback);
    CHECK(rb.state == request_state::promoting);
    auto resume = resume_effects(rb);
    REQUIRE(resume.size() == 1);
    CHECK(std::get<verify_rollback>(resume[0]).sent_baseline_ms == -1);
    // Checklist input on a rollback record is refused.
    CHECK(apply(rb, qa_sign_off_clicked{"U_QA"}, T).refused);
    rb = apply(rb, promote_sending{"5-1", "dpl_Old", 1234}, T).request;
    CHECK(std::get<verify_rollback>(resume_effects(rb)[0]).sent_baseline_ms == 1234);
    promote_finished f{"5-1", true, "dpl_Old", ""};
    auto t = apply(rb, f, T + 30s);
    CHECK(has_effect<open_postmortem>(t));
    CHECK(has_effect<announce_live>(t));
    CHECK_FALSE(has_effect<start_watch>(t));   // no watch configured in this event
    rb = t.request;
    CHECK(rb.postmortem.owed);
    CHECK(std::holds_alternative<open_postmortem>(resume_effects(rb).back()));
    rb = apply(rb, postmortem_failed{"github 503", false}, T).request;
    CHECK(rb.postmortem.owed);
    rb = apply(rb, postmortem_opened{"https://github.com/acme/shop-web/issues/7"}, T).request;
    CHECK_FALSE(rb.postmortem.owed);
    CHECK(resume_effects(rb).empty());

    auto bad = live_record();
    t = apply(bad, replaced_by{5, true}, T + 31s);
    REQUIRE(t.changed);
    CHECK(t.request.state == request_state::rolled_back);
    CHECK(t.request.rolled_back_by == 5);
    CHECK(t.request.watch.phase == watch_phase::ended);
    CHECK(t.request.watch.summary_owed);
    CHECK(has_effect<watch_summary>(t));
    // A newer deploy going live ends an older watch without rolling it back.
    t = apply(live_record(), replaced_by{6, false}, T);
    CHECK(t.request.state == request_state::live);
    CHECK(t.request.watch.phase == watch_phase::ended);
}

TEST_CASE("evidence: the rollback target is the newest eligible deployment older than the current one") {
    std::vector<deployment_ref> list{{"dpl_A", 100}, {"dpl_C", 300}, {"dpl_B", 200}, {"dpl_D", 400}};
    auto t = pick_rollback_target(list, "dpl_C", 300);
    REQUIRE(t);
    CHECK(t->id == "dpl_B");
    CHECK(pick_rollback_target(list, "dpl_C", 300, "dpl_B")->id == "dpl_A");   // excluded (e.g. the staging build)
    CHECK_FALSE(pick_rollback_target(list, "dpl_A", 100));
    CHECK_FALSE(pick_rollback_target({}, "dpl_A", 100));
    auto files = migration_files({{"prisma/migrations/1/a.sql", ""}, {"src/x.ts", ""}, {"db/new.sql", "prisma/migrations/old.sql"}},
                                 {"prisma/migrations/", ""});
    CHECK(files == std::vector<std::string>{"prisma/migrations/1/a.sql", "db/new.sql"});
}

TEST_CASE("rollback button values round-trip; hostile values are refused") {
    rollback_offer o;
    o.target.deployment_id = "dpl_Old";
    o.from.deployment_id = "dpl_New";
    o.reason = "checkout | broken";
    auto v = parse_rollback_value(rollback_offer_value(o));
    REQUIRE(v);
    CHECK_FALSE(v->from_alert);
    CHECK(v->target == "dpl_Old");
    CHECK(v->from == "dpl_New");
    CHECK(v->reason == "checkout | broken");
    auto a = parse_rollback_value(rollback_alert_value(42));
    REQUIRE(a);
    CHECK(a->from_alert);
    CHECK(a->record == 42);
    for (const char* bad : {"", "a|", "a|x", "a|-1", "o|", "o|dpl", "x|1", "a|99999999999999999999"})
        CHECK_FALSE(parse_rollback_value(bad));
}

TEST_CASE("post-live messages stay within Block Kit limits and carry the buttons") {
    auto r = live_record();
    r = apply(r, watch_baseline{12, 3}, T).request;
    watch_checked c = check(1, 400);
    for (int i = 0; i < 30; ++i) c.new_issues.push_back({"SHOP-" + std::to_string(i), std::string(500, 'x'), "https://s/i", 5});
    r = apply(r, c, T).request;
    message_context mc;
    mc.now = T;
    mc.production_domain = "example.id";
    auto alert = render_watch_alert(r, 1, alert_context{"here", "https://sentry/x", "dpl_Old (aaaaaaa)"}, mc);
    CHECK(blocks::validate(alert.blocks).empty());
    const auto json = boost::json::serialize(alert.blocks);
    CHECK(json.find("\"action_id\":\"rollback.go\"") != std::string::npos);
    CHECK(json.find("\"action_id\":\"watch.ack\"") != std::string::npos);
    CHECK(json.find("<!here>") != std::string::npos);
    CHECK(json.find("dpl_Old (aaaaaaa)") != std::string::npos);
    CHECK_FALSE(alert.text.empty());
    auto summary = render_watch_summary(r, mc);
    CHECK(blocks::validate(summary.blocks).empty());
    rollback_offer o;
    o.target.deployment_id = "dpl_Old";
    o.target.commit_message = std::string(5000, 'm');
    o.crosses_migrations = true;
    o.migration_files = std::vector<std::string>(40, "prisma/migrations/x.sql");
    o.reason = std::string(3000, 'r');
    auto offer = render_rollback_offer(o, mc);
    CHECK(blocks::validate(offer.blocks).empty());
    CHECK(parse_rollback_value(rollback_offer_value(o)));   // the value fits Slack's 2000 characters
    CHECK(rollback_offer_value(o).size() <= blocks::max_button_value);
}
