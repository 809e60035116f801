#pragma once
// The one retry loop for every service (Slack, GitHub, Vercel, Sentry). Each
// client keeps its own pure policy (decide_github_retry, decide_vercel_retry,
// decide_sentry_retry, Slack's 429/ratelimited rule) inside a `judge`; this
// loop only sends, asks the judge, waits, and sends again.
//
// Never re-sends a request that changes something unless its judge says the
// service refused it unprocessed (a 429): judges return a final answer for
// anything else.
#include "bot/net/http_client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <optional>
#include <utility>

namespace deploybot {

// What one try came to: the answer to return, or a wait before the next try.
template <class R>
struct retry_step {
    std::optional<R> answer;                 // set: final, returned as is
    std::chrono::milliseconds wait{0};       // otherwise: wait this long, then send `next` again
    bool counts = true;                      // false: not a new try (a redirect followed)

    static retry_step done(R r) { return {std::move(r), {}, true}; }
    static retry_step again(std::chrono::milliseconds w, bool counts = true) { return {std::nullopt, w, counts}; }
};

// judge(int attempt, http_request& next, result<http_response> r) -> retry_step<R>,
// a plain function (not a coroutine); `attempt` is 1 for the first try. It may
// change `next` (a redirect's URL, a cached ETag) before it is sent again.
// The request and the judge are values. `http` is a reference on purpose: the
// app owns its one http_client and stops the io_context before destroying it,
// so it outlives every coroutine (the same rule as bot_context).
template <class R, class Judge>
boost::asio::awaitable<R> with_retries(http_client& http, http_request req, Judge judge) {
    for (int attempt = 1;; ++attempt) {
        auto r = co_await http.request(req);
        retry_step<R> step = judge(attempt, req, std::move(r));
        if (step.answer) co_return std::move(*step.answer);
        if (!step.counts) --attempt;
        if (step.wait.count() > 0) {
            boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
            timer.expires_after(step.wait);
            co_await timer.async_wait(boost::asio::use_awaitable);
        }
    }
}

}  // namespace deploybot
