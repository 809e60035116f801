#include "bot/slack/slack_api.hpp"
#include "bot/net/with_retries.hpp"

#include "bot/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace deploybot {

namespace {

constexpr std::string_view service_name = "slack";

// No answer: outcome_unknown when the request went out (it may have been
// carried out: never re-sent), else timeout/transport.
failure transport_error(const system::error_code& ec) {
    return failure(transport_code(ec), std::string(service_name), 0, ec.message());
}

// Slack said no with its own word: the word is kept, the errc decided from it.
failure slack_refusal(std::string word, std::string detail, int status) {
    if (word.size() > 100) word.resize(100);   // untrusted: bounded before it is logged or shown
    failure f(slack_errc(word), std::string(service_name), status, std::move(detail));
    f.reason = std::move(word);
    return f;
}

// A non-2xx answer keeps Slack's own error word when the body carries one.
failure http_failure(const http_response& res, std::string_view what) {
    system::error_code ec;
    auto parsed = json::parse(res.body, ec);
    if (!ec && parsed.is_object())
        if (auto* e = parsed.as_object().if_contains("error"); e && e->is_string() && !e->get_string().empty())
            return slack_refusal(std::string(e->get_string()), std::string(what), res.status);
    return failure(status_errc(res.status), std::string(service_name), res.status, std::string(what));
}
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using steady = std::chrono::steady_clock;

std::string string_field(const json::object& o, std::string_view key) {
    if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
    return {};
}
}  // namespace

struct slack_api::impl : std::enable_shared_from_this<impl> {
    asio::any_io_executor executor_;
    http_client& http_;
    slack_api_options options_;
    std::map<std::string, steady::time_point> next_post_slot_;   // per channel

    struct update_slot {
        std::optional<json::object> pending;
        bool running = false;
        steady::time_point last_sent{};
    };
    std::map<std::string, update_slot> updates_;   // key channel + "/" + ts

    impl(asio::any_io_executor ex, http_client& http, slack_api_options options)
        : executor_(std::move(ex)), http_(http), options_(std::move(options)) {}

    asio::awaitable<void> sleep_until(steady::time_point t) {
        if (t <= steady::now()) co_return;
        asio::steady_timer timer(executor_, t);
        co_await timer.async_wait(use_tuple);
    }

    // Reserves this channel's next posting slot (~1/s), preserving call order.
    asio::awaitable<void> pace(std::string channel) {
        auto& next = next_post_slot_[channel];
        const auto slot = std::max(steady::now(), next);
        next = slot + options_.channel_post_interval;
        co_await sleep_until(slot);
    }

    // Every parameter is a value: the coroutine may outlive its caller's frame.
    asio::awaitable<outcome<json::object>> post_json(std::string url, std::string token, json::object body,
                                                     std::string what) {
        auto self = shared_from_this();
        using step = retry_step<outcome<json::object>>;
        http_request req;
        req.method = "POST";
        req.url = std::move(url);
        req.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
        if (!token.empty()) req.headers.push_back({"Authorization", "Bearer " + token});
        req.body = json::serialize(body);
        req.service = "slack";
        // Between tries, not a coroutine. A 429 or ok:false "ratelimited" means
        // Slack did not process the request, so sending it again is safe.
        auto judge = [this, what](int attempt, http_request&, result<http_response> res) -> step {
            const int tries_before = attempt - 1;
            if (!res) return step::done(transport_error(res.error()));
            if (res->status == 429) {
                auto wait = parse_retry_after(res->header("Retry-After")).value_or(std::chrono::seconds(5));
                if (tries_before >= options_.max_rate_limit_retries || wait > options_.max_retry_after)
                    return step::done(failure(errc::rate_limited, std::string(service_name), 429,
                                              "gave up after " + std::to_string(attempt) + " tries"));
                log::warn("slack", "{} rate limited; retrying in {}s", what, wait.count());
                http_.note_rate_limit_wait("slack", wait);
                return step::again(wait);
            }
            if (res->status < 200 || res->status >= 300) return step::done(http_failure(*res, what));
            system::error_code ec;
            auto parsed = json::parse(res->body, ec);
            if (ec || !parsed.is_object()) {
                // response_url answers may be a bare "ok".
                if (res->body == "ok" || res->body.empty()) return step::done(json::object{{"ok", true}});
                return step::done(failure(errc::bad_json, std::string(service_name), res->status, std::string(what)));
            }
            auto& obj = parsed.as_object();
            auto* ok = obj.if_contains("ok");
            if (ok && ok->is_bool() && !ok->as_bool()) {
                auto word = string_field(obj, "error");
                if (slack_errc(word) == errc::rate_limited && tries_before < options_.max_rate_limit_retries) {
                    http_.note_rate_limit_wait("slack", std::chrono::seconds(5));
                    return step::again(std::chrono::seconds(5));
                }
                std::string detail(what);
                if (auto* meta = obj.if_contains("response_metadata"); meta && meta->is_object()) {
                    if (auto* msgs = meta->as_object().if_contains("messages"); msgs && msgs->is_array())
                        for (auto& m : msgs->as_array())
                            if (m.is_string()) detail += std::string(" ") + std::string(m.get_string());
                }
                return step::done(slack_refusal(std::move(word), std::move(detail), res->status));
            }
            return step::done(std::move(obj));
        };
        co_return co_await with_retries<outcome<json::object>>(http_, std::move(req), std::move(judge));
    }

    // Not inside the coroutine: gcc 12 miscompiles string ?: in coroutines (STYLE.md).
    const std::string& token_for(bool app_token) const { return app_token ? options_.app_token : options_.bot_token; }

    asio::awaitable<outcome<json::object>> call(std::string method, json::object args, bool app_token) {
        std::string url = options_.api_url + "/" + method;
        co_return co_await post_json(std::move(url), token_for(app_token), std::move(args), std::move(method));
    }
};

slack_api::slack_api(asio::any_io_executor ex, http_client& http, slack_api_options options)
    : impl_(std::make_shared<impl>(std::move(ex), http, std::move(options))) {}

slack_api::~slack_api() = default;

asio::awaitable<outcome<json::object>> slack_api::call(std::string method, json::object args) {
    auto p = impl_;
    co_return co_await p->call(std::move(method), std::move(args), false);
}

asio::awaitable<outcome<std::string>> slack_api::connections_open() {
    auto p = impl_;
    auto r = co_await p->call("apps.connections.open", json::object{}, true);
    if (!r) co_return r.error();
    auto url = string_field(*r, "url");
    if (url.empty())
        co_return failure(errc::bad_response, std::string(service_name), 200, "apps.connections.open returned no url");
    co_return url;
}

asio::awaitable<outcome<auth_info>> slack_api::auth_test() {
    auto p = impl_;
    auto r = co_await p->call("auth.test", json::object{}, false);
    if (!r) co_return r.error();
    co_return auth_info{string_field(*r, "user_id"), string_field(*r, "bot_id"), string_field(*r, "team_id"),
                        string_field(*r, "team"), string_field(*r, "url")};
}

asio::awaitable<outcome<posted_message>> slack_api::post_message(json::object message) {
    auto p = impl_;
    const auto channel = string_field(message, "channel");
    co_await p->pace(channel);
    auto r = co_await p->call("chat.postMessage", std::move(message), false);
    if (!r) co_return r.error();
    co_return posted_message{string_field(*r, "channel"), string_field(*r, "ts")};
}

asio::awaitable<outcome<std::string>> slack_api::find_posted(std::string channel, std::string oldest_ts,
                                                             std::string event_type, std::string key) {
    auto p = impl_;
    json::object args{{"channel", channel}, {"limit", 100}, {"include_all_metadata", true}};
    if (!oldest_ts.empty()) args["oldest"] = oldest_ts;
    auto r = co_await p->call("conversations.history", std::move(args), false);
    if (!r) co_return r.error();
    if (auto* msgs = r->if_contains("messages"); msgs && msgs->is_array()) {
        for (const auto& m : msgs->get_array()) {
            const auto* mo = m.if_object();
            if (!mo) continue;
            const auto* md = mo->if_contains("metadata");
            if (!md || !md->is_object()) continue;
            const auto* type = md->get_object().if_contains("event_type");
            const auto* payload = md->get_object().if_contains("event_payload");
            if (!type || !type->is_string() || type->get_string() != event_type || !payload || !payload->is_object())
                continue;
            const auto* k = payload->get_object().if_contains("key");
            if (k && k->is_string() && k->get_string() == key) co_return string_field(*mo, "ts");
        }
    }
    co_return std::string();
}

asio::awaitable<outcome<void>> slack_api::update_message(std::string channel, std::string ts,
                                                         json::object message) {
    auto p = impl_;
    message["channel"] = channel;
    message["ts"] = ts;
    auto& slot = p->updates_[channel + "/" + ts];
    slot.pending = std::move(message);
    if (slot.running) co_return outcome<void>{};   // the running sender picks up the latest content
    slot.running = true;
    outcome<void> last{};
    const auto key = channel + "/" + ts;
    while (true) {
        auto& s = p->updates_[key];
        if (!s.pending) break;
        co_await p->sleep_until(s.last_sent + p->options_.channel_post_interval);
        auto& s2 = p->updates_[key];
        auto body = std::move(*s2.pending);
        s2.pending.reset();
        auto r = co_await p->call("chat.update", std::move(body), false);
        p->updates_[key].last_sent = steady::now();
        if (!r) {
            log::warn("slack", "chat.update {} failed: {}", ts, r.error().to_string());
            last = r.error();
        } else {
            last = {};
        }
    }
    p->updates_[key].running = false;
    co_return last;
}

asio::awaitable<outcome<void>> slack_api::post_ephemeral(std::string channel, std::string user,
                                                         json::object message) {
    auto p = impl_;
    message["channel"] = channel;
    message["user"] = user;
    // Not paced per channel: an ephemeral is seen by one person (Tier 4);
    // 429s are still honoured by call().
    auto r = co_await p->call("chat.postEphemeral", std::move(message), false);
    if (!r) co_return r.error();
    co_return outcome<void>{};
}

asio::awaitable<outcome<std::string>> slack_api::views_open(std::string trigger_id, json::object view) {
    auto p = impl_;
    json::object args;
    args["trigger_id"] = trigger_id;
    args["view"] = std::move(view);
    auto r = co_await p->call("views.open", std::move(args), false);
    if (!r) co_return r.error();
    if (auto* v = r->if_contains("view"); v && v->is_object()) co_return string_field(v->as_object(), "id");
    co_return std::string{};
}

asio::awaitable<outcome<void>> slack_api::respond(std::string response_url, json::object message) {
    auto p = impl_;
    auto r = co_await p->post_json(std::move(response_url), "", std::move(message), "response_url");
    if (!r) co_return r.error();
    co_return outcome<void>{};
}

}  // namespace deploybot
