// The log scrubber: redact, truncate_for_log and write's cap never crash, and
// what they let through holds no registered secret, no token, no newline.
#include "bot/log.hpp"
#include "fuzz_check.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace deploybot;

// Shapes chosen to collide with the token scanner: a quote or a comma ends a
// Bearer value, "xoxb-" starts a Slack token, "s3c!" is the shortest secret.
constexpr std::array<std::string_view, 5> secrets{"s3cr3t-vercel-token-value", "q\"uoted,secret", ",lead-comma",
                                                  "zz-xoxb-99", "s3c!"};

bool register_secrets() {
    for (auto s : secrets) log::add_secret(std::string(s));
    return true;
}

bool is_slack_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
}
bool is_alnum(char c) { return is_slack_char(c) && c != '-'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::size_t run(std::string_view s, std::size_t from, bool (*in_class)(char)) {
    std::size_t n = 0;
    while (from + n < s.size() && in_class(s[from + n])) ++n;
    return n;
}

// Independent of log.cpp's scanner: no token shape is left in scrubbed text.
// Allowed: "Bearer [redacted]" (the value was a secret starting with a quote or
// comma, so the Bearer shape itself did not match) and "Bearer …(+N bytes)"
// (write() cut a long blank run; the value was dropped).
void check_no_token(std::string_view out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] != 'x' && out[i] != 'g' && out[i] != 'B' && out[i] != 'b') continue;
        const std::string_view rest = out.substr(i);
        if (rest.size() > 4 && rest.starts_with("xox") && std::string_view("abposre").find(rest[3]) != rest.npos &&
            rest[4] == '-')
            FUZZ_CHECK(run(out, i + 5, is_slack_char) < 6);
        if (rest.starts_with("xapp-")) FUZZ_CHECK(run(out, i + 5, is_slack_char) < 6);
        if (rest.size() > 3 && rest.starts_with("gh") && std::string_view("pousr").find(rest[2]) != rest.npos &&
            rest[3] == '_')
            FUZZ_CHECK(run(out, i + 4, is_alnum) < 10);
        if (rest.starts_with("github_pat_"))
            FUZZ_CHECK(run(out, i + 11, [](char c) { return is_alnum(c) || c == '_'; }) < 10);
        if (rest.size() > 6 && (rest[0] == 'B' || rest[0] == 'b') && rest.substr(1, 5) == "earer") {
            const std::size_t blanks = run(out, i + 6, is_space);
            const std::size_t v = i + 6 + blanks;
            if (blanks > 0 && v < out.size() && !is_space(out[v]) && out[v] != '"' && out[v] != '\'' && out[v] != ',')
                FUZZ_CHECK(out.substr(v).starts_with("[redacted]") || out.substr(v).starts_with("\u2026(+"));
        }
    }
}

void check_scrubbed(std::string_view out) {
    FUZZ_CHECK(out.find('\n') == out.npos);
    FUZZ_CHECK(out.find('\r') == out.npos);
    for (auto s : secrets) FUZZ_CHECK(out.find(s) == out.npos);
    check_no_token(out);
}

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

void check_truncate(std::string_view text, std::size_t max_bytes) {
    const std::string out = log::truncate_for_log(text, max_bytes);
    if (text.size() <= max_bytes) {
        FUZZ_CHECK(out == text);
        return;
    }
    const std::size_t cut = out.rfind("\u2026(+");
    FUZZ_CHECK(cut != std::string::npos && cut <= max_bytes);
    FUZZ_CHECK(text.substr(0, cut) == std::string_view(out).substr(0, cut));
    FUZZ_CHECK(out.substr(cut) == "\u2026(+" + std::to_string(text.size() - cut) + " bytes)");
    if (is_valid_utf8(text)) FUZZ_CHECK(is_valid_utf8(out));
    // No secret is cut in two: each occurrence is wholly kept or wholly dropped.
    for (auto s : secrets)
        for (auto pos = text.find(s); pos != text.npos && pos < cut; pos = text.find(s, pos + 1))
            FUZZ_CHECK(pos + s.size() <= cut);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool registered = register_secrets();
    (void)registered;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    check_scrubbed(log::redact(text));

    check_truncate(text, 200);
    check_truncate(text, size / 2);
    check_truncate(text, size > 0 ? data[0] : 0);

    // write(): one capped, scrubbed line.
    static std::string line;
    static std::size_t lines = 0;
    static const bool sink_set = [] {
        log::set_sink([](std::string_view l) {
            line.assign(l);
            ++lines;
        });
        return true;
    }();
    (void)sink_set;
    const std::size_t before = lines;
    log::write(log::level::warn, "fuzz", text);
    FUZZ_CHECK(lines == before + 1);
    FUZZ_CHECK(line.size() <= log::max_message_bytes + 64);
    check_scrubbed(line);
    return 0;
}
