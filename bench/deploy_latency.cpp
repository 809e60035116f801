// Time from `/deploy prod` to the checklist message, with every fake API
// (Slack, GitHub, Vercel) answering each request after a fixed latency
// (default 200 ms). Prints, over R runs:
//   - posted:    the channel message appears (the team notification);
//   - evaluated: the message carries the evaluated checklist (CI verdict,
//                candidate, "what ships" with review states).
//   - checklist: the six items carry their evidence (CI verdict etc.);
// The evaluation's calls run concurrently in dependency rounds, so the figures
// should be a few rounds of latency, not the sum of ~15 calls.
//   build/bench/deploy_latency [latency_ms=200] [runs=5]
#include "bot/app.hpp"
#include "commands/modules.hpp"
#include "bot/log.hpp"
#include "fakes/fake_github.hpp"
#include "fakes/fake_slack.hpp"
#include "fakes/fake_vercel.hpp"
#include "fakes/shop_world.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

using namespace deploybot;
using namespace std::chrono_literals;

namespace {


struct run_result {
    double posted_ms = 0, checklist_ms = 0, evaluated_ms = 0;
    std::size_t requests = 0;
};

run_result run_once(std::chrono::milliseconds latency) {
    fakes::fake_slack slack;
    slack.start();
    fakes::fake_github github({});
    github.start();
    fakes::fake_vercel vercel({});
    vercel.start();
    vercel.setup_model_a();
    // The shared shop history: production at sha(2), PR #410 (approved) then
    // PR #412 on staging at sha(3), CI green.
    fakes::shop::seed_history(github);

    std::string dir = (std::filesystem::temp_directory_path() / "deploybot-bench-XXXXXX").string();
    if (!mkdtemp(dir.data())) std::exit(1);
    app_options o;
    o.make_modules = make_feature_modules;
    o.cfg.slack.api_url = slack.api_url();
    o.cfg.slack.channel = "C0DEPLOYS01";
    o.cfg.people.deployers = {"U0DEPLOYER1"};
    o.cfg.people.qa_leads = {"U0QALEAD001"};
    o.cfg.github.api_url = github.base_url();
    o.cfg.github.repo = "acme/shop-web";
    o.cfg.vercel.api_url = vercel.base_url();
    o.cfg.vercel.project = vercel.opts().project_id;
    o.cfg.vercel.team = vercel.opts().team_id;
    o.cfg.vercel.staging_domain = vercel.opts().staging_domain;
    o.cfg.vercel.production_domain = vercel.opts().production_domains.front();
    o.cfg.schedule.windows = {deploy_window{{0, 1, 2, 3, 4, 5, 6}, 0, 24 * 60}};
    o.cfg.schedule.blocked_days.clear();
    o.cfg.storage.path = dir + "/bench.sqlite3";
    o.cfg.tls.ca_file = fakes::pki().ca_file;
    o.tokens.slack_app_token = slack.opts().app_token;
    o.tokens.slack_bot_token = slack.opts().bot_token;
    o.tokens.github_token = github.opts().token;
    o.tokens.vercel_token = vercel.opts().token;

    boost::asio::io_context ioc(1);
    auto bot = std::make_unique<app>(ioc, std::move(o));
    boost::asio::co_spawn(ioc, bot->run(), [&](std::exception_ptr, int) { ioc.stop(); });
    std::thread loop([&] { ioc.run(); });
    if (!slack.wait_for_sessions(1, 10s)) std::exit(1);
    // Connection setup is not part of the measurement; the latency is.
    slack.set_latency(latency);
    github.set_latency(latency);
    vercel.set_latency(latency);
    github.clear_requests();
    vercel.clear_requests();

    const auto t0 = std::chrono::steady_clock::now();
    slack.send_slash_command("/deploy", "prod", "U0DEPLOYER1", "C0DEPLOYS01");
    run_result r;
    auto posted = slack.wait_for_message([](const auto& m) { return m.channel == "C0DEPLOYS01"; }, 20s);
    if (!posted) std::exit(2);
    r.posted_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    auto shows = [&](std::string_view needle) {
        return [&, needle](const fakes::fake_slack& s) {
            auto m = s.message(posted->channel, posted->ts);
            return m && boost::json::serialize(m->blocks).find(needle) != std::string::npos;
        };
    };
    if (!slack.wait_for(shows("3 checks passed"), 30s)) {
        std::fprintf(stderr, "checklist items never evaluated: %s\n",
                     boost::json::serialize(slack.message(posted->channel, posted->ts)->blocks).c_str());
        std::exit(3);
    }
    r.checklist_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    // Fully evaluated: "what ships" lists PR #410 (its link appears nowhere else).
    const bool ok = slack.wait_for([&](const fakes::fake_slack& s) {
        auto m = s.message(posted->channel, posted->ts);
        if (!m) return false;
        const auto body = boost::json::serialize(m->blocks);
        return body.find("3 checks passed") != std::string::npos && body.find("/pull/410") != std::string::npos;
    }, 30s);
    if (!ok) {
        std::fprintf(stderr, "checklist never evaluated: %s\n",
                     boost::json::serialize(slack.message(posted->channel, posted->ts)->blocks).c_str());
        std::exit(3);
    }
    r.evaluated_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    r.requests = github.requests().size() + vercel.requests().size();
    slack.set_latency(0ms);
    boost::asio::post(ioc, [&] { bot->stop(); });
    loop.join();
    bot.reset();
    std::filesystem::remove_all(dir);
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    const auto latency = std::chrono::milliseconds(argc > 1 ? std::atoi(argv[1]) : 200);
    const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
    log::set_min_level(log::level::error);
    std::vector<run_result> results;
    for (int i = 0; i < runs; ++i) results.push_back(run_once(latency));
    auto median = [&](auto field) {
        std::vector<double> v;
        for (auto& r : results) v.push_back(r.*field);
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    std::printf("per-request latency of every fake API: %lld ms, %d runs\n", static_cast<long long>(latency.count()),
                runs);
    std::printf("GitHub+Vercel requests per evaluation: %zu\n", results.back().requests);
    std::printf("/deploy prod -> checklist message posted:     median %.0f ms\n", median(&run_result::posted_ms));
    std::printf("/deploy prod -> checklist items evaluated:    median %.0f ms\n", median(&run_result::checklist_ms));
    std::printf("/deploy prod -> checklist fully evaluated:    median %.0f ms (sequential would be >= %lld ms)\n",
                median(&run_result::evaluated_ms),
                static_cast<long long>(results.back().requests * latency.count()));
    return 0;
}
