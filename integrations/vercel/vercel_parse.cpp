#include "integrations/vercel/vercel_parse.hpp"

#include "integrations/json_fields.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace deploybot {

namespace json = boost::json;
using namespace json_fields;

namespace vercel_detail {

// true for `true` and for a non-zero number (aliasAssigned may be a timestamp).
bool truthy(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v) return false;
    if (v->is_bool()) return v->get_bool();
    if (v->is_int64()) return v->get_int64() != 0;
    if (v->is_uint64()) return v->get_uint64() != 0;
    if (v->is_double()) return v->get_double() != 0;
    return false;
}

// The error object: {"error":{…}} or, from some APIs, {"err":{…}}.
const json::object* error_object(const json::object& o) {
    if (auto* e = obj_of(o, "error")) return e;
    return obj_of(o, "err");
}

vercel_deployment deployment_from(const json::object& o) {
    vercel_deployment d;
    d.id = str_of(o, "id");
    if (d.id.empty()) d.id = str_of(o, "uid");
    d.url = str_of(o, "url");
    d.name = str_of(o, "name");
    d.project_id = str_of(o, "projectId");
    d.ready_state = str_of(o, "readyState");
    if (d.ready_state.empty()) d.ready_state = str_of(o, "state");
    if (d.ready_state.empty()) d.ready_state = str_of(o, "status");
    d.ready_substate = str_of(o, "readySubstate");
    d.target = str_of(o, "target");
    d.created_ms = opt_int_of(o, "created").value_or(int_of(o, "createdAt"));
    d.is_rollback_candidate = truthy(o, "isRollbackCandidate");
    d.alias_assigned = truthy(o, "aliasAssigned");
    if (auto* ae = obj_of(o, "aliasError")) {
        d.alias_error = str_of(*ae, "message");
        if (d.alias_error.empty()) d.alias_error = str_of(*ae, "code");
    }
    if (auto* c = obj_of(o, "creator")) d.creator = str_of(*c, "username");
    if (auto* ce = obj_of(o, "customEnvironment")) {
        d.custom_environment_id = str_of(*ce, "id");
        d.custom_environment_slug = str_of(*ce, "slug");
    }
    if (auto* m = obj_of(o, "meta")) {
        for (auto& kv : *m)
            if (kv.value().is_string()) d.meta.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
        d.git_sha = str_of(*m, "githubCommitSha");
        d.git_ref = str_of(*m, "githubCommitRef");
        d.git_message = str_of(*m, "githubCommitMessage");
    }
    if (auto* g = obj_of(o, "gitSource")) {
        if (d.git_sha.empty()) d.git_sha = str_of(*g, "sha");
        if (d.git_ref.empty()) d.git_ref = str_of(*g, "ref");
    }
    d.inspector_url = str_of(o, "inspectorUrl");
    d.error_code = str_of(o, "errorCode");
    d.error_message = str_of(o, "errorMessage");
    // BLOCKED (vercel.md §3.2) is final; its reason is the message to show.
    if (d.error_message.empty()) d.error_message = str_of(o, "readyStateReason");
    return d;
}

vercel_project project_from(const json::object& o) {
    vercel_project p;
    p.id = str_of(o, "id");
    p.name = str_of(o, "name");
    p.account_id = str_of(o, "accountId");
    if (auto* v = o.if_contains("autoAssignCustomDomains"); v && v->is_bool()) p.auto_assign_custom_domains = v->get_bool();
    if (auto* l = obj_of(o, "link")) {
        p.link_type = str_of(*l, "type");
        p.link_org = str_of(*l, "org");
        p.link_repo = str_of(*l, "repo");
        p.link_repo_id = int_of(*l, "repoId");
        p.production_branch = str_of(*l, "productionBranch");
    }
    if (auto* t = obj_of(o, "targets")) {
        if (auto* prod = obj_of(*t, "production")) {
            p.production = deployment_from(*prod);
            if (auto* al = arr_of(*prod, "alias"))
                for (auto& a : *al)
                    if (a.is_string()) p.production_aliases.emplace_back(a.get_string());
        }
    }
    if (auto* r = obj_of(o, "lastAliasRequest")) {
        vercel_alias_request a;
        a.type = str_of(*r, "type");
        a.from_deployment_id = str_of(*r, "fromDeploymentId");
        a.to_deployment_id = str_of(*r, "toDeploymentId");
        a.job_status = str_of(*r, "jobStatus");
        a.requested_at_ms = int_of(*r, "requestedAt");
        p.last_alias_request = std::move(a);
    }
    if (auto* envs = arr_of(o, "customEnvironments"))
        for (auto& e : *envs)
            if (auto* eo = e.if_object())
                p.custom_environments.push_back({str_of(*eo, "id"), str_of(*eo, "slug"), str_of(*eo, "type")});
    if (auto* rr = o.if_contains("rollingRelease")) p.rolling_release = !rr->is_null();
    return p;
}

}  // namespace vercel_detail

using namespace vercel_detail;

namespace {
constexpr std::string_view service_name = "vercel";
}  // namespace

vercel_staging_model detect_staging_model(const vercel_project& project, const vercel_deployment& staging) {
    (void)project;
    // A production-target build (STAGED, or built while auto-assign is off) is
    // promotable as-is; anything else must be rebuilt for production.
    if (staging.target == "production") return vercel_staging_model::staged_production;
    if (!staging.custom_environment_slug.empty() || !staging.custom_environment_id.empty())
        return vercel_staging_model::custom_environment;
    return vercel_staging_model::preview;
}

std::string_view render_staging_model(vercel_staging_model m) {
    switch (m) {
    case vercel_staging_model::staged_production: return "A";
    case vercel_staging_model::custom_environment: return "B";
    case vercel_staging_model::preview: return "C";
    }
    return "?";
}

vercel_deployment tag_invoke(json::value_to_tag<vercel_deployment>, const json::value& v) {
    const auto* o = v.if_object();
    return o ? deployment_from(*o) : vercel_deployment{};
}

vercel_project tag_invoke(json::value_to_tag<vercel_project>, const json::value& v) {
    const auto* o = v.if_object();
    return o ? project_from(*o) : vercel_project{};
}

vercel_deployment parse_vercel_deployment(std::string_view text) {
    auto v = parse_body(text);
    if (!v || !v->is_object()) return {};
    return deployment_from(v->get_object());
}

vercel_project parse_vercel_project(std::string_view text) {
    auto v = parse_body(text);
    if (!v || !v->is_object()) return {};
    return project_from(v->get_object());
}

failure parse_vercel_error(int status, std::string_view body) {
    failure e(status_errc(status), std::string(service_name), status);
    if (auto v = parse_body(body); v && v->is_object()) {
        const auto& o = v->get_object();
        if (auto* eo = error_object(o)) {
            e.reason = str_of(*eo, "code");   // Vercel's own word, kept for people; we decide on the status
            e.detail = str_of(*eo, "message");
        } else if (auto* es = o.if_contains("error"); es && es->is_string()) {
            e.detail = std::string(es->get_string());
        } else if (auto* es2 = o.if_contains("err"); es2 && es2->is_string()) {
            e.detail = std::string(es2->get_string());
        }
    }
    if (e.detail.empty()) e.detail = fmt::format("HTTP {}", status);
    return e;
}

std::string deployment_link(const vercel_deployment& d) {
    if (!d.inspector_url.empty()) return d.inspector_url;
    if (d.url.empty()) return std::string();
    return d.url.starts_with("http") ? d.url : "https://" + d.url;
}

alias_job_wait make_alias_job_wait(const config::vercel_t& cfg, std::string type, std::string deployment_id,
                                   std::int64_t baseline_ms, bool unknown_outcome) {
    alias_job_wait w;
    w.type = std::move(type);
    w.deployment_id = std::move(deployment_id);
    w.baseline_ms = baseline_ms;
    w.timeout = cfg.promote_timeout;
    w.poll_interval = cfg.poll_interval;
    w.silence_limit = std::min<std::chrono::milliseconds>(cfg.promote_timeout, std::chrono::seconds(120));
    if (unknown_outcome)
        w.appear_within = std::clamp<std::chrono::milliseconds>(cfg.poll_interval * 15, std::chrono::seconds(3),
                                                                std::chrono::seconds(120));
    return w;
}

}  // namespace deploybot
