#pragma once
// The runtime's own figures for /metrics: Socket Mode envelopes and acks, and
// the calls to Slack, GitHub, Vercel and Sentry. Children are looked up once
// (per envelope type, per service and status) and then only added to.
#include "bot/core/envelope.hpp"
#include "bot/metrics.hpp"

#include <array>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot {

struct socket_mode_status;

class runtime_metrics {
public:
    explicit runtime_metrics(metrics::registry& registry);

    void envelope_received(envelope_type type);
    // From the envelope read off the socket to its ack written to it.
    void ack_written(envelope_type type, std::chrono::steady_clock::duration latency);
    // One HTTP exchange with `service` ("slack", "github", …): its status, or 0
    // when no response came (transport failure, timeout).
    void api_response(std::string_view service, int status);
    // A call waits before trying again because the service said "too many requests".
    void rate_limit_wait(std::string_view service, std::chrono::milliseconds wait);

    // Connection state and reconnects, read from the Socket Mode client on each scrape.
    void track_connection(std::function<socket_mode_status()> status);

    metrics::registry& registry() { return registry_; }

private:
    static constexpr std::size_t type_count = 4;   // envelope_type values
    struct api_child {
        std::string service;
        int status = 0;
        metrics::counter* requests = nullptr;
        metrics::counter* errors = nullptr;   // null for a status below 400
    };
    struct wait_child {
        std::string service;
        metrics::counter* waits = nullptr;
        metrics::counter* seconds = nullptr;
    };

    metrics::registry& registry_;
    std::array<metrics::counter*, type_count> envelopes_{};
    std::array<metrics::counter*, type_count> acks_{};
    std::array<metrics::histogram*, type_count> ack_latency_{};
    metrics::family<metrics::counter>& api_requests_;
    metrics::family<metrics::counter>& api_errors_;
    metrics::family<metrics::counter>& rate_limit_waits_;
    metrics::family<metrics::counter>& rate_limit_wait_seconds_;
    std::vector<api_child> api_children_;
    std::vector<wait_child> wait_children_;
};

// The label for a service call's status: "200", "429", or "none" (no response).
std::string status_label(int status);

}  // namespace deploybot
