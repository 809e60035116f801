#pragma once
// Epoch milliseconds ↔ system_clock, the one conversion every module uses.
// from_ms clamps, so a server's timestamp cannot overflow the clock's
// nanoseconds (±290 years).
#include <algorithm>
#include <chrono>
#include <cstdint>

namespace deploybot {

inline std::int64_t to_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

inline std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
    ms = std::clamp<std::int64_t>(ms, -9'000'000'000'000, 9'000'000'000'000);
    return std::chrono::system_clock::time_point{
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::milliseconds{ms})};
}

}  // namespace deploybot
