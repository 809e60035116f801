#include "commands/stats/stats_service.hpp"
#include "commands/module_support.hpp"

#include "bot/log.hpp"
#include "commands/render/stats_message.hpp"
#include "commands/stats/stats_queries.hpp"
#include "commands/workflow/schedule.hpp"
#include "commands/workflow/stats.hpp"
#include "commands/workflow/stats_digest.hpp"

#include <fmt/format.h>

namespace deploybot {
namespace {

// The last week whose digest Slack has, and the week being posted (set just
// before the post: after a crash there the channel is asked first).
constexpr std::string_view posted_key = "stats.digest.posted";
constexpr std::string_view sending_key = "stats.digest.sending";
constexpr auto digest_retry = std::chrono::minutes(5);

std::string stats_title(int days) { return fmt::format("Deploy stats — last {} day{}", days, days == 1 ? "" : "s"); }

std::string digest_title(const config::schedule_t& s, const digest_slot& slot) {
    return "Weekly deploy digest — the 7 days to " + describe_local(s, slot.due);
}

// conversations.history `oldest` for the look-up after a crash mid-post: a week back.
std::string lookup_oldest_ts() {
    const auto t = std::chrono::system_clock::now() - std::chrono::days(8);
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count()) + ".000000";
}

class stats_service_impl final : public std::enable_shared_from_this<stats_service_impl> {
public:
    stats_service_impl(bot_context& ctx, deploy_records& records) : ctx_(ctx), records_(records) {}

    void attach() {
        std::weak_ptr<stats_service_impl> weak = shared_from_this();
        ctx_.routes.on_command(subcommand::stats, [weak](slash_command cmd, command_request req) {
            auto self = weak.lock();
            return self ? self->cmd_stats(std::move(cmd), std::move(req)) : nothing();
        });
        ctx_.timers.on(std::string(digest_timer_prefix), [weak](std::string key) {
            auto self = weak.lock();
            return self ? self->digest(std::move(key)) : nothing();
        });
    }

    void start() {
        if (!ctx_.cfg.stats.weekly_digest) return;
        const auto slot = digest_slot_to_arm(ctx_.cfg.schedule, ctx_.clock(), ctx_.db.get_kv(posted_key).value_or(""));
        ctx_.timers.at(digest_timer_key(slot), slot.due);
    }

    void stop() { stopping_ = true; }

private:
    bot_context& ctx_;
    deploy_records& records_;
    bool stopping_ = false;

    stats_report report(time_point end, int days) const {
        const auto since = end - 2 * std::chrono::days(days);
        return compute_stats(load_records_since(ctx_.db, since), end, days);
    }

    asio::awaitable<void> cmd_stats(slash_command cmd, command_request req) {
        auto self = shared_from_this();
        const auto days = parse_stats_days(req.args);
        if (!days.days) {
            co_await reply_ephemeral(ctx_, cmd, plain(blocks::escape(days.error), "stats.usage"));
            co_return;
        }
        co_await reply_ephemeral(ctx_, cmd, render_stats_message(report(ctx_.clock(), *days.days), stats_title(*days.days)));
    }

    void arm_next() {
        const auto next = next_digest_slot(ctx_.cfg.schedule, ctx_.clock());
        ctx_.timers.at(digest_timer_key(next), next.due);
    }

    bool already_posted(const std::string& week) const {
        const auto posted = ctx_.db.get_kv(posted_key);
        return posted && !posted->empty() && *posted >= week;
    }

    asio::awaitable<void> digest(std::string key) {
        auto self = shared_from_this();
        if (!ctx_.cfg.stats.weekly_digest || stopping_) co_return;
        const std::string week(digest_week_of_key(key));
        const auto slot = digest_slot_of(ctx_.cfg.schedule, week);
        if (!slot) {
            log::warn("stats", "timer {} names no Monday; dropped", key);
            arm_next();
            co_return;
        }
        arm_next();
        if (already_posted(week)) co_return;
        // A timer left from an older missed Monday: only the latest one is owed.
        if (week < last_digest_slot(ctx_.cfg.schedule, ctx_.clock()).week) {
            log::info("stats", "digest of {} skipped: a later week is due", week);
            co_return;
        }
        const auto& channel = ctx_.cfg.slack.channel;
        if (ctx_.db.get_kv(sending_key).value_or("") == week) {
            // The last try may have reached Slack before the bot stopped.
            auto found = co_await ctx_.slack.find_posted(channel, lookup_oldest_ts(), "deploybot_post", key);
            if (found && !found->empty()) {
                mark_posted(week);
                co_return;
            }
        }
        if (auto r = ctx_.db.put_kv(sending_key, week); !r)
            log::warn("stats", "cannot record the digest of {} as sending: {}", week, r.error().message());
        auto body = blocks::to_json(render_stats_message(report(slot->due, 7), digest_title(ctx_.cfg.schedule, *slot)));
        body["channel"] = channel;
        body["unfurl_links"] = false;
        body["unfurl_media"] = false;
        std::string error;
        const auto ts = co_await records_.post_once(std::move(body), key, &error);
        if (ts.empty()) {
            log::warn("stats", "digest of {} not posted ({}); retrying in 5 min", week, error);
            ctx_.timers.at(key, ctx_.clock() + digest_retry);
            co_return;
        }
        mark_posted(week);
        log::info("stats", "weekly digest of {} posted ({})", week, ts);
    }

    void mark_posted(const std::string& week) {
        if (auto r = ctx_.db.put_kv(posted_key, week); !r)
            log::error("stats", "cannot record the digest of {} as posted: {}", week, r.error().message());
    }
};

}  // namespace

std::unique_ptr<feature_module> make_stats_service(bot_context& ctx, deploy_records& records) {
    return make_shared_module<stats_service_impl>(ctx, records);
}

}  // namespace deploybot
