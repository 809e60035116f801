#pragma once
#include "bot/core/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot {

struct deploy_window {
    std::vector<int> days;      // 0 = Sunday … 6 = Saturday
    int start_minute = 0;       // minutes after local midnight
    int end_minute = 0;         // exclusive
};

struct config {
    struct slack_t {
        std::string api_url = "https://slack.com/api";
        std::string channel;                 // ID of #deployments
        std::size_t max_message_bytes = 1 << 20;   // WebSocket frame limit
        std::chrono::seconds ping_interval{10};    // own pings; idle timeout is 3x this
        std::chrono::seconds hello_timeout{10};
    } slack;
    struct people_t {
        std::vector<std::string> deployers, qa_leads, admins;
    } people;
    struct schedule_t {
        std::string timezone = "Asia/Jakarta";
        std::vector<deploy_window> windows{deploy_window{{2, 4}, 10 * 60, 12 * 60}};
        std::vector<int> blocked_days{5};
    } schedule;
    struct github_t {
        std::string api_url = "https://api.github.com";
        std::string repo;                    // owner/name
        std::string main_branch = "main";
        std::vector<std::string> migration_paths{"prisma/migrations/"};
        std::vector<std::string> required_checks;   // empty = every signal counts
        int big_batch_warning = 15;                  // warn when more PRs ship at once
        std::vector<std::string> postmortem_labels{"post-mortem"};
    } github;
    struct vercel_t {
        std::string api_url = "https://api.vercel.com";
        std::string project;
        std::string team;
        std::string staging_domain;
        std::string production_domain;
        std::chrono::milliseconds poll_interval{2000};
        std::chrono::seconds staging_poll{30};       // new staging deployments are looked for this often; 0 = off
        std::chrono::seconds promote_timeout{600};
    } vercel;
    struct sentry_t {
        std::string api_url = "https://sentry.io/api/0";
        std::string org, project, environment = "production";
    } sentry;
    struct monitoring_t {
        std::chrono::seconds duration{3600};
        std::chrono::seconds interval{300};
        std::int64_t min_events = 10;        // an interval below this never alerts
        double ratio = 3.0;                  // … nor one below ratio × the baseline per interval
        std::string mention;                 // alert mention: "" none, "here", "channel", U…/S… id
        std::chrono::seconds settle{90};     // wait after an interval ends before counting it (ingestion delay)
    } monitoring;
    struct storage_t {
        std::string path = "deploybot.sqlite3";
    } storage;
    struct tls_t {
        std::optional<std::string> ca_file;
    } tls;
    struct http_t {
        std::chrono::milliseconds timeout{10000};    // deadline of one HTTP exchange
        std::size_t max_body_bytes = 8 << 20;
        int max_retries = 3;                          // GitHub/Vercel reads; writes are never retried blindly
        std::chrono::milliseconds retry_backoff{2000};  // first exponential backoff step
        std::string listen = "127.0.0.1:9187";        // /healthz and /metrics; "" = off
    } http;
    struct log_t {
        enum class format_t { text, json } format = format_t::text;   // json: one object per line
    } log;
    struct stats_t {
        bool weekly_digest = true;                    // DORA figures in the channel, Monday 09:00 schedule.timezone
    } stats;
    std::chrono::seconds checklist_refresh{30};      // automatic re-evaluation of open requests
};

// Secrets come only from the environment.
struct secrets {
    std::string slack_app_token;    // SLACK_APP_TOKEN
    std::string slack_bot_token;    // SLACK_BOT_TOKEN
    std::string github_token;       // GITHUB_TOKEN
    std::string vercel_token;       // VERCEL_TOKEN
    std::string sentry_token;       // SENTRY_AUTH_TOKEN
};

// One problem with the configuration, naming the key: {"vercel.project", "missing"}.
struct config_problem {
    std::string key;
    std::string message;
    std::string to_string() const { return key + ": " + message; }
};

struct config_parse_result {
    config cfg;
    std::vector<config_problem> problems;   // empty = valid
};

// Pure: parses JSON with comments and trailing commas, applies defaults and
// validates every key. Never throws.
config_parse_result parse_config(std::string_view text);

// Reads the file, then parse_config, then check_config_files; an unreadable
// file is a problem on key "config".
config_parse_result load_config_file(const std::string& path);

// Reads (never writes) the files the config names: tls.ca_file must be
// readable. The bot refuses to start on any of these problems.
std::vector<config_problem> check_config_files(const config& cfg);

// For `deploybot check`; reads only, creates nothing: storage.path's directory
// exists and is writable, and a file already there is a SQLite database.
std::vector<config_problem> check_storage_path(const config& cfg);

// Reads the five variables from a lookup function (getenv in production).
template <class Getenv>
secrets read_secrets(Getenv&& getenv_fn) {
    auto get = [&](const char* name) {
        const char* v = getenv_fn(name);
        return std::string(v ? v : "");
    };
    return secrets{get("SLACK_APP_TOKEN"), get("SLACK_BOT_TOKEN"), get("GITHUB_TOKEN"), get("VERCEL_TOKEN"),
                   get("SENTRY_AUTH_TOKEN")};
}

// Pure: problems with the secrets needed to run (missing, wrong prefix). The
// message says where to get the token. Never contains a token value.
std::vector<config_problem> validate_secrets(const secrets& s);

}  // namespace deploybot
