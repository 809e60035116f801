#include "bot/log.hpp"
#include "commands/bot_context.hpp"

#include <fmt/format.h>

#include <array>
#include <optional>

namespace deploybot {

std::string format_duration(std::chrono::seconds d) {
    auto s = d.count();
    if (s < 0) s = 0;
    const long long days = s / 86400, hours = (s % 86400) / 3600, mins = (s % 3600) / 60, secs = s % 60;
    if (days > 0) return fmt::format("{} d {} h", days, hours);
    if (hours > 0) return fmt::format("{} h {} min", hours, mins);
    if (mins > 0) return fmt::format("{} min {} s", mins, secs);
    return fmt::format("{} s", secs);
}

namespace {

struct help_line {
    subcommand sub;
    const char* usage;
    const char* what;
};

constexpr std::array help_lines{
    help_line{subcommand::prod, "/deploy prod", "open the production checklist for what is on staging"},
    help_line{subcommand::status, "/deploy status", "production, staging, the active request, lock and next window"},
    help_line{subcommand::history, "/deploy history [n]", "the last n production deploys"},
    help_line{subcommand::cancel, "/deploy cancel", "cancel the active request (requester or admin)"},
    help_line{subcommand::rollback, "/deploy rollback [reason]",
              "show what production goes back to, then roll back with one click (Vercel instant rollback; opens a "
              "post-mortem issue)"},
    help_line{subcommand::hotfix, "/deploy hotfix <branch|PR> <reason>",
              "emergency lane straight to production: one approval by someone else and green CI, then Deploy hotfix"},
    help_line{subcommand::lock, "/deploy lock <reason>", "freeze production deploys (admins)"},
    help_line{subcommand::unlock, "/deploy unlock", "lift the freeze (admins)"},
    help_line{subcommand::override_window, "/deploy override <reason>",
              "let the active request deploy outside the window (admins, reason recorded)"},
    help_line{subcommand::stats, "/deploy stats [days]",
              "deploy frequency, lead time, change failure rate and time to restore over the last days (default 30), "
              "against the period before"},
    help_line{subcommand::help, "/deploy help", "this list"},
};

blocks::message render_help(const router& routes, const command_request& req) {
    std::string lines;
    for (const auto& l : help_lines) {
        const bool built = l.sub == subcommand::help || routes.has_command(l.sub);
        lines += fmt::format("• `{}` — {}{}\n", l.usage, l.what, built ? "" : " _(coming soon)_");
    }
    blocks::message m;
    std::string intro = "*deploybot* runs our deployment process from this channel.";
    if (req.unknown && !req.word.empty())
        intro = fmt::format("I don't know `{}`. Here is what I can do:", blocks::escape(req.word));
    m.text = "deploybot commands: /deploy prod, status, history, cancel, rollback, hotfix, lock, unlock, override, stats, help";
    m.blocks.push_back(blocks::section(intro, "help.intro"));
    m.blocks.push_back(blocks::section(lines, "help.commands"));
    m.blocks.push_back(blocks::context({"Aliases: `/rollback` = `/deploy rollback`, `/hotfix` = `/deploy hotfix`"},
                                       "help.aliases"));
    m.blocks.push_back(blocks::context({"After every go-live I watch Sentry for an hour: progress in the deploy's "
                                        "thread, an alert with *Roll back* / *Looks fine* on an error spike, and a "
                                        "verdict (stable, regressed, partly observed) at the end."},
                                       "help.watch"));
    return m;
}

}  // namespace

blocks::message render_basic_status(const bot_context& ctx) {
    const auto st = ctx.socket_status();
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(ctx.clock() - ctx.started_at);
    std::string conn = fmt::format("{}", to_string(st.state));
    if (st.state == connection_state::connected) {
        const auto since = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() -
                                                                            st.connected_since);
        conn += fmt::format(" for {} ({} Socket Mode connection(s), {} reconnect(s))", format_duration(since),
                            st.num_connections, st.reconnects);
    }
    blocks::message m;
    m.text = fmt::format("deploybot {} — up {}, {}", DEPLOYBOT_VERSION, format_duration(uptime), to_string(st.state));
    m.blocks.push_back(blocks::section(fmt::format("*deploybot {}*\nUptime: {}\nSlack connection: {}",
                                                   DEPLOYBOT_VERSION, format_duration(uptime), conn),
                                       "status.bot"));
    return m;
}

void register_basic_commands(bot_context& ctx) {
    // The plain help is the same for everyone once the modules have registered
    // their routes (before the first envelope): rendered once, on first use.
    ctx.routes.on_instant_command(subcommand::help, [&ctx, plain = std::optional<blocks::message>()](
                                                        const slash_command&, const command_request& req) mutable {
        if (req.unknown) return render_help(ctx.routes, req);
        if (!plain) plain = render_help(ctx.routes, req);
        return *plain;
    });
    if (!ctx.routes.has_command(subcommand::status)) {
        ctx.routes.on_instant_command(subcommand::status, [&ctx](const slash_command&, const command_request&) {
            return render_basic_status(ctx);
        });
    }
}

}  // namespace deploybot
