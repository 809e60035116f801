#include "bot/runtime_metrics.hpp"

#include "bot/slack/socket_mode.hpp"

namespace deploybot {

namespace {

std::string_view type_label(envelope_type t) {
    switch (t) {
    case envelope_type::slash_commands: return "slash_commands";
    case envelope_type::interactive: return "interactive";
    case envelope_type::events_api: return "events_api";
    case envelope_type::unknown: return "unknown";
    }
    return "unknown";
}

std::size_t index_of(envelope_type t) {
    const auto i = static_cast<std::size_t>(t);
    return i < 4 ? i : static_cast<std::size_t>(envelope_type::unknown);
}

}  // namespace

std::string status_label(int status) { return status <= 0 ? "none" : std::to_string(status); }

runtime_metrics::runtime_metrics(metrics::registry& r)
    : registry_(r),
      api_requests_(r.counters("deploybot_api_requests_total",
                               "HTTP exchanges with each service, by HTTP status (\"none\": no response).",
                               {"service", "status"})),
      api_errors_(r.counters("deploybot_api_errors_total",
                             "Service calls that failed: HTTP status 400 or above, or no response (\"none\").",
                             {"service", "status"})),
      rate_limit_waits_(r.counters("deploybot_rate_limit_waits_total",
                                   "Times a call waited before trying again because the service rate-limited it.",
                                   {"service"})),
      rate_limit_wait_seconds_(r.counters("deploybot_rate_limit_wait_seconds_total",
                                          "Seconds spent waiting out rate limits.", {"service"})) {
    static_assert(static_cast<std::size_t>(envelope_type::unknown) + 1 == type_count);
    auto& envelopes = r.counters("deploybot_envelopes_total", "Socket Mode envelopes received, by type.", {"type"});
    auto& acks = r.counters("deploybot_acks_total", "Socket Mode envelopes acked (ack written to the socket), by type.",
                            {"type"});
    auto& latency = r.histograms(
        "deploybot_ack_latency_seconds",
        "From an envelope read off the Socket Mode connection to its ack written back (Slack allows 3 s).", {"type"},
        {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5});
    r.gauges("deploybot_build_info", "Always 1; the version is in the label.", {"version"})
        .with({DEPLOYBOT_VERSION})
        .set(1);
    for (std::size_t i = 0; i < type_count; ++i) {
        const auto label = type_label(static_cast<envelope_type>(i));
        envelopes_[i] = &envelopes.with({label});
        acks_[i] = &acks.with({label});
        ack_latency_[i] = &latency.with({label});
    }
}

void runtime_metrics::track_connection(std::function<socket_mode_status()> status) {
    auto& r = registry_;
    auto& connected = r.gauge_metric("deploybot_socket_mode_connected",
                                     "1 when a Socket Mode connection is up (hello received), else 0.");
    auto& states = r.gauges("deploybot_socket_mode_state", "1 for the Socket Mode client's current state.", {"state"});
    auto& reconnects = r.counter_metric("deploybot_socket_mode_reconnects_total",
                                        "Connections replaced by a new one that said hello (refreshes included).");
    std::array<metrics::gauge*, 4> by_state{};
    for (auto s : {connection_state::connecting, connection_state::connected, connection_state::reconnecting,
                   connection_state::stopped})
        by_state[static_cast<std::size_t>(s)] = &states.with({to_string(s)});
    r.add_collector([status = std::move(status), &connected, by_state, &reconnects] {
        const auto now = status();
        connected.set(now.state == connection_state::connected ? 1 : 0);
        for (std::size_t i = 0; i < by_state.size(); ++i)
            by_state[i]->set(i == static_cast<std::size_t>(now.state) ? 1 : 0);
        if (now.reconnects > reconnects.value()) reconnects.inc(now.reconnects - reconnects.value());
    });
}

void runtime_metrics::envelope_received(envelope_type type) { envelopes_[index_of(type)]->inc(); }

void runtime_metrics::ack_written(envelope_type type, std::chrono::steady_clock::duration latency) {
    const auto i = index_of(type);
    acks_[i]->inc();
    ack_latency_[i]->observe(std::chrono::duration<double>(latency).count());
}

void runtime_metrics::api_response(std::string_view service, int status) {
    if (status < 0) status = 0;
    for (auto& c : api_children_) {
        if (c.status == status && c.service == service) {
            c.requests->inc();
            if (c.errors) c.errors->inc();
            return;
        }
    }
    // First call with this service and status: the only time labels are built.
    api_child c;
    c.service = std::string(service);
    c.status = status;
    const auto label = status_label(status);
    c.requests = &api_requests_.with({c.service, label});
    if (status == 0 || status >= 400) c.errors = &api_errors_.with({c.service, label});
    c.requests->inc();
    if (c.errors) c.errors->inc();
    api_children_.push_back(std::move(c));
}

void runtime_metrics::rate_limit_wait(std::string_view service, std::chrono::milliseconds wait) {
    wait_child* child = nullptr;
    for (auto& c : wait_children_)
        if (c.service == service) child = &c;
    if (!child) {
        wait_child c;
        c.service = std::string(service);
        c.waits = &rate_limit_waits_.with({c.service});
        c.seconds = &rate_limit_wait_seconds_.with({c.service});
        wait_children_.push_back(std::move(c));
        child = &wait_children_.back();
    }
    child->waits->inc();
    child->seconds->inc(std::chrono::duration<double>(wait).count());
}

}  // namespace deploybot
