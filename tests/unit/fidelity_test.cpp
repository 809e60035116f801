// Vercel facts the checklist must not hide: rolling releases, and what
// readySubstate says about the staging build.
#include "commands/render/deploy_message.hpp"
#include "commands/workflow/deploy_request.hpp"

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

using namespace deploybot;

TEST_CASE("rolling releases on: Deploy is refused with the reason; the candidate line shows STAGED/PROMOTED") {
    const time_point t = time_point{} + std::chrono::hours(24 * 20000);
    candidate_info c;
    c.deployment_id = "dpl_S";
    c.commit_sha = "abcdef1234";
    c.ready = true;
    c.model = staging_model::staged_production;
    c.ready_substate = "STAGED";
    auto r = make_deploy_request(3, "U_REQ", "C", c, {"dpl_P", "1234567"}, true, "", t);
    r.rolling_release = true;
    auto missing = missing_for_deploy(r, true, "");
    CHECK(std::any_of(missing.begin(), missing.end(),
                      [](const std::string& m) { return m.find("rolling releases are on") != std::string::npos; }));
    message_context mc;
    mc.now = t;
    mc.window.is_open = true;
    auto m = render_deploy_message(r, release_notes{}, mc);
    const auto json = boost::json::serialize(m.blocks);
    CHECK(json.find(" · STAGED") != std::string::npos);
    CHECK(json.find("identical build QA tested") != std::string::npos);
    c.ready_substate = "PROMOTED";
    CHECK(render_staging_model_line(c).find("already production (PROMOTED)") != std::string::npos);
    CHECK(render_staging_model_line(c).find("identical build QA tested") == std::string::npos);
}
