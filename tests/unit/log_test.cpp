#include "bot/log.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace deploybot;

TEST_CASE("log: redact scrubs a registered secret") {
    log::add_secret("s3cr3t-vercel-token-value");
    const auto out = log::redact("calling vercel with s3cr3t-vercel-token-value now");
    CHECK(out == "calling vercel with [redacted] now");
}

TEST_CASE("log: redact scrubs token shapes it was never told about") {
    CHECK(log::redact("bot xoxb-1234567890-abcdefABCDEF end") == "bot [redacted] end");
    CHECK(log::redact("app xapp-1-A05QWERTY78-123-abc end") == "app [redacted] end");
    CHECK(log::redact("gh ghp_abcdefghijklmnop0123 end") == "gh [redacted] end");
    CHECK(log::redact("Authorization: Bearer abc.def-123 end") == "Authorization: [redacted] end");
    CHECK(log::redact("plain text stays") == "plain text stays");
}

TEST_CASE("log: redact joins lines") {
    CHECK(log::redact("a\nb\r\nc") == "a b  c");
}

TEST_CASE("log: a line written through info has no token and no newline") {
    std::vector<std::string> lines;
    log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
    log::add_secret("registered-secret-42");
    log::info("test", "token {} and {}\nsecond line {}", "xoxb-999888777-zzzzyyyy", "registered-secret-42",
              "Bearer xapp-1-AAA-BBB-CCC");
    log::set_sink(nullptr);
    REQUIRE(lines.size() == 1);
    const auto& line = lines[0];
    CHECK(line.find("xoxb-") == std::string::npos);
    CHECK(line.find("xapp-") == std::string::npos);
    CHECK(line.find("registered-secret-42") == std::string::npos);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
    CHECK(line.find(" INFO test: token [redacted] and [redacted] second line [redacted]") != std::string::npos);
}

TEST_CASE("log: lines below the minimum level are dropped") {
    std::vector<std::string> lines;
    log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
    log::set_min_level(log::level::warn);
    log::info("test", "dropped");
    log::warn("test", "kept {}", 1);
    log::set_min_level(log::level::info);
    log::set_sink(nullptr);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("WARN test: kept 1") != std::string::npos);
}
