// The evaluation of a request's automatic items: Vercel, CI, the diff, and the
// release notes built from it.
#include "commands/deploy/deploy_service_impl.hpp"
#include "commands/workflow/staging_feed.hpp"

#include "bot/log.hpp"
#include "commands/gather.hpp"
#include "commands/workflow/ci_verdict.hpp"
#include "commands/workflow/review_state.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace deploybot::deploy_detail {

namespace {

using namespace boost::asio::experimental::awaitable_operators;
constexpr std::size_t max_commits_for_pr_lookup = 60;

// The string-building helpers below are plain functions: gcc 12 miscompiles
// string temporaries inside ?: in coroutines (a crash was seen), so coroutines
// call these instead of formatting inline.
check_run to_check_run(const github_check_run& r) {
    return {r.name, r.status, r.conclusion.empty() ? std::nullopt : std::optional<std::string>(r.conclusion),
            r.html_url};
}

ci_verdict unreadable_ci(const failure& err) {
    return ci_verdict{ci_state::unknown,
                      "could not read CI from GitHub (" + std::string(err.word()) +
                          (err.retry_after ? fmt::format(", retry in {} s", err.retry_after->count()) : "") +
                          "); press Refresh",
                      {}, 0};
}

staging_model to_model(vercel_staging_model m) {
    switch (m) {
    case vercel_staging_model::staged_production: return staging_model::staged_production;
    case vercel_staging_model::custom_environment: return staging_model::custom_environment;
    case vercel_staging_model::preview: return staging_model::preview_branch;
    }
    return staging_model::unknown;
}

blocks::message render_problems(const std::vector<std::string>& problems) {
    std::string text = "Some checks could not be evaluated:\n";
    for (const auto& p : problems) text += "• " + blocks::escape(p) + "\n";
    text += "The checklist keeps the last known state; press *Refresh* to try again.";
    return plain(text, "problems");
}

}  // namespace

asio::awaitable<evaluation> deploy_service_impl::evaluate() {
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
    if (c.ready) c.ready_substate = staging_dep->ready_substate;
    if (project) c.model = to_model(detect_staging_model(*project, *staging_dep));
    else ev.problems.push_back("Vercel: cannot read the project: " + project.error().to_string());
    ev.staging_by = staging_dep->creator;
    ev.staging_since_ms = staging_alias->updated_at_ms;
    // Pinned: Vercel's last production change was a rollback to what production serves now.
    if (project && project->last_alias_request && project->last_alias_request->type == "rollback" &&
        prod_alias && project->last_alias_request->to_deployment_id == prod_alias->deployment_id)
        ev.event.production_pinned = true;
    if (project && project->rolling_release) ev.event.rolling_release = true;
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

asio::awaitable<outcome<vercel_deployment>> deploy_service_impl::get_deployment_or_empty(std::string id) {
    if (id.empty()) co_return vercel_deployment{};
    co_return co_await vercel_.get_deployment(id);
}

asio::awaitable<outcome<std::optional<github_comparison>>> deploy_service_impl::compare_or_empty(std::string base,
                                                                                                 std::string head) {
    if (base.empty() || head.empty()) co_return std::optional<github_comparison>{};
    if (base == head) co_return std::optional<github_comparison>{github_comparison{"identical"}};
    auto r = co_await github_.compare(base, head);
    if (!r) co_return r.error();
    co_return std::optional<github_comparison>{std::move(*r)};
}

// Rounds 4–5: PRs of the commits, then their reviews and first commits, all concurrent.
asio::awaitable<built_notes> deploy_service_impl::build_notes(github_comparison cmp) {
    built_notes out;
    auto& notes = out.notes;
    notes.loaded = true;
    notes.compare_url = cmp.html_url;
    notes.total_commits = cmp.total_commits;
    notes.behind_by = cmp.behind_by;
    std::vector<asio::awaitable<outcome<std::vector<github_pull>>>> pr_lookups;
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
    // One round: each PR's reviews (at i) and first commit (at prs.size() + i).
    std::vector<asio::awaitable<pr_lookup>> lookups;
    for (const auto& p : prs) lookups.push_back(reviews_of(p.number));
    for (const auto& p : prs) lookups.push_back(first_commit_of(p.number));
    auto found = co_await gather(ctx_.executor, std::move(lookups));
    for (std::size_t i = 0; i < prs.size(); ++i) {
        const auto& first = found[prs.size() + i];
        if (first && first->first_commit && first->first_commit->has_value() && (*first->first_commit)->has_value() &&
            out.changes.size() < max_shipped_changes)
            out.changes.push_back(shipped_change{prs[i].number, **(*first->first_commit)});
    }
    for (std::size_t i = 0; i < prs.size(); ++i) {
        const auto& reviews = found[i];
        shipped_pr sp;
        sp.number = prs[i].number;
        sp.title = prs[i].title;
        sp.author = prs[i].user_login;
        sp.url = prs[i].html_url;
        if (reviews && reviews->reviews && reviews->reviews->has_value()) {
            std::vector<pr_review> rv;
            for (const auto& r : **reviews->reviews) rv.push_back({r.user_login, r.state, r.commit_id});
            auto summary = evaluate_reviews(sp.author, rv);
            sp.review = review_status_of(summary);
            sp.approvers = summary.approvers;
            sp.changes_requested_by = summary.changes_requested_by;
        }
        notes.prs.push_back(std::move(sp));
    }
    co_return out;
}

asio::awaitable<pr_lookup> deploy_service_impl::reviews_of(int pr_number) {
    pr_lookup out;
    out.reviews = co_await github_.list_reviews(pr_number);
    co_return out;
}

asio::awaitable<pr_lookup> deploy_service_impl::first_commit_of(int pr_number) {
    pr_lookup out;
    out.first_commit = co_await github_.first_commit_time(pr_number);
    co_return out;
}

// Evaluates the request's automatic items and feeds the result in as an
// event; then, when the candidate or production moved, rebuilds "what
// ships" (two more rounds of GitHub calls) and updates the message again.
asio::awaitable<void> deploy_service_impl::refresh(std::int64_t id, std::string requested_by) {
    if (!evaluating_.insert(id).second) co_return;   // one evaluation at a time per request
    auto self = shared_from_this();
    auto ev = co_await evaluate();
    auto req = store_.load(id);
    if (!req || is_terminal(req->state) || req->state == request_state::promoting) {
        evaluating_.erase(id);
        co_return;
    }
    if (!ev.event.staging.deployment_id.empty()) {
        transition(id, ev.event, "");
        // A QA lead may have signed this deployment off on its staging announcement already.
        if (auto text = ctx_.db.get_kv(staging_feed_key))
            if (auto s = sign_off_for(parse_staging_feed(*text), ev.event.staging.deployment_id))
                transition(id, prior_sign_off{s->user, s->at, ev.event.staging.deployment_id}, "");
    }
    if (ev.comparison) {
        const auto key = ev.event.production.commit_sha + "..." + ev.event.staging.commit_sha;
        auto known = notes_for_.find(id);
        if (known == notes_for_.end() || known->second != key) {
            auto built = co_await build_notes(*ev.comparison);
            notes_[id] = std::move(built.notes);
            notes_for_[id] = key;
            transition(id, changes_read{ev.event.staging.commit_sha, std::move(built.changes)}, "");
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

}  // namespace deploybot::deploy_detail
