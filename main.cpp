#include "bot/app.hpp"
#include "bot/config.hpp"
#include "bot/net/http_client.hpp"
#include "bot/log.hpp"
#include "bot/log_format.hpp"
#include "bot/slack/slack_api.hpp"
#include "commands/modules.hpp"
#ifdef DEPLOYBOT_WITH_SANDBOX
#include "sandbox/sandbox.hpp"
#endif

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

using namespace deploybot;

void usage() {
    std::fprintf(stderr,
                 "usage: deploybot --config PATH          run the bot\n"
                 "       deploybot check --config PATH    validate config and environment (and tokens)\n"
                 "       deploybot sandbox [--port N] [--storage PATH]\n"
                 "                                        the bot against built-in local services, no tokens needed\n");
}

void print_problems(const std::vector<config_problem>& problems) {
    for (const auto& p : problems) std::fprintf(stderr, "%s\n", log::redact(p.to_string()).c_str());
}

// `check`: the config, storage.path (read only) and environment, then (given
// tokens) auth.test and apps.connections.open.
int run_check(const config& cfg, const secrets& tokens) {
    auto problems = check_storage_path(cfg);
    for (auto& p : validate_secrets(tokens)) problems.push_back(std::move(p));
    print_problems(problems);
    if (tokens.slack_bot_token.empty() && tokens.slack_app_token.empty()) return problems.empty() ? 0 : 1;
    boost::asio::io_context ioc;
    int failures = static_cast<int>(problems.size());
    http_client_options ho;
    ho.timeout = cfg.http.timeout;
    ho.tls.ca_file = cfg.tls.ca_file;
    http_client http(ioc.get_executor(), ho);
    slack_api slack(ioc.get_executor(), http,
                    slack_api_options{cfg.slack.api_url, tokens.slack_bot_token, tokens.slack_app_token});
    auto checks = [&]() -> boost::asio::awaitable<void> {
        if (!tokens.slack_bot_token.empty()) {
            auto who = co_await slack.auth_test();
            if (who) std::fprintf(stderr, "SLACK_BOT_TOKEN: ok (bot %s, team %s)\n", who->user_id.c_str(), who->team_id.c_str());
            else {
                ++failures;
                std::fprintf(stderr, "SLACK_BOT_TOKEN: auth.test failed: %s\n", log::redact(who.error().to_string()).c_str());
            }
        }
        if (!tokens.slack_app_token.empty()) {
            auto url = co_await slack.connections_open();
            if (url) std::fprintf(stderr, "SLACK_APP_TOKEN: ok (apps.connections.open returned a Socket Mode URL)\n");
            else {
                ++failures;
                std::fprintf(stderr, "SLACK_APP_TOKEN: apps.connections.open failed: %s\n",
                             log::redact(url.error().to_string()).c_str());
            }
        }
    };
    boost::asio::co_spawn(ioc, checks(), [&](std::exception_ptr e) {
        if (e) ++failures;
    });
    ioc.run();
    return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "sandbox") == 0) {
#ifdef DEPLOYBOT_WITH_SANDBOX
        return sandbox::run(argc - 1, argv + 1);
#else
        std::fprintf(stderr, "this deploybot was built without the sandbox (cmake -DDEPLOYBOT_SANDBOX=OFF)\n");
        return 1;
#endif
    }
    std::string config_path;
    bool check = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "check") check = true;
        else if (a == "--config" && i + 1 < argc) config_path = argv[++i];
        else if (a.rfind("--config=", 0) == 0) config_path = a.substr(9);
        else if (a == "--help" || a == "-h") {
            usage();
            return 0;
        } else {
            std::fprintf(stderr, "unknown argument: %s\n", a.c_str());
            usage();
            return 1;
        }
    }
    if (config_path.empty()) {
        usage();
        return 1;
    }
    auto loaded = load_config_file(config_path);
    auto tokens = read_secrets([](const char* name) { return std::getenv(name); });
    for (const auto* t : {&tokens.slack_app_token, &tokens.slack_bot_token, &tokens.github_token,
                          &tokens.vercel_token, &tokens.sentry_token})
        log::add_secret(*t);
    if (!loaded.problems.empty()) {
        print_problems(loaded.problems);
        if (check) run_check(loaded.cfg, tokens);
        return 1;
    }
    if (loaded.cfg.log.format == config::log_t::format_t::json) log::set_format(log::format::json);
    if (check) {
        const int rc = run_check(loaded.cfg, tokens);
        if (rc == 0) std::fprintf(stderr, "config %s: ok\n", config_path.c_str());
        return rc;
    }
    if (auto problems = validate_secrets(tokens); !problems.empty()) {
        std::fprintf(stderr, "deploybot needs its tokens in the environment before it can start:\n");
        print_problems(problems);
        std::fprintf(stderr, "See README.md \"Create the Slack app\" for where each token comes from.\n");
        return 1;
    }

    boost::asio::io_context ioc(1);
    app_options options;
    options.cfg = std::move(loaded.cfg);
    options.tokens = std::move(tokens);
    // The composition root: the runtime (bot/) gets the features (commands/) here.
    options.make_modules = make_feature_modules;
    deploybot::app bot(ioc, std::move(options));
    int exit_code = 1;
    boost::asio::co_spawn(ioc, bot.run(), [&](std::exception_ptr e, int rc) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log::error("app", "fatal: {}", ex.what());
            }
            rc = 1;
        }
        exit_code = rc;
        ioc.stop();
    });
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    boost::asio::steady_timer exit_deadline(ioc);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        log::info("app", "received {}; shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
        bot.stop();
        // The closing handshake is bounded; this guarantees the 5 s promise regardless.
        exit_deadline.expires_after(std::chrono::milliseconds(4500));
        exit_deadline.async_wait([&](boost::system::error_code tec) {
            if (tec) return;
            log::warn("app", "shutdown took too long; exiting");
            exit_code = 0;
            ioc.stop();
        });
    });
    ioc.run();
    return exit_code;
}
