// Socket Mode frames: parse_frame never throws or crashes on any text, and the
// payload parsers accept whatever object an envelope carries.
#include "bot/core/envelope.hpp"
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

using namespace deploybot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const frame f = parse_frame(text);
    if (const auto* e = std::get_if<envelope_frame>(&f)) {
        FUZZ_CHECK(!e->envelope_id.empty());
        FUZZ_CHECK(e->retry_attempt >= 0);
        // Our ack names the same envelope when read back.
        const frame ack = parse_frame(make_ack(e->envelope_id));
        const auto* inv = std::get_if<invalid_frame>(&ack);
        FUZZ_CHECK(inv && inv->envelope_id && *inv->envelope_id == e->envelope_id);
        (void)parse_slash_command(e->payload);
        (void)parse_block_action(e->payload);
        (void)parse_view_submission(e->payload);
    } else if (const auto* inv = std::get_if<invalid_frame>(&f)) {
        FUZZ_CHECK(!inv->reason.empty());
        FUZZ_CHECK(!inv->envelope_id || !inv->envelope_id->empty());
    }
    return 0;
}
