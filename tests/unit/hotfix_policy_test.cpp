// The hotfix lane's pure rules: what the person typed, and what the PR lacks.
#include "commands/render/refusal_text.hpp"
#include "commands/render/post_live_message.hpp"
#include "commands/workflow/deploy_request.hpp"
#include "commands/workflow/hotfix_policy.hpp"

#include <doctest/doctest.h>

using namespace deploybot;

TEST_CASE("hotfix args: PR number or branch, and a reason; anything else says what to type") {
    auto a = parse_hotfix_args("418 checkout crashes on iOS");
    CHECK(a.problem.empty());
    CHECK(a.pr_number == 418);
    CHECK(a.reason == "checkout crashes on iOS");
    auto b = parse_hotfix_args("  hotfix/cart-crash   payments down ");
    CHECK(b.problem.empty());
    CHECK(b.branch == "hotfix/cart-crash");
    CHECK(b.reason == "payments down");
    CHECK(parse_hotfix_args("#418 why").pr_number == 418);
    CHECK(parse_hotfix_args("418").problem.find("needs a reason") != std::string::npos);
    CHECK(parse_hotfix_args("").problem.find("Usage") != std::string::npos);
    CHECK(parse_hotfix_args("0 why").problem.find("positive") != std::string::npos);
    CHECK(parse_hotfix_args("--force why").problem.find("neither") != std::string::npos);
    CHECK(parse_hotfix_args("a..b why").problem.find("neither") != std::string::npos);
    CHECK(parse_hotfix_args(std::string(300, 'b') + " why").problem.find("neither") != std::string::npos);
}

TEST_CASE("hotfix rule: one approval by someone else, no standing change request, green CI") {
    const ci_verdict green{ci_state::green, "3 checks passed", {}, 3};
    const ci_verdict red{ci_state::red, "failed: e2e", {}, 3};
    const ci_verdict pending{ci_state::pending, "1 pending: e2e", {}, 3};
    auto only_author = evaluate_reviews("andi", {{"andi", "APPROVED", "x"}});
    CHECK(hotfix_missing("andi", only_author, green).size() == 1);
    auto ok = evaluate_reviews("andi", {{"andi", "APPROVED", "x"}, {"budi", "APPROVED", "x"}});
    CHECK(hotfix_missing("andi", ok, green).empty());
    auto cancelled = evaluate_reviews("andi", {{"budi", "APPROVED", "x"}, {"budi", "CHANGES_REQUESTED", "x"}});
    auto m = hotfix_missing("andi", cancelled, green);
    REQUIRE(m.size() == 2);   // no approval left, and budi's change request stands
    CHECK(m[1].find("budi") != std::string::npos);
    CHECK(hotfix_missing("andi", ok, red).front().find("failed: e2e") != std::string::npos);
    CHECK(hotfix_missing("andi", ok, pending).front().find("still running") != std::string::npos);
}

TEST_CASE("hotfix record: collecting until the click; the click starts the build once; live owes post-mortem and back-merge") {
    const time_point t = time_point{} + std::chrono::hours(24 * 20000);
    candidate_info c;
    c.commit_sha = "5e6f7a8b9c";
    hotfix_info info;
    info.pr_number = 418;
    info.reason = "checkout down";
    auto r = make_hotfix_record(9, "U_DEP", "C_DEPLOY", c, {"dpl_P", "aaaaaaa"}, info, t);
    CHECK(r.kind == record_kind::hotfix);
    CHECK(r.state == request_state::collecting);
    CHECK(apply(r, qa_sign_off_clicked{"U_QA"}, t).refused);           // no checklist
    CHECK_FALSE(apply(r, window_closed{"Thu"}, t).changed);           // no window
    // a lock set after the hotfix was offered stops the click; one an admin overrode does not
    const auto locked = apply(r, deploy_clicked{"U_DEP", false, "", lock_view{"", "", "freeze"}}, t);
    REQUIRE(locked.refused);
    CHECK(locked.refused->code == refusal_code::locked_after_offer);
    CHECK(locked.request.state == request_state::collecting);
    CHECK(refusal_text(*locked.refused).find("locked after Hotfix #9 was offered (freeze)") != std::string::npos);
    auto through = r;
    through.hotfix.lock_override = "U_ADMIN overrode the lock (freeze): checkout down";
    CHECK_FALSE(apply(through, deploy_clicked{"U_DEP", false, "", lock_view{"", "", "freeze"}}, t).refused);
    auto clicked = apply(r, deploy_clicked{"U_DEP", false, ""}, t);   // the requester may click; window closed is fine
    REQUIRE(clicked.changed);
    CHECK(clicked.request.state == request_state::promoting);
    CHECK(std::holds_alternative<run_hotfix>(clicked.effects.back()));
    CHECK(apply(clicked.request, deploy_clicked{"U_DEP", true, ""}, t).refused);   // a double click deploys once
    auto resume = resume_effects(clicked.request);
    REQUIRE(resume.size() == 1);
    CHECK(std::get<run_hotfix>(resume[0]).resuming);
    promote_finished f{"9-1", true, "dpl_Hot", ""};
    auto live = apply(clicked.request, f, t);
    CHECK(live.request.postmortem.owed);
    CHECK(live.request.hotfix.backport_pending);
    auto merged = apply(live.request, backport_merged{}, t);
    CHECK_FALSE(merged.request.hotfix.backport_pending);
    CHECK_FALSE(apply(merged.request, backport_merged{}, t).changed);
    auto back = parse_request(serialize_request(merged.request));
    REQUIRE(back.has_value());
    CHECK(*back == merged.request);
}

TEST_CASE("post-mortem timeline: rows about these records only, whole numbers, no bookkeeping") {
    std::vector<audit_entry> audit;
    for (const char* what : {"deploy #1: qa sign-off by U1", "deploy #12: live: dpl", "deploy #1: watch line 3 in the thread",
                             "deploy #2: rollback #2 created: by U2", "deploy #1: live: dpl_x", "deploy #2: message posted 17.1"})
        audit.push_back(audit_entry{0, {}, "", "transition", what, "", ""});
    auto t = select_postmortem_timeline(audit, {1, 2});
    REQUIRE(t.size() == 3);
    CHECK(t[0].what == "deploy #1: qa sign-off by U1");
    CHECK(t[1].what == "deploy #2: rollback #2 created: by U2");
    CHECK(t[2].what == "deploy #1: live: dpl_x");
}
