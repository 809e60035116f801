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

namespace {

// Every code point complete and well formed (no overlong / surrogate checks needed here).
bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

int formatted_count = 0;
struct counted_arg {};

}  // namespace

template <>
struct fmt::formatter<counted_arg> : fmt::formatter<std::string_view> {
    auto format(counted_arg, fmt::format_context& ctx) const {
        ++formatted_count;
        return fmt::formatter<std::string_view>::format("counted", ctx);
    }
};

TEST_CASE("log: redact survives huge token-shaped runs and still scrubs them") {
    for (const std::size_t n : {std::size_t{30000}, std::size_t{100000}}) {
        const std::string run(n, 'a');
        CHECK(log::redact("xoxb-" + run) == "[redacted]");
        CHECK(log::redact("Bearer " + run) == "[redacted]");
        CHECK(log::redact("bearer " + std::string(n, ' ') + "tok") == "[redacted]");
        CHECK(log::redact("a xapp-" + run + " b") == "a [redacted] b");
        CHECK(log::redact("ghp_" + run) == "[redacted]");
        CHECK(log::redact("github_pat_" + run) == "[redacted]");
        // Long runs that are not tokens stay as they are.
        CHECK(log::redact(run) == run);
        CHECK(log::redact("Bearer" + std::string(n, ' ')) == "Bearer" + std::string(n, ' '));
    }
}

TEST_CASE("log: each token shape starts at its minimum length") {
    for (const char c : std::string_view("abposre")) {
        const std::string prefix = std::string("xox") + c + "-";
        CHECK(log::redact(prefix + "12345-") == "[redacted]");
        CHECK(log::redact(prefix + "12345") == prefix + "12345");
    }
    CHECK(log::redact("xoxz-123456") == "xoxz-123456");
    CHECK(log::redact("xapp-1-2-3-") == "[redacted]");
    CHECK(log::redact("xapp-1-2-3") == "xapp-1-2-3");
    for (const char c : std::string_view("pousr")) {
        const std::string prefix = std::string("gh") + c + "_";
        CHECK(log::redact(prefix + "0123456789") == "[redacted]");
        CHECK(log::redact(prefix + "012345678") == prefix + "012345678");
        CHECK(log::redact(prefix + "01234_6789") == prefix + "01234_6789");  // '_' is not in the run
    }
    CHECK(log::redact("ghx_0123456789") == "ghx_0123456789");
    CHECK(log::redact("github_pat_01234_6789") == "[redacted]");
    CHECK(log::redact("github_pat_012345678") == "github_pat_012345678");
    CHECK(log::redact("bearer x") == "[redacted]");
    CHECK(log::redact("Bearer\tx") == "[redacted]");
    CHECK(log::redact("Bearer x") == "[redacted]");
    CHECK(log::redact("Bearer ") == "Bearer ");
    CHECK(log::redact("Bearerx") == "Bearerx");
    CHECK(log::redact("Bearer ,x") == "Bearer ,x");
    CHECK(log::redact("BEARER x") == "BEARER x");
}

TEST_CASE("log: a token ends where its character class ends") {
    CHECK(log::redact("xoxb-abcdef.ghi") == "[redacted].ghi");
    CHECK(log::redact("ghp_0123456789-rest") == "[redacted]-rest");
    CHECK(log::redact(R"({"auth":"Bearer abc","x":1})") == R"({"auth":"[redacted]","x":1})");
    CHECK(log::redact("'Bearer abc', next") == "'[redacted]', next");
    CHECK(log::redact("Bearer\nabc def") == "[redacted] def");
    CHECK(log::redact("prefixxoxb-123456") == "prefix[redacted]");
    CHECK(log::redact("Bearer caf\xC3\xA9 ok") == "[redacted] ok");
}

TEST_CASE("log: a secret that overlaps a token shape leaves nothing behind") {
    log::add_secret("abc,def-overlap-secret");
    // The Bearer shape stops at the comma; the secret covers the rest.
    CHECK(log::redact("Bearer abc,def-overlap-secret tail") == "[redacted] tail");
    log::add_secret("zz-xoxb-99");
    CHECK(log::redact("x zz-xoxb-99887766 y") == "x [redacted] y");
    log::add_secret("first-adjacent");
    log::add_secret("second-adjacent");
    CHECK(log::redact("first-adjacentsecond-adjacent") == "[redacted][redacted]");
    CHECK(log::redact("abc") == "abc");
}

TEST_CASE("log: truncate_for_log cuts on a UTF-8 boundary") {
    CHECK(log::truncate_for_log("short") == "short");
    CHECK(log::truncate_for_log(std::string(200, 'a')) == std::string(200, 'a'));
    CHECK(log::truncate_for_log(std::string(205, 'a')) == std::string(200, 'a') + "\u2026(+5 bytes)");
    CHECK(log::truncate_for_log("", 0) == "");
    CHECK(log::truncate_for_log("ab", 0) == "\u2026(+2 bytes)");

    const std::string euro = "ab\xE2\x82\xAC" "cd";   // € is 3 bytes
    CHECK(log::truncate_for_log(euro, 2) == "ab\u2026(+5 bytes)");
    CHECK(log::truncate_for_log(euro, 3) == "ab\u2026(+5 bytes)");
    CHECK(log::truncate_for_log(euro, 4) == "ab\u2026(+5 bytes)");
    CHECK(log::truncate_for_log(euro, 5) == "ab\xE2\x82\xAC\u2026(+2 bytes)");

    const std::string emoji = "\xF0\x9F\x98\x80";   // 😀 is 4 bytes
    std::string text;
    for (int i = 0; i < 100; ++i) text += emoji + "\xC3\xA9";   // é is 2 bytes
    for (std::size_t max = 0; max < 40; ++max) {
        const auto out = log::truncate_for_log(text, max);
        CHECK(is_valid_utf8(out));
        CHECK(out.size() <= max + std::string_view("\u2026(+600 bytes)").size());
        CHECK(out.ends_with(fmt::format("\u2026(+{} bytes)", text.size() - out.find("\u2026"))));
    }
}

TEST_CASE("log: truncate_for_log drops a token or secret that straddles the cut") {
    CHECK(log::truncate_for_log("see xoxb-1234567890abcdef", 10) == "see \u2026(+21 bytes)");
    CHECK(log::truncate_for_log("Bearer " + std::string(30000, 'a'), 200) == "\u2026(+30007 bytes)");
    log::add_secret("vercel-token-without-a-shape");
    CHECK(log::truncate_for_log("key vercel-token-without-a-shape!", 12) == "key \u2026(+29 bytes)");
    // A token that ends before the cut is kept (write() redacts it later).
    CHECK(log::truncate_for_log("xoxb-123456 then more text", 12) == "xoxb-123456 \u2026(+14 bytes)");
}

TEST_CASE("log: write caps one message and redacts what it keeps") {
    std::vector<std::string> lines;
    log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
    log::info("test", "{}", std::string(100000, 'a'));
    log::info("test", "{} xoxb-{}", std::string(log::max_message_bytes - 4, 'a'), std::string(50000, 'b'));
    log::info("test", "Bearer {}", std::string(100000, 'c'));
    log::info("test", "{}\n{}", std::string(log::max_message_bytes, 'd'), "tail");
    log::set_sink(nullptr);
    REQUIRE(lines.size() == 4);
    for (const auto& line : lines) {
        CHECK(line.size() < log::max_message_bytes + 100);
        CHECK(line.find('\n') == std::string::npos);
    }
    CHECK(lines[0].ends_with(std::string(100, 'a') + "\u2026(+" + std::to_string(100000 - log::max_message_bytes) +
                             " bytes)"));
    CHECK(lines[1].find("xoxb") == std::string::npos);
    CHECK(lines[1].find("bbb") == std::string::npos);
    CHECK(lines[1].ends_with("a \u2026(+50005 bytes)"));
    CHECK(lines[2].find("ccc") == std::string::npos);
    CHECK(lines[2].ends_with(" INFO test: \u2026(+100007 bytes)"));
    CHECK(lines[3].ends_with("d\u2026(+5 bytes)"));
}

TEST_CASE("log: lines below the minimum level are never formatted") {
    std::vector<std::string> lines;
    log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
    formatted_count = 0;
    log::set_min_level(log::level::info);
    CHECK_FALSE(log::enabled(log::level::debug));
    CHECK(log::enabled(log::level::info));
    log::debug("test", "{}", counted_arg{});
    CHECK(formatted_count == 0);
    log::set_min_level(log::level::debug);
    log::debug("test", "{}", counted_arg{});
    CHECK(formatted_count == 1);
    log::set_min_level(log::level::error);
    log::warn("test", "{}", counted_arg{});
    CHECK(formatted_count == 1);
    log::set_min_level(log::level::info);
    log::set_sink(nullptr);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("DEBUG test: counted") != std::string::npos);
}
