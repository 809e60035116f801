// Config text (JSON with comments and trailing commas): parse_config never
// throws, explains every problem and keeps every value it accepts in range.
// Files are not read here (check_config_files does I/O). A problem's key may be
// "": an unknown key can itself be named "".
#include "bot/config.hpp"
#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace deploybot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const config_parse_result r = parse_config(text);
    for (const auto& p : r.problems) FUZZ_CHECK(!p.message.empty());
    const auto& c = r.cfg;
    for (const auto& w : c.schedule.windows) {
        FUZZ_CHECK(w.start_minute >= 0 && w.start_minute < w.end_minute && w.end_minute <= 24 * 60);
        for (int d : w.days) FUZZ_CHECK(d >= 0 && d <= 6);
    }
    for (int d : c.schedule.blocked_days) FUZZ_CHECK(d >= 0 && d <= 6);
    FUZZ_CHECK(c.slack.ping_interval.count() > 0);
    FUZZ_CHECK(c.http.max_retries >= 0);
    return 0;
}
