// The first commit of a PR (GET /repos/{o}/{r}/pulls/{n}/commits), apart from
// github_client.cpp to keep that file within bounds.
#include "integrations/github/github_client.hpp"
#include "integrations/json_fields.hpp"

#include <date/date.h>
#include <fmt/format.h>

#include <sstream>

namespace deploybot {

std::optional<std::chrono::system_clock::time_point> parse_github_time(std::string_view iso) {
    if (iso.empty() || iso.size() > 64) return std::nullopt;
    for (const char* fmt : {"%FT%TZ", "%FT%T%Ez"}) {
        std::istringstream in{std::string(iso)};
        date::sys_time<std::chrono::milliseconds> t;
        in >> date::parse(fmt, t);
        if (!in.fail() && in.peek() == std::char_traits<char>::eof())
            return std::chrono::time_point_cast<std::chrono::system_clock::duration>(t);
    }
    return std::nullopt;
}

asio::awaitable<outcome<std::optional<std::chrono::system_clock::time_point>>> github_client::first_commit_time(
    int number) {
    using namespace json_fields;
    auto r = co_await send("GET", repo_url(fmt::format("/pulls/{}/commits?per_page={}", number, opts_.per_page)), {});
    if (!r) co_return r.error();
    auto v = parse_body(r->body);
    if (!v || !v->is_array())
        co_return failure(errc::bad_json, "github", 0, "unexpected pull commits response");
    std::optional<std::chrono::system_clock::time_point> first;
    for (const auto& item : v->get_array()) {
        const auto* o = item.if_object();
        const auto* commit = o ? obj_of(*o, "commit") : nullptr;
        const auto* author = commit ? obj_of(*commit, "author") : nullptr;
        if (!author) continue;
        if (auto t = parse_github_time(str_of(*author, "date")); t && (!first || *t < *first)) first = t;
    }
    co_return first;
}

}  // namespace deploybot
