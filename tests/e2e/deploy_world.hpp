#pragma once
// The world of the deploy-flow end-to-end tests: fake Slack, GitHub and Vercel,
// the bot (in process or as the real binary), and helpers that drive it like
// Slack does and read back what it sent and stored. Shared by every suite that
// drives /deploy prod (deploy_flow_test.cpp, safety_test.cpp).
#include "bot_harness.hpp"
#include "child_process.hpp"
#include "commands/deploy/deploy_store.hpp"
#include "fakes/fake_github.hpp"
#include "fakes/fake_sentry.hpp"
#include "fakes/fake_vercel.hpp"
#include "fakes/shop_world.hpp"

#include <boost/json/serialize.hpp>
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace deploy_world {

using namespace deploybot;
using namespace deploybot::testing;
using fakes::fake_github;
using fakes::fake_slack;
using fakes::fake_vercel;

const std::string channel = fakes::shop::channel;
const std::string deployer = fakes::shop::deployer;
const std::string deployer2 = fakes::shop::deployer2;
const std::string qa = fakes::shop::qa;
const std::string admin = fakes::shop::admin;
const std::string both_roles = "U0BOTHROLE1";   // deployer and QA lead (two-person rule)
const std::string outsider = fakes::shop::outsider;

using fakes::shop::sha;

inline std::string all_text(const fakes::slack_message& m) {
    std::string s = m.text;
    for (const auto& b : m.blocks) s += boost::json::serialize(b);
    return s;
}
inline std::string all_text(const fakes::slack_ephemeral& e) {
    std::string s = e.text;
    for (const auto& b : e.blocks) s += boost::json::serialize(b);
    return s;
}
inline bool has(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }
inline bool has_button(const std::string& text, std::string_view action) {
    return has(text, "\"action_id\":\"" + std::string(action) + "\"");
}

// 2026-12-01 is a Tuesday; 03:00 UTC is 10:00 WIB (Asia/Jakarta).
inline std::chrono::system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = static_cast<int>(mo) - 1;
    tm.tm_mday = static_cast<int>(d);
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}


struct world {
    log_capture logs;
    std::string dir = temp_dir();
    fake_slack slack{[] {
        fake_slack::options o;
        o.post_burst = 100;   // posting limits are tested elsewhere
        return o;
    }()};
    fake_github gh{fake_github::options{}};
    fake_vercel vc{fake_vercel::options{}};
    fakes::fake_sentry sentry;
    fakes::fv_scenario sc;
    std::unique_ptr<bot_runner> bot;
    // Injected wall clock: real time until set_clock() stops it at a moment;
    // time->set_speed(600) then runs an hour in six seconds.
    std::shared_ptr<fast_time> time = std::make_shared<fast_time>();
    bool always_open = true;
    std::function<void(app_options&)> tweak;   // adjusts the options before start()
    std::string ts;                    // the checklist message
    std::int64_t request_id = 1;

    world() {
        slack.start();
        gh.start();
        vc.start();
        sentry.start();
    }
    ~world() {
        if (bot) bot->stop();
        if (proc) {
            proc->signal(SIGTERM);
            proc->wait_exit(5s);
        }
        for (const auto& line : logs.lines()) {
            CHECK(line.find(slack.opts().bot_token) == std::string::npos);
            CHECK(line.find(gh.opts().token) == std::string::npos);
            CHECK(line.find(vc.opts().token) == std::string::npos);
            CHECK(line.find(sentry.opts().token) == std::string::npos);
        }
        std::filesystem::remove_all(dir);
    }

    void set_clock(std::chrono::system_clock::time_point t) {
        time->set_speed(0);
        time->set(t);
    }

    // GitHub history: sha1 ← sha2 (production) ← PR #410 (approved) ← sha3 (staging, PR #412, unreviewed).
    void seed_github(bool migrations = false, std::string ci_status = "completed", std::string ci_conclusion = "success") {
        fakes::shop::seed_history(gh, migrations, std::move(ci_status), std::move(ci_conclusion));
    }

    app_options options() {
        app_options o;
        o.cfg = test_config(slack, dir);
        o.cfg.people.deployers.push_back(both_roles);
        o.cfg.people.qa_leads.push_back(both_roles);
        o.cfg.github.api_url = gh.base_url();
        o.cfg.github.repo = gh.opts().owner + "/" + gh.opts().repo;
        o.cfg.vercel.api_url = vc.base_url();
        o.cfg.vercel.team = vc.opts().team_id;
        o.cfg.vercel.project = vc.opts().project_id;
        o.cfg.sentry.api_url = sentry.api_url();
        o.cfg.sentry.org = sentry.opts().org;
        o.cfg.sentry.project = sentry.opts().project;
        o.cfg.sentry.environment = sentry.opts().environment;
        o.cfg.vercel.poll_interval = std::chrono::milliseconds(50);
        o.cfg.vercel.staging_poll = std::chrono::seconds(0);   // staging announcements: their own tests turn them on
        o.cfg.stats.weekly_digest = false;                     // the weekly digest: its own test turns it on
        o.cfg.vercel.promote_timeout = std::chrono::seconds(20);
        o.cfg.checklist_refresh = std::chrono::seconds(1);
        o.cfg.http.retry_backoff = std::chrono::milliseconds(20);
        if (always_open) {
            o.cfg.schedule.windows = {deploy_window{{0, 1, 2, 3, 4, 5, 6}, 0, 24 * 60}};
            o.cfg.schedule.blocked_days.clear();
        }   // else: the default Tue/Thu 10:00–12:00 Asia/Jakarta, Fridays blocked
        o.tokens = test_secrets(slack);
        o.tokens.github_token = gh.opts().token;
        o.tokens.vercel_token = vc.opts().token;
        o.tokens.sentry_token = sentry.opts().token;
        o.time = time;
        o.socket.backoff = {std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
        o.socket.close_timeout = std::chrono::milliseconds(1000);
        if (tweak) tweak(o);
        return o;
    }

    void start() {
        bot = std::make_unique<bot_runner>(options());
        bot->start();
        REQUIRE(slack.wait_for_sessions(1, 10s));
    }
    void stop() {
        if (bot) bot->stop();
        bot.reset();
        REQUIRE(slack.wait_for_sessions(0, 5s));
    }
    void restart() {
        stop();
        start();
    }

    // The real binary instead of the in-process bot (same fakes, same storage).
    std::unique_ptr<child> proc;
    // `extra`: more top-level keys, e.g. R"("log": {"format": "json"},)".
    void start_process(const std::string& extra = "") {
        const auto path = dir + "/deploybot.json";
        std::ofstream(path) << fmt::format(R"({{
  "slack":   {{ "api_url": "{}", "channel": "{}", "ping_interval_s": 1 }},
  "people":  {{ "deployers": ["{}", "{}", "{}"], "qa_leads": ["{}", "{}"], "admins": ["{}"] }},
  "schedule": {{ "timezone": "Asia/Jakarta", "blocked_days": [],
                "windows": [{{ "days": ["mon","tue","wed","thu","fri","sat","sun"], "start": "00:00", "end": "24:00" }}] }},
  "github":  {{ "api_url": "{}", "repo": "acme/shop-web" }},
  "vercel":  {{ "api_url": "{}", "project": "{}", "team": "{}", "staging_domain": "staging.example.id",
               "production_domain": "example.id", "poll_interval_ms": 100, "promote_timeout_s": 20 }},
  "storage": {{ "path": "{}/deploybot.sqlite3" }},
  "tls":     {{ "ca_file": "{}" }},
  "http":    {{ "timeout_ms": 5000, "max_retries": 1, "retry_backoff_ms": 20, "listen": "127.0.0.1:0" }},
  {}
  "checklist_refresh_s": 1
}})",
                                           slack.api_url(), channel, deployer, deployer2, both_roles, qa, both_roles,
                                           admin, gh.base_url(), vc.base_url(), vc.opts().project_id,
                                           vc.opts().team_id, dir, fakes::pki().ca_file, extra);
        proc = spawn_process();
        REQUIRE(slack.wait_for_sessions(1, 20s));
    }
    // One more deploybot process on the config start_process() wrote.
    std::unique_ptr<child> spawn_process() {
        const auto path = dir + "/deploybot.json";
        return std::make_unique<child>(
            std::vector<std::string>{DEPLOYBOT_BINARY, "--config", path},
            std::vector<std::string>{"SLACK_APP_TOKEN=" + slack.opts().app_token,
                                     "SLACK_BOT_TOKEN=" + slack.opts().bot_token, "GITHUB_TOKEN=" + gh.opts().token,
                                     "VERCEL_TOKEN=" + vc.opts().token, "ASAN_OPTIONS=detect_leaks=0",
                                     "PATH=/usr/bin:/bin"});
    }
    void kill_process() {
        proc->signal(SIGKILL);
        REQUIRE(proc->wait_exit(5s));
        proc.reset();
        slack.wait_for_sessions(0, 5s);   // the fake notices the dead socket
    }

    void command(const std::string& text, const std::string& user) {
        slack.send_slash_command("/deploy", text, user, channel);
    }
    std::string click(const std::string& user, const std::string& action) {
        return slack.send_block_action(user, channel, ts, action, std::to_string(request_id));
    }

    // What the channel shows: top-level posts and thread replies broadcast to it.
    static bool in_channel(const fakes::slack_message& m) { return m.thread_ts.empty() || m.reply_broadcast; }
    std::vector<fakes::slack_message> top_level() const {
        std::vector<fakes::slack_message> out;
        for (auto& m : slack.messages_in(channel))
            if (in_channel(m) && !m.deleted) out.push_back(m);
        return out;
    }
    std::vector<fakes::slack_message> thread() const {
        std::vector<fakes::slack_message> out;
        for (auto& m : slack.messages_in(channel))
            if (!ts.empty() && m.thread_ts == ts) out.push_back(m);
        return out;
    }
    int count_top_level(std::string_view needle) const {
        int n = 0;
        for (auto& m : top_level())
            if (has(all_text(m), needle)) ++n;
        return n;
    }

    // The bot has POSTed a promote to Vercel.
    bool wait_promote_posted() {
        return vc.wait_for_requests(
            [](const std::vector<fakes::recorded_request>& rs) {
                return std::any_of(rs.begin(), rs.end(),
                                   [](const auto& r) { return r.method == "POST" && has(r.path, "/promote/"); });
            },
            10s);
    }

    // /deploy prod → the checklist message.
    std::string request(const std::string& user = deployer) {
        command("prod", user);
        auto m = slack.wait_for_message(
            [](const fakes::slack_message& m) {
                return m.thread_ts.empty() && has(all_text(m), "Production deploy #");
            },
            10s);
        REQUIRE(m);
        ts = m->ts;
        return ts;
    }

    std::optional<std::string> checklist() const {
        auto m = slack.message(channel, ts);
        if (!m) return std::nullopt;
        return all_text(*m);
    }
    bool wait_checklist(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds t = 10s) {
        return slack.wait_for(
            [&](const fake_slack& s) {
                auto m = s.message(channel, ts);
                return m && pred(all_text(*m));
            },
            t);
    }
    bool wait_checklist_has(std::string_view needle, std::chrono::milliseconds t = 10s) {
        return wait_checklist([&](const std::string& s) { return has(s, needle); }, t);
    }
    std::optional<fakes::slack_ephemeral> wait_ephemeral(const std::string& user, std::string_view needle,
                                                         std::chrono::milliseconds t = 10s) {
        return slack.wait_for_ephemeral(
            [&](const fakes::slack_ephemeral& e) { return e.user == user && has(all_text(e), needle); }, t);
    }
    std::optional<fakes::slack_message> wait_top_level(std::string_view needle, std::chrono::milliseconds t = 10s) {
        return slack.wait_for_message(
            [&](const fakes::slack_message& m) { return in_channel(m) && has(all_text(m), needle); }, t);
    }
    std::optional<fakes::slack_message> wait_thread(std::string_view needle, std::chrono::milliseconds t = 10s) {
        return slack.wait_for_message(
            [&](const fakes::slack_message& m) { return !ts.empty() && m.thread_ts == ts && has(all_text(m), needle); },
            t);
    }

    // QA sign-off, flags, (migrations), rollback plan → Deploy button.
    void sign_off(const std::string& who = qa) {
        REQUIRE(wait_checklist([](const std::string& s) { return has_button(s, "deploy.signoff"); }));
        click(who, "deploy.signoff");
        REQUIRE(wait_checklist_has("QA signed off"));
    }
    // Clicks go back to back (the state machine takes them in order); only
    // the end state is awaited, since chat.update is paced to 1/s.
    void complete_rest(bool migrations = false) {
        REQUIRE(wait_checklist([&](const std::string& s) {
            return has_button(s, "deploy.rollback_plan") && (!migrations || has_button(s, "deploy.migrations"));
        }));
        click(deployer2, "deploy.flags.not_needed");
        if (migrations) click(qa, "deploy.migrations");
        click(deployer, "deploy.rollback_plan");
        REQUIRE(wait_checklist([&](const std::string& s) {
            return has(s, "No feature flags needed") && has(s, "Rollback plan confirmed") &&
                   (!migrations || has(s, "Migrations tested on staging — confirmed"));
        }));
    }
    void complete_checklist(bool migrations = false) {
        REQUIRE(wait_checklist([](const std::string& s) { return has_button(s, "deploy.signoff"); }));
        click(qa, "deploy.signoff");
        complete_rest(migrations);
        REQUIRE(wait_checklist([](const std::string& s) { return has_button(s, "deploy.go"); }));
    }

    // Opened after the bot stopped.
    struct stored {
        std::vector<deploy_request> history;
        std::optional<deploy_request> active;
        std::vector<audit_entry> audit;
    };
    stored read_store() const {
        auto db = store::open(dir + "/deploybot.sqlite3");
        REQUIRE(db);
        deploy_store ds(**db);
        return {ds.history(30), ds.active(), (*db)->audit_tail(1000)};
    }
};

inline int count_audit(const std::vector<audit_entry>& audit, std::string_view kind, std::string_view what) {
    int n = 0;
    for (const auto& a : audit)
        if (a.kind == kind && has(a.what, what)) ++n;
    return n;
}


}  // namespace deploy_world
