#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace deploybot {

// Runs `tasks` concurrently (at most `max_in_flight` at once) and returns their
// results in order. A task that throws leaves nullopt (tasks are expected to
// return their failures as values).
template <class T>
boost::asio::awaitable<std::vector<std::optional<T>>> gather(boost::asio::any_io_executor ex,
                                                             std::vector<boost::asio::awaitable<T>> tasks,
                                                             std::size_t max_in_flight = 8) {
    struct state {
        explicit state(boost::asio::any_io_executor e) : wake(e) {}
        std::vector<std::optional<T>> results;
        std::vector<boost::asio::awaitable<T>> tasks;
        std::size_t next = 0;
        std::size_t remaining = 0;
        boost::asio::steady_timer wake;
    };
    auto st = std::make_shared<state>(ex);
    st->results.resize(tasks.size());
    st->remaining = tasks.size();
    st->tasks = std::move(tasks);

    struct launcher {
        static void launch(const std::shared_ptr<state>& st, boost::asio::any_io_executor ex) {
            const std::size_t i = st->next++;
            boost::asio::co_spawn(ex, std::move(st->tasks[i]), [st, ex, i](std::exception_ptr e, T value) {
                if (!e) st->results[i] = std::move(value);
                --st->remaining;
                if (st->next < st->tasks.size()) launch(st, ex);
                st->wake.cancel();
            });
        }
    };
    for (std::size_t i = 0; i < max_in_flight && st->next < st->tasks.size(); ++i) launcher::launch(st, ex);
    while (st->remaining > 0) {
        st->wake.expires_at(boost::asio::steady_timer::time_point::max());
        co_await st->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    co_return std::move(st->results);
}

// Runs `task` and returns its result, or nullopt when `deadline` passes first.
// The task is not cancelled (Boost 1.81's cancellation has lifetime bugs): it
// runs on and its late result is dropped, so it must own what it uses.
template <class T>
boost::asio::awaitable<std::optional<T>> within(boost::asio::any_io_executor ex, boost::asio::awaitable<T> task,
                                                std::chrono::milliseconds deadline) {
    struct state {
        explicit state(boost::asio::any_io_executor e) : wake(e) {}
        std::optional<T> result;
        boost::asio::steady_timer wake;
    };
    auto st = std::make_shared<state>(ex);
    st->wake.expires_after(deadline);
    boost::asio::co_spawn(ex, std::move(task), [st](std::exception_ptr e, T value) {
        if (!e) st->result = std::move(value);
        st->wake.cancel();
    });
    co_await st->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return std::move(st->result);
}

}  // namespace deploybot
