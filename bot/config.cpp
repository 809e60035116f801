#include "bot/config.hpp"

#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace deploybot {
namespace {

namespace json = boost::json;

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_upper_alnum(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

bool looks_like_channel_id(std::string_view s) {
    return s.size() >= 2 && (s[0] == 'C' || s[0] == 'G') && is_upper_alnum(s);
}

bool looks_like_user_id(std::string_view s) {
    return s.size() >= 2 && (s[0] == 'U' || s[0] == 'W') && is_upper_alnum(s);
}

bool looks_like_repo(std::string_view s) {
    const auto slash = s.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) return false;
    if (s.find('/', slash + 1) != std::string_view::npos) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/';
    });
}

bool looks_like_host(std::string_view s) {
    if (s.empty() || s.find("://") != std::string_view::npos) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':';
    });
}

constexpr std::array<std::string_view, 7> day_names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// "mon".."sun" or full names, any case → 0 = Sunday … 6 = Saturday.
std::optional<int> parse_day(std::string_view s) {
    static constexpr std::array<std::string_view, 7> long_names{"sunday",   "monday", "tuesday", "wednesday",
                                                                "thursday", "friday", "saturday"};
    const auto l = lower(s);
    for (int i = 0; i < 7; ++i)
        if (l == day_names[i] || l == long_names[i]) return i;
    return std::nullopt;
}

// "tue, thu"
std::string day_list(const std::vector<int>& days) {
    std::string out;
    for (int d : days) out += fmt::format("{}{}", out.empty() ? "" : ", ", day_names[static_cast<std::size_t>(d)]);
    return out;
}

std::string hhmm(int minutes) { return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60); }

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Edit distance where swapping two neighbours counts as one edit ("vercle"),
// ignoring case; for "did you mean" hints.
std::size_t edit_distance(std::string_view a_in, std::string_view b_in) {
    const auto a = lower(a_in), b = lower(b_in);
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

// The known key closest to `key`, when it is within two edits.
std::optional<std::string_view> closest_key(std::string_view key, const std::vector<std::string_view>& known) {
    std::optional<std::string_view> best;
    std::size_t best_distance = 3;
    for (const auto k : known) {
        const auto dist = edit_distance(key, k);
        if (dist < best_distance && dist < key.size()) {
            best = k;
            best_distance = dist;
        }
    }
    return best;
}

// Why a file cannot be read ("No such file or directory"), or nullopt when it can.
std::optional<std::string> unreadable_reason(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::generic_category().message(errno);
    char byte;
    const auto n = ::read(fd, &byte, 1);   // opening a directory succeeds; reading it does not
    const int read_errno = errno;
    ::close(fd);
    if (n < 0) return std::generic_category().message(read_errno);
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

// Reads one JSON document into a config, recording a problem per bad key and
// keeping the default wherever a key is absent or wrong.
class reader {
public:
    std::vector<config_problem> problems;

    void problem(std::string key, std::string message) {
        problems.push_back({std::move(key), std::move(message)});
    }

    // The keys looked up through field() are the known keys of that object;
    // report_unknown_keys() names every other key, at any depth.
    void track(const json::object& obj, std::string path) { tracked_.push_back({&obj, std::move(path), {}}); }

    const json::value* field(const json::object* obj, std::string_view name) {
        if (!obj) return nullptr;
        for (auto& t : tracked_)
            if (t.obj == obj) t.known.push_back(name);
        return obj->if_contains(name);
    }

    // Returns the section object, or nullptr when absent or not an object.
    const json::object* section(const json::object& root, std::string_view name) {
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
    bool read_string(const json::object* obj, std::string_view prefix, std::string_view name, std::string& out) {
        const auto* v = field(obj, name);
        if (!v) return false;
        if (!v->is_string()) {
            problem(join(prefix, name), "must be a string");
            return false;
        }
        out = std::string(v->get_string());
        return true;
    }

    void require_string(const json::object* obj, std::string_view prefix, std::string_view name,
                        std::string& out) {
        if (!read_string(obj, prefix, name, out)) {
            if (!obj || !obj->if_contains(name)) problem(join(prefix, name), "missing");
            return;
        }
        if (out.empty()) problem(join(prefix, name), "must not be empty");
    }

    bool read_string_list(const json::object* obj, std::string_view prefix, std::string_view name,
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
    bool read_int(const json::object* obj, std::string_view prefix, std::string_view name, std::int64_t min,
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

    void check_url(const json::object* obj, std::string_view prefix, std::string& out) {
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

    void check_user_ids(std::string_view key, const std::vector<std::string>& ids) {
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (!looks_like_user_id(ids[i]))
                problem(fmt::format("{}[{}]", key, i),
                        fmt::format("\"{}\" is not a Slack user ID (U… or W…, e.g. U01ABCD2EF)", ids[i]));
    }

    std::optional<std::vector<int>> read_days(const json::value& v, const std::string& key) {
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

    void read_schedule(const json::object* obj, config::schedule_t& out) {
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

    std::optional<deploy_window> read_window(const json::value& v, const std::string& key) {
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

    void read_config(const json::object& root, config& cfg) {
        track(root, "");
        field(&root, "$schema");   // an editor's schema reference: accepted and ignored

        // slack
        const auto* slack = section(root, "slack");
        check_url(slack, "slack", cfg.slack.api_url);
        require_string(slack, "slack", "channel", cfg.slack.channel);
        if (!cfg.slack.channel.empty() && !looks_like_channel_id(cfg.slack.channel))
            problem("slack.channel",
                    fmt::format("\"{}\" is not a channel ID (C… or G…, e.g. C0DEPLOYS01; open the channel details "
                                "in Slack to copy it)",
                                cfg.slack.channel));
        read_number(slack, "slack", "max_message_bytes", 1024, std::int64_t{1} << 30, cfg.slack.max_message_bytes);
        read_duration(slack, "slack", "ping_interval_s", 1, 3600, cfg.slack.ping_interval);
        read_duration(slack, "slack", "hello_timeout_s", 1, 3600, cfg.slack.hello_timeout);

        // people
        const auto* people = section(root, "people");
        if (!field(people, "deployers")) {
            problem("people.deployers", "missing");
        } else if (read_string_list(people, "people", "deployers", cfg.people.deployers) &&
                   cfg.people.deployers.empty()) {
            problem("people.deployers", "must list at least one Slack user ID");
        }
        read_string_list(people, "people", "qa_leads", cfg.people.qa_leads);
        read_string_list(people, "people", "admins", cfg.people.admins);
        check_user_ids("people.deployers", cfg.people.deployers);
        check_user_ids("people.qa_leads", cfg.people.qa_leads);
        check_user_ids("people.admins", cfg.people.admins);

        // schedule
        read_schedule(section(root, "schedule"), cfg.schedule);

        // github
        const auto* github = section(root, "github");
        check_url(github, "github", cfg.github.api_url);
        require_string(github, "github", "repo", cfg.github.repo);
        if (!cfg.github.repo.empty() && !looks_like_repo(cfg.github.repo))
            problem("github.repo", fmt::format("\"{}\" must be owner/name, e.g. clario/app", cfg.github.repo));
        if (read_string(github, "github", "main_branch", cfg.github.main_branch) && cfg.github.main_branch.empty())
            problem("github.main_branch", "must not be empty");
        read_string_list(github, "github", "migration_paths", cfg.github.migration_paths);
        read_string_list(github, "github", "required_checks", cfg.github.required_checks);
        read_number(github, "github", "big_batch_warning", 1, 100000, cfg.github.big_batch_warning);
        read_string_list(github, "github", "postmortem_labels", cfg.github.postmortem_labels);

        // vercel
        const auto* vercel = section(root, "vercel");
        check_url(vercel, "vercel", cfg.vercel.api_url);
        require_string(vercel, "vercel", "project", cfg.vercel.project);
        read_string(vercel, "vercel", "team", cfg.vercel.team);
        require_string(vercel, "vercel", "staging_domain", cfg.vercel.staging_domain);
        require_string(vercel, "vercel", "production_domain", cfg.vercel.production_domain);
        for (auto [name, value] : {std::pair{"vercel.staging_domain", &cfg.vercel.staging_domain},
                                   std::pair{"vercel.production_domain", &cfg.vercel.production_domain}})
            if (!value->empty() && !looks_like_host(*value))
                problem(name, fmt::format("\"{}\" must be a host name like app.example.com (no https://, no path)",
                                          *value));
        read_duration(vercel, "vercel", "poll_interval_ms", 100, 600000, cfg.vercel.poll_interval);
        read_duration(vercel, "vercel", "promote_timeout_s", 10, 86400, cfg.vercel.promote_timeout);

        // sentry
        const auto* sentry = section(root, "sentry");
        check_url(sentry, "sentry", cfg.sentry.api_url);
        read_string(sentry, "sentry", "org", cfg.sentry.org);
        read_string(sentry, "sentry", "project", cfg.sentry.project);
        read_string(sentry, "sentry", "environment", cfg.sentry.environment);

        // monitoring
        const auto* monitoring = section(root, "monitoring");
        read_duration(monitoring, "monitoring", "duration_s", 0, 7 * 86400, cfg.monitoring.duration);
        read_duration(monitoring, "monitoring", "interval_s", 1, 86400, cfg.monitoring.interval);
        read_number(monitoring, "monitoring", "min_events", 1, 1'000'000'000, cfg.monitoring.min_events);
        if (const auto* r = field(monitoring, "ratio")) {
            if (!r->is_number() || !std::isfinite(r->to_number<double>()) || r->to_number<double>() < 1.0 ||
                r->to_number<double>() > 1000.0)
                problem("monitoring.ratio", "must be a number between 1 and 1000");
            else
                cfg.monitoring.ratio = r->to_number<double>();
        }
        if (const auto* m = field(monitoring, "mention"); m && m->is_null()) cfg.monitoring.mention.clear();
        else if (read_string(monitoring, "monitoring", "mention", cfg.monitoring.mention)) {
            auto& v = cfg.monitoring.mention;
            if (!v.empty() && v.front() == '@') v.erase(0, 1);
            if (!v.empty() && v != "here" && v != "channel" && !looks_like_user_id(v) &&
                !(v.size() > 1 && v.front() == 'S'))
                problem("monitoring.mention", "must be \"here\", \"channel\", a user ID (U…) or a user group ID (S…)");
        }
        read_duration(monitoring, "monitoring", "settle_s", 0, 3600, cfg.monitoring.settle);

        // storage
        const auto* storage = section(root, "storage");
        if (read_string(storage, "storage", "path", cfg.storage.path) && cfg.storage.path.empty())
            problem("storage.path", "must not be empty");

        // tls
        if (const auto* tls = section(root, "tls")) {
            if (const auto* ca = field(tls, "ca_file")) {
                if (ca->is_null()) cfg.tls.ca_file.reset();
                else if (ca->is_string() && !ca->get_string().empty()) cfg.tls.ca_file = std::string(ca->get_string());
                else if (ca->is_string()) problem("tls.ca_file", "must not be empty (use null for none)");
                else problem("tls.ca_file", "must be a string or null");
            }
        }

        // http
        const auto* http = section(root, "http");
        read_duration(http, "http", "timeout_ms", 100, 600000, cfg.http.timeout);
        read_number(http, "http", "max_body_bytes", 1024, std::int64_t{1} << 30, cfg.http.max_body_bytes);
        read_number(http, "http", "max_retries", 0, 20, cfg.http.max_retries);
        read_duration(http, "http", "retry_backoff_ms", 1, 600000, cfg.http.retry_backoff);

        read_duration(&root, "", "checklist_refresh_s", 1, 86400, cfg.checklist_refresh);

        check_windows_can_open(cfg.schedule);
        check_two_people_possible(cfg.people);
        report_unknown_keys();
    }

private:
    struct tracked_object {
        const json::object* obj;
        std::string path;                       // "" for the root
        std::vector<std::string_view> known;    // names looked up by field()
    };
    std::vector<tracked_object> tracked_;
    bool windows_from_file_ = false;

    static std::string join(std::string_view prefix, std::string_view name) {
        if (prefix.empty()) return std::string(name);
        return fmt::format("{}.{}", prefix, name);
    }

    // True when a problem names `prefix` or a key inside it ("schedule", "schedule.windows[0].start").
    bool has_problem_under(std::string_view prefix) const {
        return std::any_of(problems.begin(), problems.end(), [&](const config_problem& p) {
            const std::string_view k = p.key;
            return k.starts_with(prefix) &&
                   (k.size() == prefix.size() || k[prefix.size()] == '.' || k[prefix.size()] == '[');
        });
    }

    // Listed first: a misspelt section or key explains the "missing" lines that follow.
    void report_unknown_keys() {
        std::vector<config_problem> unknown;
        for (const auto& t : tracked_)
            for (const auto& kv : *t.obj) {
                if (std::find(t.known.begin(), t.known.end(), kv.key()) != t.known.end()) continue;
                std::string message = "unknown key";
                if (const auto near = closest_key(kv.key(), t.known))
                    message += fmt::format(" (did you mean {}?)", join(t.path, *near));
                // The key is untrusted text: shown bounded, and never as an empty name.
                const std::string shown =
                    kv.key().empty() ? std::string("\"\"") : std::string(kv.key().substr(0, 64));
                unknown.push_back({join(t.path, shown), std::move(message)});
            }
        problems.insert(problems.begin(), unknown.begin(), unknown.end());
    }

    // A window day that is also a blocked day never opens. When no window can
    // open at all, every production deploy needs an admin override.
    void check_windows_can_open(const config::schedule_t& s) {
        // A schedule with errors keeps defaults in places: judging the mix would mislead.
        if (has_problem_under("schedule")) return;
        const auto* override_hint = "no production deploy can start without an admin override (/deploy override)";
        if (s.windows.empty()) {
            problem("schedule.windows",
                    fmt::format("no deploy windows, so {}; add one such as "
                                "{{ \"days\": [\"tue\"], \"start\": \"10:00\", \"end\": \"12:00\" }}",
                                override_hint));
            return;
        }
        bool some_day_open = false;
        for (std::size_t i = 0; i < s.windows.size(); ++i) {
            const auto& w = s.windows[i];
            std::vector<int> blocked;
            for (int d : w.days)
                if (contains(s.blocked_days, d)) blocked.push_back(d);
            if (blocked.size() < w.days.size()) some_day_open = true;
            if (blocked.empty()) continue;
            const auto names = day_list(blocked);
            const auto* verb = blocked.size() == 1 ? "is" : "are";
            if (windows_from_file_)
                problem(fmt::format("schedule.windows[{}].days", i),
                        fmt::format("{} {} also in schedule.blocked_days, so this window never opens on {}", names,
                                    verb, blocked.size() == 1 ? names : "those days"));
            else
                problem("schedule.blocked_days",
                        fmt::format("{} {} of the default deploy window ({} {}-{}), which then never opens on "
                                    "{}; set schedule.windows",
                                    names, blocked.size() == 1 ? "is a day" : "are days", day_list(w.days),
                                    hhmm(w.start_minute), hhmm(w.end_minute), blocked.size() == 1 ? "it" : "them"));
        }
        if (!some_day_open)
            problem("schedule", fmt::format("every deploy window falls on a blocked day (schedule.blocked_days: {}), "
                                            "so no window ever opens and {}",
                                            day_list(s.blocked_days), override_hint));
    }

    // The two-person rule: QA sign-off must come from someone other than the
    // requester, so one person alone in both lists can never get a deploy out.
    void check_two_people_possible(const config::people_t& p) {
        if (has_problem_under("people") || p.deployers.empty() || p.qa_leads.empty()) return;
        const auto& only = p.deployers.front();
        auto is_only = [&](const std::string& id) { return id == only; };
        if (!std::all_of(p.deployers.begin(), p.deployers.end(), is_only) ||
            !std::all_of(p.qa_leads.begin(), p.qa_leads.end(), is_only))
            return;
        problem("people",
                fmt::format("{} is the only deployer and the only QA lead, but QA sign-off must come from someone "
                            "other than the requester (two-person rule), so no production deploy can ever be signed "
                            "off; add a second person to people.deployers or people.qa_leads",
                            only));
    }
};

// 1-based line and column of a byte offset, for parse error messages.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {line, column};
}

}  // namespace

config_parse_result parse_config(std::string_view text) {
    config_parse_result out;
    json::parse_options opts;
    opts.allow_comments = true;
    opts.allow_trailing_commas = true;
    json::parser p({}, opts);
    system::error_code ec;
    const std::size_t consumed = p.write(text.data(), text.size(), ec);
    if (ec) {
        const auto [line, column] = line_column(text, consumed);
        out.problems.push_back({"config", fmt::format("invalid JSON at line {}, column {} (offset {}): {}", line,
                                                      column, consumed, ec.message())});
        return out;
    }
    const json::value doc = p.release();
    if (!doc.is_object()) {
        out.problems.push_back({"config", "must be a JSON object"});
        return out;
    }
    reader r;
    r.read_config(doc.get_object(), out.cfg);
    out.problems = std::move(r.problems);
    return out;
}

config_parse_result load_config_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        config_parse_result out;
        out.problems.push_back({"config", fmt::format("cannot read {}", path)});
        return out;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad()) {
        config_parse_result out;
        out.problems.push_back({"config", fmt::format("cannot read {}", path)});
        return out;
    }
    auto out = parse_config(buf.str());
    for (auto& p : check_config_files(out.cfg)) out.problems.push_back(std::move(p));
    return out;
}

std::vector<config_problem> check_config_files(const config& cfg) {
    std::vector<config_problem> problems;
    if (cfg.tls.ca_file) {
        if (const auto why = unreadable_reason(*cfg.tls.ca_file))
            problems.push_back({"tls.ca_file", fmt::format("cannot read {}: {}", *cfg.tls.ca_file, *why)});
    }
    return problems;
}

std::vector<config_problem> check_storage_path(const config& cfg) {
    namespace fs = std::filesystem;
    std::vector<config_problem> problems;
    auto problem = [&](std::string message) { problems.push_back({"storage.path", std::move(message)}); };
    const fs::path file(cfg.storage.path);
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    std::error_code ec;
    const auto dir_status = fs::status(dir, ec);
    if (!fs::exists(dir_status)) {
        if (ec && ec != std::errc::no_such_file_or_directory)
            problem(fmt::format("cannot look at directory {}: {}", dir.string(), ec.message()));
        else
            problem(fmt::format("directory {} does not exist", dir.string()));
        return problems;
    }
    if (!fs::is_directory(dir_status)) {
        problem(fmt::format("{} is not a directory", dir.string()));
        return problems;
    }
    // The bot creates the file, and SQLite its -wal and -shm files, in this directory.
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        problem(fmt::format("directory {} is not writable: {}", dir.string(), std::generic_category().message(errno)));
        return problems;
    }
    const auto file_status = fs::status(file, ec);
    if (!fs::exists(file_status)) return problems;   // created on first start
    if (fs::is_directory(file_status)) {
        problem(fmt::format("{} is a directory, not a database file", file.string()));
        return problems;
    }
    if (::access(file.c_str(), R_OK | W_OK) != 0) {
        problem(fmt::format("{} is not readable and writable: {}", file.string(),
                            std::generic_category().message(errno)));
        return problems;
    }
    // Every SQLite 3 file starts with this header; an empty file is a new database.
    static constexpr std::string_view sqlite_header{"SQLite format 3\0", 16};
    std::ifstream in(file, std::ios::binary);
    std::string head(sqlite_header.size(), '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    if (!head.empty() && head != sqlite_header)
        problem(fmt::format("{} is not a SQLite database (it does not start with the SQLite header); move it "
                            "away or point storage.path elsewhere",
                            file.string()));
    return problems;
}

std::vector<config_problem> validate_secrets(const secrets& s) {
    std::vector<config_problem> problems;
    // Messages describe the expected shape only; the value itself never appears.
    if (s.slack_app_token.empty())
        problems.push_back({"SLACK_APP_TOKEN",
                            "missing — create an app-level token with scope connections:write under Basic "
                            "Information → App-Level Tokens"});
    else if (!s.slack_app_token.starts_with("xapp-"))
        problems.push_back({"SLACK_APP_TOKEN",
                            "must start with xapp- (an app-level token with scope connections:write from Basic "
                            "Information → App-Level Tokens, not the bot token)"});
    if (s.slack_bot_token.empty())
        problems.push_back({"SLACK_BOT_TOKEN",
                            "missing — install the app to the workspace and copy the Bot User OAuth Token from "
                            "OAuth & Permissions"});
    else if (!s.slack_bot_token.starts_with("xoxb-"))
        problems.push_back({"SLACK_BOT_TOKEN",
                            "must start with xoxb- (the Bot User OAuth Token from OAuth & Permissions, not a user "
                            "or app-level token)"});
    if (s.github_token.empty())
        problems.push_back({"GITHUB_TOKEN",
                            "missing — create a fine-grained personal access token (GitHub → Settings → Developer "
                            "settings) with read access to contents, pull requests, checks and commit statuses of "
                            "github.repo"});
    if (s.vercel_token.empty())
        problems.push_back({"VERCEL_TOKEN",
                            "missing — create a token under Vercel → Account Settings → Tokens with access to the "
                            "team that owns vercel.project"});
    return problems;
}

}  // namespace deploybot
