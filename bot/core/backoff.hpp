#pragma once
#include <chrono>
#include <cstdint>

namespace deploybot {

struct backoff_policy {
    std::chrono::milliseconds base{1000};
    std::chrono::milliseconds cap{60000};
};

// Pure: delay before reconnect attempt `attempt` (0 = first retry):
// "full jitter" — uniform in [base*2^attempt / 2, base*2^attempt], capped at
// `cap`, drawn deterministically from `seed` so tests can check it.
std::chrono::milliseconds backoff_delay(const backoff_policy& policy, int attempt, std::uint64_t seed);

}  // namespace deploybot
