#pragma once
#include "bot/config.hpp"
#include "bot/context.hpp"
#include "bot/time_source.hpp"
#include "bot/slack/socket_mode.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace deploybot {

struct app_options {
    config cfg;
    secrets tokens;
    // Wall-clock time for schedules, watches and timers (tests and the sandbox
    // inject a fast_time); null = the system clock.
    std::shared_ptr<time_source> time;
    socket_mode_options socket;   // ws/tls fields are filled from cfg
    // Extension point run after the built-in routes are registered (extra
    // commands; tests use it to add deliberately slow handlers).
    std::function<void(bot_context&)> configure_routes;
    // The feature modules, built by the composition root (main.cpp: every
    // feature; tests: the same through deploybot::make_feature_modules).
    module_factory make_modules;
};

// The runtime on one io_context: store, HTTP client, Slack Web API, Socket
// Mode and the router; the features come in through app_options::make_modules.
class app {
public:
    app(boost::asio::io_context& ioc, app_options options);
    ~app();

    // Opens the store, connects, serves until stop() or an unrecoverable
    // condition. Returns the process exit code (0 on a clean stop).
    boost::asio::awaitable<int> run();
    void stop();

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace deploybot
