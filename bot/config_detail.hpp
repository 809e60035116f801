#pragma once
// Internal to bot/config*.cpp: the reader that turns one JSON document into a
// config, defined in config_read.cpp (the JSON readers) and
// config_sections.cpp (the sections and the checks across keys).
#include "bot/config.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot::config_detail {

namespace json = boost::json;

std::string lower(std::string_view s);

bool looks_like_user_id(std::string_view s);

inline constexpr std::array<std::string_view, 7> day_names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// Reads one JSON document into a config, recording a problem per bad key and
// keeping the default wherever a key is absent or wrong.
class reader {
public:
    std::vector<config_problem> problems;

    void problem(std::string key, std::string message);

    void track(const json::object& obj, std::string path);
    const json::value* field(const json::object* obj, std::string_view name);
    const json::object* section(const json::object& root, std::string_view name);
    bool read_string(const json::object* obj, std::string_view prefix, std::string_view name, std::string& out);
    void require_string(const json::object* obj, std::string_view prefix, std::string_view name, std::string& out);
    bool read_string_list(const json::object* obj, std::string_view prefix, std::string_view name,
                          std::vector<std::string>& out);
    bool read_int(const json::object* obj, std::string_view prefix, std::string_view name, std::int64_t min,
                  std::int64_t max, std::int64_t& out);

    template <class Duration>
    void read_duration(const json::object* obj, std::string_view prefix, std::string_view name,
                       std::int64_t min, std::int64_t max, Duration& out) {
        std::int64_t n = 0;
        if (read_int(obj, prefix, name, min, max, n)) out = Duration(n);
    }

    template <class Int>
    void read_number(const json::object* obj, std::string_view prefix, std::string_view name, std::int64_t min,
                     std::int64_t max, Int& out) {
        std::int64_t n = 0;
        if (read_int(obj, prefix, name, min, max, n)) out = static_cast<Int>(n);
    }

    void check_url(const json::object* obj, std::string_view prefix, std::string& out);
    void check_user_ids(std::string_view key, const std::vector<std::string>& ids);
    std::optional<std::vector<int>> read_days(const json::value& v, const std::string& key);
    void read_schedule(const json::object* obj, config::schedule_t& out);
    std::optional<deploy_window> read_window(const json::value& v, const std::string& key);
    void read_config(const json::object& root, config& cfg);

private:
    struct tracked_object {
        const json::object* obj;
        std::string path;                       // "" for the root
        std::vector<std::string_view> known;    // names looked up by field()
    };
    std::vector<tracked_object> tracked_;
    bool windows_from_file_ = false;

    static std::string join(std::string_view prefix, std::string_view name);
    bool has_problem_under(std::string_view prefix) const;
    void report_unknown_keys();
    void check_windows_can_open(const config::schedule_t& s);
    void check_two_people_possible(const config::people_t& p);
};

}  // namespace deploybot::config_detail
