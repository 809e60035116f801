#pragma once
// Request targets for the service clients, built with Boost.URL (no
// hand-written percent-encoding anywhere): a path segment, a path that keeps
// its slashes (a branch such as feature/x), and a query appended to a URL.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deploybot::url_build {

using query_list = std::vector<std::pair<std::string, std::string>>;

// Everything but RFC 3986 unreserved characters escaped ('/' too).
std::string segment(std::string_view s);
// The same, keeping '/' (GitHub refs and branch names in paths).
std::string path(std::string_view s);
// `url` with each key=value appended as an encoded query parameter (keys may repeat).
std::string with_query(std::string_view url, const query_list& query);

}  // namespace deploybot::url_build
