#pragma once
// What every feature module needs the same way: the retry policy of its
// service clients, a plain one-section reply, the message context of the
// renderers, a no-op coroutine for a route whose module is gone, and the
// feature_module facade over a shared implementation (shared_from_this keeps
// it alive while its coroutines run).
#include "bot/context.hpp"
#include "commands/render/deploy_message.hpp"
#include "integrations/api_retry.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace deploybot {

// config.http's retries and backoff, for GitHub, Vercel and Sentry alike.
api_retry_options retry_options(const config& cfg);

// A message of one mrkdwn section (the text is also the fallback).
blocks::message plain(std::string text, std::string_view block_id = "reply");

// now, the schedule and its window, the production domain.
message_context module_message_context(const bot_context& ctx);

asio::awaitable<void> nothing();

template <class Impl>
class shared_module final : public feature_module {
public:
    explicit shared_module(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
    void start() override {
        if constexpr (requires(Impl& i) { i.start(); }) impl_->start();
    }
    void stop() override { impl_->stop(); }

private:
    std::shared_ptr<Impl> impl_;
};

// Builds the implementation, lets it register its routes, sinks and timers
// (attach()), and wraps it as a module.
template <class Impl, class... Args>
std::unique_ptr<feature_module> make_shared_module(Args&... args) {
    auto impl = std::make_shared<Impl>(args...);
    impl->attach();
    return std::make_unique<shared_module<Impl>>(std::move(impl));
}

}  // namespace deploybot
