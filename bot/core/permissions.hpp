#pragma once
#include "bot/config.hpp"

#include <string>
#include <string_view>

namespace deploybot {

enum class role { deployer, qa_lead, admin };

enum class action {
    request_deploy,        // /deploy prod
    trigger_deploy,        // "Deploy to production" button
    sign_off_staging,      // QA sign-off
    confirm_migrations,    // deployer or QA lead
    confirm_flags,         // deployer or QA lead
    confirm_rollback_plan, // deployer
    cancel_request,        // requester (checked by caller) or admin
    rollback,              // deployer
    hotfix,                // deployer
    lock,                  // admin
    unlock,                // admin
    override_schedule,     // admin
    view,                  // anyone: help, status, history
};

struct permission {
    bool allowed = false;
    std::string reason;    // when refused: who may do it, e.g. "Only deployers (see people.deployers) can …"
};

// Pure.
bool has_role(const config::people_t& people, std::string_view user_id, role r);
permission check_permission(const config::people_t& people, std::string_view user_id, action a);

// Pure: the authorisation matrix as a Markdown table (the README shows it).
// "in another channel": commands run only in #deployments, and a click counts
// only on the request's own message in the request's channel.
std::string render_permission_table();

// Pure: commands only in the configured #deployments channel.
bool is_deploy_channel(const config& cfg, std::string_view channel_id);

}  // namespace deploybot
