// The reader's sections of the config file, and the checks across keys
// (unknown keys, windows that never open, the two-person rule).
#include "bot/config_detail.hpp"

#include "bot/net/endpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <utility>

namespace deploybot::config_detail {

namespace {

bool is_upper_alnum(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

bool looks_like_channel_id(std::string_view s) {
    return s.size() >= 2 && (s[0] == 'C' || s[0] == 'G') && is_upper_alnum(s);
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

}  // namespace

bool looks_like_user_id(std::string_view s) {
    return s.size() >= 2 && (s[0] == 'U' || s[0] == 'W') && is_upper_alnum(s);
}

void reader::read_config(const json::object& root, config& cfg) {
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
    read_duration(vercel, "vercel", "staging_poll_s", 0, 86400, cfg.vercel.staging_poll);
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
    if (read_string(http, "http", "listen", cfg.http.listen) && !cfg.http.listen.empty()) {
        std::string why;
        if (!parse_listen_address(cfg.http.listen, &why))
            problem("http.listen", fmt::format("\"{}\" {}", cfg.http.listen, why));
    }

    // log
    const auto* log_section = section(root, "log");
    if (std::string format; read_string(log_section, "log", "format", format)) {
        if (format == "text") cfg.log.format = config::log_t::format_t::text;
        else if (format == "json") cfg.log.format = config::log_t::format_t::json;
        else problem("log.format", fmt::format("\"{}\" must be \"text\" or \"json\"", format));
    }

    // stats
    if (const auto* w = field(section(root, "stats"), "weekly_digest")) {
        if (w->is_bool()) cfg.stats.weekly_digest = w->get_bool();
        else problem("stats.weekly_digest", "must be true or false");
    }

    read_duration(&root, "", "checklist_refresh_s", 1, 86400, cfg.checklist_refresh);

    check_windows_can_open(cfg.schedule);
    check_two_people_possible(cfg.people);
    report_unknown_keys();
}

// True when a problem names `prefix` or a key inside it ("schedule", "schedule.windows[0].start").
bool reader::has_problem_under(std::string_view prefix) const {
    return std::any_of(problems.begin(), problems.end(), [&](const config_problem& p) {
        const std::string_view k = p.key;
        return k.starts_with(prefix) &&
               (k.size() == prefix.size() || k[prefix.size()] == '.' || k[prefix.size()] == '[');
    });
}

// Listed first: a misspelt section or key explains the "missing" lines that follow.
void reader::report_unknown_keys() {
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
void reader::check_windows_can_open(const config::schedule_t& s) {
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
void reader::check_two_people_possible(const config::people_t& p) {
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

}  // namespace deploybot::config_detail
