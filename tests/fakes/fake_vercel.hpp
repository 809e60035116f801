#pragma once
// In-memory Vercel REST fake (reference/vercel.md §6) for one project. State is
// mutated from the test thread; every method is thread-safe (fake_server::mutex_).
#include "fakes/fake_server.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace deploybot::fakes {

struct fv_deployment {
    std::string id;                  // dpl_…
    std::string url;                 // host name; "" = derived from the id
    std::string target;              // "production" or "" (preview)
    std::string ready_state = "READY";
    std::string ready_substate;      // READY only: STAGED | PROMOTED
    std::int64_t created_ms = 0;     // 0 = now
    std::string custom_environment_id;
    std::string custom_environment_slug;
    std::string git_sha;
    std::string git_ref = "main";
    std::string git_message;
    std::vector<std::pair<std::string, std::string>> meta;   // extra meta keys
    bool rollback_candidate = false;
    bool fail_build = false;         // ends in ERROR instead of READY
    int gets = 0;                    // GETs seen (drives QUEUED→BUILDING→READY)
    bool alias_assigned = false;
};

// Result of a staging-model scenario helper.
struct fv_scenario {
    std::string previous_production_id;   // older production build (rollback target)
    std::string production_id;            // serves the production domains
    std::string staging_id;               // serves the staging domain
};

class fake_vercel : public fake_server {
public:
    struct options {
        std::string token = "vercel_test_token_0001";
        std::string team_id = "team_Zk31";       // "" = personal project (no teamId required)
        std::string project_id = "prj_7Hq2LmP0aa";
        std::string project_name = "shop-web";
        std::int64_t repo_id = 881234567;
        std::string org = "acme";
        std::string repo = "shop-web";
        std::vector<std::string> production_domains{"example.id", "www.example.id"};
        std::string staging_domain = "staging.example.id";
        bool tls = false;
    };
    explicit fake_vercel(options opts);
    ~fake_vercel() override;

    const options& opts() const { return opts_; }

    // --- state (test thread) ---
    void add_deployment(fv_deployment d);
    std::optional<fv_deployment> deployment(const std::string& id) const;
    std::vector<fv_deployment> deployments() const;
    // deployment_id "" = a redirect: the alias answers deploymentId null.
    void set_alias(const std::string& domain, const std::string& deployment_id);
    std::string alias_target(const std::string& domain) const;   // "" when unknown
    void set_auto_assign(bool on);
    bool auto_assign() const;
    void set_production_branch(const std::string& branch);
    void set_custom_environments(std::vector<std::pair<std::string, std::string>> id_slug);
    void set_hobby_plan(bool hobby);
    std::string rollback_description() const;

    // Staging models (vercel.md §2). Each sets up two production builds and a staging build.
    fv_scenario setup_model_a();   // staged production build, auto-assign off
    fv_scenario setup_model_b();   // custom environment "staging"
    fv_scenario setup_model_c();   // preview on a branch domain

    // --- behaviour knobs ---
    void set_alias_move_polls(int polls);        // project GETs before a promote/rollback finishes (default 2)
    void set_build_gets(int gets_per_state);     // deployment GETs per QUEUED/BUILDING step (default 1)
    void fail_next_alias_job(const std::string& alias);   // next promote ends failed; `alias` does not move
    void rate_limit_next(int count, int reset_in_ms = 1000);   // 429 with X-RateLimit-* and error.limit
    // Next `count` requests answer `status` with `code`; use_err = {"err":{…}} shape.
    void fail_next(int count, int status, std::string code, std::string message, bool use_err = false);
    // The next POST promote answers `status` with `code`/`message` (other calls are unaffected).
    void fail_next_promote(int status, std::string code, std::string message);
    // The next POST promote is carried out (the alias job starts) but its answer
    // is lost: the connection is reset, a gateway answers 502, or the answer comes
    // only after `delay` (longer than the client's timeout).
    // (reset_not_done: the connection drops before Vercel did anything.)
    enum class lost_answer { reset, gateway_502, late, reset_not_done };
    void lose_next_promote_answer(lost_answer how, std::chrono::milliseconds delay = std::chrono::milliseconds(0));
    // The next `count` POST promotes answer 429 with Retry-After (not carried out).
    void rate_limit_next_promotes(int count, int retry_after_s);
    // The next `count` POST promotes answer `status` without doing anything.
    void fail_next_promotes(int count, int status);
    // The next POST /v13/deployments creates the deployment, then the connection drops.
    void lose_next_create_answer();
    // Vercel's clock (requestedAt, createdAt of new jobs) runs this far from ours.
    void set_clock_skew(std::chrono::milliseconds skew);
    // project.rollingRelease set (a promote would start a staged rollout).
    void set_rolling_release(bool on);
    // The next POST rollback answers `status` with `code`/`message` and does nothing.
    void fail_next_rollback(int status, std::string code, std::string message);
    void set_rollback_v1_missing(bool missing);  // v1 rollback path answers 404 (client must use v9)
    void set_alias_array_form(bool array);       // GET /v4/aliases answers the 2025 array form
    // Model A as a team runs it (the sandbox): a production build of the production
    // branch that finishes STAGED also takes the staging domain.
    void set_staging_follows_builds(bool on);

    // --- observations ---
    int promote_calls() const;
    int rollback_calls() const;
    int create_calls() const;
    std::string last_create_body() const;

protected:
    fake_response handle(const recorded_request& req) override;

private:
    struct alias_job {
        std::string type;          // promote | rollback
        std::string from, to;
        std::string job_status;    // pending | in-progress | succeeded | failed
        std::int64_t requested_at = 0;
        int polls_left = 0;
        std::string failing_alias;
        std::map<std::string, std::string> alias_status;   // domain → status
    };
    struct scripted_error {
        int status;
        std::string code, message;
        bool use_err;
        bool rate_limit;
        int reset_in_ms;
    };

    // Called with mutex_ held.
    fake_response route(const recorded_request& req);
    fv_deployment* find(const std::string& id_or_url);
    void advance(fv_deployment& d);
    void advance_job();
    void start_job(std::string type, const std::string& to);
    std::string current_production() const;
    fv_scenario setup_common(bool auto_assign);
    std::int64_t next_created();

    options opts_;
    std::vector<fv_deployment> deployments_;
    std::map<std::string, std::string> aliases_;   // domain → deployment id
    bool auto_assign_ = true;
    std::string production_branch_ = "main";
    std::vector<std::pair<std::string, std::string>> custom_envs_;
    bool hobby_ = false;
    std::optional<alias_job> job_;
    std::string rollback_description_;
    int alias_move_polls_ = 2;
    int build_gets_ = 1;
    std::string next_failing_alias_;
    std::vector<scripted_error> script_;
    std::optional<scripted_error> promote_error_;
    std::optional<scripted_error> rollback_error_;
    bool rolling_release_ = false;
    std::optional<std::pair<lost_answer, std::chrono::milliseconds>> lose_promote_;
    int promote_429s_ = 0, promote_429_after_s_ = 1;
    int promote_fails_ = 0, promote_fail_status_ = 500;
    std::int64_t skew_ms_ = 0;
    bool lose_create_ = false;
    bool rollback_v1_missing_ = false;
    bool alias_array_form_ = false;
    bool staging_follows_builds_ = false;
    int promote_calls_ = 0;
    int rollback_calls_ = 0;
    int create_calls_ = 0;
    int next_id_ = 1;
    std::int64_t last_created_ = 0;
    std::string last_create_body_;
};

}  // namespace deploybot::fakes
