#include "integrations/url_build.hpp"
#include "integrations/vercel/vercel_client.hpp"
#include "bot/net/with_retries.hpp"
#include "integrations/json_fields.hpp"
#include "integrations/vercel/vercel_parse.hpp"

#include "bot/log.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace deploybot {

namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

using namespace json_fields;
using namespace vercel_detail;

constexpr std::string_view service_name = "vercel";

// A failure of ours while talking to Vercel (no HTTP status to report).
failure vercel_failure(errc code, std::string detail) {
    return failure(code, std::string(service_name), 0, std::move(detail));
}

failure bad_json(std::string_view what) {
    return vercel_failure(errc::bad_json, fmt::format("unexpected {} response", what));
}

bool is_permanent(const failure& e) {
    return e.http_status == 401 || e.http_status == 403 || e.http_status == 404;
}

asio::awaitable<void> sleep_for(milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(d);
    co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace

vercel_client::vercel_client(http_client& http, config::vercel_t cfg, std::string token, vercel_client_options opts)
    : http_(http), cfg_(std::move(cfg)), token_(std::move(token)), opts_(std::move(opts)) {
    while (!cfg_.api_url.empty() && cfg_.api_url.back() == '/') cfg_.api_url.pop_back();
    log::add_secret(token_);
}

std::int64_t vercel_client::now_ms() const {
    if (opts_.now_ms) return opts_.now_ms();
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

asio::awaitable<outcome<http_response>> vercel_client::send(std::string method, std::string path,
                                                            string_pairs query, std::string body) {
    using step = retry_step<outcome<http_response>>;
    if (!cfg_.team.empty()) query.emplace_back("teamId", cfg_.team);
    const bool is_get = method == "GET";
    http_request req;
    req.method = method;
    req.url = url_build::with_query(cfg_.api_url + path, query);
    req.headers = {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
    if (!is_get) {
        req.headers.push_back({"Content-Type", "application/json"});
        req.body = body.empty() ? std::string("{}") : body;
    }
    req.service = service_name;
    // Between tries, not a coroutine; the policy is decide_vercel_retry.
    auto judge = [this, is_get, path](int attempt, http_request& next, result<http_response> r) -> step {
        if (!r) {
            if (!is_get || attempt >= opts_.retry.max_attempts)
                return step::done(vercel_failure(transport_code(r.error()), r.error().message()));
            const auto wait = std::min(make_exponential_wait(opts_.retry.backoff_base, attempt), opts_.retry.max_wait);
            log::warn("vercel", "{} {} failed ({}), retrying in {} ms", next.method, path, r.error().message(),
                      wait.count());
            return step::again(wait);
        }
        http_response& resp = *r;
        if (resp.status >= 200 && resp.status < 300) return step::done(std::move(resp));
        failure err = parse_vercel_error(resp.status, resp.body);
        vercel_limit_signals sig;
        sig.status = resp.status;
        sig.retry_after = parse_retry_after(resp.header("Retry-After"));
        sig.header_reset_epoch_s = parse_int_header(resp.header("X-RateLimit-Reset"));
        if (auto v = parse_body(resp.body); v && v->is_object()) {
            if (auto* eo = error_object(v->get_object())) {
                if (auto* lim = obj_of(*eo, "limit")) {
                    if (auto ms = opt_int_of(*lim, "resetMs"))
                        sig.body_reset_ms = *ms;
                    else if (auto s = opt_int_of(*lim, "reset"))
                        sig.body_reset_ms = epoch_s_to_ms(*s);
                }
            }
        }
        auto d = decide_vercel_retry(sig, attempt, is_get, now_ms(), opts_.retry);
        if (d.action == retry_action::done) return step::done(std::move(err));
        if (d.action == retry_action::give_up) {
            if (d.code != errc::ok) err.code = d.code;
            err.retry_after = std::chrono::ceil<std::chrono::seconds>(d.wait);
            return step::done(std::move(err));
        }
        if (resp.status == 429) http_.note_rate_limit_wait(service_name, d.wait);
        log::warn("vercel", "{} {} answered {}, retrying in {} ms", next.method, path, resp.status, d.wait.count());
        return step::again(d.wait);
    };
    co_return co_await with_retries<outcome<http_response>>(http_, std::move(req), std::move(judge));
}

asio::awaitable<outcome<vercel_alias>> vercel_client::get_alias(std::string domain) {
    auto r = co_await send("GET", "/v4/aliases/" + url_build::segment(domain), {}, {});
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v) co_return bad_json("alias");
    const json::object* o = v->if_object();
    if (auto* arr = v->if_array(); arr && !arr->empty()) o = (*arr)[0].if_object();   // 2025 OpenAPI form
    if (!o) co_return failure(errc::not_found, std::string(service_name), r->status, "alias not found: " + domain);
    vercel_alias a;
    a.uid = str_of(*o, "uid");
    a.alias = str_of(*o, "alias");
    a.deployment_id = str_of(*o, "deploymentId");
    if (a.deployment_id.empty())
        if (auto* d = obj_of(*o, "deployment")) a.deployment_id = str_of(*d, "id");
    a.project_id = str_of(*o, "projectId");
    a.updated_at_ms = int_of(*o, "updatedAt");
    co_return a;
}

asio::awaitable<outcome<vercel_deployment>> vercel_client::get_deployment(std::string id_or_url) {
    auto r = co_await send("GET", "/v13/deployments/" + url_build::segment(id_or_url), {}, {});
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v || !v->is_object()) co_return bad_json("deployment");
    co_return json::value_to<vercel_deployment>(*v);
}

asio::awaitable<outcome<std::vector<vercel_deployment>>> vercel_client::list_deployments(deployment_filter f) {
    std::vector<vercel_deployment> out;
    std::optional<std::int64_t> until = f.until;
    for (int page = 0; page < std::max(1, f.max_pages); ++page) {
        string_pairs q{{"projectId", cfg_.project}};
        if (!f.target.empty()) q.emplace_back("target", f.target);
        if (!f.states.empty()) {
            std::string joined;
            for (auto& s : f.states) joined += (joined.empty() ? "" : ",") + s;
            q.emplace_back("state", joined);
        }
        if (f.rollback_candidate) q.emplace_back("rollbackCandidate", *f.rollback_candidate ? "true" : "false");
        if (f.limit > 0) q.emplace_back("limit", std::to_string(f.limit));
        if (until) q.emplace_back("until", std::to_string(*until));
        auto r = co_await send("GET", opts_.list_path, std::move(q), {});
        if (!r) co_return r.error();
        auto v = parse_body(r->body);
        if (!v || !v->is_object()) co_return bad_json("deployment list");
        const auto& o = v->get_object();
        if (auto* arr = arr_of(o, "deployments"))
            for (auto& d : *arr)
                if (d.is_object()) out.push_back(json::value_to<vercel_deployment>(d));
        std::optional<std::int64_t> next;
        if (auto* pg = obj_of(o, "pagination")) next = opt_int_of(*pg, "next");
        if (!next) break;
        until = next;
    }
    co_return out;
}

asio::awaitable<outcome<vercel_project>> vercel_client::get_project() {
    auto r = co_await send("GET", "/v9/projects/" + url_build::segment(cfg_.project), {}, {});
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v || !v->is_object()) co_return bad_json("project");
    co_return json::value_to<vercel_project>(*v);
}

asio::awaitable<outcome<promote_result>> vercel_client::promote(std::string deployment_id) {
    // A 409 is an error like any other (vercel.md §3.5): the caller confirms
    // through the production alias instead of taking it as success.
    auto r = co_await send("POST", "/v10/projects/" + url_build::segment(cfg_.project) + "/promote/" + url_build::segment(deployment_id), {},
                           "{}");
    if (!r) co_return r.error();
    co_return promote_result{r->status};
}

asio::awaitable<outcome<vercel_deployment>> vercel_client::create_deployment(create_deployment_request req) {
    if (req.name.empty()) {
        auto p = co_await get_project();
        if (!p) co_return p.error();
        req.name = p->name;
    }
    json::object body{{"name", req.name}, {"project", cfg_.project}};
    if (!req.target.empty()) body["target"] = req.target;
    if (!req.rebuild_of.empty()) body["deploymentId"] = req.rebuild_of;
    if (req.git) {
        json::object gs{{"type", "github"}, {"ref", req.git->ref}};
        if (req.git->repo_id) {
            gs["repoId"] = *req.git->repo_id;
        } else {
            gs["org"] = req.git->org;
            gs["repo"] = req.git->repo;
        }
        if (!req.git->sha.empty()) gs["sha"] = req.git->sha;
        body["gitSource"] = std::move(gs);
    }
    if (!req.meta.empty()) {
        json::object meta;
        for (auto& [k, v] : req.meta) meta[k] = v;
        body["meta"] = std::move(meta);
    }
    string_pairs q;
    if (req.force_new) q.emplace_back("forceNew", "1");
    auto r = co_await send("POST", "/v13/deployments", std::move(q), json::serialize(body));
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v || !v->is_object()) co_return bad_json("created deployment");
    auto d = json::value_to<vercel_deployment>(*v);
    if (d.id.empty()) co_return bad_json("created deployment");
    co_return d;
}

asio::awaitable<outcome<void>> vercel_client::rollback(std::string deployment_id, std::string description) {
    string_pairs q;
    if (!description.empty()) q.emplace_back("description", description.substr(0, 250));
    const auto tail = "/projects/" + url_build::segment(cfg_.project) + "/rollback/" + url_build::segment(deployment_id);
    auto r = co_await send("POST", "/v1" + tail, q, "{}");
    // v9 only when v1 is an unknown route here: a 404 about the deployment itself is
    // the answer, and a second POST would repeat the mutation.
    if (!r && is_unknown_route(r.error())) r = co_await send("POST", "/v9" + tail, q, "{}");
    if (!r) co_return r.error();
    co_return outcome<void>{};
}

bool is_unknown_route(const failure& e) {
    return e.http_status == 404 && e.detail.find("eployment") == std::string::npos;
}

asio::awaitable<outcome<std::vector<promote_alias_status>>> vercel_client::list_promote_aliases(bool failed_only) {
    string_pairs q{{"limit", "100"}};
    if (failed_only) q.emplace_back("failedOnly", "true");
    auto r = co_await send("GET", "/v1/projects/" + url_build::segment(cfg_.project) + "/promote/aliases", std::move(q), {});
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v || !v->is_object()) co_return bad_json("promote aliases");
    std::vector<promote_alias_status> out;
    if (auto* arr = arr_of(v->get_object(), "aliases"))   // `{}` when no promote exists
        for (auto& a : *arr)
            if (auto* ao = a.if_object()) {
                // `alias` is a string (v1, the SDK) or {alias, deploymentId} (v9, the CLI).
                std::string name = str_of(*ao, "alias");
                if (name.empty())
                    if (auto* inner = obj_of(*ao, "alias")) name = str_of(*inner, "alias");
                out.push_back({str_of(*ao, "id"), std::move(name), str_of(*ao, "status")});
            }
    co_return out;
}

namespace {
alias_job_wait make_wait(std::string type, std::string deployment_id, std::int64_t baseline_ms, milliseconds timeout,
                         milliseconds poll_interval) {
    alias_job_wait w;
    w.type = std::move(type);
    w.deployment_id = std::move(deployment_id);
    w.baseline_ms = baseline_ms;
    w.timeout = timeout;
    w.poll_interval = poll_interval;
    return w;
}
}  // namespace

asio::awaitable<outcome<alias_job_result>> vercel_client::wait_for_promote(std::string deployment_id,
                                                                           std::int64_t baseline_ms,
                                                                           milliseconds timeout,
                                                                           milliseconds poll_interval) {
    co_return co_await follow_alias_job(make_wait("promote", std::move(deployment_id), baseline_ms, timeout, poll_interval));
}

asio::awaitable<outcome<alias_job_result>> vercel_client::wait_for_rollback(std::string deployment_id,
                                                                            std::int64_t baseline_ms,
                                                                            milliseconds timeout,
                                                                            milliseconds poll_interval) {
    co_return co_await follow_alias_job(make_wait("rollback", std::move(deployment_id), baseline_ms, timeout, poll_interval));
}

asio::awaitable<outcome<alias_job_result>> vercel_client::follow_alias_job(alias_job_wait w) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto deadline = start + w.timeout;
    auto last_answer = start;
    auto remaining = [&] {
        return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - clock::now()));
    };
    auto since = [](clock::time_point t) { return std::chrono::duration_cast<milliseconds>(clock::now() - t); };
    auto secs = [](milliseconds m) { return std::chrono::duration_cast<std::chrono::seconds>(m).count(); };
    const bool unknown_mode = w.appear_within > milliseconds(0);
    std::string last_seen = "no request of ours seen";
    bool seen = false;
    std::optional<alias_job_result> finished;
    for (;;) {
        if (!finished) {
            auto p = co_await get_project();
            if (!p) {
                if (is_permanent(p.error())) co_return p.error();
                last_seen = p.error().to_string();
            } else {
                last_answer = clock::now();
                if (auto& lar = p->last_alias_request;
                    lar && lar->type == w.type && lar->to_deployment_id == w.deployment_id &&
                    lar->requested_at_ms > w.baseline_ms) {
                    seen = true;
                    last_seen = "jobStatus " + lar->job_status;
                    if (lar->job_status == "succeeded" || lar->job_status == "failed" || lar->job_status == "skipped") {
                        alias_job_result res;
                        res.job_status = lar->job_status;
                        if (res.job_status == "failed" && w.type == "promote") {
                            auto failed = co_await list_promote_aliases(true);
                            if (failed) res.failed_aliases = std::move(*failed);
                        }
                        if (res.job_status != "succeeded" || cfg_.production_domain.empty()) co_return res;
                        finished = std::move(res);
                    }
                }
            }
            if (!finished && !seen && unknown_mode) {
                // The POST may have done its work without a job we can see (or
                // before our baseline read): production serving it settles it.
                auto a = co_await get_alias(cfg_.production_domain);
                if (a) last_answer = clock::now();
                if (a && a->deployment_id == w.deployment_id) {
                    alias_job_result res;
                    res.job_status = "succeeded";
                    res.production_alias_confirmed = true;
                    co_return res;
                }
                if (since(start) >= w.appear_within)
                    co_return vercel_failure(errc::no_trace, fmt::format("no {} of {} appeared at Vercel within {} s",
                                                                         w.type, w.deployment_id, secs(w.appear_within)));
            }
        }
        if (finished) {
            // Step 3: production domain must now point at the deployment.
            auto a = co_await get_alias(cfg_.production_domain);
            if (a) last_answer = clock::now();
            if (a && a->deployment_id == w.deployment_id) {
                finished->production_alias_confirmed = true;
                co_return *finished;
            }
            if (remaining() == milliseconds(0)) co_return *finished;
        }
        if (since(last_answer) >= w.silence_limit)
            co_return vercel_failure(errc::not_answering,
                                     fmt::format("Vercel has not answered for {} s while following the {} of {} ({})",
                                                 secs(since(last_answer)), w.type, w.deployment_id, last_seen));
        if (remaining() == milliseconds(0))
            co_return vercel_failure(errc::timeout, fmt::format("{} of {} not finished after {} s ({})", w.type,
                                                                w.deployment_id, secs(w.timeout), last_seen));
        co_await sleep_for(std::min(w.poll_interval, remaining()));
    }
}

asio::awaitable<outcome<vercel_deployment>> vercel_client::wait_for_ready(std::string deployment_id,
                                                                          milliseconds timeout,
                                                                          milliseconds poll_interval) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + timeout;
    std::string last_seen = "unknown";
    for (;;) {
        auto d = co_await get_deployment(deployment_id);
        if (!d) {
            if (is_permanent(d.error())) co_return d.error();
            last_seen = d.error().to_string();
        } else {
            if (d->is_terminal()) co_return std::move(*d);
            last_seen = d->ready_state;
        }
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
        if (left <= milliseconds(0))
            co_return vercel_failure(errc::timeout,
                                     fmt::format("deployment {} not ready after {} s (last state {})", deployment_id,
                                                 std::chrono::duration_cast<std::chrono::seconds>(timeout).count(),
                                                 last_seen));
        co_await sleep_for(std::min(poll_interval, left));
    }
}

asio::awaitable<std::string> vercel_client::find_attempt_build(std::string attempt) {
    deployment_filter f;
    f.target = "production";
    f.limit = 20;
    f.max_pages = 1;
    auto list = co_await list_deployments(f);
    if (!list) co_return std::string();
    for (const auto& d : *list)
        for (const auto& [k, v] : d.meta)
            if (k == "deployBotAttempt" && v == attempt) co_return d.id;
    co_return std::string();
}

}  // namespace deploybot
