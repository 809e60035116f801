// Rollback records share the deploy records' lifecycle: created in
// `promoting`, the rollback POST recorded (with Vercel's lastAliasRequest
// baseline) before it is sent and never sent twice, its outcome read from
// Vercel when the answer is lost, announced once, watched like any go-live.
#include "commands/service_clients.hpp"
#include "commands/rollback/rollback_service.hpp"
#include "commands/module_support.hpp"

#include "bot/core/permissions.hpp"
#include "bot/core/time_ms.hpp"
#include "bot/log.hpp"
#include "bot/spawn.hpp"
#include "commands/render/post_live_message.hpp"
#include "commands/workflow/evidence.hpp"
#include "commands/workflow/schedule.hpp"
#include "integrations/github/github_client.hpp"
#include "integrations/sentry/sentry_client.hpp"
#include "integrations/vercel/vercel_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <charconv>
#include <map>
#include <set>

namespace deploybot {
namespace {

using namespace boost::asio::experimental::awaitable_operators;

constexpr std::string_view postmortem_timer = "postmortem:";


// Plain functions for what coroutines would otherwise build in ?: (gcc 12
// miscompiles string temporaries there).
std::string state_or_unknown(const std::optional<deploy_request>& r) {
    if (!r) return "unknown";
    return std::string(to_string(r->state));
}
std::string served_by(const deploy_request& r) {
    if (r.promote.target_deployment_id.empty()) return r.candidate.deployment_id;
    return r.promote.target_deployment_id;
}
std::string rollback_description(const std::optional<deploy_request>& r) {
    if (!r) return std::string();
    return blocks::truncate(r->rollback.reason, 200);
}



// An offer, or why there is none (shown to the person asking).
struct offer_result {
    std::optional<rollback_offer> offer;
    std::string problem;
};

class rollback_service_impl final : public post_live_sink, public std::enable_shared_from_this<rollback_service_impl> {
public:
    rollback_service_impl(bot_context& ctx, deploy_records& records, shared_clients clients)
        : ctx_(ctx), records_(records), clients_(clients),
          vercel_(clients->vercel), github_(clients->github), sentry_(clients->sentry) {}

    void attach() {
        records_.add_sink(this);
        std::weak_ptr<rollback_service_impl> weak = shared_from_this();
        ctx_.routes.on_command(subcommand::rollback, [weak](slash_command c, command_request q) {
            auto self = weak.lock();
            return self ? self->cmd_rollback(std::move(c), std::move(q)) : nothing();
        });
        ctx_.routes.on_action("rollback.", [weak](block_action a) {
            auto self = weak.lock();
            return self ? self->on_click(std::move(a)) : nothing();
        });
        ctx_.timers.on(std::string(postmortem_timer), [weak](std::string key) {
            auto self = weak.lock();
            if (!self) return nothing();
            std::int64_t id = 0;
            const auto num = std::string_view(key).substr(postmortem_timer.size());
            std::from_chars(num.data(), num.data() + num.size(), id);
            return self->open_postmortem_issue(id);
        });
    }

    void stop() {
        stopping_ = true;
        for (auto* t : sleepers_) t->cancel();
    }

    void perform(const deploy_request& req, const effect& e) override {
        if (stopping_) return;
        if (const auto* v = std::get_if<verify_rollback>(&e)) {
            if (running_.insert(req.id).second)
                spawn(run_rollback(req.id, v->attempt_id, v->target_deployment_id, v->sent_baseline_ms), "rollback");
        } else if (std::holds_alternative<open_postmortem>(e)) {
            spawn(open_postmortem_issue(req.id), "post-mortem");
        }
    }

private:
    bot_context& ctx_;
    deploy_records& records_;
    shared_clients clients_;
    vercel_client& vercel_;
    github_client& github_;
    sentry_client& sentry_;
    bool stopping_ = false;
    std::set<std::int64_t> running_;                    // rollbacks with a live coroutine
    std::set<std::int64_t> postmortems_;                // issues being opened
    std::map<std::int64_t, int> postmortem_failures_;   // for the retry backoff (bounded by records)
    std::set<asio::steady_timer*> sleepers_;

    template <class Coro>
    void spawn(Coro&& coro, std::string what) {
        spawn_logged(ctx_.executor, std::forward<Coro>(coro), "rollback", std::move(what));
    }

    message_context message_ctx() const { return module_message_context(ctx_); }

    asio::awaitable<void> sleep(std::chrono::milliseconds d) {
        if (stopping_) co_return;
        asio::steady_timer t(ctx_.executor, d);
        sleepers_.insert(&t);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        sleepers_.erase(&t);
    }

    // Why a rollback cannot start now ("" = it can): one at a time, and never
    // while a deploy is promoting.
    std::string busy() const {
        auto active = records_.records().active();
        if (!active || active->state != request_state::promoting) return std::string();
        if (active->kind == record_kind::rollback)
            return fmt::format("Rollback #{} by <@{}> is already in progress; nothing was done.", active->id,
                               active->requester);
        return fmt::format("Production deploy #{} is promoting right now; a rollback would race it. Wait for it to "
                           "finish (its message says when), then roll back if production needs it.",
                           active->id);
    }

    // What production serves and what a rollback would go back to (vercel.md
    // §3.7), and whether that crosses a migration (GitHub compare).
    asio::awaitable<offer_result> make_offer(std::string reason) {
        const auto& vc = ctx_.cfg.vercel;
        deployment_filter f;
        f.target = "production";
        f.states = {"READY"};
        f.rollback_candidate = true;
        f.limit = 20;
        f.max_pages = 1;
        auto round1 = co_await (vercel_.get_alias(vc.production_domain) && vercel_.list_deployments(f));
        auto& alias = std::get<0>(round1);
        auto& list = std::get<1>(round1);
        offer_result out;
        if (!alias) {
            out.problem = "I cannot tell what production serves: Vercel answered " + alias.error().to_string() +
                          ". Nothing was rolled back; try again in a moment.";
            co_return out;
        }
        if (alias->deployment_id.empty()) {
            out.problem = vc.production_domain + " is not assigned to a deployment in Vercel; there is nothing to roll back.";
            co_return out;
        }
        if (!list) {
            out.problem = "Vercel would not list earlier production deployments (" + list.error().to_string() +
                          "). Nothing was rolled back.";
            co_return out;
        }
        auto current = co_await vercel_.get_deployment(alias->deployment_id);
        if (!current) {
            out.problem = "Vercel would not show the production deployment " + alias->deployment_id + " (" +
                          current.error().to_string() + "). Nothing was rolled back.";
            co_return out;
        }
        std::vector<deployment_ref> refs;
        for (const auto& d : *list) refs.push_back({d.id, d.created_ms});
        auto pick = pick_rollback_target(refs, current->id, current->created_ms);
        if (!pick) {
            out.problem = "Vercel lists no earlier production deployment to roll back to. Nothing was rolled back.";
            co_return out;
        }
        const vercel_deployment* target = nullptr;
        for (const auto& d : *list)
            if (d.id == pick->id) target = &d;
        rollback_offer o;
        o.target.deployment_id = target->id;
        o.target.url = deployment_link(*target);
        o.target.commit_sha = target->git_sha;
        o.target.commit_message = target->git_message;
        o.target.created_at = from_ms(target->created_ms);
        o.target.ready = true;
        o.target_creator = target->creator;
        o.from = production_info{current->id, current->git_sha};
        o.from_message = current->git_message;
        o.reason = std::move(reason);
        if (!o.target.commit_sha.empty() && !o.from.commit_sha.empty() && o.target.commit_sha != o.from.commit_sha) {
            auto cmp = co_await github_.compare(o.target.commit_sha, o.from.commit_sha);
            if (cmp) {
                std::vector<changed_file> files;
                for (const auto& x : cmp->files) files.push_back({x.filename, x.previous_filename});
                o.migration_files = migration_files(files, ctx_.cfg.github.migration_paths);
                o.crosses_migrations = !o.migration_files.empty();
            } else {
                o.migrations_unknown = true;
                log::warn("rollback", "cannot compare {}...{}: {}", o.target.commit_sha, o.from.commit_sha,
                          cmp.error().to_string());
            }
        }
        out.offer = std::move(o);
        co_return out;
    }

    asio::awaitable<void> cmd_rollback(slash_command cmd, command_request req) {
        auto self = shared_from_this();
        if (auto p = check_permission(ctx_.cfg.people, cmd.user_id, action::rollback); !p.allowed) {
            co_await reply_ephemeral(ctx_, cmd, plain(p.reason));
            co_return;
        }
        if (auto why = busy(); !why.empty()) {
            co_await reply_ephemeral(ctx_, cmd, plain(why));
            co_return;
        }
        auto offer = co_await make_offer(req.args);
        if (!offer.offer) {
            co_await reply_ephemeral(ctx_, cmd, plain(offer.problem));
            co_return;
        }
        co_await reply_ephemeral(ctx_, cmd, render_rollback_offer(*offer.offer, message_ctx()));
    }

    asio::awaitable<void> on_click(block_action click) {
        auto self = shared_from_this();
        auto parsed = click.action_id == rollback_action_id ? parse_rollback_value(click.value) : std::nullopt;
        if (!parsed) {
            co_await reply_ephemeral(ctx_, click, plain("That button is not one of mine; nothing was done."));
            co_return;
        }
        if (auto p = check_permission(ctx_.cfg.people, click.user_id, action::rollback); !p.allowed) {
            co_await reply_ephemeral(ctx_, click, plain(p.reason));
            co_return;
        }
        if (auto why = busy(); !why.empty()) {
            co_await reply_ephemeral(ctx_, click, plain(why));
            co_return;
        }
        std::string expected_from = parsed->from;
        std::string reason = parsed->reason;
        std::string alert;
        if (parsed->from_alert) {
            auto rec = records_.records().load(parsed->record);
            if (!rec || rec->state != request_state::live) {
                co_await reply_ephemeral(ctx_, click,
                                         plain(fmt::format("#{} is no longer live ({}); nothing was rolled back.",
                                                           parsed->record, state_or_unknown(rec))));
                co_return;
            }
            expected_from = served_by(*rec);
            const auto& w = rec->watch;
            alert = fmt::format("error spike alert on {}: {} errors in {} s", record_name(*rec), w.alert_events,
                                w.interval_s);
            reason = "error spike after " + record_name(*rec);
        }
        auto offer = co_await make_offer(reason);
        if (!offer.offer) {
            co_await reply_ephemeral(ctx_, click, plain(offer.problem));
            co_return;
        }
        auto& o = *offer.offer;
        if (o.from.deployment_id != expected_from ||
            (!parsed->from_alert && o.target.deployment_id != parsed->target)) {
            co_await reply_ephemeral(
                ctx_, click,
                plain(fmt::format("Production changed since this was offered: it serves `{}` now. Nothing was rolled "
                                  "back; run `/deploy rollback` again to see the current offer.",
                                  o.from.deployment_id)));
            co_return;
        }
        // No await between this check and the save: a double click rolls back once.
        if (auto why = busy(); !why.empty()) {
            co_await reply_ephemeral(ctx_, click, plain(why));
            co_return;
        }
        auto id = records_.records().next_id();
        if (!id) {
            co_await reply_ephemeral(ctx_, click, plain("deploybot cannot write its database; nothing was rolled back."));
            co_return;
        }
        rollback_info info;
        info.reason = reason;
        info.alert = alert;
        info.crosses_migrations = o.crosses_migrations;
        info.migration_files = o.migration_files;
        info.from_message = o.from_message;
        if (auto live = records_.records().last_live()) {
            const auto served = served_by(*live);
            if (served == o.from.deployment_id) info.rolls_back = live->id;
        }
        auto rec = make_rollback_record(*id, click.user_id, ctx_.cfg.slack.channel, o.target, o.from, std::move(info),
                                        ctx_.clock());
        if (!records_.create(rec, fmt::format("by {} to {} from {}", click.user_id, o.target.deployment_id,
                                              o.from.deployment_id))) {
            co_await reply_ephemeral(ctx_, click, plain("deploybot cannot write its database; nothing was rolled back."));
            co_return;
        }
    }

    // ---------- the rollback itself ----------

    std::chrono::milliseconds silence_limit() const {
        return std::min<std::chrono::milliseconds>(ctx_.cfg.vercel.promote_timeout, std::chrono::seconds(120));
    }

    alias_job_wait rollback_wait(std::string target, std::int64_t baseline_ms, bool unknown_outcome) const {
        return make_alias_job_wait(ctx_.cfg.vercel, "rollback", std::move(target), baseline_ms, unknown_outcome);
    }

    void finish(std::int64_t id, const std::string& attempt, bool ok, std::string target, std::string error,
                bool unknown = false) {
        running_.erase(id);
        promote_finished f{attempt, ok, std::move(target), std::move(error)};
        f.unknown = unknown;
        records_.transition(id, f, "");
    }

    asio::awaitable<std::optional<std::int64_t>> read_baseline() {
        const auto give_up = std::chrono::steady_clock::now() + silence_limit();
        for (;;) {
            auto project = co_await vercel_.get_project();
            if (project) co_return project->last_alias_request ? project->last_alias_request->requested_at_ms : 0;
            if (std::chrono::steady_clock::now() >= give_up || stopping_) co_return std::nullopt;
            co_await sleep(ctx_.cfg.vercel.poll_interval);
        }
    }

    asio::awaitable<void> conclude(std::int64_t id, std::string attempt, std::string target,
                                   outcome<alias_job_result> done) {
        if (!done)
            finish(id, attempt, false, target, "could not confirm the rollback: " + done.error().to_string(), true);
        else if (done->job_status == "succeeded" && done->production_alias_confirmed)
            finish(id, attempt, true, target, "");
        else
            finish(id, attempt, false, target,
                   "Vercel reported the rollback " + done->job_status + " and production does not serve " + target);
        co_return;
    }

    asio::awaitable<void> run_rollback(std::int64_t id, std::string attempt, std::string target,
                                       std::int64_t sent_baseline_ms) {
        auto self = shared_from_this();
        if (sent_baseline_ms >= 0) {
            // Sent before a restart: Vercel says what became of it.
            auto done = co_await vercel_.follow_alias_job(rollback_wait(target, sent_baseline_ms, true));
            if (done || done.error().code != errc::no_trace) {
                co_await conclude(id, attempt, target, std::move(done));
                co_return;
            }
            log::info("rollback", "#{}: no trace of rollback {} at Vercel; performing it now", id, attempt);
        }
        auto baseline = co_await read_baseline();
        if (!baseline) {
            finish(id, attempt, false, target, "Vercel did not answer before the rollback, so nothing was sent");
            co_return;
        }
        // Recorded before the POST: a restart from here on reads Vercel first.
        records_.transition(id, promote_sending{attempt, target, *baseline}, "");
        auto rec = records_.records().load(id);
        const std::string description = rollback_description(rec);
        auto sent = co_await vercel_.rollback(target, description);
        if (sent) {
            co_await conclude(id, attempt, target, co_await vercel_.follow_alias_job(rollback_wait(target, *baseline, false)));
            co_return;
        }
        const auto err = sent.error();
        if (outcome_unknown(err) || err.http_status >= 500) {
            auto done = co_await vercel_.follow_alias_job(rollback_wait(target, *baseline, true));
            if (done || done.error().code != errc::no_trace) {
                co_await conclude(id, attempt, target, std::move(done));
                co_return;
            }
            if (!outcome_unknown(err)) {
                finish(id, attempt, false, target, "Vercel refused the rollback: " + err.to_string());
                co_return;
            }
            finish(id, attempt, false, target,
                   "the rollback was sent but Vercel's answer was lost (" + err.to_string() +
                       "), and no rollback of ours appeared at Vercel afterwards",
                   true);
            co_return;
        }
        finish(id, attempt, false, target, "Vercel refused the rollback: " + err.to_string());
    }

    // ---------- post-mortem ----------

    asio::awaitable<void> open_postmortem_issue(std::int64_t id) {
        auto self = shared_from_this();
        if (!postmortems_.insert(id).second) co_return;
        auto rb = records_.records().load(id);
        if (!rb || !rb->postmortem.owed) {
            postmortems_.erase(id);
            co_return;
        }
        std::optional<deploy_request> bad;
        if (rb->rollback.rolls_back > 0) bad = records_.records().load(rb->rollback.rolls_back);
        postmortem_links links;
        if (!rb->candidate.commit_sha.empty() && !rb->production.commit_sha.empty())
            links.compare_url = github_web_base(ctx_.cfg.github.api_url) + "/" + ctx_.cfg.github.repo + "/compare/" +
                                rb->candidate.commit_sha + "..." + rb->production.commit_sha;
        if (bad && bad->watch.phase != watch_phase::none) links.sentry_url = sentry_.issues_page_url(bad->watch.live_at);
        std::vector<std::int64_t> ids{rb->id};
        if (bad) ids.push_back(bad->id);
        auto draft = render_postmortem(*rb, bad, select_postmortem_timeline(ctx_.db.audit_tail(1000), ids), links,
                                       message_ctx());
        auto created = co_await github_.create_issue(draft.title, draft.body, ctx_.cfg.github.postmortem_labels);
        postmortems_.erase(id);
        if (created) {
            postmortem_failures_.erase(id);
            records_.transition(id, postmortem_opened{created->html_url}, "");
            records_.thread_reply(id, ":memo: Post-mortem issue opened: " + created->html_url +
                                          " — fill in what went wrong and how we prevent it.");
            records_.refresh_message(id);
            co_return;
        }
        const auto err = created.error();
        if (outcome_unknown(err)) {
            // Never sent twice: it may exist.
            records_.transition(id, postmortem_failed{err.to_string(), true}, "");
            records_.thread_reply(id, ":warning: I asked GitHub to open the post-mortem issue but its answer was lost (" +
                                          blocks::escape(err.to_string()) +
                                          "). Check the repository's issues labelled post-mortem before opening one by hand.");
            co_return;
        }
        const int failures = ++postmortem_failures_[id];
        records_.transition(id, postmortem_failed{err.to_string(), false}, "");
        const auto wait = err.retry_after ? std::chrono::duration_cast<std::chrono::milliseconds>(*err.retry_after)
                                          : std::min<std::chrono::milliseconds>(
                                                make_exponential_wait(std::chrono::seconds(30), failures), std::chrono::minutes(30));
        if (failures == 1)
            records_.thread_reply(id, ":warning: I could not open the post-mortem issue on GitHub (" +
                                          blocks::escape(err.to_string()) + "); I keep trying.");
        ctx_.timers.at(std::string(postmortem_timer) + std::to_string(id), ctx_.clock() + wait);
    }
};

}  // namespace

std::unique_ptr<feature_module> make_rollback_service(bot_context& ctx, deploy_records& records, shared_clients clients) {
    return make_shared_module<rollback_service_impl>(ctx, records, clients);
}

}  // namespace deploybot
