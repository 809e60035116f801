#include "commands/render/deploy_message.hpp"
#include "commands/render/text.hpp"
#include "commands/render/release_notes_text.hpp"
#include "commands/render/post_live_message.hpp"

#include <array>

namespace deploybot {
namespace {

using blocks::escape;
using blocks::truncate;
using namespace render_text;



std::string mention(const std::string& user) { return "<@" + escape(user) + ">"; }

std::string mentions(const std::vector<std::string>& users) {
    std::string out;
    for (std::size_t i = 0; i < users.size() && i < 5; ++i) out += (i ? ", " : "") + mention(users[i]);
    if (users.size() > 5) out += " and " + std::to_string(users.size() - 5) + " more";
    return out;
}

std::string local_date(const message_context& ctx, time_point t) {
    return slack_date(t, describe_local(ctx.schedule, t));
}

blocks::button make_button(deploy_action a, std::string text, const deploy_request& req, std::string style = {}) {
    blocks::button b;
    b.text = std::move(text);
    b.action_id = std::string(action_id(a));
    b.value = std::to_string(req.id);
    b.style = std::move(style);
    return b;
}

blocks::confirm_dialog make_confirm(std::string title, std::string text, std::string yes, std::string no) {
    blocks::confirm_dialog d;
    d.title = std::move(title);
    d.text = truncate(text, 300);
    d.confirm = std::move(yes);
    d.deny = std::move(no);
    return d;
}

// "4b92478 “Add invoice export to billing page (#481)”" (plain text, for confirm dialogs).
std::string commit_words(const candidate_info& c) {
    return short_sha(c.commit_sha) + " “" + truncate(first_line(c.commit_message), 80) + "”";
}

// The commit that leads every message: "`4b92478` Add invoice export to billing page (#481)".
std::string commit_line(const candidate_info& c) {
    return "`" + short_sha(c.commit_sha) + "` " + escape(truncate(first_line(c.commit_message), 120));
}

// The rollback target as the machine described it ("`5d3462e` Release 2026-01-13"),
// without the deployment id; "" when it gave no detail.
std::string rollback_detail(const deploy_request& req) {
    const auto& ev = req.item(item_key::rollback).evidence;
    const std::string lead = "Would roll back to " + req.rollback_target_id + " (";
    if (ev.rfind(lead, 0) != 0) return {};
    const auto end = ev.rfind(");");
    if (end == std::string::npos || end < lead.size()) return {};
    return ev.substr(lead.size(), end - lead.size());
}

bool candidate_known(const deploy_request& req) { return !req.candidate.deployment_id.empty(); }
std::string state_label(const deploy_request& r) {
    switch (r.state) {
        case request_state::collecting: return "collecting";
        case request_state::scheduled: return "scheduled";
        case request_state::promoting: return "promoting";
        case request_state::live: return "live";
        case request_state::failed: return "failed";
        case request_state::cancelled: return "cancelled";
        case request_state::outcome_unknown: return "outcome unknown";
        case request_state::rolled_back: return "rolled back";
    }
    return "";
}

bool waits_for_person(const deploy_request& req, const checklist_item& it) {
    if (it.state == item_state::waiting) return true;
    return it.key == item_key::staging && it.state == item_state::pending && req.candidate.ready &&
           candidate_known(req);
}

std::string_view mark_of(const deploy_request& req, const checklist_item& it) {
    switch (it.state) {
        case item_state::done: return mark_done;
        case item_state::failed: return mark_failed;
        case item_state::not_applicable: return mark_not_needed;
        case item_state::pending:
        case item_state::waiting: break;
    }
    return waits_for_person(req, it) ? mark_person : mark_checking;
}

std::string by(const checklist_item& it) { return it.by_user.empty() ? std::string() : " by " + mention(it.by_user); }

// One short line per item: what it is, its state, and who can act when a person must.
std::string item_line(const deploy_request& req, const checklist_item& it, const message_context& ctx) {
    const bool known = candidate_known(req);
    std::string text;
    switch (it.key) {
        case item_key::tests:
            if (it.state == item_state::done) text = "CI green — " + escape(truncate(it.evidence, 200));
            else if (it.state == item_state::failed) text = "CI failed — " + escape(truncate(it.evidence, 300));
            else if (req.last_ci == ci_state::pending) text = "CI running — " + escape(truncate(it.evidence, 200));
            else if (!it.evidence.empty()) text = "CI — " + escape(truncate(it.evidence, 300));   // e.g. GitHub unreadable
            else text = "CI — checking…";
            if (!it.evidence_url.empty() && known) text += " (" + link(it.evidence_url, "checks") + ")";
            break;
        case item_key::staging: {
            const std::string staging = ctx.staging_domain.empty()
                                            ? std::string("staging")
                                            : link("https://" + ctx.staging_domain, ctx.staging_domain);
            if (it.state == item_state::done) text = "QA signed off" + by(it) + " on " + staging;
            else if (!known) text = "Staging — checking…";
            else if (!req.candidate.ready) text = "Staging build not ready yet — checking again";
            else
                text = "QA sign-off on " + staging + " — waiting for " +
                       (ctx.qa_leads.empty() ? std::string("a QA lead") : mentions(ctx.qa_leads));
            if (it.state != item_state::done && known && req.sign_off_void)
                text += " (the previous sign-off is void: staging moved)";
            break;
        }
        case item_key::migrations:
            if (it.state == item_state::done) text = "Migrations tested on staging — confirmed" + by(it);
            else if (it.state == item_state::not_applicable) text = "No database migrations";
            else if (it.state == item_state::waiting)
                text = "Migrations — " + escape(truncate(it.evidence.substr(0, it.evidence.find(';')), 300)) +
                       " — tested on staging? (a deployer or QA lead confirms)";
            else text = "Migrations — checking…";
            break;
        case item_key::flags:
            if (it.state == item_state::done)
                text = (req.flags == flags_choice::not_needed ? "No feature flags needed" : "Feature flags configured") +
                       std::string(it.by_user.empty() ? "" : " — " + mention(it.by_user));
            else text = "Feature flags — configured, or not needed? (a deployer or QA lead)";
            break;
        case item_key::notified:
            text = it.state == item_state::done ? std::string("Team notified (this message)")
                                                : std::string("Team notified — posting…");
            break;
        case item_key::rollback: {
            if (it.state == item_state::done) text = "Rollback plan confirmed" + by(it);
            else if (it.state == item_state::failed) text = escape(truncate(it.evidence, 300));
            else if (it.state == item_state::waiting) {
                const auto detail = rollback_detail(req);
                text = "Rollback plan" + (detail.empty() ? std::string() : ": back to " + escape(detail)) +
                       " — a deployer confirms";
            } else text = "Rollback plan — checking…";
            break;
        }
    }
    return std::string(mark_of(req, it)) + " " + text;
}

// One row of buttons for the items people act on, and undo for what a person
// did while the request is still collecting.
std::vector<blocks::button> item_buttons(const deploy_request& req, const message_context& ctx) {
    std::vector<blocks::button> out;
    const auto& c = req.candidate;
    const std::string where = ctx.staging_domain.empty() ? std::string("staging") : ctx.staging_domain;
    if (req.item(item_key::staging).state != item_state::done && c.ready && candidate_known(req)) {
        auto b = make_button(deploy_action::signoff, "QA sign-off", req);
        b.confirm = make_confirm("Sign off staging?",
                                 "Sign off " + commit_words(c) + " as tested on " + where +
                                     ". The sign-off is recorded under your name.",
                                 "Sign off", "Not yet");
        out.push_back(std::move(b));
    }
    if (req.item(item_key::migrations).state == item_state::waiting) {
        auto b = make_button(deploy_action::migrations, "Confirm migrations", req);
        b.confirm = make_confirm("Migrations tested?",
                                 "Confirm that this release's database migrations ran on " + where +
                                     " and were tested there. Recorded under your name.",
                                 "Confirm", "Not yet");
        out.push_back(std::move(b));
    }
    if (req.item(item_key::flags).state != item_state::done) {
        out.push_back(make_button(deploy_action::flags_configured, "Flags configured", req));
        out.push_back(make_button(deploy_action::flags_not_needed, "No flags needed", req));
    }
    if (req.item(item_key::rollback).state == item_state::waiting)
        out.push_back(make_button(deploy_action::rollback_plan, "Confirm rollback plan", req));
    if (req.state == request_state::collecting) {
        if (req.item(item_key::staging).state == item_state::done)
            out.push_back(make_button(deploy_action::undo_signoff, "Undo sign-off", req));
        if (req.item(item_key::migrations).state == item_state::done)
            out.push_back(make_button(deploy_action::undo_migrations, "Undo migrations", req));
        if (req.item(item_key::flags).state == item_state::done)
            out.push_back(make_button(deploy_action::undo_flags, "Undo flags", req));
        if (req.item(item_key::rollback).state == item_state::done)
            out.push_back(make_button(deploy_action::undo_rollback_plan, "Undo rollback plan", req));
    }
    return out;
}

// After go-live (or any end), the checklist as one line of evidence.
std::string evidence_line(const deploy_request& req) {
    std::string text = std::string(done_count(req) == 6 ? mark_done : mark_not_needed) + " " +
                       std::to_string(done_count(req)) + "/6 checks";
    const auto& tests = req.item(item_key::tests);
    if (tests.state == item_state::done) text += " · CI green";
    auto who = [&](item_key k, std::string_view what) {
        const auto& it = req.item(k);
        if (it.state == item_state::done && !it.by_user.empty()) text += " · " + std::string(what) + " " + mention(it.by_user);
    };
    who(item_key::staging, "QA");
    who(item_key::migrations, "migrations");
    who(item_key::flags, req.flags == flags_choice::not_needed ? "no flags" : "flags");
    who(item_key::rollback, "rollback plan");
    return text;
}

std::string outcome_text(const deploy_request& req, const message_context& ctx) {
    const auto& p = req.promote;
    const std::string what = commit_line(req.candidate);
    const std::string prod = req.production.commit_sha.empty() ? std::string("the previous deployment")
                                                                : "`" + short_sha(req.production.commit_sha) + "`";
    const bool rebuild = !p.target_deployment_id.empty() && p.target_deployment_id != req.candidate.deployment_id;
    switch (req.state) {
        case request_state::promoting:
            return std::string(mark_checking) + " *Promoting* " + what + " to " + escape(ctx.production_domain) +
                   (rebuild ? std::string(" (a production rebuild)") : std::string()) +
                   (p.clicked_by.empty() ? std::string() : " — started by " + mention(p.clicked_by));
        case request_state::live: {
            std::string text = ":rocket: *Live* on " + escape(ctx.production_domain) + ": " + what;
            if (!p.clicked_by.empty()) text += " — deployed by " + mention(p.clicked_by);
            if (p.finished_at && p.clicked_at) text += " in " + render_duration(*p.finished_at - *p.clicked_at);
            if (p.finished_at) text += " · " + local_date(ctx, *p.finished_at);
            return text + "\nPrevious production: " + prod + " · if it misbehaves: `/deploy rollback`";
        }
        case request_state::failed:
            return ":x: *Promote failed*: " + escape(truncate(p.error, 500)) + "\nProduction still serves " + prod +
                   " unless Vercel says otherwise — check before retrying.";
        case request_state::outcome_unknown:
            return ":grey_question: *Outcome unknown*: " + escape(truncate(p.error, 500)) + "\nCheck what " +
                   escape(ctx.production_domain) + " serves in Vercel: if it is `" + short_sha(req.candidate.commit_sha) +
                   "`, this deploy is live; if not, run `/deploy prod` again.";
        case request_state::cancelled:
            return ":heavy_minus_sign: *Cancelled*" + (req.cancelled_by.empty() ? std::string() : " by " + mention(req.cancelled_by)) +
                   (candidate_known(req) ? " — was " + what : std::string());
        case request_state::rolled_back:
            return ":rewind: *Rolled back* by rollback #" + std::to_string(req.rolled_back_by) + ": " +
                   escape(ctx.production_domain) + " no longer serves " + what + ".";
        case request_state::collecting:
        case request_state::scheduled: break;
    }
    return "";
}

}  // namespace

std::string render_staging_model_line(const candidate_info& c) {
    switch (c.model) {
        case staging_model::staged_production:
            if (c.ready_substate == "PROMOTED")
                return ":warning: Staging serves a build that was already production (PROMOTED): deploying points "
                       "production at it again; check that it is the build QA tested.";
            return "Production gets the identical build QA tested.";
        case staging_model::custom_environment:
        case staging_model::preview_branch:
            return ":warning: Production gets a rebuild of `" + short_sha(c.commit_sha) +
                   "`, not the exact build QA tested.";
        case staging_model::unknown: break;
    }
    return "Not known yet whether production gets the identical build or a rebuild.";
}

std::string render_fallback_text(const deploy_request& req) {
    const std::string base = "Production deploy #" + std::to_string(req.id);
    const std::string sha = short_sha(req.candidate.commit_sha);
    switch (req.state) {
        case request_state::live: return base + " is live: " + sha;
        case request_state::failed: return base + " failed: " + truncate(req.promote.error, 200);
        case request_state::cancelled: return base + " was cancelled";
        case request_state::outcome_unknown: return base + ": outcome unknown, check Vercel";
        case request_state::rolled_back: return base + " was rolled back";
        case request_state::promoting: return base + ": promoting " + sha;
        case request_state::scheduled:
            if (!candidate_known(req)) return base + ": checking staging, CI and what ships, scheduled";
            return base + ": " + std::to_string(done_count(req)) + "/6 checks done, scheduled" +
                   (req.next_window.empty() ? std::string() : " for " + req.next_window);
        case request_state::collecting: break;
    }
    if (!candidate_known(req)) return base + ": checking staging, CI and what ships";
    return base + ": " + std::to_string(done_count(req)) + "/6 checks done";
}

blocks::message render_deploy_message(const deploy_request& req, const release_notes& notes,
                                      const message_context& ctx) {
    blocks::message m;
    m.text = render_fallback_text(req);
    const bool open_for_input = req.state == request_state::collecting || req.state == request_state::scheduled;
    const bool known = candidate_known(req);
    auto& b = m.blocks;
    const auto& c = req.candidate;

    std::string title = "Production deploy #" + std::to_string(req.id);
    if (open_for_input && known) title += " — " + std::to_string(done_count(req)) + "/6 ready";
    if (req.state == request_state::scheduled) title += " — scheduled";
    else if (!open_for_input) title += " — " + state_label(req);
    b.push_back(blocks::header(title, "hdr"));

    std::string meta = "Requested by " + mention(req.requester) + " · " + local_date(ctx, req.created_at);
    if (open_for_input) {
        if (req.window_override)
            meta += " · :unlock: window overridden by " + mention(req.window_override->admin) + ": " +
                    escape(truncate(req.window_override->reason, 300));
        else if (ctx.window.is_open && ctx.window.closes_at)
            meta += " · window open until " + slack_date(*ctx.window.closes_at, ctx.window.closes_at_text);
        else if (!ctx.window.is_open)
            meta += " · :calendar: outside the deploy window; next window " +
                    (ctx.window.next_open ? slack_date(*ctx.window.next_open, ctx.window.next_open_text)
                                          : std::string("none in the next 14 days"));
    }
    b.push_back(blocks::context({meta}, "meta"));

    if (!open_for_input) {
        // Collapsed: the outcome first, the checklist as one line of evidence.
        b.push_back(blocks::section(outcome_text(req, ctx), "outcome"));
        if (auto w = render_watch_section(req, ctx); !w.empty()) b.push_back(blocks::section(truncate(w, 2900), "watch"));
        b.push_back(blocks::context({evidence_line(req)}, "evidence"));
        if (notes.loaded && !notes.prs.empty())
            b.push_back(blocks::section(truncate("*Ships:* " + ships_summary(notes) + "\n" + ships_list(notes, ctx), 2900),
                                        "ships"));
        return m;
    }

    if (req.production_pinned)
        b.push_back(blocks::context({":pushpin: Production is pinned by a rollback: Vercel does not assign new production "
                                     "builds automatically. Deploying this promotes it and unpins production."},
                                    "pinned"));

    if (!known) {
        b.push_back(blocks::section(std::string(mark_checking) + " Checking staging, CI and what ships…", "loading"));
    } else {
        std::vector<std::string> fields;
        fields.push_back("*Staging build*\n" + link(c.url, "built " + render_age(ctx.now - c.created_at) + " ago") +
                         (c.ready ? std::string() : " · not ready yet") +
                         (c.ready_substate.empty() ? std::string() : " · " + escape(c.ready_substate)));
        fields.push_back("*Production now*\n" + (req.production.commit_sha.empty()
                                                     ? std::string(mark_checking) + " reading Vercel…"
                                                     : "`" + short_sha(req.production.commit_sha) + "`"));
        fields.push_back("*Ships*\n" + ships_summary(notes));
        fields.push_back("*Build*\n" + render_staging_model_line(c));
        b.push_back(blocks::section_fields(commit_line(c), fields, "candidate"));
        if (notes.loaded) {
            if (auto list = ships_list(notes, ctx); !list.empty()) b.push_back(blocks::section(list, "ships"));
        }
    }
    auto w = warnings(notes, ctx);
    for (std::size_t i = 0; i < ctx.pending_backports.size() && w.size() < blocks::max_context_elements; ++i)
        w.push_back(":warning: " + truncate(ctx.pending_backports[i], 300));
    if (!w.empty()) b.push_back(blocks::context(w, "warnings"));
    b.push_back(blocks::divider());

    std::string items;
    for (const auto& it : req.items) items += (items.empty() ? "" : "\n") + item_line(req, it, ctx);
    b.push_back(blocks::section(truncate(items, 2900), "items"));
    if (known)
        if (auto buttons = item_buttons(req, ctx); !buttons.empty()) b.push_back(blocks::actions(buttons, "item_actions"));

    std::vector<blocks::button> controls;
    const auto missing = missing_for_deploy(req, ctx.window.is_open, ctx.window.next_open_text);
    if (known && missing.empty()) {
        auto go = make_button(deploy_action::go, "Deploy to production", req, "primary");
        std::string text = ctx.production_domain + ": " +
                           (req.production.commit_sha.empty() ? std::string("?") : short_sha(req.production.commit_sha)) +
                           " → " + commit_words(c) + ".";
        if (c.model == staging_model::staged_production && c.ready_substate != "PROMOTED")
            text += " Production gets the identical build QA tested.";
        else if (c.model != staging_model::staged_production && c.model != staging_model::unknown)
            text += " Production gets a rebuild of that commit.";
        go.confirm = make_confirm("Deploy to production?", text, "Deploy", "Not yet");
        controls.push_back(std::move(go));
    } else if (known) {
        // The items say what is open; this line counts them and adds what is not an item.
        std::size_t open_items = 0;
        for (const auto& it : req.items) open_items += !is_settled(it.state);
        std::string text = ":no_entry: *Not deployable yet:* ";
        std::string parts;
        if (open_items > 0)
            parts = std::to_string(open_items) + " item" + (open_items == 1 ? "" : "s") + " open";
        for (std::size_t i = open_items; i < missing.size(); ++i) parts += (parts.empty() ? "" : " · ") + escape(missing[i]);
        if (!req.window_override && !ctx.window.is_open) parts += " — an admin can deploy it now with `/deploy override` plus a reason";
        b.push_back(blocks::context({truncate(text + parts, 2900)}, "missing"));
    }
    controls.push_back(make_button(deploy_action::refresh, "Refresh", req));
    auto cancel = make_button(deploy_action::cancel, "Cancel request", req, "danger");
    auto dlg = make_confirm("Cancel production deploy #" + std::to_string(req.id) + "?",
                            "The checklist and sign-offs are kept in the history; a new /deploy prod starts over.",
                            "Cancel request", "Keep it");
    dlg.danger = true;
    cancel.confirm = dlg;
    controls.push_back(std::move(cancel));
    b.push_back(blocks::actions(controls, "controls"));
    return m;
}

blocks::message render_live_announcement(const deploy_request& req, const message_context& ctx) {
    const auto& p = req.promote;
    const auto took = p.finished_at && p.clicked_at ? render_duration(*p.finished_at - *p.clicked_at) : std::string("?");
    std::string build = "a production rebuild of the commit QA tested";
    if (req.candidate.model == staging_model::staged_production)
        build = req.candidate.ready_substate == "PROMOTED" ? "the build staging served (it had been production before)"
                                                          : "the identical build QA tested";
    const std::string signer = req.sign_off ? mention(req.sign_off->user) : std::string("nobody");
    std::string people;
    if (req.requester == p.clicked_by || p.clicked_by.empty())
        people = "Requested and deployed by " + mention(req.requester) + ", signed off by " + signer;
    else
        people = "Requested by " + mention(req.requester) + ", signed off by " + signer + ", deployed by " +
                 mention(p.clicked_by);
    blocks::message m;
    m.text = "Production deploy #" + std::to_string(req.id) + " is live: " + short_sha(req.candidate.commit_sha);
    m.blocks.push_back(blocks::section(":rocket: Production deploy #" + std::to_string(req.id) + " is *live* on " +
                                           escape(ctx.production_domain) + ": " + commit_line(req.candidate) + " (" +
                                           build + ").\n" + people + ", took " + took + ".",
                                       "live"));
    return m;
}

blocks::message render_failed_announcement(const deploy_request& req, const message_context&) {
    const std::string prod = req.production.commit_sha.empty() ? std::string("the previous deployment")
                                                                : "`" + short_sha(req.production.commit_sha) + "`";
    blocks::message m;
    m.text = "Production deploy #" + std::to_string(req.id) + " failed: " + truncate(req.promote.error, 200);
    m.blocks.push_back(blocks::section(
        truncate(":x: Production deploy #" + std::to_string(req.id) + " *failed*: " +
                     escape(truncate(req.promote.error, 1000)) + "\nProduction still serves " + prod +
                     ". Check the deployment in Vercel, then run `/deploy prod` again; if production misbehaves, "
                     "`/deploy rollback`.",
                 2900),
        "failed"));
    return m;
}

blocks::message render_unknown_announcement(const deploy_request& req, const message_context& ctx) {
    blocks::message m;
    m.text = "Production deploy #" + std::to_string(req.id) + ": outcome unknown, check Vercel";
    m.blocks.push_back(blocks::section(
        truncate(":grey_question: Production deploy #" + std::to_string(req.id) + ": *outcome unknown*. " +
                     escape(truncate(req.promote.error, 1000)) + ".\nCheck what " + escape(ctx.production_domain) +
                     " serves in Vercel: if it is `" + short_sha(req.candidate.commit_sha) +
                     "`, the deploy is live; otherwise run `/deploy prod` again. I did not send the promote a second time.",
                 2900),
        "unknown"));
    return m;
}

}  // namespace deploybot
