#pragma once
// Durable timers: a persisted due time per key (the store's `timers` table)
// and one coroutine that sleeps until the earliest, on an injected time
// source. A timer survives a restart: the loop re-arms from the database when
// it starts, and one that fell due while the bot was down fires at once.
// A timer fires once; its handler re-arms it if the work goes on.
#include "bot/core/error.hpp"
#include "bot/store/store.hpp"
#include "bot/time_source.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace deploybot {

class scheduler {
public:
    using time_point = std::chrono::system_clock::time_point;
    using handler = std::function<boost::asio::awaitable<void>(std::string key)>;

    scheduler(boost::asio::any_io_executor ex, store& db, std::shared_ptr<time_source> time);
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;

    // The handler for keys starting with `prefix` ("watch:" → "watch:12").
    void on(std::string prefix, handler h);
    // Persisted before it returns; replaces the key's earlier due time.
    result<void> at(std::string key, time_point due);
    result<void> cancel(std::string key);

    void start();   // the loop; timers already due fire at once
    void stop();    // the loop ends; persisted timers stay for the next start

    time_point now() const { return time_->now(); }
    time_source& time() const { return *time_; }

private:
    boost::asio::awaitable<void> loop();
    const handler* find(const std::string& key) const;

    boost::asio::any_io_executor ex_;
    store& db_;
    std::shared_ptr<time_source> time_;
    boost::asio::steady_timer wake_;
    std::vector<std::pair<std::string, handler>> handlers_;
    bool running_ = false;
    bool stopped_ = false;
};

}  // namespace deploybot
