#include "integrations/url_build.hpp"
#include "integrations/github/github_client.hpp"

#include "bot/net/with_retries.hpp"
#include "integrations/json_fields.hpp"

#include "bot/log.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace deploybot {

namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

using namespace json_fields;

constexpr std::string_view service_name = "github";

// scheme://host[:port] of a URL, used to keep the token on its own service.
std::string origin_of(std::string_view url) {
    auto p = url.find("://");
    if (p == url.npos) return {};
    auto slash = url.find('/', p + 3);
    return std::string(url.substr(0, slash));
}

failure bad_json(std::string_view what) {
    return failure(errc::bad_json, std::string(service_name), 0, fmt::format("unexpected {} response", what));
}

}  // namespace

namespace {

std::size_t cached_bytes(const std::string& url, const github_cached_get& e) {
    return url.size() + e.etag.size() + e.body.size() + e.link.size();
}

}  // namespace

github_etag_cache::github_etag_cache(std::size_t max_entries, std::size_t max_bytes)
    : max_entries_(max_entries), max_bytes_(max_bytes) {}

std::optional<github_cached_get> github_etag_cache::find(const std::string& url) {
    auto it = index_.find(url);
    if (it == index_.end()) return std::nullopt;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
}

void github_etag_cache::store(const std::string& url, github_cached_get entry) {
    if (auto it = index_.find(url); it != index_.end()) {
        bytes_ -= cached_bytes(url, it->second->second);
        order_.erase(it->second);
        index_.erase(it);
    }
    const auto size = cached_bytes(url, entry);
    if (max_entries_ == 0 || size > max_bytes_) return;
    order_.emplace_front(url, std::move(entry));
    index_[url] = order_.begin();
    bytes_ += size;
    evict_to_fit();
}

void github_etag_cache::evict_to_fit() {
    while (!order_.empty() && (order_.size() > max_entries_ || bytes_ > max_bytes_)) {
        auto& [url, e] = order_.back();
        bytes_ -= cached_bytes(url, e);
        index_.erase(url);
        order_.pop_back();
    }
}

github_client::github_client(http_client& http, config::github_t cfg, std::string token, github_client_options opts)
    : http_(http), cfg_(std::move(cfg)), token_(std::move(token)), opts_(std::move(opts)),
      etag_cache_(opts_.etag_cache_entries, opts_.etag_cache_bytes) {
    while (!cfg_.api_url.empty() && cfg_.api_url.back() == '/') cfg_.api_url.pop_back();
    if (opts_.user_agent.empty()) opts_.user_agent = std::string("deploybot/") + DEPLOYBOT_VERSION;
    if (opts_.per_page <= 0 || opts_.per_page > 100) opts_.per_page = 100;
    log::add_secret(token_);
}

std::int64_t github_client::now_ms() const {
    if (opts_.now_ms) return opts_.now_ms();
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string github_client::repo_url(std::string_view path) const {
    return cfg_.api_url + "/repos/" + cfg_.repo + std::string(path);
}

asio::awaitable<outcome<http_response>> github_client::send(std::string method, std::string url,
                                                            std::string body) {
    using step = retry_step<outcome<http_response>>;
    const bool idempotent = method == "GET";
    const std::string own_origin = origin_of(cfg_.api_url);
    if (origin_of(url) != own_origin)
        co_return failure(errc::bad_url, std::string(service_name), 0, "refusing to send the token to another host");
    http_request req;
    req.method = method;
    req.url = url;
    req.headers = {{"Authorization", "Bearer " + token_},
                   {"Accept", "application/vnd.github+json"},
                   {"X-GitHub-Api-Version", "2022-11-28"},
                   {"User-Agent", opts_.user_agent}};
    if (!body.empty()) {
        req.headers.push_back({"Content-Type", "application/json"});
        req.body = body;
    }
    req.service = service_name;
    // A copy, not a reference: another coroutine may evict the entry while we wait.
    std::optional<github_cached_get> cached;
    const auto ask_for_changes = [&](http_request& r) {
        std::erase_if(r.headers, [](const http_header& h) { return h.name == "If-None-Match"; });
        cached.reset();
        if (idempotent) cached = etag_cache_.find(r.url);
        if (cached) r.headers.push_back({"If-None-Match", cached->etag});
    };
    ask_for_changes(req);
    int redirects = 0;
    // The judge runs between tries (not a coroutine); it keeps `cached` and
    // `redirects` of this call, which outlives the loop it awaits.
    auto judge = [&](int attempt, http_request& next, result<http_response> r) -> step {
        if (!r) {
            if (!idempotent || attempt >= opts_.retry.max_attempts)
                return step::done(
                    failure(transport_code(r.error()), std::string(service_name), 0, r.error().message()));
            const auto wait = std::min(make_exponential_wait(milliseconds(1000), attempt), opts_.retry.max_wait);
            log::warn("github", "{} {} failed ({}), retrying in {} ms", next.method, next.url, r.error().message(),
                      wait.count());
            ask_for_changes(next);
            return step::again(wait);
        }
        http_response& resp = *r;
        if (idempotent && (resp.status == 301 || resp.status == 302 || resp.status == 307) &&
            !resp.header("Location").empty() && redirects < 3) {
            // Renamed branch/repo: follow, on the same service only.
            ++redirects;
            next.url = resp.header("Location");
            if (!next.url.empty() && next.url.front() == '/') next.url = own_origin + next.url;
            if (origin_of(next.url) != own_origin)
                return step::done(failure(errc::bad_url, std::string(service_name), 0,
                                          "refusing to send the token to another host"));
            ask_for_changes(next);
            return step::again(milliseconds(0), false);
        }
        if (resp.status == 304 && cached) {
            // Unchanged since our copy, and free of rate-limit cost: replay it as the 200 it was.
            resp.status = 200;
            resp.body = std::move(cached->body);
            if (resp.header("Link").empty() && !cached->link.empty())
                resp.headers.push_back({"Link", std::move(cached->link)});
            return step::done(std::move(resp));
        }
        if (idempotent && resp.status == 200) {
            if (auto etag = resp.header("ETag"); !etag.empty())
                etag_cache_.store(next.url, github_cached_get{std::move(etag), resp.body, resp.header("Link")});
        }
        if ((resp.status >= 200 && resp.status < 300) || resp.status == 304) return step::done(std::move(resp));
        github_limit_signals sig;
        sig.status = resp.status;
        sig.retry_after = parse_retry_after(resp.header("retry-after"));
        sig.remaining = parse_int_header(resp.header("x-ratelimit-remaining"));
        sig.reset_epoch_s = parse_int_header(resp.header("x-ratelimit-reset"));
        failure err = parse_github_error(resp.status, resp.body);
        sig.message = err.detail;
        auto d = decide_github_retry(sig, attempt, idempotent, now_ms(), opts_.retry);
        if (d.action == retry_action::done) {
            if (d.code != errc::ok) err.code = d.code;
            return step::done(std::move(err));
        }
        if (d.action == retry_action::give_up) {
            if (d.code != errc::ok) err.code = d.code;
            err.retry_after = std::chrono::ceil<std::chrono::seconds>(d.wait);
            return step::done(std::move(err));
        }
        if (resp.status == 403 || resp.status == 429) http_.note_rate_limit_wait(service_name, d.wait);
        log::warn("github", "{} {} answered {}, retrying in {} ms", next.method, next.url, resp.status,
                  d.wait.count());
        ask_for_changes(next);
        return step::again(d.wait);
    };
    co_return co_await with_retries<outcome<http_response>>(http_, std::move(req), std::move(judge));
}

asio::awaitable<outcome<std::vector<http_response>>> github_client::get_all_pages(std::string url) {
    std::vector<http_response> pages;
    std::optional<std::string> next = std::move(url);
    while (next && static_cast<int>(pages.size()) < opts_.max_pages) {
        auto r = co_await send("GET", *next, {});
        if (!r) co_return r.error();
        next = parse_link_next(r->header("Link"));
        pages.push_back(std::move(*r));
    }
    co_return pages;
}

asio::awaitable<outcome<std::string>> github_client::get_branch_head(std::string branch) {
    auto r = co_await send("GET", repo_url("/branches/" + url_build::path(branch)), {});
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v || !v->is_object()) co_return bad_json("branch");
    auto sha = nested_str(v->get_object(), "commit", "sha");
    if (sha.empty()) co_return bad_json("branch");
    co_return sha;
}

asio::awaitable<outcome<github_combined_status>> github_client::get_combined_status(std::string ref) {
    auto pages = co_await get_all_pages(
        repo_url(fmt::format("/commits/{}/status?per_page={}", url_build::path(ref), opts_.per_page)));
    if (!pages) co_return pages.error();
    github_combined_status out;
    bool first = true;
    for (auto& p : *pages) {
        auto v = parse_body(p.body);
        if (!v || !v->is_object()) co_return bad_json("combined status");
        const auto& o = v->get_object();
        if (first) {
            out.state = str_of(o, "state");
            out.sha = str_of(o, "sha");
            out.total_count = static_cast<int>(int_of(o, "total_count"));
            first = false;
        }
        if (auto* arr = arr_of(o, "statuses")) {
            for (auto& s : *arr) {
                auto* so = s.if_object();
                if (!so) continue;
                out.statuses.push_back(github_status{str_of(*so, "context"), str_of(*so, "state"),
                                                     str_of(*so, "description"), str_of(*so, "target_url"),
                                                     str_of(*so, "updated_at")});
            }
        }
    }
    co_return out;
}

asio::awaitable<outcome<std::vector<github_check_run>>> github_client::list_check_runs(std::string ref,
                                                                                       std::string check_name) {
    auto url = repo_url(fmt::format("/commits/{}/check-runs?filter=latest&per_page={}", url_build::path(ref),
                                    opts_.per_page));
    if (!check_name.empty()) url += "&check_name=" + url_build::segment(check_name);
    auto pages = co_await get_all_pages(url);
    if (!pages) co_return pages.error();
    std::vector<github_check_run> out;
    for (auto& p : *pages) {
        auto v = parse_body(p.body);
        if (!v || !v->is_object()) co_return bad_json("check runs");
        if (auto* arr = arr_of(v->get_object(), "check_runs"))
            for (auto& item : *arr)
                if (item.is_object()) out.push_back(json::value_to<github_check_run>(item));
    }
    co_return out;
}

asio::awaitable<outcome<std::vector<github_file>>> github_client::get_commit_files(std::string sha) {
    auto r = co_await send("GET", repo_url("/commits/" + url_build::path(sha)), {});
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v || !v->is_object()) co_return bad_json("commit");
    std::vector<github_file> out;
    if (auto* arr = arr_of(v->get_object(), "files"))
        for (auto& f : *arr)
            if (f.is_object()) out.push_back(json::value_to<github_file>(f));
    co_return out;
}

asio::awaitable<outcome<github_comparison>> github_client::compare(std::string base, std::string head) {
    auto pages = co_await get_all_pages(repo_url(
        fmt::format("/compare/{}...{}?per_page={}", url_build::path(base), url_build::path(head), opts_.per_page)));
    if (!pages) co_return pages.error();
    github_comparison out;
    bool first = true;
    for (auto& p : *pages) {
        auto v = parse_body(p.body);
        if (!v || !v->is_object()) co_return bad_json("compare");
        const auto& o = v->get_object();
        if (first) {
            out.status = str_of(o, "status");
            out.ahead_by = static_cast<int>(int_of(o, "ahead_by"));
            out.behind_by = static_cast<int>(int_of(o, "behind_by"));
            out.total_commits = static_cast<int>(int_of(o, "total_commits"));
            out.html_url = str_of(o, "html_url");
            // The file list only comes with page 1.
            if (auto* arr = arr_of(o, "files"))
                for (auto& f : *arr)
                    if (f.is_object()) out.files.push_back(json::value_to<github_file>(f));
            first = false;
        }
        if (auto* arr = arr_of(o, "commits"))
            for (auto& c : *arr)
                if (c.is_object()) out.commits.push_back(json::value_to<github_commit>(c));
    }
    if (out.files.size() >= 300) {
        // The compare file list is capped: rebuild it from every commit's own list.
        std::vector<github_file> merged;
        std::map<std::string, std::size_t> index;
        out.files_from_commits = true;
        for (const auto& c : out.commits) {
            auto files = co_await get_commit_files(c.sha);
            if (!files) {
                out.files_incomplete = true;
                log::warn("github", "commit {} files unavailable: {}", c.sha, files.error().to_string());
                break;
            }
            for (auto& f : *files) {
                auto it = index.find(f.filename);
                if (it == index.end()) {
                    index.emplace(f.filename, merged.size());
                    merged.push_back(std::move(f));
                } else {
                    merged[it->second].status = f.status;   // later commits win
                }
            }
        }
        if (out.files_incomplete) {
            // Keep the union of both lists so nothing already known is lost.
            for (auto& f : out.files)
                if (!index.count(f.filename)) merged.push_back(f);
        }
        out.files = std::move(merged);
    }
    co_return out;
}

asio::awaitable<outcome<std::vector<github_pull>>> github_client::list_pulls_for_commit(std::string sha) {
    auto pages =
        co_await get_all_pages(repo_url(fmt::format("/commits/{}/pulls?per_page={}", url_build::path(sha), opts_.per_page)));
    if (!pages) co_return pages.error();
    std::vector<github_pull> out;
    for (auto& p : *pages) {
        auto v = parse_body(p.body);
        if (!v || !v->is_array()) co_return bad_json("commit pulls");
        for (auto& item : v->get_array())
            if (item.is_object()) out.push_back(json::value_to<github_pull>(item));
    }
    co_return out;
}

asio::awaitable<outcome<std::vector<github_review>>> github_client::list_reviews(int pull_number) {
    auto pages =
        co_await get_all_pages(repo_url(fmt::format("/pulls/{}/reviews?per_page={}", pull_number, opts_.per_page)));
    if (!pages) co_return pages.error();
    std::vector<github_review> out;
    for (auto& p : *pages) {
        auto v = parse_body(p.body);
        if (!v || !v->is_array()) co_return bad_json("reviews");
        for (auto& item : v->get_array()) {
            auto* o = item.if_object();
            if (!o) continue;
            out.push_back(github_review{int_of(*o, "id"), nested_str(*o, "user", "login"), str_of(*o, "state"),
                                        str_of(*o, "commit_id"), str_of(*o, "submitted_at")});
        }
    }
    co_return out;
}

asio::awaitable<outcome<github_pull>> github_client::get_pull(int number) {
    auto r = co_await send("GET", repo_url(fmt::format("/pulls/{}", number)), {});
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v || !v->is_object()) co_return bad_json("pull");
    co_return json::value_to<github_pull>(*v);
}

asio::awaitable<outcome<std::optional<github_pull>>> github_client::find_open_pull(std::string head_branch) {
    const auto owner = cfg_.repo.substr(0, cfg_.repo.find('/'));
    auto r = co_await send("GET",
                           repo_url(fmt::format("/pulls?state=open&head={}&base={}&per_page={}",
                                                url_build::segment(owner + ":" + head_branch), url_build::segment(cfg_.main_branch),
                                                opts_.per_page)),
                           {});
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v || !v->is_array()) co_return bad_json("pulls");
    for (auto& item : v->get_array())
        if (item.is_object()) co_return std::optional<github_pull>(json::value_to<github_pull>(item));
    co_return std::optional<github_pull>{};
}

asio::awaitable<outcome<github_issue>> github_client::create_issue(std::string title, std::string body,
                                                                   std::vector<std::string> labels) {
    json::object req{{"title", title}, {"body", body}};
    json::array arr;
    for (auto& l : labels) arr.emplace_back(l);
    req["labels"] = std::move(arr);
    auto r = co_await send("POST", repo_url("/issues"), json::serialize(req));
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v || !v->is_object()) co_return bad_json("issue");
    const auto& o = v->get_object();
    co_return github_issue{static_cast<int>(int_of(o, "number")), str_of(o, "html_url")};
}

std::string github_web_base(std::string_view api_url) {
    auto u = boost::urls::parse_uri(api_url);
    if (!u || u->host().empty()) return "https://github.com";
    const std::string host = u->host();
    if (host == "api.github.com") return "https://github.com";
    std::string base = std::string(u->scheme()) + "://" + host;
    if (u->has_port()) base += ":" + std::string(u->port());
    return base;
}

std::string github_checks_url(std::string_view api_url, std::string_view repo, std::string_view sha) {
    return fmt::format("{}/{}/commit/{}/checks", github_web_base(api_url), repo, sha);
}

}  // namespace deploybot
