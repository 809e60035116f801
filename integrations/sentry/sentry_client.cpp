#include "integrations/url_build.hpp"
#include "integrations/sentry/sentry_client.hpp"
#include "bot/net/with_retries.hpp"

#include "bot/log.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <utility>

namespace deploybot {

namespace json = boost::json;
namespace urls = boost::urls;
using std::chrono::milliseconds;
using std::chrono::system_clock;

namespace {

constexpr std::string_view service_name = "sentry";
constexpr std::size_t max_deploy_name_chars = 64;   // sentry.md §3.6

using query_list = std::vector<std::pair<std::string, std::string>>;

// Everything but RFC 3986 unreserved characters is escaped: sentry.md §1 asks
// for "()", ":" and spaces to be encoded, and a version may hold '/'.
std::string encoded(std::string_view s) { return url_build::segment(s); }

void append_query(urls::url& u, const query_list& query) {
    for (auto& [k, v] : query) {
        const std::string key = encoded(k);
        const std::string value = encoded(v);
        u.encoded_params().append({key, value});
    }
}

// "/seg/seg/…/?k=v&k=v": each segment and parameter percent-encoded; keys may repeat.
std::string make_target(std::initializer_list<std::string_view> segments, const query_list& query) {
    std::string path;
    for (auto s : segments) path += "/" + encoded(s);
    path += '/';
    urls::url u;
    u.set_encoded_path(path);
    append_query(u, query);
    return std::string(u.buffer());
}

// project (and environment when set): the filters every read carries.
query_list scope_query(const config::sentry_t& cfg) {
    query_list q{{"project", cfg.project}};
    if (!cfg.environment.empty()) q.emplace_back("environment", cfg.environment);
    return q;
}

std::string events_target(const config::sentry_t& cfg, system_clock::time_point start, system_clock::time_point end) {
    query_list q{{"dataset", "errors"}, {"field", "count()"}};
    for (auto& p : scope_query(cfg)) q.push_back(std::move(p));
    q.emplace_back("start", sentry_iso_time(start));
    q.emplace_back("end", sentry_iso_time(end));
    return make_target({"organizations", cfg.org, "events"}, q);
}

std::string issues_target(const config::sentry_t& cfg, system_clock::time_point since, int limit) {
    query_list q = scope_query(cfg);
    q.emplace_back("query", "is:unresolved firstSeen:>" + sentry_iso_time(since));
    q.emplace_back("sort", "new");
    q.emplace_back("limit", std::to_string(std::clamp(limit, 1, 100)));
    return make_target({"organizations", cfg.org, "issues"}, q);
}

// Plain helpers: gcc 12 rejects a braced list of segments inside a coroutine.
std::string releases_target(const config::sentry_t& cfg) {
    return make_target({"organizations", cfg.org, "releases"}, {});
}

std::string deploys_target(const config::sentry_t& cfg, const std::string& version) {
    return make_target({"organizations", cfg.org, "releases", version, "deploys"}, {});
}

// At most `max_chars` code points, never cutting a UTF-8 sequence.
std::string utf8_prefix(std::string_view s, std::size_t max_chars) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max_chars) return std::string(s.substr(0, i));
    }
    return std::string(s);
}

std::string render_release_body(const config::sentry_t& cfg, const sentry_deploy_marker& m) {
    json::object body{{"version", m.version}, {"projects", json::array{json::value(cfg.project)}}};
    if (!m.repository.empty()) {
        json::object ref{{"repository", m.repository}, {"commit", m.version}};
        if (!m.previous_commit.empty()) ref["previousCommit"] = m.previous_commit;
        body["refs"] = json::array{json::value(std::move(ref))};
    }
    if (!m.commit_url.empty()) body["url"] = m.commit_url;
    return json::serialize(body);
}

std::string render_deploy_body(const config::sentry_t& cfg, const sentry_deploy_marker& m) {
    json::object body{{"environment", cfg.environment}};
    if (!m.name.empty()) body["name"] = utf8_prefix(m.name, max_deploy_name_chars);
    if (!m.url.empty()) body["url"] = m.url;
    if (m.started != system_clock::time_point{}) body["dateStarted"] = sentry_iso_time(m.started) + "Z";
    if (m.finished != system_clock::time_point{}) body["dateFinished"] = sentry_iso_time(m.finished) + "Z";
    return json::serialize(body);
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}


}  // namespace

sentry_client::sentry_client(http_client& http, config::sentry_t cfg, std::string token, sentry_client_options opts)
    : http_(http), cfg_(std::move(cfg)), token_(std::move(token)), opts_(std::move(opts)) {
    while (!cfg_.api_url.empty() && cfg_.api_url.back() == '/') cfg_.api_url.pop_back();
    log::add_secret(token_);
}

std::int64_t sentry_client::now_ms() const {
    if (opts_.now_ms) return opts_.now_ms();
    return std::chrono::duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

asio::awaitable<outcome<http_response>> sentry_client::send(std::string method, std::string path_and_query,
                                                            std::string body) {
    const std::string url = cfg_.api_url + path_and_query;
    if (!urls::parse_uri(url))
        co_return failure(errc::bad_url, std::string(service_name), 0, "sentry.api_url is not a valid URL");
    using step = retry_step<outcome<http_response>>;
    const bool is_get = method == "GET";
    http_request req;
    req.method = method;
    req.url = url;
    req.headers = {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
    if (!is_get) {
        req.headers.push_back({"Content-Type", "application/json"});
        req.body = body;
    }
    req.service = service_name;
    // Between tries, not a coroutine; the policy is decide_sentry_retry.
    auto judge = [this, is_get, path_and_query](int attempt, http_request& next, result<http_response> r) -> step {
        sentry_limit_signals sig;
        failure err;
        if (!r) {
            err = failure(transport_code(r.error()), std::string(service_name), 0, r.error().message());
        } else {
            if (r->status >= 200 && r->status < 300) return step::done(std::move(*r));
            sig.status = r->status;
            sig.reset_epoch_s = parse_int_header(r->header("X-Sentry-Rate-Limit-Reset"));
            sig.retry_after = parse_retry_after(r->header("Retry-After"));
            err = parse_sentry_error(r->status, r->body);
        }
        const auto d = decide_sentry_retry(sig, attempt, is_get, now_ms(), opts_.retry);
        if (d.action != retry_action::retry) {
            if (d.code != errc::ok) err.code = d.code;
            if (d.action == retry_action::give_up && sig.status == 429)
                err.retry_after = std::chrono::ceil<std::chrono::seconds>(d.wait);
            return step::done(std::move(err));
        }
        log::warn("sentry", "{} {} failed ({}), retrying in {} ms", next.method, path_and_query, err.to_string(),
                  d.wait.count());
        if (sig.status == 429) http_.note_rate_limit_wait(service_name, d.wait);
        return step::again(d.wait);
    };
    co_return co_await with_retries<outcome<http_response>>(http_, std::move(req), std::move(judge));
}

asio::awaitable<outcome<std::int64_t>> sentry_client::count_errors(system_clock::time_point start,
                                                                   system_clock::time_point end) {
    auto r = co_await send("GET", events_target(cfg_, start, end), {});
    if (!r) co_return r.error();
    co_return parse_sentry_count(r->body);
}

asio::awaitable<outcome<std::vector<sentry_issue>>> sentry_client::new_issues(system_clock::time_point since,
                                                                              int limit) {
    auto r = co_await send("GET", issues_target(cfg_, since, limit), {});
    if (!r) co_return r.error();
    co_return parse_sentry_issues(r->body);
}

asio::awaitable<outcome<void>> sentry_client::record_deploy(sentry_deploy_marker marker) {
    if (marker.version.empty())
        co_return failure(errc::bad_request, std::string(service_name), 0, "no release version to record");
    auto release = co_await send("POST", releases_target(cfg_), render_release_body(cfg_, marker));
    if (!release) co_return release.error();   // 201 new and 208 existing both pass
    auto deploy = co_await send("POST", deploys_target(cfg_, marker.version), render_deploy_body(cfg_, marker));
    if (!deploy) co_return deploy.error();
    co_return outcome<void>{};
}

std::string sentry_client::issues_page_url(system_clock::time_point since) const {
    query_list q = scope_query(cfg_);
    q.emplace_back("query", "firstSeen:>" + sentry_iso_time(since));
    urls::url u;
    auto api = urls::parse_uri(cfg_.api_url);
    const std::string host = api ? lower(std::string(api->encoded_host())) : std::string();
    if (!api || host.empty() || host == "sentry.io" || host == "us.sentry.io" || host == "de.sentry.io") {
        // SaaS: the web UI lives on the organization's own subdomain.
        u.set_scheme("https");
        u.set_host(cfg_.org + ".sentry.io");
        u.set_encoded_path("/issues/");
    } else {
        u.set_scheme(api->scheme());
        u.set_encoded_host(api->encoded_host());
        if (api->has_port()) u.set_port(api->port());
        u.set_encoded_path("/organizations/" + encoded(cfg_.org) + "/issues/");
    }
    append_query(u, q);
    return std::string(u.buffer());
}

}  // namespace deploybot
