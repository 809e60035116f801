// Readiness across Socket Mode refreshes: the fake Slack asks for a refresh
// every `lifetime` (warning + refresh_requested, then closes the old
// connection after a 2 s grace). The real app (in-process) opens the
// replacement before the old one closes. Sampled every ~0.2 ms from the
// fake's side:
//   - gap: longest time with no open connection that has said hello;
//   - replacement: refresh_requested → the new connection's hello;
//   - acks: envelopes sent every 2 ms throughout, none lost or late.
//   build-bench/bench/refresh_gap [refreshes=5] [lifetime_ms=1500]
#include "bot/app.hpp"
#include "bot/log.hpp"
#include "commands/modules.hpp"
#include "fakes/fake_slack.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

using namespace deploybot;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
    const int refreshes = argc > 1 ? std::atoi(argv[1]) : 5;
    const auto lifetime = std::chrono::milliseconds(argc > 2 ? std::atoi(argv[2]) : 1500);
    log::set_min_level(log::level::warn);
    fakes::fake_slack::options fo;
    fo.connection_lifetime = lifetime;
    fo.refresh_grace = 2000ms;
    fakes::fake_slack slack(fo);
    slack.start();
    std::string dir = (std::filesystem::temp_directory_path() / "deploybot-refresh-XXXXXX").string();
    if (!mkdtemp(dir.data())) return 1;

    app_options o;
    o.make_modules = make_feature_modules;
    o.cfg.slack.api_url = slack.api_url();
    o.cfg.slack.channel = "C0DEPLOYS01";
    o.cfg.people.deployers = {"U0DEPLOYER1"};
    o.cfg.github.repo = "acme/shop-web";
    o.cfg.github.api_url = "http://127.0.0.1:1";
    o.cfg.vercel.api_url = "http://127.0.0.1:1";
    o.cfg.vercel.project = "prj_bench";
    o.cfg.vercel.staging_domain = "staging.example.id";
    o.cfg.vercel.production_domain = "example.id";
    o.cfg.storage.path = dir + "/bench.sqlite3";
    o.cfg.tls.ca_file = fakes::pki().ca_file;
    o.cfg.http.listen = "127.0.0.1:0";
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

    std::set<fakes::ws_session_id> refreshed;                  // closed_by_server seen
    std::map<fakes::ws_session_id, steady::time_point> refresh_at;
    std::vector<double> replacement_ms;
    double longest_gap_ms = 0;
    std::optional<steady::time_point> gap_since;
    std::vector<std::string> sent;
    auto next_send = steady::now();
    const auto end = steady::now() + lifetime * refreshes + 3s;
    while (steady::now() < end) {
        const auto now = steady::now();
        bool any_ready = false;
        for (const auto& s : slack.sessions()) {
            if (s.open && s.ready) any_ready = true;
            if (s.closed_by_server && !refreshed.count(s.id)) {
                refreshed.insert(s.id);
                refresh_at[s.id] = now;
            }
        }
        // A replacement: the newest ready session opened after a pending refresh.
        for (auto it = refresh_at.begin(); it != refresh_at.end();) {
            bool replaced = false;
            for (const auto& s : slack.sessions())
                if (s.id > it->first && s.open && s.ready && !s.closed_by_server) replaced = true;
            if (replaced) {
                replacement_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
                it = refresh_at.erase(it);
            } else {
                ++it;
            }
        }
        if (!any_ready && !gap_since) gap_since = now;
        if (any_ready && gap_since) {
            longest_gap_ms = std::max(longest_gap_ms, std::chrono::duration<double, std::milli>(now - *gap_since).count());
            gap_since.reset();
        }
        if (now >= next_send) {
            sent.push_back(slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01"));
            next_send = now + 2ms;
        }
        std::this_thread::sleep_for(200us);
    }
    std::size_t acked = 0;
    for (const auto& id : sent) acked += slack.wait_for_ack(id, 5s).has_value();
    std::sort(replacement_ms.begin(), replacement_ms.end());
    std::printf("Socket Mode refreshes: %zu; no ready connection for at most %.1f ms; refresh_requested → "
                "replacement's hello: median %.1f ms, max %.1f ms; envelopes acked %zu/%zu, late %zu\n",
                replacement_ms.size(), longest_gap_ms,
                replacement_ms.empty() ? 0.0 : replacement_ms[replacement_ms.size() / 2],
                replacement_ms.empty() ? 0.0 : replacement_ms.back(), acked, sent.size(), slack.late_acks().size());
    boost::asio::post(ioc, [&] { bot.stop(); });
    loop.join();
    std::filesystem::remove_all(dir);
    return 0;
}
