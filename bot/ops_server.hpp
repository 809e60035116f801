#pragma once
// The operator's endpoints on http.listen: /healthz (200 "ok" when the Socket
// Mode connection is up and storage takes a write; 503 with the reasons
// otherwise) and /metrics (Prometheus text).
#include "bot/metrics.hpp"
#include "bot/net/http_server.hpp"
#include "bot/slack/socket_mode.hpp"
#include "bot/store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace deploybot {

// Pure: the /healthz answer. `storage_problem` is "" when a write succeeded.
http_server_response render_health(connection_state socket, const std::string& storage_problem);

class ops_server {
public:
    struct sources {
        std::function<socket_mode_status()> socket_status;
        store* db = nullptr;
        metrics::registry* metrics = nullptr;
    };

    // Serves on `listen` (http.listen). Null when it is "" (off) or cannot be
    // bound (logged as an error: the bot runs on without the endpoints).
    static std::unique_ptr<ops_server> start(asio::any_io_executor ex, const std::string& listen, sources from);

    std::uint16_t port() const { return server_->port(); }
    // Stops serving; the sources are not used again.
    void stop() { server_->stop(); }

private:
    ops_server(sources from) : from_(std::move(from)) {}
    http_server_response handle(const http_server_request& req);
    std::string probe_storage();

    sources from_;
    std::unique_ptr<http_server> server_;
};

}  // namespace deploybot
