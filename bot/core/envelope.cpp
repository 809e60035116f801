#include "bot/core/envelope.hpp"

#include <algorithm>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <new>

namespace deploybot {
namespace {

// Slack's payloads are shallow; deep nesting is garbage, and the limit keeps the
// parser's recursion bounded.
constexpr std::size_t max_json_depth = 64;

const json::object* get_object(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

const json::string* get_string(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_string() : nullptr;
}

// Missing or non-string optional fields become "".
std::string string_or_empty(const json::object& o, std::string_view key) {
    const json::string* s = get_string(o, key);
    return s ? std::string(s->data(), s->size()) : std::string();
}

std::string string_or_empty(const json::object* o, std::string_view key) {
    return o ? string_or_empty(*o, key) : std::string();
}

// Required fields: absent, non-string and empty all count as missing.
std::optional<std::string> required_string(const json::object* o, std::string_view key) {
    if (!o) return std::nullopt;
    const json::string* s = get_string(*o, key);
    if (!s || s->empty()) return std::nullopt;
    return std::string(s->data(), s->size());
}

int clamp_to_int(std::int64_t v) {
    if (v > std::numeric_limits<int>::max()) return std::numeric_limits<int>::max();
    if (v < std::numeric_limits<int>::min()) return std::numeric_limits<int>::min();
    return static_cast<int>(v);
}

// Numbers may arrive as int64, uint64, double or (from sloppy senders) strings;
// anything else or out of range saturates instead of invoking UB.
int int_or_zero(const json::object* o, std::string_view key) {
    if (!o) return 0;
    const json::value* v = o->if_contains(key);
    if (!v) return 0;
    if (const auto* i = v->if_int64()) return clamp_to_int(*i);
    if (const auto* u = v->if_uint64()) return std::numeric_limits<int>::max() < *u
                                                   ? std::numeric_limits<int>::max()
                                                   : static_cast<int>(*u);
    if (const auto* d = v->if_double()) {
        if (!std::isfinite(*d)) return 0;
        if (*d >= static_cast<double>(std::numeric_limits<int>::max())) return std::numeric_limits<int>::max();
        if (*d <= static_cast<double>(std::numeric_limits<int>::min())) return std::numeric_limits<int>::min();
        return static_cast<int>(*d);
    }
    if (const auto* s = v->if_string()) {
        std::int64_t parsed = 0;
        auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), parsed);
        if (ec == std::errc{} && ptr == s->data() + s->size()) return clamp_to_int(parsed);
    }
    return 0;
}

// Interactive payloads use JSON booleans, slash commands use "true"/"false".
bool bool_or_false(const json::object* o, std::string_view key) {
    if (!o) return false;
    const json::value* v = o->if_contains(key);
    if (!v) return false;
    if (const bool* b = v->if_bool()) return *b;
    if (const auto* s = v->if_string()) return *s == "true";
    return false;
}

disconnect_reason parse_disconnect_reason(std::string_view r) {
    if (r == "warning") return disconnect_reason::warning;
    if (r == "refresh_requested") return disconnect_reason::refresh_requested;
    if (r == "link_disabled") return disconnect_reason::link_disabled;
    if (r == "too_many_websockets") return disconnect_reason::too_many_websockets;
    return disconnect_reason::unknown;
}

envelope_type parse_envelope_type(std::string_view t) {
    if (t == "slash_commands") return envelope_type::slash_commands;
    if (t == "interactive") return envelope_type::interactive;
    if (t == "events_api") return envelope_type::events_api;
    return envelope_type::unknown;
}

frame parse_frame_unchecked(std::string_view text) {
    json::parse_options opts;
    opts.max_depth = max_json_depth;
    boost::system::error_code ec;
    // One arena per frame: the tree (and the payload moved out of it, which
    // keeps the arena alive) costs a few allocations instead of one per
    // string, object and array, and is released at once.
    json::value root = json::parse(
        text, ec, json::make_shared_resource<json::monotonic_resource>(2 * text.size() + 512), opts);
    if (ec) return invalid_frame{"invalid JSON: " + ec.message(), std::nullopt};

    const json::object* obj = root.if_object();
    if (!obj) return invalid_frame{"frame is not a JSON object", std::nullopt};

    std::optional<std::string> envelope_id = required_string(obj, "envelope_id");
    const json::string* type = get_string(*obj, "type");
    if (!type || type->empty()) return invalid_frame{"frame has no type", envelope_id};
    std::string_view type_sv(type->data(), type->size());

    // hello/disconnect never carry an envelope id; checking them first keeps a
    // stray envelope_id from turning them into unknown envelopes.
    if (type_sv == "hello") {
        hello_frame h;
        h.num_connections = int_or_zero(obj, "num_connections");
        const json::object* debug = get_object(*obj, "debug_info");
        h.approximate_connection_time_s = int_or_zero(debug, "approximate_connection_time");
        h.host = string_or_empty(debug, "host");
        h.app_id = string_or_empty(get_object(*obj, "connection_info"), "app_id");
        return h;
    }
    if (type_sv == "disconnect") {
        disconnect_frame d;
        d.reason_text = string_or_empty(*obj, "reason");
        d.reason = parse_disconnect_reason(d.reason_text);
        return d;
    }
    if (!envelope_id) return invalid_frame{"frame of type '" + std::string(type_sv) + "' has no envelope_id", std::nullopt};

    // Move-constructed, so the payload keeps the frame's arena (assigning it to
    // a default-constructed object would copy it out).
    json::value* payload = root.as_object().if_contains("payload");
    envelope_frame e{.payload = payload && payload->is_object() ? json::object(std::move(payload->as_object()))
                                                                : json::object()};
    e.envelope_id = std::move(*envelope_id);
    e.type_text = std::string(type_sv);
    e.type = parse_envelope_type(type_sv);
    e.accepts_response_payload = bool_or_false(obj, "accepts_response_payload");
    e.retry_attempt = int_or_zero(obj, "retry_attempt");
    if (e.retry_attempt < 0) e.retry_attempt = 0;
    e.retry_reason = string_or_empty(*obj, "retry_reason");
    return e;
}

}  // namespace

frame parse_frame(std::string_view text) {
    // The reader loop must survive any frame; allocation failure on a hostile
    // frame is reported like any other unusable frame.
    try {
        return parse_frame_unchecked(text);
    } catch (const std::bad_alloc&) {
        return invalid_frame{"out of memory while parsing frame", std::nullopt};
    }
}

std::string make_ack(std::string_view envelope_id) {
    // No tree for the common case: ids are Slack's own [0-9a-f-]; anything
    // else is escaped by the serializer.
    const bool plain = std::all_of(envelope_id.begin(), envelope_id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    });
    if (!plain) {
        json::object ack;
        ack["envelope_id"] = envelope_id;
        return json::serialize(ack);
    }
    std::string out;
    out.reserve(envelope_id.size() + 18);
    out.append("{\"envelope_id\":\"").append(envelope_id).append("\"}");
    return out;
}

std::string make_ack(std::string_view envelope_id, json::object payload) {
    json::object ack(payload.storage());
    ack["envelope_id"] = envelope_id;
    ack["payload"] = std::move(payload);
    return json::serialize(ack);
}

std::string make_restarting_ack(std::string_view envelope_id) {
    json::object ack;
    ack["envelope_id"] = envelope_id;
    ack["payload"] = json::object{{"response_type", "ephemeral"},
                                  {"text", "deploybot is restarting, try again in a moment."}};
    return json::serialize(ack);
}

std::optional<slash_command> parse_slash_command(const json::object& payload) {
    auto command = required_string(&payload, "command");
    auto user_id = required_string(&payload, "user_id");
    if (!command || !user_id) return std::nullopt;
    slash_command c;
    c.command = std::move(*command);
    c.user_id = std::move(*user_id);
    c.text = string_or_empty(payload, "text");
    c.channel_id = string_or_empty(payload, "channel_id");
    c.response_url = string_or_empty(payload, "response_url");
    c.trigger_id = string_or_empty(payload, "trigger_id");
    c.team_id = string_or_empty(payload, "team_id");
    return c;
}

std::optional<block_action> parse_block_action(const json::object& payload) {
    auto user_id = required_string(get_object(payload, "user"), "id");
    if (!user_id) return std::nullopt;

    const json::object* action = nullptr;
    if (const json::value* v = payload.if_contains("actions")) {
        if (const json::array* arr = v->if_array(); arr && !arr->empty()) action = (*arr)[0].if_object();
    }
    auto action_id = required_string(action, "action_id");
    if (!action_id) return std::nullopt;

    block_action a;
    a.user_id = std::move(*user_id);
    a.action_id = std::move(*action_id);
    a.block_id = string_or_empty(action, "block_id");
    a.value = string_or_empty(action, "value");
    if (a.value.empty()) {
        // Select menus carry their value in selected_option instead.
        a.value = string_or_empty(get_object(*action, "selected_option"), "value");
    }
    a.action_ts = string_or_empty(action, "action_ts");

    const json::object* container = get_object(payload, "container");
    a.message_ts = string_or_empty(container, "message_ts");
    if (a.message_ts.empty()) a.message_ts = string_or_empty(get_object(payload, "message"), "ts");
    a.channel_id = string_or_empty(get_object(payload, "channel"), "id");
    if (a.channel_id.empty()) a.channel_id = string_or_empty(container, "channel_id");
    a.is_ephemeral = bool_or_false(container, "is_ephemeral");

    a.response_url = string_or_empty(payload, "response_url");
    a.trigger_id = string_or_empty(payload, "trigger_id");
    return a;
}

std::optional<view_submission> parse_view_submission(const json::object& payload) {
    auto user_id = required_string(get_object(payload, "user"), "id");
    if (!user_id) return std::nullopt;
    view_submission s;
    s.user_id = std::move(*user_id);
    const json::object* view = get_object(payload, "view");
    s.view_id = string_or_empty(view, "id");
    s.callback_id = string_or_empty(view, "callback_id");
    s.private_metadata = string_or_empty(view, "private_metadata");
    if (view) {
        if (const json::object* state = get_object(*view, "state")) {
            if (const json::object* values = get_object(*state, "values")) s.values = *values;
        }
    }
    return s;
}

}  // namespace deploybot
