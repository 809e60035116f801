// Vercel responses through the pure parsers vercel_client.hpp exposes. The
// input is one body, or "<project>\n@@\n<deployment>" to also exercise
// detect_staging_model on two different documents.
#include "integrations/vercel/vercel_client.hpp"
#include "fuzz_check.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace deploybot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string_view project_text = text;
    std::string_view deployment_text = text;
    if (const auto sep = text.find("\n@@\n"); sep != text.npos) {
        project_text = text.substr(0, sep);
        deployment_text = text.substr(sep + 4);
    }

    const vercel_deployment d = parse_vercel_deployment(deployment_text);
    (void)d.is_terminal();
    const vercel_project p = parse_vercel_project(project_text);
    if (p.production) (void)p.production->is_terminal();
    const auto model = detect_staging_model(p, d);
    FUZZ_CHECK(render_staging_model(model) != "?");

    static constexpr std::array statuses{400, 401, 402, 403, 404, 409, 410, 422, 429, 500, 503, 0, 299};
    const int status = statuses[(size + (size > 0 ? data[0] : 0)) % statuses.size()];
    const failure e = parse_vercel_error(status, text);
    FUZZ_CHECK(e.service == "vercel");
    FUZZ_CHECK(e.http_status == status);
    FUZZ_CHECK(e.code != errc::ok && !e.detail.empty());
    (void)e.to_string();
    return 0;
}
