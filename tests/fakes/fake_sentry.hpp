#pragma once
// In-memory Sentry REST fake (reference/sentry.md §5, without sessions and the
// timeseries endpoints) for one organization and project. State is changed
// from the test thread; every method is thread-safe (fake_server::mutex_).
// The owner calls start() after construction, as for the other fakes.
#include "fakes/fake_server.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot::fakes {

struct fs_ref {
    std::string repository;
    std::string commit;
    std::string previous_commit;
};

struct fs_release {
    std::string version;
    std::vector<std::string> projects;
    std::vector<fs_ref> refs;
    std::string url;
    int create_calls = 0;            // POSTs naming this version (1 = created once, no 208 yet)
};

struct fs_deploy {
    std::string id;
    std::string version;
    std::string environment;
    std::string name;
    std::string url;
    std::string date_started;
    std::string date_finished;
};

class fake_sentry : public fake_server {
public:
    struct options {
        std::string token = "sntry-test-token";
        std::string org = "acme";
        std::string project = "shop-web";
        std::string project_id = "4501234";
        std::string environment = "production";
    };
    fake_sentry();
    explicit fake_sentry(options opts);
    ~fake_sentry() override;

    const options& opts() const { return opts_; }
    std::string api_url() const;   // base_url() + "/api/0"

    // --- state (test thread) ---
    // n error events of one issue at `at`; an issue's firstSeen is its earliest event.
    void add_events(std::string issue_short_id, std::string title, std::chrono::system_clock::time_point at, int n,
                    std::string environment = "production");
    void clear_events();
    std::vector<fs_release> releases() const;
    std::vector<fs_deploy> deploys() const;

    // --- faults ---
    // Every request answers `status` (0 = off): 429 with X-Sentry-Rate-Limit-Reset = now + 1 s,
    // 5xx / 401 / 403 / others with {"detail": …}.
    void fail_all(int status);
    // The next `n` requests answer `status` as fail_all does.
    void fail_next(int status, int n);
    // Every request is read, then its connection is closed without an answer.
    void set_down(bool down);
    // Release POSTs are answered 201 but not kept, so the deploy POST that
    // follows answers 404 (as for a release Sentry does not know).
    void set_forget_releases(bool forget);
    // The "detail" of injected faults ("" = a per-status default), e.g. hostile text.
    void set_fault_detail(std::string detail);

    // --- observations ---
    int gets_answered() const;   // GET requests that got an HTTP answer
    // Requests received (answered or dropped), by method ("" = any) and path substring.
    int count_requests(std::string_view method = {}, std::string_view path_part = {}) const;

protected:
    fake_response handle(const recorded_request& req) override;

private:
    struct event_batch {
        std::string issue;
        std::string title;
        std::chrono::system_clock::time_point at;
        int n = 0;
        std::string environment;
    };

    // Called with mutex_ held.
    fake_response route(const recorded_request& req);
    fake_response fault(int status) const;
    fake_response events(const recorded_request& req);
    fake_response issues(const recorded_request& req);
    fake_response create_release(const recorded_request& req);
    fake_response create_deploy(const recorded_request& req, const std::string& version);

    options opts_;
    std::vector<event_batch> events_;
    std::map<std::string, std::string> issue_ids_;   // short id → numeric id
    std::vector<fs_release> releases_;
    std::vector<fs_deploy> deploys_;
    int fail_all_ = 0;
    int fail_next_status_ = 0;
    int fail_next_left_ = 0;
    bool down_ = false;
    bool forget_releases_ = false;
    std::string fault_detail_;
    int gets_answered_ = 0;
    int next_deploy_id_ = 881;
};

}  // namespace deploybot::fakes
