#include "commands/render/refusal_text.hpp"
#include "commands/workflow/deploy_request.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

using namespace deploybot;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;

namespace {

const time_point t0 = sys_days{} + hours{24 * 20000};   // fixed instant

candidate_info staging(std::string id, std::string sha, bool ready = true) {
    return {id, "https://" + id + ".vercel.app", sha, "Fix cart total rounding (#412)", t0 - hours{2},
            staging_model::staged_production, ready};
}

deploy_request fresh(bool window_open = true) {
    return make_deploy_request(12, "U_REQ", "C_DEPLOY", staging("dpl_A", "aaaaaaa111"), {"dpl_P", "ppppppp999"},
                               window_open, "Thu 3 Dec 10:00 WIB", t0);
}

checklist_evaluated all_green(candidate_info c = staging("dpl_A", "aaaaaaa111")) {
    checklist_evaluated e;
    e.staging = std::move(c);
    e.ci.verdict = ci_state::green;
    e.ci.summary = "12 checks passed";
    e.touches_migrations = false;
    e.rollback_eligible = true;
    e.rollback_target_id = "dpl_P";
    e.rollback_detail = "ppppppp, READY";
    return e;
}

deploy_request step(const deploy_request& r, const deploy_event& e, time_point now = t0) {
    auto res = apply(r, e, now);
    REQUIRE_MESSAGE(!res.refused, (res.refused ? refusal_text(*res.refused) : ""));
    REQUIRE(res.changed);
    return res.request;
}

// Everything done except the deploy click.
deploy_request complete() {
    auto r = fresh();
    r = step(r, message_posted{"C_DEPLOY", "1700000000.000100"});
    r = step(r, all_green());
    r = step(r, qa_sign_off_clicked{"U_QA"});
    r = step(r, flags_chosen{"U_REQ", flags_choice::not_needed});
    r = step(r, confirm_rollback_plan{"U_REQ"});
    return r;
}

template <class T>
const T* find_effect(const transition_result& res) {
    for (const auto& e : res.effects)
        if (const auto* p = std::get_if<T>(&e)) return p;
    return nullptr;
}

}  // namespace

TEST_CASE("deploy_request: new request is collecting or scheduled by the window") {
    const auto open = fresh(true);
    CHECK(open.state == request_state::collecting);
    CHECK(open.items.size() == 6);
    CHECK(open.item(item_key::tests).state == item_state::pending);
    CHECK(open.item(item_key::flags).state == item_state::waiting);
    const auto closed = fresh(false);
    CHECK(closed.state == request_state::scheduled);
    CHECK(closed.next_window == "Thu 3 Dec 10:00 WIB");
}

TEST_CASE("deploy_request: evaluation fills the automatic items") {
    auto r = step(fresh(), all_green());
    CHECK(r.item(item_key::tests).state == item_state::done);
    CHECK(r.item(item_key::tests).evidence == "12 checks passed");
    CHECK(r.item(item_key::staging).state == item_state::waiting);
    CHECK(r.item(item_key::migrations).state == item_state::not_applicable);
    CHECK(r.item(item_key::rollback).state == item_state::waiting);
    CHECK(r.item(item_key::rollback).evidence == "Would roll back to dpl_P (ppppppp, READY); confirm the rollback plan");
    CHECK(r.revision == 1);
    // Re-evaluating with the same results (the periodic refresh) changes nothing.
    const auto again = apply(r, all_green(), t0 + minutes{1});
    CHECK_FALSE(again.changed);
    CHECK(again.effects.empty());

    auto e = all_green();
    e.touches_migrations = true;
    e.migration_files = {"prisma/migrations/20260105_add_promo/migration.sql"};
    e.rollback_eligible = false;
    e.rollback_detail = "no previous production deployment";
    r = step(fresh(), e);
    CHECK(r.item(item_key::migrations).state == item_state::waiting);
    CHECK(r.item(item_key::migrations).evidence ==
          "1 migration file: prisma/migrations/20260105_add_promo/migration.sql; a deployer or QA lead must confirm "
          "they were tested on staging");
    CHECK(r.item(item_key::rollback).state == item_state::failed);
}

TEST_CASE("deploy_request: two-person rule refuses the requester's sign-off") {
    auto r = step(fresh(), all_green());
    const auto res = apply(r, qa_sign_off_clicked{"U_REQ"}, t0);
    REQUIRE(res.refused);
    CHECK_FALSE(res.changed);
    CHECK(refusal_text(*res.refused) ==
          "Two-person rule: you requested production deploy #12, so someone else — a QA lead — must sign off staging.");
    const auto* p = find_effect<post_refusal>(res);
    REQUIRE(p);
    CHECK(p->user == "U_REQ");
    CHECK(res.request.item(item_key::staging).state == item_state::waiting);
}

TEST_CASE("deploy_request: sign-off pins deployment and commit; staging moving voids it") {
    auto r = step(fresh(), all_green());
    r = step(r, qa_sign_off_clicked{"U_QA"}, t0 + minutes{5});
    REQUIRE(r.sign_off);
    CHECK(r.sign_off->deployment_id == "dpl_A");
    CHECK(r.sign_off->commit_sha == "aaaaaaa111");
    CHECK(r.item(item_key::staging).state == item_state::done);
    CHECK(r.item(item_key::staging).by_user == "U_QA");

    const auto res = apply(r, all_green(staging("dpl_B", "bbbbbbb222")), t0 + minutes{10});
    REQUIRE(res.changed);
    const auto& n = res.request;
    CHECK(n.sign_off_void);
    CHECK(n.candidate.deployment_id == "dpl_B");
    CHECK(n.item(item_key::staging).state == item_state::pending);
    CHECK(n.item(item_key::staging).evidence ==
          "The QA sign-off was for dpl_A (aaaaaaa); staging now serves dpl_B (bbbbbbb), so it is void — a QA lead "
          "must sign off again");
    const auto* v = find_effect<announce_sign_off_void>(res);
    REQUIRE(v);
    CHECK(v->text.rfind("<@U_QA> your QA sign-off was for dpl_A", 0) == 0);
    const auto* cc = find_effect<candidate_changed>(res);
    REQUIRE(cc);
    CHECK(cc->new_deployment_id == "dpl_B");
    const auto missing = missing_for_deploy(n, true, "");
    CHECK(std::find(missing.begin(), missing.end(), "QA sign-off missing (the previous one is void: staging moved)") !=
          missing.end());

    // Signing off the new deployment clears the void.
    const auto again = step(n, qa_sign_off_clicked{"U_QA"});
    CHECK_FALSE(again.sign_off_void);
    CHECK(again.sign_off->deployment_id == "dpl_B");
    CHECK(again.item(item_key::staging).state == item_state::done);
}

TEST_CASE("deploy_request: sign-off refused while staging is not READY") {
    auto r = step(fresh(), all_green(staging("dpl_A", "aaaaaaa111", false)));
    CHECK(r.item(item_key::staging).state == item_state::pending);
    const auto res = apply(r, qa_sign_off_clicked{"U_QA"}, t0);
    REQUIRE(res.refused);
    CHECK(refusal_text(*res.refused) == "Staging deployment dpl_A (aaaaaaa) is not READY yet; sign off once it is.");
}

TEST_CASE("deploy_request: deploy refusal lists exactly what is missing") {
    auto r = step(fresh(), message_posted{"C_DEPLOY", "1.2"});
    auto e = all_green();
    e.ci.verdict = ci_state::pending;
    e.ci.summary = "2 pending: e2e, lint";
    r = step(r, e);
    const auto res = apply(r, deploy_clicked{"U_DEP", false, "Thu 3 Dec 10:00 WIB"}, t0);
    REQUIRE(res.refused);
    CHECK(refusal_text(*res.refused) ==
          "Can't deploy #12 yet: CI is still running (2 pending: e2e, lint); QA sign-off missing; feature "
          "flags not confirmed (Configured or Not needed); rollback plan not confirmed; outside the deploy window — "
          "next window Thu 3 Dec 10:00 WIB. Urgent? An admin can deploy it now with `/deploy override` plus a reason.");
    CHECK(res.request.state == request_state::collecting);

    e.ci.verdict = ci_state::red;
    e.ci.summary = "failed: e2e";
    r = step(r, e);
    const auto missing = missing_for_deploy(r, true, "");
    REQUIRE_FALSE(missing.empty());
    CHECK(missing.front() == "CI failed (failed: e2e)");
}

TEST_CASE("deploy_request: deploy click promotes once; the second click is refused") {
    auto r = complete();
    CHECK(done_count(r) == 6);
    CHECK(is_deployable(r, true));
    CHECK_FALSE(is_deployable(r, false));

    const auto first = apply(r, deploy_clicked{"U_DEP", true, ""}, t0);
    REQUIRE_FALSE(first.refused);
    CHECK(first.request.state == request_state::promoting);
    const auto* sp = find_effect<start_promote>(first);
    REQUIRE(sp);
    CHECK(sp->attempt_id == "12-1");
    CHECK(sp->deployment_id == "dpl_A");
    CHECK(sp->model == staging_model::staged_production);

    const auto second = apply(first.request, deploy_clicked{"U_DEP", true, ""}, t0);
    REQUIRE(second.refused);
    CHECK(refusal_text(*second.refused).find("already promoting") != std::string::npos);
    CHECK_FALSE(find_effect<start_promote>(second));
    CHECK(second.request.revision == first.request.revision);
}

TEST_CASE("deploy_request: the machine says no to a Deploy click while deploys are locked, and yes after unlock") {
    const auto r = complete();
    const lock_view lock{"U_ADMIN", "Tue 1 Dec 10:04 WIB", "black friday freeze"};
    const auto locked = apply(r, deploy_clicked{"U_DEP", true, "", lock}, t0);
    REQUIRE(locked.refused);
    CHECK(*locked.refused == lock_refusal(lock));
    CHECK(locked.refused->code == refusal_code::deploys_locked);
    CHECK_FALSE(locked.changed);
    CHECK(locked.request.state == request_state::collecting);
    CHECK_FALSE(find_effect<start_promote>(locked));
    const auto* said = find_effect<post_refusal>(locked);
    REQUIRE(said);
    CHECK(said->user == "U_DEP");
    CHECK(refusal_text(*locked.refused) ==
          "Production deploys are locked by <@U_ADMIN> since Tue 1 Dec 10:04 WIB: black friday freeze. An admin can "
          "`/deploy unlock`.");
    // the reason is the admin's text: escaped when rendered
    CHECK(refusal_text(lock_refusal({"U_ADMIN", "", "<!channel> & co"})).find("&lt;!channel&gt; &amp; co") !=
          std::string::npos);
    const auto unlocked = apply(r, deploy_clicked{"U_DEP", true, "", std::nullopt}, t0);
    CHECK_FALSE(unlocked.refused);
    CHECK(unlocked.request.state == request_state::promoting);
}

TEST_CASE("deploy_request: promote lifecycle to live, duplicates ignored") {
    auto r = step(complete(), deploy_clicked{"U_DEP", true, ""});
    r = step(r, promote_started{"12-1", "dpl_PROD_REBUILD"});
    CHECK(r.promote.target_deployment_id == "dpl_PROD_REBUILD");
    CHECK(apply(r, promote_finished{"99-9", true, "", ""}, t0).changed == false);   // other attempt
    const auto done = apply(r, promote_finished{"12-1", true, "", ""}, t0 + minutes{3});
    REQUIRE(done.changed);
    CHECK(done.request.state == request_state::live);
    CHECK(done.request.promote.outcome == "live");
    const auto* live = find_effect<announce_live>(done);
    REQUIRE(live);
    CHECK(live->target_deployment_id == "dpl_PROD_REBUILD");
    const auto dup = apply(done.request, promote_finished{"12-1", true, "", ""}, t0);
    CHECK_FALSE(dup.changed);
    CHECK(dup.effects.empty());
}

TEST_CASE("deploy_request: failed promote is recorded and announced") {
    auto r = step(complete(), deploy_clicked{"U_DEP", true, ""});
    const auto res = apply(r, promote_finished{"12-1", false, "", "Vercel: 409 conflict"}, t0);
    CHECK(res.request.state == request_state::failed);
    const auto* f = find_effect<announce_failed>(res);
    REQUIRE(f);
    CHECK(f->error == "Vercel: 409 conflict");
}

TEST_CASE("deploy_request: scheduled request completes in advance and mentions on window open") {
    auto r = fresh(false);
    r = step(r, all_green());
    r = step(r, qa_sign_off_clicked{"U_QA"});
    CHECK(r.state == request_state::scheduled);
    const auto res = apply(r, window_opened{}, t0);
    CHECK(res.request.state == request_state::collecting);
    const auto* m = find_effect<mention_requester_window_open>(res);
    REQUIRE(m);
    CHECK(m->requester == "U_REQ");
    // Re-delivered window_opened mentions nobody twice.
    CHECK_FALSE(apply(res.request, window_opened{}, t0).changed);
    // Closing again (no override) returns to scheduled.
    const auto closed = apply(res.request, window_closed{"Tue 8 Dec 10:00 WIB"}, t0);
    CHECK(closed.request.state == request_state::scheduled);
    CHECK(closed.request.next_window == "Tue 8 Dec 10:00 WIB");
}

TEST_CASE("deploy_request: admin override needs a reason and allows deploying outside the window") {
    auto r = complete();
    const auto no_reason = apply(r, override_schedule{"U_ADMIN", "  "}, t0);
    REQUIRE(no_reason.refused);
    CHECK(refusal_text(*no_reason.refused).find("needs a written reason") != std::string::npos);
    const auto res = apply(r, override_schedule{"U_ADMIN", "payment outage fix"}, t0);
    REQUIRE(res.changed);
    const auto* a = find_effect<announce_override>(res);
    REQUIRE(a);
    CHECK(a->reason == "payment outage fix");
    CHECK(is_deployable(res.request, false));
    const auto go = apply(res.request, deploy_clicked{"U_DEP", false, "Thu 3 Dec 10:00 WIB"}, t0);
    CHECK_FALSE(go.refused);
    CHECK(go.request.state == request_state::promoting);
}

TEST_CASE("deploy_request: cancel rules") {
    auto r = fresh();
    const auto stranger = apply(r, cancel_request{"U_OTHER", false}, t0);
    REQUIRE(stranger.refused);
    CHECK(refusal_text(*stranger.refused) == "Only the requester (<@U_REQ>) or an admin can cancel production deploy #12.");
    const auto by_admin = apply(r, cancel_request{"U_ADMIN", true}, t0);
    CHECK(by_admin.request.state == request_state::cancelled);
    CHECK(by_admin.request.cancelled_by == "U_ADMIN");
    CHECK(find_effect<announce_cancelled>(by_admin));
    const auto own = apply(r, cancel_request{"U_REQ", false}, t0);
    CHECK(own.request.state == request_state::cancelled);

    auto promoting = step(complete(), deploy_clicked{"U_DEP", true, ""});
    const auto late = apply(promoting, cancel_request{"U_REQ", true}, t0);
    REQUIRE(late.refused);
    CHECK(refusal_text(*late.refused).find("cannot be cancelled") != std::string::npos);
    const auto after = apply(by_admin.request, qa_sign_off_clicked{"U_QA"}, t0);
    REQUIRE(after.refused);
    CHECK(refusal_text(*after.refused) == "Production deploy #12 is cancelled; start a new request with /deploy prod.");
}

TEST_CASE("deploy_request: migrations and rollback confirmations") {
    auto r = step(fresh(), all_green());
    const auto na = apply(r, confirm_migrations{"U_DEP"}, t0);
    REQUIRE(na.refused);
    CHECK(refusal_text(*na.refused) == "No migrations ship in this release; nothing to confirm.");
    auto e = all_green();
    e.touches_migrations = true;
    e.migration_files = {"a.sql", "b.sql", "c.sql", "d.sql"};
    r = step(r, e);
    CHECK(r.item(item_key::migrations).evidence.rfind("4 migration files: a.sql, b.sql, c.sql and 1 more", 0) == 0);
    r = step(r, confirm_migrations{"U_DEP"});
    CHECK(r.item(item_key::migrations).state == item_state::done);
    CHECK(r.item(item_key::migrations).by_user == "U_DEP");
    // A new evaluation of the same candidate keeps the confirmation.
    const auto same = apply(r, e, t0);
    CHECK_FALSE(same.changed);
    CHECK(same.request.item(item_key::migrations).state == item_state::done);
    // A new candidate may bring new migrations: confirm again.
    auto moved = e;
    moved.staging = staging("dpl_B", "bbbbbbb222");
    CHECK(apply(r, moved, t0).request.item(item_key::migrations).state == item_state::waiting);
    // Rollback target change resets the confirmation.
    r = step(r, confirm_rollback_plan{"U_DEP"});
    CHECK(r.item(item_key::rollback).state == item_state::done);
    e.rollback_target_id = "dpl_Q";
    r = step(r, e);
    CHECK(r.item(item_key::rollback).state == item_state::waiting);
}

TEST_CASE("deploy_request: resume after restart never re-promotes") {
    auto promoting = step(complete(), deploy_clicked{"U_DEP", true, ""});
    const auto eff = resume_effects(promoting);
    REQUIRE(eff.size() == 1);
    const auto* v = std::get_if<verify_promote>(&eff[0]);
    REQUIRE(v);
    CHECK(v->attempt_id == "12-1");
    CHECK(resume_effects(fresh()).size() == 1);
    CHECK(effect_name(resume_effects(fresh())[0]) == "update_message");
}

TEST_CASE("deploy_request: JSON round trip and tolerant parsing") {
    auto r = step(complete(), override_schedule{"U_ADMIN", "hotfix \"quoted\" <!channel>"});
    r = step(r, deploy_clicked{"U_DEP", true, ""});
    const auto text = serialize_request(r);
    const auto back = parse_request(text);
    REQUIRE(back.has_value());
    CHECK(serialize_request(*back) == text);
    CHECK(back->state == request_state::promoting);
    CHECK(back->sign_off->user == "U_QA");
    CHECK(back->window_override->reason == "hotfix \"quoted\" <!channel>");
    CHECK(back->promote.clicked_at == r.promote.clicked_at);
    CHECK(back->candidate.model == staging_model::staged_production);

    const auto minimal = parse_request(R"({"id":7,"state":"weird","items":[{"key":"tests","state":"done"},5],"x":1})");
    REQUIRE(minimal.has_value());
    CHECK(minimal->id == 7);
    CHECK(minimal->state == request_state::collecting);
    CHECK(minimal->items.size() == 6);
    CHECK(minimal->item(item_key::tests).state == item_state::done);
    CHECK(minimal->item(item_key::rollback).state == item_state::pending);
    CHECK_FALSE(parse_request("[1,2]").has_value());
    CHECK_FALSE(parse_request("not json").has_value());
}

TEST_CASE("deploy_request: the promote POST's baseline is recorded before it is sent, and survives a restart") {
    auto r = step(complete(), deploy_clicked{"U_DEP", true, ""});
    CHECK(r.promote.sent_baseline_ms == -1);   // not sent: a resume may POST
    CHECK(std::get<verify_promote>(resume_effects(r).at(0)).sent_baseline_ms == -1);
    r = step(r, promote_sending{"12-1", "dpl_STAGING", 1700000000123});
    CHECK(r.promote.sent_baseline_ms == 1700000000123);
    CHECK_FALSE(apply(r, promote_sending{"99-9", "dpl_X", 5}, t0).changed);   // another attempt's
    const auto back = parse_request(serialize_request(r));
    REQUIRE(back.has_value());
    CHECK(back->promote.sent_baseline_ms == 1700000000123);
    CHECK(std::get<verify_promote>(resume_effects(*back).at(0)).sent_baseline_ms == 1700000000123);
    // A request saved before this field existed may have sent it: read Vercel first.
    auto old_json = boost::json::parse(serialize_request(r)).as_object();
    old_json["promote"].as_object().erase("sent_baseline_ms");
    const auto old = parse_request(boost::json::serialize(old_json));
    REQUIRE(old.has_value());
    CHECK(old->promote.sent_baseline_ms == 0);
}

TEST_CASE("deploy_request: an unknown outcome is its own terminal state, announced once with what to check") {
    auto r = step(complete(), deploy_clicked{"U_DEP", true, ""});
    promote_finished f{"12-1", false, "", "the answer was lost"};
    f.unknown = true;
    const auto res = apply(r, f, t0);
    REQUIRE(res.changed);
    CHECK(res.request.state == request_state::outcome_unknown);
    CHECK(is_terminal(res.request.state));
    CHECK(to_string(res.request.state) == "unknown");
    CHECK(parse_request_state("unknown") == request_state::outcome_unknown);
    CHECK(res.request.announcement_owed);
    const auto* u = find_effect<announce_unknown>(res);
    REQUIRE(u);
    CHECK(u->detail == "the answer was lost");
    CHECK_FALSE(find_effect<announce_failed>(res));
    CHECK(resume_effects(res.request).empty());
}

TEST_CASE("deploy_request: the outcome announcement is owed until posted, in any terminal state") {
    auto r = step(complete(), deploy_clicked{"U_DEP", true, ""});
    r = step(r, promote_finished{"12-1", true, "", ""});
    CHECK(r.state == request_state::live);
    CHECK(r.announcement_owed);
    const auto posted = apply(r, announcement_posted{"1700000000.000300"}, t0);
    REQUIRE(posted.changed);
    CHECK_FALSE(posted.request.announcement_owed);
    CHECK(posted.request.announcement_ts == "1700000000.000300");
    CHECK(posted.request.state == request_state::live);
    CHECK_FALSE(apply(posted.request, announcement_posted{"1700000000.000400"}, t0).changed);   // once
    const auto back = parse_request(serialize_request(r));
    REQUIRE(back.has_value());
    CHECK(back->announcement_owed);
}

TEST_CASE("deploy_request: refusals are codes with values; the words and the mentions come from the renderer") {
    auto no_markup = [](const refusal& f) {
        auto clean = [](const std::string& s) { return s.find("<@") == std::string::npos && s.find('*') == std::string::npos; };
        bool ok = clean(f.subject) && clean(f.person);
        for (const auto& d : f.details) ok = ok && clean(d);
        return ok;
    };
    auto r = step(fresh(), all_green());
    const auto own = apply(r, qa_sign_off_clicked{"U_REQ"}, t0);
    REQUIRE(own.refused);
    CHECK(own.refused->code == refusal_code::two_person_rule);
    CHECK(own.refused->subject == "production deploy #12");
    CHECK(no_markup(*own.refused));

    r = step(r, qa_sign_off_clicked{"U_QA"});
    const auto twice = apply(r, qa_sign_off_clicked{"U_QA2"}, t0);
    REQUIRE(twice.refused);
    CHECK(twice.refused->code == refusal_code::already_signed_off);
    CHECK(twice.refused->person == "U_QA");
    CHECK(no_markup(*twice.refused));
    CHECK(refusal_text(*twice.refused).find("already signed off by <@U_QA>.") != std::string::npos);
    const auto* p = find_effect<post_refusal>(twice);
    REQUIRE(p);
    CHECK(p->why == *twice.refused);

    const auto stranger = apply(r, cancel_request{"U_OTHER", false}, t0);
    REQUIRE(stranger.refused);
    CHECK(stranger.refused->code == refusal_code::cancel_not_allowed);
    CHECK(stranger.refused->person == "U_REQ");
    CHECK(no_markup(*stranger.refused));
}
