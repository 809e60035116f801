// Golden-text snapshots of the production deploy messages, rendered as plain
// text (tests/fixtures/messages/*.txt). Review a change by reading the diff of
// those files; DEPLOYBOT_UPDATE_GOLDEN=1 rewrites them.
#include "blocks_text.hpp"
#include "bot/core/permissions.hpp"
#include "commands/render/deploy_message.hpp"
#include "commands/render/refusal_text.hpp"

#include <date/date.h>
#include <doctest/doctest.h>

using namespace deploybot;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

time_point utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
    return date::sys_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} + minutes{mi};
}

// Tue 1 Dec 2026 10:24 WIB: inside the default window (Tue 10:00–12:00 WIB).
const time_point t0 = utc(2026, 12, 1, 3, 24);
// Wed 2 Dec 10:24 WIB: outside; the next window is Thu 3 Dec 10:00 WIB.
const time_point t_closed = utc(2026, 12, 2, 3, 24);

const std::string deployer = "U0DEPLOYER";
const std::string qa_lead = "U0QALEAD";

message_context context_at(time_point now) {
    message_context ctx;
    ctx.now = now;
    ctx.window = evaluate_schedule(ctx.schedule, now);
    ctx.production_domain = "app.clario.id";
    ctx.staging_domain = "staging.clario.id";
    ctx.qa_leads = {qa_lead};
    return ctx;
}

candidate_info staging_build(time_point now) {
    candidate_info c;
    c.deployment_id = "dpl_apoFU0YMJfpn9Jk0IAMoX4fUxELA";
    c.url = "https://app-zdusfdmjx-clario.vercel.app";
    c.commit_sha = "4b92478158b29f1e86859f8e192de7c221d0a7d7";
    c.commit_message = "Add invoice export to billing page (#481)";
    c.created_at = now - hours{1};
    c.model = staging_model::staged_production;
    c.ready = true;
    c.ready_substate = "STAGED";
    return c;
}

deploy_request step(const deploy_request& r, const deploy_event& e, time_point now) {
    auto res = apply(r, e, now);
    REQUIRE_FALSE(res.refused.has_value());
    return res.request;
}

// The first post: nothing is known yet (the bot posts before it reads Vercel and GitHub).
deploy_request requested(time_point now) {
    const auto ws = evaluate_schedule(config::schedule_t{}, now);
    return make_deploy_request(1, deployer, "C0DEPLOYS", {}, {}, ws.is_open, ws.next_open_text, now);
}

checklist_evaluated evaluation(time_point now) {
    checklist_evaluated e;
    e.staging = staging_build(now);
    e.production = {"dpl_gM51UeK3PDsHWU8okwgVR4V0u0mm", "4faa4db2c1e0b7f4d2a3c1e0b7f4d2a3c1e0b7f4"};
    e.ci.verdict = ci_state::green;
    e.ci.summary = "5 checks passed";
    e.ci_url = "https://github.com/clario/app/commit/4b92478158b29f1e86859f8e192de7c221d0a7d7/checks";
    e.touches_migrations = true;
    e.migration_files = {"prisma/migrations/20260120_add_invoice_table/migration.sql"};
    e.rollback_eligible = true;
    e.rollback_target_id = "dpl_dn9k7ZYQwm7vlFG7WKfKbwxiBcfL";
    e.rollback_detail = "`5d3462e` Release 2026-01-13";
    return e;
}

// The main checklist: posted, Vercel and CI read, people still to click.
deploy_request open_checklist(time_point now) {
    auto r = step(requested(now), message_posted{"C0DEPLOYS", "1700000000.000100"}, now);
    return step(r, evaluation(now), now);
}

deploy_request ready(time_point now) {
    auto r = open_checklist(now);
    r = step(r, qa_sign_off_clicked{qa_lead}, now);
    r = step(r, confirm_migrations{deployer}, now);
    r = step(r, flags_chosen{deployer, flags_choice::configured}, now);
    return step(r, confirm_rollback_plan{deployer}, now);
}

release_notes notes() {
    release_notes n;
    n.prs = {{481, "Add invoice export to billing page", "dewi-s", "https://github.com/clario/app/pull/481",
              pr_review_status::approved, {"rina-a", "joko-w"}, {}}};
    n.compare_url = "https://github.com/clario/app/compare/4faa4db...4b92478";
    n.total_commits = 3;
    n.loaded = true;
    return n;
}

void check_valid(const blocks::message& m) {
    const auto problems = blocks::validate(m.blocks);
    CHECK_MESSAGE(problems.empty(), (problems.empty() ? std::string() : problems.front()));
}

}  // namespace

TEST_CASE("golden: the checklist's first post, before anything is read") {
    const auto m = render_deploy_message(requested(t0), {}, context_at(t0));
    check_valid(m);
    CHECK_GOLDEN("checklist_first_post", m);
}

TEST_CASE("golden: the open checklist (the main message)") {
    const auto m = render_deploy_message(open_checklist(t0), notes(), context_at(t0));
    check_valid(m);
    CHECK_GOLDEN("checklist_open", m);
}

TEST_CASE("golden: the checklist, ready to deploy") {
    const auto m = render_deploy_message(ready(t0), notes(), context_at(t0));
    check_valid(m);
    CHECK_GOLDEN("checklist_ready", m);
}

TEST_CASE("golden: the checklist while promoting, and live") {
    auto promoting = step(ready(t0), deploy_clicked{deployer, true, ""}, t0 + seconds{10});
    const auto pm = render_deploy_message(promoting, notes(), context_at(t0 + seconds{10}));
    check_valid(pm);
    CHECK_GOLDEN("checklist_promoting", pm);
    const auto live = step(promoting, promote_finished{"1-1", true, "", ""}, t0 + seconds{12});
    const auto lm = render_deploy_message(live, notes(), context_at(t0 + seconds{12}));
    check_valid(lm);
    CHECK_GOLDEN("checklist_live", lm);
}

TEST_CASE("golden: the checklist outside the window") {
    const auto m = render_deploy_message(open_checklist(t_closed), notes(), context_at(t_closed));
    check_valid(m);
    CHECK_GOLDEN("checklist_scheduled", m);
}

TEST_CASE("golden: the checklist once Vercel answered and GitHub has not") {
    const auto m = render_deploy_message(open_checklist(t0), {}, context_at(t0));
    check_valid(m);
    CHECK_GOLDEN("checklist_ships_loading", m);
}

TEST_CASE("golden: the live and failed posts (in the checklist's thread, broadcast)") {
    auto promoting = step(ready(t0), deploy_clicked{deployer, true, ""}, t0 + seconds{10});
    const auto live = step(promoting, promote_finished{"1-1", true, "", ""}, t0 + seconds{12});
    const auto same = render_live_announcement(live, context_at(t0 + seconds{12}));
    check_valid(same);
    CHECK_GOLDEN("announce_live_requester_deployed", same);

    auto other = ready(t0);
    other.requester = "U0REQUESTER";
    auto p2 = step(other, deploy_clicked{deployer, true, ""}, t0 + seconds{10});
    const auto live2 = step(p2, promote_finished{"1-1", true, "", ""}, t0 + seconds{75});
    const auto m2 = render_live_announcement(live2, context_at(t0 + seconds{75}));
    check_valid(m2);
    CHECK_GOLDEN("announce_live", m2);

    const auto failed = step(promoting, promote_finished{"1-1", false, "", "Vercel answered 500: internal error"},
                             t0 + seconds{14});
    const auto fm = render_failed_announcement(failed, context_at(t0 + seconds{14}));
    check_valid(fm);
    CHECK_GOLDEN("announce_failed", fm);
    const auto fc = render_deploy_message(failed, notes(), context_at(t0 + seconds{14}));
    check_valid(fc);
    CHECK_GOLDEN("checklist_failed", fc);
}

TEST_CASE("golden: refusals name who can act and what to do") {
    // Deploy clicked outside the window: the admin's override is the way out.
    auto r = ready(t_closed);
    const auto outside = apply(r, deploy_clicked{deployer, false, "Thu 3 Dec 10:00 WIB"}, t_closed);
    REQUIRE(outside.refused);
    // A second click while promoting: no internal attempt id.
    auto promoting = step(ready(t0), deploy_clicked{deployer, true, ""}, t0);
    const auto twice = apply(promoting, deploy_clicked{deployer, true, ""}, t0);
    REQUIRE(twice.refused);
    config::people_t people;
    people.deployers = {deployer};
    people.qa_leads = {qa_lead, "U0QALEAD2"};
    const auto qa = check_permission(people, deployer, action::sign_off_staging);
    blocks::message m;
    m.text = "refusals";
    m.blocks.push_back(blocks::section(refusal_text(*outside.refused), "outside"));
    m.blocks.push_back(blocks::section(refusal_text(*twice.refused), "twice"));
    m.blocks.push_back(blocks::section(qa.reason, "qa"));
    CHECK_GOLDEN("refusals", m);
}

TEST_CASE("golden: README's example checklist is the renderer's output") {
    std::ifstream in(std::string(DEPLOYBOT_FIXTURES) + "/../../README.md");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string indented;
    std::istringstream golden(test::read_golden("checklist_open"));
    for (std::string line; std::getline(golden, line);) indented += "    " + line + "\n";
    CHECK_MESSAGE(ss.str().find(indented) != std::string::npos,
                  "README.md's example differs from tests/fixtures/messages/checklist_open.txt: paste it again");
}
