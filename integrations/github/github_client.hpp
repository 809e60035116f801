#pragma once
// GitHub REST client (reference/github.md). Plain structs in, plain structs
// out; expected failures come back as failure values.
#include "bot/config.hpp"
#include "bot/net/http_client.hpp"
#include "integrations/api_retry.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace deploybot {

struct github_status {
    std::string context;
    std::string state;         // error | failure | pending | success
    std::string description;
    std::string target_url;
    std::string updated_at;
};

struct github_combined_status {
    std::string state;         // ignore when total_count == 0 (Actions-only repos)
    std::string sha;
    int total_count = 0;
    std::vector<github_status> statuses;
};

struct github_check_run {
    std::int64_t id = 0;
    std::string name;
    std::string head_sha;
    std::string status;        // queued | in_progress | completed | waiting | requested | pending
    std::string conclusion;    // "" while not completed
    std::string html_url;
    std::string app_slug;
    std::string started_at;
    std::string completed_at;
};

struct github_commit {
    std::string sha;
    std::string message;       // first line only
    std::string author_login;  // "" when the author has no GitHub account
    std::string author_name;
    std::string date;          // ISO-8601
};

struct github_file {
    std::string filename;
    std::string status;        // added | removed | modified | renamed | copied | changed | unchanged
    std::string previous_filename;
};

struct github_comparison {
    std::string status;        // ahead | behind | identical | diverged
    int ahead_by = 0;
    int behind_by = 0;
    int total_commits = 0;
    std::string html_url;
    std::vector<github_commit> commits;   // oldest → newest
    std::vector<github_file> files;
    bool files_from_commits = false;      // ≥300 files: rebuilt from per-commit lists
    bool files_incomplete = false;        // the per-commit fallback failed part-way
};

struct github_pull {
    int number = 0;
    std::string state;         // open | closed
    std::string title;
    bool draft = false;
    std::string user_login;
    std::string merged_at;     // "" when not merged
    std::string merge_commit_sha;
    std::string head_ref;
    std::string head_sha;
    std::string base_ref;
    std::string html_url;
};

// Tolerant readers of GitHub's JSON, as Boost.JSON conversions:
// json::value_to<github_pull>(v). A missing or mistyped field reads as empty,
// and a value that is not an object as an empty model; they never throw.
github_check_run tag_invoke(boost::json::value_to_tag<github_check_run>, const boost::json::value& v);
github_commit tag_invoke(boost::json::value_to_tag<github_commit>, const boost::json::value& v);
github_file tag_invoke(boost::json::value_to_tag<github_file>, const boost::json::value& v);
github_pull tag_invoke(boost::json::value_to_tag<github_pull>, const boost::json::value& v);

struct github_review {
    std::int64_t id = 0;
    std::string user_login;    // "" when the user was deleted
    std::string state;         // APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    std::string commit_id;
    std::string submitted_at;
};

struct github_issue {
    int number = 0;
    std::string html_url;
};

struct github_client_options {
    api_retry_options retry{};
    int per_page = 100;
    int max_pages = 20;                           // bound on any Link-following loop
    std::string user_agent;                       // empty = "deploybot/<version>"
    std::function<std::int64_t()> now_ms;         // wall clock (epoch ms); empty = system clock
    // Conditional GETs (github.md §1): bounds of the per-client ETag cache; 0 entries disables it.
    std::size_t etag_cache_entries = 256;
    std::size_t etag_cache_bytes = 16 << 20;      // total cached body bytes
};

// Last successful GET of one URL, replayed when GitHub answers 304.
struct github_cached_get {
    std::string etag;
    std::string body;
    std::string link;   // Link header: pagination must work from a 304 too
};

// Bounded LRU of URL → last 200 GET with an ETag. Belongs to one client, hence
// one token (ETags are tied to the token that obtained them).
class github_etag_cache {
public:
    github_etag_cache(std::size_t max_entries, std::size_t max_bytes);

    std::optional<github_cached_get> find(const std::string& url);   // refreshes recency
    void store(const std::string& url, github_cached_get entry);
    std::size_t size() const { return order_.size(); }

private:
    using entry_list = std::list<std::pair<std::string, github_cached_get>>;
    void evict_to_fit();

    std::size_t max_entries_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    entry_list order_;   // most recent first
    std::unordered_map<std::string, entry_list::iterator> index_;
};

class github_client {
public:
    github_client(http_client& http, config::github_t cfg, std::string token, github_client_options opts = {});

    asio::awaitable<outcome<std::string>> get_branch_head(std::string branch);
    asio::awaitable<outcome<github_combined_status>> get_combined_status(std::string ref);
    // filter=latest; every page. check_name narrows to one check when non-empty.
    asio::awaitable<outcome<std::vector<github_check_run>>> list_check_runs(std::string ref,
                                                                            std::string check_name = {});
    asio::awaitable<outcome<github_comparison>> compare(std::string base, std::string head);
    asio::awaitable<outcome<std::vector<github_file>>> get_commit_files(std::string sha);
    asio::awaitable<outcome<std::vector<github_pull>>> list_pulls_for_commit(std::string sha);
    asio::awaitable<outcome<std::vector<github_review>>> list_reviews(int pull_number);
    asio::awaitable<outcome<github_pull>> get_pull(int number);
    // When the PR's first commit was authored (the earliest author date on the
    // first page of its commits, which GitHub lists oldest first); nullopt
    // when it lists none. Where a change's lead time starts (/deploy stats).
    asio::awaitable<outcome<std::optional<std::chrono::system_clock::time_point>>> first_commit_time(int number);
    // Open PR from `head_branch` into the main branch; nullopt when none.
    asio::awaitable<outcome<std::optional<github_pull>>> find_open_pull(std::string head_branch);
    // Never retried: a rate-limited create comes back as an error with retry_after.
    asio::awaitable<outcome<github_issue>> create_issue(std::string title, std::string body,
                                                        std::vector<std::string> labels);

private:
    asio::awaitable<outcome<http_response>> send(std::string method, std::string url, std::string body);
    asio::awaitable<outcome<std::vector<http_response>>> get_all_pages(std::string url);
    std::string repo_url(std::string_view path) const;
    std::int64_t now_ms() const;

    http_client& http_;
    config::github_t cfg_;
    std::string token_;
    github_client_options opts_;
    github_etag_cache etag_cache_;
};

// Pure helpers (exposed for tests).
std::string make_first_line(std::string_view message);
// "2026-01-06T09:30:12Z" (fraction and ±hh:mm offsets allowed) → instant; nullopt otherwise.
std::optional<std::chrono::system_clock::time_point> parse_github_time(std::string_view iso);

// Pure: the web address for an API base: https://api.github.com → https://github.com;
// GitHub Enterprise https://ghe.example.com/api/v3 → https://ghe.example.com.
std::string github_web_base(std::string_view api_url);
// Pure: the checks page of a commit, where CI results are (not the bare commit page).
std::string github_checks_url(std::string_view api_url, std::string_view repo, std::string_view sha);
failure parse_github_error(int status, std::string_view body);

}  // namespace deploybot
