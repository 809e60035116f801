#include "commands/render/deploy_message.hpp"

#include <date/date.h>
#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include <algorithm>

using namespace deploybot;
namespace json = boost::json;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

time_point utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
    return date::sys_days{date::year{y} / date::month{mo} / date::day{d}} + hours{h} + minutes{mi};
}

const time_point t_open = utc(2026, 12, 1, 3);     // Tue 10:00 WIB
const time_point t_closed = utc(2026, 12, 2, 3);   // Wed 10:00 WIB

message_context context_at(time_point now) {
    message_context ctx;
    ctx.now = now;
    ctx.window = evaluate_schedule(ctx.schedule, now);
    ctx.production_domain = "app.clario.id";
    return ctx;
}

deploy_request base(time_point now) {
    return make_deploy_request(12, "U_REQ", "C_DEPLOY",
                               {"dpl_A", "https://shop-a.vercel.app", "9b0d5e1c7a3f", "Fix cart total rounding (#412)\nbody",
                                now - hours{2} - minutes{5}, staging_model::staged_production, true},
                               {"dpl_P", "3c1e0b7f4d2a"}, true, "", now);
}

deploy_request step(const deploy_request& r, const deploy_event& e, time_point now) {
    auto res = apply(r, e, now);
    REQUIRE_FALSE(res.refused.has_value());
    return res.request;
}

deploy_request partial(time_point now) {
    auto r = step(base(now), message_posted{"C_DEPLOY", "1.2"}, now);
    checklist_evaluated e;
    e.staging = r.candidate;
    e.ci.verdict = ci_state::green;
    e.ci.summary = "12 checks passed";
    e.rollback_eligible = true;
    e.rollback_target_id = "dpl_P";
    return step(r, e, now);
}

deploy_request deployable(time_point now) {
    auto r = partial(now);
    r = step(r, qa_sign_off_clicked{"U_QA"}, now);
    r = step(r, flags_chosen{"U_REQ", flags_choice::configured}, now);
    return step(r, confirm_rollback_plan{"U_REQ"}, now);
}

release_notes small_notes() {
    release_notes n;
    n.prs = {{412, "Fix cart total rounding", "budi-dev", "https://github.com/acme/shop-web/pull/412",
              pr_review_status::approved, {"sari-dev"}, {}},
             {409, "Add promo banner", "sari-dev", "https://github.com/acme/shop-web/pull/409",
              pr_review_status::unreviewed, {}, {}}};
    n.compare_url = "https://github.com/acme/shop-web/compare/3c1e0b7f4d2a...9b0d5e1c7a3f";
    n.total_commits = 2;
    n.loaded = true;
    return n;
}

std::vector<std::string> action_ids(const json::array& blocks) {
    std::vector<std::string> ids;
    for (const auto& b : blocks) {
        const auto& o = b.as_object();
        if (const auto* acc = o.if_contains("accessory")) ids.emplace_back(acc->as_object().at("action_id").as_string());
        if (o.at("type").as_string() == "actions")
            for (const auto& el : o.at("elements").as_array())
                ids.emplace_back(el.as_object().at("action_id").as_string());
    }
    return ids;
}

const json::object* find_button(const json::array& blocks, std::string_view id) {
    for (const auto& b : blocks) {
        const auto& o = b.as_object();
        if (const auto* acc = o.if_contains("accessory"); acc && acc->as_object().at("action_id").as_string() == id)
            return &acc->as_object();
        if (o.at("type").as_string() == "actions")
            for (const auto& el : o.at("elements").as_array())
                if (el.as_object().at("action_id").as_string() == id) return &el.as_object();
    }
    return nullptr;
}


bool signoff_confirm_mentions_commit(const json::array& blocks) {
    const auto* b = find_button(blocks, "deploy.signoff");
    if (!b || !b->contains("confirm")) return false;
    const auto text = std::string(b->at("confirm").as_object().at("text").as_object().at("text").as_string());
    return text.find("9b0d5e1 “Fix cart total rounding (#412)”") != std::string::npos;
}

}  // namespace

TEST_CASE("deploy_message: action ids are stable and parseable") {
    for (auto a : {deploy_action::signoff, deploy_action::migrations, deploy_action::flags_configured,
                   deploy_action::flags_not_needed, deploy_action::rollback_plan, deploy_action::refresh,
                   deploy_action::cancel, deploy_action::go})
        CHECK(parse_deploy_action(action_id(a)) == a);
    CHECK(action_id(deploy_action::go) == "deploy.go");
    CHECK(action_id(deploy_action::flags_not_needed) == "deploy.flags.not_needed");
    CHECK_FALSE(parse_deploy_action("deploy.nope"));
}

TEST_CASE("deploy_message: open checklist shows items, buttons, and no deploy button") {
    const auto ctx = context_at(t_open);
    const auto m = render_deploy_message(partial(t_open), small_notes(), ctx);
    CHECK(m.text == "Production deploy #12: 3/6 checks done");
    CHECK(blocks::validate(m.blocks).empty());
    CHECK(m.blocks[0].as_object().at("text").as_object().at("text").as_string() == "Production deploy #12 — 3/6 ready");
    const auto ids = action_ids(m.blocks);
    CHECK(ids == std::vector<std::string>{"deploy.signoff", "deploy.flags.configured", "deploy.flags.not_needed",
                                          "deploy.rollback_plan", "deploy.refresh", "deploy.cancel"});
    CHECK(signoff_confirm_mentions_commit(m.blocks));
    const auto* signoff = find_button(m.blocks, "deploy.signoff");
    REQUIRE(signoff);
    CHECK(signoff->at("value").as_string() == "12");
    const auto s = json::serialize(m.blocks);
    CHECK(s.find(":white_check_mark: CI green — 12 checks passed") != std::string::npos);
    CHECK(s.find(":large_yellow_circle: QA sign-off on staging — waiting for a QA lead") != std::string::npos);
    CHECK(s.find(":heavy_minus_sign: No database migrations") != std::string::npos);
    CHECK(s.find("`9b0d5e1` Fix cart total rounding (#412)") != std::string::npos);
    CHECK(s.find("built 2h 5m ago") != std::string::npos);
    CHECK(s.find("window open until <!date^1796101200^{date_short_pretty} {time}|Tue 1 Dec 12:00 WIB>") != std::string::npos);
    CHECK(s.find("Production gets the identical build QA tested") != std::string::npos);
    CHECK(s.find("dpl_") == std::string::npos);
    CHECK(s.find("<https://github.com/acme/shop-web/pull/409|#409> Add promo banner — sari-dev — :warning: *unreviewed*") !=
          std::string::npos);
    CHECK(s.find(":warning: 1 PR is not approved") != std::string::npos);
    CHECK(s.find("*Not deployable yet:* 3 items open") != std::string::npos);
}

TEST_CASE("deploy_message: deploy button appears only when deployable, with a confirm naming the commit") {
    const auto m = render_deploy_message(deployable(t_open), small_notes(), context_at(t_open));
    CHECK(m.text == "Production deploy #12: 6/6 checks done");
    CHECK(blocks::validate(m.blocks).empty());
    const auto* go = find_button(m.blocks, "deploy.go");
    REQUIRE(go);
    CHECK(go->at("style").as_string() == "primary");
    CHECK(go->at("value").as_string() == "12");
    const auto confirm_text = std::string(go->at("confirm").as_object().at("text").as_object().at("text").as_string());
    CHECK(confirm_text.find("9b0d5e1") != std::string::npos);
    CHECK(confirm_text.find("app.clario.id") != std::string::npos);
    CHECK(json::serialize(m.blocks).find("Not deployable yet") == std::string::npos);

    // Same checklist outside the window: no button, and the reason names the next window.
    const auto closed = render_deploy_message(deployable(t_closed), small_notes(), context_at(t_closed));
    CHECK_FALSE(find_button(closed.blocks, "deploy.go"));
    CHECK(json::serialize(closed.blocks).find("outside the deploy window — next window Thu 3 Dec 10:00 WIB") !=
          std::string::npos);
    CHECK(blocks::validate(closed.blocks).empty());
}

TEST_CASE("deploy_message: 60 PRs with hostile text stay valid, escaped and summarised") {
    release_notes n;
    for (int i = 0; i < 60; ++i)
        n.prs.push_back({1000 + i, "<!channel> hey & " + std::string(300, 'x'), "<@U123>",
                         "https://github.com/acme/shop-web/pull/" + std::to_string(1000 + i),
                         i % 2 ? pr_review_status::approved : pr_review_status::changes_requested,
                         {"<!here>"}, {"evil>"}});
    n.direct_commits = {{"deadbeefcafe", "<!everyone> direct push", "root"}};
    n.compare_url = "https://github.com/acme/shop-web/compare/a...b";
    n.total_commits = 61;
    n.loaded = true;
    n.behind_by = 1;
    auto r = deployable(t_open);
    r = step(r, override_schedule{"U_ADMIN", "<!channel> urgent"}, t_open);
    const auto m = render_deploy_message(r, n, context_at(t_open));
    const auto problems = blocks::validate(m.blocks);
    CHECK_MESSAGE(problems.empty(), (problems.empty() ? "" : problems.front()));
    CHECK(m.blocks.size() <= blocks::max_blocks);
    const auto s = json::serialize(m.blocks);
    CHECK(s.find("<!channel>") == std::string::npos);
    CHECK(s.find("<!here>") == std::string::npos);
    CHECK(s.find("<!everyone>") == std::string::npos);
    CHECK(s.find("<@U123>") == std::string::npos);
    CHECK(s.find("&lt;!channel&gt; hey &amp; ") != std::string::npos);
    // 300-char titles fill the section's text budget after 12 entries: 61 - 12 = 49 left.
    CHECK(s.find("…and 49 more — <https://github.com/acme/shop-web/compare/a...b|full comparison>") != std::string::npos);
    CHECK(s.find(":warning: Big batch: 60 PRs in one release (more than 15)") != std::string::npos);
    CHECK(s.find("commit(s) behind production") != std::string::npos);
    release_notes short_titles;
    short_titles.loaded = true;
    for (int i = 0; i < 60; ++i)
        short_titles.prs.push_back({i, "PR " + std::to_string(i), "dev", "https://gh/pull/" + std::to_string(i),
                                    pr_review_status::approved, {}, {}});
    const auto sm = render_deploy_message(r, short_titles, context_at(t_open));
    CHECK(json::serialize(sm.blocks).find("…and 45 more — see GitHub") != std::string::npos);
    CHECK(blocks::validate(sm.blocks).empty());
    CHECK(s.find("window overridden by <@U_ADMIN>: &lt;!channel&gt; urgent") != std::string::npos);
}

TEST_CASE("deploy_message: terminal renderings have no buttons") {
    const auto ctx = context_at(t_open);
    auto promoting = step(deployable(t_open), deploy_clicked{"U_DEP", true, ""}, t_open);
    const auto pm = render_deploy_message(promoting, small_notes(), ctx);
    CHECK(pm.text == "Production deploy #12: promoting 9b0d5e1");
    CHECK(action_ids(pm.blocks).empty());

    const auto live = step(promoting, promote_finished{"12-1", true, "", ""}, t_open + minutes{2});
    const auto lm = render_deploy_message(live, small_notes(), ctx);
    CHECK(lm.text == "Production deploy #12 is live: 9b0d5e1");
    CHECK(action_ids(lm.blocks).empty());
    CHECK(blocks::validate(lm.blocks).empty());
    CHECK(lm.blocks[0].as_object().at("text").as_object().at("text").as_string() == "Production deploy #12 — live");
    CHECK(json::serialize(lm.blocks).find(
              ":rocket: *Live* on app.clario.id: `9b0d5e1` Fix cart total rounding (#412) — deployed by <@U_DEP> in 2 min") !=
          std::string::npos);
    CHECK(json::serialize(lm.blocks).find("dpl_") == std::string::npos);

    const auto failed = step(promoting, promote_finished{"12-1", false, "", "<!channel> boom"}, t_open);
    const auto fm = render_deploy_message(failed, small_notes(), ctx);
    CHECK(fm.text == "Production deploy #12 failed: <!channel> boom");
    CHECK(action_ids(fm.blocks).empty());
    CHECK(json::serialize(fm.blocks).find("*Promote failed*: &lt;!channel&gt; boom") != std::string::npos);

    const auto cancelled = step(partial(t_open), cancel_request{"U_REQ", false}, t_open);
    const auto cm = render_deploy_message(cancelled, small_notes(), ctx);
    CHECK(cm.text == "Production deploy #12 was cancelled");
    CHECK(action_ids(cm.blocks).empty());
    CHECK(blocks::validate(cm.blocks).empty());
}

TEST_CASE("deploy_message: staging model line, migrations button, scheduled fallback") {
    candidate_info c;
    c.commit_sha = "9b0d5e1c7a3f";
    c.model = staging_model::custom_environment;
    CHECK(render_staging_model_line(c) == ":warning: Production gets a rebuild of `9b0d5e1`, not the exact build QA tested.");
    c.model = staging_model::preview_branch;
    CHECK(render_staging_model_line(c) == ":warning: Production gets a rebuild of `9b0d5e1`, not the exact build QA tested.");
    c.model = staging_model::unknown;
    CHECK(render_staging_model_line(c).find("model") == std::string::npos);

    auto r = make_deploy_request(3, "U_REQ", "C", {"dpl_A", "", "abc", "m", t_closed, staging_model::unknown, true},
                                 {}, false, "Thu 3 Dec 10:00 WIB", t_closed);
    checklist_evaluated e;
    e.staging = r.candidate;
    e.touches_migrations = true;
    e.migration_files = {"prisma/migrations/1/migration.sql"};
    r = step(r, e, t_closed);
    CHECK(render_fallback_text(r) == "Production deploy #3: 0/6 checks done, scheduled for Thu 3 Dec 10:00 WIB");
    const auto m = render_deploy_message(r, {}, context_at(t_closed));
    CHECK(find_button(m.blocks, "deploy.migrations"));
    CHECK(blocks::validate(m.blocks).empty());
    const auto s = json::serialize(m.blocks);
    CHECK(s.find("outside the deploy window; next window <!date^") != std::string::npos);
    CHECK(s.find("|Thu 3 Dec 10:00 WIB>") != std::string::npos);
    // GitHub has not answered: never "nothing new".
    CHECK(s.find("Nothing new since production") == std::string::npos);
    CHECK(s.find("reading GitHub") != std::string::npos);
    release_notes none;
    none.loaded = true;
    CHECK(json::serialize(render_deploy_message(r, none, context_at(t_closed)).blocks).find("Nothing new since production") !=
          std::string::npos);
    CHECK(s.find(":x: No eligible production deployment to roll back to") != std::string::npos);
    CHECK(s.find("an admin can deploy it now with `/deploy override` plus a reason") != std::string::npos);
    CHECK(render_age(hours{50}) == "2d 2h");
    CHECK(render_age(minutes{12}) == "12m");
    CHECK(render_duration(std::chrono::seconds{2}) == "2 s");
    CHECK(render_duration(std::chrono::seconds{65}) == "1 min 5 s");
    CHECK(render_duration(minutes{12}) == "12 min");
    CHECK(render_duration(hours{2} + minutes{5}) == "2h 5m");
    CHECK(slack_date(t_open, "Tue 1 Dec 10:00 WIB") == "<!date^1796094000^{date_short_pretty} {time}|Tue 1 Dec 10:00 WIB>");
}
