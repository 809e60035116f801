#pragma once
#include <string>
#include <string_view>

namespace deploybot {

enum class subcommand { help, prod, status, history, cancel, rollback, hotfix, lock, unlock, override_window, stats };

struct command_request {
    subcommand sub = subcommand::help;
    std::string args;        // rest of the text after the subcommand, trimmed
    bool unknown = false;    // text named no known subcommand (→ help)
    std::string word;        // the subcommand word as typed (lowercased)
};

// Pure: "/deploy prod" → prod; "/deploy" or "/deploy nonsense" → help (unknown
// flagged); "/rollback <reason>" → rollback with args; "/hotfix 123 why" → hotfix.
command_request parse_command(std::string_view command, std::string_view text);

std::string_view to_string(subcommand s);

// Pure: `s` without leading and trailing white space (std::isspace).
std::string_view trim(std::string_view s);

}  // namespace deploybot
