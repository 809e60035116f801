#include "bot/log.hpp"
#include "bot/log_format.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace deploybot;

namespace {

// Restores text lines and stderr whatever the test does.
struct json_lines {
    std::vector<std::string> lines;
    json_lines() {
        log::set_format(log::format::json);
        log::set_sink([this](std::string_view line) { lines.emplace_back(line); });
    }
    ~json_lines() {
        log::set_sink(nullptr);
        log::set_format(log::format::text);
    }
};

}  // namespace

TEST_CASE("log json: one object per line with ts, level, component and msg") {
    json_lines out;
    log::warn("socket", "connection {} lost: {}", 3, "end of stream");
    REQUIRE(out.lines.size() == 1);
    const auto v = boost::json::parse(out.lines[0]);
    REQUIRE(v.is_object());
    const auto& o = v.as_object();
    CHECK(o.size() == 4);
    CHECK(o.at("level").as_string() == "warn");
    CHECK(o.at("component").as_string() == "socket");
    CHECK(o.at("msg").as_string() == "connection 3 lost: end of stream");
    const std::string ts(o.at("ts").as_string());
    CHECK(ts.size() == 24);   // 2026-01-06T03:00:00.123Z
    CHECK(ts[10] == 'T');
    CHECK(ts.back() == 'Z');
}

TEST_CASE("log json: secrets are scrubbed, quotes, control characters and newlines escaped") {
    json_lines out;
    log::add_secret("json-registered-secret-77");
    log::error("app", "quote \" backslash \\ tab \t bell \x07 token {} and {}\nnext", "xoxb-111222333-abcdefgh",
               "json-registered-secret-77");
    REQUIRE(out.lines.size() == 1);
    const auto& line = out.lines[0];
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find("xoxb-") == std::string::npos);
    CHECK(line.find("json-registered-secret-77") == std::string::npos);
    const auto v = boost::json::parse(line);
    const std::string msg(v.at("msg").as_string());
    CHECK(msg.find("quote \" backslash \\ tab \t bell \x07 token [redacted] and [redacted]") == 0);
    CHECK(v.at("level").as_string() == "error");
}

TEST_CASE("log json: invalid UTF-8 becomes U+FFFD so the line stays valid JSON") {
    const std::string bad = std::string("caf\xC3") + "!" + "\xFF\xFE" + " ok \xE2\x82\xAC";
    const auto line = log::render_json_line("2026-01-06T03:00:00.000Z", log::level::info, "router", bad);
    const auto v = boost::json::parse(line);
    CHECK(v.at("msg").as_string() == "caf\xEF\xBF\xBD!\xEF\xBF\xBD\xEF\xBF\xBD ok \xE2\x82\xAC");
    CHECK(v.at("ts").as_string() == "2026-01-06T03:00:00.000Z");
}

TEST_CASE("log json: text stays the default format") {
    std::vector<std::string> lines;
    log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
    log::info("app", "plain");
    log::set_sink(nullptr);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(" INFO app: plain") != std::string::npos);
    CHECK(lines[0].front() != '{');
}
