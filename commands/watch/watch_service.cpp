// The watch: every effect comes from the deploy record's state machine
// (start_watch, watch_progress, watch_alert, watch_summary); every finding
// goes back in as an event (watch_baseline, watch_checked, …) that is saved
// before anything is posted. The next check is a durable timer, so a restart
// mid-watch resumes where it stopped and posts nothing twice.
#include "commands/service_clients.hpp"
#include "commands/watch/watch_service.hpp"
#include "commands/module_support.hpp"

#include "bot/core/permissions.hpp"
#include "bot/log.hpp"
#include "bot/spawn.hpp"
#include "commands/render/post_live_message.hpp"
#include "commands/workflow/schedule.hpp"
#include "integrations/sentry/sentry_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <charconv>
#include <set>

namespace deploybot {
namespace {

using namespace boost::asio::experimental::awaitable_operators;
using std::chrono::seconds;

constexpr std::string_view timer_prefix = "watch:";

std::string no_data_note(const failure& e) { return "Sentry: " + e.to_string(); }


class watch_service_impl final : public post_live_sink, public std::enable_shared_from_this<watch_service_impl> {
public:
    watch_service_impl(bot_context& ctx, deploy_records& records, shared_clients clients)
        : ctx_(ctx), records_(records), clients_(clients),
          sentry_(clients->sentry) {}

    void attach() {
        records_.add_sink(this);
        std::weak_ptr<watch_service_impl> weak = shared_from_this();
        // Plain lambdas (not coroutines): each call's coroutine holds its own
        // reference to the service (shared_from_this in the callee).
        ctx_.timers.on(std::string(timer_prefix), [weak](std::string key) {
            auto self = weak.lock();
            return self ? self->on_timer(std::move(key)) : nothing();
        });
        ctx_.routes.on_action("watch.", [weak](block_action a) {
            auto self = weak.lock();
            return self ? self->on_click(std::move(a)) : nothing();
        });
    }

    void stop() { stopping_ = true; }

    void perform(const deploy_request& req, const effect& e) override {
        if (stopping_) return;
        if (std::holds_alternative<start_watch>(e)) {
            spawn(begin(req.id), "start watch");
        } else if (std::holds_alternative<watch_progress>(e)) {
            spawn(post_progress(req.id), "watch progress");
        } else if (const auto* a = std::get_if<watch_alert>(&e)) {
            spawn(post_alert(req.id, a->index), "watch alert");
        } else if (std::holds_alternative<watch_summary>(e)) {
            spawn(post_summary(req.id), "watch summary");
        }
    }

private:
    bot_context& ctx_;
    deploy_records& records_;
    shared_clients clients_;
    sentry_client& sentry_;
    bool stopping_ = false;
    std::set<std::int64_t> summarising_;
    std::set<std::int64_t> alerting_;
    std::set<std::int64_t> progressing_;

    template <class Coro>
    void spawn(Coro&& coro, std::string what) {
        spawn_logged(ctx_.executor, std::forward<Coro>(coro), "watch", std::move(what));
    }

    message_context message_ctx() const { return module_message_context(ctx_); }

    watch_policy policy() const { return watch_policy{ctx_.cfg.monitoring.min_events, ctx_.cfg.monitoring.ratio}; }

    // When check k (1-based) is due: after its interval ends, plus the time
    // Sentry needs to ingest it (sentry.md §3.2: about 90 s), at most one interval.
    time_point due(const watch_info& w, int k) const {
        const auto settle = std::min<seconds>(ctx_.cfg.monitoring.settle, seconds(w.interval_s));
        return w.live_at + seconds(w.interval_s * k) + settle;
    }

    void arm(const deploy_request& req) {
        if (req.watch.phase != watch_phase::watching) return;
        const int next = static_cast<int>(req.watch.checks.size()) + 1;
        ctx_.timers.at(std::string(timer_prefix) + std::to_string(req.id), due(req.watch, next));
    }

    // Marker and baseline (each once), then the next check's timer.
    asio::awaitable<void> begin(std::int64_t id) {
        auto self = shared_from_this();
        auto req = records_.records().load(id);
        if (!req || req->watch.phase != watch_phase::watching) co_return;
        arm(*req);   // first: whatever Sentry does below, the checks run
        if (!req->watch.marker_recorded) co_await record_marker(*req);
        if (req->watch.baseline_hour < 0) co_await read_baseline(id);
    }

    asio::awaitable<void> record_marker(deploy_request req) {
        sentry_deploy_marker m;
        m.version = req.candidate.commit_sha;
        m.repository = ctx_.cfg.github.repo;
        m.previous_commit = req.production.commit_sha;
        m.name = fmt::format("{} {}", req.kind == record_kind::rollback ? "rollback" : "promote",
                             req.promote.target_deployment_id.empty() ? req.candidate.deployment_id
                                                                      : req.promote.target_deployment_id);
        m.url = req.candidate.url;
        m.started = req.promote.clicked_at.value_or(req.watch.live_at);
        m.finished = req.watch.live_at;
        auto r = co_await sentry_.record_deploy(m);
        // Never blocks anything: logged, and not sent again (a POST).
        if (!r) log::warn("watch", "Sentry deploy marker for {} not recorded: {}", record_name(req), r.error().to_string());
        records_.transition(req.id, watch_marker_recorded{}, "");
    }

    asio::awaitable<void> read_baseline(std::int64_t id) {
        auto req = records_.records().load(id);
        if (!req) co_return;
        const auto t = req->watch.live_at;
        auto both = co_await (sentry_.count_errors(t - std::chrono::hours(1), t) &&
                              sentry_.count_errors(t - std::chrono::days(7), t - std::chrono::days(7) + std::chrono::hours(1)));
        auto& before = std::get<0>(both);
        auto& week = std::get<1>(both);
        if (!before) log::warn("watch", "{}: no baseline from Sentry yet: {}", record_name(*req), before.error().to_string());
        records_.transition(id, watch_baseline{before ? *before : -1, week ? *week : -1}, "");
    }

    asio::awaitable<void> on_timer(std::string key) {
        auto self = shared_from_this();
        std::int64_t id = 0;
        const auto num = std::string_view(key).substr(timer_prefix.size());
        std::from_chars(num.data(), num.data() + num.size(), id);
        co_await check(id);
    }

    asio::awaitable<void> check(std::int64_t id) {
        auto self = shared_from_this();
        auto req = records_.records().load(id);
        if (!req || req->watch.phase != watch_phase::watching) co_return;
        if (req->watch.baseline_hour < 0) {
            co_await read_baseline(id);
            req = records_.records().load(id);
            if (!req || req->watch.phase != watch_phase::watching) co_return;
        }
        const auto& w = req->watch;
        const int k = static_cast<int>(w.checks.size()) + 1;
        watch_checked ev;
        ev.index = k;
        ev.policy = policy();
        const auto from = w.live_at + seconds(w.interval_s * (k - 1));
        auto counted = co_await sentry_.count_errors(from, from + seconds(w.interval_s));
        if (counted) {
            ev.observed = true;
            ev.events = *counted;
            auto issues = co_await sentry_.new_issues(w.live_at, 10);
            if (issues)
                for (const auto& i : *issues)
                    ev.new_issues.push_back(new_issue_ref{i.short_id, i.title, i.permalink, i.count});
        } else {
            ev.note = no_data_note(counted.error());
            log::warn("watch", "{} check {}: no data ({})", record_name(*req), k, ev.note);
        }
        records_.transition(id, ev, "");
        if (auto after = records_.records().load(id)) arm(*after);
    }

    alert_context alert_ctx(const deploy_request& req) const {
        alert_context a;
        a.mention = ctx_.cfg.monitoring.mention;
        a.sentry_url = sentry_.issues_page_url(req.watch.live_at);
        // What served production before this record went live is what a rollback goes back to.
        if (req.kind == record_kind::production && !req.production.deployment_id.empty())
            a.rollback_target = req.production.deployment_id + " (" + req.production.commit_sha.substr(0, 7) + ")";
        return a;
    }

    asio::awaitable<void> sleep(std::chrono::milliseconds d) {
        asio::steady_timer t(ctx_.executor, d);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }

    // The thread lines, in order, each owed until Slack has it (a restart posts
    // the missing ones, never one twice).
    asio::awaitable<void> post_progress(std::int64_t id) {
        auto self = shared_from_this();
        if (!progressing_.insert(id).second) co_return;
        std::chrono::milliseconds backoff{1000};
        while (!stopping_) {
            auto req = records_.records().load(id);
            if (!req || req->watch.progress_posted >= static_cast<int>(req->watch.checks.size())) break;
            const int k = req->watch.progress_posted + 1;
            auto body = blocks::to_json(plain(render_watch_progress(*req, k, message_ctx())));
            body["channel"] = req->channel.empty() ? ctx_.cfg.slack.channel : req->channel;
            if (!req->message_ts.empty()) body["thread_ts"] = req->message_ts;
            std::string error;
            auto ts = co_await records_.post_once(std::move(body), fmt::format("progress:{}:{}", id, k), &error);
            if (!ts.empty()) {
                records_.transition(id, watch_progress_posted{k}, "");
                backoff = std::chrono::milliseconds(1000);
                continue;
            }
            co_await sleep(backoff);
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::minutes(5));
        }
        progressing_.erase(id);
    }

    // The channel alert: owed until Slack has it, never posted twice.
    asio::awaitable<void> post_alert(std::int64_t id, int index) {
        auto self = shared_from_this();
        if (!alerting_.insert(id).second) co_return;
        std::chrono::milliseconds backoff{1000};
        while (!stopping_) {
            auto req = records_.records().load(id);
            if (!req || !req->watch.alert_owed || req->watch.alert_index != index) break;
            auto body = blocks::to_json(render_watch_alert(*req, index, alert_ctx(*req), message_ctx()));
            body["channel"] = req->channel.empty() ? ctx_.cfg.slack.channel : req->channel;
            body["unfurl_links"] = false;
            std::string error;
            auto ts = co_await records_.post_once(std::move(body), fmt::format("alert:{}:{}", id, index), &error);
            if (!ts.empty()) {
                records_.transition(id, watch_alert_posted{ts}, "");
                break;
            }
            co_await sleep(backoff);
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::minutes(5));
        }
        alerting_.erase(id);
    }

    // The final summary: in the thread (broadcast to the channel when it is
    // not good news), owed until Slack has it; the message shows it too.
    asio::awaitable<void> post_summary(std::int64_t id) {
        auto self = shared_from_this();
        if (!summarising_.insert(id).second) co_return;
        records_.refresh_message(id);
        std::chrono::milliseconds backoff{1000};
        while (!stopping_) {
            auto req = records_.records().load(id);
            if (!req || !req->watch.summary_owed) break;
            auto body = blocks::to_json(render_watch_summary(*req, message_ctx()));
            body["channel"] = req->channel.empty() ? ctx_.cfg.slack.channel : req->channel;
            if (!req->message_ts.empty()) {
                body["thread_ts"] = req->message_ts;
                if (req->watch.phase != watch_phase::stable && req->watch.phase != watch_phase::ended)
                    body["reply_broadcast"] = true;
            }
            std::string error;
            auto ts = co_await records_.post_once(std::move(body), fmt::format("summary:{}", id), &error);
            if (!ts.empty()) {
                records_.transition(id, watch_summary_posted{ts}, "");
                break;
            }
            co_await sleep(backoff);
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::minutes(5));
        }
        summarising_.erase(id);
    }

    asio::awaitable<void> on_click(block_action click) {
        auto self = shared_from_this();
        if (click.action_id != watch_ack_action_id) co_return;
        std::int64_t id = 0;
        std::from_chars(click.value.data(), click.value.data() + click.value.size(), id);
        auto req = records_.records().load(id);
        if (!req) {
            co_await reply_ephemeral(ctx_, click, plain("That alert belongs to a deploy I no longer know."));
            co_return;
        }
        const auto& people = ctx_.cfg.people;
        if (!has_role(people, click.user_id, role::deployer) && !has_role(people, click.user_id, role::qa_lead)) {
            co_await reply_ephemeral(ctx_, click,
                                     plain("Only deployers and QA leads can acknowledge an error alert "
                                           "(people.deployers, people.qa_leads)."));
            co_return;
        }
        auto out = records_.transition(id, watch_acknowledged{click.user_id}, click.user_id);
        if (!out.error.empty()) {
            co_await reply_ephemeral(ctx_, click, plain(out.error));
            co_return;
        }
        if (out.accepted)
            records_.thread_reply(
                id, fmt::format(":ok_hand: <@{}> looked at the alert: looks fine, keep watching. An interval worse "
                                "than {} errors alerts again.",
                                click.user_id, req->watch.alert_events));
    }

};

}  // namespace

std::unique_ptr<feature_module> make_watch_service(bot_context& ctx, deploy_records& records, shared_clients clients) {
    return make_shared_module<watch_service_impl>(ctx, records, clients);
}

}  // namespace deploybot
