// The post-mortem issue and the hotfix record's messages (pure).
#include "commands/render/post_live_message.hpp"
#include "commands/render/text.hpp"

#include "commands/workflow/schedule.hpp"

#include <fmt/format.h>

namespace deploybot {
namespace {

using blocks::escape;
using blocks::truncate;
using namespace render_text;

std::string people(const std::vector<std::string>& logins) {
    std::string out;
    for (std::size_t i = 0; i < logins.size() && i < 5; ++i) out += (i ? ", " : "") + escape(logins[i]);
    return out.empty() ? std::string("nobody") : out;
}

std::string state_word(const deploy_request& req) {
    switch (req.state) {
        case request_state::collecting:
        case request_state::scheduled: return "waiting for the deploy click";
        case request_state::promoting: return "deploying";
        case request_state::live: return "live";
        case request_state::failed: return "failed";
        case request_state::cancelled: return "cancelled";
        case request_state::outcome_unknown: return "outcome unknown";
        case request_state::rolled_back: return "rolled back";
    }
    return "";
}

}  // namespace

blocks::message render_hotfix_message(const deploy_request& req, const message_context& ctx) {
    const auto& h = req.hotfix;
    blocks::message m;
    m.text = fmt::format("Hotfix #{}: {} — PR #{} {}", req.id, state_word(req), h.pr_number, truncate(h.pr_title, 100));
    m.blocks.push_back(blocks::header(fmt::format(":ambulance: Hotfix #{} — {}", req.id, state_word(req)), "hdr"));
    std::string text = fmt::format(
        "*PR* {} {} by {} · *approved by* {}\n*CI* {}: {}\n*Commit* `{}` on `{}`\n*Reason:* {}\n*Requested by* <@{}>",
        link(h.pr_url, "#" + std::to_string(h.pr_number)), escape(truncate(first_line(h.pr_title), 120)),
        escape(h.pr_author), people(h.approvers), link(h.ci_url, ":white_check_mark: green"),
        escape(truncate(h.ci_summary, 200)), short_sha(req.candidate.commit_sha), escape(truncate(h.head_ref, 100)),
        escape(truncate(h.reason, 500)), escape(req.requester));
    m.blocks.push_back(blocks::section(truncate(text, 2900), "hotfix"));
    std::string ships = fmt::format("*Ships* {} commit{} beyond what production serves (`{}`)", h.ships_commits,
                                    h.ships_commits == 1 ? "" : "s", short_sha(req.production.commit_sha));
    if (!h.compare_url.empty()) ships += " — " + link(h.compare_url, "compare");
    if (h.production_has_extra > 0)
        ships += fmt::format("\n:warning: Production has {} commit{} this branch lacks: the hotfix *removes* them from "
                             "production until the next /deploy prod.",
                             h.production_has_extra, h.production_has_extra == 1 ? "" : "s");
    m.blocks.push_back(blocks::section(truncate(ships, 2900), "ships"));
    if (!h.lock_override.empty())
        m.blocks.push_back(blocks::context({":unlock: Deploy lock overridden: " + escape(truncate(h.lock_override, 500))}, "lock"));

    const auto& p = req.promote;
    std::string outcome;
    switch (req.state) {
        case request_state::collecting:
        case request_state::scheduled: {
            blocks::button go;
            go.text = "Deploy hotfix";
            go.action_id = std::string(hotfix_go_action_id);
            go.value = std::to_string(req.id);
            go.style = "danger";
            blocks::confirm_dialog dlg;
            dlg.title = "Deploy this hotfix?";
            dlg.text = truncate("Build commit " + short_sha(req.candidate.commit_sha) + " (" + first_line(h.pr_title) +
                                    ") and send it straight to " + ctx.production_domain +
                                    ". No deploy window and no QA sign-off apply.",
                                300);
            dlg.confirm = "Deploy hotfix";
            dlg.deny = "Not yet";
            dlg.danger = true;
            go.confirm = dlg;
            blocks::button cancel;
            cancel.text = "Cancel";
            cancel.action_id = std::string(hotfix_cancel_action_id);
            cancel.value = std::to_string(req.id);
            m.blocks.push_back(blocks::actions({go, cancel}, "hotfix.actions"));
            break;
        }
        case request_state::promoting:
            outcome = ":hourglass_flowing_sand: Building `" + short_sha(req.candidate.commit_sha) + "` for " +
                      escape(ctx.production_domain) + " — started by <@" + escape(p.clicked_by) + ">" +
                      (p.target_deployment_id.empty() ? std::string() : ", build `" + escape(p.target_deployment_id) + "`");
            break;
        case request_state::live:
        case request_state::rolled_back:
            outcome = ":rocket: *Live* on " + escape(ctx.production_domain) + ": `" + escape(p.target_deployment_id) +
                      "` (`" + short_sha(req.candidate.commit_sha) + "`) — deployed by <@" + escape(p.clicked_by) + ">" +
                      (p.finished_at && p.clicked_at ? ", took " + render_duration(*p.finished_at - *p.clicked_at) : std::string());
            if (req.state == request_state::rolled_back)
                outcome += "\n:rewind: Rolled back by rollback #" + std::to_string(req.rolled_back_by) + ".";
            break;
        case request_state::failed: outcome = ":x: *Hotfix failed*: " + escape(truncate(p.error, 500)); break;
        case request_state::outcome_unknown:
            outcome = ":grey_question: *Outcome unknown*: " + escape(truncate(p.error, 500)); break;
        case request_state::cancelled: outcome = ":heavy_minus_sign: *Cancelled*"; break;
    }
    if (!outcome.empty()) m.blocks.push_back(blocks::section(truncate(outcome, 2900), "outcome"));
    if (req.state == request_state::live || req.state == request_state::rolled_back)
        m.blocks.push_back(blocks::context(
            {h.backport_pending ? ":hourglass_flowing_sand: Back-merge pending: `" + short_sha(req.candidate.commit_sha) +
                                      "` is not on the main branch yet — merge PR #" + std::to_string(h.pr_number) + " back."
                                : ":white_check_mark: The hotfix commit is on the main branch."},
            "backport"));
    if (auto w = render_watch_section(req, ctx); !w.empty()) m.blocks.push_back(blocks::section(truncate(w, 2900), "watch"));
    if (!req.postmortem.url.empty())
        m.blocks.push_back(blocks::context({":memo: Post-mortem: " + link(req.postmortem.url, req.postmortem.url)}, "postmortem"));
    return m;
}

std::string render_backport_pending(const deploy_request& req) {
    return fmt::format("Hotfix #{} ({} `{}`) is not on the main branch yet: merge it back, or this deploy undoes it.",
                       req.id, link(req.hotfix.pr_url, "PR #" + std::to_string(req.hotfix.pr_number)),
                       short_sha(req.candidate.commit_sha));
}

blocks::message render_hotfix_outcome(const deploy_request& req, const message_context& ctx) {
    const auto& h = req.hotfix;
    const auto& p = req.promote;
    blocks::message m;
    std::string text;
    switch (req.state) {
        case request_state::live:
        case request_state::rolled_back:
            text = fmt::format(":ambulance: *Hotfix #{} is live* on {}: `{}` — PR {} {}. Reason: {}. Requested by <@{}>, "
                               "approved by {}, deployed by <@{}>{}.",
                               req.id, escape(ctx.production_domain), short_sha(req.candidate.commit_sha),
                               link(h.pr_url, "#" + std::to_string(h.pr_number)), escape(truncate(first_line(h.pr_title), 100)),
                               escape(truncate(h.reason, 300)), escape(req.requester), people(h.approvers),
                               escape(p.clicked_by),
                               p.finished_at && p.clicked_at ? ", took " + render_duration(*p.finished_at - *p.clicked_at)
                                                             : std::string());
            m.text = fmt::format("Hotfix #{} is live: {}", req.id, short_sha(req.candidate.commit_sha));
            break;
        case request_state::outcome_unknown:
            text = fmt::format(":grey_question: Hotfix #{}: *outcome unknown*. {}.\nCheck what {} serves in Vercel: if it is "
                               "`{}`, the hotfix is live. I did not send anything a second time.",
                               req.id, escape(truncate(p.error, 500)), escape(ctx.production_domain),
                               short_sha(req.candidate.commit_sha));
            m.text = fmt::format("Hotfix #{}: outcome unknown, check Vercel", req.id);
            break;
        case request_state::failed:
        case request_state::collecting:
        case request_state::scheduled:
        case request_state::promoting:
        case request_state::cancelled:
            text = fmt::format(":x: Hotfix #{} *failed*: {}\nProduction still serves `{}`. Fix the build and run "
                               "`/deploy hotfix` again.",
                               req.id, escape(truncate(p.error, 500)), escape(req.production.deployment_id));
            m.text = fmt::format("Hotfix #{} failed: {}", req.id, truncate(p.error, 200));
            break;
    }
    m.blocks.push_back(blocks::section(truncate(text, 2900), "hotfix.outcome"));
    return m;
}

std::vector<audit_entry> select_postmortem_timeline(std::vector<audit_entry> audit, const std::vector<std::int64_t>& ids) {
    auto mentions = [](const std::string& what, const std::string& tag) {
        for (auto pos = what.find(tag); pos != std::string::npos; pos = what.find(tag, pos + 1)) {
            const auto end = pos + tag.size();
            if (end == what.size() || !std::isdigit(static_cast<unsigned char>(what[end]))) return true;
        }
        return false;
    };
    auto noise = [](const std::string& what) {
        for (std::string_view n : {"in the thread", " posted ", "outcome announced", "promote POST", "marker recorded"})
            if (what.find(n) != std::string::npos) return true;
        return false;
    };
    std::vector<audit_entry> out;
    for (auto& e : audit) {
        bool about = false;
        for (auto id : ids) about = about || mentions(e.what, "#" + std::to_string(id));
        if (about && !noise(e.what)) out.push_back(std::move(e));
    }
    return out;
}

postmortem_draft render_postmortem(const deploy_request& rb, const std::optional<deploy_request>& bad,
                                   const std::vector<audit_entry>& audit, const postmortem_links& links,
                                   const message_context& ctx) {
    postmortem_draft d;
    const std::string when = describe_local(ctx.schedule, rb.created_at);
    std::string b;
    b += "## Summary\n\n";
    if (rb.kind == record_kind::hotfix) {
        const auto& h = rb.hotfix;
        d.title = truncate(fmt::format("Post-mortem: hotfix {} ({}){}", short_sha(rb.candidate.commit_sha), when,
                                       h.reason.empty() ? std::string() : " — " + h.reason),
                           200);
        b += fmt::format("Hotfix #{} shipped PR #{} ({}) by @{} straight to production ({}), commit `{}`, requested by "
                         "Slack user `{}`, approved by {}, deployed by Slack user `{}`.\n",
                         rb.id, h.pr_number, h.pr_title, h.pr_author, ctx.production_domain,
                         short_sha(rb.candidate.commit_sha), rb.requester,
                         h.approvers.empty() ? std::string("nobody") : "@" + h.approvers.front(), rb.promote.clicked_by);
        b += "\n**Reason:** " + (h.reason.empty() ? std::string("none given") : h.reason) + "\n";
        b += "\n**PR:** " + h.pr_url + "\n";
        if (!h.lock_override.empty()) b += "\n**Deploy lock overridden:** " + h.lock_override + "\n";
        b += "\n## Timeline\n\n";
        for (const auto& a : audit)
            b += "- " + describe_local(ctx.schedule, a.at) + (a.user_id.empty() ? std::string() : " `" + a.user_id + "`") +
                 " — " + truncate(a.what, 300) + "\n";
        b += "\n## Links\n\n";
        if (!h.compare_url.empty()) b += "- What shipped (compare with production before): " + h.compare_url + "\n";
        if (!h.ci_url.empty()) b += "- CI: " + h.ci_url + "\n";
        if (!links.sentry_url.empty()) b += "- Sentry issues since the hotfix: " + links.sentry_url + "\n";
        b += "\n## What went wrong\n\n_To be written._\n\n## How we prevent it\n\n_To be written._\n";
        b += "\n## Back-merge\n\nThe hotfix commit must reach `main`; deploybot reminds the requester daily until it does.\n";
        b += "\n---\n_Drafted by deploybot from its audit log._\n";
        d.body = truncate(b, 60000);
        return d;
    }
    d.title = truncate(fmt::format("Post-mortem: production rolled back to {} ({}){}", short_sha(rb.candidate.commit_sha),
                                   when, rb.rollback.reason.empty() ? std::string() : " — " + rb.rollback.reason),
                       200);
    b += fmt::format("Production ({}) was rolled back by @{} (Slack user `{}`) from `{}` (`{}` {}) to `{}` (`{}` {}).\n",
                     ctx.production_domain, rb.requester, rb.requester, rb.production.deployment_id,
                     short_sha(rb.production.commit_sha), first_line(rb.rollback.from_message),
                     rb.candidate.deployment_id, short_sha(rb.candidate.commit_sha),
                     first_line(rb.candidate.commit_message));
    b += "\n**Reason:** " + (rb.rollback.reason.empty() ? std::string("none given") : rb.rollback.reason) + "\n";
    if (!rb.rollback.alert.empty()) b += "\n**Alert:** " + rb.rollback.alert + "\n";
    if (rb.rollback.crosses_migrations) {
        b += "\n**The rollback crossed a database migration:**";
        for (const auto& f : rb.rollback.migration_files) b += "\n- `" + f + "`";
        b += "\n";
    }
    b += "\n## Impact window\n\n";
    if (bad && bad->promote.finished_at && rb.promote.finished_at)
        b += fmt::format("From {} (production deploy #{} live) to {} (rollback live): {}.\n",
                         describe_local(ctx.schedule, *bad->promote.finished_at), bad->id,
                         describe_local(ctx.schedule, *rb.promote.finished_at),
                         render_age(*rb.promote.finished_at - *bad->promote.finished_at));
    else if (rb.promote.finished_at)
        b += "Until " + describe_local(ctx.schedule, *rb.promote.finished_at) +
             " (rollback live); the start is not known to deploybot (production was not deployed through it).\n";
    if (bad && !bad->watch.checks.empty()) {
        b += "\n| Interval | Errors | |\n|---|---|---|\n";
        for (const auto& c : bad->watch.checks)
            b += fmt::format("| {} | {} | {} |\n", c.index, c.observed ? std::to_string(c.events) : "no data",
                             c.regression ? "regression" : "");
    }
    b += "\n## Timeline\n\n";
    for (const auto& a : audit)
        b += "- " + describe_local(ctx.schedule, a.at) + (a.user_id.empty() ? std::string() : " `" + a.user_id + "`") +
             " — " + truncate(a.what, 300) + "\n";
    b += "\n## Links\n\n";
    if (bad && !bad->message_ts.empty()) b += fmt::format("- Deploy message: Slack channel `{}`, ts `{}`\n", bad->channel, bad->message_ts);
    if (!links.slack_message.empty()) b += "- Rollback message: " + links.slack_message + "\n";
    if (!rb.production.deployment_id.empty()) b += "- Vercel deployment rolled back: `" + rb.production.deployment_id + "`\n";
    if (!rb.candidate.url.empty()) b += "- Vercel deployment restored: " + rb.candidate.url + "\n";
    if (!links.compare_url.empty()) b += "- GitHub compare (what was rolled back): " + links.compare_url + "\n";
    if (!links.sentry_url.empty()) b += "- Sentry issues since the deploy: " + links.sentry_url + "\n";
    if (bad)
        for (const auto& n : bad->watch.new_issues) b += "- Sentry " + n.short_id + ": " + n.title + " " + n.url + "\n";
    b += "\n## What went wrong\n\n_To be written._\n\n## How we prevent it\n\n_To be written._\n";
    b += "\n---\n_Drafted by deploybot from its audit log._\n";
    d.body = truncate(b, 60000);
    return d;
}

}  // namespace deploybot
