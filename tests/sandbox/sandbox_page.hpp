#pragma once
// The sandbox's web page on 127.0.0.1:PORT: the page itself (sandbox_assets),
// GET /api/state (the channel as one user sees it, and the world), and the
// POSTs a person makes there (slash command, message, button click) or the
// side panel makes to the world. Built on fake_server, like the fakes.
#include "fakes/fake_server.hpp"
#include "sandbox/sandbox_world.hpp"

#include <map>
#include <string>

namespace deploybot::sandbox {

// The embedded page (sandbox_assets.cpp).
extern const char* const index_html;
extern const char* const style_css;
extern const char* const app_js;

class page_server final : public fakes::fake_server {
public:
    page_server(world& w, std::uint16_t port);   // binds now; throws when the port is taken
    ~page_server() override;

    // Starts serving and the world's ticks.
    void run();

protected:
    fakes::fake_response handle(const fakes::recorded_request& req) override;

private:
    fakes::fake_response state(const fakes::recorded_request& req);
    fakes::fake_response post(const fakes::recorded_request& req);
    void schedule_tick();
    std::string time_of(const std::string& ts);   // server thread

    world& world_;
    std::map<std::string, std::string> times_;   // message ts → virtual local time when first seen
};

}  // namespace deploybot::sandbox
