#include "bot/core/permissions.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace deploybot {
namespace {

bool contains(const std::vector<std::string>& ids, std::string_view user_id) {
    return !user_id.empty() && std::find(ids.begin(), ids.end(), user_id) != ids.end();
}

// Who may do what (DESIGN.md §1: deployers request, trigger and roll back;
// QA leads sign off staging; admins lock, unlock and override). Roles do not
// nest: an admin who is not a deployer cannot deploy, and nobody but a QA lead
// can sign off (a statement that QA tested it).
struct rule {
    action what;
    bool deployers, qa_leads, admins;
    const char* refusal;
};

constexpr rule rules[] = {
    {action::request_deploy, true, false, false,
     "Only deployers can request a production deploy."},
    {action::trigger_deploy, true, false, false,
     "Only deployers can deploy to production."},
    {action::rollback, true, false, false, "Only deployers can roll back production."},
    {action::hotfix, true, false, false, "Only deployers can ship a hotfix."},
    {action::sign_off_staging, false, true, false,
     "Only QA leads can sign off staging."},
    {action::confirm_migrations, true, true, false,
     "Only deployers or QA leads can confirm database migrations."},
    {action::confirm_flags, true, true, false,
     "Only deployers or QA leads can confirm feature flags."},
    {action::confirm_rollback_plan, true, false, false,
     "Only deployers can confirm the rollback plan."},
    {action::cancel_request, false, false, true,
     "Only the requester or an admin can cancel this deploy request."},
    {action::lock, false, false, true, "Only admins can lock deploys."},
    {action::unlock, false, false, true, "Only admins can unlock deploys."},
    {action::override_schedule, false, false, true,
     "Only admins can deploy outside the schedule."},
    {action::view, true, true, true, ""},
};

const rule& rule_for(action a) {
    for (const auto& r : rules)
        if (r.what == a) return r;
    static constexpr rule none{action::view, false, false, false, "This action is not allowed."};
    return none;
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
    const rule& r = rule_for(a);
    const bool allowed = (r.deployers && has_role(people, user_id, role::deployer)) ||
                         (r.qa_leads && has_role(people, user_id, role::qa_lead)) ||
                         (r.admins && has_role(people, user_id, role::admin));
    if (allowed) return {true, ""};
    // Name who can act (a mention in an ephemeral notifies nobody), or, when
    // nobody has the role yet, where an admin adds them.
    std::vector<std::string> who;
    std::vector<std::string> keys;
    auto add = [&](bool on, const std::vector<std::string>& ids, const char* key) {
        if (!on) return;
        keys.emplace_back(key);
        for (const auto& id : ids)
            if (std::find(who.begin(), who.end(), id) == who.end()) who.push_back(id);
    };
    add(r.deployers, people.deployers, "people.deployers");
    add(r.qa_leads, people.qa_leads, "people.qa_leads");
    add(r.admins, people.admins, "people.admins");
    std::string reason = r.refusal;
    if (who.empty()) {
        reason += " Nobody has that role yet: an admin adds them to " + keys.front() +
                  (keys.size() > 1 ? " or " + keys.back() : std::string()) + " in deploybot's config.";
    } else {
        reason += " Ask ";
        for (std::size_t i = 0; i < who.size() && i < 5; ++i) reason += (i ? ", " : "") + ("<@" + who[i] + ">");
        if (who.size() > 5) reason += " or another of the " + std::to_string(who.size()) + " who can";
        reason += ".";
    }
    return {false, reason};
}

namespace {
std::string cell(const config::people_t& people, std::string_view user, action a) {
    return check_permission(people, user, a).allowed ? "allow" : "deny";
}
}  // namespace

std::string render_permission_table() {
    config::people_t people;
    people.deployers = {"D"};
    people.qa_leads = {"Q"};
    people.admins = {"A"};
    struct row {
        const char* what;
        action a;
        const char* requester;   // the person who opened the request (when it differs from their role)
    };
    const row rows[] = {
        {"`/deploy prod`", action::request_deploy, "—"},
        {"Deploy to production button", action::trigger_deploy, "as their role"},
        {"QA sign-off button", action::sign_off_staging, "deny (two-person rule)"},
        {"Confirm migrations", action::confirm_migrations, "as their role"},
        {"Feature flags buttons", action::confirm_flags, "as their role"},
        {"Confirm rollback plan", action::confirm_rollback_plan, "as their role"},
        {"`/deploy cancel`, Cancel button", action::cancel_request, "allow"},
        {"`/deploy rollback`, Roll back button", action::rollback, "as their role"},
        {"`/deploy hotfix`", action::hotfix, "as their role"},
        {"`/deploy lock`, `/deploy unlock`", action::lock, "as their role"},
        {"`/deploy override`", action::override_schedule, "as their role"},
        {"`/deploy status`, `history`, `stats`, `help`, Refresh", action::view, "allow"},
    };
    std::string out = "| action | deployer | QA lead | admin | requester | anyone else | in another channel |\n"
                      "|---|---|---|---|---|---|---|\n";
    for (const auto& r : rows) {
        out += std::string("| ") + r.what + " | " + cell(people, "D", r.a) + " | " + cell(people, "Q", r.a) + " | " +
               cell(people, "A", r.a) + " | " + r.requester + " | " + cell(people, "X", r.a) + " | deny |\n";
    }
    return out;
}

bool is_deploy_channel(const config& cfg, std::string_view channel_id) {
    return !cfg.slack.channel.empty() && channel_id == cfg.slack.channel;
}

}  // namespace deploybot
