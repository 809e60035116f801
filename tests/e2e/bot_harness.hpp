#pragma once
// Runs a real deploybot app in-process on its own thread and io_context,
// pointed at local fakes; captures every log line.
#include "bot/app.hpp"
#include "commands/modules.hpp"
#include "bot/log.hpp"
#include "fakes/fake_server.hpp"
#include "fakes/fake_slack.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace deploybot::testing {

using namespace std::chrono_literals;

// Captures log lines for the lifetime of the object.
class log_capture {
public:
    log_capture() {
        log::set_min_level(log::level::debug);
        const bool echo = std::getenv("DEPLOYBOT_TEST_LOG") != nullptr;   // debugging aid
        log::set_sink([this, echo](std::string_view line) {
            if (echo) std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
            std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
            changed_.notify_all();
        });
    }
    ~log_capture() {
        log::set_sink(nullptr);
        log::set_min_level(log::level::info);
    }
    std::vector<std::string> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    bool contains(std::string_view needle) const {
        for (const auto& l : lines())
            if (l.find(needle) != std::string::npos) return true;
        return false;
    }
    bool wait_for(std::string_view needle, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] {
            for (const auto& l : lines_)
                if (l.find(needle) != std::string::npos) return true;
            return false;
        });
    }

    // Until `n` lines hold `needle`.
    bool wait_for_count(std::string_view needle, std::size_t n, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] {
            std::size_t seen = 0;
            for (const auto& l : lines_)
                if (l.find(needle) != std::string::npos) ++seen;
            return seen >= n;
        });
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> lines_;
};

inline std::string temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "deploybot-e2e-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

// A config pointing every service at local fakes.
inline config test_config(const fakes::fake_slack& slack, const std::string& dir) {
    config cfg;
    cfg.slack.api_url = slack.api_url();
    cfg.slack.channel = "C0DEPLOYS01";
    cfg.slack.ping_interval = std::chrono::seconds(1);   // idle timeout 3 s
    cfg.slack.hello_timeout = std::chrono::seconds(3);
    cfg.people.deployers = {"U0DEPLOYER1", "U0DEPLOYER2"};
    cfg.people.qa_leads = {"U0QALEAD001"};
    cfg.people.admins = {"U0ADMIN0001"};
    cfg.github.api_url = "http://127.0.0.1:1";
    cfg.github.repo = "acme/shop-web";
    cfg.vercel.api_url = "http://127.0.0.1:1";
    cfg.vercel.project = "prj_test";
    cfg.vercel.staging_domain = "staging.example.id";
    cfg.vercel.production_domain = "example.id";
    cfg.storage.path = dir + "/deploybot.sqlite3";
    cfg.tls.ca_file = fakes::pki().ca_file;
    cfg.http.timeout = std::chrono::milliseconds(5000);
    cfg.http.retry_backoff = std::chrono::milliseconds(50);
    cfg.http.max_retries = 1;
    cfg.http.listen = "127.0.0.1:0";   // /healthz and /metrics on a free port (logged)
    return cfg;
}

inline secrets test_secrets(const fakes::fake_slack& slack) {
    secrets s;
    s.slack_app_token = slack.opts().app_token;
    s.slack_bot_token = slack.opts().bot_token;
    s.github_token = "ghp_fake_harness_token_01";
    s.vercel_token = "vercel-test-token-0000000000";
    return s;
}

class bot_runner {
public:
    explicit bot_runner(app_options options) : options_(std::move(options)) {
        if (!options_.make_modules) options_.make_modules = make_feature_modules;   // as main.cpp does
    }
    ~bot_runner() { stop(); }

    void start() {
        thread_ = std::thread([this] {
            app_ = std::make_unique<app>(ioc_, std::move(options_));
            boost::asio::co_spawn(ioc_, app_->run(), [this](std::exception_ptr e, int rc) {
                std::lock_guard lock(mutex_);
                exit_code_ = e ? -1 : rc;
                exited_.notify_all();
                ioc_.stop();
            });
            ioc_.run();
            app_.reset();
        });
    }

    // Asks the app to stop (like SIGTERM) and waits for the thread.
    void stop() {
        if (!thread_.joinable()) return;
        boost::asio::post(ioc_, [this] {
            if (app_) app_->stop();
        });
        {
            std::unique_lock lock(mutex_);
            if (!exited_.wait_for(lock, 10s, [&] { return exit_code_.has_value(); })) ioc_.stop();
        }
        thread_.join();
    }

    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        exited_.wait_for(lock, timeout, [&] { return exit_code_.has_value(); });
        return exit_code_;
    }

private:
    app_options options_;
    boost::asio::io_context ioc_{1};
    std::unique_ptr<app> app_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable exited_;
    std::optional<int> exit_code_;
};

}  // namespace deploybot::testing
