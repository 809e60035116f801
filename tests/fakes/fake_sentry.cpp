#include "fakes/fake_sentry.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

namespace deploybot::fakes {

namespace json = boost::json;
namespace urls = boost::urls;
using std::chrono::system_clock;

namespace {

using multi_params = std::multimap<std::string, std::string>;

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(system_clock::now().time_since_epoch()).count();
}

std::string iso(system_clock::time_point t) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                       hms.minutes().count(), hms.seconds().count());
}

bool read_int(std::string_view& s, std::size_t digits, int& out) {
    if (s.size() < digits) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + digits, out);
    if (ec != std::errc{} || p != s.data() + digits) return false;
    s.remove_prefix(digits);
    return true;
}

bool skip(std::string_view& s, char c) {
    if (s.empty() || s.front() != c) return false;
    s.remove_prefix(1);
    return true;
}

// "2026-01-06T03:05:00", optional ".fff" and "Z" / "+00:00" (UTC only).
std::optional<system_clock::time_point> parse_iso(std::string_view s) {
    using namespace std::chrono;
    int y, mo, d, h, mi, se;
    if (!read_int(s, 4, y) || !skip(s, '-') || !read_int(s, 2, mo) || !skip(s, '-') || !read_int(s, 2, d) ||
        !skip(s, 'T') || !read_int(s, 2, h) || !skip(s, ':') || !read_int(s, 2, mi) || !skip(s, ':') ||
        !read_int(s, 2, se))
        return std::nullopt;
    if (skip(s, '.'))
        while (!s.empty() && s.front() >= '0' && s.front() <= '9') s.remove_prefix(1);
    if (!(s.empty() || s == "Z" || s == "+00:00")) return std::nullopt;
    const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
    if (!ymd.ok() || h > 23 || mi > 59 || se > 59) return std::nullopt;
    return sys_days(ymd) + hours(h) + minutes(mi) + seconds(se);
}

fake_response json_response(int status, const json::value& v) {
    return fake_response{status, {{"Content-Type", "application/json"}}, json::serialize(v)};
}

fake_response detail(int status, std::string_view text) { return json_response(status, json::object{{"detail", text}}); }

std::vector<std::string> all_of(const multi_params& q, const std::string& key) {
    std::vector<std::string> out;
    for (auto [it, end] = q.equal_range(key); it != end; ++it) out.push_back(it->second);
    return out;
}

std::string first_of(const multi_params& q, const std::string& key) {
    auto it = q.find(key);
    return it == q.end() ? std::string() : it->second;
}

bool any_matches(const std::vector<std::string>& wanted, std::initializer_list<std::string_view> values) {
    if (wanted.empty()) return true;
    for (auto& w : wanted)
        for (auto v : values)
            if (w == v) return true;
    return false;
}

std::string string_field(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

fake_sentry::fake_sentry(options opts) : fake_server(fake_server::options{false, "fake_sentry"}), opts_(std::move(opts)) {}

fake_sentry::fake_sentry() : fake_sentry(options{}) {}

fake_sentry::~fake_sentry() { stop(); }

std::string fake_sentry::api_url() const { return base_url() + "/api/0"; }

void fake_sentry::add_events(std::string issue_short_id, std::string title, system_clock::time_point at, int n,
                             std::string environment) {
    std::lock_guard lock(mutex_);
    if (!issue_ids_.count(issue_short_id))
        issue_ids_[issue_short_id] = std::to_string(6123400000 + static_cast<std::int64_t>(issue_ids_.size()) + 1);
    events_.push_back({std::move(issue_short_id), std::move(title), at, n, std::move(environment)});
}

void fake_sentry::clear_events() {
    std::lock_guard lock(mutex_);
    events_.clear();
    issue_ids_.clear();
}

std::vector<fs_release> fake_sentry::releases() const {
    std::lock_guard lock(mutex_);
    return releases_;
}

std::vector<fs_deploy> fake_sentry::deploys() const {
    std::lock_guard lock(mutex_);
    return deploys_;
}

void fake_sentry::fail_all(int status) {
    std::lock_guard lock(mutex_);
    fail_all_ = status;
}

void fake_sentry::fail_next(int status, int n) {
    std::lock_guard lock(mutex_);
    fail_next_status_ = status;
    fail_next_left_ = std::max(0, n);
}

void fake_sentry::set_down(bool down) {
    std::lock_guard lock(mutex_);
    down_ = down;
}

void fake_sentry::set_forget_releases(bool forget) {
    std::lock_guard lock(mutex_);
    forget_releases_ = forget;
}

void fake_sentry::set_fault_detail(std::string text) {
    std::lock_guard lock(mutex_);
    fault_detail_ = std::move(text);
}

int fake_sentry::gets_answered() const {
    std::lock_guard lock(mutex_);
    return gets_answered_;
}

int fake_sentry::count_requests(std::string_view method, std::string_view path_part) const {
    int n = 0;
    for (auto& r : requests())
        n += (method.empty() || r.method == method) && r.path.find(path_part) != std::string::npos;
    return n;
}

fake_response fake_sentry::handle(const recorded_request& req) {
    std::lock_guard lock(mutex_);
    fake_response r;
    if (down_) {
        r.drop_connection = true;
    } else if (req.header("Authorization") != "Bearer " + opts_.token) {
        r = detail(401, "Invalid token");
    } else if (fail_next_left_ > 0) {
        --fail_next_left_;
        r = fault(fail_next_status_);
    } else if (fail_all_ != 0) {
        r = fault(fail_all_);
    } else {
        r = route(req);
    }
    // sentry.md §1: every response carries the rate-limit headers.
    auto add = [&r](std::string name, std::string value) {
        for (auto& h : r.headers)
            if (h.name == name) return;
        r.headers.push_back({std::move(name), std::move(value)});
    };
    add("X-Sentry-Rate-Limit-Limit", "40");
    add("X-Sentry-Rate-Limit-Remaining", "39");
    add("X-Sentry-Rate-Limit-Reset", std::to_string(now_s() + 1));
    add("X-Sentry-Rate-Limit-ConcurrentLimit", "25");
    add("X-Sentry-Rate-Limit-ConcurrentRemaining", "24");
    if (req.method == "GET" && !r.drop_connection) ++gets_answered_;
    notify_changed();
    return r;
}

fake_response fake_sentry::fault(int status) const {
    std::string text = fault_detail_;
    if (text.empty()) {
        switch (status) {
        case 401: text = "Invalid token"; break;
        case 403: text = "You do not have permission to perform this action."; break;
        case 429: text = "Request was throttled. Expected available in 1 second."; break;
        default: text = status >= 500 ? "Internal Error" : fmt::format("Error {}", status);
        }
    }
    auto r = detail(status, text);
    if (status == 429) {
        r.headers.push_back({"X-Sentry-Rate-Limit-Remaining", "0"});
        r.headers.push_back({"X-Sentry-Rate-Limit-Reset", std::to_string(now_s() + 1)});
    }
    return r;
}

fake_response fake_sentry::route(const recorded_request& req) {
    auto target = urls::parse_origin_form(req.target);
    if (!target) return detail(400, "Bad request target");
    std::vector<std::string> seg(target->segments().begin(), target->segments().end());
    while (!seg.empty() && seg.back().empty()) seg.pop_back();
    const bool org_path = seg.size() >= 5 && seg[0] == "api" && seg[1] == "0" && seg[2] == "organizations";
    if (!org_path || seg[3] != opts_.org) return detail(404, "The requested resource does not exist");
    const std::string method_not_allowed = fmt::format("Method \"{}\" not allowed.", req.method);
    if (seg.size() == 5 && seg[4] == "events") return req.method == "GET" ? events(req) : detail(405, method_not_allowed);
    if (seg.size() == 5 && seg[4] == "issues") return req.method == "GET" ? issues(req) : detail(405, method_not_allowed);
    if (seg.size() == 5 && seg[4] == "releases")
        return req.method == "POST" ? create_release(req) : detail(405, method_not_allowed);
    if (seg.size() == 7 && seg[4] == "releases" && seg[6] == "deploys")
        return req.method == "POST" ? create_deploy(req, seg[5]) : detail(405, method_not_allowed);
    return detail(404, "The requested resource does not exist");
}

namespace {

multi_params params_of(const recorded_request& req) {
    multi_params out;
    auto target = urls::parse_origin_form(req.target);
    if (!target) return out;
    urls::encoding_opts opt;
    opt.space_as_plus = true;   // Django reads '+' as a space
    for (auto p : target->params(opt)) out.emplace(p.key, p.value);
    return out;
}

}  // namespace

fake_response fake_sentry::events(const recorded_request& req) {
    const auto q = params_of(req);
    const auto fields = all_of(q, "field");
    if (!q.count("dataset") || fields.empty()) return detail(400, "Invalid query: dataset and field are required");
    if (first_of(q, "dataset") != "errors") return detail(400, "Invalid dataset");
    auto start = system_clock::time_point::min();
    auto end = system_clock::time_point::max();
    if (q.count("start")) {
        auto t = parse_iso(first_of(q, "start"));
        if (!t) return detail(400, "Invalid date range: start");
        start = *t;
    }
    if (q.count("end")) {
        auto t = parse_iso(first_of(q, "end"));
        if (!t) return detail(400, "Invalid date range: end");
        end = *t;
    }
    const auto projects = all_of(q, "project");
    const auto envs = all_of(q, "environment");
    std::int64_t count = 0;
    std::set<std::string> issues_seen;
    if (any_matches(projects, {opts_.project, opts_.project_id, "-1"})) {
        for (auto& e : events_) {
            if (!any_matches(envs, {e.environment}) || e.at < start || e.at >= end) continue;
            count += e.n;
            issues_seen.insert(e.issue);
        }
    }
    json::object row, types, units;
    for (auto& f : fields) {
        if (f == "count()")
            row[f] = count;
        else if (f == "count_unique(issue)")
            row[f] = static_cast<std::int64_t>(issues_seen.size());
        else
            return detail(400, fmt::format("Invalid query. Unknown field: {}", f));
        types[f] = "integer";
        units[f] = nullptr;
    }
    return json_response(200, json::object{{"data", json::array{row}},
                                           {"meta", json::object{{"fields", types}, {"units", units}, {"dataset", "errors"}}}});
}

fake_response fake_sentry::issues(const recorded_request& req) {
    const auto q = params_of(req);
    int limit = 100;
    if (q.count("limit")) {
        const auto text = first_of(q, "limit");
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
        if (ec != std::errc{} || p != text.data() + text.size() || limit < 1 || limit > 100)
            return detail(400, "Invalid limit");
    }
    auto since = system_clock::time_point::min();
    const std::string query = q.count("query") ? first_of(q, "query") : std::string("is:unresolved");
    for (std::size_t pos = 0; pos < query.size();) {
        auto sp = query.find(' ', pos);
        const std::string term = query.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
        pos = sp == std::string::npos ? query.size() : sp + 1;
        if (term.rfind("firstSeen:>", 0) != 0) continue;
        auto t = parse_iso(std::string_view(term).substr(11));
        if (!t) return detail(400, "Invalid format for firstSeen");
        since = *t;
    }
    struct agg {
        std::string title;
        system_clock::time_point first = system_clock::time_point::max(), last = system_clock::time_point::min();
        std::int64_t count = 0;
    };
    std::map<std::string, agg> by_issue;
    const auto envs = all_of(q, "environment");
    if (any_matches(all_of(q, "project"), {opts_.project, opts_.project_id, "-1"})) {
        for (auto& e : events_) {
            if (!any_matches(envs, {e.environment})) continue;
            auto& a = by_issue[e.issue];
            a.title = e.title;
            a.first = std::min(a.first, e.at);
            a.last = std::max(a.last, e.at);
            a.count += e.n;
        }
    }
    std::vector<std::pair<std::string, agg>> list;
    for (auto& [id, a] : by_issue)
        if (a.first > since) list.emplace_back(id, a);
    const bool newest_first = first_of(q, "sort") == "new";
    std::stable_sort(list.begin(), list.end(), [&](const auto& x, const auto& y) {
        return newest_first ? x.second.first > y.second.first : x.second.last > y.second.last;
    });
    if (list.size() > static_cast<std::size_t>(limit)) list.resize(static_cast<std::size_t>(limit));
    json::array out;
    for (auto& [short_id, a] : list) {
        const std::string& id = issue_ids_[short_id];
        out.push_back(json::object{{"id", id},
                                   {"shortId", short_id},
                                   {"title", a.title},
                                   {"culprit", "app/cart/page"},
                                   {"level", "error"},
                                   {"status", "unresolved"},
                                   {"count", std::to_string(a.count)},   // a string, as Sentry sends it
                                   {"userCount", a.count},
                                   {"firstSeen", iso(a.first)},
                                   {"lastSeen", iso(a.last)},
                                   {"permalink", fmt::format("{}/organizations/{}/issues/{}/", base_url(), opts_.org, id)},
                                   {"project", json::object{{"id", opts_.project_id}, {"slug", opts_.project}}}});
    }
    return json_response(200, out);
}

fake_response fake_sentry::create_release(const recorded_request& req) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return detail(400, "Malformed request");
    const auto& o = v.get_object();
    fs_release rel;
    rel.version = string_field(o, "version");
    rel.url = string_field(o, "url");
    // Sentry's naming rules: ≤ 200 characters, no '/', '\\', newline or tab, not ".", ".." or " ".
    if (rel.version.empty() || rel.version.size() > 200 || rel.version.find_first_of("/\\\n\t") != std::string::npos ||
        rel.version == "." || rel.version == ".." || rel.version == " ")
        return json_response(400, json::object{{"version", json::array{"Invalid release version."}}});
    if (auto* p = o.if_contains("projects"); p && p->is_array())
        for (auto& item : p->get_array())
            if (item.is_string()) rel.projects.emplace_back(item.get_string());
    if (rel.projects.empty()) return json_response(400, json::object{{"projects", json::array{"This field is required."}}});
    for (auto& p : rel.projects)
        if (p != opts_.project && p != opts_.project_id) return detail(400, "Invalid project ids or slugs");
    if (auto* refs = o.if_contains("refs"); refs && refs->is_array())
        for (auto& item : refs->get_array())
            if (auto* r = item.if_object())
                rel.refs.push_back({string_field(*r, "repository"), string_field(*r, "commit"),
                                    string_field(*r, "previousCommit")});
    json::object answer{{"version", rel.version}, {"url", rel.url},
                        {"projects", json::array{json::object{{"slug", opts_.project}, {"name", opts_.project}}}}};
    for (auto& existing : releases_) {
        if (existing.version != rel.version) continue;
        ++existing.create_calls;
        return json_response(208, answer);
    }
    rel.create_calls = 1;
    if (!forget_releases_) releases_.push_back(std::move(rel));
    return json_response(201, answer);
}

fake_response fake_sentry::create_deploy(const recorded_request& req, const std::string& version) {
    if (std::none_of(releases_.begin(), releases_.end(), [&](const fs_release& r) { return r.version == version; }))
        return detail(404, "The requested resource does not exist");
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return detail(400, "Malformed request");
    const auto& o = v.get_object();
    fs_deploy d{std::to_string(next_deploy_id_), version, string_field(o, "environment"), string_field(o, "name"),
                string_field(o, "url"), string_field(o, "dateStarted"), string_field(o, "dateFinished")};
    if (d.environment.empty() || d.environment.size() > 64)
        return json_response(400, json::object{{"environment", json::array{"This field is required."}}});
    if (std::count_if(d.name.begin(), d.name.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }) > 64)
        return json_response(400, json::object{{"name", json::array{"Ensure this field has no more than 64 characters."}}});
    if ((!d.date_started.empty() && !parse_iso(d.date_started)) || (!d.date_finished.empty() && !parse_iso(d.date_finished)))
        return json_response(400, json::object{{"dateStarted", json::array{"Datetime has wrong format."}}});
    if (d.date_finished.empty()) d.date_finished = iso(system_clock::now());
    ++next_deploy_id_;
    deploys_.push_back(d);
    return json_response(201, json::object{{"id", d.id},
                                           {"environment", d.environment},
                                           {"dateStarted", d.date_started.empty() ? json::value(nullptr) : json::value(d.date_started)},
                                           {"dateFinished", d.date_finished},
                                           {"name", d.name},
                                           {"url", d.url}});
}

}  // namespace deploybot::fakes
