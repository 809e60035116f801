#include "bot/ops_server.hpp"

#include "bot/log.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>

namespace deploybot {

http_server_response render_health(connection_state socket, const std::string& storage_problem) {
    http_server_response r;
    if (socket != connection_state::connected) r.body += fmt::format("socket mode: {}\n", to_string(socket));
    if (!storage_problem.empty()) r.body += fmt::format("storage: not writable: {}\n", storage_problem);
    if (r.body.empty()) {
        r.body = "ok\n";
    } else {
        r.status = 503;
    }
    return r;
}

std::unique_ptr<ops_server> ops_server::start(asio::any_io_executor ex, const std::string& listen, sources from) {
    if (listen.empty()) {
        log::info("http", "http.listen is \"\": /healthz and /metrics are off");
        return nullptr;
    }
    std::string why;
    const auto address = parse_listen_address(listen, &why);
    if (!address) {   // config validation refuses this before; kept for callers that skip it
        log::error("http", "http.listen \"{}\": {}; /healthz and /metrics are off", log::truncate_for_log(listen, 100),
                   why);
        return nullptr;
    }
    std::unique_ptr<ops_server> self(new ops_server(std::move(from)));
    http_server_options o;
    o.address = *address;
    auto* raw = self.get();
    auto server = http_server::listen(ex, o, [raw](const http_server_request& req) { return raw->handle(req); });
    if (!server) {
        log::error("http", "cannot listen on {} ({}): /healthz and /metrics are off; set http.listen to a free "
                           "address, or \"\" to turn them off",
                   listen, server.error().message());
        return nullptr;
    }
    self->server_ = std::move(*server);
    const std::string host = address->host.find(':') != std::string::npos ? "[" + address->host + "]" : address->host;
    log::info("http", "serving /healthz and /metrics on http://{}:{}", host, self->server_->port());
    return self;
}

http_server_response ops_server::handle(const http_server_request& req) {
    if (req.path == "/healthz") {
        const auto state = from_.socket_status ? from_.socket_status().state : connection_state::connecting;
        return render_health(state, probe_storage());
    }
    if (req.path == "/metrics") {
        http_server_response r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = from_.metrics ? from_.metrics->render() : std::string();
        return r;
    }
    http_server_response r;
    r.status = 404;
    r.body = "not found; deploybot serves /healthz and /metrics\n";
    return r;
}

namespace {
// The store waits up to 5 s for a lock (store.cpp); a health check answers
// sooner, so that frequent probes never stall the loop for long.
constexpr int probe_busy_timeout_ms = 250;
constexpr int store_busy_timeout_ms = 5000;
}  // namespace

// A real write (one small row, upserted in place): the file, its directory,
// the disk and the lock must all allow it. "" when it succeeded.
std::string ops_server::probe_storage() {
    if (!from_.db || !from_.db->handle()) return "no database open";
    sqlite3* h = from_.db->handle();
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    sqlite3_busy_timeout(h, probe_busy_timeout_ms);
    const auto written = from_.db->put_kv("ops.healthz_probe_ms", std::to_string(now_ms));
    std::string problem = written ? std::string() : std::string(sqlite3_errmsg(h));
    sqlite3_busy_timeout(h, store_busy_timeout_ms);
    return problem;
}

}  // namespace deploybot
