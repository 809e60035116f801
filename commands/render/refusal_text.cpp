#include "commands/render/refusal_text.hpp"

#include "bot/core/blocks.hpp"

namespace deploybot {

namespace {
std::string mention(const std::string& user) { return "<@" + user + ">"; }

std::string first(const refusal& r) { return r.details.empty() ? std::string() : r.details.front(); }

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
    return out;
}
}  // namespace

// One case per code and no default: -Wswitch catches a code without words.
std::string refusal_text(const refusal& r) {
    switch (r.code) {
    case refusal_code::not_a_checklist:
        return r.subject + " is a " + first(r) + ", not a production deploy checklist; nothing to change there.";
    case refusal_code::checklist_frozen:
        return r.subject + " is already promoting; the checklist is frozen until it finishes.";
    case refusal_code::request_closed:
        return r.subject + " is " + first(r) + "; start a new request with /deploy prod.";
    case refusal_code::record_promoting:
        return r.subject + " is already promoting; nothing more to click until it finishes.";
    case refusal_code::record_closed: return r.subject + " is " + first(r) + "; start a new one.";
    case refusal_code::two_person_rule:
        return "Two-person rule: you requested " + r.subject + ", so someone else — a QA lead — must sign off staging.";
    case refusal_code::staging_not_ready:
        return "Staging deployment " + r.subject + " is not READY yet; sign off once it is.";
    case refusal_code::already_signed_off:
        return "Staging " + r.subject + " is already signed off by " + mention(r.person) + ".";
    case refusal_code::no_migrations: return "No migrations ship in this release; nothing to confirm.";
    case refusal_code::migrations_unchecked:
        return "The release has not been checked for migrations yet; press Refresh first.";
    case refusal_code::migrations_confirmed: return "Migrations were already confirmed by " + mention(r.person) + ".";
    case refusal_code::flags_choice_missing: return "Choose Configured or Not needed.";
    case refusal_code::no_rollback_target:
        return "There is no eligible production deployment to roll back to (" + first(r) +
               "); the plan cannot be confirmed until there is one.";
    case refusal_code::rollback_target_unchecked:
        return "The rollback target has not been checked yet; press Refresh first.";
    case refusal_code::rollback_plan_confirmed:
        return "The rollback plan was already confirmed by " + mention(r.person) + ".";
    case refusal_code::override_needs_reason:
        return "A schedule override needs a written reason, e.g. /deploy override payment outage fix.";
    case refusal_code::already_promoting:
        // details hold the internal attempt id: not for people.
        return r.subject + " is already promoting; this click changes nothing.";
    case refusal_code::not_ready_to_deploy: {
        std::string text = "Can't deploy " + r.subject + " yet: " + joined(r.details) + ".";
        for (const auto& d : r.details)
            if (d.rfind("outside the deploy window", 0) == 0) {
                text += " Urgent? An admin can deploy it now with `/deploy override` plus a reason.";
                break;
            }
        return text;
    }
    case refusal_code::cancel_while_promoting:
        return r.subject + " is promoting and cannot be cancelled; once it finishes, use /deploy rollback if "
                           "production needs to go back.";
    case refusal_code::cancel_not_allowed:
        return "Only the requester (" + mention(r.person) + ") or an admin can cancel " + r.subject + ".";
    case refusal_code::no_open_alert: return "There is no open alert on " + r.subject + " to acknowledge.";
    case refusal_code::deploys_locked: {
        std::string s = r.subject + " are locked";
        if (!r.person.empty()) s += " by " + mention(r.person);
        if (!first(r).empty()) s += " since " + first(r);
        const std::string reason = r.details.size() > 1 ? r.details[1] : std::string();
        return s + ": " + blocks::escape(reason.empty() ? std::string("no reason given") : reason) +
               ". An admin can `/deploy unlock`.";
    }
    case refusal_code::locked_after_offer:
        return "Production deploys were locked after " + r.subject + " was offered (" + blocks::escape(first(r)) +
               "); an admin must run `/deploy hotfix` again to take it through the lock.";
    case refusal_code::nothing_to_undo:
        return "Nothing to undo on " + r.subject + ": " + first(r) + ". Undo works on a person's item while the "
               "request is collecting.";
    }
    return "That cannot be done now.";
}

}  // namespace deploybot
