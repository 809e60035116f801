#include "bot/config.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

using namespace deploybot;

namespace {

// The smallest valid config: only the required keys.
const char* const minimal = R"({
  "slack":  { "channel": "C0DEPLOYS01" },
  "people": { "deployers": ["U01AAAA"] },
  "github": { "repo": "clario/app" },
  "vercel": { "project": "prj_x", "staging_domain": "staging.clario.id", "production_domain": "app.clario.id" }
})";

std::vector<std::string> lines(const std::vector<config_problem>& problems) {
    std::vector<std::string> out;
    for (const auto& p : problems) out.push_back(p.to_string());
    return out;
}

bool has_problem(const config_parse_result& r, std::string_view key, std::string_view message_part = "") {
    return std::any_of(r.problems.begin(), r.problems.end(), [&](const config_problem& p) {
        return p.key == key && p.message.find(message_part) != std::string::npos;
    });
}

// A minimal config with one section replaced.
std::string with(std::string_view section, std::string_view body) {
    std::map<std::string, std::string, std::less<>> sections{
        {"slack", R"({ "channel": "C0DEPLOYS01" })"},
        {"people", R"({ "deployers": ["U01AAAA"] })"},
        {"github", R"({ "repo": "clario/app" })"},
        {"vercel", R"({ "project": "prj_x", "staging_domain": "s.clario.id", "production_domain": "app.clario.id" })"},
    };
    sections[std::string(section)] = std::string(body);
    std::string out = "{";
    for (const auto& [k, v] : sections) out += "\"" + k + "\": " + v + ",\n";
    out += "}";
    return out;
}

}  // namespace

TEST_CASE("config: a minimal config is valid and keeps every default") {
    const auto r = parse_config(minimal);
    CHECK(lines(r.problems).empty());
    const auto& c = r.cfg;
    CHECK(c.slack.api_url == "https://slack.com/api");
    CHECK(c.slack.channel == "C0DEPLOYS01");
    CHECK(c.slack.max_message_bytes == (1u << 20));
    CHECK(c.slack.ping_interval == std::chrono::seconds(10));
    CHECK(c.people.deployers == std::vector<std::string>{"U01AAAA"});
    CHECK(c.people.qa_leads.empty());
    CHECK(c.schedule.timezone == "Asia/Jakarta");
    REQUIRE(c.schedule.windows.size() == 1);
    CHECK(c.schedule.windows[0].days == std::vector<int>{2, 4});
    CHECK(c.schedule.windows[0].start_minute == 600);
    CHECK(c.schedule.windows[0].end_minute == 720);
    CHECK(c.schedule.blocked_days == std::vector<int>{5});
    CHECK(c.github.api_url == "https://api.github.com");
    CHECK(c.github.main_branch == "main");
    CHECK(c.github.migration_paths == std::vector<std::string>{"prisma/migrations/"});
    CHECK(c.github.big_batch_warning == 15);
    CHECK(c.vercel.api_url == "https://api.vercel.com");
    CHECK(c.vercel.team.empty());
    CHECK(c.vercel.poll_interval == std::chrono::milliseconds(2000));
    CHECK(c.sentry.api_url == "https://sentry.io/api/0");
    CHECK(c.sentry.environment == "production");
    CHECK(c.monitoring.duration == std::chrono::seconds(3600));
    CHECK(c.monitoring.interval == std::chrono::seconds(300));
    CHECK(c.storage.path == "deploybot.sqlite3");
    CHECK_FALSE(c.tls.ca_file.has_value());
    CHECK(c.http.timeout == std::chrono::milliseconds(10000));
    CHECK(c.http.max_retries == 3);
    CHECK(c.checklist_refresh == std::chrono::seconds(30));
}

TEST_CASE("config: the full DESIGN example with comments and every extra key") {
    const auto r = parse_config(R"({
  /* block comment */
  "slack":   { "api_url": "http://127.0.0.1:8080/api",   // local fake
               "channel": "G0DEPLOYS01", "max_message_bytes": 65536, "ping_interval_s": 5, "hello_timeout_s": 3, },
  "people":  { "deployers": ["U01AAAA", "W02BBBB"], "qa_leads": ["U01BBBB"], "admins": ["U01CCCC"] },
  "schedule":{ "timezone": "Europe/Berlin",
               "windows": [ { "days": ["Mon", "WED"], "start": "09:30", "end": "24:00" },
                            { "days": ["sat"], "start": "0:00", "end": "1:15" } ],
               "blocked_days": ["sun", "friday"] },
  "github":  { "api_url": "https://api.github.com", "repo": "clario/app", "main_branch": "trunk",
               "migration_paths": ["db/migrate/", "prisma/"], "required_checks": ["ci/test"], "big_batch_warning": 5 },
  "vercel":  { "api_url": "https://api.vercel.com", "project": "prj_abc", "team": "team_xyz",
               "staging_domain": "staging.clario.id", "production_domain": "app.clario.id",
               "poll_interval_ms": 250, "promote_timeout_s": 120 },
  "sentry":  { "api_url": "https://sentry.io/api/0", "org": "clario", "project": "app", "environment": "prod" },
  "monitoring": { "duration_s": 60, "interval_s": 10 },
  "storage": { "path": "/tmp/x.sqlite3" },
  "tls":     { "ca_file": "/etc/ssl/extra.pem" },
  "http":    { "timeout_ms": 1500, "max_body_bytes": 4096, "max_retries": 0 },
  "checklist_refresh_s": 7,
})");
    REQUIRE(lines(r.problems).empty());
    const auto& c = r.cfg;
    CHECK(c.slack.api_url == "http://127.0.0.1:8080/api");
    CHECK(c.slack.channel == "G0DEPLOYS01");
    CHECK(c.slack.max_message_bytes == 65536);
    CHECK(c.slack.ping_interval == std::chrono::seconds(5));
    CHECK(c.slack.hello_timeout == std::chrono::seconds(3));
    CHECK(c.people.deployers == std::vector<std::string>{"U01AAAA", "W02BBBB"});
    CHECK(c.people.qa_leads == std::vector<std::string>{"U01BBBB"});
    CHECK(c.people.admins == std::vector<std::string>{"U01CCCC"});
    CHECK(c.schedule.timezone == "Europe/Berlin");
    REQUIRE(c.schedule.windows.size() == 2);
    CHECK(c.schedule.windows[0].days == std::vector<int>{1, 3});
    CHECK(c.schedule.windows[0].start_minute == 9 * 60 + 30);
    CHECK(c.schedule.windows[0].end_minute == 24 * 60);
    CHECK(c.schedule.windows[1].days == std::vector<int>{6});
    CHECK(c.schedule.windows[1].start_minute == 0);
    CHECK(c.schedule.windows[1].end_minute == 75);
    CHECK(c.schedule.blocked_days == std::vector<int>{0, 5});
    CHECK(c.github.main_branch == "trunk");
    CHECK(c.github.migration_paths == std::vector<std::string>{"db/migrate/", "prisma/"});
    CHECK(c.github.required_checks == std::vector<std::string>{"ci/test"});
    CHECK(c.github.big_batch_warning == 5);
    CHECK(c.vercel.project == "prj_abc");
    CHECK(c.vercel.team == "team_xyz");
    CHECK(c.vercel.staging_domain == "staging.clario.id");
    CHECK(c.vercel.production_domain == "app.clario.id");
    CHECK(c.vercel.poll_interval == std::chrono::milliseconds(250));
    CHECK(c.vercel.promote_timeout == std::chrono::seconds(120));
    CHECK(c.sentry.org == "clario");
    CHECK(c.sentry.project == "app");
    CHECK(c.sentry.environment == "prod");
    CHECK(c.monitoring.duration == std::chrono::seconds(60));
    CHECK(c.monitoring.interval == std::chrono::seconds(10));
    CHECK(c.storage.path == "/tmp/x.sqlite3");
    CHECK(c.tls.ca_file == std::optional<std::string>("/etc/ssl/extra.pem"));
    CHECK(c.http.timeout == std::chrono::milliseconds(1500));
    CHECK(c.http.max_body_bytes == 4096);
    CHECK(c.http.max_retries == 0);
    CHECK(c.checklist_refresh == std::chrono::seconds(7));
}

TEST_CASE("config: an empty object names every missing required key") {
    const auto r = parse_config("{}");
    CHECK(lines(r.problems) == std::vector<std::string>{
                                   "slack.channel: missing",
                                   "people.deployers: missing",
                                   "github.repo: missing",
                                   "vercel.project: missing",
                                   "vercel.staging_domain: missing",
                                   "vercel.production_domain: missing",
                               });
}

TEST_CASE("config: invalid JSON is one problem on key config with its position") {
    const auto r = parse_config("{\n  \"slack\": { \"channel\": \"C1\" \n  \"people\": {}\n}");
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].key == "config");
    CHECK(r.problems[0].message.find("invalid JSON at line 3") != std::string::npos);

    const auto empty = parse_config("");
    REQUIRE(empty.problems.size() == 1);
    CHECK(empty.problems[0].key == "config");

    const auto array = parse_config("[1, 2]");
    CHECK(lines(array.problems) == std::vector<std::string>{"config: must be a JSON object"});
}

TEST_CASE("config: unknown top-level keys are reported to catch typos") {
    std::string text = minimal;
    text.insert(1, "\"vercle\": {},");
    const auto r = parse_config(text);
    CHECK(lines(r.problems) == std::vector<std::string>{"vercle: unknown key (did you mean vercel?)"});
    const auto far = parse_config(std::string(minimal).insert(1, "\"extras\": {},"));
    CHECK(lines(far.problems) == std::vector<std::string>{"extras: unknown key"});
}

TEST_CASE("config: wrong JSON types name the key") {
    CHECK(has_problem(parse_config(with("slack", R"({ "channel": 42 })")), "slack.channel", "must be a string"));
    CHECK(has_problem(parse_config(with("slack", "[]")), "slack", "must be an object"));
    CHECK(has_problem(parse_config(with("people", R"({ "deployers": "U01AAAA" })")), "people.deployers",
                      "must be an array"));
    CHECK(has_problem(parse_config(with("people", R"({ "deployers": ["U01AAAA", 7] })")), "people.deployers[1]",
                      "must be a string"));
    CHECK(has_problem(parse_config(with("github", R"({ "repo": "a/b", "big_batch_warning": "ten" })")),
                      "github.big_batch_warning", "must be a whole number"));
    CHECK(has_problem(parse_config(with("github", R"({ "repo": "a/b", "big_batch_warning": 1.5 })")),
                      "github.big_batch_warning", "must be a whole number"));
    CHECK(has_problem(parse_config(with("monitoring", R"({ "interval_s": 0 })")), "monitoring.interval_s",
                      "must be between 1 and"));
    CHECK(has_problem(parse_config(with("tls", R"({ "ca_file": 3 })")), "tls.ca_file", "must be a string or null"));
    CHECK(has_problem(parse_config(with("schedule", R"({ "windows": {} })")), "schedule.windows", "must be an array"));
    // A wrong value keeps the default.
    CHECK(parse_config(with("monitoring", R"({ "interval_s": -5 })")).cfg.monitoring.interval ==
          std::chrono::seconds(300));
}

TEST_CASE("config: required values are validated") {
    CHECK(has_problem(parse_config(with("slack", R"({ "channel": "#deployments" })")), "slack.channel",
                      "is not a channel ID"));
    CHECK(has_problem(parse_config(with("slack", R"({ "channel": "c0deploys01" })")), "slack.channel"));
    CHECK(has_problem(parse_config(with("slack", R"({ "channel": "D0DIRECT01" })")), "slack.channel"));
    CHECK(has_problem(parse_config(with("slack", R"({ "channel": "" })")), "slack.channel", "must not be empty"));
    CHECK(has_problem(parse_config(with("people", R"({ "deployers": [] })")), "people.deployers",
                      "at least one"));
    CHECK(has_problem(parse_config(with("people", R"({ "deployers": ["dana"] })")), "people.deployers[0]",
                      "is not a Slack user ID"));
    CHECK(has_problem(parse_config(with("people", R"({ "deployers": ["U1"], "qa_leads": ["@qa"] })")),
                      "people.qa_leads[0]"));
    CHECK(has_problem(parse_config(with("people", R"({ "deployers": ["U1"], "admins": ["C0NOTAUSER"] })")),
                      "people.admins[0]"));
    CHECK(has_problem(parse_config(with("github", R"({ "repo": "clario" })")), "github.repo", "owner/name"));
    CHECK(has_problem(parse_config(with("github", R"({ "repo": "a/b/c" })")), "github.repo", "owner/name"));
    CHECK(has_problem(parse_config(with("vercel", R"({ "project": "p", "staging_domain": "https://s.x.id",
                                                       "production_domain": "app.x.id" })")),
                      "vercel.staging_domain", "host name"));
}

TEST_CASE("config: every api_url must be an absolute http(s) URL") {
    for (const char* section : {"slack", "github", "vercel", "sentry"}) {
        CAPTURE(section);
        const std::string required = std::string(section) == "slack"    ? R"("channel": "C0DEPLOYS01",)"
                                     : std::string(section) == "github" ? R"("repo": "a/b",)"
                                     : std::string(section) == "vercel"
                                         ? R"("project": "p", "staging_domain": "s.x.id", "production_domain": "p.x.id",)"
                                         : "";
        for (const char* bad : {"api.example.com", "ftp://example.com/api", "/api", "https://"}) {
            CAPTURE(bad);
            const auto r = parse_config(with(section, "{" + required + "\"api_url\": \"" + bad + "\"}"));
            CHECK(has_problem(r, std::string(section) + ".api_url", "absolute http:// or https:// URL"));
        }
        const auto ok = parse_config(with(section, "{" + required + R"("api_url": "http://127.0.0.1:9/x"})"));
        CHECK(lines(ok.problems).empty());
    }
}

TEST_CASE("config: schedule timezone and windows") {
    CHECK(has_problem(parse_config(with("schedule", R"({ "timezone": "Mars/Olympus" })")), "schedule.timezone",
                      "unknown time zone"));
    CHECK(has_problem(parse_config(with("schedule", R"({ "timezone": "" })")), "schedule.timezone"));
    CHECK(lines(parse_config(with("schedule", R"({ "timezone": "UTC" })")).problems).empty());

    auto win = [](std::string_view w) { return with("schedule", std::string(R"({ "windows": [)") + std::string(w) + "]}"); };
    CHECK(has_problem(parse_config(win(R"({ "days": ["tue"], "start": "12:00", "end": "10:00" })")),
                      "schedule.windows[0]", "start must be before end"));
    CHECK(has_problem(parse_config(win(R"({ "days": ["tue"], "start": "10:00", "end": "10:00" })")),
                      "schedule.windows[0]", "start must be before end"));
    CHECK(has_problem(parse_config(win(R"({ "days": ["tue"], "start": "25:00", "end": "26:00" })")),
                      "schedule.windows[0].start", "HH:MM"));
    CHECK(has_problem(parse_config(win(R"({ "days": ["tue"], "start": "10am", "end": "12:00" })")),
                      "schedule.windows[0].start", "HH:MM"));
    CHECK(has_problem(parse_config(win(R"({ "days": ["tue"], "start": "10:60", "end": "12:00" })")),
                      "schedule.windows[0].start"));
    CHECK(has_problem(parse_config(win(R"({ "days": ["tue"], "start": "24:00", "end": "24:00" })")),
                      "schedule.windows[0].start"));
    CHECK(has_problem(parse_config(win(R"({ "days": ["tue"], "end": "12:00" })")), "schedule.windows[0].start",
                      "missing"));
    CHECK(has_problem(parse_config(win(R"({ "days": ["tue"], "start": 10, "end": "12:00" })")),
                      "schedule.windows[0].start", "must be a string"));
    CHECK(has_problem(parse_config(win(R"({ "days": ["tues"], "start": "10:00", "end": "12:00" })")),
                      "schedule.windows[0].days[0]", "unknown day"));
    CHECK(has_problem(parse_config(win(R"({ "days": [], "start": "10:00", "end": "12:00" })")),
                      "schedule.windows[0].days", "at least one day"));
    CHECK(has_problem(parse_config(win(R"({ "start": "10:00", "end": "12:00" })")), "schedule.windows[0].days",
                      "missing"));
    CHECK(has_problem(parse_config(win(R"("tue 10-12")")), "schedule.windows[0]", "must be an object"));
    CHECK(has_problem(parse_config(with("schedule", R"({ "blocked_days": ["fri", "caturday"] })")),
                      "schedule.blocked_days[1]", "unknown day"));

    const auto ok = parse_config(with("schedule", R"({ "windows": [ { "days": ["SUN", "Sat", "sat"],
        "start": "07:05", "end": "23:59" } ], "blocked_days": [] })"));
    REQUIRE(lines(ok.problems).empty());
    REQUIRE(ok.cfg.schedule.windows.size() == 1);
    CHECK(ok.cfg.schedule.windows[0].days == std::vector<int>{0, 6});
    CHECK(ok.cfg.schedule.windows[0].start_minute == 7 * 60 + 5);
    CHECK(ok.cfg.schedule.windows[0].end_minute == 23 * 60 + 59);
    CHECK(ok.cfg.schedule.blocked_days.empty());
}

TEST_CASE("config: tls.ca_file accepts null and a string") {
    CHECK_FALSE(parse_config(with("tls", R"({ "ca_file": null })")).cfg.tls.ca_file.has_value());
    CHECK(parse_config(with("tls", R"({ "ca_file": "/x.pem" })")).cfg.tls.ca_file == std::optional<std::string>("/x.pem"));
}

TEST_CASE("config: load_config_file reads a file and reports an unreadable one") {
    const std::string path = "/tmp/deploybot_config_test_" + std::to_string(::getpid()) + ".json";
    {
        std::ofstream out(path);
        out << minimal;
    }
    const auto r = load_config_file(path);
    std::remove(path.c_str());
    CHECK(lines(r.problems).empty());
    CHECK(r.cfg.vercel.project == "prj_x");

    const auto missing = load_config_file("/nonexistent/deploybot.json");
    REQUIRE(missing.problems.size() == 1);
    CHECK(missing.problems[0].key == "config");
    CHECK(missing.problems[0].message.find("/nonexistent/deploybot.json") != std::string::npos);
}

TEST_CASE("config: the shipped example config is valid") {
    const auto r = load_config_file(DEPLOYBOT_FIXTURES "/../../config/deploybot.example.json");
    CHECK(lines(r.problems).empty());
    CHECK(r.cfg.slack.channel == "C0DEPLOYS01");
    CHECK_FALSE(r.cfg.people.deployers.empty());
    CHECK(r.cfg.github.repo == "clario/app");
}

TEST_CASE("config: validate_secrets names the variable, says where to get it, never echoes the value") {
    const secrets good{"xapp-1-A0-123-abc", "xoxb-123-456-abc", "ghp_abcdefghijkl", "vercel_tok", ""};
    CHECK(validate_secrets(good).empty());

    const auto none = validate_secrets(secrets{});
    CHECK(lines(none).size() == 4);
    REQUIRE(none.size() == 4);
    CHECK(none[0].key == "SLACK_APP_TOKEN");
    CHECK(none[0].message.find("connections:write") != std::string::npos);
    CHECK(none[0].message.find("App-Level Tokens") != std::string::npos);
    CHECK(none[1].key == "SLACK_BOT_TOKEN");
    CHECK(none[1].message.find("OAuth & Permissions") != std::string::npos);
    CHECK(none[2].key == "GITHUB_TOKEN");
    CHECK(none[3].key == "VERCEL_TOKEN");

    // Swapped Slack tokens: both wrong prefixes, and neither value appears.
    const secrets swapped{"xoxb-SECRETBOT-999", "xapp-SECRETAPP-999", "g", "v", ""};
    const auto problems = validate_secrets(swapped);
    REQUIRE(problems.size() == 2);
    CHECK(problems[0].key == "SLACK_APP_TOKEN");
    CHECK(problems[0].message.find("xapp-") != std::string::npos);
    CHECK(problems[1].key == "SLACK_BOT_TOKEN");
    for (const auto& p : problems) {
        CHECK(p.message.find("SECRET") == std::string::npos);
        CHECK(p.key.find("SECRET") == std::string::npos);
    }
}

TEST_CASE("config: read_secrets reads the five variables") {
    const auto s = read_secrets([](const char* name) -> const char* {
        const std::string n = name;
        if (n == "SLACK_APP_TOKEN") return "xapp-a";
        if (n == "SLACK_BOT_TOKEN") return "xoxb-b";
        if (n == "SENTRY_AUTH_TOKEN") return "sntry";
        return nullptr;
    });
    CHECK(s.slack_app_token == "xapp-a");
    CHECK(s.slack_bot_token == "xoxb-b");
    CHECK(s.github_token.empty());
    CHECK(s.vercel_token.empty());
    CHECK(s.sentry_token == "sntry");
}

TEST_CASE("config: unknown nested keys are reported with the full path and the closest known key") {
    const auto typo = parse_config(with("people", R"({ "deployers": ["U01AAAA"], "qa_lead": ["U01BBBB"] })"));
    CHECK(lines(typo.problems) ==
          std::vector<std::string>{"people.qa_lead: unknown key (did you mean people.qa_leads?)"});

    const auto far = parse_config(with("monitoring", R"({ "duration_s": 60, "sentry_window": 5 })"));
    CHECK(lines(far.problems) == std::vector<std::string>{"monitoring.sentry_window: unknown key"});

    const auto window = parse_config(with("schedule", R"({ "windows": [
        { "days": ["tue"], "start": "10:00", "end": "12:00" },
        { "days": ["thu"], "start": "10:00", "end": "12:00", "ends": "13:00" } ] })"));
    CHECK(lines(window.problems) ==
          std::vector<std::string>{"schedule.windows[1].ends: unknown key (did you mean schedule.windows[1].end?)"});

    CHECK(has_problem(parse_config(with("tls", R"({ "cafile": "/x.pem" })")), "tls.cafile",
                      "did you mean tls.ca_file?"));
    CHECK(has_problem(parse_config(with("vercel", R"({ "project": "p", "staging_domain": "s.x.id",
                                                       "production_domain": "p.x.id", "Team": "t" })")),
                      "vercel.Team", "did you mean vercel.team?"));

    // Unknown keys come first: they explain the "missing" lines after them.
    std::string text = minimal;
    text.insert(text.find("\"people\": {") + 11, R"( "deployer": ["U01CCCC"], )");
    const auto r = parse_config(text);
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].to_string() == "people.deployer: unknown key (did you mean people.deployers?)");
}

TEST_CASE("config: no deploy window at all is a problem") {
    const auto r = parse_config(with("schedule", R"({ "windows": [] })"));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].key == "schedule.windows");
    CHECK(r.problems[0].message.find("no deploy windows") != std::string::npos);
    CHECK(r.problems[0].message.find("admin override") != std::string::npos);
}

TEST_CASE("config: windows only on blocked days can never open") {
    const auto r = parse_config(with("schedule", R"({ "windows": [
        { "days": ["fri"], "start": "10:00", "end": "12:00" },
        { "days": ["sat", "sun"], "start": "09:00", "end": "10:00" } ], "blocked_days": ["fri", "sat", "sun"] })"));
    CHECK(lines(r.problems) ==
          std::vector<std::string>{
              "schedule.windows[0].days: fri is also in schedule.blocked_days, so this window never opens on fri",
              "schedule.windows[1].days: sat, sun are also in schedule.blocked_days, so this window never opens on "
              "those days",
              "schedule: every deploy window falls on a blocked day (schedule.blocked_days: fri, sat, sun), so no "
              "window ever opens and no production deploy can start without an admin override (/deploy override)",
          });

    // The default window (Tue/Thu) with both of its days blocked.
    const auto defaults = parse_config(with("schedule", R"({ "blocked_days": ["tue", "thu"] })"));
    CHECK(has_problem(defaults, "schedule.blocked_days",
                      "tue, thu are days of the default deploy window (tue, thu 10:00-12:00)"));
    CHECK(has_problem(defaults, "schedule", "every deploy window falls on a blocked day"));
}

TEST_CASE("config: a blocked day inside an otherwise open window is dead config") {
    const auto r = parse_config(with("schedule", R"({ "windows": [
        { "days": ["tue", "fri"], "start": "10:00", "end": "12:00" } ], "blocked_days": ["fri"] })"));
    CHECK(lines(r.problems) ==
          std::vector<std::string>{
              "schedule.windows[0].days: fri is also in schedule.blocked_days, so this window never opens on fri"});

    // No judgement on a schedule that already has an error: part of it is still the default.
    const auto broken = parse_config(with("schedule", R"({ "windows": [ { "days": ["fri"], "start": "10:00",
        "end": "9:00" } ], "blocked_days": ["tue", "thu"] })"));
    CHECK(lines(broken.problems) ==
          std::vector<std::string>{"schedule.windows[0]: start must be before end (windows cannot cross midnight)"});
}

TEST_CASE("config: one person as the only deployer and the only QA lead cannot deploy (two-person rule)") {
    const auto r = parse_config(with("people", R"({ "deployers": ["U01AAAA"], "qa_leads": ["U01AAAA"] })"));
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].key == "people");
    CHECK(r.problems[0].message.find("U01AAAA is the only deployer and the only QA lead") != std::string::npos);
    CHECK(r.problems[0].message.find("someone other than the requester") != std::string::npos);

    CHECK(lines(parse_config(with("people", R"({ "deployers": ["U01AAAA", "U01AAAA"], "qa_leads": ["U01AAAA"] })"))
                    .problems)
              .size() == 1);
    // A second person on either side makes a deploy possible.
    CHECK(lines(parse_config(with("people", R"({ "deployers": ["U01AAAA", "U01BBBB"], "qa_leads": ["U01AAAA"] })"))
                    .problems)
              .empty());
    CHECK(lines(parse_config(with("people", R"({ "deployers": ["U01AAAA"], "qa_leads": ["U01AAAA", "U01BBBB"] })"))
                    .problems)
              .empty());
}

TEST_CASE("config: a huge number is out of range, not undefined behaviour") {
    CHECK(lines(parse_config(with("monitoring", R"({ "duration_s": 1e300 })")).problems) ==
          std::vector<std::string>{"monitoring.duration_s: must be between 0 and 604800"});
    CHECK(has_problem(parse_config(with("monitoring", R"({ "interval_s": -1e300 })")), "monitoring.interval_s",
                      "must be between 1 and 86400"));
    CHECK(has_problem(parse_config(with("http", R"({ "max_body_bytes": 1e19 })")), "http.max_body_bytes",
                      "must be between"));
    CHECK(parse_config(with("monitoring", R"({ "duration_s": 1.5e2 })")).cfg.monitoring.duration ==
          std::chrono::seconds(150));
    const auto keeps_default = parse_config(with("monitoring", R"({ "duration_s": 1e300 })"));
    CHECK(keeps_default.cfg.monitoring.duration == std::chrono::seconds(3600));
}

TEST_CASE("config: a tls.ca_file that cannot be read is a problem of load_config_file") {
    const std::string dir = "/tmp/deploybot_config_test_ca_" + std::to_string(::getpid());
    const std::string config_path = dir + ".json";
    const std::string missing_ca = dir + "-missing.pem";
    {
        std::ofstream out(config_path);
        out << with("tls", "{ \"ca_file\": \"" + missing_ca + "\" }");
    }
    const auto r = load_config_file(config_path);
    std::remove(config_path.c_str());
    CHECK(lines(r.problems) ==
          std::vector<std::string>{"tls.ca_file: cannot read " + missing_ca + ": No such file or directory"});

    // check_config_files directly: a directory is not a CA bundle, a readable file is fine.
    config cfg;
    cfg.tls.ca_file = "/tmp";
    CHECK(lines(check_config_files(cfg)) == std::vector<std::string>{"tls.ca_file: cannot read /tmp: Is a directory"});
    const std::string ca = dir + ".pem";
    std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
    cfg.tls.ca_file = ca;
    CHECK(check_config_files(cfg).empty());
    std::remove(ca.c_str());
    cfg.tls.ca_file.reset();
    CHECK(check_config_files(cfg).empty());
}

TEST_CASE("config: check_storage_path looks at the directory and an existing file without changing anything") {
    const std::string dir = "/tmp/deploybot_config_test_storage_" + std::to_string(::getpid());
    config cfg;
    cfg.storage.path = dir + "/bot.sqlite3";
    CHECK(lines(check_storage_path(cfg)) ==
          std::vector<std::string>{"storage.path: directory " + dir + " does not exist"});

    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    CHECK(check_storage_path(cfg).empty());
    CHECK(::access(cfg.storage.path.c_str(), F_OK) != 0);   // not created

    std::ofstream(cfg.storage.path) << "this is a text file, not a database\n";
    const auto garbage = check_storage_path(cfg);
    REQUIRE(garbage.size() == 1);
    CHECK(garbage[0].key == "storage.path");
    CHECK(garbage[0].message.find(cfg.storage.path + " is not a SQLite database") != std::string::npos);

    std::ofstream(cfg.storage.path, std::ios::binary) << std::string("SQLite format 3\0", 16) << std::string(84, 'x');
    CHECK(check_storage_path(cfg).empty());

    if (::geteuid() != 0) {   // root may write anywhere
        REQUIRE(::chmod(dir.c_str(), 0555) == 0);
        CHECK(has_problem(config_parse_result{cfg, check_storage_path(cfg)}, "storage.path",
                          "directory " + dir + " is not writable"));
        ::chmod(dir.c_str(), 0755);
    }
    std::remove(cfg.storage.path.c_str());
    ::rmdir(dir.c_str());

    cfg.storage.path = "relative.sqlite3";   // the working directory
    CHECK(check_storage_path(cfg).empty());
}

TEST_CASE("config: the watch and post-mortem keys — defaults, values, and a readable error for each bad one") {
    {
        const auto r = parse_config(minimal);
        CHECK(r.cfg.monitoring.min_events == 10);
        CHECK(r.cfg.monitoring.ratio == doctest::Approx(3.0));
        CHECK(r.cfg.monitoring.mention.empty());
        CHECK(r.cfg.monitoring.settle == std::chrono::seconds(90));
        CHECK(r.cfg.github.postmortem_labels == std::vector<std::string>{"post-mortem"});
    }
    auto ok = parse_config(with("monitoring", R"({"min_events": 25, "ratio": 2.5, "mention": "@here", "settle_s": 0})"));
    CHECK(lines(ok.problems).empty());
    CHECK(ok.cfg.monitoring.min_events == 25);
    CHECK(ok.cfg.monitoring.ratio == doctest::Approx(2.5));
    CHECK(ok.cfg.monitoring.mention == "here");
    CHECK(ok.cfg.monitoring.settle == std::chrono::seconds(0));
    auto labels = parse_config(with("github", R"({"repo": "clario/app", "postmortem_labels": ["incident", "post-mortem"]})"));
    CHECK(labels.cfg.github.postmortem_labels == std::vector<std::string>{"incident", "post-mortem"});
    CHECK(parse_config(with("monitoring", R"({"mention": "S0ONCALL1"})")).cfg.monitoring.mention == "S0ONCALL1");
    CHECK(parse_config(with("monitoring", R"({"mention": null})")).cfg.monitoring.mention.empty());
    auto bad = parse_config(with("monitoring", R"({"min_events": 0, "ratio": 0.5, "mention": "everyone"})"));
    CHECK(has_problem(bad, "monitoring.min_events"));
    CHECK(has_problem(bad, "monitoring.ratio"));
    CHECK(has_problem(bad, "monitoring.mention"));
    CHECK(has_problem(parse_config(with("monitoring", R"({"ratio": "3"})")), "monitoring.ratio"));
}

TEST_CASE("config: http.listen and log.format — defaults, values, and a readable problem for each bad one") {
    const auto d = parse_config(minimal);
    CHECK(d.cfg.http.listen == "127.0.0.1:9187");
    CHECK(d.cfg.log.format == config::log_t::format_t::text);

    auto ok = parse_config(with("http", R"({"listen": "[::1]:0"})"));
    CHECK(lines(ok.problems).empty());
    CHECK(ok.cfg.http.listen == "[::1]:0");
    auto off = parse_config(with("http", R"({"listen": ""})"));
    CHECK(lines(off.problems).empty());
    CHECK(off.cfg.http.listen.empty());
    auto json = parse_config(with("log", R"({"format": "json"})"));
    CHECK(lines(json.problems).empty());
    CHECK(json.cfg.log.format == config::log_t::format_t::json);

    const auto no_port = parse_config(with("http", R"({"listen": "127.0.0.1"})"));
    CHECK(lines(no_port.problems) ==
          std::vector<std::string>{"http.listen: \"127.0.0.1\" must be host:port, e.g. 127.0.0.1:9187 (or \"\" to "
                                   "turn /healthz and /metrics off)"});
    CHECK(has_problem(parse_config(with("http", R"({"listen": "127.0.0.1:70000"})")), "http.listen",
                      "port must be a number from 0 to 65535"));
    CHECK(has_problem(parse_config(with("http", R"({"listen": "metrics.internal:9187"})")), "http.listen",
                      "must be an IP address"));
    CHECK(has_problem(parse_config(with("http", R"({"listen": 9187})")), "http.listen", "must be a string"));
    CHECK(lines(parse_config(with("log", R"({"format": "JSON lines"})")).problems) ==
          std::vector<std::string>{"log.format: \"JSON lines\" must be \"text\" or \"json\""});
    CHECK(has_problem(parse_config(with("log", R"({"level": "debug"})")), "log.level"));   // unknown key
}

TEST_CASE("config: stats.weekly_digest is on by default, may be turned off, and must be a boolean") {
    CHECK(parse_config(minimal).cfg.stats.weekly_digest);
    const auto off = parse_config(with("stats", R"({ "weekly_digest": false })"));
    CHECK(lines(off.problems).empty());
    CHECK_FALSE(off.cfg.stats.weekly_digest);
    CHECK(has_problem(parse_config(with("stats", R"({ "weekly_digest": "yes" })")), "stats.weekly_digest",
                      "true or false"));
    CHECK(has_problem(parse_config(with("stats", R"({ "weekly_digets": true })")), "stats.weekly_digets",
                      "unknown key"));
}
