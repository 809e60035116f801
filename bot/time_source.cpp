#include "bot/time_source.hpp"

#include <algorithm>
#include <cmath>

namespace deploybot {

namespace {

using std::chrono::milliseconds;

class system_source final : public time_source {
public:
    time_point now() const override { return std::chrono::system_clock::now(); }
    milliseconds real_wait(time_point t) const override {
        const auto d = std::chrono::ceil<milliseconds>(t - now());
        return std::clamp<milliseconds>(d, milliseconds(0), std::chrono::minutes(1));
    }
};

}  // namespace

std::shared_ptr<time_source> system_time() {
    static const auto source = std::make_shared<system_source>();
    return source;
}

fast_time::fast_time(time_point start, double speed)
    : base_(start), anchor_(std::chrono::steady_clock::now()), speed_(std::max(0.0, speed)) {}

fast_time::time_point fast_time::now_locked() const {
    const auto real = std::chrono::steady_clock::now() - anchor_;
    const auto virt = std::chrono::duration<double, std::nano>(real) * speed_;
    return base_ + std::chrono::duration_cast<time_point::duration>(virt);
}

fast_time::time_point fast_time::now() const {
    std::lock_guard lock(mutex_);
    return now_locked();
}

milliseconds fast_time::real_wait(time_point t) const {
    std::lock_guard lock(mutex_);
    const auto ahead = t - now_locked();
    if (ahead <= time_point::duration::zero()) return milliseconds(0);
    // Stopped: look again shortly (a test may set the clock forward).
    if (speed_ <= 0.0) return milliseconds(20);
    const double real_ms = std::chrono::duration<double, std::milli>(ahead).count() / speed_;
    // Short steps, so a jump (set/advance) is noticed soon.
    return milliseconds(static_cast<std::int64_t>(std::clamp(std::ceil(real_ms), 1.0, 200.0)));
}

void fast_time::set(time_point t) {
    std::lock_guard lock(mutex_);
    base_ = t;
    anchor_ = std::chrono::steady_clock::now();
}

void fast_time::set_speed(double speed) {
    std::lock_guard lock(mutex_);
    base_ = now_locked();
    anchor_ = std::chrono::steady_clock::now();
    speed_ = std::max(0.0, speed);
}

double fast_time::speed() const {
    std::lock_guard lock(mutex_);
    return speed_;
}

}  // namespace deploybot
