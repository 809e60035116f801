// The staging feed lives in the kv table (staging_feed_key): what was seen
// and announced, with each message's ts, so a restart announces nothing twice.
// Its first poll takes the current staging build as seen without announcing it.
// Posts go out one at a time, in order, through the deploy records' post_once
// (Slack pacing, and a lost answer is looked up before anything is re-sent).
#include "commands/service_clients.hpp"
#include "commands/staging/staging_service.hpp"
#include "commands/module_support.hpp"

#include "bot/core/permissions.hpp"
#include "bot/core/time_ms.hpp"
#include "bot/log.hpp"
#include "bot/spawn.hpp"
#include "commands/render/staging_message.hpp"
#include "commands/workflow/schedule.hpp"
#include "commands/workflow/staging_feed.hpp"
#include "integrations/github/github_client.hpp"
#include "integrations/vercel/vercel_client.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace deploybot {
namespace {

constexpr std::string_view poll_timer = "staging:poll";




deployment_shape shape_of(const vercel_deployment& d) {
    bool ours = false;
    for (const auto& [k, v] : d.meta) ours = ours || k == "deployBot";
    return deployment_shape{d.target, d.custom_environment_id, d.git_ref, ours};
}

// The commit author GitHub gave Vercel (meta githubCommitAuthorLogin), else the Vercel user.
std::string author_of(const vercel_deployment& d) {
    for (const auto& [k, v] : d.meta)
        if (k == "githubCommitAuthorLogin" && !v.empty()) return v;
    return d.creator;
}

// Newest first, at most 10; `prs[i]` is the PR link of commit i ("" = none found).
std::string change_lines(const github_comparison& cmp, const std::vector<std::string>& prs) {
    std::string out;
    const std::size_t n = cmp.commits.size();
    const std::size_t from = n > 10 ? n - 10 : 0;
    for (std::size_t i = n; i-- > from;) {
        const auto& c = cmp.commits[i];
        out += "• `" + c.sha.substr(0, 7) + "` " + blocks::escape(blocks::truncate(c.message, 100)) +
               (i < prs.size() && !prs[i].empty() ? " " + prs[i] : std::string()) +
               (c.author_login.empty() ? std::string() : " — " + blocks::escape(c.author_login)) + "\n";
    }
    if (from > 0) out += fmt::format("…and {} earlier commit{}\n", from, from == 1 ? "" : "s");
    return blocks::truncate(out, 1500);
}

class staging_service_impl final : public std::enable_shared_from_this<staging_service_impl> {
public:
    staging_service_impl(bot_context& ctx, deploy_records& records, shared_clients clients)
        : ctx_(ctx), records_(records), clients_(clients),
          vercel_(clients->vercel), github_(clients->github) {}

    void attach() {
        std::weak_ptr<staging_service_impl> weak = shared_from_this();
        ctx_.timers.on(std::string(poll_timer), [weak](std::string) {
            auto self = weak.lock();
            return self ? self->poll() : nothing();
        });
        ctx_.routes.on_action("staging.", [weak](block_action a) {
            auto self = weak.lock();
            return self ? self->on_click(std::move(a)) : nothing();
        });
    }

    void start() {
        if (auto text = ctx_.db.get_kv(staging_feed_key)) feed_ = parse_staging_feed(*text);
        if (ctx_.cfg.vercel.staging_poll.count() > 0 && !ctx_.cfg.vercel.staging_domain.empty())
            ctx_.timers.at(std::string(poll_timer), ctx_.clock());
    }

    void stop() { stopping_ = true; }

private:
    bot_context& ctx_;
    deploy_records& records_;
    shared_clients clients_;
    vercel_client& vercel_;
    github_client& github_;
    staging_feed feed_;
    bool stopping_ = false;
    bool polling_ = false;

    message_context message_ctx() const { return module_message_context(ctx_); }

    void save() {
        if (auto r = ctx_.db.put_kv(staging_feed_key, serialize_staging_feed(feed_)); !r)
            log::error("staging", "cannot save the staging feed: {}", r.error().message());
    }

    json::object body_of(const staging_item& i) const {
        auto body = blocks::to_json(render_staging_message(i, ctx_.cfg.github.main_branch, message_ctx()));
        body["channel"] = ctx_.cfg.slack.channel;
        body["unfurl_links"] = false;
        body["unfurl_media"] = false;
        return body;
    }

    asio::awaitable<void> update(std::string id) {
        const auto* i = feed_.find(id);
        if (!i || i->ts.empty()) co_return;
        const std::string ts = i->ts;
        auto r = co_await ctx_.slack.update_message(ctx_.cfg.slack.channel, ts, body_of(*i));
        if (!r) log::warn("staging", "chat.update of the staging message for {} failed: {}", id, r.error().to_string());
    }

    // The PR each of the (newest 10) commits came from, as a Slack link.
    asio::awaitable<std::vector<std::string>> pr_links(github_comparison cmp) {
        std::vector<std::string> out(cmp.commits.size());
        const std::size_t n = cmp.commits.size();
        for (std::size_t i = n > 10 ? n - 10 : 0; i < n; ++i) {
            auto pulls = co_await github_.list_pulls_for_commit(cmp.commits[i].sha);
            if (!pulls) continue;
            for (const auto& p : *pulls)
                if (!p.merged_at.empty()) {
                    out[i] = "<" + p.html_url + "|#" + std::to_string(p.number) + ">";
                    break;
                }
        }
        co_return out;
    }

    asio::awaitable<void> poll() {
        auto self = shared_from_this();
        if (stopping_ || polling_) co_return;
        polling_ = true;
        co_await poll_once();
        polling_ = false;
        if (!stopping_)
            ctx_.timers.at(std::string(poll_timer), ctx_.clock() + ctx_.cfg.vercel.staging_poll);
    }

    asio::awaitable<void> poll_once() {
        const auto& vc = ctx_.cfg.vercel;
        auto alias = co_await vercel_.get_alias(vc.staging_domain);
        if (!alias || alias->deployment_id.empty()) co_return;   // nothing serves staging: nothing to compare with
        auto ref = co_await vercel_.get_deployment(alias->deployment_id);
        if (!ref) co_return;
        deployment_filter f;
        f.limit = 20;
        f.max_pages = 1;
        auto list = co_await vercel_.list_deployments(f);
        if (!list) {
            log::warn("staging", "cannot list deployments: {}", list.error().to_string());
            co_return;
        }
        std::vector<vercel_deployment> builds;
        for (const auto& d : *list)
            if (is_staging_build(shape_of(d), shape_of(*ref), ctx_.cfg.github.main_branch)) builds.push_back(d);
        std::sort(builds.begin(), builds.end(), [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
        if (!feed_.initialised) {
            // First start: what is there is already known to the team.
            feed_.initialised = true;
            feed_.last_created_ms = std::max<std::int64_t>(ref->created_ms, builds.empty() ? 0 : builds.back().created_ms);
            feed_.last_sha = builds.empty() ? ref->git_sha : builds.back().git_sha;
            save();
            log::info("staging", "staging feed started at {} ({})", feed_.last_sha.substr(0, 7), ref->id);
            co_return;
        }
        for (const auto& d : builds) {
            if (d.created_ms <= feed_.last_created_ms || feed_.find(d.id)) continue;
            staging_item item;
            item.deployment_id = d.id;
            item.state = d.ready_state;
            item.sha = d.git_sha;
            item.message = d.git_message;
            item.url = deployment_link(d);
            if (!d.url.empty()) item.host = d.url.starts_with("http") ? d.url : "https://" + d.url;
            item.creator = author_of(d);
            item.created_ms = d.created_ms;
            item.prev_sha = feed_.last_sha;
            item.error = d.error_message;
            if (!item.prev_sha.empty() && !item.sha.empty() && item.prev_sha != item.sha)
                if (auto cmp = co_await github_.compare(item.prev_sha, item.sha))
                    item.changes = change_lines(*cmp, co_await pr_links(*cmp));
            // A newer build voids the sign-off of the older ones, as on the checklist.
            std::vector<std::string> superseded;
            for (auto& old : feed_.items)
                if (old.superseded_by.empty()) {
                    old.superseded_by = d.id;
                    superseded.push_back(old.deployment_id);
                }
            feed_.items.push_back(std::move(item));
            if (feed_.items.size() > max_staging_items) feed_.items.erase(feed_.items.begin());
            feed_.last_created_ms = d.created_ms;
            feed_.last_sha = d.git_sha;
            save();   // before posting: a restart never announces it a second time
            for (const auto& id : superseded) co_await update(id);
        }
        // Post what is not in Slack yet, oldest first.
        for (std::size_t k = 0; k < feed_.items.size(); ++k) {
            if (!feed_.items[k].ts.empty()) continue;
            const std::string id = feed_.items[k].deployment_id;
            std::string error;
            auto ts = co_await records_.post_once(body_of(feed_.items[k]), "staging:" + id, &error);
            if (ts.empty()) break;   // Slack is unhappy: the next poll tries again, in order
            if (auto* i = feed_.find(id)) i->ts = ts;
            save();
        }
        // Follow the builds that are not finished.
        std::vector<std::string> open;
        for (const auto& i : feed_.items)
            if (!i.ts.empty() && !is_final_state(i.state)) open.push_back(i.deployment_id);
        for (const auto& id : open) {
            auto d = co_await vercel_.get_deployment(id);
            if (!d) continue;
            auto* i = feed_.find(id);
            if (!i || i->state == d->ready_state) continue;
            i->state = d->ready_state;
            i->error = d->error_message;
            save();
            co_await update(id);
        }
    }

    asio::awaitable<void> on_click(block_action click) {
        auto self = shared_from_this();
        if (click.action_id != staging_signoff_action_id) co_return;
        if (auto p = check_permission(ctx_.cfg.people, click.user_id, action::sign_off_staging); !p.allowed) {
            co_await reply_ephemeral(ctx_, click, plain(p.reason));
            co_return;
        }
        auto* i = feed_.find(click.value);
        std::string refusal;
        if (!i) refusal = "I no longer know that staging build.";
        else if (!i->superseded_by.empty())
            refusal = "A newer staging build (`" + i->superseded_by + "`) replaced this one; sign off that one instead.";
        else if (i->state != "READY") refusal = "This staging build is not READY yet; sign off once it is.";
        else if (!i->signed_off_by.empty()) refusal = "Already signed off by <@" + i->signed_off_by + ">.";
        if (!refusal.empty()) {
            co_await reply_ephemeral(ctx_, click, plain(refusal));
            co_return;
        }
        const auto now = ctx_.clock();
        i->signed_off_by = click.user_id;
        i->signed_off_ms = to_ms(now);
        // The sign-off, its audit row and the click's own (with its envelope id) commit together.
        auto row = audit_row(ctx_, click.user_id, "click", "staging sign-off of " + click.value, click.channel_id);
        if (auto r = ctx_.db.write_audited(
                row, [&] { return ctx_.db.put_kv(staging_feed_key, serialize_staging_feed(feed_)); });
            !r) {
            log::error("staging", "cannot save the staging sign-off: {}", r.error().message());
            i->signed_off_by.clear();
            i->signed_off_ms = 0;
            co_await reply_ephemeral(ctx_, click, plain("deploybot cannot write its database; not signed off."));
            co_return;
        }
        // An open checklist for this very build takes it at once (the two-person rule applies there).
        if (auto active = records_.records().active(); active && active->kind == record_kind::production &&
                                                       active->candidate.deployment_id == click.value)
            records_.transition(active->id, prior_sign_off{click.user_id, now, click.value}, click.user_id);
        co_await update(click.value);
    }
};

}  // namespace

std::unique_ptr<feature_module> make_staging_service(bot_context& ctx, deploy_records& records, shared_clients clients) {
    return make_shared_module<staging_service_impl>(ctx, records, clients);
}

}  // namespace deploybot
