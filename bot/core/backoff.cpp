#include "bot/core/backoff.hpp"

#include <algorithm>

namespace deploybot {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

std::chrono::milliseconds backoff_delay(const backoff_policy& policy, int attempt, std::uint64_t seed) {
    const std::int64_t base = std::max<std::int64_t>(0, policy.base.count());
    const std::int64_t cap = std::max<std::int64_t>(0, policy.cap.count());
    if (attempt < 0) attempt = 0;

    // base * 2^attempt, saturating at cap: double until it would pass cap, so
    // huge attempt numbers never shift or multiply out of range.
    std::int64_t ceiling = std::min(base, cap);
    for (int i = 0; i < attempt && ceiling > 0 && ceiling < cap; ++i) ceiling = ceiling > cap / 2 ? cap : ceiling * 2;

    const std::int64_t floor = ceiling / 2;
    const auto span = static_cast<std::uint64_t>(ceiling - floor) + 1;
    // Hash the attempt before mixing so (seed, attempt) pairs do not collide
    // trivially (seed ^ attempt alone maps (s, 1) and (s ^ 1, 0) together).
    const std::uint64_t r = splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(attempt)));
    return std::chrono::milliseconds(floor + static_cast<std::int64_t>(r % span));
}

}  // namespace deploybot
