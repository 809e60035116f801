#include "sandbox/sandbox.hpp"

#include "bot/app.hpp"
#include "bot/log.hpp"
#include "commands/modules.hpp"
#include "sandbox/sandbox_page.hpp"
#include "sandbox/sandbox_world.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace deploybot::sandbox {

namespace {

void usage() {
    std::fprintf(stderr,
                 "usage: deploybot sandbox [--port N] [--storage PATH]\n"
                 "  Runs the bot against built-in local Slack, GitHub, Vercel and Sentry and serves\n"
                 "  a #deployments page at http://127.0.0.1:N/ (default 8080; 0 picks a free port).\n"
                 "  Storage goes to a temporary file unless --storage names one.\n");
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(v);
}

// A temporary directory removed when the sandbox ends.
struct temp_dir {
    std::string path;
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "deploybot-sandbox-XXXXXX").string();
        if (mkdtemp(tmpl.data())) path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
};

}  // namespace

int run(int argc, char** argv) {
    std::uint16_t port = 8080;
    std::string storage;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        std::string value;
        auto takes = [&](std::string_view name) {
            if (a == name && i + 1 < argc) {
                value = argv[++i];
                return true;
            }
            if (a.starts_with(std::string(name) + "=")) {
                value = a.substr(name.size() + 1);
                return true;
            }
            return false;
        };
        if (takes("--port")) {
            auto p = parse_port(value);
            if (!p) {
                std::fprintf(stderr, "--port: expected a number from 0 to 65535\n");
                return 1;
            }
            port = *p;
        } else if (takes("--storage")) {
            storage = value;
        } else if (a == "--help" || a == "-h") {
            usage();
            return 0;
        } else {
            std::fprintf(stderr, "unknown argument: %s\n", a.c_str());
            usage();
            return 1;
        }
    }

    temp_dir tmp;
    if (storage.empty()) {
        if (tmp.path.empty()) {
            std::fprintf(stderr, "cannot create a temporary directory for the storage; give --storage PATH\n");
            return 1;
        }
        storage = tmp.path + "/deploybot.sqlite3";
    }

    world w;
    std::unique_ptr<page_server> page;
    try {
        page = std::make_unique<page_server>(w, port);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cannot listen on 127.0.0.1:%u (%s); pick another with --port N\n", port, e.what());
        return 1;
    }

    boost::asio::io_context ioc(1);
    app_options options = w.bot_options(storage);
    options.make_modules = make_feature_modules;   // exactly as main.cpp composes the bot
    for (const auto* t : {&options.tokens.slack_app_token, &options.tokens.slack_bot_token,
                          &options.tokens.github_token, &options.tokens.vercel_token, &options.tokens.sentry_token})
        log::add_secret(*t);
    app bot(ioc, std::move(options));
    int exit_code = 1;
    boost::asio::co_spawn(ioc, bot.run(), [&](std::exception_ptr e, int rc) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log::error("sandbox", "fatal: {}", ex.what());
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
        log::info("sandbox", "received {}; shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
        bot.stop();
        exit_deadline.expires_after(std::chrono::milliseconds(4500));
        exit_deadline.async_wait([&](boost::system::error_code tec) {
            if (tec) return;
            exit_code = 0;
            ioc.stop();
        });
    });

    page->run();
    std::printf("deploybot sandbox: open http://127.0.0.1:%u/ (storage %s; Ctrl-C stops it)\n", page->port(),
                storage.c_str());
    std::fflush(stdout);
    ioc.run();
    page->stop();
    return exit_code;
}

}  // namespace deploybot::sandbox
