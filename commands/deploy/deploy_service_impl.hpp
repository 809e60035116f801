#pragma once
#include "commands/service_clients.hpp"
#include "bot/core/time_ms.hpp"
#include "commands/module_support.hpp"
#include "bot/spawn.hpp"
#include "commands/deploy/deploy_commands.hpp"
#include "commands/deploy/deploy_metrics.hpp"
#include "commands/deploy/deploy_store.hpp"
#include "commands/render/deploy_message.hpp"
#include "commands/workflow/deploy_request.hpp"
#include "integrations/github/github_client.hpp"
#include "integrations/vercel/vercel_client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot::deploy_detail {


std::string short_sha(std::string_view sha);

// The string-building helpers below are plain functions: gcc 12 miscompiles
// string temporaries inside ?: in coroutines (a crash was seen), so coroutines
// call these instead of formatting inline.
std::string deployment_of(const outcome<vercel_alias>& a);


// The freeze set by /deploy lock.
struct deploy_lock {
    std::string by, reason;
    std::int64_t at_ms = 0;
};

// What one evaluation learned (beyond the event for the state machine).
struct evaluation {
    checklist_evaluated event;
    std::vector<std::string> problems;   // service errors, shown to the requester
    std::string staging_by;              // creator of the staging deployment
    std::int64_t staging_since_ms = 0;
    std::optional<github_comparison> comparison;   // production...candidate, when readable
};

// "What ships", and the first commit of each shipped PR (for lead time).
struct built_notes {
    release_notes notes;
    std::vector<shipped_change> changes;   // the PRs whose first commit GitHub told
};

// One of a PR's two look-ups for the notes (its reviews, or its first commit),
// so both kinds go out in the same concurrent round.
struct pr_lookup {
    std::optional<outcome<std::vector<github_review>>> reviews;
    std::optional<outcome<std::optional<time_point>>> first_commit;
};

// The production deploy workflow: the I/O layer around the pure deploy_request
// state machine. Every input (command, click, evaluation, promote progress)
// becomes an event; apply() decides; the result is saved (request + audit row)
// before any of its effects is performed.
//
// Internal to commands/deploy/: the deploy service's implementation class,
// declared here and defined by topic in deploy_commands.cpp,
// deploy_evaluate.cpp, deploy_promote.cpp, deploy_posts.cpp and
// deploy_slash_commands.cpp. Not included outside commands/deploy/.
class deploy_service_impl final : public deploy_records, public std::enable_shared_from_this<deploy_service_impl> {
public:
    deploy_service_impl(bot_context& ctx, shared_clients clients);
    void start();
    void stop();

private:
    bot_context& ctx_;
    deploy_store store_;
    deploy_metrics metrics_;   // after store_, which its collector reads
    shared_clients clients_;
    github_client& github_;
    vercel_client& vercel_;
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

    using transition_result = deploy_records::transition_result;

    transition_result transition(std::int64_t id, const deploy_event& ev_in, std::string_view user) override;
    bool watch_configured() const;

    // ---------- deploy_records ----------

    deploy_store& records() override { return store_; }
    bool create(deploy_request record, std::string audit_what) override;
    asio::awaitable<std::string> post_once(json::object body, std::string key, std::string* error) override;
    void thread_reply(std::int64_t id, std::string text) override;
    void refresh_message(std::int64_t id) override { spawn(update_checklist(id), "update"); }
    void add_sink(post_live_sink* sink) override { sinks_.push_back(sink); }
    void to_sinks(const deploy_request& req, const effect& e);
    void replace_older(const deploy_request& now_live);
    void execute(const deploy_request& req, const std::vector<effect>& effects);

    // ---------- Slack output ----------

    asio::awaitable<void> ephemeral(std::string channel, std::string user, blocks::message m);
    asio::awaitable<void> announce(deploy_request req, blocks::message m);
    asio::awaitable<void> thread_reply(deploy_request req, std::string text);
    const std::string& channel_of(const deploy_request& req) const;
    message_context message_ctx() const;
    blocks::message render(const deploy_request& req) const;
    asio::awaitable<void> update_checklist(std::int64_t id);
    asio::awaitable<void> show_outcome_if_closed(std::int64_t id, std::string ts);
    blocks::message render_live(const deploy_request& req) const;
    blocks::message render_failed(const deploy_request& req, const std::string& error) const;
    blocks::message render_unknown(const deploy_request& req, const std::string& detail) const;

    // ---------- evaluation ----------

    asio::awaitable<evaluation> evaluate();
    asio::awaitable<outcome<vercel_deployment>> get_deployment_or_empty(std::string id);
    asio::awaitable<outcome<std::optional<github_comparison>>> compare_or_empty(std::string base, std::string head);
    asio::awaitable<built_notes> build_notes(github_comparison cmp);
    asio::awaitable<pr_lookup> reviews_of(int pr_number);
    asio::awaitable<pr_lookup> first_commit_of(int pr_number);
    asio::awaitable<void> refresh(std::int64_t id, std::string requested_by);

    // ---------- promote ----------

    void start_promote_task(std::int64_t id, std::string attempt, std::string deployment_id, staging_model model,
                            std::string target, bool resuming = false, std::int64_t sent_baseline_ms = -1);
    void finish_promote(std::int64_t id, const std::string& attempt, bool ok, std::string target, std::string error,
                        bool unknown = false);
    std::chrono::milliseconds silence_limit() const;
    alias_job_wait promote_wait(std::string target, std::int64_t baseline_ms, bool unknown_outcome) const {
        return make_alias_job_wait(ctx_.cfg.vercel, "promote", std::move(target), baseline_ms, unknown_outcome);
    }
    asio::awaitable<std::optional<std::int64_t>> read_baseline();
    asio::awaitable<void> run_promote(std::int64_t id, std::string attempt, std::string deployment_id,
                                      staging_model model, std::string target, bool resuming,
                                      std::int64_t sent_baseline_ms);
    std::chrono::milliseconds promote_retry_wait(const failure& err, int sends) const;
    asio::awaitable<void> sleep(std::chrono::milliseconds d);
    asio::awaitable<void> conclude(std::int64_t id, std::string attempt, std::string target,
                                   outcome<alias_job_result> done);

    // ---------- periodic work ----------

    // The open request's refresh, and its window opening/closing, run on the
    // durable scheduler under one key: due every checklist_refresh, or at the
    // window's edge when that comes first; re-armed while a request is open.
    static constexpr std::string_view checklist_timer = "checklist";
    void arm_checklist_timer();
    asio::awaitable<void> on_checklist_timer();

    // ---------- commands ----------

    std::optional<deploy_lock> current_lock() const;
    std::optional<lock_view> current_lock_view() const;   // what the machine sees
    lock_view view_of(const deploy_lock& l) const;
    std::string lock_text(const deploy_lock& l) const;
    bool is_admin(std::string_view user) const;

    // ---------- posts that must arrive exactly once ----------

    static constexpr std::string_view post_event_type = "deploybot_post";

    static std::string lookup_oldest_ts();
    asio::awaitable<std::string> find_post(std::string channel, std::string key);
    asio::awaitable<std::string> post_tagged(json::object body, std::string key, std::string* error);
    // Waits `backoff` (cut short by stop()); returns the next, doubled up to 5 min.
    asio::awaitable<std::chrono::milliseconds> sleep_backoff(std::chrono::milliseconds backoff);
    asio::awaitable<void> deliver_outcome(std::int64_t id, bool look_first = false);
    blocks::message render_outcome(const deploy_request& req) const;
    static std::string checklist_key(const deploy_request& req);
    asio::awaitable<std::string> post_checklist(std::int64_t id, bool look_first);
    asio::awaitable<void> keep_posting_checklist(std::int64_t id, bool repost = false);

    std::string already_open_text(const deploy_request& active) const;
    asio::awaitable<void> cmd_prod(slash_command cmd);
    asio::awaitable<void> cmd_cancel(slash_command cmd);
    asio::awaitable<void> cmd_override(slash_command cmd, command_request req);
    asio::awaitable<void> cmd_lock(slash_command cmd, command_request req);
    asio::awaitable<void> cmd_unlock(slash_command cmd);

    std::string describe_deployment(const outcome<vercel_alias>& alias,
                                    const outcome<vercel_deployment>& dep) const;

    struct status_reads {
        outcome<vercel_alias> prod_alias, staging_alias;
        outcome<vercel_deployment> prod_dep, staging_dep;
        outcome<vercel_project> project;
    };

    asio::awaitable<status_reads> read_status();
    std::string pinned_line(const status_reads& r) const;
    std::string watch_lines() const;
    std::string not_answering_line(const std::string& what, const std::string& domain) const;

    // Answers within status_deadline whatever Vercel does: what it could not
    // read in time says so instead of holding the whole answer back.
    static constexpr std::chrono::milliseconds status_deadline{2500};

    asio::awaitable<void> cmd_status(slash_command cmd);
    static std::string watch_suffix(const deploy_request& r);
    std::string render_history(const std::vector<deploy_request>& list) const;
    asio::awaitable<void> cmd_history(slash_command cmd, command_request req);

    // ---------- buttons ----------

    std::chrono::seconds manual_refresh_wait(std::int64_t id);
    asio::awaitable<void> on_click(block_action click);

    void register_routes();
};

}  // namespace deploybot::deploy_detail
