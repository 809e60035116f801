#include "bot/app.hpp"

#include "bot/core/command.hpp"
#include "bot/core/envelope.hpp"
#include "bot/net/http_client.hpp"
#include "bot/store/instance_lock.hpp"
#include "bot/log.hpp"
#include "bot/metrics.hpp"
#include "bot/ops_server.hpp"
#include "bot/runtime_metrics.hpp"
#include "bot/core/permissions.hpp"
#include "bot/core/router.hpp"
#include "bot/slack/slack_api.hpp"
#include "bot/spawn.hpp"
#include "bot/store/store.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

namespace deploybot {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto envelope_retention = std::chrono::hours(24);
// Longest command text read (bytes): reasons and arguments fit many times over.
constexpr std::size_t max_command_text = 2000;
}  // namespace

struct app::impl {
    asio::io_context& ioc_;
    app_options options_;
    metrics::registry metrics_;    // before everything that counts into it
    runtime_metrics counts_{metrics_};
    instance_lock lock_;   // before db_: released after the database is closed
    std::unique_ptr<store> db_;
    http_client http_;
    slack_api slack_;
    router routes_;
    std::unique_ptr<socket_mode_client> socket_;
    std::unique_ptr<scheduler> timers_;   // before ctx_ and modules_, which use it
    std::unique_ptr<bot_context> ctx_;
    module_list modules_;
    std::chrono::system_clock::time_point started_at_;
    wall_clock clock_;
    bool stopping_ = false;
    std::unique_ptr<ops_server> ops_;   // /healthz, /metrics; destroyed first

    static http_client_options http_options(const config& cfg, runtime_metrics* counts) {
        http_client_options o;
        o.timeout = cfg.http.timeout;
        o.max_body_bytes = cfg.http.max_body_bytes;
        o.tls.ca_file = cfg.tls.ca_file;
        o.metrics = counts;
        return o;
    }

    impl(asio::io_context& ioc, app_options options)
        : ioc_(ioc), options_(std::move(options)), http_(ioc.get_executor(), http_options(options_.cfg, &counts_)),
          slack_(ioc.get_executor(), http_,
                 slack_api_options{options_.cfg.slack.api_url, options_.tokens.slack_bot_token,
                                   options_.tokens.slack_app_token}) {
        if (!options_.time) options_.time = system_time();
        clock_ = [time = options_.time] { return time->now(); };
        for (const auto* t : {&options_.tokens.slack_app_token, &options_.tokens.slack_bot_token,
                              &options_.tokens.github_token, &options_.tokens.vercel_token,
                              &options_.tokens.sentry_token})
            log::add_secret(*t);
    }

    template <class Coro>
    void spawn(Coro&& coro, std::string what) {
        spawn_logged(ioc_.get_executor(), std::forward<Coro>(coro), "router", std::move(what));
    }

    // Called for each envelope before its ack is written: no I/O here (the
    // dedup is in memory, audit rows are queued, work is spawned). Returns the
    // ack's response payload when the answer is instant and Slack accepts one.
    std::optional<json::object> on_envelope(envelope_frame& env) {
        const auto now = clock_();
        if (!db_->mark_envelope_seen(env.envelope_id, now)) {
            log::info("router", "envelope {} already handled; ignoring the redelivery", env.envelope_id);
            // Slack redelivers only what it saw no ack for: an instant answer
            // (read-only, no I/O) is given again, since the first ack is lost.
            if (env.type == envelope_type::slash_commands && env.accepts_response_payload)
                if (auto cmd = parse_slash_command(env.payload)) return repeat_instant_answer(std::move(*cmd));
            return std::nullopt;
        }
        switch (env.type) {
        case envelope_type::slash_commands: {
            auto cmd = parse_slash_command(env.payload);
            if (!cmd) {
                log::warn("router", "envelope {}: slash command without command/user; ignored", env.envelope_id);
                return std::nullopt;
            }
            return on_command(std::move(*cmd), env.envelope_id, env.accepts_response_payload, now);
        }
        case envelope_type::interactive: {
            auto type = env.payload.if_contains("type");
            if (type && type->is_string() && type->get_string() == "block_actions") {
                if (auto click = parse_block_action(env.payload)) on_click(std::move(*click), env.envelope_id, now);
                else log::warn("router", "envelope {}: block_actions without action; ignored", env.envelope_id);
            } else {
                log::info("router", "envelope {}: interactive payload of type {} ignored", env.envelope_id,
                          type && type->is_string() ? std::string(type->get_string()) : "?");
            }
            break;
        }
        case envelope_type::events_api:
            log::debug("router", "events_api envelope {} ignored (no event subscriptions)", env.envelope_id);
            break;
        case envelope_type::unknown:
            log::warn("router", "envelope {} of unknown type '{}' acked and ignored", env.envelope_id, env.type_text);
            break;
        }
        return std::nullopt;
    }

    static bool is_read_only(subcommand s) {
        return s == subcommand::help || s == subcommand::status || s == subcommand::history || s == subcommand::stats;
    }

    // An ephemeral answer: in the ack when Slack takes one, else by response_url.
    std::optional<json::object> answer(const slash_command& cmd, blocks::message m, bool in_ack, std::string what) {
        if (in_ack) {
            auto body = blocks::to_json(std::move(m));
            body["response_type"] = "ephemeral";
            return body;
        }
        spawn(reply_ephemeral(*ctx_, cmd, std::move(m)), std::move(what));
        return std::nullopt;
    }

    // The answer a command gets without I/O: a refusal (wrong channel, not
    // built) or an instant read-only command; nullopt for everything else.
    std::optional<blocks::message> instant_answer(const slash_command& cmd, const command_request& req) {
        if (!is_deploy_channel(options_.cfg, cmd.channel_id)) {
            blocks::message m;
            m.text = "deploybot works in <#" + options_.cfg.slack.channel +
                     "> only, so the whole team sees every deploy. Run the command there.";
            m.blocks.push_back(blocks::section(m.text, "wrong_channel"));
            return m;
        }
        if (const auto* instant = routes_.find_instant_command(req.sub)) return (*instant)(cmd, req);
        if (!routes_.find_command(req.sub)) {
            blocks::message m;
            m.text = "`/deploy " + std::string(to_string(req.sub)) + "` is coming soon. Try `/deploy help`.";
            m.blocks.push_back(blocks::section(m.text, "coming_soon"));
            return m;
        }
        return std::nullopt;
    }

    std::optional<json::object> repeat_instant_answer(slash_command cmd) {
        if (cmd.text.size() > max_command_text) cmd.text = log::truncate_for_log(cmd.text, max_command_text);
        cmd.text = log::redact(cmd.text);
        auto m = instant_answer(cmd, parse_command(cmd.command, cmd.text));
        if (!m) return std::nullopt;
        auto body = blocks::to_json(std::move(*m));
        body["response_type"] = "ephemeral";
        return body;
    }

    std::optional<json::object> on_command(slash_command cmd, std::string envelope_id, bool in_ack,
                                           std::chrono::system_clock::time_point now) {
        // Untrusted text: bounded first, then scrubbed of anything secret-shaped
        // (a pasted token is neither logged, stored, nor echoed to the channel).
        const auto original_size = cmd.text.size();
        const bool cut = original_size > max_command_text;
        if (cut) cmd.text = log::truncate_for_log(cmd.text, max_command_text);
        cmd.text = log::redact(cmd.text);
        if (cmd.command.size() > 64) cmd.command = log::truncate_for_log(cmd.command, 64);
        auto req = parse_command(cmd.command, cmd.text);
        log::info("router", "{} {} from {} in {}", cmd.command, log::truncate_for_log(cmd.text, 200), cmd.user_id,
                  cmd.channel_id);
        const bool in_channel = is_deploy_channel(options_.cfg, cmd.channel_id);
        const auto* handler = routes_.find_command(req.sub);
        {
            // Read-only inputs and refusals are audited write-behind; a command
            // that may change state is audited by its transition's transaction.
            pending_input in;
            in.audit.at = now;
            in.audit.user_id = cmd.user_id;
            in.audit.kind = "command";
            in.audit.what = cmd.text.empty() ? cmd.command : cmd.command + " " + cmd.text;
            in.audit.channel_id = cmd.channel_id;
            in.state_changing = in_channel && handler && !is_read_only(req.sub);
            // Only a state-changing input's id must survive a restart: a read-only
            // one redelivered after a restart is answered again, which is harmless.
            if (in.state_changing) in.envelope_id = std::move(envelope_id);
            db_->queue_input(std::move(in));
        }
        if (cut) {
            // Two answers: the notice by response_url, the command's own answer as usual.
            blocks::message m;
            m.text = "Your command text was " + std::to_string(original_size) + " bytes long; deploybot read only the "
                     "first " + std::to_string(max_command_text) + ".";
            m.blocks.push_back(blocks::section(m.text, "text_cut"));
            spawn(reply_ephemeral(*ctx_, cmd, std::move(m)), "text-cut reply");
        }
        if (auto m = instant_answer(cmd, req))
            return answer(cmd, std::move(*m), in_ack, "/deploy " + std::string(to_string(req.sub)) + " answer");
        auto what = "/deploy " + std::string(to_string(req.sub));
        spawn((*handler)(std::move(cmd), std::move(req)), std::move(what));
        return std::nullopt;
    }

    void on_click(block_action click, std::string envelope_id, std::chrono::system_clock::time_point now) {
        log::info("router", "click {} (value {}) from {} on {}", log::truncate_for_log(click.action_id, 80),
                  log::truncate_for_log(click.value, 80), click.user_id, click.message_ts);
        const auto* handler = routes_.find_action(click.action_id);
        {
            pending_input in;
            in.envelope_id = std::move(envelope_id);
            in.audit.at = now;
            in.audit.user_id = click.user_id;
            in.audit.kind = "click";
            in.audit.what = click.action_id;
            in.audit.channel_id = click.channel_id;
            in.audit.detail = click.value;
            in.state_changing = handler != nullptr;
            db_->queue_input(std::move(in));
        }
        if (!handler) {
            log::warn("router", "no handler for action {}", click.action_id);
            return;
        }
        spawn((*handler)(std::move(click)), "action");
    }

    // Writes queued audit rows and dedup ids behind the hot path once a
    // second, in transactions of at most flush_batch inputs with the loop
    // handed back between them: at thousands of envelopes a second, one
    // transaction of everything held the acks behind it for ~13 ms.
    static constexpr std::size_t flush_batch = 256;
    static asio::awaitable<void> flush_loop(impl* self) {
        asio::steady_timer timer(self->ioc_);
        while (!self->stopping_) {
            timer.expires_after(std::chrono::seconds(1));
            auto [ec] = co_await timer.async_wait(use_tuple);
            if (ec) break;
            while (!self->stopping_ && self->db_->flush_pending(self->clock_(), false, flush_batch) == flush_batch)
                co_await asio::post(self->ioc_, use_tuple);
        }
    }

    static asio::awaitable<void> prune_loop(impl* self) {
        asio::steady_timer timer(self->ioc_);
        while (!self->stopping_) {
            self->db_->prune_envelopes(self->clock_() - envelope_retention);
            timer.expires_after(std::chrono::minutes(10));
            auto [ec] = co_await timer.async_wait(use_tuple);
            if (ec) break;
        }
    }

    asio::awaitable<int> run() {
        // Before the database and before Slack: a second process on the same
        // storage must not hold a Socket Mode connection or resume anything.
        std::string why_not;
        lock_ = instance_lock::acquire(options_.cfg.storage.path, why_not);
        if (!lock_.held()) {
            log::error("app", "{}", why_not);
            co_return 1;
        }
        auto opened = store::open(options_.cfg.storage.path);
        if (!opened) {
            log::error("store", "cannot open storage.path {}: {}", options_.cfg.storage.path,
                       opened.error().message());
            co_return 1;
        }
        db_ = std::move(*opened);
        started_at_ = clock_();

        auto& so = options_.socket;
        so.ws.tls.ca_file = options_.cfg.tls.ca_file;
        so.ws.max_message_bytes = options_.cfg.slack.max_message_bytes;
        so.ws.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.cfg.slack.ping_interval) * 3;
        so.hello_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.cfg.slack.hello_timeout);
        so.metrics = &counts_;
        socket_ = std::make_unique<socket_mode_client>(ioc_.get_executor(), slack_, so,
                                                       [this](envelope_frame& env) { return on_envelope(env); });
        timers_ = std::make_unique<scheduler>(ioc_.get_executor(), *db_, options_.time);
        ctx_.reset(new bot_context{ioc_.get_executor(), options_.cfg, slack_, *db_, http_, options_.tokens,
                                   clock_, started_at_, [this] { return socket_->status(); }, routes_, *timers_,
                                   metrics_});
        if (options_.make_modules) modules_ = options_.make_modules(*ctx_);
        if (options_.configure_routes) options_.configure_routes(*ctx_);
        counts_.track_connection([this] { return socket_->status(); });
        ops_ = ops_server::start(ioc_.get_executor(), options_.cfg.http.listen,
                                 {[this] { return socket_->status(); }, db_.get(), &metrics_});

        auto who = co_await slack_.auth_test();
        if (!who) {
            if (who.error().code == errc::auth_failed) {
                log::error("app", "Slack refused SLACK_BOT_TOKEN ({}); stopping. Use the Bot User OAuth Token "
                                  "(xoxb-…) from OAuth & Permissions.",
                           who.error().word());
                co_return 1;
            }
            log::warn("app", "auth.test failed ({}); continuing", who.error().to_string());
        } else {
            log::info("app", "authenticated as bot {} in team {}", who->user_id, who->team_id);
        }

        spawn(prune_loop(this), "envelope pruning");
        spawn(flush_loop(this), "audit write-behind");
        for (auto& m : modules_) m->start();
        timers_->start();   // after the modules registered their timer handlers
        log::info("app", "deploybot {} starting; serving channel {}", DEPLOYBOT_VERSION, options_.cfg.slack.channel);
        const auto why = co_await socket_->run();
        stopping_ = true;
        if (ops_) ops_->stop();
        timers_->stop();
        for (auto& m : modules_) m->stop();
        http_.close_idle();
        // Stopped (SIGTERM/SIGINT): what is queued is written now.
        db_->flush_pending(clock_(), true);
        switch (why) {
        case socket_mode_exit::stopped: log::info("app", "stopped"); co_return 0;
        case socket_mode_exit::auth_failed: co_return 1;
        case socket_mode_exit::link_disabled: co_return 2;
        }
        co_return 1;
    }
};

app::app(asio::io_context& ioc, app_options options) : impl_(std::make_unique<impl>(ioc, std::move(options))) {}
app::~app() = default;

asio::awaitable<int> app::run() { co_return co_await impl_->run(); }

void app::stop() {
    impl_->stopping_ = true;
    if (impl_->ops_) impl_->ops_->stop();
    if (impl_->socket_) impl_->socket_->stop();
}

}  // namespace deploybot
