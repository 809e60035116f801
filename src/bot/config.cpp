#include "bot/config.hpp"

#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <sstream>

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

// "mon".."sun" or full names, any case → 0 = Sunday … 6 = Saturday.
std::optional<int> parse_day(std::string_view s) {
    static constexpr std::array<std::string_view, 7> short_names{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    static constexpr std::array<std::string_view, 7> long_names{"sunday",   "monday", "tuesday", "wednesday",
                                                                "thursday", "friday", "saturday"};
    const auto l = lower(s);
    for (int i = 0; i < 7; ++i)
        if (l == short_names[i] || l == long_names[i]) return i;
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

    // Returns the section object, or nullptr when absent or not an object.
    const json::object* section(const json::object& root, std::string_view name) {
        const auto* v = root.if_contains(name);
        if (!v) return nullptr;
        if (!v->is_object()) {
            problem(std::string(name), "must be an object");
            return nullptr;
        }
        return &v->get_object();
    }

    // True when the key is present and a string (stored in out).
    bool read_string(const json::object* obj, std::string_view prefix, std::string_view name, std::string& out) {
        if (!obj) return false;
        const auto* v = obj->if_contains(name);
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
        if (!obj) return false;
        const auto* v = obj->if_contains(name);
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
        if (!obj) return false;
        const auto* v = obj->if_contains(name);
        if (!v) return false;
        const auto key = join(prefix, name);
        std::optional<std::int64_t> n;
        if (v->is_int64()) {
            n = v->get_int64();
        } else if (v->is_uint64()) {
            n = v->get_uint64() > static_cast<std::uint64_t>(max) ? max + 1 : static_cast<std::int64_t>(v->get_uint64());
        } else if (v->is_double()) {
            const double d = v->get_double();
            if (d == static_cast<double>(static_cast<std::int64_t>(d)) && d >= -9e18 && d <= 9e18)
                n = static_cast<std::int64_t>(d);
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
        if (const auto* w = obj->if_contains("windows")) {
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
                if (ok) out.windows = std::move(windows);
            }
        }
        if (const auto* b = obj->if_contains("blocked_days")) {
            if (auto days = read_days(*b, "schedule.blocked_days")) out.blocked_days = std::move(*days);
        }
    }

    std::optional<deploy_window> read_window(const json::value& v, const std::string& key) {
        if (!v.is_object()) {
            problem(key, "must be an object with days, start and end");
            return std::nullopt;
        }
        const auto& o = v.get_object();
        deploy_window win;
        bool ok = true;
        if (const auto* d = o.if_contains("days")) {
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
            const auto* t = o.if_contains(name);
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
        static constexpr std::array<std::string_view, 12> known{
            "slack",   "people",     "schedule", "github", "vercel", "sentry",
            "monitoring", "storage", "tls",      "http",   "checklist_refresh_s", "$schema"};
        for (const auto& kv : root)
            if (std::find(known.begin(), known.end(), kv.key()) == known.end())
                problem(std::string(kv.key()), "unknown key");

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
        if (!people || !people->if_contains("deployers")) {
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

        // storage
        const auto* storage = section(root, "storage");
        if (read_string(storage, "storage", "path", cfg.storage.path) && cfg.storage.path.empty())
            problem("storage.path", "must not be empty");

        // tls
        if (const auto* tls = section(root, "tls")) {
            if (const auto* ca = tls->if_contains("ca_file")) {
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
    }

private:
    static std::string join(std::string_view prefix, std::string_view name) {
        if (prefix.empty()) return std::string(name);
        return fmt::format("{}.{}", prefix, name);
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
    return parse_config(buf.str());
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
