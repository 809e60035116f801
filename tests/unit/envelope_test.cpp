#include "bot/core/envelope.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

using namespace deploybot;

namespace {

const std::filesystem::path slack_fixtures = std::filesystem::path(DEPLOYBOT_FIXTURES) / "slack";

std::string read_fixture(const std::string& name) {
    std::ifstream in(slack_fixtures / name, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

frame parse_fixture(const std::string& name) { return parse_frame(read_fixture(name)); }

template <class T>
T expect(const frame& f) {
    REQUIRE(std::holds_alternative<T>(f));
    return std::get<T>(f);
}

}  // namespace

TEST_CASE("parse_frame: hello") {
    auto h = expect<hello_frame>(parse_fixture("hello.json"));
    CHECK(h.num_connections == 1);
    CHECK(h.approximate_connection_time_s == 18060);
    CHECK(h.host == "applink-7");
    CHECK(h.app_id == "A05QWERTY78");
}

TEST_CASE("parse_frame: disconnect reasons") {
    const std::pair<const char*, disconnect_reason> cases[] = {
        {"warning", disconnect_reason::warning},
        {"refresh_requested", disconnect_reason::refresh_requested},
        {"link_disabled", disconnect_reason::link_disabled},
        {"too_many_websockets", disconnect_reason::too_many_websockets},
    };
    for (const auto& [name, reason] : cases) {
        CAPTURE(name);
        auto d = expect<disconnect_frame>(parse_fixture(std::string("disconnect_") + name + ".json"));
        CHECK(d.reason == reason);
        CHECK(d.reason_text == name);
    }
    auto d = expect<disconnect_frame>(parse_frame(R"({"type":"disconnect","reason":"maintenance"})"));
    CHECK(d.reason == disconnect_reason::unknown);
    CHECK(d.reason_text == "maintenance");
    d = expect<disconnect_frame>(parse_frame(R"({"type":"disconnect"})"));
    CHECK(d.reason == disconnect_reason::unknown);
    CHECK(d.reason_text.empty());
}

TEST_CASE("parse_frame: slash command envelope and payload") {
    auto e = expect<envelope_frame>(parse_fixture("slash_command.json"));
    CHECK(e.envelope_id == "0c7b5d1e-3f2a-4e8b-9a61-7d2e4c9f1b30");
    CHECK(e.type == envelope_type::slash_commands);
    CHECK(e.type_text == "slash_commands");
    CHECK(e.accepts_response_payload);
    CHECK(e.retry_attempt == 0);
    CHECK(e.retry_reason.empty());
    // The payload is the frame's own tree, in its arena, not a copy.
    CHECK(e.payload.storage().is_deallocate_trivial());
    CHECK(e.payload.contains("command"));

    auto c = parse_slash_command(e.payload);
    REQUIRE(c);
    CHECK(c->command == "/deploy");
    CHECK(c->text == "prod");
    CHECK(c->user_id == "U07K3M2N8PQ");
    CHECK(c->channel_id == "C06DPLY0001");
    CHECK(c->team_id == "T0123ABCD45");
    CHECK(c->response_url == "https://hooks.slack.com/commands/T0123ABCD45/7398125670001/Xy3kP9qLm2Nb8Vt4Rw6Zs1Ha");
    CHECK(c->trigger_id == "7398125671234.4181432155.8f3e2c1b0a9d8e7f6a5b4c3d2e1f0a9b");
}

TEST_CASE("parse_slash_command: tolerant of missing optional fields, strict on required") {
    auto c = parse_slash_command(boost::json::parse(R"({"command":"/deploy","user_id":"U1","is_enterprise_install":true})").as_object());
    REQUIRE(c);
    CHECK(c->text.empty());
    CHECK(c->channel_id.empty());
    CHECK(c->response_url.empty());

    // Wrong types on optional fields are ignored.
    c = parse_slash_command(boost::json::parse(R"({"command":"/deploy","user_id":"U1","text":5,"channel_id":null})").as_object());
    REQUIRE(c);
    CHECK(c->text.empty());

    CHECK_FALSE(parse_slash_command(boost::json::parse(R"({"user_id":"U1"})").as_object()));
    CHECK_FALSE(parse_slash_command(boost::json::parse(R"({"command":"/deploy"})").as_object()));
    CHECK_FALSE(parse_slash_command(boost::json::parse(R"({"command":7,"user_id":"U1"})").as_object()));
    CHECK_FALSE(parse_slash_command(boost::json::parse(R"({"command":"/deploy","user_id":""})").as_object()));
    CHECK_FALSE(parse_slash_command(boost::json::object{}));
}

TEST_CASE("parse_frame: block_actions envelope and payload") {
    auto e = expect<envelope_frame>(parse_fixture("block_actions.json"));
    CHECK(e.envelope_id == "a3d9e2f1-6b7c-4d8e-9f0a-1b2c3d4e5f60");
    CHECK(e.type == envelope_type::interactive);
    CHECK_FALSE(e.accepts_response_payload);

    auto a = parse_block_action(e.payload);
    REQUIRE(a);
    CHECK(a->user_id == "U07K3M2N8PQ");
    CHECK(a->channel_id == "C06DPLY0001");
    CHECK(a->message_ts == "1724846400.123456");
    CHECK_FALSE(a->is_ephemeral);
    CHECK(a->action_id == "chk.toggle");
    CHECK(a->block_id == "item.db-migrate");
    CHECK(a->value == "db-migrate");
    CHECK(a->action_ts == "1724846455.482913");
    CHECK(a->response_url == "https://hooks.slack.com/actions/T0123ABCD45/7398125679999/Qa7Lk2Vn9Bx4Mc8Pz3Rt6Ws1");
    CHECK(a->trigger_id == "7398125679876.4181432155.0a1b2c3d4e5f60718293a4b5c6d7e8f9");
}

TEST_CASE("parse_block_action: ephemeral container, no channel object") {
    auto e = expect<envelope_frame>(parse_fixture("block_actions_ephemeral.json"));
    auto a = parse_block_action(e.payload);
    REQUIRE(a);
    CHECK(a->is_ephemeral);
    CHECK(a->channel_id == "C06DPLY0001");  // from container.channel_id
    CHECK(a->message_ts == "1724846500.000200");
    CHECK(a->action_id == "deploy.abort");
    CHECK(a->value == "prod");
}

TEST_CASE("parse_block_action: required fields and wrong types") {
    using boost::json::parse;
    CHECK_FALSE(parse_block_action(parse(R"({"user":{"id":"U1"},"actions":[]})").as_object()));
    CHECK_FALSE(parse_block_action(parse(R"({"user":{"id":"U1"},"actions":[{"value":"x"}]})").as_object()));
    CHECK_FALSE(parse_block_action(parse(R"({"user":{"id":"U1"},"actions":["x"]})").as_object()));
    CHECK_FALSE(parse_block_action(parse(R"({"actions":[{"action_id":"a"}]})").as_object()));
    CHECK_FALSE(parse_block_action(parse(R"({"user":"U1","actions":[{"action_id":"a"}]})").as_object()));

    auto a = parse_block_action(parse(R"({"user":{"id":"U1"},"container":7,"channel":null,
        "is_enterprise_install":"true","actions":[{"action_id":"a","value":3}]})").as_object());
    REQUIRE(a);
    CHECK(a->action_id == "a");
    CHECK(a->value.empty());
    CHECK(a->channel_id.empty());
    CHECK(a->message_ts.empty());
    CHECK_FALSE(a->is_ephemeral);

    // Select menus: value from selected_option.
    a = parse_block_action(parse(R"({"user":{"id":"U1"},"actions":[{"action_id":"env.pick","selected_option":{"value":"staging"}}]})").as_object());
    REQUIRE(a);
    CHECK(a->value == "staging");
}

TEST_CASE("parse_frame: view_submission") {
    auto e = expect<envelope_frame>(parse_fixture("view_submission.json"));
    CHECK(e.type == envelope_type::interactive);
    CHECK(e.accepts_response_payload);
    auto s = parse_view_submission(e.payload);
    REQUIRE(s);
    CHECK(s->user_id == "U07K3M2N8PQ");
    CHECK(s->view_id == "V07MODAL123");
    CHECK(s->callback_id == "hotfix.reason");
    CHECK(s->private_metadata == R"({"deploy_id":42})");
    const auto* reason = s->values.if_contains("reason");
    REQUIRE(reason);
    CHECK(reason->at("reason.input").at("value").as_string() == "checkout 500s");

    CHECK_FALSE(parse_view_submission(boost::json::parse(R"({"view":{"id":"V1"}})").as_object()));
    auto bare = parse_view_submission(boost::json::parse(R"({"user":{"id":"U1"},"view":[]})").as_object());
    REQUIRE(bare);
    CHECK(bare->view_id.empty());
    CHECK(bare->values.empty());
}

TEST_CASE("parse_frame: events_api first delivery and retry") {
    auto e = expect<envelope_frame>(parse_fixture("events_api.json"));
    CHECK(e.envelope_id == "d6a2b5c4-9e0f-4a1b-8c3d-4e5f6a7b8c93");
    CHECK(e.type == envelope_type::events_api);
    CHECK(e.retry_attempt == 0);
    CHECK(e.retry_reason.empty());
    CHECK(e.payload.at("event_id").as_string() == "Ev07ABCDEF12");

    auto r = expect<envelope_frame>(parse_fixture("events_api_retry.json"));
    CHECK(r.envelope_id == "e7b3c6d5-0f1a-4b2c-9d4e-5f6a7b8c9da4");
    CHECK(r.retry_attempt == 1);
    CHECK(r.retry_reason == "timeout");
    CHECK(r.payload.at("event_id").as_string() == "Ev07ABCDEF12");
}

TEST_CASE("parse_frame: unknown envelope type is still ackable") {
    auto e = expect<envelope_frame>(parse_fixture("unknown_envelope_type.json"));
    CHECK(e.type == envelope_type::unknown);
    CHECK(e.type_text == "options");
    CHECK(e.envelope_id == "0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d");
    CHECK(make_ack(e.envelope_id) == R"({"envelope_id":"0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"})");
}

TEST_CASE("parse_frame: garbage fixtures become invalid frames") {
    for (const char* name : {"garbage_truncated.json", "garbage_array.json", "garbage_string.json",
                             "garbage_no_envelope_id.json", "garbage_binary.json"}) {
        CAPTURE(name);
        auto inv = expect<invalid_frame>(parse_fixture(name));
        CHECK_FALSE(inv.reason.empty());
        CHECK_FALSE(inv.envelope_id);
    }
    // No type, but an envelope id: can still be acked.
    auto inv = expect<invalid_frame>(parse_fixture("garbage_no_type.json"));
    REQUIRE(inv.envelope_id);
    CHECK(*inv.envelope_id == "f8c4d7e6-1a2b-4c3d-8e5f-6a7b8c9d0eb5");
}

TEST_CASE("parse_frame: wrong field types are tolerated") {
    auto e = expect<envelope_frame>(parse_fixture("garbage_wrong_types.json"));
    CHECK(e.envelope_id == "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
    CHECK_FALSE(e.accepts_response_payload);
    CHECK(e.retry_attempt == std::numeric_limits<int>::max());  // 1e300 saturates
    CHECK(e.retry_reason.empty());
    CHECK_FALSE(parse_block_action(e.payload));

    auto h = expect<hello_frame>(parse_frame(
        R"({"type":"hello","num_connections":18446744073709551615,"debug_info":{"host":42,"approximate_connection_time":-9223372036854775808},"connection_info":null})"));
    CHECK(h.num_connections == std::numeric_limits<int>::max());
    CHECK(h.approximate_connection_time_s == std::numeric_limits<int>::min());
    CHECK(h.host.empty());
    CHECK(h.app_id.empty());

    auto p = expect<envelope_frame>(parse_frame(R"({"envelope_id":"x","type":"events_api","payload":[1,2],"retry_attempt":-5})"));
    CHECK(p.payload.empty());
    CHECK(p.retry_attempt == 0);
}

TEST_CASE("parse_frame: every fixture parses without throwing") {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(slack_fixtures)) {
        CAPTURE(entry.path().filename().string());
        std::ifstream in(entry.path(), std::ios::binary);
        std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        CHECK_NOTHROW((void)parse_frame(text));
        // Every prefix too: a frame cut anywhere is still handled.
        for (std::size_t n = 0; n < text.size(); n += 7) CHECK_NOTHROW((void)parse_frame(std::string_view(text).substr(0, n)));
        ++count;
    }
    CHECK(count >= 20);
}

TEST_CASE("parse_frame: odd inputs never throw") {
    const std::string_view inputs[] = {
        "", " ", "null", "true", "0", "-1e999", "{}", "{\"type\":null}", "{\"type\":\"\"}",
        "{\"type\":[]}", "{\"type\":\"hello\"}", "{\"type\":\"hello\",\"num_connections\":\"3\"}",
        "{\"type\":\"hello\",\"num_connections\":NaN}", "{\"envelope_id\":5,\"type\":\"events_api\"}",
        "{\"envelope_id\":\"\",\"type\":\"events_api\"}", "{\"a\":1,\"a\":2}", "\"\\ud800\"", "{\"type\":\"hello\"}}",
        std::string_view("{\"type\":\"he\0llo\"}", 17),
    };
    for (auto in : inputs) {
        CAPTURE(in);
        CHECK_NOTHROW((void)parse_frame(in));
    }
    CHECK(std::holds_alternative<invalid_frame>(parse_frame("")));
    CHECK(std::holds_alternative<invalid_frame>(parse_frame("{}")));
    CHECK(std::holds_alternative<invalid_frame>(parse_frame("{\"envelope_id\":5,\"type\":\"events_api\"}")));
    CHECK(expect<hello_frame>(parse_frame("{\"type\":\"hello\",\"num_connections\":\"3\"}")).num_connections == 3);

    // Deep nesting is rejected, not recursed into.
    std::string deep(100000, '[');
    CHECK(std::holds_alternative<invalid_frame>(parse_frame(deep)));
}

TEST_CASE("parse_frame: a 2 MB string value parses") {
    std::string big(2 * 1024 * 1024, 'x');
    std::string text = R"({"envelope_id":"6f1c2e4a-0b9d-4c51-9e3a-2d7b8f10a4c6","type":"slash_commands","payload":{"command":"/deploy","user_id":"U1","text":")" + big + "\"}}";
    auto e = expect<envelope_frame>(parse_frame(text));
    auto c = parse_slash_command(e.payload);
    REQUIRE(c);
    CHECK(c->text.size() == big.size());
}

TEST_CASE("make_ack: exact format and escaping") {
    CHECK(make_ack("6f1c2e4a-0b9d-4c51-9e3a-2d7b8f10a4c6") == R"({"envelope_id":"6f1c2e4a-0b9d-4c51-9e3a-2d7b8f10a4c6"})");
    CHECK(make_ack("") == R"({"envelope_id":""})");
    CHECK(make_ack("a\"b\\c\nd") == R"({"envelope_id":"a\"b\\c\nd"})");
    CHECK(make_ack(std::string_view("\x01", 1)) == R"({"envelope_id":"\u0001"})");
    // Round trip: what we send parses back to the same id.
    const std::string weird = "x\"}\t,{\"y";
    CHECK(boost::json::parse(make_ack(weird)).at("envelope_id").as_string() == weird);
}

TEST_CASE("make_restarting_ack: an envelope arriving during shutdown is answered, not dropped") {
    CHECK(make_restarting_ack("6f1c2e4a") ==
          R"({"envelope_id":"6f1c2e4a","payload":{"response_type":"ephemeral","text":"deploybot is restarting, try again in a moment."}})");
}
