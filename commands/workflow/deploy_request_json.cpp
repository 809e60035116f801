#include "commands/workflow/deploy_request.hpp"

#include "bot/core/time_ms.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

// The request as the JSON blob the store keeps; parsing is tolerant.
namespace deploybot {
namespace json = boost::json;

namespace {
flags_choice parse_flags_choice(std::string_view s) {
    return enum_from_name<flags_choice>(s).value_or(flags_choice::none);
}

ci_state parse_ci_state(std::string_view s) { return enum_from_name<ci_state>(s).value_or(ci_state::unknown); }
}  // namespace

// ---- JSON ----
namespace {

json::value opt_ms(const std::optional<time_point>& t) { return t ? json::value(to_ms(*t)) : json::value(nullptr); }

std::string get_str(const json::object& o, std::string_view k) {
    if (const auto* v = o.if_contains(k); v && v->is_string()) return std::string(v->get_string());
    return {};
}
std::int64_t get_int(const json::object& o, std::string_view k, std::int64_t def = 0) {
    const auto* v = o.if_contains(k);
    if (!v) return def;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return v->get_uint64() > static_cast<std::uint64_t>(INT64_MAX) ? def : static_cast<std::int64_t>(v->get_uint64());
    // Range-checked before converting: a double outside int64 is undefined behaviour.
    if (v->is_double() && std::abs(v->get_double()) < 9.0e18) return static_cast<std::int64_t>(v->get_double());
    return def;
}
bool get_bool(const json::object& o, std::string_view k) {
    const auto* v = o.if_contains(k);
    return v && v->is_bool() && v->get_bool();
}
std::optional<time_point> get_opt_time(const json::object& o, std::string_view k) {
    const auto* v = o.if_contains(k);
    if (!v || !(v->is_int64() || v->is_uint64() || v->is_double())) return std::nullopt;
    return from_ms(get_int(o, k));
}
const json::object* get_obj(const json::object& o, std::string_view k) {
    const auto* v = o.if_contains(k);
    return v && v->is_object() ? &v->get_object() : nullptr;
}

json::object candidate_to_json(const candidate_info& c) {
    return {{"deployment_id", c.deployment_id}, {"url", c.url},
            {"commit_sha", c.commit_sha},       {"commit_message", c.commit_message},
            {"created_at", to_ms(c.created_at)}, {"staging_model", to_string(c.model)},
            {"ready", c.ready}, {"ready_substate", c.ready_substate}};
}

candidate_info candidate_from_json(const json::object& o) {
    candidate_info c;
    c.deployment_id = get_str(o, "deployment_id");
    c.url = get_str(o, "url");
    c.commit_sha = get_str(o, "commit_sha");
    c.commit_message = get_str(o, "commit_message");
    c.created_at = from_ms(get_int(o, "created_at"));
    c.model = parse_staging_model(get_str(o, "staging_model"));
    c.ready = get_bool(o, "ready");
    c.ready_substate = get_str(o, "ready_substate");
    return c;
}

json::object watch_to_json(const watch_info& w) {
    json::array checks;
    for (const auto& c : w.checks)
        checks.push_back(json::object{{"index", c.index}, {"observed", c.observed}, {"events", c.events},
                                      {"regression", c.regression}, {"note", c.note}});
    json::array issues;
    for (const auto& i : w.new_issues)
        issues.push_back(json::object{{"short_id", i.short_id}, {"title", i.title}, {"url", i.url}, {"count", i.count}});
    return {{"phase", to_string(w.phase)},         {"live_at", to_ms(w.live_at)},
            {"duration_s", w.duration_s},          {"interval_s", w.interval_s},
            {"baseline_hour", w.baseline_hour},    {"last_week_hour", w.last_week_hour},
            {"marker_recorded", w.marker_recorded}, {"checks", std::move(checks)},
            {"alerts", w.alerts},                  {"alert_open", w.alert_open},
            {"alert_events", w.alert_events},      {"acked_by", w.acked_by},
            {"alert_index", w.alert_index},        {"alert_owed", w.alert_owed},
            {"alert_ts", w.alert_ts},              {"progress_posted", w.progress_posted},
            {"new_issues", std::move(issues)},     {"summary_owed", w.summary_owed},
            {"summary_ts", w.summary_ts},          {"ended_reason", w.ended_reason}};
}

watch_info watch_from_json(const json::object& o) {
    watch_info w;
    w.phase = parse_watch_phase(get_str(o, "phase"));
    w.live_at = from_ms(get_int(o, "live_at"));
    w.duration_s = get_int(o, "duration_s");
    w.interval_s = get_int(o, "interval_s");
    w.baseline_hour = get_int(o, "baseline_hour", -1);
    w.last_week_hour = get_int(o, "last_week_hour", -1);
    w.marker_recorded = get_bool(o, "marker_recorded");
    if (const auto* a = o.if_contains("checks"); a && a->is_array())
        for (const auto& v : a->get_array()) {
            if (!v.is_object() || w.checks.size() >= 10000) continue;
            const auto& c = v.get_object();
            w.checks.push_back(watch_check{static_cast<int>(get_int(c, "index")), get_bool(c, "observed"),
                                           get_int(c, "events"), get_bool(c, "regression"), get_str(c, "note")});
        }
    w.alerts = static_cast<int>(get_int(o, "alerts"));
    w.alert_open = get_bool(o, "alert_open");
    w.alert_events = get_int(o, "alert_events", -1);
    w.acked_by = get_str(o, "acked_by");
    w.alert_index = static_cast<int>(get_int(o, "alert_index"));
    w.alert_owed = get_bool(o, "alert_owed");
    w.alert_ts = get_str(o, "alert_ts");
    w.progress_posted = static_cast<int>(get_int(o, "progress_posted"));
    if (const auto* a = o.if_contains("new_issues"); a && a->is_array())
        for (const auto& v : a->get_array()) {
            if (!v.is_object() || w.new_issues.size() >= max_tracked_new_issues) continue;
            const auto& i = v.get_object();
            w.new_issues.push_back(
                new_issue_ref{get_str(i, "short_id"), get_str(i, "title"), get_str(i, "url"), get_int(i, "count")});
        }
    w.summary_owed = get_bool(o, "summary_owed");
    w.summary_ts = get_str(o, "summary_ts");
    w.ended_reason = get_str(o, "ended_reason");
    return w;
}

json::object rollback_to_json(const rollback_info& b) {
    json::array files;
    for (const auto& f : b.migration_files) files.emplace_back(f);
    return {{"rolls_back", b.rolls_back},
            {"reason", b.reason},
            {"alert", b.alert},
            {"crosses_migrations", b.crosses_migrations},
            {"migration_files", std::move(files)},
            {"from_message", b.from_message}};
}

json::array string_array(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& x : v) a.emplace_back(x);
    return a;
}

std::vector<std::string> strings_from(const json::object& o, std::string_view k, std::size_t max) {
    std::vector<std::string> out;
    if (const auto* a = o.if_contains(k); a && a->is_array())
        for (const auto& v : a->get_array())
            if (v.is_string() && out.size() < max) out.emplace_back(v.get_string());
    return out;
}

json::object hotfix_to_json(const hotfix_info& h) {
    return {{"pr_number", h.pr_number},
            {"pr_title", h.pr_title},
            {"pr_url", h.pr_url},
            {"pr_author", h.pr_author},
            {"head_ref", h.head_ref},
            {"approvers", string_array(h.approvers)},
            {"ci_summary", h.ci_summary},
            {"ci_url", h.ci_url},
            {"reason", h.reason},
            {"compare_url", h.compare_url},
            {"ships_commits", h.ships_commits},
            {"production_has_extra", h.production_has_extra},
            {"lock_override", h.lock_override},
            {"backport_pending", h.backport_pending},
            {"last_reminder", opt_ms(h.last_reminder)}};
}

hotfix_info hotfix_from_json(const json::object& o) {
    hotfix_info h;
    h.pr_number = static_cast<int>(get_int(o, "pr_number"));
    h.pr_title = get_str(o, "pr_title");
    h.pr_url = get_str(o, "pr_url");
    h.pr_author = get_str(o, "pr_author");
    h.head_ref = get_str(o, "head_ref");
    h.approvers = strings_from(o, "approvers", 50);
    h.ci_summary = get_str(o, "ci_summary");
    h.ci_url = get_str(o, "ci_url");
    h.reason = get_str(o, "reason");
    h.compare_url = get_str(o, "compare_url");
    h.ships_commits = static_cast<int>(get_int(o, "ships_commits"));
    h.production_has_extra = static_cast<int>(get_int(o, "production_has_extra"));
    h.lock_override = get_str(o, "lock_override");
    h.backport_pending = get_bool(o, "backport_pending");
    h.last_reminder = get_opt_time(o, "last_reminder");
    return h;
}

rollback_info rollback_from_json(const json::object& o) {
    rollback_info b;
    b.rolls_back = get_int(o, "rolls_back");
    b.reason = get_str(o, "reason");
    b.alert = get_str(o, "alert");
    b.crosses_migrations = get_bool(o, "crosses_migrations");
    if (const auto* a = o.if_contains("migration_files"); a && a->is_array())
        for (const auto& v : a->get_array())
            if (v.is_string() && b.migration_files.size() < 100) b.migration_files.emplace_back(v.get_string());
    b.from_message = get_str(o, "from_message");
    return b;
}

}  // namespace

std::string serialize_request(const deploy_request& r) {
    json::array items;
    for (const auto& it : r.items)
        items.push_back(json::object{{"key", to_string(it.key)},         {"state", to_string(it.state)},
                                     {"evidence", it.evidence},          {"evidence_url", it.evidence_url},
                                     {"by_user", it.by_user},            {"at", opt_ms(it.at)}});
    json::object o{
        {"id", r.id},
        {"revision", r.revision},
        {"state", to_string(r.state)},
        {"requester", r.requester},
        {"created_at", to_ms(r.created_at)},
        {"updated_at", to_ms(r.updated_at)},
        {"channel", r.channel},
        {"message_ts", r.message_ts},
        {"candidate", candidate_to_json(r.candidate)},
        {"production", json::object{{"deployment_id", r.production.deployment_id},
                                    {"commit_sha", r.production.commit_sha}}},
        {"items", std::move(items)},
        {"sign_off_void", r.sign_off_void},
        {"sign_off_void_reason", r.sign_off_void_reason},
        {"flags", to_string(r.flags)},
        {"next_window", r.next_window},
        {"last_ci", to_string(r.last_ci)},
        {"rollback_target_id", r.rollback_target_id},
        {"promote_attempts", r.promote_attempts},
        {"cancelled_by", r.cancelled_by},
        {"announcement_owed", r.announcement_owed},
        {"announcement_ts", r.announcement_ts},
        {"kind", to_string(r.kind)},
        {"watch", watch_to_json(r.watch)},
        {"rolled_back_by", r.rolled_back_by},
        {"production_pinned", r.production_pinned},
        {"rolling_release", r.rolling_release},
    };
    if (!r.changes.head_sha.empty()) {
        json::array prs;
        for (const auto& c : r.changes.prs)
            prs.push_back(json::object{{"pr_number", c.pr_number}, {"first_commit_at", to_ms(c.first_commit_at)}});
        o["changes"] = json::object{{"head_sha", r.changes.head_sha}, {"prs", std::move(prs)}};
    }
    if (r.kind == record_kind::rollback) o["rollback"] = rollback_to_json(r.rollback);
    if (r.kind == record_kind::hotfix) o["hotfix"] = hotfix_to_json(r.hotfix);
    o["postmortem"] = json::object{{"owed", r.postmortem.owed}, {"url", r.postmortem.url}, {"error", r.postmortem.error}};
    if (r.sign_off)
        o["sign_off"] = json::object{{"user", r.sign_off->user},
                                     {"at", to_ms(r.sign_off->at)},
                                     {"deployment_id", r.sign_off->deployment_id},
                                     {"commit_sha", r.sign_off->commit_sha}};
    if (r.window_override)
        o["override"] = json::object{{"admin", r.window_override->admin},
                                     {"reason", r.window_override->reason},
                                     {"at", to_ms(r.window_override->at)}};
    const auto& p = r.promote;
    o["promote"] = json::object{{"attempt_id", p.attempt_id},
                                {"clicked_by", p.clicked_by},
                                {"clicked_at", opt_ms(p.clicked_at)},
                                {"started_at", opt_ms(p.started_at)},
                                {"target_deployment_id", p.target_deployment_id},
                                {"finished_at", opt_ms(p.finished_at)},
                                {"outcome", p.outcome},
                                {"error", p.error},
                                {"sent_baseline_ms", p.sent_baseline_ms},
                                {"outcome_note", p.outcome_note}};
    return json::serialize(o);
}

result<deploy_request> parse_request(std::string_view text) {
    system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return make_error_code(errc::bad_json);
    const auto& o = v.get_object();
    deploy_request r;
    r.id = get_int(o, "id");
    r.revision = get_int(o, "revision");
    r.state = parse_request_state(get_str(o, "state")).value_or(request_state::collecting);
    r.requester = get_str(o, "requester");
    r.created_at = from_ms(get_int(o, "created_at"));
    r.updated_at = from_ms(get_int(o, "updated_at"));
    r.channel = get_str(o, "channel");
    r.message_ts = get_str(o, "message_ts");
    if (const auto* c = get_obj(o, "candidate")) r.candidate = candidate_from_json(*c);
    if (const auto* p = get_obj(o, "production")) {
        r.production.deployment_id = get_str(*p, "deployment_id");
        r.production.commit_sha = get_str(*p, "commit_sha");
    }
    // Always the six items in order, whatever the blob holds.
    for (auto k : all_items) r.items.push_back(checklist_item{k});
    if (const auto* items = o.if_contains("items"); items && items->is_array()) {
        for (const auto& iv : items->get_array()) {
            if (!iv.is_object()) continue;
            const auto& io = iv.get_object();
            const auto key = parse_item_key(get_str(io, "key"));
            if (!key) continue;
            auto& it = r.item(*key);
            it.state = parse_item_state(get_str(io, "state")).value_or(item_state::pending);
            it.evidence = get_str(io, "evidence");
            it.evidence_url = get_str(io, "evidence_url");
            it.by_user = get_str(io, "by_user");
            it.at = get_opt_time(io, "at");
        }
    }
    if (const auto* s = get_obj(o, "sign_off"))
        r.sign_off = qa_sign_off{get_str(*s, "user"), from_ms(get_int(*s, "at")), get_str(*s, "deployment_id"),
                                 get_str(*s, "commit_sha")};
    r.sign_off_void = get_bool(o, "sign_off_void");
    r.sign_off_void_reason = get_str(o, "sign_off_void_reason");
    r.flags = parse_flags_choice(get_str(o, "flags"));
    if (const auto* ov = get_obj(o, "override"))
        r.window_override = schedule_override{get_str(*ov, "admin"), get_str(*ov, "reason"), from_ms(get_int(*ov, "at"))};
    r.next_window = get_str(o, "next_window");
    r.last_ci = parse_ci_state(get_str(o, "last_ci"));
    r.rollback_target_id = get_str(o, "rollback_target_id");
    r.promote_attempts = static_cast<int>(get_int(o, "promote_attempts"));
    r.cancelled_by = get_str(o, "cancelled_by");
    if (const auto* v = o.if_contains("announcement_owed"); v && v->is_bool()) r.announcement_owed = v->get_bool();
    r.announcement_ts = get_str(o, "announcement_ts");
    r.kind = parse_record_kind(get_str(o, "kind"));
    if (const auto* w = get_obj(o, "watch")) r.watch = watch_from_json(*w);
    if (const auto* b = get_obj(o, "rollback")) r.rollback = rollback_from_json(*b);
    if (const auto* h = get_obj(o, "hotfix")) r.hotfix = hotfix_from_json(*h);
    if (const auto* p = get_obj(o, "postmortem")) {
        r.postmortem.owed = get_bool(*p, "owed");
        r.postmortem.url = get_str(*p, "url");
        r.postmortem.error = get_str(*p, "error");
    }
    r.rolled_back_by = get_int(o, "rolled_back_by");
    if (const auto* c = get_obj(o, "changes")) {
        r.changes.head_sha = get_str(*c, "head_sha");
        if (const auto* a = c->if_contains("prs"); a && a->is_array())
            for (const auto& v : a->get_array())
                if (v.is_object() && r.changes.prs.size() < max_shipped_changes)
                    r.changes.prs.push_back(shipped_change{static_cast<int>(get_int(v.get_object(), "pr_number")),
                                                           from_ms(get_int(v.get_object(), "first_commit_at"))});
    }
    r.production_pinned = get_bool(o, "production_pinned");
    r.rolling_release = get_bool(o, "rolling_release");
    if (const auto* p = get_obj(o, "promote")) {
        r.promote.attempt_id = get_str(*p, "attempt_id");
        r.promote.clicked_by = get_str(*p, "clicked_by");
        r.promote.clicked_at = get_opt_time(*p, "clicked_at");
        r.promote.started_at = get_opt_time(*p, "started_at");
        r.promote.target_deployment_id = get_str(*p, "target_deployment_id");
        r.promote.finished_at = get_opt_time(*p, "finished_at");
        r.promote.outcome = get_str(*p, "outcome");
        r.promote.error = get_str(*p, "error");
        // Written by every version that sends promotes this way; a request saved by an
        // older version may have sent it: 0 makes the resume read Vercel first.
        r.promote.sent_baseline_ms = p->contains("sent_baseline_ms") ? get_int(*p, "sent_baseline_ms") : 0;
        r.promote.outcome_note = get_str(*p, "outcome_note");
    }
    return r;
}

}  // namespace deploybot
