// GitHub's JSON read into the client's models (tolerant: a missing or mistyped
// field reads as empty) and its error bodies. Pure.
#include "integrations/github/github_client.hpp"
#include "integrations/json_fields.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace deploybot {

namespace json = boost::json;

namespace {

using namespace json_fields;

constexpr std::string_view service_name = "github";

github_commit commit_from(const json::object& o) {
    github_commit c;
    c.sha = str_of(o, "sha");
    if (auto* inner = obj_of(o, "commit")) {
        c.message = make_first_line(str_of(*inner, "message"));
        if (auto* a = obj_of(*inner, "author")) {
            c.author_name = str_of(*a, "name");
            c.date = str_of(*a, "date");
        }
    }
    c.author_login = nested_str(o, "author", "login");
    return c;
}

github_file file_from(const json::object& o) {
    return github_file{str_of(o, "filename"), str_of(o, "status"), str_of(o, "previous_filename")};
}

github_pull pull_from(const json::object& o) {
    github_pull p;
    p.number = static_cast<int>(int_of(o, "number"));
    p.state = str_of(o, "state");
    p.title = str_of(o, "title");
    p.draft = bool_of(o, "draft");
    p.user_login = nested_str(o, "user", "login");
    p.merged_at = str_of(o, "merged_at");
    p.merge_commit_sha = str_of(o, "merge_commit_sha");
    p.head_ref = nested_str(o, "head", "ref");
    p.head_sha = nested_str(o, "head", "sha");
    p.base_ref = nested_str(o, "base", "ref");
    p.html_url = str_of(o, "html_url");
    return p;
}

github_check_run check_run_from(const json::object& o) {
    github_check_run r;
    r.id = int_of(o, "id");
    r.name = str_of(o, "name");
    r.head_sha = str_of(o, "head_sha");
    r.status = str_of(o, "status");
    r.conclusion = str_of(o, "conclusion");
    r.html_url = str_of(o, "html_url");
    r.app_slug = nested_str(o, "app", "slug");
    r.started_at = str_of(o, "started_at");
    r.completed_at = str_of(o, "completed_at");
    return r;
}

}  // namespace

github_check_run tag_invoke(json::value_to_tag<github_check_run>, const json::value& v) {
    const auto* o = v.if_object();
    return o ? check_run_from(*o) : github_check_run{};
}
github_commit tag_invoke(json::value_to_tag<github_commit>, const json::value& v) {
    const auto* o = v.if_object();
    return o ? commit_from(*o) : github_commit{};
}
github_file tag_invoke(json::value_to_tag<github_file>, const json::value& v) {
    const auto* o = v.if_object();
    return o ? file_from(*o) : github_file{};
}
github_pull tag_invoke(json::value_to_tag<github_pull>, const json::value& v) {
    const auto* o = v.if_object();
    return o ? pull_from(*o) : github_pull{};
}

std::string make_first_line(std::string_view message) {
    auto nl = message.find_first_of("\r\n");
    return std::string(message.substr(0, nl));
}

failure parse_github_error(int status, std::string_view body) {
    failure e(status_errc(status), std::string(service_name), status);
    if (auto v = parse_body(body); v && v->is_object()) {
        const auto& o = v->get_object();
        e.detail = str_of(o, "message");
        if (auto* errs = arr_of(o, "errors")) {
            for (auto& item : *errs) {
                if (auto* eo = item.if_object()) {
                    auto detail = str_of(*eo, "message");
                    if (detail.empty()) detail = str_of(*eo, "field") + " " + str_of(*eo, "code");
                    e.detail += " (" + detail + ")";
                } else if (item.is_string()) {
                    e.detail += " (" + std::string(item.get_string()) + ")";
                }
            }
        }
    }
    if (e.detail.empty()) e.detail = fmt::format("HTTP {}", status);
    return e;
}

}  // namespace deploybot
