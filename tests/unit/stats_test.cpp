#include "commands/workflow/stats.hpp"

#include <date/date.h>
#include <doctest/doctest.h>

using namespace deploybot;
using namespace std::chrono;
using tp = system_clock::time_point;

namespace {

tp utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
    return date::sys_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} + minutes{mi};
}

const tp now = utc(2026, 3, 2, 2);   // Mon 2 Mar 09:00 WIB

// A record that went live at `live` (requested an hour before), serving deployment "dpl_<id>".
deploy_request went_live(std::int64_t id, record_kind kind, tp live) {
    deploy_request r;
    r.id = id;
    r.kind = kind;
    r.state = request_state::live;
    r.created_at = live - hours(1);
    r.updated_at = live;
    r.candidate.commit_sha = "sha" + std::to_string(id);
    r.candidate.deployment_id = "dpl_" + std::to_string(id);
    r.promote.target_deployment_id = r.candidate.deployment_id;
    r.promote.finished_at = live;
    r.promote.outcome = "live";
    return r;
}

deploy_request rollback_of(std::int64_t id, const deploy_request& bad, tp started,
                           std::optional<tp> live) {
    deploy_request r;
    r.id = id;
    r.kind = record_kind::rollback;
    r.created_at = started;
    r.updated_at = live.value_or(started);
    r.state = live ? request_state::live : request_state::promoting;
    r.rollback.rolls_back = bad.id;
    r.production = production_info{bad.promote.target_deployment_id, bad.candidate.commit_sha};
    if (live) {
        r.promote.finished_at = live;
        r.promote.outcome = "live";
        r.promote.target_deployment_id = "dpl_older";
    }
    return r;
}

// A watch that regressed at its check `index` (5-minute intervals).
void regress(deploy_request& r, int index) {
    r.watch.live_at = *r.promote.finished_at;
    r.watch.interval_s = 300;
    r.watch.duration_s = 3600;
    r.watch.phase = watch_phase::regressed;
    for (int i = 1; i <= index; ++i) r.watch.checks.push_back(watch_check{i, true, i == index ? 90 : 2, i == index, ""});
}

}  // namespace

TEST_CASE("stats: days are 1–365, 30 by default, and anything else is refused with the range") {
    CHECK(parse_stats_days("").days == 30);
    CHECK(parse_stats_days("7").days == 7);
    CHECK(parse_stats_days("365").days == 365);
    for (const char* bad : {"abc", "0", "100000", "-3", "7d", "99999999999999999999", "1.5"}) {
        CAPTURE(bad);
        const auto d = parse_stats_days(bad);
        CHECK_FALSE(d.days);
        CHECK(d.error.find("from 1 to 365") != std::string::npos);
    }
    CHECK(parse_stats_days("0").error.find("0 days") != std::string::npos);
    CHECK(parse_stats_days("100000").error.find("more than a year") != std::string::npos);
}

TEST_CASE("stats: no records give no figures, not zeros") {
    const auto rep = compute_stats({}, now, 30);
    CHECK(rep.days == 30);
    CHECK(rep.current.from == now - days(30));
    CHECK(rep.previous.to == now - days(30));
    CHECK(rep.current.deploys == 0);
    CHECK_FALSE(rep.current.lead_time_median);
    CHECK_FALSE(rep.current.failure_rate());
    CHECK_FALSE(rep.current.restore_median);
    CHECK(rep.previous.records == 0);
}

TEST_CASE("stats: frequency and lead time from the PRs stored with a deploy") {
    auto d = went_live(1, record_kind::production, now - days(3));
    d.changes.head_sha = d.candidate.commit_sha;
    d.changes.prs = {{11, now - days(3) - days(2)}, {12, now - days(3) - days(4)}, {13, now - days(3) - hours(30)}};
    // Its PRs were read for a commit that is not the one that went live: not counted.
    auto other = went_live(2, record_kind::production, now - days(1));
    other.changes.head_sha = "something-else";
    other.changes.prs = {{14, now - days(20)}};
    // Never went live: no deploy.
    auto cancelled = went_live(3, record_kind::production, now - days(2));
    cancelled.state = request_state::cancelled;
    cancelled.promote = {};
    // Went live before the period: the previous period's.
    auto old = went_live(4, record_kind::production, now - days(40));

    const auto rep = compute_stats({d, other, cancelled, old}, now, 30);
    CHECK(rep.current.deploys == 2);
    CHECK(rep.current.hotfixes == 0);
    REQUIRE(rep.current.lead_time_median);
    CHECK(*rep.current.lead_time_median == days(2));   // median of 2 d, 4 d, 30 h
    CHECK(rep.current.lead_time_prs == 3);
    CHECK(rep.current.lead_time_deploys == 1);
    CHECK(rep.current.lead_time_unknown == 1);
    CHECK(rep.current.failed == 0);
    REQUIRE(rep.current.failure_rate());
    CHECK(*rep.current.failure_rate() == doctest::Approx(0.0));
    CHECK(rep.previous.deploys == 1);
    CHECK(rep.previous.lead_time_unknown == 1);
    CHECK_FALSE(rep.previous.lead_time_median);
}

TEST_CASE("stats: a rollback of a deploy from the previous period fails that period and restores in this one") {
    const auto live = now - days(30) - minutes(30);   // just before this period
    auto bad = went_live(1, record_kind::production, live);
    bad.state = request_state::rolled_back;
    bad.rolled_back_by = 2;
    regress(bad, 3);   // alert 15 min after live
    const auto rb = rollback_of(2, bad, live + minutes(25), live + minutes(40));
    auto good = went_live(3, record_kind::production, now - days(5));

    const auto rep = compute_stats({bad, rb, good}, now, 30);
    // The rollback went live 10 min into this period.
    CHECK(rep.current.deploys == 1);
    CHECK(rep.current.failed == 0);
    CHECK(rep.current.restores == 1);
    REQUIRE(rep.current.restore_median);
    CHECK(*rep.current.restore_median == minutes(25));   // alert (live + 15 min) → rollback live (+40 min)
    CHECK(rep.previous.deploys == 1);
    CHECK(rep.previous.failed == 1);
    CHECK(rep.previous.restores == 0);
    REQUIRE(rep.previous.failure_rate());
    CHECK(*rep.previous.failure_rate() == doctest::Approx(1.0));
}

TEST_CASE("stats: a rollback without an alert is timed from its own start") {
    auto bad = went_live(1, record_kind::production, now - days(2));
    bad.state = request_state::rolled_back;
    const auto rb = rollback_of(2, bad, now - days(1), now - days(1) + minutes(3));
    const auto rep = compute_stats({bad, rb}, now, 7);
    CHECK(rep.current.failed == 1);
    REQUIRE(rep.current.restore_median);
    CHECK(*rep.current.restore_median == minutes(3));
}

TEST_CASE("stats: a hotfix is a deploy, fails the deploy it was made on, and restores") {
    auto broken = went_live(1, record_kind::production, now - days(4));
    auto fix = went_live(2, record_kind::hotfix, now - days(4) + hours(5));
    fix.created_at = now - days(4) + hours(2);
    fix.production = production_info{broken.promote.target_deployment_id, broken.candidate.commit_sha};
    // A hotfix requested on top of another deploy but cancelled before it went out blames nobody.
    auto fine = went_live(3, record_kind::production, now - days(2));
    auto dropped = went_live(4, record_kind::hotfix, now - days(1));
    dropped.state = request_state::cancelled;
    dropped.promote = {};
    dropped.production = production_info{fine.promote.target_deployment_id, fine.candidate.commit_sha};

    const auto rep = compute_stats({broken, fix, fine, dropped}, now, 30);
    CHECK(rep.current.deploys == 3);
    CHECK(rep.current.hotfixes == 1);
    CHECK(rep.current.failed == 1);
    REQUIRE(rep.current.failure_rate());
    CHECK(*rep.current.failure_rate() == doctest::Approx(1.0 / 3));
    CHECK(rep.current.restores == 1);
    REQUIRE(rep.current.restore_median);
    CHECK(*rep.current.restore_median == hours(3));   // hotfix requested → live
}

TEST_CASE("stats: a watch that regressed fails the deploy even without a rollback") {
    auto d = went_live(1, record_kind::production, now - days(3));
    regress(d, 2);
    auto ok = went_live(2, record_kind::production, now - days(2));
    ok.watch.phase = watch_phase::stable;
    const auto rep = compute_stats({d, ok}, now, 30);
    CHECK(rep.current.deploys == 2);
    CHECK(rep.current.failed == 1);
    CHECK_FALSE(rep.current.restore_median);   // nothing restored production
}

TEST_CASE("stats: an ongoing rollback fails its deploy and is an open incident, not a restore") {
    auto bad = went_live(1, record_kind::production, now - hours(3));
    const auto rb = rollback_of(2, bad, now - minutes(10), std::nullopt);
    const auto rep = compute_stats({bad, rb}, now, 30);
    CHECK(rep.current.deploys == 1);
    CHECK(rep.current.failed == 1);
    CHECK(rep.current.restores == 0);
    CHECK_FALSE(rep.current.restore_median);
    CHECK(rep.current.open_incidents == 1);
}

TEST_CASE("stats: medians of an even count take the middle two") {
    std::vector<deploy_request> rs;
    for (int i = 0; i < 4; ++i) {
        auto d = went_live(i + 1, record_kind::production, now - days(i + 1));
        d.changes.head_sha = d.candidate.commit_sha;
        d.changes.prs = {{100 + i, now - days(i + 1) - hours(10 * (i + 1))}};   // 10, 20, 30, 40 h
        rs.push_back(d);
    }
    const auto rep = compute_stats(rs, now, 30);
    REQUIRE(rep.current.lead_time_median);
    CHECK(*rep.current.lead_time_median == hours(25));
    CHECK(rep.current.lead_time_deploys == 4);
}

TEST_CASE("stats: the PRs a record ships are kept while it is open and saved with it") {
    auto r = make_deploy_request(7, "U1", "C1", candidate_info{"dpl_7", "", "abc1234", "msg"}, production_info{}, true,
                                 "", now);
    const changes_read ev{"abc1234", {{41, now - days(3)}, {42, now - days(1)}}};
    auto t = apply(r, ev, now);
    REQUIRE(t.changed);
    CHECK(t.request.changes.head_sha == "abc1234");
    REQUIRE(t.request.changes.prs.size() == 2);
    CHECK(t.request.changes.prs[1].pr_number == 42);
    CHECK_FALSE(apply(t.request, ev, now).changed);   // the same again changes nothing
    auto back = parse_request(serialize_request(t.request));
    REQUIRE(back.has_value());
    CHECK(back->changes == t.request.changes);
    // Settled once the record is terminal.
    auto done = t.request;
    done.state = request_state::live;
    CHECK_FALSE(apply(done, changes_read{"other", {}}, now).changed);
}
