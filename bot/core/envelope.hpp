#pragma once
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace deploybot {

namespace json = boost::json;

struct hello_frame {
    int num_connections = 0;
    int approximate_connection_time_s = 0;
    std::string host;
    std::string app_id;
};

enum class disconnect_reason { warning, refresh_requested, link_disabled, too_many_websockets, unknown };

struct disconnect_frame {
    disconnect_reason reason = disconnect_reason::unknown;
    std::string reason_text;
};

enum class envelope_type { slash_commands, interactive, events_api, unknown };

// An envelope that carries an envelope_id (must be acked).
struct envelope_frame {
    std::string envelope_id;
    envelope_type type = envelope_type::unknown;
    std::string type_text;
    bool accepts_response_payload = false;
    int retry_attempt = 0;
    std::string retry_reason;
    json::object payload;
};

// Not JSON, not an object, or an object we cannot use (no type, no envelope id).
struct invalid_frame {
    std::string reason;
    std::optional<std::string> envelope_id;   // present when we can still ack it
};

using frame = std::variant<hello_frame, disconnect_frame, envelope_frame, invalid_frame>;

// Pure: one Socket Mode text frame → frame. Never throws.
frame parse_frame(std::string_view text);

// Pure: the ack text frame for an envelope ({"envelope_id":"…"}), with a
// response payload when given (a slash command's answer, shown by Slack).
std::string make_ack(std::string_view envelope_id);
std::string make_ack(std::string_view envelope_id, json::object payload);
// Pure: the ack of an envelope that arrives while the bot shuts down. Slack
// never redelivers slash commands or clicks, so the person is told instead
// (a slash command's ack payload is shown to them).
std::string make_restarting_ack(std::string_view envelope_id);

// A slash command payload (the fields we use).
struct slash_command {
    std::string command;       // "/deploy"
    std::string text;          // may be ""
    std::string user_id;
    std::string channel_id;
    std::string response_url;
    std::string trigger_id;
    std::string team_id;
};

// A block_actions click (first action only; Slack sends one per click).
struct block_action {
    std::string user_id;
    std::string channel_id;
    std::string message_ts;
    bool is_ephemeral = false;
    std::string action_id;
    std::string block_id;
    std::string value;
    std::string action_ts;
    std::string response_url;
    std::string trigger_id;
};

// A modal submitted (view_submission).
struct view_submission {
    std::string user_id;
    std::string view_id;
    std::string callback_id;
    std::string private_metadata;
    json::object values;       // view.state.values
};

std::optional<slash_command> parse_slash_command(const json::object& payload);
std::optional<block_action> parse_block_action(const json::object& payload);
std::optional<view_submission> parse_view_submission(const json::object& payload);

}  // namespace deploybot
