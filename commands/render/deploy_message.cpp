#include "commands/render/deploy_message.hpp"
#include "commands/render/text.hpp"
#include "commands/render/post_live_message.hpp"

#include <array>

namespace deploybot {
namespace {

using blocks::escape;
using blocks::truncate;
using namespace render_text;

constexpr std::array<std::pair<deploy_action, std::string_view>, 8> action_names{{
    {deploy_action::signoff, "deploy.signoff"},
    {deploy_action::migrations, "deploy.migrations"},
    {deploy_action::flags_configured, "deploy.flags.configured"},
    {deploy_action::flags_not_needed, "deploy.flags.not_needed"},
    {deploy_action::rollback_plan, "deploy.rollback_plan"},
    {deploy_action::refresh, "deploy.refresh"},
    {deploy_action::cancel, "deploy.cancel"},
    {deploy_action::go, "deploy.go"},
}};

std::string_view emoji(item_state s) {
    switch (s) {
        case item_state::done: return ":white_check_mark:";
        case item_state::failed: return ":x:";
        case item_state::not_applicable: return ":heavy_minus_sign:";
        case item_state::pending:
        case item_state::waiting: break;
    }
    return ":hourglass_flowing_sand:";
}

blocks::button make_button(deploy_action a, std::string text, const deploy_request& req, std::string style = {}) {
    blocks::button b;
    b.text = std::move(text);
    b.action_id = std::string(action_id(a));
    b.value = std::to_string(req.id);
    b.style = std::move(style);
    return b;
}

std::string review_text(const shipped_pr& pr) {
    auto join = [](const std::vector<std::string>& v) {
        std::string out;
        for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + escape(v[i]);
        return out;
    };
    switch (pr.review) {
        case pr_review_status::approved:
            return ":white_check_mark: approved" + (pr.approvers.empty() ? std::string() : " by " + join(pr.approvers));
        case pr_review_status::changes_requested:
            return ":warning: changes requested" +
                   (pr.changes_requested_by.empty() ? std::string() : " by " + join(pr.changes_requested_by));
        case pr_review_status::unreviewed: break;
    }
    return ":warning: *unreviewed*";
}

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

std::string what_ships_text(const release_notes& notes, const message_context& ctx) {
    constexpr std::size_t budget = 2700;   // stays well under section.text's 3000
    std::string text = "*What ships* — " + std::to_string(notes.prs.size()) + " PR" +
                       (notes.prs.size() == 1 ? "" : "s") + ", " + std::to_string(notes.total_commits) + " commit" +
                       (notes.total_commits == 1 ? "" : "s");
    if (!notes.compare_url.empty()) text += " (" + link(notes.compare_url, "compare") + ")";
    auto pr_line = [](const shipped_pr& pr) {
        return "\n• " + link(pr.url, "#" + std::to_string(pr.number)) + " " + escape(truncate(first_line(pr.title), 80)) +
               " — " + escape(truncate(pr.author, 39)) + " — " + review_text(pr);
    };
    auto commit_line = [](const direct_commit& c) {
        return "\n• :warning: `" + short_sha(c.sha) + "` " + escape(truncate(first_line(c.message), 80)) + " — " +
               escape(truncate(c.author, 39)) + " — pushed without a PR";
    };
    // When the list must be cut, what needs attention (PRs not approved,
    // commits without a PR) is listed first so the cut never hides it.
    std::vector<std::string> lines;
    const bool cut = notes.prs.size() + notes.direct_commits.size() > ctx.max_listed_prs;
    for (const auto& pr : notes.prs)
        if (!cut || pr.review != pr_review_status::approved) lines.push_back(pr_line(pr));
    for (const auto& c : notes.direct_commits) lines.push_back(commit_line(c));
    if (cut)
        for (const auto& pr : notes.prs)
            if (pr.review == pr_review_status::approved) lines.push_back(pr_line(pr));
    std::size_t listed = 0;
    for (const auto& line : lines) {
        if (listed >= ctx.max_listed_prs || text.size() + line.size() > budget) break;
        text += line;
        ++listed;
    }
    const std::size_t rest = lines.size() - listed;
    if (rest > 0)
        text += "\n…and " + std::to_string(rest) + " more — " +
                (notes.compare_url.empty() ? std::string("see GitHub") : link(notes.compare_url, "full comparison"));
    if (notes.prs.empty() && notes.direct_commits.empty()) text += "\nNothing new since production.";
    return text;
}

std::vector<std::string> warnings(const release_notes& notes, const message_context& ctx) {
    std::vector<std::string> out;
    if (ctx.big_batch_warning > 0 && notes.prs.size() > static_cast<std::size_t>(ctx.big_batch_warning))
        out.push_back(":warning: Big batch: " + std::to_string(notes.prs.size()) +
                      " PRs in one release (more than " + std::to_string(ctx.big_batch_warning) +
                      ") — consider shipping smaller batches");
    std::size_t unreviewed = 0;
    for (const auto& pr : notes.prs) unreviewed += pr.review != pr_review_status::approved;
    if (unreviewed > 0)
        out.push_back(":warning: " + std::to_string(unreviewed) + " PR" + (unreviewed == 1 ? " is" : "s are") +
                      " not approved");
    if (!notes.direct_commits.empty())
        out.push_back(":warning: " + std::to_string(notes.direct_commits.size()) + " commit" +
                      (notes.direct_commits.size() == 1 ? "" : "s") + " without a PR");
    if (notes.behind_by > 0)
        out.push_back(":rotating_light: The candidate is " + std::to_string(notes.behind_by) +
                      " commit(s) behind production — something in production (a hotfix?) is missing from it");
    return out;
}

std::string item_text(const checklist_item& it, const message_context& ctx) {
    const auto index = static_cast<int>(it.key) + 1;
    std::string text = std::string(emoji(it.state)) + " *" + std::to_string(index) + ". " +
                       std::string(item_title(it.key)) + "*";
    if (!it.evidence.empty()) text += " — " + escape(truncate(it.evidence, 600));
    if (!it.evidence_url.empty()) text += " (" + link(it.evidence_url, "details") + ")";
    std::string who;
    if (!it.by_user.empty()) who = "by <@" + escape(it.by_user) + ">";
    if (it.at && (!it.by_user.empty() || it.state == item_state::done))
        who += (who.empty() ? "" : " · ") + describe_local(ctx.schedule, *it.at);
    if (!who.empty()) text += "\n_" + who + "_";
    return text;
}

std::optional<blocks::button> item_button(const deploy_request& req, const checklist_item& it) {
    switch (it.key) {
        case item_key::staging:
            if (it.state != item_state::done && req.candidate.ready)
                return make_button(deploy_action::signoff, "QA sign-off", req);
            break;
        case item_key::migrations:
            if (it.state == item_state::waiting) return make_button(deploy_action::migrations, "Confirm migrations", req);
            break;
        case item_key::rollback:
            if (it.state == item_state::waiting)
                return make_button(deploy_action::rollback_plan, "Confirm rollback plan", req);
            break;
        default: break;
    }
    return std::nullopt;
}

std::string outcome_text(const deploy_request& req, const message_context& ctx) {
    const auto& p = req.promote;
    const std::string cand = "`" + escape(req.candidate.deployment_id) + "` (`" + short_sha(req.candidate.commit_sha) + "`)";
    switch (req.state) {
        case request_state::promoting:
            return ":hourglass_flowing_sand: *Promoting* " + cand + " to " + escape(ctx.production_domain) +
                   (p.clicked_by.empty() ? std::string() : " — started by <@" + escape(p.clicked_by) + ">") +
                   (p.target_deployment_id.empty() || p.target_deployment_id == req.candidate.deployment_id
                        ? std::string()
                        : " — production build `" + escape(p.target_deployment_id) + "`");
        case request_state::live:
            return ":rocket: *Live* on " + escape(ctx.production_domain) + ": `" +
                   escape(p.target_deployment_id.empty() ? req.candidate.deployment_id : p.target_deployment_id) +
                   "` (`" + short_sha(req.candidate.commit_sha) + "`)" +
                   (p.clicked_by.empty() ? std::string() : " — deployed by <@" + escape(p.clicked_by) + ">") +
                   (p.finished_at ? " · " + describe_local(ctx.schedule, *p.finished_at) : std::string());
        case request_state::failed:
            return ":x: *Promote failed*: " + escape(truncate(p.error, 500)) + "\nProduction still serves `" +
                   escape(req.production.deployment_id) + "` unless Vercel says otherwise — check before retrying.";
        case request_state::outcome_unknown:
            return ":grey_question: *Outcome unknown*: " + escape(truncate(p.error, 500)) + "\nCheck what " +
                   escape(ctx.production_domain) + " serves in Vercel: if it is `" + short_sha(req.candidate.commit_sha) +
                   "`, this deploy is live; if not, run `/deploy prod` again.";
        case request_state::cancelled:
            return ":heavy_minus_sign: *Cancelled*" +
                   (req.cancelled_by.empty() ? std::string() : " by <@" + escape(req.cancelled_by) + ">");
        case request_state::rolled_back:
            return ":rewind: *Rolled back* by rollback #" + std::to_string(req.rolled_back_by) + ": " +
                   escape(ctx.production_domain) + " no longer serves `" +
                   escape(p.target_deployment_id.empty() ? req.candidate.deployment_id : p.target_deployment_id) +
                   "` (`" + short_sha(req.candidate.commit_sha) + "`).";
        case request_state::collecting:
        case request_state::scheduled: break;
    }
    return "";
}

}  // namespace

std::string_view action_id(deploy_action a) {
    for (const auto& [act, name] : action_names)
        if (act == a) return name;
    return "";
}

std::optional<deploy_action> parse_deploy_action(std::string_view id) {
    for (const auto& [act, name] : action_names)
        if (name == id) return act;
    return std::nullopt;
}

pr_review_status review_status_of(const review_summary& s) {
    if (!s.changes_requested_by.empty()) return pr_review_status::changes_requested;
    return s.approved ? pr_review_status::approved : pr_review_status::unreviewed;
}

std::string render_age(std::chrono::system_clock::duration d) {
    using namespace std::chrono;
    if (d < seconds{0}) d = seconds{0};
    const auto mins = duration_cast<minutes>(d).count();
    if (mins < 60) return std::to_string(mins) + "m";
    const auto hours = mins / 60;
    if (hours < 24) return std::to_string(hours) + "h " + std::to_string(mins % 60) + "m";
    return std::to_string(hours / 24) + "d " + std::to_string(hours % 24) + "h";
}

std::string render_staging_model_line(const candidate_info& c) {
    switch (c.model) {
        case staging_model::staged_production:
            if (c.ready_substate == "PROMOTED")
                return "Staging model A, but staging serves a build that was already production (PROMOTED): deploying "
                       "re-points production to it; check that this is the build QA tested.";
            return "Staging model A (staged production build): production gets the identical build QA tested.";
        case staging_model::custom_environment:
            return "Staging model B (custom environment): production gets a rebuild of the same commit `" +
                   short_sha(c.commit_sha) + "`, not the identical build QA tested.";
        case staging_model::preview_branch:
            return "Staging model C (preview/branch domain): production gets a rebuild of the same commit `" +
                   short_sha(c.commit_sha) + "`, not the identical build QA tested.";
        case staging_model::unknown: break;
    }
    return "Staging model not detected yet: it is not known whether production gets the identical build or a rebuild.";
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
            return base + ": " + std::to_string(done_count(req)) + "/6 checks done, scheduled" +
                   (req.next_window.empty() ? std::string() : " for " + req.next_window);
        case request_state::collecting: break;
    }
    return base + ": " + std::to_string(done_count(req)) + "/6 checks done";
}

blocks::message render_deploy_message(const deploy_request& req, const release_notes& notes,
                                      const message_context& ctx) {
    blocks::message m;
    m.text = render_fallback_text(req);
    const bool open_for_input = req.state == request_state::collecting || req.state == request_state::scheduled;
    auto& b = m.blocks;

    std::string title = "Production deploy #" + std::to_string(req.id);
    if (req.state != request_state::collecting) title += " — " + state_label(req);
    b.push_back(blocks::header(title, "hdr"));

    std::string meta = "Requested by <@" + escape(req.requester) + "> · " + describe_local(ctx.schedule, req.created_at);
    if (open_for_input) {
        if (req.window_override)
            meta += " · :unlock: schedule overridden by <@" + escape(req.window_override->admin) +
                    ">: " + escape(truncate(req.window_override->reason, 300));
        else if (ctx.window.is_open)
            meta += " · deploy window open until " + ctx.window.closes_at_text;
        else
            meta += " · :calendar: scheduled for the next window: " +
                    (ctx.window.next_open_text.empty() ? std::string("none in the next 14 days")
                                                       : ctx.window.next_open_text);
    }
    b.push_back(blocks::context({meta}, "meta"));

    if (!open_for_input) b.push_back(blocks::section(outcome_text(req, ctx), "outcome"));
    if (auto w = render_watch_section(req, ctx); !w.empty()) b.push_back(blocks::section(truncate(w, 2900), "watch"));
    if (req.production_pinned && open_for_input)
        b.push_back(blocks::context({":pushpin: Production is pinned by a rollback: Vercel does not assign new production "
                                     "builds automatically. Deploying this promotes it and unpins production."},
                                    "pinned"));

    const auto& c = req.candidate;
    std::string cand = "*Candidate:* " + link(c.url, c.deployment_id.empty() ? "unknown" : c.deployment_id) + " · `" +
                       short_sha(c.commit_sha) + "` " + escape(truncate(first_line(c.commit_message), 120)) +
                       " · built " + render_age(ctx.now - c.created_at) + " ago" +
                       (c.ready_substate.empty() ? std::string() : " · " + escape(c.ready_substate));
    if (!req.production.deployment_id.empty())
        cand += "\n*Production now:* `" + escape(req.production.deployment_id) + "` (`" +
                short_sha(req.production.commit_sha) + "`)";
    b.push_back(blocks::section(cand, "candidate"));
    b.push_back(blocks::context({render_staging_model_line(c)}, "model"));
    b.push_back(blocks::divider());

    b.push_back(blocks::section(what_ships_text(notes, ctx), "ships"));
    auto w = warnings(notes, ctx);
    if (open_for_input)
        for (std::size_t i = 0; i < ctx.pending_backports.size() && w.size() < blocks::max_context_elements; ++i)
            w.push_back(":warning: " + truncate(ctx.pending_backports[i], 300));
    if (!w.empty()) b.push_back(blocks::context(w, "warnings"));
    b.push_back(blocks::divider());

    for (const auto& it : req.items) {
        const std::string block_id = "item." + std::string(to_string(it.key));
        std::optional<blocks::button> accessory;
        if (open_for_input) accessory = item_button(req, it);
        b.push_back(blocks::section(item_text(it, ctx), block_id, accessory));
        if (it.key == item_key::flags && open_for_input && it.state != item_state::done)
            b.push_back(blocks::actions({make_button(deploy_action::flags_configured, "Configured", req),
                                         make_button(deploy_action::flags_not_needed, "Not needed", req)},
                                        "item.flags.choice"));
    }

    if (open_for_input) {
        b.push_back(blocks::divider());
        std::vector<blocks::button> controls;
        const auto missing = missing_for_deploy(req, ctx.window.is_open, ctx.window.next_open_text);
        if (missing.empty()) {
            auto go = make_button(deploy_action::go, "Deploy to production", req, "primary");
            blocks::confirm_dialog dlg;
            dlg.title = "Deploy to production?";
            dlg.text = truncate("Promote " + c.deployment_id + " — commit " + short_sha(c.commit_sha) + " “" +
                                    first_line(c.commit_message) + "” — to " + ctx.production_domain + ".",
                                300);
            dlg.confirm = "Deploy";
            dlg.deny = "Not yet";
            go.confirm = dlg;
            controls.push_back(std::move(go));
        } else {
            std::string text = ":no_entry: *Not deployable yet:*";
            for (const auto& why : missing) text += "\n• " + escape(why);
            b.push_back(blocks::section(truncate(text, 2900), "missing"));
        }
        controls.push_back(make_button(deploy_action::refresh, "Refresh", req));
        auto cancel = make_button(deploy_action::cancel, "Cancel request", req, "danger");
        blocks::confirm_dialog dlg;
        dlg.title = "Cancel production deploy #" + std::to_string(req.id) + "?";
        dlg.text = "The checklist and sign-offs are kept in the history; a new /deploy prod starts over.";
        dlg.confirm = "Cancel request";
        dlg.deny = "Keep it";
        dlg.danger = true;
        cancel.confirm = dlg;
        controls.push_back(std::move(cancel));
        b.push_back(blocks::actions(controls, "controls"));
    }
    return m;
}

}  // namespace deploybot
