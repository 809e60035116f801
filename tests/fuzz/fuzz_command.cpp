// Slash command text and interactive payloads. The input is either a payload
// object (slash command, block_actions, view_submission) whose command and
// text go on to parse_command, or "<command>\n<text>" for parse_command alone.
#include "bot/core/command.hpp"
#include "bot/core/envelope.hpp"
#include "fuzz_check.hpp"

#include <boost/json/parse.hpp>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace deploybot;

namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

void check_command(std::string_view command, std::string_view text) {
    const command_request r = parse_command(command, text);
    if (!r.args.empty()) {
        FUZZ_CHECK(!is_space(r.args.front()));
        FUZZ_CHECK(!is_space(r.args.back()));
    }
    FUZZ_CHECK(r.args.size() <= text.size());
    FUZZ_CHECK(r.word.size() <= text.size() + command.size());
    for (char c : r.word) FUZZ_CHECK(!std::isupper(static_cast<unsigned char>(c)));
    if (r.unknown) FUZZ_CHECK(r.sub == subcommand::help);
    FUZZ_CHECK(!to_string(r.sub).empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const auto nl = input.find('\n');
    if (nl == input.npos) check_command(input, {});
    else check_command(input.substr(0, nl), input.substr(nl + 1));

    boost::json::parse_options opts;
    opts.max_depth = 64;   // as parse_frame
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(input, ec, {}, opts);
    if (ec || !v.is_object()) return 0;
    const auto& payload = v.get_object();
    if (const auto c = parse_slash_command(payload)) {
        FUZZ_CHECK(!c->command.empty() && !c->user_id.empty());
        check_command(c->command, c->text);
    }
    if (const auto a = parse_block_action(payload)) FUZZ_CHECK(!a->user_id.empty() && !a->action_id.empty());
    if (const auto s = parse_view_submission(payload)) FUZZ_CHECK(!s->user_id.empty());
    return 0;
}
