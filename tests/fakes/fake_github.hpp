#pragma once
// In-memory GitHub REST fake (reference/github.md §4) for one repository with a
// linear history. State is mutated from the test thread; every method is
// thread-safe (guarded by fake_server::mutex_).
#include "fakes/fake_server.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deploybot::fakes {

struct gh_file_change {
    std::string filename;
    std::string status = "modified";
    std::string previous_filename;
};

struct gh_commit {
    std::string sha;
    std::string message;
    std::string author_login;
    std::string author_name;
    std::string date = "2026-01-06T09:30:12Z";
    std::vector<gh_file_change> files;
};

struct gh_status {
    std::string context;
    std::string state;   // error | failure | pending | success
    std::string description;
    std::string target_url;
};

struct gh_check_run {
    std::int64_t id = 0;   // 0 = assigned by the fake; a higher id is a re-run
    std::string name;
    std::string status = "completed";
    std::string conclusion = "success";   // "" = null
    std::string html_url;
    std::string app_slug = "github-actions";
};

struct gh_pull {
    int number = 0;
    std::string state = "closed";
    std::string title;
    bool draft = false;
    std::string user_login;
    std::string merged_at;
    std::string merge_commit_sha;
    std::string head_ref;
    std::string head_sha;
    std::string base_ref = "main";
    std::vector<gh_commit> commits;   // the PR's own commits, oldest first (GET pulls/{n}/commits)
};

struct gh_review {
    std::int64_t id = 0;   // 0 = assigned
    std::string user_login;
    std::string state;     // APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    std::string commit_id;
    std::string submitted_at = "2026-01-06T08:10:00Z";
};

struct gh_issue {
    int number = 0;
    std::string title;
    std::string body;
    std::vector<std::string> labels;
};

// Scripted rate-limit answers for the next N requests.
enum class gh_limit_mode {
    retry_after,                 // status + retry-after header (secondary limit)
    primary,                     // status + x-ratelimit-remaining 0 + reset
    secondary_without_retry_after,   // 403 + "secondary rate limit" message, no header
    permission,                  // 403 without any rate-limit signal
};

class fake_github : public fake_server {
public:
    struct options {
        std::string token = "ghp_fake_test_token_0001";
        std::string owner = "acme";
        std::string repo = "shop-web";
        bool tls = false;
    };
    explicit fake_github(options opts);
    ~fake_github() override;

    const options& opts() const { return opts_; }

    void set_branch(const std::string& name, const std::string& sha);
    // Appends to the linear history (its parent is the previous commit).
    void add_commit(gh_commit c);
    void add_status(const std::string& sha, gh_status s);
    // Same id replaces; a new id with an existing name is a re-run (newer wins with filter=latest).
    void set_check_run(const std::string& sha, gh_check_run run);
    void add_pr(gh_pull pr);
    void link_commit_to_pr(const std::string& sha, int number);
    void add_review(int pr_number, gh_review review);
    void set_issues_disabled(bool disabled);   // POST issues answers 410
    std::vector<gh_issue> issues() const;

    // Next `count` requests answer `status` (403/429) per `mode`.
    void script_limit(int count, gh_limit_mode mode, int status = 429, int retry_after_s = 1, int reset_in_s = 1);

    // GETs answered 304 because If-None-Match matched the current ETag.
    int not_modified_count() const;
    // x-ratelimit-remaining as the next response would report it.
    std::int64_t rate_limit_remaining() const;

protected:
    fake_response handle(const recorded_request& req) override;

private:
    struct scripted {
        gh_limit_mode mode;
        int status;
        int retry_after_s;
        int reset_in_s;
    };
    // Server-side helpers; called with mutex_ held.
    fake_response route(const recorded_request& req);
    std::string resolve_ref(const std::string& ref) const;
    int commit_index(const std::string& sha) const;

    options opts_;
    std::map<std::string, std::string> branches_;
    std::vector<gh_commit> commits_;
    std::map<std::string, std::vector<gh_status>> statuses_;
    std::map<std::string, std::vector<gh_check_run>> check_runs_;
    std::map<int, gh_pull> pulls_;
    std::map<std::string, std::vector<int>> commit_pulls_;
    std::map<int, std::vector<gh_review>> reviews_;
    std::vector<gh_issue> issues_;
    bool issues_disabled_ = false;
    std::vector<scripted> script_;
    std::int64_t next_id_ = 5550001;
    std::int64_t remaining_ = 5000;
    int not_modified_ = 0;
};

}  // namespace deploybot::fakes
