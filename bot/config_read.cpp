// The reader's JSON readers: one value each (string, list, number, URL,
// schedule), a problem recorded per bad key.
#include "bot/config_detail.hpp"

#include <boost/url/parse.hpp>
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace deploybot::config_detail {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

namespace {

// "mon".."sun" or full names, any case → 0 = Sunday … 6 = Saturday.
std::optional<int> parse_day(std::string_view s) {
    static constexpr std::array<std::string_view, 7> long_names{"sunday",   "monday", "tuesday", "wednesday",
                                                                "thursday", "friday", "saturday"};
    const auto l = lower(s);
    for (int i = 0; i < 7; ++i)
        if (l == day_names[i] || l == long_names[i]) return i;
    return std::nullopt;
}

// "HH:MM" (24h) → minutes after midnight. "24:00" only where allow_24 (end of a window).
std::optional<int> parse_hhmm(std::string_view s, bool allow_24) {
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 2 || s.size() != colon + 3) return std::nullopt;
    auto digits = [](std::string_view d) {
        int v = 0;
        for (char c : d) {
            if (c < '0' || c > '9') return -1;
            v = v * 10 + (c - '0');
        }
        return v;
    };
    const int h = digits(s.substr(0, colon));
    const int m = digits(s.substr(colon + 1));
    if (h < 0 || m < 0 || m > 59) return std::nullopt;
    if (h == 24 && m == 0 && allow_24) return 24 * 60;
    if (h > 23) return std::nullopt;
    return h * 60 + m;
}

}  // namespace

void reader::problem(std::string key, std::string message) {
    problems.push_back({std::move(key), std::move(message)});
}

// The keys looked up through field() are the known keys of that object;
// report_unknown_keys() names every other key, at any depth.
void reader::track(const json::object& obj, std::string path) { tracked_.push_back({&obj, std::move(path), {}}); }

const json::value* reader::field(const json::object* obj, std::string_view name) {
    if (!obj) return nullptr;
    for (auto& t : tracked_)
        if (t.obj == obj) t.known.push_back(name);
    return obj->if_contains(name);
}

// Returns the section object, or nullptr when absent or not an object.
const json::object* reader::section(const json::object& root, std::string_view name) {
    const auto* v = field(&root, name);
    if (!v) return nullptr;
    if (!v->is_object()) {
        problem(std::string(name), "must be an object");
        return nullptr;
    }
    track(v->get_object(), std::string(name));
    return &v->get_object();
}

// True when the key is present and a string (stored in out).
bool reader::read_string(const json::object* obj, std::string_view prefix, std::string_view name, std::string& out) {
    const auto* v = field(obj, name);
    if (!v) return false;
    if (!v->is_string()) {
        problem(join(prefix, name), "must be a string");
        return false;
    }
    out = std::string(v->get_string());
    return true;
}

void reader::require_string(const json::object* obj, std::string_view prefix, std::string_view name,
                            std::string& out) {
    if (!read_string(obj, prefix, name, out)) {
        if (!obj || !obj->if_contains(name)) problem(join(prefix, name), "missing");
        return;
    }
    if (out.empty()) problem(join(prefix, name), "must not be empty");
}

bool reader::read_string_list(const json::object* obj, std::string_view prefix, std::string_view name,
                              std::vector<std::string>& out) {
    const auto* v = field(obj, name);
    if (!v) return false;
    const auto key = join(prefix, name);
    if (!v->is_array()) {
        problem(key, "must be an array of strings");
        return false;
    }
    std::vector<std::string> values;
    bool ok = true;
    const auto& arr = v->get_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
        if (!arr[i].is_string()) {
            problem(fmt::format("{}[{}]", key, i), "must be a string");
            ok = false;
            continue;
        }
        values.emplace_back(arr[i].get_string());
    }
    if (ok) out = std::move(values);
    return ok;
}

// Whole number in [min, max]; stored in out when valid.
bool reader::read_int(const json::object* obj, std::string_view prefix, std::string_view name, std::int64_t min,
                      std::int64_t max, std::int64_t& out) {
    const auto* v = field(obj, name);
    if (!v) return false;
    const auto key = join(prefix, name);
    std::optional<std::int64_t> n;
    if (v->is_int64()) {
        n = v->get_int64();
    } else if (v->is_uint64()) {
        n = v->get_uint64() > static_cast<std::uint64_t>(max) ? max + 1 : static_cast<std::int64_t>(v->get_uint64());
    } else if (v->is_double()) {
        const double d = v->get_double();
        // Range-check the double itself: converting one outside int64 is undefined behaviour (1e300).
        const bool whole = std::isfinite(d) && d == std::trunc(d);
        if (whole && (d < static_cast<double>(min) || d > static_cast<double>(max) || d < -0x1p63 || d >= 0x1p63)) {
            problem(key, fmt::format("must be between {} and {}", min, max));
            return false;
        }
        if (whole) n = static_cast<std::int64_t>(d);
    }
    if (!n) {
        problem(key, "must be a whole number");
        return false;
    }
    if (*n < min || *n > max) {
        problem(key, fmt::format("must be between {} and {}", min, max));
        return false;
    }
    out = *n;
    return true;
}

void reader::check_url(const json::object* obj, std::string_view prefix, std::string& out) {
    if (!read_string(obj, prefix, "api_url", out)) return;
    const auto key = join(prefix, "api_url");
    auto u = boost::urls::parse_absolute_uri(out);
    if (!u) {
        problem(key, "must be an absolute http:// or https:// URL");
        return;
    }
    const auto scheme = lower(u->scheme());
    if ((scheme != "http" && scheme != "https") || u->encoded_host().empty())
        problem(key, "must be an absolute http:// or https:// URL");
}

void reader::check_user_ids(std::string_view key, const std::vector<std::string>& ids) {
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (!looks_like_user_id(ids[i]))
            problem(fmt::format("{}[{}]", key, i),
                    fmt::format("\"{}\" is not a Slack user ID (U… or W…, e.g. U01ABCD2EF)", ids[i]));
}

std::optional<std::vector<int>> reader::read_days(const json::value& v, const std::string& key) {
    if (!v.is_array()) {
        problem(key, "must be an array of day names");
        return std::nullopt;
    }
    std::vector<int> days;
    bool ok = true;
    const auto& arr = v.get_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
        const auto item_key = fmt::format("{}[{}]", key, i);
        if (!arr[i].is_string()) {
            problem(item_key, "must be a string");
            ok = false;
            continue;
        }
        const auto d = parse_day(arr[i].get_string());
        if (!d) {
            problem(item_key, fmt::format("unknown day \"{}\" (use mon, tue, wed, thu, fri, sat, sun)",
                                          std::string_view(arr[i].get_string())));
            ok = false;
            continue;
        }
        if (std::find(days.begin(), days.end(), *d) == days.end()) days.push_back(*d);
    }
    if (!ok) return std::nullopt;
    return days;
}

void reader::read_schedule(const json::object* obj, config::schedule_t& out) {
    if (!obj) return;
    if (read_string(obj, "schedule", "timezone", out.timezone)) {
        bool known = false;
        try {
            known = !out.timezone.empty() && date::locate_zone(out.timezone) != nullptr;
        } catch (const std::exception&) {
            known = false;
        }
        if (!known)
            problem("schedule.timezone",
                    fmt::format("unknown time zone \"{}\" (use an IANA name like Asia/Jakarta)", out.timezone));
    }
    if (const auto* w = field(obj, "windows")) {
        if (!w->is_array()) {
            problem("schedule.windows", "must be an array of {days, start, end} objects");
        } else {
            std::vector<deploy_window> windows;
            bool ok = true;
            const auto& arr = w->get_array();
            for (std::size_t i = 0; i < arr.size(); ++i) {
                auto win = read_window(arr[i], fmt::format("schedule.windows[{}]", i));
                if (win) windows.push_back(std::move(*win));
                else ok = false;
            }
            if (ok) {
                out.windows = std::move(windows);
                windows_from_file_ = true;
            }
        }
    }
    if (const auto* b = field(obj, "blocked_days")) {
        if (auto days = read_days(*b, "schedule.blocked_days")) out.blocked_days = std::move(*days);
    }
}

std::optional<deploy_window> reader::read_window(const json::value& v, const std::string& key) {
    if (!v.is_object()) {
        problem(key, "must be an object with days, start and end");
        return std::nullopt;
    }
    const auto& o = v.get_object();
    track(o, key);
    deploy_window win;
    bool ok = true;
    if (const auto* d = field(&o, "days")) {
        if (auto days = read_days(*d, key + ".days")) {
            if (days->empty()) {
                problem(key + ".days", "must list at least one day");
                ok = false;
            }
            win.days = std::move(*days);
        } else {
            ok = false;
        }
    } else {
        problem(key + ".days", "missing");
        ok = false;
    }
    auto time_of = [&](std::string_view name, bool allow_24) -> std::optional<int> {
        const auto item_key = fmt::format("{}.{}", key, name);
        const auto* t = field(&o, name);
        if (!t) {
            problem(item_key, "missing");
            return std::nullopt;
        }
        if (!t->is_string()) {
            problem(item_key, "must be a string");
            return std::nullopt;
        }
        auto m = parse_hhmm(t->get_string(), allow_24);
        if (!m)
            problem(item_key, fmt::format("\"{}\" is not a 24-hour time HH:MM",
                                          std::string_view(t->get_string())));
        return m;
    };
    const auto start = time_of("start", false);
    const auto end = time_of("end", true);
    if (!start || !end) return std::nullopt;
    if (*start >= *end) {
        problem(key, "start must be before end (windows cannot cross midnight)");
        return std::nullopt;
    }
    win.start_minute = *start;
    win.end_minute = *end;
    if (!ok) return std::nullopt;
    return win;
}

std::string reader::join(std::string_view prefix, std::string_view name) {
    if (prefix.empty()) return std::string(name);
    return fmt::format("{}.{}", prefix, name);
}

}  // namespace deploybot::config_detail
