#include "bot/permissions.hpp"

#include <algorithm>

namespace deploybot {
namespace {

bool contains(const std::vector<std::string>& ids, std::string_view user_id) {
    return !user_id.empty() && std::find(ids.begin(), ids.end(), user_id) != ids.end();
}

struct rule {
    bool deployers = false;
    bool qa_leads = false;
    // Admins may do everything except sign off staging: QA sign-off is a
    // statement that QA tested it, which an admin cannot make for them.
    bool admins = true;
    const char* refusal = "";
};

rule rule_for(action a) {
    switch (a) {
    case action::request_deploy:
        return {true, false, true,
                "Only deployers can request a production deploy (people.deployers in the config)."};
    case action::trigger_deploy:
        return {true, false, true, "Only deployers can deploy to production (people.deployers in the config)."};
    case action::rollback:
        return {true, false, true, "Only deployers can roll back production (people.deployers in the config)."};
    case action::hotfix:
        return {true, false, true, "Only deployers can ship a hotfix (people.deployers in the config)."};
    case action::sign_off_staging:
        return {false, true, false, "Only QA leads can sign off staging (people.qa_leads in the config)."};
    case action::confirm_migrations:
        return {true, true, true,
                "Only deployers or QA leads can confirm database migrations (people.deployers and people.qa_leads "
                "in the config)."};
    case action::confirm_flags:
        return {true, true, true,
                "Only deployers or QA leads can confirm feature flags (people.deployers and people.qa_leads in the "
                "config)."};
    case action::confirm_rollback_plan:
        return {true, false, true,
                "Only deployers can confirm the rollback plan (people.deployers in the config)."};
    case action::cancel_request:
        return {false, false, true,
                "Only the requester or an admin can cancel this deploy request (people.admins in the config)."};
    case action::lock:
        return {false, false, true, "Only admins can lock deploys (people.admins in the config)."};
    case action::unlock:
        return {false, false, true, "Only admins can unlock deploys (people.admins in the config)."};
    case action::override_schedule:
        return {false, false, true,
                "Only admins can deploy outside the schedule (people.admins in the config)."};
    case action::view:
        return {true, true, true, ""};
    }
    return {false, false, false, "This action is not allowed."};
}

}  // namespace

bool has_role(const config::people_t& people, std::string_view user_id, role r) {
    switch (r) {
    case role::deployer: return contains(people.deployers, user_id);
    case role::qa_lead: return contains(people.qa_leads, user_id);
    case role::admin: return contains(people.admins, user_id);
    }
    return false;
}

permission check_permission(const config::people_t& people, std::string_view user_id, action a) {
    if (a == action::view) return {true, ""};
    const rule r = rule_for(a);
    const bool allowed = (r.deployers && has_role(people, user_id, role::deployer)) ||
                         (r.qa_leads && has_role(people, user_id, role::qa_lead)) ||
                         (r.admins && has_role(people, user_id, role::admin));
    if (allowed) return {true, ""};
    return {false, r.refusal};
}

bool is_deploy_channel(const config& cfg, std::string_view channel_id) {
    return !cfg.slack.channel.empty() && channel_id == cfg.slack.channel;
}

}  // namespace deploybot
