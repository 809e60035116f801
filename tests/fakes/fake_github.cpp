#include "fakes/fake_github.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

namespace deploybot::fakes {

namespace json = boost::json;

namespace {

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

fake_response json_response(int status, const json::value& v) {
    return fake_response{status, {{"Content-Type", "application/json; charset=utf-8"}}, json::serialize(v)};
}

fake_response message(int status, std::string_view msg) {
    return json_response(status, json::object{{"message", msg},
                                              {"documentation_url", "https://docs.github.com/rest"},
                                              {"status", std::to_string(status)}});
}

int int_param(const recorded_request& req, std::string_view name, int fallback) {
    auto v = req.query_param(name);
    if (v.empty()) return fallback;
    try {
        return std::stoi(v);
    } catch (...) {
        return fallback;
    }
}

struct page_slice {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::string link;   // Link header value, "" when one page
};

// GitHub-style page/per_page with a Link header built from the request itself.
page_slice paginate(const recorded_request& req, std::size_t total, const std::string& base_url) {
    const int per_page = std::clamp(int_param(req, "per_page", 30), 1, 100);
    const int page = std::max(1, int_param(req, "page", 1));
    page_slice s;
    s.begin = std::min(total, static_cast<std::size_t>(page - 1) * per_page);
    s.end = std::min(total, s.begin + per_page);
    const int last = std::max<int>(1, static_cast<int>((total + per_page - 1) / per_page));
    std::string raw_path = req.target.substr(0, req.target.find('?'));
    std::string kept;
    std::size_t p = 0;
    while (p <= req.query.size() && !req.query.empty()) {
        auto amp = req.query.find('&', p);
        auto part = req.query.substr(p, amp == std::string::npos ? std::string::npos : amp - p);
        if (!part.empty() && part.rfind("page=", 0) != 0 && part.rfind("per_page=", 0) != 0)
            kept += part + "&";
        if (amp == std::string::npos) break;
        p = amp + 1;
    }
    auto url = [&](int n) {
        return "<" + base_url + raw_path + "?" + kept + "per_page=" + std::to_string(per_page) +
               "&page=" + std::to_string(n) + ">";
    };
    std::vector<std::string> parts;
    if (page < last) parts.push_back(url(page + 1) + "; rel=\"next\"");
    if (page > 1) parts.push_back(url(page - 1) + "; rel=\"prev\"");
    if (last > 1) {
        parts.push_back(url(1) + "; rel=\"first\"");
        parts.push_back(url(last) + "; rel=\"last\"");
    }
    for (std::size_t i = 0; i < parts.size(); ++i) s.link += (i ? ", " : "") + parts[i];
    return s;
}

json::object commit_json(const gh_commit& c) {
    json::object o{{"sha", c.sha},
                   {"commit", json::object{{"message", c.message},
                                           {"author", json::object{{"name", c.author_name}, {"date", c.date}}}}}};
    o["author"] = c.author_login.empty() ? json::value(nullptr) : json::value(json::object{{"login", c.author_login}});
    return o;
}

json::object file_json(const gh_file_change& f) {
    json::object o{{"filename", f.filename}, {"status", f.status}, {"additions", 1}, {"deletions", 0}, {"changes", 1}};
    if (!f.previous_filename.empty()) o["previous_filename"] = f.previous_filename;
    return o;
}

json::value or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

json::object pull_json(const gh_pull& p, const std::string& html_base) {
    return json::object{{"number", p.number},
                        {"state", p.state},
                        {"title", p.title},
                        {"draft", p.draft},
                        {"user", json::object{{"login", p.user_login}}},
                        {"merged_at", or_null(p.merged_at)},
                        {"merge_commit_sha", or_null(p.merge_commit_sha)},
                        {"head", json::object{{"ref", p.head_ref}, {"sha", p.head_sha}}},
                        {"base", json::object{{"ref", p.base_ref}}},
                        {"html_url", html_base + "/pull/" + std::to_string(p.number)}};
}

// Strong ETag over everything a 200 GET carries that varies: the body and the
// Link header (two pages with equal bodies must not share a validator).
std::string make_etag(const fake_response& r) {
    std::uint64_t h = 14695981039346656037ull;   // FNV-1a 64
    auto mix = [&](std::string_view s) {
        for (unsigned char c : s) {
            h ^= c;
            h *= 1099511628211ull;
        }
    };
    mix(r.body);
    for (auto& hd : r.headers)
        if (hd.name == "Link") mix("\nLink:" + hd.value);
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return "\"" + std::string(buf) + "\"";
}

// RFC 9110 weak comparison: W/ prefixes are ignored; "*" matches anything.
bool if_none_match_hits(std::string_view header, std::string_view etag) {
    auto strip_weak = [](std::string_view t) { return t.rfind("W/", 0) == 0 ? t.substr(2) : t; };
    etag = strip_weak(etag);
    std::size_t p = 0;
    while (p < header.size()) {
        auto comma = header.find(',', p);
        auto item = header.substr(p, comma == std::string_view::npos ? std::string_view::npos : comma - p);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item == "*" || (!item.empty() && strip_weak(item) == etag)) return true;
        if (comma == std::string_view::npos) break;
        p = comma + 1;
    }
    return false;
}

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

fake_github::fake_github(options opts) : fake_server(fake_server::options{opts.tls, "fake_github"}), opts_(std::move(opts)) {}

fake_github::~fake_github() { stop(); }

void fake_github::set_branch(const std::string& name, const std::string& sha) {
    std::lock_guard lock(mutex_);
    branches_[name] = sha;
}

void fake_github::add_commit(gh_commit c) {
    std::lock_guard lock(mutex_);
    commits_.push_back(std::move(c));
}

void fake_github::add_status(const std::string& sha, gh_status s) {
    std::lock_guard lock(mutex_);
    statuses_[sha].push_back(std::move(s));
}

void fake_github::set_check_run(const std::string& sha, gh_check_run run) {
    std::lock_guard lock(mutex_);
    auto& runs = check_runs_[sha];
    if (run.id == 0) run.id = next_id_++;
    for (auto& r : runs) {
        if (r.id == run.id) {
            r = std::move(run);
            return;
        }
    }
    runs.push_back(std::move(run));
}

void fake_github::add_pr(gh_pull pr) {
    std::lock_guard lock(mutex_);
    pulls_[pr.number] = std::move(pr);
}

void fake_github::link_commit_to_pr(const std::string& sha, int number) {
    std::lock_guard lock(mutex_);
    commit_pulls_[sha].push_back(number);
}

void fake_github::add_review(int pr_number, gh_review review) {
    std::lock_guard lock(mutex_);
    if (review.id == 0) review.id = next_id_++;
    reviews_[pr_number].push_back(std::move(review));
}

void fake_github::set_issues_disabled(bool disabled) {
    std::lock_guard lock(mutex_);
    issues_disabled_ = disabled;
}

std::vector<gh_issue> fake_github::issues() const {
    std::lock_guard lock(mutex_);
    return issues_;
}

void fake_github::script_limit(int count, gh_limit_mode mode, int status, int retry_after_s, int reset_in_s) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < count; ++i) script_.push_back({mode, status, retry_after_s, reset_in_s});
}

int fake_github::not_modified_count() const {
    std::lock_guard lock(mutex_);
    return not_modified_;
}

std::int64_t fake_github::rate_limit_remaining() const {
    std::lock_guard lock(mutex_);
    return std::max<std::int64_t>(0, remaining_);
}

std::string fake_github::resolve_ref(const std::string& ref) const {
    if (auto it = branches_.find(ref); it != branches_.end()) return it->second;
    return ref;
}

int fake_github::commit_index(const std::string& sha) const {
    for (std::size_t i = 0; i < commits_.size(); ++i)
        if (commits_[i].sha == sha) return static_cast<int>(i);
    return -1;
}

fake_response fake_github::handle(const recorded_request& req) {
    std::lock_guard lock(mutex_);
    fake_response resp;
    // Header checks come before any scripted fault, as on the real service.
    const auto version = req.header("X-GitHub-Api-Version");
    if (req.header("User-Agent").empty()) {
        resp = message(403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header");
    } else if (!version.empty() && version != "2022-11-28" && version != "2026-03-10") {
        resp = message(400, "Unsupported 'X-GitHub-Api-Version' header");
    } else {
        auto auth = req.header("Authorization");
        std::string token;
        if (auth.rfind("Bearer ", 0) == 0) token = auth.substr(7);
        else if (auth.rfind("token ", 0) == 0) token = auth.substr(6);
        if (token.empty() || token != opts_.token) {
            resp = message(401, "Bad credentials");
        } else if (!script_.empty()) {
            auto s = script_.front();
            script_.erase(script_.begin());
            switch (s.mode) {
            case gh_limit_mode::retry_after:
                resp = message(s.status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.");
                resp.headers.push_back({"retry-after", std::to_string(s.retry_after_s)});
                break;
            case gh_limit_mode::primary:
                resp = message(s.status, "API rate limit exceeded for user ID 1.");
                remaining_ = 0;
                resp.headers.push_back({"x-ratelimit-reset", std::to_string(now_s() + s.reset_in_s)});
                break;
            case gh_limit_mode::secondary_without_retry_after:
                resp = message(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.");
                break;
            case gh_limit_mode::permission:
                resp = message(403, "Resource not accessible by personal access token");
                break;
            }
        } else {
            if (remaining_ == 0) remaining_ = 5000;   // the window reset after a primary-limit script
            resp = route(req);
            const auto inm = req.header("If-None-Match");
            if (req.method == "GET" && resp.status == 200) {
                auto etag = make_etag(resp);
                if (!inm.empty() && if_none_match_hits(inm, etag)) {
                    // An authorized 304 does not count against the primary limit (github.md §1).
                    resp = fake_response{304, {{"ETag", etag}}, {}};
                    ++not_modified_;
                } else {
                    resp.headers.push_back({"ETag", etag});
                    --remaining_;
                }
            } else {
                --remaining_;
            }
        }
    }
    bool has_reset = false;
    for (auto& h : resp.headers) has_reset = has_reset || h.name == "x-ratelimit-reset";
    resp.headers.push_back({"x-ratelimit-limit", "5000"});
    resp.headers.push_back({"x-ratelimit-remaining", std::to_string(std::max<std::int64_t>(0, remaining_))});
    resp.headers.push_back({"x-ratelimit-used", std::to_string(5000 - std::max<std::int64_t>(0, remaining_))});
    if (!has_reset) resp.headers.push_back({"x-ratelimit-reset", std::to_string(now_s() + 3600)});
    resp.headers.push_back({"x-ratelimit-resource", "core"});
    return resp;
}

fake_response fake_github::route(const recorded_request& req) {
    const std::string prefix = "/repos/" + opts_.owner + "/" + opts_.repo + "/";
    if (req.path.rfind(prefix, 0) != 0) return message(404, "Not Found");
    const std::string rest = req.path.substr(prefix.size());
    const std::string html_base = "https://github.com/" + opts_.owner + "/" + opts_.repo;
    const std::string base = base_url();

    if (req.method == "GET" && rest.rfind("branches/", 0) == 0) {
        auto name = rest.substr(9);
        auto it = branches_.find(name);
        if (it == branches_.end()) return message(404, "Branch not found");
        json::object commit{{"sha", it->second}};
        if (auto i = commit_index(it->second); i >= 0) {
            auto cj = commit_json(commits_[i]);
            commit["commit"] = cj["commit"];
            commit["author"] = cj["author"];
        }
        return json_response(200, json::object{{"name", name}, {"protected", true}, {"commit", commit}});
    }

    if (req.method == "GET" && rest.rfind("commits/", 0) == 0) {
        auto tail = rest.substr(8);
        if (ends_with(tail, "/status")) {
            auto sha = resolve_ref(tail.substr(0, tail.size() - 7));
            // Latest status per context wins.
            std::vector<gh_status> latest;
            if (auto it = statuses_.find(sha); it != statuses_.end()) {
                for (auto r = it->second.rbegin(); r != it->second.rend(); ++r)
                    if (std::none_of(latest.begin(), latest.end(), [&](auto& l) { return l.context == r->context; }))
                        latest.push_back(*r);
            }
            std::string state = "success";
            if (latest.empty()) state = "pending";
            for (auto& s : latest)
                if (s.state == "error" || s.state == "failure") state = "failure";
            if (state != "failure")
                for (auto& s : latest)
                    if (s.state == "pending") state = "pending";
            auto pg = paginate(req, latest.size(), base);
            json::array arr;
            std::int64_t id = 7001;
            for (auto i = pg.begin; i < pg.end; ++i)
                arr.push_back(json::object{{"id", id + static_cast<std::int64_t>(i)},
                                           {"context", latest[i].context},
                                           {"state", latest[i].state},
                                           {"description", latest[i].description},
                                           {"target_url", latest[i].target_url},
                                           {"created_at", "2026-01-06T09:31:00Z"},
                                           {"updated_at", "2026-01-06T09:32:10Z"}});
            auto r = json_response(200, json::object{{"state", state},
                                                     {"sha", sha},
                                                     {"total_count", latest.size()},
                                                     {"statuses", arr},
                                                     {"repository", json::object{{"full_name", opts_.owner + "/" + opts_.repo}}}});
            if (!pg.link.empty()) r.headers.push_back({"Link", pg.link});
            return r;
        }
        if (ends_with(tail, "/check-runs")) {
            auto sha = resolve_ref(tail.substr(0, tail.size() - 11));
            std::vector<gh_check_run> runs;
            if (auto it = check_runs_.find(sha); it != check_runs_.end()) runs = it->second;
            const auto filter = req.query_param("filter");
            if (filter.empty() || filter == "latest") {
                std::vector<gh_check_run> latest;
                for (auto& r : runs) {
                    auto it = std::find_if(latest.begin(), latest.end(), [&](auto& l) { return l.name == r.name; });
                    if (it == latest.end()) latest.push_back(r);
                    else if (r.id > it->id) *it = r;
                }
                runs = std::move(latest);
            }
            if (auto name = req.query_param("check_name"); !name.empty())
                std::erase_if(runs, [&](auto& r) { return r.name != name; });
            if (auto st = req.query_param("status"); !st.empty())
                std::erase_if(runs, [&](auto& r) { return r.status != st; });
            auto pg = paginate(req, runs.size(), base);
            json::array arr;
            for (auto i = pg.begin; i < pg.end; ++i) {
                const auto& r = runs[i];
                arr.push_back(json::object{{"id", r.id},
                                           {"name", r.name},
                                           {"head_sha", sha},
                                           {"status", r.status},
                                           {"conclusion", or_null(r.conclusion)},
                                           {"started_at", "2026-01-06T09:31:02Z"},
                                           {"completed_at", r.status == "completed" ? json::value("2026-01-06T09:36:40Z") : json::value(nullptr)},
                                           {"html_url", r.html_url.empty() ? html_base + "/runs/" + std::to_string(r.id) : r.html_url},
                                           {"app", json::object{{"slug", r.app_slug}}}});
            }
            auto resp = json_response(200, json::object{{"total_count", runs.size()}, {"check_runs", arr}});
            if (!pg.link.empty()) resp.headers.push_back({"Link", pg.link});
            return resp;
        }
        if (ends_with(tail, "/pulls")) {
            auto sha = tail.substr(0, tail.size() - 6);
            json::array arr;
            if (auto it = commit_pulls_.find(sha); it != commit_pulls_.end())
                for (int n : it->second)
                    if (auto p = pulls_.find(n); p != pulls_.end()) arr.push_back(pull_json(p->second, html_base));
            return json_response(200, arr);
        }
        auto sha = resolve_ref(tail);
        auto i = commit_index(sha);
        if (i < 0) return message(422, "No commit found for SHA: " + tail);
        auto cj = commit_json(commits_[i]);
        json::array files;
        for (auto& f : commits_[i].files) files.push_back(file_json(f));
        cj["files"] = std::move(files);
        return json_response(200, cj);
    }

    if (req.method == "GET" && rest.rfind("compare/", 0) == 0) {
        auto spec = rest.substr(8);
        auto dots = spec.find("...");
        if (dots == std::string::npos) return message(404, "Not Found");
        auto b = commit_index(resolve_ref(spec.substr(0, dots)));
        auto h = commit_index(resolve_ref(spec.substr(dots + 3)));
        if (b < 0 || h < 0) return message(404, "Not Found");
        std::vector<const gh_commit*> range;
        for (int i = b + 1; i <= h; ++i) range.push_back(&commits_[i]);
        std::string status = h > b ? "ahead" : (h == b ? "identical" : "behind");
        auto pg = paginate(req, range.size(), base);
        json::array commits;
        for (auto i = pg.begin; i < pg.end; ++i) commits.push_back(commit_json(*range[i]));
        json::object o{{"status", status},
                       {"ahead_by", std::max(0, h - b)},
                       {"behind_by", std::max(0, b - h)},
                       {"total_commits", range.size()},
                       {"html_url", html_base + "/compare/" + spec},
                       {"commits", commits}};
        if (int_param(req, "page", 1) == 1) {
            // Union of changed files, capped at 300 like the real endpoint.
            json::array files;
            std::set<std::string> seen;
            for (auto* c : range)
                for (auto& f : c->files)
                    if (seen.insert(f.filename).second && files.size() < 300) files.push_back(file_json(f));
            o["files"] = std::move(files);
        }
        auto resp = json_response(200, o);
        if (!pg.link.empty()) resp.headers.push_back({"Link", pg.link});
        return resp;
    }

    if (req.method == "GET" && rest == "pulls") {
        const auto state = req.query_param("state").empty() ? std::string("open") : req.query_param("state");
        auto head = req.query_param("head");
        if (auto colon = head.find(':'); colon != std::string::npos) head = head.substr(colon + 1);
        const auto base_ref = req.query_param("base");
        json::array arr;
        for (auto& [n, p] : pulls_) {
            if (state != "all" && p.state != state) continue;
            if (!head.empty() && p.head_ref != head) continue;
            if (!base_ref.empty() && p.base_ref != base_ref) continue;
            arr.push_back(pull_json(p, html_base));
        }
        return json_response(200, arr);
    }

    if (req.method == "GET" && rest.rfind("pulls/", 0) == 0) {
        auto tail = rest.substr(6);
        bool reviews = ends_with(tail, "/reviews");
        const bool commits = ends_with(tail, "/commits");
        int number = 0;
        try {
            number = std::stoi(tail);
        } catch (...) {
            return message(404, "Not Found");
        }
        auto it = pulls_.find(number);
        if (it == pulls_.end()) return message(404, "Not Found");
        if (commits) {
            const auto& list = it->second.commits;
            auto pg = paginate(req, list.size(), base);
            json::array arr;
            for (auto i = pg.begin; i < pg.end; ++i)
                arr.push_back(json::object{
                    {"sha", list[i].sha},
                    {"commit", json::object{{"message", list[i].message},
                                            {"author", json::object{{"name", list[i].author_name},
                                                                    {"date", list[i].date}}}}},
                    {"author", json::object{{"login", list[i].author_login}}}});
            auto resp = json_response(200, arr);
            if (!pg.link.empty()) resp.headers.push_back({"Link", pg.link});
            return resp;
        }
        if (!reviews) return json_response(200, pull_json(it->second, html_base));
        const auto& list = reviews_[number];
        auto pg = paginate(req, list.size(), base);
        json::array arr;
        for (auto i = pg.begin; i < pg.end; ++i) {
            const auto& r = list[i];
            arr.push_back(json::object{{"id", r.id},
                                       {"user", json::object{{"login", r.user_login}}},
                                       {"state", r.state},
                                       {"commit_id", r.commit_id},
                                       {"submitted_at", r.submitted_at},
                                       {"author_association", "MEMBER"}});
        }
        auto resp = json_response(200, arr);
        if (!pg.link.empty()) resp.headers.push_back({"Link", pg.link});
        return resp;
    }

    if (req.method == "POST" && rest == "issues") {
        if (issues_disabled_) return message(410, "Issues are disabled for this repo");
        boost::system::error_code ec;
        auto v = json::parse(req.body, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        const json::value* title = o ? o->if_contains("title") : nullptr;
        if (!title || !title->is_string() || title->get_string().empty()) {
            return json_response(422, json::object{{"message", "Validation Failed"},
                                                   {"errors", json::array{json::object{{"resource", "Issue"},
                                                                                       {"code", "missing_field"},
                                                                                       {"field", "title"}}}},
                                                   {"documentation_url", "https://docs.github.com/rest/issues/issues#create-an-issue"}});
        }
        gh_issue issue;
        issue.number = 418 + static_cast<int>(issues_.size());
        issue.title = std::string(title->get_string());
        if (auto* b = o->if_contains("body"); b && b->is_string()) issue.body = std::string(b->get_string());
        if (auto* l = o->if_contains("labels"); l && l->is_array())
            for (auto& x : l->get_array())
                if (x.is_string()) issue.labels.emplace_back(x.get_string());
        issues_.push_back(issue);
        return json_response(201, json::object{{"id", 123400991 + issue.number},
                                               {"number", issue.number},
                                               {"state", "open"},
                                               {"title", issue.title},
                                               {"html_url", html_base + "/issues/" + std::to_string(issue.number)}});
    }

    return message(404, "Not Found");
}

}  // namespace deploybot::fakes
