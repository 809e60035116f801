#include "fakes/fake_vercel.hpp"
#include "fakes/shop_world.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cctype>

namespace deploybot::fakes {

namespace json = boost::json;

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

fake_response json_response(int status, const json::value& v) {
    return fake_response{status, {{"Content-Type", "application/json; charset=utf-8"}}, json::serialize(v)};
}

fake_response error_response(int status, std::string_view code, std::string_view message, bool use_err = false) {
    return json_response(status, json::object{{use_err ? "err" : "error", json::object{{"code", code}, {"message", message}}}});
}

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    std::size_t p = 0;
    while (p < path.size()) {
        auto slash = path.find('/', p);
        if (slash == std::string::npos) slash = path.size();
        if (slash > p) out.push_back(path.substr(p, slash - p));
        p = slash + 1;
    }
    return out;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string make_sha(int n) { return shop::sha(n); }

std::string host_of(const fv_deployment& d, const std::string& project) {
    return d.url.empty() ? project + "-" + lower(d.id.substr(d.id.find('_') + 1)) + "-acme.vercel.app" : d.url;
}

}  // namespace

fake_vercel::fake_vercel(options opts) : fake_server(fake_server::options{opts.tls, "fake_vercel"}), opts_(std::move(opts)) {}

fake_vercel::~fake_vercel() { stop(); }

std::int64_t fake_vercel::next_created() {
    last_created_ = std::max(now_ms(), last_created_ + 1);
    return last_created_;
}

void fake_vercel::add_deployment(fv_deployment d) {
    std::lock_guard lock(mutex_);
    if (d.created_ms == 0) d.created_ms = next_created();
    if (d.url.empty()) d.url = host_of(d, opts_.project_name);
    deployments_.push_back(std::move(d));
}

std::optional<fv_deployment> fake_vercel::deployment(const std::string& id) const {
    std::lock_guard lock(mutex_);
    for (auto& d : deployments_)
        if (d.id == id || d.url == id) return d;
    return std::nullopt;
}

std::vector<fv_deployment> fake_vercel::deployments() const {
    std::lock_guard lock(mutex_);
    return deployments_;
}

void fake_vercel::set_alias(const std::string& domain, const std::string& deployment_id) {
    std::lock_guard lock(mutex_);
    aliases_[domain] = deployment_id;
}

std::string fake_vercel::alias_target(const std::string& domain) const {
    std::lock_guard lock(mutex_);
    auto it = aliases_.find(domain);
    return it == aliases_.end() ? std::string() : it->second;
}

void fake_vercel::set_auto_assign(bool on) {
    std::lock_guard lock(mutex_);
    auto_assign_ = on;
}

bool fake_vercel::auto_assign() const {
    std::lock_guard lock(mutex_);
    return auto_assign_;
}

void fake_vercel::set_production_branch(const std::string& branch) {
    std::lock_guard lock(mutex_);
    production_branch_ = branch;
}

void fake_vercel::set_custom_environments(std::vector<std::pair<std::string, std::string>> id_slug) {
    std::lock_guard lock(mutex_);
    custom_envs_ = std::move(id_slug);
}

void fake_vercel::set_hobby_plan(bool hobby) {
    std::lock_guard lock(mutex_);
    hobby_ = hobby;
}

std::string fake_vercel::rollback_description() const {
    std::lock_guard lock(mutex_);
    return rollback_description_;
}

void fake_vercel::set_alias_move_polls(int polls) {
    std::lock_guard lock(mutex_);
    alias_move_polls_ = std::max(0, polls);
}

void fake_vercel::set_build_gets(int gets_per_state) {
    std::lock_guard lock(mutex_);
    build_gets_ = std::max(1, gets_per_state);
}

void fake_vercel::fail_next_alias_job(const std::string& alias) {
    std::lock_guard lock(mutex_);
    next_failing_alias_ = alias;
}

void fake_vercel::rate_limit_next(int count, int reset_in_ms) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < count; ++i)
        script_.push_back({429, "rate_limited", "Rate limit exceeded for this endpoint. Try again later.", false, true,
                           reset_in_ms});
}

void fake_vercel::fail_next(int count, int status, std::string code, std::string message, bool use_err) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < count; ++i) script_.push_back({status, code, message, use_err, false, 0});
}

void fake_vercel::fail_next_promote(int status, std::string code, std::string message) {
    std::lock_guard lock(mutex_);
    promote_error_ = scripted_error{status, std::move(code), std::move(message), false, false, 0};
}

void fake_vercel::lose_next_promote_answer(lost_answer how, std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    lose_promote_ = std::make_pair(how, delay);
}

void fake_vercel::rate_limit_next_promotes(int count, int retry_after_s) {
    std::lock_guard lock(mutex_);
    promote_429s_ = count;
    promote_429_after_s_ = retry_after_s;
}

void fake_vercel::fail_next_promotes(int count, int status) {
    std::lock_guard lock(mutex_);
    promote_fails_ = count;
    promote_fail_status_ = status;
}

void fake_vercel::lose_next_create_answer() {
    std::lock_guard lock(mutex_);
    lose_create_ = true;
}

void fake_vercel::set_clock_skew(std::chrono::milliseconds skew) {
    std::lock_guard lock(mutex_);
    skew_ms_ = skew.count();
}

void fake_vercel::set_rolling_release(bool on) {
    std::lock_guard lock(mutex_);
    rolling_release_ = on;
}

void fake_vercel::fail_next_rollback(int status, std::string code, std::string message) {
    std::lock_guard lock(mutex_);
    rollback_error_ = scripted_error{status, std::move(code), std::move(message), false, false, 0};
}

void fake_vercel::set_rollback_v1_missing(bool missing) {
    std::lock_guard lock(mutex_);
    rollback_v1_missing_ = missing;
}

void fake_vercel::set_alias_array_form(bool array) {
    std::lock_guard lock(mutex_);
    alias_array_form_ = array;
}

int fake_vercel::promote_calls() const {
    std::lock_guard lock(mutex_);
    return promote_calls_;
}

int fake_vercel::rollback_calls() const {
    std::lock_guard lock(mutex_);
    return rollback_calls_;
}

int fake_vercel::create_calls() const {
    std::lock_guard lock(mutex_);
    return create_calls_;
}

std::string fake_vercel::last_create_body() const {
    std::lock_guard lock(mutex_);
    return last_create_body_;
}

void fake_vercel::set_staging_follows_builds(bool on) {
    std::lock_guard lock(mutex_);
    staging_follows_builds_ = on;
}

fv_scenario fake_vercel::setup_common(bool auto_assign) {
    const auto now = now_ms();
    fv_deployment prev{.id = "dpl_Prev0001", .target = "production", .ready_substate = "PROMOTED",
                       .created_ms = now - 2 * 86400000LL, .git_sha = make_sha(1), .git_message = "Older release",
                       .rollback_candidate = true, .alias_assigned = true};
    fv_deployment prod{.id = "dpl_Prod0002", .target = "production", .ready_substate = "PROMOTED",
                       .created_ms = now - 86400000LL, .git_sha = make_sha(2), .git_message = "Current release",
                       .rollback_candidate = true, .alias_assigned = true};
    add_deployment(prev);
    add_deployment(prod);
    std::lock_guard lock(mutex_);
    for (auto& dom : opts_.production_domains) aliases_[dom] = prod.id;
    auto_assign_ = auto_assign;
    return fv_scenario{prev.id, prod.id, {}};
}

fv_scenario fake_vercel::setup_model_a() {
    auto s = setup_common(false);
    fv_deployment stg{.id = "dpl_Stag0003", .target = "production", .ready_substate = "STAGED",
                      .created_ms = now_ms() - 3600000LL, .git_sha = make_sha(3), .git_message = "Fix cart total rounding (#412)"};
    add_deployment(stg);
    set_alias(opts_.staging_domain, stg.id);
    s.staging_id = stg.id;
    return s;
}

fv_scenario fake_vercel::setup_model_b() {
    auto s = setup_common(true);
    set_custom_environments({{"env_51Lp", "staging"}});
    fv_deployment stg{.id = "dpl_Stag0003", .target = "", .created_ms = now_ms() - 3600000LL,
                      .custom_environment_id = "env_51Lp", .custom_environment_slug = "staging",
                      .git_sha = make_sha(3), .git_message = "Fix cart total rounding (#412)"};
    add_deployment(stg);
    set_alias(opts_.staging_domain, stg.id);
    s.staging_id = stg.id;
    return s;
}

fv_scenario fake_vercel::setup_model_c() {
    auto s = setup_common(true);
    set_production_branch("production");
    fv_deployment stg{.id = "dpl_Stag0003", .target = "", .created_ms = now_ms() - 3600000LL,
                      .git_sha = make_sha(3), .git_message = "Fix cart total rounding (#412)"};
    add_deployment(stg);
    set_alias(opts_.staging_domain, stg.id);
    s.staging_id = stg.id;
    return s;
}

fv_deployment* fake_vercel::find(const std::string& id_or_url) {
    for (auto& d : deployments_)
        if (d.id == id_or_url || d.url == id_or_url) return &d;
    return nullptr;
}

std::string fake_vercel::current_production() const {
    if (opts_.production_domains.empty()) return {};
    auto it = aliases_.find(opts_.production_domains.front());
    return it == aliases_.end() ? std::string() : it->second;
}

void fake_vercel::advance(fv_deployment& d) {
    if (d.ready_state != "QUEUED" && d.ready_state != "INITIALIZING" && d.ready_state != "BUILDING") return;
    if (++d.gets <= build_gets_) return;
    d.gets = 1;
    if (d.ready_state != "BUILDING") {
        d.ready_state = "BUILDING";
        return;
    }
    if (d.fail_build) {
        d.ready_state = "ERROR";
        return;
    }
    d.ready_state = "READY";
    if (d.target == "production") {
        if (auto_assign_) {
            // Auto-assign on: the new production build goes live by itself.
            for (auto& dom : opts_.production_domains) aliases_[dom] = d.id;
            d.ready_substate = "PROMOTED";
            d.alias_assigned = true;
            d.rollback_candidate = true;
        } else {
            d.ready_substate = "STAGED";
            if (staging_follows_builds_ && d.git_ref == production_branch_) aliases_[opts_.staging_domain] = d.id;
        }
    }
}

void fake_vercel::start_job(std::string type, const std::string& to) {
    alias_job job;
    job.type = std::move(type);
    job.from = current_production();
    job.to = to;
    job.job_status = "pending";
    job.requested_at = now_ms() + skew_ms_;
    job.polls_left = alias_move_polls_;
    job.failing_alias = std::exchange(next_failing_alias_, {});
    for (auto& dom : opts_.production_domains) job.alias_status[dom] = "pending";
    job_ = std::move(job);
}

void fake_vercel::advance_job() {
    if (!job_ || (job_->job_status != "pending" && job_->job_status != "in-progress")) return;
    if (job_->polls_left > 0) {
        // The first poll still sees `pending`; later ones `in-progress`.
        if (job_->polls_left < alias_move_polls_) {
            job_->job_status = "in-progress";
            for (auto& [dom, st] : job_->alias_status) st = "in-progress";
        }
        --job_->polls_left;
        return;
    }
    for (auto& [dom, st] : job_->alias_status) {
        if (dom == job_->failing_alias) {
            st = "failed";
        } else {
            aliases_[dom] = job_->to;
            st = "completed";
        }
    }
    job_->job_status = job_->failing_alias.empty() ? "succeeded" : "failed";
    if (auto* d = find(job_->to); d && job_->job_status == "succeeded") {
        d->ready_substate = "PROMOTED";
        d->alias_assigned = true;
        d->rollback_candidate = true;
    }
}

fake_response fake_vercel::handle(const recorded_request& req) {
    std::lock_guard lock(mutex_);
    if (req.header("Authorization") != "Bearer " + opts_.token)
        return error_response(403, "forbidden", "Not authorized");
    if (!opts_.team_id.empty() && req.query_param("teamId") != opts_.team_id)
        return error_response(403, "forbidden", "You don't have permission to access this resource (team scope missing)");
    if (!script_.empty()) {
        auto s = script_.front();
        script_.erase(script_.begin());
        if (s.rate_limit) {
            const auto reset_ms = now_ms() + s.reset_in_ms;
            const auto reset_s = (reset_ms + 999) / 1000;
            auto r = json_response(429, json::object{{"error", json::object{{"code", s.code},
                                                                            {"message", s.message},
                                                                            {"limit", json::object{{"remaining", 0},
                                                                                                   {"reset", reset_s},
                                                                                                   {"resetMs", reset_ms},
                                                                                                   {"total", 100}}}}}});
            r.headers.push_back({"X-RateLimit-Limit", "100"});
            r.headers.push_back({"X-RateLimit-Remaining", "0"});
            r.headers.push_back({"X-RateLimit-Reset", std::to_string(reset_s)});
            return r;
        }
        return error_response(s.status, s.code, s.message, s.use_err);
    }
    return route(req);
}

fake_response fake_vercel::route(const recorded_request& req) {
    const auto seg = split_path(req.path);
    const bool get = req.method == "GET";
    const bool post = req.method == "POST";
    auto project_matches = [&](const std::string& p) { return p == opts_.project_id || p == opts_.project_name; };

    auto deployment_json = [&](const fv_deployment& d, bool single) {
        json::object meta{{"githubCommitSha", d.git_sha},
                          {"githubCommitRef", d.git_ref},
                          {"githubCommitMessage", d.git_message},
                          {"githubOrg", opts_.org},
                          {"githubRepo", opts_.repo},
                          {"githubCommitAuthorLogin", "budi-dev"}};
        for (auto& [k, v] : d.meta) meta[k] = v;
        json::object o{{single ? "id" : "uid", d.id},
                       {"url", d.url},
                       {"name", opts_.project_name},
                       {"projectId", opts_.project_id},
                       {"readyState", d.ready_state},
                       {single ? "status" : "state", d.ready_state},
                       {"target", d.target.empty() ? json::value(nullptr) : json::value(d.target)},
                       {"created", d.created_ms},
                       {"createdAt", d.created_ms},
                       {"aliasAssigned", d.alias_assigned},
                       {"aliasError", nullptr},
                       {"isRollbackCandidate", d.rollback_candidate},
                       {"inspectorUrl", "https://vercel.com/acme/" + opts_.project_name + "/" + d.id.substr(4)},
                       {"creator", json::object{{"uid", "usr_4Fd"}, {"username", "rina"}}},
                       {"meta", meta},
                       {"gitSource", json::object{{"type", "github"}, {"repoId", opts_.repo_id}, {"ref", d.git_ref}, {"sha", d.git_sha}}}};
        if (d.ready_state == "READY" && !d.ready_substate.empty()) o["readySubstate"] = d.ready_substate;
        if (d.ready_state == "ERROR") o["errorMessage"] = "Command \"npm run build\" exited with 1";
        if (!d.custom_environment_id.empty())
            o["customEnvironment"] = json::object{{"id", d.custom_environment_id}, {"slug", d.custom_environment_slug}};
        return o;
    };

    // GET /v4/aliases/{alias}
    if (get && seg.size() == 3 && seg[0] == "v4" && seg[1] == "aliases") {
        auto it = aliases_.find(seg[2]);
        if (it == aliases_.end()) return error_response(404, "not_found", "The alias was not found");
        const auto* d = find(it->second);
        json::object o{{"uid", "als_" + std::to_string(std::hash<std::string>{}(seg[2]) % 100000)},
                       {"alias", seg[2]},
                       {"deploymentId", it->second},
                       {"projectId", opts_.project_id},
                       {"created", "2026-01-06T11:48:20.000Z"},
                       {"createdAt", 1767700100000},
                       {"updatedAt", 1767700100000},
                       {"deployment", json::object{{"id", it->second}, {"url", d ? d->url : ""}}},
                       {"redirect", nullptr}};
        if (it->second.empty()) {   // a redirect: assigned to no deployment (vercel.md §3.3)
            o["deploymentId"] = nullptr;
            o["deployment"] = nullptr;
            o["redirect"] = opts_.production_domains.front();
        }
        if (alias_array_form_) return json_response(200, json::array{o});
        return json_response(200, o);
    }

    // GET /v13/deployments/{idOrUrl}
    if (get && seg.size() == 3 && seg[0] == "v13" && seg[1] == "deployments") {
        auto* d = find(seg[2]);
        if (!d) return error_response(404, "not_found", "Deployment not found");
        advance(*d);
        return json_response(200, deployment_json(*d, true));
    }

    // POST /v13/deployments — validation errors use the {"err":…} shape.
    if (post && seg.size() == 2 && seg[0] == "v13" && seg[1] == "deployments") {
        ++create_calls_;
        last_create_body_ = req.body;
        boost::system::error_code ec;
        auto v = json::parse(req.body, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        if (!o) return error_response(400, "bad_request", "Invalid JSON body", true);
        auto str = [&](const json::object& obj, std::string_view k) {
            auto* x = obj.if_contains(k);
            return x && x->is_string() ? std::string(x->get_string()) : std::string();
        };
        if (str(*o, "name").empty()) return error_response(400, "missing_name", "The `name` property is required", true);
        if (auto p = str(*o, "project"); !p.empty() && !project_matches(p))
            return error_response(404, "not_found", "Project not found");
        fv_deployment nd;
        nd.target = str(*o, "target") == "production" ? "production" : "";
        if (auto base_id = str(*o, "deploymentId"); !base_id.empty()) {
            auto* base = find(base_id);
            if (!base) return error_response(404, "not_found", "Deployment to redeploy not found");
            nd.git_sha = base->git_sha;
            nd.git_ref = base->git_ref;
            nd.git_message = base->git_message;
        } else if (auto* gs = o->if_contains("gitSource"); gs && gs->is_object()) {
            const auto& g = gs->get_object();
            if (str(g, "ref").empty()) return error_response(400, "bad_request", "gitSource.ref is required", true);
            bool repo_ok = false;
            if (auto* rid = g.if_contains("repoId"))
                repo_ok = (rid->is_int64() && rid->get_int64() == opts_.repo_id) ||
                          (rid->is_string() && rid->get_string() == std::to_string(opts_.repo_id));
            else
                repo_ok = str(g, "org") == opts_.org && str(g, "repo") == opts_.repo;
            if (!repo_ok) return error_response(400, "incorrect_git_source_info", "Unknown repository", true);
            nd.git_ref = str(g, "ref");
            nd.git_sha = str(g, "sha").empty() ? make_sha(900 + next_id_) : str(g, "sha");
        } else {
            return error_response(400, "missing_files", "Either gitSource or deploymentId is required", true);
        }
        if (auto* m = o->if_contains("meta"); m && m->is_object())
            for (auto& kv : m->get_object())
                if (kv.value().is_string()) nd.meta.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
        nd.id = "dpl_New" + std::to_string(next_id_++);
        nd.url = host_of(nd, opts_.project_name);
        nd.ready_state = "QUEUED";
        nd.created_ms = next_created();
        deployments_.push_back(nd);
        if (std::exchange(lose_create_, false)) return fake_response{200, {}, "", {}, true};   // created; answer lost
        return json_response(200, deployment_json(nd, true));
    }

    // GET /v6/deployments, /v7/deployments
    if (get && seg.size() == 2 && (seg[0] == "v6" || seg[0] == "v7") && seg[1] == "deployments") {
        std::vector<const fv_deployment*> list;
        const auto pid = req.query_param("projectId");
        const auto target = req.query_param("target");
        const auto states = "," + req.query_param("state") + ",";
        const bool rc = req.query_param("rollbackCandidate") == "true";
        std::int64_t until = 0, since = 0;
        try {
            if (!req.query_param("until").empty()) until = std::stoll(req.query_param("until"));
            if (!req.query_param("since").empty()) since = std::stoll(req.query_param("since"));
        } catch (...) {
            return error_response(400, "bad_request", "Invalid until/since");
        }
        int limit = 20;
        try {
            if (!req.query_param("limit").empty()) limit = std::clamp(std::stoi(req.query_param("limit")), 1, 100);
        } catch (...) {
        }
        if (pid.empty() || project_matches(pid)) {
            for (auto& d : deployments_) {
                if (target == "production" && d.target != "production") continue;
                if (target == "preview" && !d.target.empty()) continue;
                if (states != ",," && states.find("," + d.ready_state + ",") == std::string::npos) continue;
                if (rc && !d.rollback_candidate) continue;
                if (until && d.created_ms >= until) continue;
                if (since && d.created_ms <= since) continue;
                list.push_back(&d);
            }
        }
        std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->created_ms > b->created_ms; });
        const bool more = static_cast<int>(list.size()) > limit;
        if (more) list.resize(limit);
        json::array arr;
        for (auto* d : list) arr.push_back(deployment_json(*d, false));
        json::object pag{{"count", list.size()},
                         {"next", more ? json::value(list.back()->created_ms) : json::value(nullptr)},
                         {"prev", list.empty() ? json::value(nullptr) : json::value(list.front()->created_ms)}};
        return json_response(200, json::object{{"pagination", pag}, {"deployments", arr}});
    }

    // /vN/projects/{p}/…
    if (seg.size() >= 3 && seg[1] == "projects") {
        if (!project_matches(seg[2])) return error_response(404, "not_found", "Project not found");
        const auto& ver = seg[0];
        if (get && seg.size() == 3 && ver == "v9") {
            advance_job();
            json::object o{{"id", opts_.project_id},
                           {"name", opts_.project_name},
                           {"accountId", opts_.team_id.empty() ? std::string("usr_4Fd") : opts_.team_id},
                           {"autoAssignCustomDomains", auto_assign_},
                           {"link", json::object{{"type", "github"},
                                                 {"org", opts_.org},
                                                 {"repo", opts_.repo},
                                                 {"repoId", opts_.repo_id},
                                                 {"productionBranch", production_branch_}}},
                           {"rollingRelease", rolling_release_ ? json::value(json::object{{"target", "production"},
                                                                                            {"stages", json::array{}}})
                                                               : json::value(nullptr)}};
            json::object targets;
            if (auto cur = current_production(); !cur.empty()) {
                if (auto* d = find(cur)) {
                    json::array al;
                    for (auto& [dom, id] : aliases_)
                        if (id == cur && dom != opts_.staging_domain) al.push_back(json::value(dom));
                    targets["production"] = json::object{{"id", d->id}, {"url", d->url}, {"alias", al},
                                                         {"readyState", d->ready_state}, {"createdAt", d->created_ms}};
                }
            }
            o["targets"] = targets;
            if (job_)
                o["lastAliasRequest"] = json::object{{"type", job_->type},
                                                     {"fromDeploymentId", job_->from.empty() ? json::value(nullptr) : json::value(job_->from)},
                                                     {"toDeploymentId", job_->to},
                                                     {"jobStatus", job_->job_status},
                                                     {"requestedAt", job_->requested_at}};
            else
                o["lastAliasRequest"] = nullptr;
            o["rollbackDescription"] = rollback_description_.empty()
                                           ? json::value(nullptr)
                                           : json::value(json::object{{"userId", "usr_4Fd"},
                                                                      {"username", "rina"},
                                                                      {"description", rollback_description_},
                                                                      {"createdAt", now_ms()}});
            json::array envs;
            for (auto& [id, slug] : custom_envs_) envs.push_back(json::object{{"id", id}, {"slug", slug}, {"type", "preview"}});
            o["customEnvironments"] = envs;
            return json_response(200, o);
        }
        // POST /v10/projects/{p}/promote/{id}
        if (post && seg.size() == 5 && ver == "v10" && seg[3] == "promote") {
            ++promote_calls_;
            if (auto e = std::exchange(promote_error_, std::nullopt))
                return error_response(e->status, e->code, e->message, e->use_err);
            if (promote_429s_ > 0) {
                --promote_429s_;
                auto r = error_response(429, "rate_limited", "Too many promotes. Try again later.");
                r.headers.push_back({"Retry-After", std::to_string(promote_429_after_s_)});
                return r;
            }
            if (promote_fails_ > 0) {
                --promote_fails_;
                return error_response(promote_fail_status_, "internal_server_error", "An unexpected error occurred");
            }
            auto* d = find(seg[4]);
            if (!d) return error_response(404, "not_found", "Deployment not found");
            if (d->target != "production")
                return error_response(400, "bad_request", "Cannot promote a preview deployment; create a production deployment instead");
            if (d->ready_state != "READY") return error_response(400, "bad_request", "Deployment is not ready");
            if (current_production() == d->id)
                return error_response(409, "conflict", "Deployment is already the current production deployment");
            if (lose_promote_ && lose_promote_->first == lost_answer::reset_not_done) {
                lose_promote_.reset();
                return fake_response{201, {}, "", {}, true};
            }
            start_job("promote", d->id);
            if (auto lost = std::exchange(lose_promote_, std::nullopt)) {
                switch (lost->first) {
                case lost_answer::reset: return fake_response{201, {}, "", {}, true};
                case lost_answer::gateway_502:
                    return fake_response{502, {{"Content-Type", "text/html"}}, "<html>502 Bad Gateway</html>"};
                case lost_answer::late: return fake_response{201, {}, "", lost->second};
                case lost_answer::reset_not_done: break;
                }
            }
            return fake_response{201, {}, ""};
        }
        // POST /v1|v9/projects/{p}/rollback/{id}
        if (post && seg.size() == 5 && (ver == "v1" || ver == "v9") && seg[3] == "rollback") {
            ++rollback_calls_;
            if (ver == "v1" && rollback_v1_missing_) return error_response(404, "not_found", "Not found");
            if (auto e = std::exchange(rollback_error_, std::nullopt))
                return error_response(e->status, e->code, e->message, e->use_err);
            auto* d = find(seg[4]);
            if (!d) return error_response(404, "not_found", "Deployment not found");
            if (d->target != "production" || d->ready_state != "READY")
                return error_response(400, "bad_request", "Only ready production deployments can be rolled back to");
            if (hobby_) {
                const fv_deployment* cur = find(current_production());
                const fv_deployment* pred = nullptr;
                for (auto& x : deployments_)
                    if (cur && x.target == "production" && x.ready_state == "READY" && x.created_ms < cur->created_ms &&
                        (!pred || x.created_ms > pred->created_ms))
                        pred = &x;
                if (!pred || pred->id != d->id)
                    return error_response(402, "payment_required",
                                          "Hobby teams can only roll back to the previous production deployment. Upgrade to Pro.");
            }
            start_job("rollback", d->id);
            auto_assign_ = false;
            rollback_description_ = req.query_param("description");
            return fake_response{201, {}, ""};
        }
        // GET /v1|v9/projects/{p}/promote/aliases, /v9/projects/{p}/rollback/aliases
        if (get && seg.size() == 5 && seg[4] == "aliases" && (seg[3] == "promote" || seg[3] == "rollback")) {
            if (!job_) return json_response(200, json::object{});
            const bool failed_only = req.query_param("failedOnly") == "true";
            json::array arr;
            int n = 0;
            for (auto& [dom, st] : job_->alias_status) {
                ++n;
                if (failed_only && st != "failed") continue;
                arr.push_back(json::object{{"id", "als_" + std::to_string(n)}, {"alias", dom}, {"status", st}});
            }
            return json_response(200, json::object{{"aliases", arr},
                                                   {"pagination", json::object{{"count", arr.size()}, {"next", nullptr}, {"prev", nullptr}}}});
        }
    }
    return error_response(404, "not_found", "The requested path was not found");
}

}  // namespace deploybot::fakes
