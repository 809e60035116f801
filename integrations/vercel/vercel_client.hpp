#pragma once
// Vercel REST client (reference/vercel.md). Plain structs in, plain structs
// out; expected failures come back as failure values. Promote, rollback and
// create are never retried: on any doubt the caller re-reads state.
#include "bot/config.hpp"
#include "bot/net/http_client.hpp"
#include "integrations/api_retry.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace deploybot {

using string_pairs = std::vector<std::pair<std::string, std::string>>;

struct vercel_deployment {
    std::string id;                 // `id` (single) or `uid` (list)
    std::string url;                // bare host name; "" while an upload is incomplete
    std::string name;
    std::string project_id;
    std::string ready_state;        // readyState, else state/status
    std::string ready_substate;     // STAGED | ROLLING | PROMOTED (READY only)
    std::string target;             // "production", legacy "staging", "" = preview
    std::int64_t created_ms = 0;    // created / createdAt
    bool is_rollback_candidate = false;
    bool alias_assigned = false;    // truthy aliasAssigned (bool or ms timestamp)
    std::string alias_error;        // aliasError.message
    std::string creator;            // creator.username
    std::string custom_environment_id;
    std::string custom_environment_slug;
    std::string git_sha;            // meta.githubCommitSha, else gitSource.sha
    std::string git_ref;            // meta.githubCommitRef, else gitSource.ref
    std::string git_message;        // meta.githubCommitMessage
    std::string inspector_url;
    std::string error_code;
    std::string error_message;      // errorMessage, else readyStateReason
    string_pairs meta;

    // BLOCKED is final too (vercel.md §3.2): a build that will never run.
    bool is_terminal() const {
        return ready_state == "READY" || ready_state == "ERROR" || ready_state == "CANCELED" || ready_state == "BLOCKED";
    }
};

struct vercel_alias {
    std::string uid;
    std::string alias;
    std::string deployment_id;
    std::string project_id;
    std::int64_t updated_at_ms = 0;
};

struct vercel_alias_request {
    std::string type;               // promote | rollback
    std::string from_deployment_id; // may be empty
    std::string to_deployment_id;
    std::string job_status;         // pending | in-progress | succeeded | failed | skipped
    std::int64_t requested_at_ms = 0;
};

struct vercel_custom_environment {
    std::string id;
    std::string slug;
    std::string type;
};

struct vercel_project {
    std::string id;
    std::string name;
    std::string account_id;
    bool auto_assign_custom_domains = true;   // absent = on (Vercel's default)
    std::string link_type;
    std::string link_org;
    std::string link_repo;
    std::int64_t link_repo_id = 0;
    std::string production_branch;
    std::optional<vercel_deployment> production;     // targets.production
    std::vector<std::string> production_aliases;     // targets.production.alias
    std::optional<vercel_alias_request> last_alias_request;
    std::vector<vercel_custom_environment> custom_environments;
    bool rolling_release = false;
};

// Tolerant readers of Vercel's JSON, as Boost.JSON conversions:
// json::value_to<vercel_deployment>(v). A missing or mistyped field reads as
// empty, a value that is not an object as an empty model; they never throw.
vercel_deployment tag_invoke(boost::json::value_to_tag<vercel_deployment>, const boost::json::value& v);
vercel_project tag_invoke(boost::json::value_to_tag<vercel_project>, const boost::json::value& v);

struct deployment_filter {
    std::string target;                       // production | preview | "" (any)
    std::vector<std::string> states;          // READY, ERROR, …
    std::optional<bool> rollback_candidate;
    int limit = 20;                           // per page
    std::optional<std::int64_t> until;        // ms
    int max_pages = 5;                        // stop following pagination.next after this many
};

struct promote_result {
    int http_status = 0;            // 201/202: accepted; the alias job runs asynchronously
};

struct git_source {
    std::optional<std::int64_t> repo_id;   // preferred; else org + repo
    std::string org;
    std::string repo;
    std::string ref;                       // required
    std::string sha;                       // pins the approved commit
};

struct create_deployment_request {
    std::string name;                      // project name; "" = looked up via get_project()
    std::string rebuild_of;                // deploymentId to rebuild (promotion-by-rebuild)
    std::optional<git_source> git;         // or a build from a git ref
    std::string target = "production";     // "" = preview
    string_pairs meta;
    bool force_new = false;
};

struct promote_alias_status {
    std::string id;
    std::string alias;
    std::string status;   // completed | in-progress | pending | failed
};

// How to follow an alias job (promote or rollback) after its POST. Ours is the
// lastAliasRequest of that type and target whose requestedAt is newer than
// `baseline_ms`, the requestedAt read just before the POST (0 = there was none):
// Vercel's clock against Vercel's clock, never against ours.
struct alias_job_wait {
    std::string type = "promote";            // promote | rollback
    std::string deployment_id;
    std::int64_t baseline_ms = 0;
    std::chrono::milliseconds timeout{600000};        // overall
    std::chrono::milliseconds poll_interval{2000};
    // When the POST's outcome is unknown: give up with "no_trace" when no job of
    // ours has appeared by then (0 = wait the whole timeout), and count the
    // production alias moving to the deployment as success.
    std::chrono::milliseconds appear_within{0};
    // Vercel answered none of our reads for this long: "not_answering".
    std::chrono::milliseconds silence_limit{120000};
};

struct alias_job_result {
    std::string job_status;               // succeeded | failed | skipped
    bool production_alias_confirmed = false;   // GET /v4/aliases/<production_domain> points at it
    std::vector<promote_alias_status> failed_aliases;   // filled when job_status == failed
};

// How deploybot follows its own alias job (type "promote" or "rollback"):
// promote_timeout overall, poll_interval_ms between reads, silent for at most
// min(promote_timeout, 2 min). When the POST's outcome is unknown, a job of ours
// must appear within 15 polls (3 s to 2 min): Vercel records the job before it
// answers, so one that has not appeared by then was never accepted.
alias_job_wait make_alias_job_wait(const config::vercel_t& cfg, std::string type, std::string deployment_id,
                                   std::int64_t baseline_ms, bool unknown_outcome);

// Which staging model the team uses (vercel.md §2).
enum class vercel_staging_model {
    staged_production,    // A: target production, STAGED / not auto-assigned — promote moves the same build
    custom_environment,   // B: custom environment (e.g. "staging") — needs a production rebuild
    preview,              // C: preview/branch domain — needs a production rebuild
};

// Pure: decide the model from the project and the deployment serving the staging domain.
vercel_staging_model detect_staging_model(const vercel_project& project, const vercel_deployment& staging);
// Pure: "A", "B" or "C".
std::string_view render_staging_model(vercel_staging_model m);

// Pure parsers (tolerant; exposed for tests).
vercel_deployment parse_vercel_deployment(std::string_view json_text);
vercel_project parse_vercel_project(std::string_view json_text);
failure parse_vercel_error(int status, std::string_view body);
// Pure: where a link to a deployment goes in Slack: its inspector page, else
// https:// + its host (Vercel gives bare host names; Slack does not link those).
std::string deployment_link(const vercel_deployment& d);
// Pure: a 404 that says the route does not exist (not that the deployment does not).
bool is_unknown_route(const failure& e);

struct vercel_client_options {
    api_retry_options retry{};
    std::string list_path = "/v7/deployments";    // the current API (the SDK knows only v7); v6 answers the same
    std::function<std::int64_t()> now_ms;          // wall clock (epoch ms); empty = system clock
};

class vercel_client {
public:
    vercel_client(http_client& http, config::vercel_t cfg, std::string token, vercel_client_options opts = {});

    asio::awaitable<outcome<vercel_alias>> get_alias(std::string domain);
    asio::awaitable<outcome<vercel_deployment>> get_deployment(std::string id_or_url);
    asio::awaitable<outcome<std::vector<vercel_deployment>>> list_deployments(deployment_filter filter);
    asio::awaitable<outcome<vercel_project>> get_project();
    asio::awaitable<outcome<promote_result>> promote(std::string deployment_id);
    asio::awaitable<outcome<vercel_deployment>> create_deployment(create_deployment_request req);
    // v1, then v9 when v1 answers 404.
    asio::awaitable<outcome<void>> rollback(std::string deployment_id, std::string description);
    asio::awaitable<outcome<std::vector<promote_alias_status>>> list_promote_aliases(bool failed_only);
    // The production deployment deploybot created for `attempt` (meta
    // deployBotAttempt), "" when there is none or Vercel did not answer: how a
    // build whose create answer was lost, or made before a restart, is found.
    asio::awaitable<std::string> find_attempt_build(std::string attempt);

    // Polls lastAliasRequest (vercel.md §3.5 steps 2–3) until our job is
    // finished, then checks the production alias. Errors: "timeout" (not
    // finished within the timeout), "no_trace" (appear_within passed with no job
    // of ours), "not_answering" (silence_limit passed without one answer).
    asio::awaitable<outcome<alias_job_result>> follow_alias_job(alias_job_wait w);
    // follow_alias_job for a promote / rollback with `baseline_ms` as above.
    asio::awaitable<outcome<alias_job_result>> wait_for_promote(std::string deployment_id, std::int64_t baseline_ms,
                                                                std::chrono::milliseconds timeout,
                                                                std::chrono::milliseconds poll_interval);
    asio::awaitable<outcome<alias_job_result>> wait_for_rollback(std::string deployment_id, std::int64_t baseline_ms,
                                                                 std::chrono::milliseconds timeout,
                                                                 std::chrono::milliseconds poll_interval);
    // Polls the deployment until READY/ERROR/CANCELED; returns it in that state.
    asio::awaitable<outcome<vercel_deployment>> wait_for_ready(std::string deployment_id,
                                                               std::chrono::milliseconds timeout,
                                                               std::chrono::milliseconds poll_interval);

    std::int64_t now_ms() const;

private:
    asio::awaitable<outcome<http_response>> send(std::string method, std::string path, string_pairs query,
                                                 std::string body);

    http_client& http_;
    config::vercel_t cfg_;
    std::string token_;
    vercel_client_options opts_;
};

}  // namespace deploybot
