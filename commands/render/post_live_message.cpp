#include "commands/render/post_live_message.hpp"
#include "commands/render/text.hpp"

#include "commands/workflow/schedule.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace deploybot {
namespace {

using blocks::escape;
using blocks::truncate;
using namespace render_text;

std::string minutes_text(std::int64_t seconds) {
    if (seconds % 3600 == 0 && seconds >= 3600) return std::to_string(seconds / 3600) + " h";
    if (seconds % 60 == 0) return std::to_string(seconds / 60) + " min";
    return std::to_string(seconds) + " s";
}

std::string baseline_text(const watch_info& w) {
    const auto per = baseline_per_interval(w);
    if (!per) return "baseline unknown (Sentry had no figures for the hour before)";
    std::string t = fmt::format("baseline {:.1f} per {}", *per, minutes_text(w.interval_s));
    t += fmt::format(" ({} in the hour before", w.baseline_hour < 0 ? std::string("?") : std::to_string(w.baseline_hour));
    if (w.last_week_hour >= 0) t += fmt::format(", {} a week earlier", w.last_week_hour);
    return t + ")";
}

std::string window_text(const watch_info& w, int index, const message_context& ctx) {
    const auto from = w.live_at + std::chrono::seconds(w.interval_s * (index - 1));
    return describe_local(ctx.schedule, from) + " + " + minutes_text(w.interval_s);
}

const watch_check* find_check(const watch_info& w, int index) {
    for (const auto& c : w.checks)
        if (c.index == index) return &c;
    return nullptr;
}

std::string issues_lines(const watch_info& w, std::size_t max) {
    std::string out;
    for (std::size_t i = 0; i < w.new_issues.size() && i < max; ++i) {
        const auto& n = w.new_issues[i];
        out += "\n• " + link(n.url, n.short_id) + " " + escape(truncate(n.title, 100)) +
               (n.count > 0 ? fmt::format(" — {} events", n.count) : std::string());
    }
    if (w.new_issues.size() > max) out += fmt::format("\n• …and {} more", w.new_issues.size() - max);
    return out;
}

std::string target_name(const deploy_request& req) {
    return req.promote.target_deployment_id.empty() ? req.candidate.deployment_id : req.promote.target_deployment_id;
}

std::string mention_text(std::string_view m) {
    if (m.empty()) return std::string();
    if (m == "here" || m == "channel") return "<!" + std::string(m) + "> ";
    if (m.front() == 'S') return "<!subteam^" + std::string(m) + "> ";
    return "<@" + std::string(m) + "> ";
}

std::int64_t peak(const watch_info& w) {
    std::int64_t p = 0;
    for (const auto& c : w.checks)
        if (c.observed) p = std::max(p, c.events);
    return p;
}

std::int64_t total(const watch_info& w) {
    std::int64_t t = 0;
    for (const auto& c : w.checks)
        if (c.observed) t += c.events;
    return t;
}

std::string pinned_note(std::string_view domain) {
    return ":pushpin: Vercel now *pins* " + escape(domain) +
           " to this deployment: new production builds are no longer assigned automatically. The next "
           "`/deploy prod` (a promote) unpins it.";
}

}  // namespace

std::string render_watch_phase(const watch_info& w) {
    switch (w.phase) {
        case watch_phase::none: return "none";
        case watch_phase::watching:
            return fmt::format("watching ({} of {} checks)", w.checks.size(), w.intervals());
        case watch_phase::stable: return "stable after " + minutes_text(w.duration_s);
        case watch_phase::regressed: return "regressed (" + describe_observed(w) + ")";
        case watch_phase::partly_observed: return "partly observed (" + describe_observed(w) + ")";
        case watch_phase::not_observed: return "not observed (Sentry gave no data)";
        case watch_phase::ended: return "ended early: " + w.ended_reason;
    }
    return "none";
}

std::string render_watch_section(const deploy_request& req, const message_context& ctx) {
    const auto& w = req.watch;
    switch (w.phase) {
        case watch_phase::none: return std::string();
        case watch_phase::watching: {
            std::string t = fmt::format(":eyes: *Watching Sentry* for {} after going live ({}): {} of {} checks done",
                                        minutes_text(w.duration_s), describe_local(ctx.schedule, w.live_at),
                                        w.checks.size(), w.intervals());
            if (!w.checks.empty()) {
                const auto& c = w.checks.back();
                t += c.observed ? fmt::format(", last {}: {} errors", minutes_text(w.interval_s), c.events)
                                : ", last check: no data (" + escape(truncate(c.note, 120)) + ")";
            }
            t += "; " + baseline_text(w) + ".";
            if (w.alert_open) t += "\n:rotating_light: An error spike alert is open (see the channel).";
            else if (!w.acked_by.empty()) t += "\n:ok_hand: <@" + escape(w.acked_by) + "> said it looks fine; still watching.";
            return t;
        }
        case watch_phase::stable:
            return fmt::format(":white_check_mark: *Production stable after {}*: {} errors in total, at most {} per {} "
                               "({}); {}.",
                               minutes_text(w.duration_s), total(w), peak(w), minutes_text(w.interval_s),
                               baseline_text(w), describe_observed(w));
        case watch_phase::regressed:
            return fmt::format(":rotating_light: *Regressed* after going live: up to {} errors per {} ({}); {}.",
                               peak(w), minutes_text(w.interval_s), baseline_text(w), describe_observed(w));
        case watch_phase::partly_observed:
            return fmt::format(":warning: *Partly observed*: no regression in what Sentry reported, but {}: not "
                               "enough to call it stable. {} errors in total.",
                               describe_observed(w), total(w));
        case watch_phase::not_observed:
            return ":grey_question: *Not observed*: Sentry gave no data for the whole watch, so nothing is known "
                   "about the error rate. Check Sentry yourself.";
        case watch_phase::ended:
            return ":stop_sign: *Watch ended early* (" + escape(w.ended_reason) + "); " + describe_observed(w) + ".";
    }
    return std::string();
}

std::string render_watch_progress(const deploy_request& req, int index, const message_context& ctx) {
    const auto& w = req.watch;
    const auto* c = find_check(w, index);
    if (!c) return std::string();
    std::string t = fmt::format("Check {}/{} ({}): ", index, w.intervals(), window_text(w, index, ctx));
    if (!c->observed)
        return t + ":grey_question: no data (" + escape(truncate(c->note, 200)) +
               ") — this interval does not count as observed.";
    t += fmt::format("{} errors ({})", c->events, baseline_text(w));
    t += c->regression ? " — :rotating_light: *regression*" : " — fine";
    return t;
}

blocks::message render_watch_alert(const deploy_request& req, int index, const alert_context& a,
                                   const message_context& ctx) {
    const auto& w = req.watch;
    const auto* c = find_check(w, index);
    const std::int64_t events = c ? c->events : 0;
    const std::string name = record_name(req);
    blocks::message m;
    m.text = fmt::format("Error spike after {}: {} errors in {}", name, events, minutes_text(w.interval_s));
    auto& b = m.blocks;
    b.push_back(blocks::header(":rotating_light: Error spike after " + name, "alert.hdr"));
    std::string text = mention_text(a.mention) +
                       fmt::format("*{} errors* in {} ({}) on {}, against a {}. Live since {}: `{}` (`{}`) {}.",
                                   events, minutes_text(w.interval_s), window_text(w, index, ctx),
                                   escape(ctx.production_domain), baseline_text(w),
                                   describe_local(ctx.schedule, w.live_at), escape(target_name(req)),
                                   short_sha(req.candidate.commit_sha),
                                   escape(truncate(first_line(req.candidate.commit_message), 100)));
    if (w.alerts > 1) text += fmt::format("\nThis is alert {} of this watch: it got worse after the last one was acknowledged.", w.alerts);
    b.push_back(blocks::section(truncate(text, 2900), "alert.figures"));
    std::string issues = w.new_issues.empty() ? std::string("*New issues since the deploy:* none reported by Sentry")
                                              : "*New issues since the deploy:*" + issues_lines(w, 5);
    b.push_back(blocks::section(truncate(issues, 2900), "alert.issues"));
    std::vector<std::string> links;
    if (!a.sentry_url.empty()) links.push_back(link(a.sentry_url, "Sentry issues since the deploy"));
    if (!req.candidate.url.empty()) links.push_back(link(req.candidate.url, "the deployment in Vercel"));
    if (!links.empty()) b.push_back(blocks::context(links, "alert.links"));

    blocks::button roll;
    roll.text = "Roll back";
    roll.action_id = std::string(rollback_action_id);
    roll.value = rollback_alert_value(req.id);
    roll.style = "danger";
    blocks::confirm_dialog dlg;
    dlg.title = "Roll back production?";
    dlg.text = truncate("Production (" + ctx.production_domain + ") goes back to " +
                            (a.rollback_target.empty() ? std::string("the previous production deployment")
                                                       : a.rollback_target) +
                            " with Vercel's instant rollback, and stays pinned there until the next /deploy prod.",
                        300);
    dlg.confirm = "Roll back";
    dlg.deny = "Not now";
    dlg.danger = true;
    roll.confirm = dlg;
    blocks::button fine;
    fine.text = "Looks fine, keep watching";
    fine.action_id = std::string(watch_ack_action_id);
    fine.value = std::to_string(req.id);
    b.push_back(blocks::actions({roll, fine}, "alert.actions"));
    return m;
}

blocks::message render_watch_summary(const deploy_request& req, const message_context& ctx) {
    blocks::message m;
    const std::string name = record_name(req);
    std::string head;
    switch (req.watch.phase) {
        case watch_phase::stable: head = "production stable after " + minutes_text(req.watch.duration_s); break;
        case watch_phase::regressed: head = "production regressed"; break;
        case watch_phase::partly_observed: head = "partly observed (" + describe_observed(req.watch) + ")"; break;
        case watch_phase::not_observed: head = "not observed: Sentry gave no data"; break;
        case watch_phase::ended: head = "watch ended early (" + req.watch.ended_reason + ")"; break;
        case watch_phase::none:
        case watch_phase::watching: head = "watch in progress"; break;
    }
    m.text = "Watch of " + name + ": " + head;
    std::string text = render_watch_section(req, ctx);
    if (!req.watch.new_issues.empty()) text += "\n*New issues since the deploy:*" + issues_lines(req.watch, 5);
    m.blocks.push_back(blocks::section(truncate("*Watch of " + escape(name) + "*: " + text, 2900), "watch.summary"));
    return m;
}

std::string rollback_offer_value(const rollback_offer& o) {
    // The reason is cut so the value stays well inside Slack's 2000 characters.
    return "o|" + o.target.deployment_id + "|" + o.from.deployment_id + "|" + truncate(o.reason, 400);
}

std::string rollback_alert_value(std::int64_t record) { return "a|" + std::to_string(record); }

std::optional<rollback_click> parse_rollback_value(std::string_view v) {
    rollback_click c;
    if (v.starts_with("a|")) {
        const auto num = v.substr(2);
        auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), c.record);
        if (ec != std::errc{} || p != num.data() + num.size() || c.record <= 0) return std::nullopt;
        c.from_alert = true;
        return c;
    }
    if (!v.starts_with("o|")) return std::nullopt;
    v.remove_prefix(2);
    const auto a = v.find('|');
    if (a == std::string_view::npos) return std::nullopt;
    const auto b = v.find('|', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    c.target = std::string(v.substr(0, a));
    c.from = std::string(v.substr(a + 1, b - a - 1));
    c.reason = std::string(v.substr(b + 1));
    if (c.target.empty() || c.target.size() > 100 || c.from.size() > 100) return std::nullopt;
    return c;
}

blocks::message render_rollback_offer(const rollback_offer& o, const message_context& ctx) {
    blocks::message m;
    m.text = "Roll back production to " + short_sha(o.target.commit_sha) + "?";
    std::string text = fmt::format(
        ":rewind: *Roll back {} to* {} — `{}` {}\nBuilt {} ago{}. Production serves `{}` (`{}`) {} now.",
        escape(ctx.production_domain), link(o.target.url, o.target.deployment_id), short_sha(o.target.commit_sha),
        escape(truncate(first_line(o.target.commit_message), 120)), render_age(ctx.now - o.target.created_at),
        o.target_creator.empty() ? std::string() : ", deployed by " + escape(o.target_creator),
        escape(o.from.deployment_id), short_sha(o.from.commit_sha), escape(truncate(first_line(o.from_message), 120)));
    text += o.reason.empty() ? "\n*Reason:* (none given)" : "\n*Reason:* " + escape(truncate(o.reason, 400));
    m.blocks.push_back(blocks::section(truncate(text, 2900), "offer"));
    if (o.crosses_migrations || o.migrations_unknown) {
        std::string warn = o.migrations_unknown
                               ? ":warning: *Could not check for database migrations* between the two commits; the "
                                 "old code may not match the database schema."
                               : ":warning: *This rollback crosses a database migration*: the old code will run "
                                 "against the newer schema. Files:";
        for (std::size_t i = 0; i < o.migration_files.size() && i < 5; ++i) warn += "\n• `" + escape(o.migration_files[i]) + "`";
        if (o.migration_files.size() > 5) warn += fmt::format("\n• …and {} more", o.migration_files.size() - 5);
        m.blocks.push_back(blocks::section(truncate(warn, 2900), "offer.migrations"));
    }
    m.blocks.push_back(blocks::context({pinned_note(ctx.production_domain)}, "offer.pin"));
    blocks::button go;
    go.text = "Roll back production";
    go.action_id = std::string(rollback_action_id);
    go.value = rollback_offer_value(o);
    go.style = "danger";
    blocks::confirm_dialog dlg;
    dlg.title = "Roll back production?";
    dlg.text = truncate("Production goes back to " + o.target.deployment_id + " (" + short_sha(o.target.commit_sha) +
                            " “" + first_line(o.target.commit_message) + "”)." +
                            (o.crosses_migrations ? " It crosses a database migration." : ""),
                        300);
    dlg.confirm = "Roll back";
    dlg.deny = "Cancel";
    dlg.danger = true;
    go.confirm = dlg;
    m.blocks.push_back(blocks::actions({go}, "offer.actions"));
    return m;
}

blocks::message render_record_message(const deploy_request& req, const message_context& ctx) {
    switch (req.kind) {
        case record_kind::rollback: return render_rollback_message(req, ctx);
        case record_kind::hotfix: return render_hotfix_message(req, ctx);
        case record_kind::production: break;
    }
    return render_deploy_message(req, release_notes{}, ctx);
}

blocks::message render_record_outcome(const deploy_request& req, const message_context& ctx) {
    switch (req.kind) {
        case record_kind::rollback: return render_rollback_outcome(req, ctx);
        case record_kind::hotfix: return render_hotfix_outcome(req, ctx);
        case record_kind::production: break;
    }
    return render_deploy_message(req, release_notes{}, ctx);
}

blocks::message render_rollback_message(const deploy_request& req, const message_context& ctx) {
    blocks::message m;
    const auto& rb = req.rollback;
    std::string state;
    switch (req.state) {
        case request_state::promoting: state = "rolling back"; break;
        case request_state::live: state = "done"; break;
        case request_state::failed: state = "failed"; break;
        case request_state::outcome_unknown: state = "outcome unknown"; break;
        case request_state::rolled_back: state = "replaced"; break;
        case request_state::collecting:
        case request_state::scheduled:
        case request_state::cancelled: state = std::string(to_string(req.state)); break;
    }
    m.text = fmt::format("Rollback #{}: {} — back to {}", req.id, state, short_sha(req.candidate.commit_sha));
    m.blocks.push_back(blocks::header(fmt::format("Rollback #{} — {}", req.id, state), "hdr"));
    std::string text = fmt::format("*Back to* {} — `{}` {}\n*From* `{}` (`{}`) {}\n*By* <@{}>{}: {}",
                                   link(req.candidate.url, req.candidate.deployment_id),
                                   short_sha(req.candidate.commit_sha),
                                   escape(truncate(first_line(req.candidate.commit_message), 120)),
                                   escape(req.production.deployment_id), short_sha(req.production.commit_sha),
                                   escape(truncate(first_line(rb.from_message), 120)), escape(req.requester),
                                   rb.rolls_back ? fmt::format(" (production deploy #{})", rb.rolls_back) : std::string(),
                                   rb.reason.empty() ? std::string("no reason given") : escape(truncate(rb.reason, 400)));
    if (!rb.alert.empty()) text += "\n*Alert:* " + escape(truncate(rb.alert, 300));
    m.blocks.push_back(blocks::section(truncate(text, 2900), "rollback"));
    if (rb.crosses_migrations) {
        std::string warn = ":warning: Crosses a database migration:";
        for (std::size_t i = 0; i < rb.migration_files.size() && i < 5; ++i) warn += " `" + escape(rb.migration_files[i]) + "`";
        m.blocks.push_back(blocks::context({truncate(warn, 1900)}, "migrations"));
    }
    std::string outcome;
    const auto& p = req.promote;
    switch (req.state) {
        case request_state::promoting:
            outcome = ":hourglass_flowing_sand: Vercel is moving " + escape(ctx.production_domain) + " back…";
            break;
        case request_state::live:
        case request_state::rolled_back:
            outcome = ":rewind: " + escape(ctx.production_domain) + " serves `" + escape(req.candidate.deployment_id) +
                      "` again" +
                      (p.finished_at && p.clicked_at ? " (took " + render_duration(*p.finished_at - *p.clicked_at) + ")"
                                                     : std::string()) +
                      ".\n" + pinned_note(ctx.production_domain);
            break;
        case request_state::failed: outcome = ":x: *Rollback failed*: " + escape(truncate(p.error, 500)); break;
        case request_state::outcome_unknown:
            outcome = ":grey_question: *Outcome unknown*: " + escape(truncate(p.error, 500)); break;
        case request_state::collecting:
        case request_state::scheduled:
        case request_state::cancelled: break;
    }
    if (!outcome.empty()) m.blocks.push_back(blocks::section(truncate(outcome, 2900), "outcome"));
    if (auto w = render_watch_section(req, ctx); !w.empty()) m.blocks.push_back(blocks::section(truncate(w, 2900), "watch"));
    if (!req.postmortem.url.empty())
        m.blocks.push_back(blocks::context({":memo: Post-mortem: " + link(req.postmortem.url, req.postmortem.url)}, "postmortem"));
    return m;
}

blocks::message render_rollback_outcome(const deploy_request& req, const message_context& ctx) {
    blocks::message m;
    const auto& p = req.promote;
    const std::string took =
        p.finished_at && p.clicked_at ? render_duration(*p.finished_at - *p.clicked_at) : std::string("?");
    std::string text;
    switch (req.state) {
        case request_state::live:
        case request_state::rolled_back: {
            const auto secs = p.finished_at && p.clicked_at
                                  ? std::chrono::duration_cast<std::chrono::seconds>(*p.finished_at - *p.clicked_at).count()
                                  : -1;
            text = fmt::format(":rewind: *Production rolled back* by <@{}>: {} serves `{}` (`{}`) {} again, instead of "
                               "`{}` (`{}`). Reason: {}. Took {}.\n{}",
                               escape(req.requester), escape(ctx.production_domain), escape(req.candidate.deployment_id),
                               short_sha(req.candidate.commit_sha),
                               escape(truncate(first_line(req.candidate.commit_message), 100)),
                               escape(req.production.deployment_id), short_sha(req.production.commit_sha),
                               req.rollback.reason.empty() ? std::string("none given") : escape(truncate(req.rollback.reason, 300)),
                               secs >= 0 && secs < 120 ? std::to_string(secs) + " s" : took, pinned_note(ctx.production_domain));
            m.text = fmt::format("Production rolled back to {} (rollback #{})", short_sha(req.candidate.commit_sha), req.id);
            break;
        }
        case request_state::outcome_unknown:
            text = fmt::format(":grey_question: Rollback #{}: *outcome unknown*. {}.\nCheck what {} serves in Vercel: if it "
                               "is `{}`, the rollback happened; otherwise roll back again (`/deploy rollback`) or use "
                               "Instant Rollback in Vercel's dashboard. I did not send the rollback a second time.",
                               req.id, escape(truncate(p.error, 500)), escape(ctx.production_domain),
                               short_sha(req.candidate.commit_sha));
            m.text = fmt::format("Rollback #{}: outcome unknown, check Vercel", req.id);
            break;
        case request_state::failed:
        case request_state::collecting:
        case request_state::scheduled:
        case request_state::promoting:
        case request_state::cancelled:
            text = fmt::format(":x: Rollback #{} *failed*: {}\nProduction still serves `{}`. Next: fix what Vercel "
                               "says and `/deploy rollback` again, or use Instant Rollback in Vercel's dashboard.",
                               req.id, escape(truncate(p.error, 500)), escape(req.production.deployment_id));
            m.text = fmt::format("Rollback #{} failed: {}", req.id, truncate(p.error, 200));
            break;
    }
    m.blocks.push_back(blocks::section(truncate(text, 2900), "rollback.outcome"));
    return m;
}

}  // namespace deploybot
