#include "bot/core/command.hpp"

#include <doctest/doctest.h>

using namespace deploybot;

TEST_CASE("command: each /deploy subcommand") {
    struct row {
        const char* text;
        subcommand sub;
        const char* args;
    };
    for (const auto& r : {row{"prod", subcommand::prod, ""}, row{"status", subcommand::status, ""},
                          row{"history", subcommand::history, ""}, row{"cancel", subcommand::cancel, ""},
                          row{"rollback", subcommand::rollback, ""},
                          row{"rollback 500s on checkout", subcommand::rollback, "500s on checkout"},
                          row{"hotfix 123 payment fails", subcommand::hotfix, "123 payment fails"},
                          row{"hotfix fix/login-loop users locked out", subcommand::hotfix,
                              "fix/login-loop users locked out"},
                          row{"lock db maintenance", subcommand::lock, "db maintenance"},
                          row{"unlock", subcommand::unlock, ""}, row{"help", subcommand::help, ""},
                          row{"stats", subcommand::stats, ""}, row{"stats 90", subcommand::stats, "90"}}) {
        CAPTURE(r.text);
        const auto c = parse_command("/deploy", r.text);
        CHECK(c.sub == r.sub);
        CHECK(c.args == r.args);
        CHECK_FALSE(c.unknown);
        CHECK(c.word == to_string(r.sub));
    }
}

TEST_CASE("command: case-insensitive subcommand, extra whitespace tolerated") {
    const auto c = parse_command("/deploy", "  \tPROD   ");
    CHECK(c.sub == subcommand::prod);
    CHECK(c.word == "prod");
    CHECK(c.args.empty());
    CHECK_FALSE(c.unknown);

    const auto l = parse_command("/deploy", "Lock \t  Release   freeze  \n");
    CHECK(l.sub == subcommand::lock);
    CHECK(l.args == "Release   freeze");   // arguments keep their case and inner spacing
}

TEST_CASE("command: empty text is help, unknown text is help flagged unknown") {
    const auto empty = parse_command("/deploy", "");
    CHECK(empty.sub == subcommand::help);
    CHECK_FALSE(empty.unknown);
    CHECK(empty.word.empty());

    const auto blank = parse_command("/deploy", "   ");
    CHECK(blank.sub == subcommand::help);
    CHECK_FALSE(blank.unknown);

    const auto unknown = parse_command("/deploy", "Staging now");
    CHECK(unknown.sub == subcommand::help);
    CHECK(unknown.unknown);
    CHECK(unknown.word == "staging");
    CHECK(unknown.args == "now");
}

TEST_CASE("command: /rollback and /hotfix are aliases taking the whole text") {
    const auto rb = parse_command("/rollback", "  checkout broken ");
    CHECK(rb.sub == subcommand::rollback);
    CHECK(rb.args == "checkout broken");
    CHECK_FALSE(rb.unknown);

    const auto rb_empty = parse_command("/rollback", "");
    CHECK(rb_empty.sub == subcommand::rollback);
    CHECK(rb_empty.args.empty());

    const auto hf = parse_command("/hotfix", "123 payment fails");
    CHECK(hf.sub == subcommand::hotfix);
    CHECK(hf.args == "123 payment fails");
    CHECK(hf.word == "hotfix");
}

TEST_CASE("command: to_string names every subcommand") {
    CHECK(to_string(subcommand::help) == "help");
    CHECK(to_string(subcommand::prod) == "prod");
    CHECK(to_string(subcommand::status) == "status");
    CHECK(to_string(subcommand::history) == "history");
    CHECK(to_string(subcommand::cancel) == "cancel");
    CHECK(to_string(subcommand::rollback) == "rollback");
    CHECK(to_string(subcommand::hotfix) == "hotfix");
    CHECK(to_string(subcommand::lock) == "lock");
    CHECK(to_string(subcommand::unlock) == "unlock");
}
