// GitHub responses through the pure entry points github_client.hpp offers:
// error bodies, commit messages, and the Link / integer headers the client
// reads (api_retry.hpp). The body parsers of commits, pulls, check runs and
// reviews are private to github_client.cpp and only run inside the client.
#include "integrations/github/github_client.hpp"
#include "fuzz_check.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace deploybot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    static constexpr std::array statuses{400, 401, 403, 404, 409, 410, 422, 429, 500, 502, 0, 299, 999};
    const int status = statuses[(size + (size > 0 ? data[0] : 0)) % statuses.size()];
    const failure e = parse_github_error(status, text);
    FUZZ_CHECK(e.service == "github");
    FUZZ_CHECK(e.http_status == status);
    FUZZ_CHECK(e.code != errc::ok && !e.detail.empty());
    (void)e.to_string();

    const std::string first = make_first_line(text);
    FUZZ_CHECK(text.starts_with(first));
    FUZZ_CHECK(first.find_first_of("\r\n") == std::string::npos);

    for (const auto& link : parse_link_header(text)) FUZZ_CHECK(link.url.find('>') == std::string::npos);
    if (const auto next = parse_link_next(text)) FUZZ_CHECK(text.find(*next) != std::string_view::npos);
    (void)parse_int_header(text);
    return 0;
}
