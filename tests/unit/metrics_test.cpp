#include "bot/metrics.hpp"
#include "bot/net/endpoint.hpp"
#include "bot/ops_server.hpp"
#include "bot/runtime_metrics.hpp"
#include "tests/fakes/prometheus_text.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

using namespace deploybot;
using deploybot::testing::parse_prometheus_text;

TEST_CASE("metrics: counters, gauges and labels render as Prometheus text that parses back") {
    metrics::registry r;
    auto& c = r.counters("deploybot_things_total", "Things.", {"kind"});
    c.with({"a"}).inc();
    c.with({"a"}).inc(2);
    c.with({"b"}).inc();
    r.gauge_metric("deploybot_level", "A level.").set(-1.5);
    const auto text = r.render();
    const auto parsed = parse_prometheus_text(text);
    REQUIRE_MESSAGE(parsed.error.empty(), parsed.error << "\n" << text);
    CHECK(parsed.value("deploybot_things_total", {{"kind", "a"}}) == 3);
    CHECK(parsed.value("deploybot_things_total", {{"kind", "b"}}) == 1);
    CHECK(parsed.value("deploybot_level") == -1.5);
    CHECK(parsed.families.at("deploybot_things_total").type == "counter");
    CHECK(parsed.families.at("deploybot_level").type == "gauge");
    CHECK(text.find("# HELP deploybot_things_total Things.\n# TYPE deploybot_things_total counter\n") == 0);
}

TEST_CASE("metrics: a child keeps its address as the family grows (hot paths hold references)") {
    metrics::registry r;
    auto& fam = r.counters("deploybot_x_total", "X.", {"n"});
    auto& first = fam.with({"0"});
    for (int i = 1; i < 200; ++i) fam.with({std::to_string(i)});
    first.inc(7);
    CHECK(&fam.with({"0"}) == &first);
    CHECK(parse_prometheus_text(r.render()).value("deploybot_x_total", {{"n", "0"}}) == 7);
}

TEST_CASE("metrics: label values are escaped (backslash, quote, newline) and read back unchanged") {
    metrics::registry r;
    const std::string nasty = "a\\b \"quoted\"\nnext line {x=\"y\"}";
    r.counters("deploybot_esc_total", "Help with a \\ backslash\nand a newline.", {"v"}).with({nasty}).inc();
    const auto text = r.render();
    CHECK(text.find("# HELP deploybot_esc_total Help with a \\\\ backslash\\nand a newline.\n") != std::string::npos);
    const auto parsed = parse_prometheus_text(text);
    REQUIRE_MESSAGE(parsed.error.empty(), parsed.error << "\n" << text);
    CHECK(parsed.value("deploybot_esc_total", {{"v", nasty}}) == 1);
    CHECK(metrics::escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

TEST_CASE("metrics: histogram buckets are cumulative with +Inf, _sum and _count") {
    metrics::registry r;
    auto& h = r.histograms("deploybot_lat_seconds", "Latency.", {"type"}, {0.01, 0.1, 1}).with({"x"});
    h.observe(0.005);
    h.observe(0.01);   // on the bound: counts in le="0.01"
    h.observe(0.5);
    h.observe(30);
    const auto text = r.render();
    const auto p = parse_prometheus_text(text);
    REQUIRE_MESSAGE(p.error.empty(), p.error << "\n" << text);
    CHECK(p.families.at("deploybot_lat_seconds").type == "histogram");
    CHECK(p.value("deploybot_lat_seconds_bucket", {{"type", "x"}, {"le", "0.01"}}) == 2);
    CHECK(p.value("deploybot_lat_seconds_bucket", {{"type", "x"}, {"le", "0.1"}}) == 2);
    CHECK(p.value("deploybot_lat_seconds_bucket", {{"type", "x"}, {"le", "1"}}) == 3);
    CHECK(p.value("deploybot_lat_seconds_bucket", {{"type", "x"}, {"le", "+Inf"}}) == 4);
    CHECK(p.value("deploybot_lat_seconds_count", {{"type", "x"}}) == 4);
    CHECK(p.value("deploybot_lat_seconds_sum", {{"type", "x"}}) == doctest::Approx(30.515));
}

TEST_CASE("metrics: values format as Prometheus reads them") {
    CHECK(metrics::format_value(3) == "3");
    CHECK(metrics::format_value(0.25) == "0.25");
    CHECK(metrics::format_value(HUGE_VAL) == "+Inf");
    CHECK(metrics::format_value(-HUGE_VAL) == "-Inf");
    CHECK(metrics::format_value(NAN) == "NaN");
}

TEST_CASE("metrics: registering a name again returns the same family; a clash is a bug") {
    metrics::registry r;
    auto& a = r.counters("deploybot_same_total", "Same.", {"k"});
    CHECK(&r.counters("deploybot_same_total", "Same.", {"k"}) == &a);
    CHECK_THROWS_AS(r.gauges("deploybot_same_total", "Same.", {"k"}), std::logic_error);
    CHECK_THROWS_AS(r.counters("deploybot_same_total", "Same.", {"other"}), std::logic_error);
    CHECK_THROWS_AS(r.counters("bad name", "x"), std::logic_error);
    CHECK_THROWS_AS(a.with({"1", "2"}), std::logic_error);
}

TEST_CASE("metrics: collectors run before each render") {
    metrics::registry r;
    auto& g = r.gauge_metric("deploybot_collected", "Collected.");
    int calls = 0;
    r.add_collector([&] { g.set(++calls); });
    CHECK(parse_prometheus_text(r.render()).value("deploybot_collected") == 1);
    CHECK(parse_prometheus_text(r.render()).value("deploybot_collected") == 2);
}

TEST_CASE("runtime metrics: envelopes, acks, API calls by service and status, rate-limit waits") {
    metrics::registry r;
    runtime_metrics m(r);
    m.envelope_received(envelope_type::slash_commands);
    m.ack_written(envelope_type::slash_commands, std::chrono::milliseconds(3));
    m.api_response("github", 200);
    m.api_response("github", 200);
    m.api_response("github", 502);
    m.api_response("vercel", 0);
    m.rate_limit_wait("vercel", std::chrono::milliseconds(1500));
    const auto text = r.render();
    const auto p = parse_prometheus_text(text);
    REQUIRE_MESSAGE(p.error.empty(), p.error << "\n" << text);
    CHECK(p.value("deploybot_envelopes_total", {{"type", "slash_commands"}}) == 1);
    CHECK(p.value("deploybot_envelopes_total", {{"type", "interactive"}}) == 0);   // shown before the first
    CHECK(p.value("deploybot_acks_total", {{"type", "slash_commands"}}) == 1);
    CHECK(p.value("deploybot_ack_latency_seconds_bucket", {{"type", "slash_commands"}, {"le", "0.005"}}) == 1);
    CHECK(p.value("deploybot_ack_latency_seconds_bucket", {{"type", "slash_commands"}, {"le", "0.0025"}}) == 0);
    CHECK(p.value("deploybot_api_requests_total", {{"service", "github"}, {"status", "200"}}) == 2);
    CHECK(p.value("deploybot_api_requests_total", {{"service", "github"}, {"status", "502"}}) == 1);
    CHECK(p.value("deploybot_api_errors_total", {{"service", "github"}, {"status", "502"}}) == 1);
    CHECK_FALSE(p.value("deploybot_api_errors_total", {{"service", "github"}, {"status", "200"}}));
    CHECK(p.value("deploybot_api_errors_total", {{"service", "vercel"}, {"status", "none"}}) == 1);
    CHECK(p.value("deploybot_rate_limit_waits_total", {{"service", "vercel"}}) == 1);
    CHECK(p.value("deploybot_rate_limit_wait_seconds_total", {{"service", "vercel"}}) == 1.5);
    CHECK(p.value("deploybot_build_info", {{"version", DEPLOYBOT_VERSION}}) == 1);
}

TEST_CASE("runtime metrics: connection state and reconnects come from the Socket Mode status on scrape") {
    metrics::registry r;
    runtime_metrics m(r);
    socket_mode_status st;
    m.track_connection([&] { return st; });
    auto p = parse_prometheus_text(r.render());
    REQUIRE(p.error.empty());
    CHECK(p.value("deploybot_socket_mode_connected") == 0);
    CHECK(p.value("deploybot_socket_mode_state", {{"state", "connecting"}}) == 1);
    st.state = connection_state::connected;
    st.reconnects = 2;
    p = parse_prometheus_text(r.render());
    CHECK(p.value("deploybot_socket_mode_connected") == 1);
    CHECK(p.value("deploybot_socket_mode_state", {{"state", "connecting"}}) == 0);
    CHECK(p.value("deploybot_socket_mode_state", {{"state", "connected"}}) == 1);
    CHECK(p.value("deploybot_socket_mode_reconnects_total") == 2);
}

TEST_CASE("healthz: ok only when connected and storage takes a write; otherwise 503 with every reason") {
    auto ok = render_health(connection_state::connected, "");
    CHECK(ok.status == 200);
    CHECK(ok.body == "ok\n");
    auto down = render_health(connection_state::reconnecting, "");
    CHECK(down.status == 503);
    CHECK(down.body == "socket mode: reconnecting\n");
    auto both = render_health(connection_state::connecting, "database is locked");
    CHECK(both.status == 503);
    CHECK(both.body == "socket mode: connecting\nstorage: not writable: database is locked\n");
}

TEST_CASE("http.listen addresses: IPv4, [IPv6], localhost; anything else says why") {
    auto a = parse_listen_address("127.0.0.1:9187");
    REQUIRE(a);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 9187);
    auto b = parse_listen_address("[::1]:0");
    REQUIRE(b);
    CHECK(b->host == "::1");
    CHECK(b->port == 0);
    CHECK(parse_listen_address("localhost:8080"));
    CHECK(parse_listen_address("0.0.0.0:9187"));
    std::string why;
    CHECK_FALSE(parse_listen_address("9187", &why));
    CHECK(why.find("host:port") != std::string::npos);
    CHECK_FALSE(parse_listen_address("127.0.0.1:99999", &why));
    CHECK(why.find("port") != std::string::npos);
    CHECK_FALSE(parse_listen_address("127.0.0.1:", &why));
    CHECK_FALSE(parse_listen_address("example.com:80", &why));
    CHECK(why.find("IP address") != std::string::npos);
    CHECK_FALSE(parse_listen_address("::1:80", &why));
    CHECK_FALSE(parse_listen_address("[nope]:80", &why));
}
