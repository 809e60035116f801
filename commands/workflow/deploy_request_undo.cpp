#include "commands/workflow/deploy_machine.hpp"

// Undo of a person's checklist item: only while the request is collecting
// (not scheduled, promoting or finished) and only for the items a person
// completes. The item goes back to waiting; the next evaluation refills its
// evidence (migration files, rollback target detail) as for a fresh request.
namespace deploybot::workflow_detail {

transition_result machine::on(const item_undone& e) {
    if (auto why = closed_reason()) return refuse(e.user, *why);
    const std::string name = "Production deploy #" + std::to_string(before.id);
    if (before.state != request_state::collecting)
        return refuse(e.user, {refusal_code::nothing_to_undo, name, "", {"it is " + std::string(to_string(before.state))}});
    auto& r = req();
    auto& it = r.item(e.key);
    const bool manual = e.key == item_key::staging || e.key == item_key::migrations || e.key == item_key::flags ||
                        e.key == item_key::rollback;
    if (!manual)
        return refuse(e.user, {refusal_code::nothing_to_undo, name, "", {"the bot checks that item itself"}});
    if (it.state != item_state::done || it.by_user.empty())
        return refuse(e.user, {refusal_code::nothing_to_undo, name, "", {"that item is not done"}});
    const std::string was_by = it.by_user;
    switch (e.key) {
        case item_key::staging:
            r.sign_off.reset();
            refresh_staging_item();
            break;
        case item_key::migrations:
            it.state = item_state::waiting;
            it.evidence = "Migration files change; a deployer or QA lead must confirm they were tested on staging";
            break;
        case item_key::flags:
            r.flags = flags_choice::none;
            it.state = item_state::waiting;
            it.evidence = "Configured or Not needed?";
            break;
        case item_key::rollback:
            it.state = item_state::waiting;
            it.evidence = "Would roll back to " + r.rollback_target_id + "; confirm the rollback plan";
            break;
        case item_key::tests:
        case item_key::notified: break;
    }
    it.by_user.clear();
    it.at.reset();
    out.effects.push_back(update_message{});
    return accept(std::string(to_string(e.key)) + " undone by " + e.user + " (was by " + was_by + ")");
}

}  // namespace deploybot::workflow_detail
