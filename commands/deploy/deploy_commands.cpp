// The deploy service: construction, start/stop, transitions and their effects,
// the deploy_records port and the routes (deploy_service_impl.hpp).
#include "commands/render/refusal_text.hpp"
#include "commands/service_clients.hpp"
#include "commands/deploy/deploy_service_impl.hpp"

#include "bot/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace deploybot::deploy_detail {

namespace {
std::string capitalized(std::string s) {
    if (!s.empty() && s.front() >= 'a' && s.front() <= 'z') s.front() = static_cast<char>(s.front() - 'a' + 'A');
    return s;
}



}  // namespace

std::string short_sha(std::string_view sha) { return std::string(sha.substr(0, 7)); }

std::string deployment_of(const outcome<vercel_alias>& a) { return a ? a->deployment_id : std::string(); }

deploy_service_impl::deploy_service_impl(bot_context& ctx, shared_clients clients)
    : ctx_(ctx), store_(ctx.db), metrics_(ctx.metrics, store_), clients_(clients), github_(clients->github),
      vercel_(clients->vercel) {
    if (auto r = store_.ensure_schema(); !r) log::error("deploy", "cannot create deploy tables: {}", r.error().message());
    register_routes();
}

void deploy_service_impl::start() {
    // Resume: whatever state the active request was left in, continue it.
    if (auto active = store_.active()) {
        log::info("deploy", "resuming production deploy #{} in state {}", active->id, to_string(active->state));
        // Stopped between recording the request and posting its message: post it now.
        if (active->message_ts.empty() &&
            (active->state != request_state::promoting || active->kind != record_kind::production))
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
    std::weak_ptr<deploy_service_impl> weak = shared_from_this();
    ctx_.timers.on(std::string(checklist_timer), [weak](std::string) {
        auto self = weak.lock();
        return self ? self->on_checklist_timer() : nothing();
    });
    arm_checklist_timer();
}

void deploy_service_impl::stop() {
    stopping_ = true;
    for (auto* t : sleepers_) t->cancel();
}

// apply → save (request + audit) → effects.
deploy_service_impl::transition_result deploy_service_impl::transition(std::int64_t id, const deploy_event& ev_in,
                                                                       std::string_view user) {
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
        metrics_.on_transition(*req, t.request);
        execute(t.request, t.effects);
        return {true, false, ""};
    }
}

// Sentry configured: every go-live starts a watch (monitoring.duration_s 0 turns it off).
bool deploy_service_impl::watch_configured() const {
    return !ctx_.cfg.sentry.org.empty() && !ctx_.cfg.sentry.project.empty() && !ctx_.tokens.sentry_token.empty() &&
           ctx_.cfg.monitoring.duration.count() > 0;
}

bool deploy_service_impl::create(deploy_request record, std::string audit_what) {
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
    arm_checklist_timer();
    return true;
}

asio::awaitable<std::string> deploy_service_impl::post_once(json::object body, std::string key, std::string* error) {
    auto self = shared_from_this();
    co_return co_await post_tagged(std::move(body), std::move(key), error);
}

void deploy_service_impl::thread_reply(std::int64_t id, std::string text) {
    if (auto r = store_.load(id)) spawn(thread_reply(*r, std::move(text)), "thread reply");
}

void deploy_service_impl::to_sinks(const deploy_request& req, const effect& e) {
    for (auto* s : sinks_) s->perform(req, e);
}

// A record went live: the one a rollback replaced becomes rolled back, and
// a watch still running on an older record ends (production moved on).
void deploy_service_impl::replace_older(const deploy_request& now_live) {
    std::set<std::int64_t> older;
    for (const auto& r : store_.post_live_pending())
        if (r.id != now_live.id && r.state == request_state::live && r.watch.phase == watch_phase::watching)
            older.insert(r.id);
    const auto rolled = now_live.kind == record_kind::rollback ? now_live.rollback.rolls_back : 0;
    if (rolled > 0 && rolled != now_live.id) older.insert(rolled);
    for (auto id : older) transition(id, replaced_by{now_live.id, id == rolled}, "");
}

void deploy_service_impl::execute(const deploy_request& req, const std::vector<effect>& effects) {
    for (const auto& e : effects) {
        std::visit(
            [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, post_refusal>) {
                    spawn(ephemeral(req.channel.empty() ? ctx_.cfg.slack.channel : req.channel, x.user,
                                    plain(refusal_text(x.why), "refusal")),
                          "refusal");
                } else if constexpr (std::is_same_v<T, update_message>) {
                    spawn(update_checklist(req.id), "update");
                } else if constexpr (std::is_same_v<T, start_promote>) {
                    start_promote_task(req.id, x.attempt_id, x.deployment_id, x.model, "");
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
                    spawn(thread_reply(req, fmt::format("{} was cancelled by <@{}>.", capitalized(record_name(req)), x.by)),
                          "announce cancel");
                    spawn(update_checklist(req.id), "update");
                } else if constexpr (std::is_same_v<T, announce_sign_off_void>) {
                    spawn(thread_reply(req, x.text), "sign-off void");
                } else if constexpr (std::is_same_v<T, candidate_changed>) {
                    notes_for_.erase(req.id);   // "what ships" is rebuilt by the running evaluation
                } else {
                    // The post-live phase and the other kinds' work (start_watch, watch_*,
                    // open_postmortem, verify_rollback, run_hotfix, track_backport): the
                    // modules that attached as sinks perform them.
                    to_sinks(req, e);
                }
            },
            e);
    }
}

void deploy_service_impl::register_routes() {
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

}  // namespace deploybot::deploy_detail

namespace deploybot {


std::unique_ptr<deploy_service> make_deploy_service(bot_context& ctx, shared_clients clients) {
    using deploy_detail::deploy_service_impl;
    // shared_from_this needs shared ownership; the unique_ptr facade owns a shared core.
    struct holder final : deploy_service {
        std::shared_ptr<deploy_service_impl> impl;
        void start() override { impl->start(); }
        void stop() override { impl->stop(); }
        deploy_records& records_port() override { return *impl; }
    };
    auto h = std::make_unique<holder>();
    h->impl = std::make_shared<deploy_service_impl>(ctx, clients);
    return h;
}

}  // namespace deploybot
