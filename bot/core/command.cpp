#include "bot/core/command.hpp"

#include <array>
#include <cctype>
#include <utility>

namespace deploybot {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

constexpr std::array<std::pair<std::string_view, subcommand>, 12> words{{
    {"help", subcommand::help},
    {"prod", subcommand::prod},
    {"production", subcommand::prod},
    {"status", subcommand::status},
    {"history", subcommand::history},
    {"cancel", subcommand::cancel},
    {"rollback", subcommand::rollback},
    {"hotfix", subcommand::hotfix},
    {"lock", subcommand::lock},
    {"unlock", subcommand::unlock},
    {"override", subcommand::override_window},
    {"stats", subcommand::stats},
}};

}  // namespace

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

command_request parse_command(std::string_view command, std::string_view text) {
    command_request out;
    const auto name = lower(trim(command));
    text = trim(text);
    // The aliases take everything after the command as their arguments.
    if (name == "/rollback" || name == "/hotfix") {
        out.sub = name == "/rollback" ? subcommand::rollback : subcommand::hotfix;
        out.word = name.substr(1);
        out.args = std::string(text);
        return out;
    }
    if (text.empty()) return out;

    std::size_t end = 0;
    while (end < text.size() && !is_space(text[end])) ++end;
    out.word = lower(text.substr(0, end));
    out.args = std::string(trim(text.substr(end)));
    for (const auto& [w, sub] : words) {
        if (w == out.word) {
            out.sub = sub;
            return out;
        }
    }
    out.sub = subcommand::help;
    out.unknown = true;
    return out;
}

std::string_view to_string(subcommand s) {
    switch (s) {
    case subcommand::help: return "help";
    case subcommand::prod: return "prod";
    case subcommand::status: return "status";
    case subcommand::history: return "history";
    case subcommand::cancel: return "cancel";
    case subcommand::rollback: return "rollback";
    case subcommand::hotfix: return "hotfix";
    case subcommand::lock: return "lock";
    case subcommand::unlock: return "unlock";
    case subcommand::override_window: return "override";
    case subcommand::stats: return "stats";
    }
    return "help";
}

}  // namespace deploybot
