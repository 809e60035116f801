// The production deploy workflow: the I/O layer around the pure deploy_request
// state machine. Every input (command, click, evaluation, promote progress)
// becomes an event; apply() decides; the result is saved (request + audit row)
// before any of its effects is performed.
#include "commands/deploy/deploy_commands.hpp"

#include "bot/log.hpp"
#include "bot/core/permissions.hpp"
#include "bot/spawn.hpp"
#include "commands/workflow/ci_verdict.hpp"
#include "commands/render/deploy_message.hpp"
#include "commands/render/post_live_message.hpp"
#include "commands/workflow/deploy_request.hpp"
#include "commands/deploy/deploy_store.hpp"
#include "commands/gather.hpp"
#include "commands/workflow/review_state.hpp"
#include "commands/workflow/schedule.hpp"
#include "integrations/github/github_client.hpp"
#include "integrations/vercel/vercel_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

namespace deploybot {

namespace {

using namespace boost::asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_commits_for_pr_lookup = 60;

std::int64_t to_ms(time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
time_point from_ms(std::int64_t ms) {
    // Clamped: a server's timestamp must not overflow the clock's nanoseconds.
    ms = std::clamp<std::int64_t>(ms, -9'000'000'000'000, 9'000'000'000'000);
    return time_point{std::chrono::duration_cast<time_point::duration>(std::chrono::milliseconds{ms})};
}

std::string short_sha(std::string_view sha) { return std::string(sha.substr(0, 7)); }

// The string-building helpers below are plain functions: gcc 12 miscompiles
// string temporaries inside ?: in coroutines (a crash was seen), so coroutines
// call these instead of formatting inline.
std::string deployment_of(const api_result<vercel_alias>& a) { return a ? a->deployment_id : std::string(); }

check_run to_check_run(const github_check_run& r) {
    return {r.name, r.status, r.conclusion.empty() ? std::nullopt : std::optional<std::string>(r.conclusion),
            r.html_url};
}

ci_verdict unreadable_ci(const api_error& err) {
    return ci_verdict{ci_state::unknown,
                      "could not read CI from GitHub (" + err.code +
                          (err.retry_after ? fmt::format(", retry in {} s", err.retry_after->count()) : "") +
                          "); press Refresh",
                      {}, 0};
}

std::string describe_unknown_promote(const api_error& err) {
    return "the promote was sent but Vercel's answer was lost (" + err.to_string() +
           "), and no promote of ours appeared at Vercel afterwards";
}

std::string describe_unknown_rebuild(const api_error& err) {
    return "the production rebuild was requested but Vercel's answer was lost (" + err.to_string() +
           "), and no rebuild of ours could be found";
}

// Where a link to a deployment goes: its inspector page, else https:// + its host
// (Vercel gives bare host names; Slack does not link those).
std::string deployment_link(const vercel_deployment& d) {
    if (!d.inspector_url.empty()) return d.inspector_url;
    if (d.url.empty()) return std::string();
    return d.url.starts_with("http") ? d.url : "https://" + d.url;
}

std::string or_none(const std::string& s) { return s.empty() ? "(none configured)" : s; }

std::string describe_failed_build(const std::string& id, const vercel_deployment& d) {
    return fmt::format("the production rebuild {} ended in {}{}", id, d.ready_state,
                       d.error_message.empty() ? "" : ": " + d.error_message);
}

std::string describe_failed_promote(const alias_job_result& done) {
    std::string failed;
    for (const auto& a : done.failed_aliases) failed += (failed.empty() ? "" : ", ") + a.alias;
    return fmt::format("Vercel reported the promote {}{}", done.job_status,
                       failed.empty() ? std::string(" but production does not serve it")
                                      : "; domains not moved: " + failed);
}

staging_model to_model(vercel_staging_model m) {
    switch (m) {
    case vercel_staging_model::staged_production: return staging_model::staged_production;
    case vercel_staging_model::custom_environment: return staging_model::custom_environment;
    case vercel_staging_model::preview: return staging_model::preview_branch;
    }
    return staging_model::unknown;
}

blocks::message plain(std::string text, std::string_view block_id = "reply") {
    blocks::message m;
    m.text = text;
    m.blocks.push_back(blocks::section(text, block_id));
    return m;
}

blocks::message render_problems(const std::vector<std::string>& problems) {
    std::string text = "Some checks could not be evaluated:\n";
    for (const auto& p : problems) text += "• " + blocks::escape(p) + "\n";
    text += "The checklist keeps the last known state; press *Refresh* to try again.";
    return plain(text, "problems");
}

// The freeze set by /deploy lock.
struct deploy_lock {
    std::string by, reason;
    std::int64_t at_ms = 0;
};

std::optional<deploy_lock> parse_lock(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    boost::system::error_code ec;
    auto v = boost::json::parse(*text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    deploy_lock l;
    auto& o = v.as_object();
    if (auto* x = o.if_contains("by"); x && x->is_string()) l.by = std::string(x->get_string());
    if (auto* x = o.if_contains("reason"); x && x->is_string()) l.reason = std::string(x->get_string());
    if (auto* x = o.if_contains("at_ms"); x && x->is_int64()) l.at_ms = x->get_int64();
    return l;
}

// What one evaluation learned (beyond the event for the state machine).
struct evaluation {
    checklist_evaluated event;
    std::vector<std::string> problems;   // service errors, shown to the requester
    std::string staging_by;              // creator of the staging deployment
    std::int64_t staging_since_ms = 0;
    std::optional<github_comparison> comparison;   // production...candidate, when readable
};

api_retry_options retry_options(const config& cfg) {
    api_retry_options o;
    o.max_attempts = cfg.http.max_retries + 1;
    o.backoff_base = cfg.http.retry_backoff;
    return o;
}

class deploy_service_impl final : public deploy_records, public std::enable_shared_from_this<deploy_service_impl> {
public:
    explicit deploy_service_impl(bot_context& ctx)
        : ctx_(ctx), store_(ctx.db),
          // The clients compare their clock with the servers' timestamps
          // (rate-limit resets, lastAliasRequest.requestedAt), so they use the
          // real clock; ctx.clock drives the deploy schedule only (and is
          // shifted in tests, which made promotes look older than the POST).
          github_(ctx.http, ctx.cfg.github, ctx.tokens.github_token,
                  github_client_options{.retry = retry_options(ctx.cfg)}),
          vercel_(ctx.http, ctx.cfg.vercel, ctx.tokens.vercel_token,
                  vercel_client_options{.retry = retry_options(ctx.cfg)}),
          tick_(ctx.executor) {
        if (auto r = store_.ensure_schema(); !r) log::error("deploy", "cannot create deploy tables: {}", r.error().message());
        register_routes();
    }

    void start() {
        // Resume: whatever state the active request was left in, continue it.
        if (auto active = store_.active()) {
            log::info("deploy", "resuming production deploy #{} in state {}", active->id, to_string(active->state));
            // Stopped between recording the request and posting its message: post it now.
            if (active->message_ts.empty() &&
                (active->state != request_state::promoting || active->kind == record_kind::rollback))
                spawn(keep_posting_checklist(active->id), "post checklist");
            execute(*active, resume_effects(*active));
            if (active->state != request_state::promoting) spawn(refresh(active->id, ""), "resume refresh");
        }
        // Outcomes recorded but not yet announced (Slack down, or a restart in between).
        for (const auto& r : store_.history(20))
            if (r.announcement_owed) spawn(deliver_outcome(r.id, true), "resume announcement");
        // The post-live phase: watches in progress, owed summaries and post-mortems.
        for (const auto& r : store_.post_live_pending()) {
            log::info("deploy", "resuming the post-live phase of {}", record_name(r));
            execute(r, resume_effects(r));
        }
        spawn(tick_loop(), "deploy ticker");
    }

    void stop() {
        stopping_ = true;
        tick_.cancel();
        for (auto* t : sleepers_) t->cancel();
    }

private:
    bot_context& ctx_;
    deploy_store store_;
    github_client github_;
    vercel_client vercel_;
    asio::steady_timer tick_;
    bool stopping_ = false;
    std::set<std::int64_t> evaluating_;
    std::set<std::string> promotes_running_;             // attempt ids with a live coroutine
    std::map<std::int64_t, release_notes> notes_;        // by request id, for the candidate it was built for
    std::map<std::int64_t, std::string> notes_for_;      // request id → "prod_sha...cand_sha"
    std::map<std::int64_t, std::chrono::steady_clock::time_point> last_manual_refresh_;   // pruned on use
    std::set<std::int64_t> announcing_;                  // requests whose outcome post is being delivered
    std::set<std::int64_t> posting_;                     // requests whose checklist is being (re)posted
    std::set<asio::steady_timer*> sleepers_;             // retry waits in progress, cancelled by stop()
    std::vector<post_live_sink*> sinks_;                 // the watch and rollback modules

    template <class Coro>
    void spawn(Coro&& coro, std::string what) {
        spawn_logged(ctx_.executor, std::forward<Coro>(coro), "deploy", std::move(what));
    }

    // ---------- transitions ----------

    using outcome = deploy_records::outcome;

    // apply → save (request + audit) → effects.
    outcome transition(std::int64_t id, const deploy_event& ev_in, std::string_view user) override {
        // The watch that starts with "live" takes its length from the config.
        deploy_event ev = ev_in;
        if (auto* f = std::get_if<promote_finished>(&ev); f && f->ok && watch_configured()) {
            f->watch_duration_s = ctx_.cfg.monitoring.duration.count();
            f->watch_interval_s = ctx_.cfg.monitoring.interval.count();
        }
        // A save refused as stale (errc::conflict) is applied again to what is
        // stored now, so no update is lost.
        for (int attempt = 0;; ++attempt) {
            auto req = store_.load(id);
            if (!req) return {false, true, "That deploy request no longer exists."};
            const auto now = ctx_.clock();
            auto t = apply(*req, ev, now);
            if (t.refused) {
                execute(t.request, t.effects);
                return {false, true, ""};
            }
            if (!t.changed) return {};
            auto r = store_.save_transition(*req, t, user, now);
            if (!r && r.error() == make_error_code(errc::conflict) && attempt < 3) continue;
            if (!r) {
                log::error("deploy", "cannot save deploy #{}: {}; its effects are not performed", id,
                           r.error().message());
                return {false, true, "deploybot could not record that (storage error); nothing was done. Try again."};
            }
            log::info("deploy", "#{} {} -> {} ({})", id, to_string(req->state), to_string(t.request.state),
                      t.audit_what);
            execute(t.request, t.effects);
            return {true, false, ""};
        }
    }

    // Sentry configured: every go-live starts a watch (monitoring.duration_s 0 turns it off).
    bool watch_configured() const {
        return !ctx_.cfg.sentry.org.empty() && !ctx_.cfg.sentry.project.empty() && !ctx_.tokens.sentry_token.empty() &&
               ctx_.cfg.monitoring.duration.count() > 0;
    }

    // ---------- deploy_records ----------

    deploy_store& records() override { return store_; }

    bool create(deploy_request record, std::string audit_what) override {
        audit_entry a;
        a.at = record.created_at;
        a.user_id = record.requester;
        a.kind = "transition";
        a.what = fmt::format("{} created: {}", record_name(record), audit_what);
        a.channel_id = record.channel;
        if (auto r = store_.save(record, a); !r) {
            log::error("deploy", "cannot save {}: {}", record_name(record), r.error().message());
            return false;
        }
        log::info("deploy", "{} created ({})", record_name(record), audit_what);
        spawn(keep_posting_checklist(record.id), "post record message");
        execute(record, resume_effects(record));
        return true;
    }

    asio::awaitable<std::string> post_once(json::object body, std::string key, std::string* error) override {
        auto self = shared_from_this();
        co_return co_await post_tagged(std::move(body), std::move(key), error);
    }

    void thread_reply(std::int64_t id, std::string text) override {
        if (auto r = store_.load(id)) spawn(thread_reply(*r, std::move(text)), "thread reply");
    }

    void refresh_message(std::int64_t id) override { spawn(update_checklist(id), "update"); }

    void add_sink(post_live_sink* sink) override { sinks_.push_back(sink); }

    void to_sinks(const deploy_request& req, const effect& e) {
        for (auto* s : sinks_) s->perform(req, e);
    }

    // A record went live: the one a rollback replaced becomes rolled back, and
    // a watch still running on an older record ends (production moved on).
    void replace_older(const deploy_request& now_live) {
        std::set<std::int64_t> older;
        for (const auto& r : store_.post_live_pending())
            if (r.id != now_live.id && r.state == request_state::live && r.watch.phase == watch_phase::watching)
                older.insert(r.id);
        const auto rolled = now_live.kind == record_kind::rollback ? now_live.rollback.rolls_back : 0;
        if (rolled > 0 && rolled != now_live.id) older.insert(rolled);
        for (auto id : older) transition(id, replaced_by{now_live.id, id == rolled}, "");
    }

    void execute(const deploy_request& req, const std::vector<effect>& effects) {
        for (const auto& e : effects) {
            std::visit(
                [&](const auto& x) {
                    using T = std::decay_t<decltype(x)>;
                    if constexpr (std::is_same_v<T, post_refusal>) {
                        spawn(ephemeral(req.channel.empty() ? ctx_.cfg.slack.channel : req.channel, x.user,
                                        plain(x.text, "refusal")),
                              "refusal");
                    } else if constexpr (std::is_same_v<T, update_message>) {
                        spawn(update_checklist(req.id), "update");
                    } else if constexpr (std::is_same_v<T, start_promote>) {
                        start_promote_task(req.id, x.attempt_id, x.deployment_id, x.model, "");
                    } else if constexpr (std::is_same_v<T, start_watch> || std::is_same_v<T, watch_progress> ||
                                         std::is_same_v<T, watch_alert> || std::is_same_v<T, watch_summary> ||
                                         std::is_same_v<T, open_postmortem> || std::is_same_v<T, verify_rollback>) {
                        to_sinks(req, e);
                    } else if constexpr (std::is_same_v<T, verify_promote>) {
                        start_promote_task(req.id, x.attempt_id, x.deployment_id, req.candidate.model,
                                           x.target_deployment_id, true, x.sent_baseline_ms);
                    } else if constexpr (std::is_same_v<T, announce_live>) {
                        spawn(deliver_outcome(req.id), "announce live");
                        spawn(update_checklist(req.id), "update");
                        replace_older(req);
                    } else if constexpr (std::is_same_v<T, announce_failed>) {
                        spawn(deliver_outcome(req.id), "announce failed");
                        spawn(update_checklist(req.id), "update");
                    } else if constexpr (std::is_same_v<T, announce_unknown>) {
                        spawn(deliver_outcome(req.id), "announce unknown");
                        spawn(update_checklist(req.id), "update");
                    } else if constexpr (std::is_same_v<T, mention_requester_window_open>) {
                        spawn(thread_reply(req, fmt::format("<@{}> the deploy window is open: finish the checklist "
                                                            "and press *Deploy to production*.",
                                                            x.requester)),
                              "window mention");
                    } else if constexpr (std::is_same_v<T, announce_override>) {
                        spawn(announce(req, plain(fmt::format(":warning: <@{}> overrode the deploy window for "
                                                              "production deploy #{}: {}",
                                                              x.admin, req.id, blocks::escape(x.reason)),
                                                  "override")),
                              "announce override");
                    } else if constexpr (std::is_same_v<T, announce_cancelled>) {
                        spawn(thread_reply(req, fmt::format("Production deploy #{} was cancelled by <@{}>.", req.id, x.by)),
                              "announce cancel");
                        spawn(update_checklist(req.id), "update");
                    } else if constexpr (std::is_same_v<T, announce_sign_off_void>) {
                        spawn(thread_reply(req, x.text), "sign-off void");
                    } else if constexpr (std::is_same_v<T, candidate_changed>) {
                        notes_for_.erase(req.id);   // "what ships" is rebuilt by the running evaluation
                    }
                },
                e);
        }
    }

    // ---------- Slack output ----------

    asio::awaitable<void> ephemeral(std::string channel, std::string user, blocks::message m) {
        auto r = co_await ctx_.slack.post_ephemeral(channel, user, blocks::to_json(m));
        if (!r) log::warn("deploy", "ephemeral to {} failed: {}", user, r.error().to_string());
    }

    asio::awaitable<void> announce(deploy_request req, blocks::message m) {
        auto body = blocks::to_json(m);
        body["channel"] = channel_of(req);
        body["unfurl_links"] = false;
        body["unfurl_media"] = false;
        auto r = co_await ctx_.slack.post_message(std::move(body));
        if (!r) log::warn("deploy", "announcement for #{} failed: {}", req.id, r.error().to_string());
    }

    asio::awaitable<void> thread_reply(deploy_request req, std::string text) {
        auto body = blocks::to_json(plain(text, "thread"));
        body["channel"] = channel_of(req);
        if (!req.message_ts.empty()) body["thread_ts"] = req.message_ts;
        auto r = co_await ctx_.slack.post_message(std::move(body));
        if (!r) log::warn("deploy", "thread reply for #{} failed: {}", req.id, r.error().to_string());
    }

    const std::string& channel_of(const deploy_request& req) const {
        return req.channel.empty() ? ctx_.cfg.slack.channel : req.channel;
    }

    message_context message_ctx() const {
        message_context mc;
        mc.now = ctx_.clock();
        mc.schedule = ctx_.cfg.schedule;
        mc.window = evaluate_schedule(ctx_.cfg.schedule, mc.now);
        mc.production_domain = ctx_.cfg.vercel.production_domain;
        mc.big_batch_warning = ctx_.cfg.github.big_batch_warning;
        return mc;
    }

    blocks::message render(const deploy_request& req) const {
        if (req.kind == record_kind::rollback) return render_rollback_message(req, message_ctx());
        static const release_notes empty_notes;
        auto it = notes_.find(req.id);
        return render_deploy_message(req, it == notes_.end() ? empty_notes : it->second, message_ctx());
    }

    asio::awaitable<void> update_checklist(std::int64_t id) {
        auto req = store_.load(id);   // render the latest persisted state, whatever triggered us
        if (!req || req->message_ts.empty()) co_return;
        auto r = co_await ctx_.slack.update_message(req->channel, req->message_ts, blocks::to_json(render(*req)));
        if (!r) log::warn("deploy", "chat.update of #{} failed: {}", id, r.error().to_string());
        // Someone deleted the checklist: an open request gets a new one.
        if (!r && r.error().code == "message_not_found" && !is_terminal(req->state))
            spawn(keep_posting_checklist(id, true), "repost checklist");
    }

    blocks::message render_live(const deploy_request& req) const {
        const auto took = req.promote.finished_at && req.promote.clicked_at
                              ? render_age(*req.promote.finished_at - *req.promote.clicked_at)
                              : std::string("?");
        const std::string identical = req.candidate.model == staging_model::staged_production
                                          ? "the identical build QA tested"
                                          : "a production rebuild of the commit QA tested";
        auto text = fmt::format(
            ":rocket: Production deploy #{} is *live* on {}: `{}` {} ({}). Requested by <@{}>, staging signed off by "
            "{}, deployed by <@{}>, took {}.",
            req.id, ctx_.cfg.vercel.production_domain, short_sha(req.candidate.commit_sha),
            blocks::escape(req.candidate.commit_message), identical, req.requester,
            req.sign_off ? "<@" + req.sign_off->user + ">" : std::string("nobody"), req.promote.clicked_by, took);
        auto m = plain(text, "live");
        m.text = fmt::format("Production deploy #{} is live: {}", req.id, short_sha(req.candidate.commit_sha));
        return m;
    }

    blocks::message render_failed(const deploy_request& req, const std::string& error) const {
        auto text = fmt::format(
            ":x: Production deploy #{} *failed*: {}\nProduction still serves {}. Check the deployment in Vercel, then "
            "run `/deploy prod` again; if production misbehaves, `/deploy rollback`.",
            req.id, blocks::escape(error),
            req.production.deployment_id.empty() ? std::string("the previous deployment")
                                                  : "`" + req.production.deployment_id + "`");
        auto m = plain(text, "failed");
        m.text = fmt::format("Production deploy #{} failed: {}", req.id, error);
        return m;
    }

    blocks::message render_unknown(const deploy_request& req, const std::string& detail) const {
        auto text = fmt::format(
            ":grey_question: Production deploy #{}: *outcome unknown*. {}.\nCheck what {} serves in Vercel: if it is "
            "`{}`, the deploy is live; otherwise run `/deploy prod` again. I did not send the promote a second time.",
            req.id, blocks::escape(detail), ctx_.cfg.vercel.production_domain, short_sha(req.candidate.commit_sha));
        auto m = plain(text, "unknown");
        m.text = fmt::format("Production deploy #{}: outcome unknown, check Vercel", req.id);
        return m;
    }

    // ---------- evaluation ----------

    asio::awaitable<evaluation> evaluate() {
        evaluation ev;
        const auto& vc = ctx_.cfg.vercel;
        // Round 1: who serves staging and production, the project, rollback candidates.
        deployment_filter rollback_filter;
        rollback_filter.target = "production";
        rollback_filter.states = {"READY"};
        rollback_filter.rollback_candidate = true;
        rollback_filter.limit = 20;
        rollback_filter.max_pages = 1;
        auto round1 =
            co_await (vercel_.get_alias(vc.staging_domain) && vercel_.get_alias(vc.production_domain) &&
                      vercel_.get_project() && vercel_.list_deployments(rollback_filter));
        auto& staging_alias = std::get<0>(round1);
        auto& prod_alias = std::get<1>(round1);
        auto& project = std::get<2>(round1);
        auto& rollback_list = std::get<3>(round1);
        if (!staging_alias) {
            ev.problems.push_back(fmt::format("Vercel: cannot find what serves {}: {}", vc.staging_domain,
                                              staging_alias.error().to_string()));
            ev.event.ci = ci_verdict{ci_state::unknown, "waiting for the staging deployment", {}, 0};
            co_return ev;
        }
        if (staging_alias->deployment_id.empty()) {
            // A redirect, or a domain not assigned to any deployment (deploymentId null).
            ev.problems.push_back(vc.staging_domain + " is not assigned to a deployment in Vercel (a redirect, or "
                                                      "no deployment serves it)");
            ev.event.ci = ci_verdict{ci_state::unknown, "waiting for the staging deployment", {}, 0};
            co_return ev;
        }
        // Round 2: the two deployments.
        auto prod_id = deployment_of(prod_alias);
        auto round2 =
            co_await (vercel_.get_deployment(staging_alias->deployment_id) &&
                      get_deployment_or_empty(prod_id));
        auto& staging_dep = std::get<0>(round2);
        auto& prod_dep = std::get<1>(round2);
        if (!staging_dep) {
            ev.problems.push_back("Vercel: cannot read staging deployment " + staging_alias->deployment_id + ": " +
                                  staging_dep.error().to_string());
            co_return ev;
        }
        if (staging_dep->git_sha.empty()) {
            ev.problems.push_back("Vercel: staging deployment " + staging_dep->id +
                                  " carries no git commit (not a git deployment?)");
            co_return ev;
        }
        auto& c = ev.event.staging;
        c.deployment_id = staging_dep->id;
        c.url = deployment_link(*staging_dep);
        c.commit_sha = staging_dep->git_sha;
        c.commit_message = staging_dep->git_message;
        c.created_at = from_ms(staging_dep->created_ms);
        c.ready = staging_dep->ready_state == "READY";
        if (project) c.model = to_model(detect_staging_model(*project, *staging_dep));
        else ev.problems.push_back("Vercel: cannot read the project: " + project.error().to_string());
        ev.staging_by = staging_dep->creator;
        ev.staging_since_ms = staging_alias->updated_at_ms;
        // Pinned: Vercel's last production change was a rollback to what production serves now.
        if (project && project->last_alias_request && project->last_alias_request->type == "rollback" &&
            prod_alias && project->last_alias_request->to_deployment_id == prod_alias->deployment_id)
            ev.event.production_pinned = true;
        if (prod_dep && !prod_dep->id.empty()) ev.event.production = production_info{prod_dep->id, prod_dep->git_sha};
        else if (!prod_alias) ev.problems.push_back("Vercel: cannot find what serves " + vc.production_domain + ": " +
                                                    prod_alias.error().to_string());

        // Rollback target: the newest eligible production deployment older than the current one.
        if (rollback_list) {
            const std::int64_t current_created = prod_dep && !prod_dep->id.empty() ? prod_dep->created_ms : 0;
            for (const auto& d : *rollback_list) {
                if (d.id == prod_id || d.id == c.deployment_id) continue;
                if (current_created && d.created_ms >= current_created) continue;
                ev.event.rollback_eligible = true;
                ev.event.rollback_target_id = d.id;
                ev.event.rollback_detail = fmt::format("`{}` {}", short_sha(d.git_sha), d.git_message);
                break;
            }
            if (!ev.event.rollback_eligible) ev.event.rollback_detail = "Vercel lists no earlier production deployment";
        } else {
            ev.event.rollback_detail = "Vercel error: " + rollback_list.error().to_string();
        }

        // Round 3: CI of the candidate and the diff production...candidate.
        const auto prod_sha = ev.event.production.commit_sha;
        auto round3 =
            co_await (github_.get_combined_status(c.commit_sha) && github_.list_check_runs(c.commit_sha) &&
                      compare_or_empty(prod_sha, c.commit_sha));
        auto& status = std::get<0>(round3);
        auto& runs = std::get<1>(round3);
        auto& comparison = std::get<2>(round3);
        ci_inputs ci;
        ci.required_checks = ctx_.cfg.github.required_checks;
        bool ci_ok = true;
        if (status) {
            ci.status_total_count = status->total_count;
            for (const auto& s : status->statuses) ci.statuses.push_back({s.context, s.state, s.target_url});
        } else {
            ci_ok = false;
            ev.problems.push_back("GitHub: cannot read commit statuses: " + status.error().to_string());
        }
        if (runs) {
            for (const auto& r : *runs) ci.check_runs.push_back(to_check_run(r));
        } else {
            ci_ok = false;
            ev.problems.push_back("GitHub: cannot read check runs: " + runs.error().to_string());
        }
        if (ci_ok) {
            ev.event.ci = evaluate_ci(ci);
        } else {
            ev.event.ci = unreadable_ci(!status ? status.error() : runs.error());
        }
        ev.event.ci_url = github_checks_url(ctx_.cfg.github.api_url, ctx_.cfg.github.repo, c.commit_sha);

        if (comparison && comparison->has_value()) {
            const auto& cmp = **comparison;
            for (const auto& f : cmp.files) {
                for (const auto& p : ctx_.cfg.github.migration_paths) {
                    if (!p.empty() && (f.filename.rfind(p, 0) == 0 || f.previous_filename.rfind(p, 0) == 0)) {
                        ev.event.touches_migrations = true;
                        ev.event.migration_files.push_back(f.filename);
                        break;
                    }
                }
            }
            ev.comparison = cmp;
        } else if (!comparison) {
            // Unknown diff: migrations cannot be ruled out, so a person must confirm.
            ev.event.touches_migrations = true;
            ev.problems.push_back("GitHub: cannot compare production and the candidate: " +
                                  comparison.error().to_string());
        }
        co_return ev;
    }

    asio::awaitable<api_result<vercel_deployment>> get_deployment_or_empty(std::string id) {
        if (id.empty()) co_return vercel_deployment{};
        co_return co_await vercel_.get_deployment(id);
    }

    asio::awaitable<api_result<std::optional<github_comparison>>> compare_or_empty(std::string base, std::string head) {
        if (base.empty() || head.empty()) co_return std::optional<github_comparison>{};
        if (base == head) co_return std::optional<github_comparison>{github_comparison{"identical"}};
        auto r = co_await github_.compare(base, head);
        if (!r) co_return r.error();
        co_return std::optional<github_comparison>{std::move(*r)};
    }

    // Rounds 4–5: PRs of the commits, then their reviews, all concurrent.
    asio::awaitable<release_notes> build_notes(github_comparison cmp) {
        release_notes notes;
        notes.compare_url = cmp.html_url;
        notes.total_commits = cmp.total_commits;
        notes.behind_by = cmp.behind_by;
        std::vector<asio::awaitable<api_result<std::vector<github_pull>>>> pr_lookups;
        const std::size_t n = std::min(cmp.commits.size(), max_commits_for_pr_lookup);
        for (std::size_t i = 0; i < n; ++i) pr_lookups.push_back(github_.list_pulls_for_commit(cmp.commits[i].sha));
        auto pulls = co_await gather(ctx_.executor, std::move(pr_lookups));
        std::vector<github_pull> prs;
        std::set<int> seen;
        for (std::size_t i = 0; i < n; ++i) {
            bool has_pr = false;
            if (pulls[i] && pulls[i]->has_value()) {
                for (const auto& p : **pulls[i]) {
                    if (p.merged_at.empty() && p.state != "open") continue;
                    has_pr = true;
                    if (seen.insert(p.number).second) prs.push_back(p);
                }
            }
            if (!has_pr)
                notes.direct_commits.push_back({cmp.commits[i].sha, cmp.commits[i].message, cmp.commits[i].author_login});
        }
        std::vector<asio::awaitable<api_result<std::vector<github_review>>>> review_lookups;
        for (const auto& p : prs) review_lookups.push_back(github_.list_reviews(p.number));
        auto reviews = co_await gather(ctx_.executor, std::move(review_lookups));
        for (std::size_t i = 0; i < prs.size(); ++i) {
            shipped_pr sp;
            sp.number = prs[i].number;
            sp.title = prs[i].title;
            sp.author = prs[i].user_login;
            sp.url = prs[i].html_url;
            if (reviews[i] && reviews[i]->has_value()) {
                std::vector<pr_review> rv;
                for (const auto& r : **reviews[i]) rv.push_back({r.user_login, r.state, r.commit_id});
                auto summary = evaluate_reviews(sp.author, rv);
                sp.review = review_status_of(summary);
                sp.approvers = summary.approvers;
                sp.changes_requested_by = summary.changes_requested_by;
            }
            notes.prs.push_back(std::move(sp));
        }
        co_return notes;
    }

    // Evaluates the request's automatic items and feeds the result in as an
    // event; then, when the candidate or production moved, rebuilds "what
    // ships" (two more rounds of GitHub calls) and updates the message again.
    asio::awaitable<void> refresh(std::int64_t id, std::string requested_by) {
        if (!evaluating_.insert(id).second) co_return;   // one evaluation at a time per request
        auto self = shared_from_this();
        auto ev = co_await evaluate();
        auto req = store_.load(id);
        if (!req || is_terminal(req->state) || req->state == request_state::promoting) {
            evaluating_.erase(id);
            co_return;
        }
        if (!ev.event.staging.deployment_id.empty()) transition(id, ev.event, "");
        if (ev.comparison) {
            const auto key = ev.event.production.commit_sha + "..." + ev.event.staging.commit_sha;
            auto known = notes_for_.find(id);
            if (known == notes_for_.end() || known->second != key) {
                notes_[id] = co_await build_notes(*ev.comparison);
                notes_for_[id] = key;
                spawn(update_checklist(id), "update");
            }
        }
        evaluating_.erase(id);
        if (!ev.problems.empty()) {
            log::warn("deploy", "#{} evaluation problems: {}", id, ev.problems.front());
            // The requester hears about it on their own /deploy prod or Refresh, not on every periodic retry.
            if (!requested_by.empty()) co_await ephemeral(req->channel, requested_by, render_problems(ev.problems));
        }
    }

    // ---------- promote ----------

    void start_promote_task(std::int64_t id, std::string attempt, std::string deployment_id, staging_model model,
                            std::string target, bool resuming = false, std::int64_t sent_baseline_ms = -1) {
        if (!promotes_running_.insert(attempt).second) return;   // never two coroutines for one attempt
        spawn(run_promote(id, attempt, deployment_id, model, target, resuming, sent_baseline_ms), "promote");
    }

    void finish_promote(std::int64_t id, const std::string& attempt, bool ok, std::string target, std::string error,
                        bool unknown = false) {
        promotes_running_.erase(attempt);
        promote_finished f{attempt, ok, std::move(target), std::move(error)};
        f.unknown = unknown;
        transition(id, f, "");
    }

    // How long an unknown promote outcome is looked for at Vercel before it is
    // called unknown: Vercel records the alias job before it answers the POST,
    // so a job that has not appeared after this many polls was never accepted.
    std::chrono::milliseconds confirm_window() const {
        const auto w = ctx_.cfg.vercel.poll_interval * 15;
        return std::clamp<std::chrono::milliseconds>(w, std::chrono::seconds(3), std::chrono::seconds(120));
    }
    std::chrono::milliseconds silence_limit() const {
        return std::min<std::chrono::milliseconds>(ctx_.cfg.vercel.promote_timeout, std::chrono::seconds(120));
    }

    alias_job_wait promote_wait(std::string target, std::int64_t baseline_ms, bool unknown_outcome) const {
        alias_job_wait w;
        w.type = "promote";
        w.deployment_id = std::move(target);
        w.baseline_ms = baseline_ms;
        w.timeout = ctx_.cfg.vercel.promote_timeout;
        w.poll_interval = ctx_.cfg.vercel.poll_interval;
        w.silence_limit = silence_limit();
        if (unknown_outcome) w.appear_within = confirm_window();
        return w;
    }

    // lastAliasRequest.requestedAt before our POST (0 when there is none), read
    // until Vercel answers or the silence limit passes.
    asio::awaitable<std::optional<std::int64_t>> read_baseline() {
        const auto give_up = std::chrono::steady_clock::now() + silence_limit();
        for (;;) {
            auto project = co_await vercel_.get_project();
            if (project) co_return project->last_alias_request ? project->last_alias_request->requested_at_ms : 0;
            if (std::chrono::steady_clock::now() >= give_up) co_return std::nullopt;
            co_await sleep(ctx_.cfg.vercel.poll_interval);
            if (stopping_) co_return std::nullopt;
        }
    }

    // A rebuild created by this attempt, found by its meta (create_deployment's
    // answer may have been lost).
    asio::awaitable<std::string> find_rebuild(std::string attempt) {
        deployment_filter f;
        f.target = "production";
        f.limit = 20;
        f.max_pages = 1;
        auto list = co_await vercel_.list_deployments(f);
        if (!list) co_return std::string();
        for (const auto& d : *list)
            for (const auto& [k, v] : d.meta)
                if (k == "deployBotAttempt" && v == attempt) co_return d.id;
        co_return std::string();
    }

    // Identical build (model A) or rebuild of the same commit (B/C), followed
    // until production serves it. A POST is never sent twice when its outcome is
    // unknown: Vercel is read first (lastAliasRequest newer than the baseline
    // recorded before the POST, and the production alias).
    asio::awaitable<void> run_promote(std::int64_t id, std::string attempt, std::string deployment_id,
                                      staging_model model, std::string target, bool resuming,
                                      std::int64_t sent_baseline_ms) {
        auto self = shared_from_this();
        const auto& vc = ctx_.cfg.vercel;
        const bool rebuild = model == staging_model::custom_environment || model == staging_model::preview_branch;

        if (resuming && sent_baseline_ms >= 0) {
            // The POST may have gone out before the restart: follow what Vercel did.
            const auto expected = target.empty() ? deployment_id : target;
            auto done = co_await vercel_.follow_alias_job(promote_wait(expected, sent_baseline_ms, true));
            if (done || done.error().code != "no_trace") {
                co_await conclude(id, attempt, expected, std::move(done));
                co_return;
            }
            log::info("deploy", "#{}: no trace of promote {} at Vercel; performing it now", id, attempt);
        }

        std::string to_promote = deployment_id;
        if (rebuild) {
            if (target.empty() && resuming) target = co_await find_rebuild(attempt);
            if (target.empty()) {
                create_deployment_request cr;
                cr.rebuild_of = deployment_id;
                cr.target = "production";
                cr.meta = {{"deployBot", "promote"}, {"deployBotAttempt", attempt}};
                auto created = co_await vercel_.create_deployment(cr);
                if (!created && outcome_unknown(created.error())) {
                    // Lost answer: the build may exist. Look for it by its meta.
                    for (int i = 0; i < 3 && target.empty(); ++i) target = co_await find_rebuild(attempt);
                    if (target.empty()) {
                        finish_promote(id, attempt, false, "", describe_unknown_rebuild(created.error()), true);
                        co_return;
                    }
                } else if (!created) {
                    finish_promote(id, attempt, false, "",
                                   "Vercel refused the production rebuild: " + created.error().to_string());
                    co_return;
                } else {
                    target = created->id;
                }
                // Recorded before waiting, so a restart follows this build instead of starting another.
                transition(id, promote_started{attempt, target}, "");
            }
            auto built = co_await vercel_.wait_for_ready(target, vc.promote_timeout, vc.poll_interval);
            if (!built) {
                finish_promote(id, attempt, false, target, "could not follow the rebuild: " + built.error().to_string());
                co_return;
            }
            if (built->ready_state != "READY") {
                finish_promote(id, attempt, false, target, describe_failed_build(target, *built));
                co_return;
            }
            auto alias = co_await vercel_.get_alias(vc.production_domain);
            if (alias && alias->deployment_id == target) {   // auto-assigned production domains
                finish_promote(id, attempt, true, target, "");
                co_return;
            }
            to_promote = target;
        } else if (target.empty()) {
            transition(id, promote_started{attempt, deployment_id}, "");
        }

        const auto give_up = std::chrono::steady_clock::now() + vc.promote_timeout;
        constexpr int max_sends = 4;
        for (int sends = 1;; ++sends) {
            auto baseline = co_await read_baseline();
            if (!baseline) {
                finish_promote(id, attempt, false, to_promote,
                               "Vercel did not answer before the promote, so nothing was sent");
                co_return;
            }
            // Recorded before the POST: a restart from here on reads Vercel first.
            transition(id, promote_sending{attempt, to_promote, *baseline}, "");
            auto promoted = co_await vercel_.promote(to_promote);
            if (promoted) {
                co_await conclude(id, attempt, to_promote,
                                  co_await vercel_.follow_alias_job(promote_wait(to_promote, *baseline, false)));
                co_return;
            }
            const auto err = promoted.error();
            const bool more = sends < max_sends && std::chrono::steady_clock::now() < give_up;
            if (err.http_status == 429) {
                // Refused before any work: the same request is sent again after the wait.
                if (!more) {
                    finish_promote(id, attempt, false, to_promote,
                                   "Vercel rate limited the promote " + std::to_string(sends) +
                                       " times; nothing was changed: " + err.to_string());
                    co_return;
                }
                const auto wait = promote_retry_wait(err, sends);
                log::warn("deploy", "#{}: Vercel rate limited the promote; sending it again in {} ms", id, wait.count());
                co_await sleep(wait);
                continue;
            }
            if (err.http_status == 409 || err.http_status >= 500 || outcome_unknown(err)) {
                // Unknown, or a 409 that may mean "already current": Vercel's state decides.
                auto done = co_await vercel_.follow_alias_job(promote_wait(to_promote, *baseline, true));
                if (done || done.error().code != "no_trace") {
                    co_await conclude(id, attempt, to_promote, std::move(done));
                    co_return;
                }
                // No job of ours appeared and production does not serve it: not accepted.
                if (err.http_status == 409 || err.http_status == 500) {
                    if (err.http_status == 500 && more) {
                        co_await sleep(promote_retry_wait(err, sends));
                        continue;
                    }
                    finish_promote(id, attempt, false, to_promote, "Vercel refused the promote: " + err.to_string());
                    co_return;
                }
                if (more && err.http_status >= 500) {
                    co_await sleep(promote_retry_wait(err, sends));
                    continue;
                }
                finish_promote(id, attempt, false, to_promote, describe_unknown_promote(err), true);
                co_return;
            }
            finish_promote(id, attempt, false, to_promote, "Vercel refused the promote: " + err.to_string());
            co_return;
        }
    }

    std::chrono::milliseconds promote_retry_wait(const api_error& err, int sends) const {
        if (err.retry_after)
            return std::min<std::chrono::milliseconds>(*err.retry_after, std::chrono::seconds(120));
        return std::min<std::chrono::milliseconds>(make_exponential_wait(ctx_.cfg.http.retry_backoff, sends),
                                                   std::chrono::seconds(60));
    }

    // A wait that stop() cuts short: every retry loop checks stopping_ after it.
    asio::awaitable<void> sleep(std::chrono::milliseconds d) {
        if (stopping_) co_return;
        asio::steady_timer t(ctx_.executor, d);
        sleepers_.insert(&t);
        co_await t.async_wait(use_tuple);
        sleepers_.erase(&t);
    }

    asio::awaitable<void> conclude(std::int64_t id, std::string attempt, std::string target,
                                   api_result<alias_job_result> done) {
        if (!done) {
            // Following it failed (silence, timeout, no trace, a refused read):
            // what became of the promote is not known, so it is not called failed.
            finish_promote(id, attempt, false, target, "could not confirm the promote: " + done.error().to_string(),
                           true);
        } else if (done->job_status == "succeeded" && done->production_alias_confirmed) {
            finish_promote(id, attempt, true, target, "");
        } else {
            finish_promote(id, attempt, false, target, describe_failed_promote(*done));
        }
        co_return;
    }

    // ---------- periodic work ----------

    asio::awaitable<void> tick_loop() {
        auto self = shared_from_this();
        while (!stopping_) {
            tick_.expires_after(ctx_.cfg.checklist_refresh);
            auto [ec] = co_await tick_.async_wait(use_tuple);
            if (ec || stopping_) break;
            auto active = store_.active();
            if (!active || active->state == request_state::promoting) continue;
            const auto ws = evaluate_schedule(ctx_.cfg.schedule, ctx_.clock());
            if (active->state == request_state::scheduled && ws.is_open) transition(active->id, window_opened{}, "");
            else if (active->state == request_state::collecting && !ws.is_open)
                transition(active->id, window_closed{ws.next_open_text}, "");
            spawn(refresh(active->id, ""), "periodic refresh");
            // Re-rendered even when nothing changed: a message someone deleted is
            // noticed (and posted again), and a stale rendering is corrected.
            if (!active->message_ts.empty()) spawn(update_checklist(active->id), "periodic update");
        }
    }

    // ---------- commands ----------

    std::optional<deploy_lock> current_lock() const { return parse_lock(ctx_.db.get_kv("deploy_lock")); }

    std::string lock_text(const deploy_lock& l) const {
        return fmt::format("Production deploys are locked by <@{}> since {}: {}. An admin can `/deploy unlock`.", l.by,
                           describe_local(ctx_.cfg.schedule, from_ms(l.at_ms)), blocks::escape(l.reason));
    }

    bool is_admin(std::string_view user) const { return has_role(ctx_.cfg.people, user, role::admin); }

    // ---------- posts that must arrive exactly once ----------

    static constexpr std::string_view post_event_type = "deploybot_post";

    // Where conversations.history starts looking for a post of ours: an hour
    // back on the real clock (Slack's ts are real time, whatever ctx_.clock says).
    static std::string lookup_oldest_ts() {
        const auto now = std::chrono::system_clock::now() - std::chrono::hours(1);
        return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()) +
               ".000000";
    }

    // Was the post with this key delivered after all? (a lost answer)
    asio::awaitable<std::string> find_post(std::string channel, std::string key) {
        auto found = co_await ctx_.slack.find_posted(channel, lookup_oldest_ts(), std::string(post_event_type), key);
        if (found) co_return *found;
        log::warn("deploy", "cannot look up post {} in {} ({}); it will be posted again", key, channel,
                  found.error().to_string());
        co_return std::string();
    }

    // One chat.postMessage tagged with metadata {key}. When the answer is lost
    // (or Slack answers 5xx) the channel is asked whether it arrived before
    // anything is sent again. Returns the ts, or Slack's error code in `error`.
    asio::awaitable<std::string> post_tagged(json::object body, std::string key, std::string* error) {
        const std::string channel = body.contains("channel") && body.at("channel").is_string()
                                        ? std::string(body.at("channel").get_string())
                                        : ctx_.cfg.slack.channel;
        body["metadata"] = json::object{{"event_type", post_event_type}, {"event_payload", json::object{{"key", key}}}};
        auto posted = co_await ctx_.slack.post_message(std::move(body));
        if (posted) co_return posted->ts;
        if (posted.error().code == "outcome_unknown" || posted.error().http_status >= 500) {
            auto ts = co_await find_post(channel, key);
            if (!ts.empty()) {
                log::info("deploy", "post {} had arrived although its answer was lost ({})", key, ts);
                co_return ts;
            }
        }
        if (error) *error = posted.error().code;
        log::warn("deploy", "post {} failed: {}", key, posted.error().to_string());
        co_return std::string();
    }

    asio::awaitable<void> sleep_backoff(std::chrono::milliseconds& backoff) {
        co_await sleep(backoff);
        backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::minutes(5));
    }

    // The live / failed / unknown announcement: a persisted effect, retried
    // until Slack has it (and after a restart), never posted twice.
    asio::awaitable<void> deliver_outcome(std::int64_t id, bool look_first = false) {
        auto self = shared_from_this();
        if (!announcing_.insert(id).second) co_return;
        std::chrono::milliseconds backoff{1000};
        bool first = !look_first;
        while (!stopping_) {
            auto req = store_.load(id);
            if (!req || !req->announcement_owed) break;
            const auto key = "outcome:" + std::to_string(id);
            if (!first) {
                // A previous try may have arrived (e.g. before a restart).
                if (auto ts = co_await find_post(channel_of(*req), key); !ts.empty()) {
                    transition(id, announcement_posted{ts}, "");
                    break;
                }
            }
            first = false;
            auto body = blocks::to_json(render_outcome(*req));
            body["channel"] = channel_of(*req);
            body["unfurl_links"] = false;
            body["unfurl_media"] = false;
            std::string error;
            auto ts = co_await post_tagged(std::move(body), key, &error);
            if (!ts.empty()) {
                transition(id, announcement_posted{ts}, "");
                break;
            }
            co_await sleep_backoff(backoff);
        }
        announcing_.erase(id);
    }

    blocks::message render_outcome(const deploy_request& req) const {
        if (req.kind == record_kind::rollback) return render_rollback_outcome(req, message_ctx());
        switch (req.state) {
        case request_state::live: return render_live(req);
        case request_state::outcome_unknown: return render_unknown(req, req.promote.error);
        case request_state::failed:
        case request_state::collecting:
        case request_state::scheduled:
        case request_state::promoting:
        case request_state::cancelled: break;
        case request_state::rolled_back: return render_live(req);   // announced live before it was rolled back
        }
        return render_failed(req, req.promote.error);
    }

    static std::string checklist_key(const deploy_request& req) {
        // A repost (the first message was deleted) is a different post.
        return "checklist:" + std::to_string(req.id) + (req.message_ts.empty() ? "" : ":" + req.message_ts);
    }

    // Posts the request's channel message and records its ts. With
    // `look_first`, a message posted by an earlier try whose answer was lost (or
    // before a restart) is found by its metadata instead of posted again.
    // Returns Slack's error code on failure ("" on success).
    asio::awaitable<std::string> post_checklist(std::int64_t id, bool look_first) {
        auto req = store_.load(id);
        if (!req) co_return std::string("request not found");
        const auto key = checklist_key(*req);
        if (look_first) {
            if (auto ts = co_await find_post(channel_of(*req), key); !ts.empty()) {
                transition(id, message_posted{channel_of(*req), ts}, "");
                co_return std::string();
            }
        }
        auto body = blocks::to_json(render(*req));
        body["channel"] = channel_of(*req);
        body["unfurl_links"] = false;
        body["unfurl_media"] = false;
        std::string error;
        auto ts = co_await post_tagged(std::move(body), key, &error);
        if (ts.empty()) {
            log::error("deploy", "#{}: posting the checklist failed: {}", id, error);
            co_return error.empty() ? std::string("unknown_error") : error;
        }
        transition(id, message_posted{channel_of(*req), ts}, "");
        co_return std::string();
    }

    // Until the open request has a message: retried with backoff (not in
    // channel, Slack down, or the message was deleted), never posted twice.
    asio::awaitable<void> keep_posting_checklist(std::int64_t id, bool repost = false) {
        auto self = shared_from_this();
        if (!posting_.insert(id).second) co_return;
        std::chrono::milliseconds backoff{2000};
        bool first = true;
        while (!stopping_) {
            auto req = store_.load(id);
            if (!req || is_terminal(req->state) || (!repost && !req->message_ts.empty())) break;
            if (!first) co_await sleep_backoff(backoff);
            if (auto again = store_.load(id); !again || is_terminal(again->state)) break;
            auto err = co_await post_checklist(id, !repost || !first);
            first = false;
            if (err.empty()) break;
        }
        posting_.erase(id);
    }

    std::string already_open_text(const deploy_request& active) const {
        if (active.kind == record_kind::rollback)
            return fmt::format("Rollback #{} by <@{}> is in progress; wait for it to finish (its message in <#{}> "
                               "says when), then `/deploy prod`.",
                               active.id, active.requester, channel_of(active));
        if (active.message_ts.empty())
            return fmt::format("Production deploy #{} by <@{}> is already open ({}); its checklist message could not "
                               "be posted yet and I keep trying. Finish or `/deploy cancel` it first.",
                               active.id, active.requester, to_string(active.state));
        return fmt::format("Production deploy #{} by <@{}> is already open ({}) — see its checklist message in <#{}>. "
                           "Finish or `/deploy cancel` it first.",
                           active.id, active.requester, to_string(active.state), channel_of(active));
    }

    asio::awaitable<void> cmd_prod(slash_command cmd) {
        auto self = shared_from_this();
        if (auto p = check_permission(ctx_.cfg.people, cmd.user_id, action::request_deploy); !p.allowed) {
            co_await reply_ephemeral(ctx_, cmd, plain(p.reason));
            co_return;
        }
        if (auto l = current_lock()) {
            co_await reply_ephemeral(ctx_, cmd, plain(lock_text(*l)));
            co_return;
        }
        if (auto active = store_.active()) {
            co_await reply_ephemeral(
                ctx_, cmd,
                plain(already_open_text(*active)));
            co_return;
        }
        auto id = store_.next_id();
        if (!id) {
            co_await reply_ephemeral(ctx_, cmd, plain("deploybot cannot write its database; nothing was started."));
            co_return;
        }
        const auto now = ctx_.clock();
        const auto ws = evaluate_schedule(ctx_.cfg.schedule, now);
        auto req = make_deploy_request(*id, cmd.user_id, cmd.channel_id, {}, {}, ws.is_open, ws.next_open_text, now);
        audit_entry created;
        created.at = now;
        created.user_id = cmd.user_id;
        created.kind = "transition";
        created.what = fmt::format("production deploy #{} requested ({})", *id, to_string(req.state));
        created.channel_id = cmd.channel_id;
        if (auto r = store_.save(req, created); !r) {
            co_await reply_ephemeral(ctx_, cmd, plain("deploybot cannot write its database; nothing was started."));
            co_return;
        }
        // The message goes out at once (it is the team notification); evidence fills it in.
        if (auto err = co_await post_checklist(*id, false); !err.empty()) {
            co_await reply_ephemeral(ctx_, cmd,
                                     plain("I could not post the checklist in this channel (" + err +
                                           "). Is deploybot invited to the channel? The request stays open and I "
                                           "keep trying to post it; `/deploy cancel` to drop it."));
            spawn(keep_posting_checklist(*id), "post checklist");
        }
        if (!ws.is_open)
            co_await reply_ephemeral(ctx_, cmd,
                                     plain(fmt::format("Outside the deploy window: production deploy #{} is scheduled "
                                                       "for the next window, {}. You can complete the checklist now; "
                                                       "I will mention you when the window opens.",
                                                       *id, or_none(ws.next_open_text))));
        co_await refresh(*id, cmd.user_id);
    }

    asio::awaitable<void> cmd_cancel(slash_command cmd) {
        auto active = store_.active();
        if (!active) {
            co_await reply_ephemeral(ctx_, cmd, plain("There is no open production deploy request to cancel."));
            co_return;
        }
        auto out = transition(active->id, cancel_request{cmd.user_id, is_admin(cmd.user_id)}, cmd.user_id);
        if (!out.error.empty()) co_await reply_ephemeral(ctx_, cmd, plain(out.error));
        else if (out.accepted)
            co_await reply_ephemeral(ctx_, cmd, plain(fmt::format("Production deploy #{} cancelled.", active->id)));
    }

    asio::awaitable<void> cmd_override(slash_command cmd, command_request req) {
        if (auto p = check_permission(ctx_.cfg.people, cmd.user_id, action::override_schedule); !p.allowed) {
            co_await reply_ephemeral(ctx_, cmd, plain(p.reason));
            co_return;
        }
        auto active = store_.active();
        if (!active) {
            co_await reply_ephemeral(ctx_, cmd, plain("There is no open production deploy request to override."));
            co_return;
        }
        auto out = transition(active->id, override_schedule{cmd.user_id, req.args}, cmd.user_id);
        if (!out.error.empty()) co_await reply_ephemeral(ctx_, cmd, plain(out.error));
    }

    asio::awaitable<void> cmd_lock(slash_command cmd, command_request req) {
        if (auto p = check_permission(ctx_.cfg.people, cmd.user_id, action::lock); !p.allowed) {
            co_await reply_ephemeral(ctx_, cmd, plain(p.reason));
            co_return;
        }
        if (req.args.empty()) {
            co_await reply_ephemeral(ctx_, cmd, plain("Say why: `/deploy lock <reason>`, e.g. `/deploy lock black friday freeze`."));
            co_return;
        }
        if (auto l = current_lock()) {
            co_await reply_ephemeral(ctx_, cmd, plain("Already locked. " + lock_text(*l)));
            co_return;
        }
        const auto now = ctx_.clock();
        boost::json::object o{{"by", cmd.user_id}, {"reason", req.args}, {"at_ms", to_ms(now)}};
        if (auto r = ctx_.db.put_kv("deploy_lock", boost::json::serialize(o)); !r) {
            co_await reply_ephemeral(ctx_, cmd, plain("deploybot cannot write its database; not locked."));
            co_return;
        }
        audit(ctx_, cmd.user_id, "lock", req.args, cmd.channel_id);
        deploy_request where;
        where.channel = ctx_.cfg.slack.channel;
        co_await announce(where, plain(fmt::format(":lock: <@{}> locked production deploys: {}", cmd.user_id,
                                                   blocks::escape(req.args)),
                                       "lock"));
    }

    asio::awaitable<void> cmd_unlock(slash_command cmd) {
        if (auto p = check_permission(ctx_.cfg.people, cmd.user_id, action::unlock); !p.allowed) {
            co_await reply_ephemeral(ctx_, cmd, plain(p.reason));
            co_return;
        }
        auto l = current_lock();
        if (!l) {
            co_await reply_ephemeral(ctx_, cmd, plain("Production deploys are not locked."));
            co_return;
        }
        if (auto r = ctx_.db.erase_kv("deploy_lock"); !r) {
            co_await reply_ephemeral(ctx_, cmd, plain("deploybot cannot write its database; still locked."));
            co_return;
        }
        audit(ctx_, cmd.user_id, "unlock", l->reason, cmd.channel_id);
        deploy_request where;
        where.channel = ctx_.cfg.slack.channel;
        co_await announce(where, plain(fmt::format(":unlock: <@{}> unlocked production deploys (locked by <@{}> for: {}).",
                                                   cmd.user_id, l->by, blocks::escape(l->reason)),
                                       "unlock"));
    }


    std::string describe_deployment(const api_result<vercel_alias>& alias, const api_result<vercel_deployment>& dep) const {
        if (!alias) return "unknown (" + alias.error().to_string() + ")";
        if (alias->deployment_id.empty()) return "not assigned to a deployment";
        if (!dep) return "`" + alias->deployment_id + "` (" + dep.error().to_string() + ")";
        return fmt::format("`{}` — `{}` {}{}{}", dep->id, short_sha(dep->git_sha), blocks::escape(dep->git_message),
                           alias->updated_at_ms ? ", since " + describe_local(ctx_.cfg.schedule, from_ms(alias->updated_at_ms))
                                                : std::string(),
                           dep->creator.empty() ? std::string() : ", by " + blocks::escape(dep->creator));
    }

    struct status_reads {
        api_result<vercel_alias> prod_alias, staging_alias;
        api_result<vercel_deployment> prod_dep, staging_dep;
        api_result<vercel_project> project;
    };

    asio::awaitable<status_reads> read_status() {
        auto self = shared_from_this();   // may finish after /deploy status gave up on it
        const auto& vc = ctx_.cfg.vercel;
        auto round4 = co_await (vercel_.get_alias(vc.production_domain) && vercel_.get_alias(vc.staging_domain) &&
                                vercel_.get_project());
        auto round5 = co_await (get_deployment_or_empty(deployment_of(std::get<0>(round4))) &&
                                get_deployment_or_empty(deployment_of(std::get<1>(round4))));
        co_return status_reads{std::move(std::get<0>(round4)), std::move(std::get<1>(round4)),
                               std::move(std::get<0>(round5)), std::move(std::get<1>(round5)),
                               std::move(std::get<2>(round4))};
    }

    // Production pinned by a rollback (vercel.md §3.7): automatic assignment is off until a promote.
    std::string pinned_line(const status_reads& r) const {
        if (!r.project || !r.project->last_alias_request || !r.prod_alias) return std::string();
        const auto& last = *r.project->last_alias_request;
        if (last.type != "rollback" || last.to_deployment_id != r.prod_alias->deployment_id) return std::string();
        std::string by;
        for (const auto& rec : store_.history(10))
            if (rec.kind == record_kind::rollback && rec.state == request_state::live &&
                rec.candidate.deployment_id == last.to_deployment_id) {
                by = fmt::format(" by rollback #{}", rec.id);
                break;
            }
        return fmt::format(":pushpin: *Pinned*{}: Vercel does not assign new production builds automatically; the next "
                           "`/deploy prod` (a promote) unpins it.\n",
                           by);
    }

    std::string watch_lines() const {
        std::string out;
        for (const auto& r : store_.post_live_pending())
            if (r.watch.phase == watch_phase::watching)
                out += fmt::format("*Watch*: {} — {}\n", record_name(r), render_watch_phase(r.watch));
        return out;
    }

    std::string not_answering_line(const std::string& what, const std::string& domain) const {
        return fmt::format("*{}* ({}): Vercel is not answering (no reply within {} s); try again shortly\n", what,
                           domain, status_deadline.count() / 1000);
    }

    // Answers within status_deadline whatever Vercel does: what it could not
    // read in time says so instead of holding the whole answer back.
    static constexpr std::chrono::milliseconds status_deadline{2500};

    asio::awaitable<void> cmd_status(slash_command cmd) {
        auto self = shared_from_this();
        const auto& vc = ctx_.cfg.vercel;
        auto reads = co_await within(ctx_.executor, read_status(), status_deadline);
        auto m = render_basic_status(ctx_);
        std::string text;
        if (reads) {
            text += fmt::format("*Production* ({}): {}\n", vc.production_domain,
                                describe_deployment(reads->prod_alias, reads->prod_dep));
            text += fmt::format("*Staging* ({}): {}\n", vc.staging_domain,
                                describe_deployment(reads->staging_alias, reads->staging_dep));
            text += pinned_line(*reads);
        } else {
            text += not_answering_line("Production", vc.production_domain);
            text += not_answering_line("Staging", vc.staging_domain);
        }
        if (auto active = store_.active(); active && active->kind == record_kind::rollback)
            text += fmt::format("*Active*: rollback #{} by <@{}>, in progress\n", active->id, active->requester);
        else if (active)
            text += fmt::format("*Active request*: #{} by <@{}>, {} ({}/6 done)\n", active->id, active->requester,
                                to_string(active->state), done_count(*active));
        else
            text += "*Active request*: none\n";
        text += watch_lines();
        if (auto l = current_lock()) text += "*Lock*: " + lock_text(*l) + "\n";
        else text += "*Lock*: not locked\n";
        const auto ws = evaluate_schedule(ctx_.cfg.schedule, ctx_.clock());
        // (if/else, not ?: — gcc 12 miscompiles string temporaries in a conditional inside a coroutine)
        if (ws.is_open) text += "*Deploy window*: open until " + ws.closes_at_text;
        else if (ws.next_open_text.empty()) text += "*Deploy window*: closed; no window configured";
        else text += "*Deploy window*: closed; next " + ws.next_open_text;
        m.blocks.push_back(blocks::section(text, "status.deploy"));
        co_await reply_ephemeral(ctx_, cmd, std::move(m));
    }

    static std::string watch_suffix(const deploy_request& r) {
        if (r.watch.phase == watch_phase::none) return std::string();
        return " — watch: " + render_watch_phase(r.watch);
    }

    // Not a coroutine on purpose: string temporaries in ?: are miscompiled in
    // gcc 12 coroutines.
    std::string render_history(const std::vector<deploy_request>& list) const {
        std::string text = list.empty() ? "No production deploys yet." : "";
        for (const auto& r : list) {
            const char* icon = r.state == request_state::live                ? ":white_check_mark:"
                               : r.state == request_state::failed          ? ":x:"
                               : r.state == request_state::outcome_unknown ? ":grey_question:"
                               : r.state == request_state::rolled_back     ? ":rewind:"
                                                                           : ":heavy_minus_sign:";
            const auto took = r.promote.finished_at && r.promote.clicked_at
                                  ? ", promote took " + render_age(*r.promote.finished_at - *r.promote.clicked_at)
                                  : std::string();
            if (r.kind == record_kind::rollback) {
                text += fmt::format("{} #{} rollback {} — back to `{}` {} — by <@{}>: {}, {}{}{}\n", icon, r.id,
                                    to_string(r.state), short_sha(r.candidate.commit_sha),
                                    blocks::escape(blocks::truncate(r.candidate.commit_message, 60)), r.requester,
                                    blocks::escape(blocks::truncate(r.rollback.reason, 80)),
                                    describe_local(ctx_.cfg.schedule, r.updated_at), took, watch_suffix(r));
                continue;
            }
            text += fmt::format("{} #{} {} — `{}` {} — requested by <@{}>{}{}, {}{}{}{}\n", icon, r.id, to_string(r.state),
                                short_sha(r.candidate.commit_sha), blocks::escape(blocks::truncate(r.candidate.commit_message, 60)),
                                r.requester, r.sign_off ? ", signed off by <@" + r.sign_off->user + ">" : "",
                                r.promote.clicked_by.empty() ? "" : ", deployed by <@" + r.promote.clicked_by + ">",
                                describe_local(ctx_.cfg.schedule, r.updated_at), took,
                                r.rolled_back_by ? fmt::format(" — rolled back by #{}", r.rolled_back_by) : std::string(),
                                watch_suffix(r));
        }
        return text;
    }

    asio::awaitable<void> cmd_history(slash_command cmd, command_request req) {
        std::size_t n = 10;
        if (!req.args.empty()) {
            int parsed = 0;
            auto [ptr, ec] = std::from_chars(req.args.data(), req.args.data() + req.args.size(), parsed);
            if (ec != std::errc{} || ptr != req.args.data() + req.args.size() || parsed < 1) {
                co_await reply_ephemeral(ctx_, cmd, plain("Usage: `/deploy history [n]` with n between 1 and 30."));
                co_return;
            }
            n = static_cast<std::size_t>(std::min(parsed, 30));
        }
        auto list = store_.history(n);
        const std::string text = render_history(list);
        blocks::message m;
        m.text = fmt::format("Last {} production deploys", list.size());
        m.blocks.push_back(blocks::section(blocks::truncate(text, blocks::max_section_text), "history"));
        co_await reply_ephemeral(ctx_, cmd, std::move(m));
    }

    // ---------- buttons ----------

    // Refresh costs about eight API calls: one manual refresh per request per
    // 10 s. Returns how long to wait (0 = go ahead, and the slot is taken).
    std::chrono::seconds manual_refresh_wait(std::int64_t id) {
        constexpr auto spacing = std::chrono::seconds(10);
        const auto now = std::chrono::steady_clock::now();
        std::erase_if(last_manual_refresh_, [&](const auto& kv) { return now - kv.second >= spacing; });
        if (auto it = last_manual_refresh_.find(id); it != last_manual_refresh_.end())
            return std::chrono::ceil<std::chrono::seconds>(spacing - (now - it->second));
        last_manual_refresh_[id] = now;
        return std::chrono::seconds(0);
    }

    asio::awaitable<void> on_click(block_action click) {
        auto self = shared_from_this();
        auto act = parse_deploy_action(click.action_id);
        std::int64_t id = 0;
        std::from_chars(click.value.data(), click.value.data() + click.value.size(), id);
        std::optional<deploy_request> req;
        if (act) req = store_.load(id);
        if (!act || !req) {
            co_await reply_ephemeral(ctx_, click, plain("That button belongs to a deploy request I no longer know."));
            co_return;
        }
        // A click counts only on the request's own message, in its channel.
        if (click.channel_id != channel_of(*req) || (!req->message_ts.empty() && click.message_ts != req->message_ts)) {
            log::warn("deploy", "click {} for #{} came from {} / {}, not the request's message; ignored",
                      click.action_id, id, click.channel_id, click.message_ts);
            co_await reply_ephemeral(ctx_, click,
                                     plain(fmt::format("That button is not on production deploy #{}'s checklist "
                                                       "message; nothing was done.",
                                                       id)));
            co_return;
        }
        // Role and lock refusals are ours to post; the state machine posts its own.
        auto permitted = [&](action a) -> std::optional<std::string> {
            auto p = check_permission(ctx_.cfg.people, click.user_id, a);
            if (p.allowed) return std::nullopt;
            return p.reason;
        };
        std::optional<std::string> refusal;
        outcome out;
        switch (*act) {
        case deploy_action::signoff:
            if (!(refusal = permitted(action::sign_off_staging))) out = transition(id, qa_sign_off_clicked{click.user_id}, click.user_id);
            break;
        case deploy_action::migrations:
            if (!(refusal = permitted(action::confirm_migrations))) out = transition(id, confirm_migrations{click.user_id}, click.user_id);
            break;
        case deploy_action::flags_configured:
        case deploy_action::flags_not_needed:
            if (!(refusal = permitted(action::confirm_flags)))
                out = transition(id,
                                 flags_chosen{click.user_id, *act == deploy_action::flags_configured ? flags_choice::configured
                                                                                                    : flags_choice::not_needed},
                                 click.user_id);
            break;
        case deploy_action::rollback_plan:
            if (!(refusal = permitted(action::confirm_rollback_plan)))
                out = transition(id, confirm_rollback_plan{click.user_id}, click.user_id);
            break;
        case deploy_action::refresh:
            if (auto wait = manual_refresh_wait(id); wait.count() > 0)
                refusal = fmt::format("The checklist was refreshed moments ago; press Refresh again in {} s (it also "
                                      "refreshes itself every {} s).",
                                      wait.count(), ctx_.cfg.checklist_refresh.count());
            else
                spawn(refresh(id, click.user_id), "refresh");
            break;
        case deploy_action::cancel:
            out = transition(id, cancel_request{click.user_id, is_admin(click.user_id)}, click.user_id);
            break;
        case deploy_action::go: {
            if ((refusal = permitted(action::trigger_deploy))) break;
            if (auto l = current_lock()) {
                refusal = lock_text(*l);
                break;
            }
            const auto ws = evaluate_schedule(ctx_.cfg.schedule, ctx_.clock());
            out = transition(id, deploy_clicked{click.user_id, ws.is_open, ws.next_open_text}, click.user_id);
            break;
        }
        }
        if (!refusal && !out.error.empty()) refusal = out.error;
        if (refusal) co_await reply_ephemeral(ctx_, click, plain(std::move(*refusal), "refusal"));
    }

    void register_routes() {
        auto& r = ctx_.routes;
        r.on_command(subcommand::prod, [this](slash_command c, command_request) { return cmd_prod(std::move(c)); });
        r.on_command(subcommand::cancel, [this](slash_command c, command_request) { return cmd_cancel(std::move(c)); });
        r.on_command(subcommand::status, [this](slash_command c, command_request) { return cmd_status(std::move(c)); });
        r.on_command(subcommand::history,
                     [this](slash_command c, command_request q) { return cmd_history(std::move(c), std::move(q)); });
        r.on_command(subcommand::lock,
                     [this](slash_command c, command_request q) { return cmd_lock(std::move(c), std::move(q)); });
        r.on_command(subcommand::unlock, [this](slash_command c, command_request) { return cmd_unlock(std::move(c)); });
        r.on_command(subcommand::override_window,
                     [this](slash_command c, command_request q) { return cmd_override(std::move(c), std::move(q)); });
        r.on_action("deploy.", [this](block_action a) { return on_click(std::move(a)); });
    }
};

}  // namespace

std::unique_ptr<deploy_service> make_deploy_service(bot_context& ctx) {
    // shared_from_this needs shared ownership; the unique_ptr facade owns a shared core.
    struct holder final : deploy_service {
        std::shared_ptr<deploy_service_impl> impl;
        void start() override { impl->start(); }
        void stop() override { impl->stop(); }
        deploy_records& records_port() override { return *impl; }
    };
    auto h = std::make_unique<holder>();
    h->impl = std::make_shared<deploy_service_impl>(ctx);
    return h;
}

}  // namespace deploybot
