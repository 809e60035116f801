#include "commands/render/stats_message.hpp"

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

using namespace deploybot;
using namespace std::chrono;

namespace {

stats_report sample() {
    stats_report r;
    r.days = 30;
    auto& c = r.current;
    c.records = 9;
    c.deploys = 7;
    c.hotfixes = 1;
    c.lead_time_median = hours(52);
    c.lead_time_prs = 12;
    c.lead_time_deploys = 6;
    c.lead_time_unknown = 1;
    c.failed = 2;
    c.restore_median = minutes(25);
    c.restores = 2;
    auto& p = r.previous;
    p.records = 6;
    p.deploys = 5;
    p.lead_time_median = hours(73);
    p.lead_time_prs = 8;
    p.lead_time_deploys = 5;
    p.failed = 1;
    p.restore_median = minutes(25);
    p.restores = 1;
    return r;
}

}  // namespace

TEST_CASE("stats message: golden fallback text with trends and what each figure is based on") {
    const auto m = render_stats_message(sample(), "Deploy stats — last 30 days");
    CHECK(m.text ==
          "Deploy stats — last 30 days\n"
          "Deployment frequency: 7 deploys (1.6 per week), 1 of them a hotfix; ↑ from 5 · based on 7 deploys\n"
          "Lead time for changes: median 2 d 4 h over 12 PRs; ↓ from 3 d 1 h · based on 6 deploys (1 deploy without "
          "recorded PRs not counted)\n"
          "Change failure rate: 29% (2 of 7 rolled back, hotfixed or regressed); ↑ from 20% · based on 7 deploys\n"
          "Time to restore: median 25 min; = same as before · based on 2 rollbacks and hotfixes\n");
    REQUIRE(m.blocks.size() == 3);
    const auto& fields = m.blocks[1].as_object().at("fields").as_array();
    REQUIRE(fields.size() == 4);
    CHECK(fields[0].as_object().at("text").as_string() ==
          "*Deployment frequency*\n7 deploys (1.6 per week), 1 of them a hotfix\n↑ from 5 · based on 7 deploys");
    CHECK(fields[3].as_object().at("text").as_string() ==
          "*Time to restore*\nmedian 25 min\n= same as before · based on 2 rollbacks and hotfixes");
    CHECK(blocks::validate(m.blocks).empty());
}

TEST_CASE("stats message: no data says so instead of zeros") {
    stats_report r;
    r.days = 7;
    const auto m = render_stats_message(r, "Weekly deploy digest");
    CHECK(m.text ==
          "Weekly deploy digest\n"
          "Deployment frequency: no deploy went live; no figure for the previous 7 days · based on 0 deploys\n"
          "Lead time for changes: not enough data · based on 0 deploys\n"
          "Change failure rate: not enough data (no deploy went live)\n"
          "Time to restore: not enough data (nothing was rolled back or hotfixed)\n");
    CHECK(blocks::validate(m.blocks).empty());
}

TEST_CASE("stats message: a first period, an open incident and a lone restore") {
    stats_report r;
    r.days = 1;
    r.current.records = 3;
    r.current.deploys = 2;
    r.current.failed = 1;
    r.current.restore_median = seconds(40);
    r.current.restores = 1;
    r.current.open_incidents = 1;
    CHECK(render_frequency(r) == "2 deploys (2.0 per day)\nno figure for the previous 1 day · based on 2 deploys");
    CHECK(render_failure_rate(r) ==
          "50% (1 of 2 rolled back, hotfixed or regressed)\nno figure for the previous 1 day · based on 2 deploys");
    CHECK(render_time_to_restore(r) ==
          "median 40 s\nno figure for the previous 1 day · based on 1 rollback or hotfix; 1 still under way");
}

TEST_CASE("stats message: durations") {
    CHECK(describe_stats_duration(seconds(40)) == "40 s");
    CHECK(describe_stats_duration(minutes(12)) == "12 min");
    CHECK(describe_stats_duration(hours(3) + minutes(5)) == "3 h 5 min");
    CHECK(describe_stats_duration(hours(3)) == "3 h");
    CHECK(describe_stats_duration(hours(52)) == "2 d 4 h");
    CHECK(describe_stats_duration(hours(48)) == "2 d");
}
