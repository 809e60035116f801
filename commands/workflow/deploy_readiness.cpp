#include "commands/workflow/deploy_request.hpp"

#include <algorithm>

// What still blocks "Deploy to production": pure, derived from the request and
// the window (never stored: it goes stale the moment staging or the clock moves).
namespace deploybot {

int done_count(const deploy_request& req) {
    return static_cast<int>(std::count_if(req.items.begin(), req.items.end(),
                                          [](const checklist_item& it) { return is_settled(it.state); }));
}

std::vector<std::string> missing_for_deploy(const deploy_request& r, bool window_open, std::string_view next_window) {
    std::vector<std::string> out;
    for (const auto& it : r.items) {
        if (is_settled(it.state)) continue;
        switch (it.key) {
            case item_key::tests:
                if (it.state == item_state::failed)
                    out.push_back("CI failed (" + it.evidence + ")");
                else if (r.last_ci == ci_state::pending)
                    out.push_back("CI is still running (" + it.evidence + ")");
                else
                    out.push_back("CI is not green (" + (it.evidence.empty() ? std::string("not checked yet") : it.evidence) +
                                  ")");
                break;
            case item_key::staging:
                if (!r.candidate.ready)
                    out.push_back("staging deployment " + describe_candidate(r.candidate) + " is not READY");
                else if (r.sign_off_void)
                    out.push_back("QA sign-off missing (the previous one is void: staging moved)");
                else
                    out.push_back("QA sign-off missing");
                break;
            case item_key::migrations:
                out.push_back(it.state == item_state::waiting ? "database migrations not confirmed"
                                                              : "migrations not checked yet (press Refresh)");
                break;
            case item_key::flags: out.push_back("feature flags not confirmed (Configured or Not needed)"); break;
            case item_key::notified: out.push_back("team not notified yet (checklist message not posted)"); break;
            case item_key::rollback:
                if (it.state == item_state::failed)
                    out.push_back("no eligible rollback target");
                else if (it.state == item_state::waiting)
                    out.push_back("rollback plan not confirmed");
                else
                    out.push_back("rollback target not checked yet (press Refresh)");
                break;
        }
    }
    if (r.rolling_release)
        out.push_back("Vercel rolling releases are on for this project: a promote would start a staged rollout, which "
                      "deploybot does not follow yet — turn rolling releases off (Project → Settings) or promote in "
                      "Vercel's dashboard");
    if (!window_open && !r.window_override) {
        if (next_window.empty())
            out.push_back("outside the deploy window — no window in the next 14 days (an admin can override with a reason)");
        else
            out.push_back("outside the deploy window — next window " + std::string(next_window));
    }
    return out;
}

bool is_deployable(const deploy_request& req, bool window_open) {
    return (req.state == request_state::collecting || req.state == request_state::scheduled) &&
           missing_for_deploy(req, window_open, "").empty();
}

}  // namespace deploybot
