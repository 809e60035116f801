// Undo of a person's checklist item (item_undone): accepted only while the
// request is collecting and only for the items people complete.
#include "commands/render/refusal_text.hpp"
#include "commands/workflow/deploy_request.hpp"

#include <date/date.h>
#include <doctest/doctest.h>

using namespace deploybot;
using std::chrono::hours;

namespace {

const time_point t0 = date::sys_days{date::year{2026} / 12 / 1} + hours{3};

deploy_request step(const deploy_request& r, const deploy_event& e) {
    auto res = apply(r, e, t0);
    REQUIRE_FALSE(res.refused.has_value());
    return res.request;
}

deploy_request all_done(bool window_open = true) {
    auto r = make_deploy_request(7, "U_REQ", "C", {"dpl_A", "https://a", "aaaaaaa1", "m", t0, staging_model::staged_production, true},
                                 {"dpl_P", "ppppppp1"}, window_open, window_open ? "" : "Thu 3 Dec 10:00 WIB", t0);
    r = step(r, message_posted{"C", "1.2"});
    checklist_evaluated e;
    e.staging = r.candidate;
    e.ci.verdict = ci_state::green;
    e.ci.summary = "3 checks passed";
    e.touches_migrations = true;
    e.migration_files = {"db/1.sql"};
    e.rollback_eligible = true;
    e.rollback_target_id = "dpl_P";
    r = step(r, e);
    r = step(r, qa_sign_off_clicked{"U_QA"});
    r = step(r, confirm_migrations{"U_DEP"});
    r = step(r, flags_chosen{"U_DEP", flags_choice::not_needed});
    return step(r, confirm_rollback_plan{"U_DEP"});
}

}  // namespace

TEST_CASE("undo: each person's item goes back to waiting while collecting, and the update is owed") {
    const auto r = all_done();
    REQUIRE(r.state == request_state::collecting);
    REQUIRE(done_count(r) == 6);
    for (auto k : {item_key::staging, item_key::migrations, item_key::flags, item_key::rollback}) {
        CAPTURE(to_string(k));
        const auto res = apply(r, item_undone{"U_DEP", k}, t0);
        REQUIRE_FALSE(res.refused);
        CHECK(res.changed);
        CHECK(res.request.revision == r.revision + 1);
        CHECK(done_count(res.request) == 5);
        CHECK(res.request.item(k).state == item_state::waiting);
        CHECK(res.request.item(k).by_user.empty());
        CHECK(res.effects.size() == 1);
        CHECK(std::holds_alternative<update_message>(res.effects.front()));
        CHECK_FALSE(is_deployable(res.request, true));
    }
    const auto signoff = apply(r, item_undone{"U_QA", item_key::staging}, t0).request;
    CHECK_FALSE(signoff.sign_off);
    const auto flags = apply(r, item_undone{"U_DEP", item_key::flags}, t0).request;
    CHECK(flags.flags == flags_choice::none);
    // After the undo the item can be done again.
    CHECK_FALSE(apply(flags, flags_chosen{"U_DEP", flags_choice::configured}, t0).refused);
    CHECK_FALSE(apply(signoff, qa_sign_off_clicked{"U_QA"}, t0).refused);
}

TEST_CASE("undo: refused for the bot's items, items not done, and outside collecting") {
    const auto r = all_done();
    for (auto k : {item_key::tests, item_key::notified}) {
        const auto res = apply(r, item_undone{"U_DEP", k}, t0);
        REQUIRE(res.refused);
        CHECK(res.refused->code == refusal_code::nothing_to_undo);
        CHECK_FALSE(res.changed);
        CHECK(res.request == r);
    }
    const auto once = step(r, item_undone{"U_DEP", item_key::flags});
    const auto twice = apply(once, item_undone{"U_DEP", item_key::flags}, t0);
    REQUIRE(twice.refused);
    CHECK(refusal_text(*twice.refused) ==
          "Nothing to undo on Production deploy #7: that item is not done. Undo works on a person's item while the "
          "request is collecting.");

    // Scheduled (outside the window): not collecting.
    const auto scheduled = all_done(false);
    REQUIRE(scheduled.state == request_state::scheduled);
    const auto s = apply(scheduled, item_undone{"U_DEP", item_key::flags}, t0);
    REQUIRE(s.refused);
    CHECK(s.refused->code == refusal_code::nothing_to_undo);

    // Promoting and finished: the checklist is frozen or closed.
    const auto promoting = step(r, deploy_clicked{"U_DEP", true, ""});
    const auto p = apply(promoting, item_undone{"U_DEP", item_key::flags}, t0);
    REQUIRE(p.refused);
    CHECK(p.refused->code == refusal_code::checklist_frozen);
    const auto cancelled = step(all_done(), cancel_request{"U_REQ", false});
    const auto c = apply(cancelled, item_undone{"U_DEP", item_key::rollback}, t0);
    REQUIRE(c.refused);
    CHECK(c.refused->code == refusal_code::request_closed);
    CHECK(event_name(deploy_event{item_undone{"U", item_key::flags}}) == "item_undone");
}
