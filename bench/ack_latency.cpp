// Envelope → ack latency of the real app against the fake Slack (TLS on
// 127.0.0.1), as the fake measures it: from writing the envelope frame to
// reading the ack. Prints p50/p90/p99/max over N envelopes.
//   build/bench/ack_latency [N=10000] [in_flight=8]
#include "bot/app.hpp"
#include "commands/modules.hpp"
#include "bot/log.hpp"
#include "fakes/fake_slack.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

using namespace deploybot;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 10000;
    const int window = argc > 2 ? std::atoi(argv[2]) : 8;
    log::set_min_level(log::level::warn);

    fakes::fake_slack slack;
    slack.start();
    std::string dir = (std::filesystem::temp_directory_path() / "deploybot-bench-XXXXXX").string();
    if (!mkdtemp(dir.data())) return 1;

    app_options o;
    o.make_modules = make_feature_modules;
    o.cfg.slack.api_url = slack.api_url();
    o.cfg.slack.channel = "C0DEPLOYS01";
    o.cfg.people.deployers = {"U0DEPLOYER1"};
    o.cfg.github.repo = "acme/shop-web";
    o.cfg.vercel.project = "prj_bench";
    o.cfg.vercel.staging_domain = "staging.example.id";
    o.cfg.vercel.production_domain = "example.id";
    o.cfg.storage.path = dir + "/bench.sqlite3";
    o.cfg.tls.ca_file = fakes::pki().ca_file;
    o.tokens.slack_app_token = slack.opts().app_token;
    o.tokens.slack_bot_token = slack.opts().bot_token;

    boost::asio::io_context ioc(1);
    app bot(ioc, std::move(o));
    boost::asio::co_spawn(ioc, bot.run(), [&](std::exception_ptr, int) { ioc.stop(); });
    std::thread loop([&] { ioc.run(); });
    if (!slack.wait_for_sessions(1, 10s)) {
        std::fprintf(stderr, "bot did not connect\n");
        return 1;
    }
    const auto session = slack.open_session_ids().back();

    // events_api envelopes: acked, deduplicated in SQLite, then ignored — the
    // ack path without a reply. Keep `window` envelopes in flight.
    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(n));
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        if (i >= window && !slack.wait_for_ack(ids[static_cast<std::size_t>(i - window)], 10s)) {
            std::fprintf(stderr, "ack %d missing\n", i - window);
            return 1;
        }
        boost::json::object env{{"type", "events_api"},
                                {"accepts_response_payload", false},
                                {"retry_attempt", 0},
                                {"retry_reason", ""},
                                {"payload",
                                 {{"type", "event_callback"},
                                  {"event_id", "Ev" + std::to_string(i)},
                                  {"event", {{"type", "app_mention"}, {"text", "hi"}}}}}};
        ids.push_back(slack.send_envelope(std::move(env), session));
    }
    for (auto& id : ids)
        if (!slack.wait_for_ack(id, 10s)) return 1;
    const auto elapsed = std::chrono::steady_clock::now() - t0;

    // Microseconds from the fake writing the envelope to it reading the ack.
    std::map<std::string, std::chrono::steady_clock::time_point> sent;
    for (const auto& e : slack.envelopes()) sent[e.envelope_id] = e.sent_at;
    std::vector<double> us;
    for (const auto& a : slack.acks())
        if (auto it = sent.find(a.envelope_id); it != sent.end())
            us.push_back(std::chrono::duration<double, std::micro>(a.at - it->second).count());
    std::sort(us.begin(), us.end());
    auto pct = [&](double p) { return us[std::min(us.size() - 1, static_cast<std::size_t>(p * us.size()))]; };
    std::printf("envelopes: %zu (in flight: %d), wall %.2f s, %.0f envelopes/s\n", us.size(), window,
                std::chrono::duration<double>(elapsed).count(),
                us.size() / std::chrono::duration<double>(elapsed).count());
    std::printf("ack latency us: p50 %.0f  p90 %.0f  p99 %.0f  max %.0f\n", pct(0.50), pct(0.90), pct(0.99),
                us.back());
    std::printf("late acks (>3 s): %zu\n", slack.late_acks().size());

    boost::asio::post(ioc, [&] { bot.stop(); });
    loop.join();
    std::filesystem::remove_all(dir);
    return 0;
}
