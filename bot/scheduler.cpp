#include "bot/scheduler.hpp"

#include "bot/log.hpp"
#include "bot/spawn.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace deploybot {

namespace asio = boost::asio;

scheduler::scheduler(asio::any_io_executor ex, store& db, std::shared_ptr<time_source> time)
    : ex_(ex), db_(db), time_(time ? std::move(time) : system_time()), wake_(ex) {}

void scheduler::on(std::string prefix, handler h) { handlers_.emplace_back(std::move(prefix), std::move(h)); }

result<void> scheduler::at(std::string key, time_point due) {
    auto r = db_.put_timer(key, due);
    if (!r) log::error("scheduler", "cannot persist timer {}: {}", key, r.error().message());
    wake_.cancel();   // the loop re-reads the earliest timer
    return r;
}

result<void> scheduler::cancel(std::string key) {
    auto r = db_.erase_timer(key);
    wake_.cancel();
    return r;
}

void scheduler::start() {
    if (running_) return;
    running_ = true;
    stopped_ = false;
    spawn_logged(ex_, loop(), "scheduler", "timer loop");
}

void scheduler::stop() {
    stopped_ = true;
    wake_.cancel();
}

const scheduler::handler* scheduler::find(const std::string& key) const {
    const handler* best = nullptr;
    std::size_t best_len = 0;
    for (const auto& [prefix, h] : handlers_)
        if (key.rfind(prefix, 0) == 0 && prefix.size() >= best_len) {
            best = &h;
            best_len = prefix.size();
        }
    return best;
}

asio::awaitable<void> scheduler::loop() {
    constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
    while (!stopped_) {
        auto next = db_.next_timer();
        if (!next) {
            wake_.expires_at(asio::steady_timer::time_point::max());
            co_await wake_.async_wait(use_tuple);
            continue;
        }
        if (const auto wait = time_->real_wait(next->due); wait.count() > 0) {
            wake_.expires_after(wait);
            co_await wake_.async_wait(use_tuple);
            continue;
        }
        if (!db_.erase_timer(next->key)) {
            // Firing without erasing would fire it forever: wait for the disk.
            log::error("scheduler", "cannot clear timer {}; retrying in 1 s", next->key);
            wake_.expires_after(std::chrono::seconds(1));
            co_await wake_.async_wait(use_tuple);
            continue;
        }
        if (const auto* h = find(next->key)) spawn_logged(ex_, (*h)(next->key), "scheduler", next->key);
        else log::warn("scheduler", "timer {} has no handler; dropped", next->key);
    }
    running_ = false;
}

}  // namespace deploybot
