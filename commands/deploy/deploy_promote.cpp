// The promote (or production rebuild) followed until production serves it, and
// the periodic tick.
#include "commands/deploy/deploy_service_impl.hpp"

#include "bot/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace deploybot::deploy_detail {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The string-building helpers below are plain functions: gcc 12 miscompiles
// string temporaries inside ?: in coroutines (a crash was seen), so coroutines
// call these instead of formatting inline.
std::string describe_unknown_promote(const failure& err) {
    return "the promote was sent but Vercel's answer was lost (" + err.to_string() +
           "), and no promote of ours appeared at Vercel afterwards";
}

std::string describe_unknown_rebuild(const failure& err) {
    return "the production rebuild was requested but Vercel's answer was lost (" + err.to_string() +
           "), and no rebuild of ours could be found";
}

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

}  // namespace

void deploy_service_impl::start_promote_task(std::int64_t id, std::string attempt, std::string deployment_id,
                                             staging_model model, std::string target, bool resuming,
                                             std::int64_t sent_baseline_ms) {
    if (!promotes_running_.insert(attempt).second) return;   // never two coroutines for one attempt
    spawn(run_promote(id, attempt, deployment_id, model, target, resuming, sent_baseline_ms), "promote");
}

void deploy_service_impl::finish_promote(std::int64_t id, const std::string& attempt, bool ok, std::string target,
                                         std::string error, bool unknown) {
    promotes_running_.erase(attempt);
    promote_finished f{attempt, ok, std::move(target), std::move(error)};
    f.unknown = unknown;
    transition(id, f, "");
}

std::chrono::milliseconds deploy_service_impl::silence_limit() const {
    return std::min<std::chrono::milliseconds>(ctx_.cfg.vercel.promote_timeout, std::chrono::seconds(120));
}

// lastAliasRequest.requestedAt before our POST (0 when there is none), read
// until Vercel answers or the silence limit passes.
asio::awaitable<std::optional<std::int64_t>> deploy_service_impl::read_baseline() {
    const auto give_up = std::chrono::steady_clock::now() + silence_limit();
    for (;;) {
        auto project = co_await vercel_.get_project();
        if (project) co_return project->last_alias_request ? project->last_alias_request->requested_at_ms : 0;
        if (std::chrono::steady_clock::now() >= give_up) co_return std::nullopt;
        co_await sleep(ctx_.cfg.vercel.poll_interval);
        if (stopping_) co_return std::nullopt;
    }
}

// Identical build (model A) or rebuild of the same commit (B/C), followed
// until production serves it. A POST is never sent twice when its outcome is
// unknown: Vercel is read first (lastAliasRequest newer than the baseline
// recorded before the POST, and the production alias).
asio::awaitable<void> deploy_service_impl::run_promote(std::int64_t id, std::string attempt,
                                                       std::string deployment_id, staging_model model,
                                                       std::string target, bool resuming,
                                                       std::int64_t sent_baseline_ms) {
    auto self = shared_from_this();
    const auto& vc = ctx_.cfg.vercel;
    const bool rebuild = model == staging_model::custom_environment || model == staging_model::preview_branch;

    if (resuming && sent_baseline_ms >= 0) {
        // The POST may have gone out before the restart: follow what Vercel did.
        const auto expected = target.empty() ? deployment_id : target;
        auto done = co_await vercel_.follow_alias_job(promote_wait(expected, sent_baseline_ms, true));
        if (done || done.error().code != errc::no_trace) {
            co_await conclude(id, attempt, expected, std::move(done));
            co_return;
        }
        log::info("deploy", "#{}: no trace of promote {} at Vercel; performing it now", id, attempt);
    }

    std::string to_promote = deployment_id;
    if (rebuild) {
        if (target.empty() && resuming) target = co_await vercel_.find_attempt_build(attempt);
        if (target.empty()) {
            create_deployment_request cr;
            cr.rebuild_of = deployment_id;
            cr.target = "production";
            cr.meta = {{"deployBot", "promote"}, {"deployBotAttempt", attempt}};
            auto created = co_await vercel_.create_deployment(cr);
            if (!created && outcome_unknown(created.error())) {
                // Lost answer: the build may exist. Look for it by its meta.
                for (int i = 0; i < 3 && target.empty(); ++i) target = co_await vercel_.find_attempt_build(attempt);
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
            if (done || done.error().code != errc::no_trace) {
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

std::chrono::milliseconds deploy_service_impl::promote_retry_wait(const failure& err, int sends) const {
    if (err.retry_after)
        return std::min<std::chrono::milliseconds>(*err.retry_after, std::chrono::seconds(120));
    return std::min<std::chrono::milliseconds>(make_exponential_wait(ctx_.cfg.http.retry_backoff, sends),
                                               std::chrono::seconds(60));
}

// A wait that stop() cuts short: every retry loop checks stopping_ after it.
asio::awaitable<void> deploy_service_impl::sleep(std::chrono::milliseconds d) {
    if (stopping_) co_return;
    asio::steady_timer t(ctx_.executor, d);
    sleepers_.insert(&t);
    co_await t.async_wait(use_tuple);
    sleepers_.erase(&t);
}

asio::awaitable<void> deploy_service_impl::conclude(std::int64_t id, std::string attempt, std::string target,
                                                    outcome<alias_job_result> done) {
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

void deploy_service_impl::arm_checklist_timer() {
    auto active = store_.active();
    if (!active) {
        ctx_.timers.cancel(std::string(checklist_timer));
        return;
    }
    const auto now = ctx_.clock();
    auto due = now + ctx_.cfg.checklist_refresh;
    const auto ws = evaluate_schedule(ctx_.cfg.schedule, now);
    // The window's edge, so a scheduled request learns of it when it opens.
    const auto& edge = active->state == request_state::scheduled ? ws.next_open
                       : active->state == request_state::collecting ? ws.closes_at
                                                                    : std::optional<time_point>{};
    if (edge && *edge > now && *edge < due) due = *edge;
    if (auto r = ctx_.timers.at(std::string(checklist_timer), due); !r)
        log::error("deploy", "cannot arm the checklist refresh: {}", r.error().message());
}

asio::awaitable<void> deploy_service_impl::on_checklist_timer() {
    auto self = shared_from_this();
    if (stopping_) co_return;
    auto active = store_.active();
    if (!active) co_return;   // nothing open: armed again by the next request
    if (active->state != request_state::promoting) {
        const auto ws = evaluate_schedule(ctx_.cfg.schedule, ctx_.clock());
        if (active->state == request_state::scheduled && ws.is_open) transition(active->id, window_opened{}, "");
        else if (active->state == request_state::collecting && !ws.is_open)
            transition(active->id, window_closed{ws.next_open_text}, "");
        spawn(refresh(active->id, ""), "periodic refresh");
        // Re-rendered even when nothing changed: a message someone deleted is
        // noticed (and posted again), and a stale rendering is corrected.
        if (!active->message_ts.empty()) spawn(update_checklist(active->id), "periodic update");
    }
    arm_checklist_timer();
}

}  // namespace deploybot::deploy_detail
