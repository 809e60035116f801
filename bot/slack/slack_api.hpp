#pragma once
#include "bot/core/error.hpp"
#include "bot/net/http_client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace deploybot {

namespace json = boost::json;

struct posted_message {
    std::string channel;
    std::string ts;
};

struct auth_info {
    std::string user_id, bot_id, team_id, team, url;
};

struct slack_api_options {
    std::string api_url = "https://slack.com/api";
    std::string bot_token;
    std::string app_token;
    std::chrono::milliseconds channel_post_interval{1000};   // ~1 message/s/channel
    std::chrono::seconds max_retry_after{120};
    int max_rate_limit_retries = 5;
};

// Slack Web API client over the shared http_client. JSON POST with the bot
// token; ok:false becomes a failure (service "slack", reason = Slack's word,
// code = slack_errc(reason)); HTTP 429 waits Retry-After and retries;
// posts to one channel are paced by queueing (never dropped); chat.update of
// one message is coalesced (latest content wins, ≤1/s).
class slack_api {
public:
    slack_api(asio::any_io_executor ex, http_client& http, slack_api_options options);
    ~slack_api();

    asio::awaitable<outcome<json::object>> call(std::string method, json::object args);

    asio::awaitable<outcome<std::string>> connections_open();   // app token; returns the WSS URL
    asio::awaitable<outcome<auth_info>> auth_test();
    asio::awaitable<outcome<posted_message>> post_message(json::object message);   // needs "channel"
    asio::awaitable<outcome<void>> update_message(std::string channel, std::string ts, json::object message);
    // The ts of the bot's message in `channel`, newer than `oldest_ts`, whose
    // metadata is {event_type, event_payload: {key: key}} (conversations.history
    // with include_all_metadata); "" when there is none. Settles whether a post
    // whose answer was lost arrived (needs channels:history / groups:history).
    asio::awaitable<outcome<std::string>> find_posted(std::string channel, std::string oldest_ts,
                                                      std::string event_type, std::string key);
    asio::awaitable<outcome<void>> post_ephemeral(std::string channel, std::string user, json::object message);
    asio::awaitable<outcome<std::string>> views_open(std::string trigger_id, json::object view);
    // POST to a response_url (no auth header; the URL is the credential).
    asio::awaitable<outcome<void>> respond(std::string response_url, json::object message);

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace deploybot
