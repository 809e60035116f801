// Hotfix records share the deploy records' lifecycle: created in `collecting`
// (waiting for the Deploy hotfix click), `promoting` from the click on. The
// production build is created once, tagged with the attempt in its meta, and
// found by that meta after a lost answer or a restart; the promote is sent once
// with Vercel's lastAliasRequest baseline recorded before it.
#include "commands/service_clients.hpp"
#include "commands/hotfix/hotfix_service.hpp"
#include "commands/module_support.hpp"
#include "commands/hotfix/hotfix_helpers.hpp"

#include "bot/core/permissions.hpp"
#include "bot/log.hpp"
#include "bot/spawn.hpp"
#include "commands/render/post_live_message.hpp"
#include "commands/workflow/hotfix_policy.hpp"
#include "commands/workflow/schedule.hpp"
#include "integrations/github/github_client.hpp"
#include "integrations/vercel/vercel_client.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>

#include <charconv>
#include <set>

namespace deploybot {
namespace {

using namespace boost::asio::experimental::awaitable_operators;
using namespace hotfix_detail;

constexpr std::string_view backport_timer = "backport:";
constexpr auto backport_every = std::chrono::hours(24);




std::string pr_link(const github_pull& pr) { return "<" + pr.html_url + "|#" + std::to_string(pr.number) + ">"; }

class hotfix_service_impl final : public post_live_sink, public std::enable_shared_from_this<hotfix_service_impl> {
public:
    hotfix_service_impl(bot_context& ctx, deploy_records& records, shared_clients clients)
        : ctx_(ctx), records_(records), clients_(clients),
          vercel_(clients->vercel), github_(clients->github) {}

    void attach() {
        records_.add_sink(this);
        std::weak_ptr<hotfix_service_impl> weak = shared_from_this();
        ctx_.routes.on_command(subcommand::hotfix, [weak](slash_command c, command_request q) {
            auto self = weak.lock();
            return self ? self->cmd_hotfix(std::move(c), std::move(q)) : nothing();
        });
        ctx_.routes.on_action("hotfix.", [weak](block_action a) {
            auto self = weak.lock();
            return self ? self->on_click(std::move(a)) : nothing();
        });
        ctx_.timers.on(std::string(backport_timer), [weak](std::string key) {
            auto self = weak.lock();
            if (!self) return nothing();
            std::int64_t id = 0;
            const auto num = std::string_view(key).substr(backport_timer.size());
            std::from_chars(num.data(), num.data() + num.size(), id);
            return self->check_backport(id);
        });
    }

    void stop() { stopping_ = true; }

    void perform(const deploy_request& req, const effect& e) override {
        if (stopping_) return;
        if (const auto* h = std::get_if<run_hotfix>(&e)) {
            if (running_.insert(req.id).second) spawn(run(req.id, h->attempt_id, h->resuming), "hotfix");
        } else if (std::holds_alternative<track_backport>(e)) {
            spawn(check_backport(req.id), "backport");
        }
    }

private:
    bot_context& ctx_;
    deploy_records& records_;
    shared_clients clients_;
    vercel_client& vercel_;
    github_client& github_;
    bool stopping_ = false;
    std::set<std::int64_t> running_;

    template <class Coro>
    void spawn(Coro&& coro, std::string what) {
        spawn_logged(ctx_.executor, std::forward<Coro>(coro), "hotfix", std::move(what));
    }

    message_context message_ctx() const { return module_message_context(ctx_); }

    // ---------- /deploy hotfix ----------

    std::string busy() const {
        auto active = records_.records().active();
        if (!active) return std::string();
        if (active->kind == record_kind::hotfix)
            return fmt::format("Hotfix #{} by <@{}> is already open; deploy or cancel it first.", active->id,
                               active->requester);
        if (active->state == request_state::promoting)
            return fmt::format("{} is going to production right now; wait for it to finish, then run the hotfix.",
                               record_name(*active));
        return fmt::format("Production deploy #{} is open; `/deploy cancel` it (or finish it) first, so two deploys "
                           "never race.",
                           active->id);
    }

    asio::awaitable<void> cmd_hotfix(slash_command cmd, command_request req) {
        auto self = shared_from_this();
        if (auto p = check_permission(ctx_.cfg.people, cmd.user_id, action::hotfix); !p.allowed) {
            co_await reply_ephemeral(ctx_, cmd, plain(p.reason));
            co_return;
        }
        auto args = parse_hotfix_args(req.args);
        if (!args.problem.empty()) {
            co_await reply_ephemeral(ctx_, cmd, plain(args.problem));
            co_return;
        }
        std::string lock_override;
        if (auto lock = lock_reason(ctx_.db)) {
            if (!has_role(ctx_.cfg.people, cmd.user_id, role::admin)) {
                co_await reply_ephemeral(ctx_, cmd,
                                         plain("Production deploys are locked (" + blocks::escape(*lock) +
                                               "). Only an admin can run a hotfix through the lock; their reason is "
                                               "recorded as the override."));
                co_return;
            }
            lock_override = "<@" + cmd.user_id + "> overrode the lock (" + *lock + "): " + args.reason;
        }
        if (auto why = busy(); !why.empty()) {
            co_await reply_ephemeral(ctx_, cmd, plain(why));
            co_return;
        }
        // The PR, by number or by the open PR of the branch.
        github_pull pr;
        if (args.pr_number > 0) {
            auto got = co_await github_.get_pull(args.pr_number);
            if (!got) {
                co_await reply_ephemeral(ctx_, cmd,
                                         plain(fmt::format("I can't find PR #{} in {} ({}). {}", args.pr_number,
                                                           ctx_.cfg.github.repo, got.error().to_string(),
                                                           "Check the number, or give the branch name.")));
                co_return;
            }
            pr = std::move(*got);
        } else {
            auto found = co_await github_.find_open_pull(args.branch);
            if (!found || !*found) {
                co_await reply_ephemeral(
                    ctx_, cmd,
                    plain(fmt::format("I can't find an open PR from branch `{}` into `{}` in {}{}. Open one (the "
                                      "hotfix ships a reviewed PR), or give its number.",
                                      blocks::escape(args.branch), ctx_.cfg.github.main_branch, ctx_.cfg.github.repo,
                                      in_parens_if_error(found))));
                co_return;
            }
            pr = std::move(**found);
        }
        if (pr.head_sha.empty()) {
            co_await reply_ephemeral(ctx_, cmd, plain("GitHub gave no head commit for PR " + pr_link(pr) + "."));
            co_return;
        }
        // Evidence: reviews, CI of the head commit, what production serves and the diff.
        auto round = co_await (github_.list_reviews(pr.number) && github_.get_combined_status(pr.head_sha) &&
                               github_.list_check_runs(pr.head_sha) && vercel_.get_alias(ctx_.cfg.vercel.production_domain));
        auto& reviews = std::get<0>(round);
        auto& status = std::get<1>(round);
        auto& runs = std::get<2>(round);
        auto& prod_alias = std::get<3>(round);
        if (!reviews || !status || !runs) {
            const auto err = first_error(reviews, status, runs);
            co_await reply_ephemeral(ctx_, cmd,
                                     plain("I could not read PR " + pr_link(pr) + "'s reviews or CI from GitHub (" +
                                           err.to_string() + "); nothing was started. Try again in a moment."));
            co_return;
        }
        std::vector<pr_review> rv;
        for (const auto& r : *reviews) rv.push_back({r.user_login, r.state, r.commit_id});
        const auto summary = evaluate_reviews(pr.user_login, rv);
        ci_inputs ci;
        ci.required_checks = ctx_.cfg.github.required_checks;
        ci.status_total_count = status->total_count;
        for (const auto& s : status->statuses) ci.statuses.push_back({s.context, s.state, s.target_url});
        for (const auto& r : *runs)
            ci.check_runs.push_back({r.name, r.status,
                                     r.conclusion.empty() ? std::nullopt : std::optional<std::string>(r.conclusion),
                                     r.html_url});
        const auto verdict = evaluate_ci(ci);
        if (auto missing = hotfix_missing(pr.user_login, summary, verdict); !missing.empty()) {
            std::string text = "Can't offer PR " + pr_link(pr) + " (" + blocks::escape(pr.title) + ") as a hotfix yet. Missing:";
            for (const auto& m : missing) text += "\n• " + blocks::escape(m);
            co_await reply_ephemeral(ctx_, cmd, plain(text));
            co_return;
        }
        production_info production;
        if (prod_alias && !prod_alias->deployment_id.empty()) {
            production.deployment_id = prod_alias->deployment_id;
            if (auto d = co_await vercel_.get_deployment(prod_alias->deployment_id)) production.commit_sha = d->git_sha;
        }
        hotfix_info info;
        info.pr_number = pr.number;
        info.pr_title = pr.title;
        info.pr_url = pr.html_url;
        info.pr_author = pr.user_login;
        info.head_ref = pr.head_ref;
        info.approvers = summary.approvers;
        info.ci_summary = verdict.summary;
        info.ci_url = github_checks_url(ctx_.cfg.github.api_url, ctx_.cfg.github.repo, pr.head_sha);
        info.reason = args.reason;
        info.lock_override = lock_override;
        if (!production.commit_sha.empty() && production.commit_sha != pr.head_sha) {
            if (auto cmp = co_await github_.compare(production.commit_sha, pr.head_sha)) {
                info.compare_url = cmp->html_url;
                info.ships_commits = cmp->ahead_by;
                info.production_has_extra = cmp->behind_by;
            }
        }
        // Where the PR's lead time starts (/deploy stats); the hotfix works without it.
        shipped_changes changes;
        if (auto first = co_await github_.first_commit_time(pr.number); first && first->has_value())
            changes = shipped_changes{pr.head_sha, {shipped_change{pr.number, **first}}};
        // No await between this check and the save: one open hotfix at a time.
        if (auto why = busy(); !why.empty()) {
            co_await reply_ephemeral(ctx_, cmd, plain(why));
            co_return;
        }
        auto id = records_.records().next_id();
        if (!id) {
            co_await reply_ephemeral(ctx_, cmd, plain("deploybot cannot write its database; nothing was started."));
            co_return;
        }
        candidate_info commit;
        commit.commit_sha = pr.head_sha;
        commit.commit_message = pr.title;
        commit.url = pr.html_url;
        auto rec = make_hotfix_record(*id, cmd.user_id, ctx_.cfg.slack.channel, commit, production, std::move(info),
                                      ctx_.clock());
        rec.changes = std::move(changes);
        if (!records_.create(rec, fmt::format("PR #{} ({}) by {}: {}", pr.number, pr.head_sha.substr(0, 7), cmd.user_id,
                                              args.reason))) {
            co_await reply_ephemeral(ctx_, cmd, plain("deploybot cannot write its database; nothing was started."));
            co_return;
        }
    }

    asio::awaitable<void> on_click(block_action click) {
        auto self = shared_from_this();
        std::int64_t id = 0;
        std::from_chars(click.value.data(), click.value.data() + click.value.size(), id);
        auto rec = records_.records().load(id);
        if (!rec || rec->kind != record_kind::hotfix) {
            co_await reply_ephemeral(ctx_, click, plain("That button belongs to a hotfix I no longer know."));
            co_return;
        }
        if (click.channel_id != rec->channel || (!rec->message_ts.empty() && click.message_ts != rec->message_ts)) {
            co_await reply_ephemeral(ctx_, click, plain(fmt::format("That button is not on hotfix #{}'s message; nothing was done.", id)));
            co_return;
        }
        deploy_records::transition_result out;
        if (click.action_id == hotfix_cancel_action_id) {
            out = records_.transition(id, cancel_request{click.user_id, has_role(ctx_.cfg.people, click.user_id, role::admin)},
                                      click.user_id);
        } else if (click.action_id == hotfix_go_action_id) {
            if (auto p = check_permission(ctx_.cfg.people, click.user_id, action::hotfix); !p.allowed) {
                co_await reply_ephemeral(ctx_, click, plain(p.reason));
                co_return;
            }
            std::optional<lock_view> lock;
            if (auto reason = lock_reason(ctx_.db)) lock = lock_view{"", "", *reason};
            out = records_.transition(id, deploy_clicked{click.user_id, true, "", lock}, click.user_id);
        }
        if (!out.error.empty()) co_await reply_ephemeral(ctx_, click, plain(out.error));
    }

    // ---------- the deployment ----------

    void finish(std::int64_t id, const std::string& attempt, bool ok, std::string target, std::string error,
                bool unknown = false) {
        running_.erase(id);
        promote_finished f{attempt, ok, std::move(target), std::move(error)};
        f.unknown = unknown;
        records_.transition(id, f, "");
    }

    alias_job_wait promote_wait(std::string target, std::int64_t baseline_ms, bool unknown_outcome) const {
        return make_alias_job_wait(ctx_.cfg.vercel, "promote", std::move(target), baseline_ms, unknown_outcome);
    }

    asio::awaitable<void> conclude(std::int64_t id, std::string attempt, std::string target,
                                   outcome<alias_job_result> done) {
        if (!done)
            finish(id, attempt, false, target, "could not confirm the promote: " + done.error().to_string(), true);
        else if (done->job_status == "succeeded" && done->production_alias_confirmed)
            finish(id, attempt, true, target, "");
        else
            finish(id, attempt, false, target, "Vercel reported the promote " + done->job_status);
        co_return;
    }

    asio::awaitable<void> run(std::int64_t id, std::string attempt, bool resuming) {
        auto self = shared_from_this();
        auto rec = records_.records().load(id);
        if (!rec || rec->state != request_state::promoting) {
            running_.erase(id);
            co_return;
        }
        const auto& vc = ctx_.cfg.vercel;
        std::string target = rec->promote.target_deployment_id;
        if (resuming && rec->promote.sent_baseline_ms >= 0 && !target.empty()) {
            auto done = co_await vercel_.follow_alias_job(promote_wait(target, rec->promote.sent_baseline_ms, true));
            if (done || done.error().code != errc::no_trace) {
                co_await conclude(id, attempt, target, std::move(done));
                co_return;
            }
        }
        if (target.empty() && resuming) target = co_await vercel_.find_attempt_build(attempt);
        if (target.empty()) {
            create_deployment_request cr;
            git_source g;
            g.org = repo_part(ctx_.cfg.github.repo, true);
            g.repo = repo_part(ctx_.cfg.github.repo, false);
            g.ref = rec->hotfix.head_ref;
            if (g.ref.empty()) g.ref = rec->candidate.commit_sha;
            g.sha = rec->candidate.commit_sha;   // exactly the approved commit
            cr.git = g;
            cr.target = "production";
            cr.meta = {{"deployBot", "hotfix"}, {"deployBotAttempt", attempt}};
            auto created = co_await vercel_.create_deployment(cr);
            if (!created && outcome_unknown(created.error())) {
                for (int i = 0; i < 3 && target.empty(); ++i) target = co_await vercel_.find_attempt_build(attempt);
                if (target.empty()) {
                    finish(id, attempt, false, "",
                           "the production build was requested but Vercel's answer was lost (" +
                               created.error().to_string() + "), and no build of ours could be found",
                           true);
                    co_return;
                }
            } else if (!created) {
                finish(id, attempt, false, "", "Vercel refused the production build: " + created.error().to_string());
                co_return;
            } else {
                target = created->id;
            }
            // Recorded before waiting: a restart follows this build instead of starting another.
            records_.transition(id, promote_started{attempt, target}, "");
        }
        auto built = co_await vercel_.wait_for_ready(target, vc.promote_timeout, vc.poll_interval);
        if (!built) {
            finish(id, attempt, false, target, "could not follow the build: " + built.error().to_string());
            co_return;
        }
        if (built->ready_state != "READY") {
            finish(id, attempt, false, target, build_failure(target, *built));
            co_return;
        }
        auto alias = co_await vercel_.get_alias(vc.production_domain);
        if (alias && alias->deployment_id == target) {   // production domains assigned automatically
            finish(id, attempt, true, target, "");
            co_return;
        }
        // Staged (automatic assignment off, or production pinned): promote it, once.
        auto project = co_await vercel_.get_project();
        if (!project) {
            finish(id, attempt, false, target, "Vercel did not answer before the promote, so nothing was sent");
            co_return;
        }
        const std::int64_t baseline = project->last_alias_request ? project->last_alias_request->requested_at_ms : 0;
        records_.transition(id, promote_sending{attempt, target, baseline}, "");
        auto promoted = co_await vercel_.promote(target);
        if (promoted) {
            co_await conclude(id, attempt, target, co_await vercel_.follow_alias_job(promote_wait(target, baseline, false)));
            co_return;
        }
        const auto err = promoted.error();
        if (outcome_unknown(err) || err.http_status >= 500 || err.http_status == 409) {
            auto done = co_await vercel_.follow_alias_job(promote_wait(target, baseline, true));
            if (done || done.error().code != errc::no_trace) {
                co_await conclude(id, attempt, target, std::move(done));
                co_return;
            }
            if (outcome_unknown(err)) {
                finish(id, attempt, false, target,
                       "the promote was sent but Vercel's answer was lost (" + err.to_string() + ")", true);
                co_return;
            }
        }
        finish(id, attempt, false, target, "Vercel refused the promote: " + err.to_string());
    }

    // ---------- back-merge ----------

    // Reachable from the main branch = the compare main...commit says the
    // commit is behind or identical (github.md §2.4).
    asio::awaitable<void> check_backport(std::int64_t id) {
        auto self = shared_from_this();
        auto rec = records_.records().load(id);
        if (!rec || rec->kind != record_kind::hotfix || !rec->hotfix.backport_pending) co_return;
        auto cmp = co_await github_.compare(ctx_.cfg.github.main_branch, rec->candidate.commit_sha);
        if (cmp && (cmp->status == "behind" || cmp->status == "identical")) {
            records_.transition(id, backport_merged{}, "");
            records_.thread_reply(id, fmt::format(":white_check_mark: The hotfix commit `{}` is on `{}` now; back-merge "
                                                  "tracking stops.",
                                                  rec->candidate.commit_sha.substr(0, 7), ctx_.cfg.github.main_branch));
            co_return;
        }
        const auto now = ctx_.clock();
        const bool due = !rec->hotfix.last_reminder || now - *rec->hotfix.last_reminder >= backport_every;
        if (cmp && due) {
            records_.transition(id, backport_reminded{}, "");
            records_.thread_reply(
                id, fmt::format("<@{}> reminder: the hotfix commit `{}` (PR <{}|#{}>) is not on `{}` yet ({} commit{} "
                                "ahead). Merge it back so the next `/deploy prod` does not undo it.",
                                rec->requester, rec->candidate.commit_sha.substr(0, 7), rec->hotfix.pr_url,
                                rec->hotfix.pr_number, ctx_.cfg.github.main_branch, cmp->ahead_by,
                                cmp->ahead_by == 1 ? "" : "s"));
        } else if (!cmp) {
            log::warn("hotfix", "#{}: cannot compare {} with {}: {}", id, ctx_.cfg.github.main_branch,
                      rec->candidate.commit_sha, cmp.error().to_string());
        }
        // Checked hourly; reminded at most once a day.
        ctx_.timers.at(std::string(backport_timer) + std::to_string(id), now + std::chrono::hours(1));
    }
};

}  // namespace

std::unique_ptr<feature_module> make_hotfix_service(bot_context& ctx, deploy_records& records, shared_clients clients) {
    return make_shared_module<hotfix_service_impl>(ctx, records, clients);
}

}  // namespace deploybot
