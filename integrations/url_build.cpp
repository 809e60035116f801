#include "integrations/url_build.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

namespace deploybot::url_build {

namespace urls = boost::urls;

namespace {
constexpr auto unreserved_or_slash = urls::unreserved_chars + '/';
}  // namespace

std::string segment(std::string_view s) { return urls::encode(s, urls::unreserved_chars); }

std::string path(std::string_view s) { return urls::encode(s, unreserved_or_slash); }

std::string with_query(std::string_view url, const query_list& query) {
    if (query.empty()) return std::string(url);
    auto parsed = urls::parse_uri_reference(url);
    if (!parsed) {
        // Not a URL we can edit (a config mistake is caught at load): append by hand, still encoded.
        std::string out(url);
        char sep = out.find('?') == std::string::npos ? '?' : '&';
        for (const auto& [k, v] : query) {
            out += sep + segment(k) + "=" + segment(v);
            sep = '&';
        }
        return out;
    }
    urls::url u(*parsed);
    for (const auto& [k, v] : query) u.encoded_params().append({segment(k), segment(v)});
    return std::string(u.buffer());
}

}  // namespace deploybot::url_build
