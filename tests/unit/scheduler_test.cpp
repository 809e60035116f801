// Durable timers on an injected fast clock: an hour of timers in milliseconds,
// persisted across a "restart", fired once each, in due order.
#include "bot/scheduler.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <cstdio>
#include <unistd.h>

using namespace deploybot;
using namespace std::chrono_literals;

namespace {

struct temp_path {
    std::string path = "/tmp/deploybot_sched_" + std::to_string(::getpid()) + ".sqlite3";
    temp_path() { clean(); }
    ~temp_path() { clean(); }
    void clean() const {
        for (const char* s : {"", "-wal", "-shm"}) std::remove((path + s).c_str());
    }
};

}  // namespace

TEST_CASE("fast_time: runs `speed` times faster, stops at 0, and says how long to really wait") {
    const auto start = std::chrono::system_clock::time_point{} + std::chrono::hours(500000);
    fast_time t(start, 0.0);
    CHECK(t.now() == start);
    CHECK(t.real_wait(start).count() == 0);
    CHECK(t.real_wait(start + 1h).count() > 0);   // stopped: look again later
    t.set_speed(3600.0);
    const auto w = t.real_wait(t.now() + 1h);      // an hour at 3600× = about 1 s, in short steps
    CHECK(w.count() >= 1);
    CHECK(w.count() <= 200);
    t.advance(2h);
    CHECK(t.now() >= start + 2h);
}

TEST_CASE("scheduler: timers fire once, in order, on the injected clock; they survive a restart") {
    temp_path p;
    const auto start = std::chrono::system_clock::time_point{} + std::chrono::hours(500000);
    auto clock = std::make_shared<fast_time>(start, 36000.0);   // an hour in 0.1 s
    std::vector<std::string> fired;
    {
        auto db = store::open(p.path);
        REQUIRE(db.has_value());
        boost::asio::io_context ioc;
        scheduler s(ioc.get_executor(), **db, clock);
        s.on("t:", [&](std::string key) -> boost::asio::awaitable<void> {
            fired.push_back(key);
            if (fired.size() == 2) s.stop();
            co_return;
        });
        REQUIRE(s.at("t:late", start + 50min).has_value());
        REQUIRE(s.at("t:early", start + 10min).has_value());
        REQUIRE(s.at("t:later", start + 30h).has_value());   // left for the next start
        REQUIRE(s.at("t:moved", start + 100h).has_value());
        REQUIRE(s.at("t:moved", start + 20min).has_value());  // re-armed: the new time counts
        s.start();
        ioc.run_for(5s);
    }
    CHECK(fired == std::vector<std::string>{"t:early", "t:moved"});
    {
        // "Restart": the same file, the clock far ahead; what is due fires at once.
        clock->set(start + 40h);
        auto db = store::open(p.path);
        REQUIRE(db.has_value());
        boost::asio::io_context ioc;
        scheduler s(ioc.get_executor(), **db, clock);
        s.on("t:", [&](std::string key) -> boost::asio::awaitable<void> {
            fired.push_back(key);
            if (fired.size() == 4) s.stop();
            co_return;
        });
        s.start();
        ioc.run_for(5s);
        CHECK_FALSE((*db)->next_timer());
    }
    CHECK(fired == std::vector<std::string>{"t:early", "t:moved", "t:late", "t:later"});
}
