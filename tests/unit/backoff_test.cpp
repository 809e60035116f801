#include "bot/core/backoff.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <set>

using namespace deploybot;
using std::chrono::milliseconds;

namespace {

// Expected ceiling: base * 2^attempt, capped.
long long ceiling_for(const backoff_policy& p, int attempt) {
    long long c = p.base.count();
    for (int i = 0; i < attempt && c < p.cap.count(); ++i) c *= 2;
    return std::min<long long>(c, p.cap.count());
}

}  // namespace

TEST_CASE("backoff: within [ceiling/2, ceiling] for attempts 0..40") {
    const backoff_policy policy{milliseconds(1000), milliseconds(60000)};
    for (std::uint64_t seed : {0ULL, 1ULL, 42ULL, 0xdeadbeefULL, ~0ULL}) {
        for (int attempt = 0; attempt <= 40; ++attempt) {
            CAPTURE(seed);
            CAPTURE(attempt);
            const long long ceiling = ceiling_for(policy, attempt);
            const long long d = backoff_delay(policy, attempt, seed).count();
            CHECK(d >= ceiling / 2);
            CHECK(d <= ceiling);
        }
    }
    // Concrete ceilings: 1 s, 2 s, 4 s … capped at 60 s from attempt 6 on.
    CHECK(backoff_delay(policy, 0, 7) <= milliseconds(1000));
    CHECK(backoff_delay(policy, 3, 7) >= milliseconds(4000));
    CHECK(backoff_delay(policy, 3, 7) <= milliseconds(8000));
    CHECK(backoff_delay(policy, 6, 7) >= milliseconds(30000));
}

TEST_CASE("backoff: deterministic per seed, different seeds differ") {
    const backoff_policy policy{};
    for (int attempt = 0; attempt < 10; ++attempt) {
        CHECK(backoff_delay(policy, attempt, 1234) == backoff_delay(policy, attempt, 1234));
    }
    // Across 20 seeds at a wide attempt, the jitter must actually vary.
    std::set<long long> values;
    for (std::uint64_t seed = 0; seed < 20; ++seed) values.insert(backoff_delay(policy, 10, seed).count());
    CHECK(values.size() >= 15);

    int differing = 0;
    for (int attempt = 0; attempt < 10; ++attempt)
        differing += backoff_delay(policy, attempt, 1) != backoff_delay(policy, attempt, 2) ? 1 : 0;
    CHECK(differing >= 8);
}

TEST_CASE("backoff: cap applies and huge attempts saturate") {
    const backoff_policy policy{milliseconds(500), milliseconds(10000)};
    for (int attempt : {5, 62, 63, 64, 1000, 100000, INT_MAX}) {
        CAPTURE(attempt);
        const auto d = backoff_delay(policy, attempt, 99);
        CHECK(d >= milliseconds(5000));
        CHECK(d <= milliseconds(10000));
    }
    const backoff_policy huge_base{milliseconds(LLONG_MAX / 2), milliseconds(LLONG_MAX)};
    const auto d = backoff_delay(huge_base, 1000, 3);
    CHECK(d.count() >= LLONG_MAX / 2);
}

TEST_CASE("backoff: negative attempt is attempt 0; degenerate policies") {
    const backoff_policy policy{milliseconds(1000), milliseconds(60000)};
    for (std::uint64_t seed = 0; seed < 5; ++seed) {
        CHECK(backoff_delay(policy, -1, seed) == backoff_delay(policy, 0, seed));
        CHECK(backoff_delay(policy, INT_MIN, seed) == backoff_delay(policy, 0, seed));
    }
    CHECK(backoff_delay({milliseconds(0), milliseconds(60000)}, 1000, 1) == milliseconds(0));
    CHECK(backoff_delay({milliseconds(-5), milliseconds(-5)}, 3, 1) == milliseconds(0));
    // cap below base: the cap still wins.
    const auto d = backoff_delay({milliseconds(5000), milliseconds(1000)}, 0, 1);
    CHECK(d >= milliseconds(500));
    CHECK(d <= milliseconds(1000));
}
