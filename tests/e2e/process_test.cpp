// The real binary as a child process: startup without tokens, `check`,
// SIGTERM → close 1000 + exit 0, no token on stderr.
#include "bot_harness.hpp"
#include "child_process.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace deploybot;
using namespace deploybot::testing;
using fakes::fake_slack;

namespace {


std::string write_config(const std::string& dir, const std::string& slack_api_url, const std::string& extra = "") {
    const auto path = dir + "/deploybot.json";
    std::ofstream out(path);
    out << fmt::format(R"({{
  // written by process_test
  "slack":   {{ "api_url": "{}", "channel": "C0DEPLOYS01", "ping_interval_s": 1 }},
  "people":  {{ "deployers": ["U0DEPLOYER1"], "qa_leads": ["U0QALEAD001"], "admins": ["U0ADMIN0001"] }},
  "github":  {{ "api_url": "http://127.0.0.1:1", "repo": "acme/shop-web" }},
  "vercel":  {{ "api_url": "http://127.0.0.1:1", "project": "prj_test", "team": "team_test",
               "staging_domain": "staging.example.id", "production_domain": "example.id" }},
  "storage": {{ "path": "{}/bot.sqlite3" }},
  "tls":     {{ "ca_file": "{}" }}{}
}})",
                       slack_api_url, dir, fakes::pki().ca_file, extra);
    return path;
}

std::vector<std::string> token_env(const fake_slack& slack) {
    return {"SLACK_APP_TOKEN=" + slack.opts().app_token, "SLACK_BOT_TOKEN=" + slack.opts().bot_token,
            "GITHUB_TOKEN=ghp_fake_process_token_01", "VERCEL_TOKEN=vercel-process-test-token",
            "ASAN_OPTIONS=detect_leaks=1", "PATH=/usr/bin:/bin"};
}

void check_no_tokens(const std::string& text, const fake_slack& slack) {
    CHECK(text.find(slack.opts().app_token) == std::string::npos);
    CHECK(text.find(slack.opts().bot_token) == std::string::npos);
    CHECK(text.find("ghp_fake_process_token") == std::string::npos);
    CHECK(text.find("vercel-process-test-token") == std::string::npos);
}

}  // namespace

TEST_CASE("without tokens the bot stops at once and says which variables to set") {
    fake_slack slack;
    slack.start();
    const auto dir = temp_dir();
    child c({DEPLOYBOT_BINARY, "--config", write_config(dir, slack.api_url())}, {"PATH=/usr/bin:/bin"});
    auto rc = c.wait_exit(10s);
    REQUIRE(rc);
    CHECK(*rc == 1);
    const auto err = c.err();
    CHECK(err.find("SLACK_APP_TOKEN") != std::string::npos);
    CHECK(err.find("SLACK_BOT_TOKEN") != std::string::npos);
    CHECK(err.find("GITHUB_TOKEN") != std::string::npos);
    CHECK(err.find("VERCEL_TOKEN") != std::string::npos);
    CHECK(err.find("connections:write") != std::string::npos);   // where to get the app token
    CHECK(slack.requests().empty());
    std::filesystem::remove_all(dir);
}

TEST_CASE("check: one line per config problem naming the key, exit 1") {
    const auto dir = temp_dir();
    const auto path = dir + "/bad.json";
    std::ofstream(path) << R"({ "slack": { "channel": "not-a-channel" }, "vercel": { "api_url": "ftp://x" },
                                 "schedule": { "timezone": "Mars/Olympus" } })";
    child c({DEPLOYBOT_BINARY, "check", "--config", path}, {"PATH=/usr/bin:/bin"});
    auto rc = c.wait_exit(10s);
    REQUIRE(rc);
    CHECK(*rc == 1);
    const auto err = c.err();
    CHECK(err.find("vercel.project: missing") != std::string::npos);
    CHECK(err.find("slack.channel:") != std::string::npos);
    CHECK(err.find("vercel.api_url:") != std::string::npos);
    CHECK(err.find("schedule.timezone:") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("check: a tls.ca_file that does not exist is a problem line and exit 1") {
    const auto dir = temp_dir();
    const auto missing_ca = dir + "/missing-ca.pem";
    const auto path = dir + "/deploybot.json";
    std::ofstream(path) << fmt::format(R"({{
  "slack":   {{ "channel": "C0DEPLOYS01" }},
  "people":  {{ "deployers": ["U0DEPLOYER1"], "qa_leads": ["U0QALEAD001"] }},
  "github":  {{ "repo": "acme/shop-web" }},
  "vercel":  {{ "project": "prj_test", "staging_domain": "staging.example.id", "production_domain": "example.id" }},
  "storage": {{ "path": "{}/bot.sqlite3" }},
  "tls":     {{ "ca_file": "{}" }}
}})",
                                       dir, missing_ca);
    child c({DEPLOYBOT_BINARY, "check", "--config", path}, {"PATH=/usr/bin:/bin"});
    auto rc = c.wait_exit(10s);
    REQUIRE(rc);
    CHECK(*rc == 1);
    CHECK_MESSAGE(c.err().find("tls.ca_file: cannot read " + missing_ca + ": No such file or directory") !=
                      std::string::npos,
                  c.err());
    CHECK_FALSE(std::filesystem::exists(dir + "/bot.sqlite3"));   // check creates nothing
    std::filesystem::remove_all(dir);
}

TEST_CASE("check: an unknown nested key is a problem line with the full key path, exit 1") {
    const auto dir = temp_dir();
    const auto path = dir + "/deploybot.json";
    std::ofstream(path) << R"({
  "slack":   { "channel": "C0DEPLOYS01" },
  "people":  { "deployers": ["U0DEPLOYER1"], "qa_lead": ["U0QALEAD001"] },
  "github":  { "repo": "acme/shop-web" },
  "vercel":  { "project": "prj_test", "staging_domain": "staging.example.id", "production_domain": "example.id" }
})";
    child c({DEPLOYBOT_BINARY, "check", "--config", path}, {"PATH=/usr/bin:/bin"});
    auto rc = c.wait_exit(10s);
    REQUIRE(rc);
    CHECK(*rc == 1);
    CHECK_MESSAGE(c.err().find("people.qa_lead: unknown key (did you mean people.qa_leads?)") != std::string::npos,
                  c.err());
    std::filesystem::remove_all(dir);
}

TEST_CASE("check: a storage.path in a directory that does not exist is a problem line, exit 1") {
    fake_slack slack;
    slack.start();
    const auto dir = temp_dir();
    const auto path = write_config(dir, slack.api_url());
    {
        std::ifstream in(path);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        const auto at = text.find(dir + "/bot.sqlite3");
        REQUIRE(at != std::string::npos);
        text.replace(at, dir.size(), dir + "/nope");
        std::ofstream(path, std::ios::trunc) << text;
    }
    child c({DEPLOYBOT_BINARY, "check", "--config", path}, token_env(slack));
    auto rc = c.wait_exit(20s);
    REQUIRE(rc);
    CHECK(*rc == 1);
    CHECK_MESSAGE(c.err().find("storage.path: directory " + dir + "/nope does not exist") != std::string::npos,
                  c.err());
    CHECK_FALSE(std::filesystem::exists(dir + "/nope"));
    check_no_tokens(c.err(), slack);
    std::filesystem::remove_all(dir);
}

TEST_CASE("startup: a tls.ca_file that does not exist stops the bot with the same line as check") {
    fake_slack slack;
    slack.start();
    const auto dir = temp_dir();
    const auto path = write_config(dir, slack.api_url());
    const auto missing_ca = dir + "/missing-ca.pem";
    {
        std::ifstream in(path);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        const auto at = text.find(fakes::pki().ca_file);
        REQUIRE(at != std::string::npos);
        text.replace(at, fakes::pki().ca_file.size(), missing_ca);
        std::ofstream(path, std::ios::trunc) << text;
    }
    child c({DEPLOYBOT_BINARY, "--config", path}, token_env(slack));
    auto rc = c.wait_exit(10s);
    REQUIRE(rc);
    CHECK(*rc == 1);
    CHECK_MESSAGE(c.err().find("tls.ca_file: cannot read " + missing_ca + ": No such file or directory") !=
                      std::string::npos,
                  c.err());
    CHECK(slack.requests().empty());
    std::filesystem::remove_all(dir);
}

TEST_CASE("check: valid config and tokens are verified with auth.test and apps.connections.open") {
    fake_slack slack;
    slack.start();
    const auto dir = temp_dir();
    child c({DEPLOYBOT_BINARY, "check", "--config", write_config(dir, slack.api_url())}, token_env(slack));
    auto rc = c.wait_exit(20s);
    REQUIRE(rc);
    CHECK(*rc == 0);
    CHECK(slack.requests_to("/api/auth.test").size() == 1);
    CHECK(slack.requests_to("/api/apps.connections.open").size() == 1);
    CHECK(c.err().find("SLACK_APP_TOKEN: ok") != std::string::npos);
    check_no_tokens(c.err(), slack);
    std::filesystem::remove_all(dir);
}

TEST_CASE("check: a revoked bot token is reported and exits 1") {
    fake_slack slack;
    slack.start();
    slack.fail_next("auth.test", 1, "token_revoked");
    const auto dir = temp_dir();
    child c({DEPLOYBOT_BINARY, "check", "--config", write_config(dir, slack.api_url())}, token_env(slack));
    auto rc = c.wait_exit(20s);
    REQUIRE(rc);
    CHECK(*rc == 1);
    CHECK(c.err().find("token_revoked") != std::string::npos);
    check_no_tokens(c.err(), slack);
    std::filesystem::remove_all(dir);
}

TEST_CASE("SIGTERM: acks flushed, WebSocket closed with 1000, exit 0 within 5 s, no token in the log") {
    fake_slack slack;
    slack.start();
    const auto dir = temp_dir();
    child c({DEPLOYBOT_BINARY, "--config", write_config(dir, slack.api_url())}, token_env(slack));
    REQUIRE(slack.wait_for_sessions(1, 20s));
    const auto session = slack.open_session_ids().back();
    const auto id = slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01", session);
    REQUIRE(slack.wait_for_ack(id, 5s));
    const auto t0 = std::chrono::steady_clock::now();
    c.signal(SIGTERM);
    auto rc = c.wait_exit(5s);
    REQUIRE(rc);
    CHECK(*rc == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    auto code = slack.wait_for_close_code(session, 1s);
    REQUIRE(code);
    CHECK(*code == 1000);
    const auto err = c.err();
    CHECK(err.find("SIGTERM") != std::string::npos);
    check_no_tokens(err, slack);
    // Every line is one event with a level and a component.
    std::istringstream lines(err);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        ++n;
        CHECK_MESSAGE((line.find(" INFO ") != std::string::npos || line.find(" WARN ") != std::string::npos ||
                       line.find(" ERROR ") != std::string::npos || line.find(" DEBUG ") != std::string::npos),
                      line);
    }
    CHECK(n >= 3);
    std::filesystem::remove_all(dir);
}
