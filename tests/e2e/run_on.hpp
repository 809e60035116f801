#pragma once
// Drives one coroutine on the test thread's io_context until it finishes, or
// fails the test when `limit` passes.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <future>

namespace deploybot::testing {

template <class T>
T run_on(boost::asio::io_context& ioc, boost::asio::awaitable<T> aw,
         std::chrono::seconds limit = std::chrono::seconds(20)) {
    using namespace std::chrono_literals;
    auto fut = boost::asio::co_spawn(ioc, std::move(aw), boost::asio::use_future);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (fut.wait_for(0s) != std::future_status::ready && std::chrono::steady_clock::now() < deadline) {
        ioc.restart();
        ioc.run_for(20ms);
    }
    REQUIRE(fut.wait_for(0s) == std::future_status::ready);
    return fut.get();
}

}  // namespace deploybot::testing
