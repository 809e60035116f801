#pragma once
// Where the bot's wall-clock time comes from, and how long to really wait to
// reach a point of it (DESIGN.md principle 6: time is injected). The system
// source is the real clock; fast_time runs a virtual clock `speed` times faster
// than real time, so an hour-long watch passes in seconds in tests and in the
// sandbox.
#include <chrono>
#include <memory>
#include <mutex>

namespace deploybot {

class time_source {
public:
    using time_point = std::chrono::system_clock::time_point;
    virtual ~time_source() = default;
    virtual time_point now() const = 0;
    // Real (steady) time to wait for now() to reach `t`; 0 when it has. Waiters
    // re-check after each wait, so a source may answer less than the full time.
    virtual std::chrono::milliseconds real_wait(time_point t) const = 0;
};

// The system clock (re-checked at least every minute, so a clock step is noticed).
std::shared_ptr<time_source> system_time();

// A virtual clock: `start` at the moment it is set, advancing `speed` times
// faster than the steady clock (0 = stopped until set again). Thread-safe: a
// test thread sets it while the bot's thread reads it.
class fast_time final : public time_source {
public:
    explicit fast_time(time_point start = std::chrono::system_clock::now(), double speed = 1.0);
    time_point now() const override;
    std::chrono::milliseconds real_wait(time_point t) const override;

    void set(time_point t);            // jump (keeps the speed)
    void set_speed(double speed);      // from now on (keeps the current time)
    void advance(std::chrono::milliseconds d) { set(now() + d); }
    double speed() const;

private:
    time_point now_locked() const;
    mutable std::mutex mutex_;
    time_point base_;
    std::chrono::steady_clock::time_point anchor_;
    double speed_;
};

}  // namespace deploybot
