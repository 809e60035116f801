// One Socket Mode app (deploybot, Bolt for JavaScript, a bare `ws` client)
// against the fake Slack on 127.0.0.1, measured from outside: the app is a
// child process started with the fake's URL, tokens and CA in its
// environment (SLACK_API_URL, SLACK_APP_TOKEN, SLACK_BOT_TOKEN,
// NODE_EXTRA_CA_CERTS, BENCH_CA_FILE, BENCH_DIR). Prints one RESULT line.
//
//   peer_bench <label> <sequential N> <loaded M> <in flight> -- <command> [args…]
//
// - spawn → connected: fork until the fake has sent the app's hello;
// - idle RSS: VmRSS 1 s after connecting, then after a 500-envelope warm-up;
// - sequential: N `/deploy help` envelopes, each sent when the previous one
//   is acked; CPU per envelope from /proc/PID/stat utime+stime over those N
//   (startup and warm-up excluded); ack p50/p99/max as the fake sees them
//   (envelope written → ack read); answered = acks that carried the answer;
// - loaded: M envelopes with `in flight` outstanding; throughput, ack max,
//   acks over 3 s, RSS at M/2 and at M (flat or not).
#include "bot/log.hpp"
#include "fakes/fake_slack.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace deploybot;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

long clock_ticks() { return sysconf(_SC_CLK_TCK); }

// utime + stime of `pid` in microseconds.
double cpu_us(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto close = all.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream in(all.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) * 1e6 / static_cast<double>(clock_ticks());
}

long rss_kb(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env_add) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    for (const auto& e : env_add) putenv(strdup(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::perror("execvp");
    _exit(127);
}

double pct(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    int sep = 1;
    while (sep < argc && std::strcmp(argv[sep], "--") != 0) ++sep;
    if (sep != 5 || sep + 1 >= argc) {
        std::fprintf(stderr, "usage: peer_bench <label> <N> <M> <in_flight> -- <command> [args…]\n");
        return 2;
    }
    const std::string label = argv[1];
    const int n = std::atoi(argv[2]);
    const int m = std::atoi(argv[3]);
    const int window = std::max(1, std::atoi(argv[4]));
    std::vector<std::string> cmd(argv + sep + 1, argv + argc);
    log::set_min_level(log::level::error);

    fakes::fake_slack::options o;
    o.connection_lifetime = 0ms;
    fakes::fake_slack slack(o);
    slack.start();
    std::string dir = (std::filesystem::temp_directory_path() / "deploybot-peer-bench-XXXXXX").string();
    if (!mkdtemp(dir.data())) return 1;
    const std::vector<std::string> env{
        "SLACK_API_URL=" + slack.api_url(),
        "SLACK_APP_TOKEN=" + slack.opts().app_token,
        "SLACK_BOT_TOKEN=" + slack.opts().bot_token,
        "NODE_EXTRA_CA_CERTS=" + fakes::pki().ca_file,
        "BENCH_CA_FILE=" + fakes::pki().ca_file,
        "BENCH_DIR=" + dir,
    };

    const auto spawned_at = steady::now();
    const pid_t pid = spawn(cmd, env);
    auto ready = [&] {
        return slack.wait_for([](const fakes::fake_slack& s) {
            for (const auto& x : s.sessions())
                if (x.ready && x.open) return true;
            return false;
        }, 30s);
    };
    if (!ready()) {
        std::fprintf(stderr, "%s did not connect\n", label.c_str());
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return 1;
    }
    const double connect_ms = std::chrono::duration<double, std::milli>(steady::now() - spawned_at).count();
    fakes::ws_session_id session = 0;
    for (const auto& x : slack.sessions())
        if (x.ready && x.open) session = x.id;
    std::this_thread::sleep_for(1s);   // a measurement of memory at rest, not a synchronisation
    const long idle_rss = rss_kb(pid);


    auto send = [&] {
        return slack.send_slash_command("/deploy", "help", "U0DEPLOYER1", "C0DEPLOYS01", session);
    };
    auto latency_us = [&](const std::string& id, const fakes::slack_ack& a) {
        auto e = slack.find_envelope(id);
        return e ? std::chrono::duration<double, std::micro>(a.at - e->sent_at).count() : 0.0;
    };
    for (int i = 0; i < 500; ++i)
        if (!slack.wait_for_ack(send(), 10s)) {
            std::fprintf(stderr, "%s: warm-up ack missing\n", label.c_str());
            return 1;
        }
    const long warm_rss = rss_kb(pid);

    std::vector<double> lat;
    lat.reserve(static_cast<std::size_t>(n));
    int answered = 0;
    const double cpu0 = cpu_us(pid);
    const auto seq_start = steady::now();
    for (int i = 0; i < n; ++i) {
        const auto id = send();
        auto a = slack.wait_for_ack(id, 10s);
        if (!a) {
            std::fprintf(stderr, "%s: ack %d missing\n", label.c_str(), i);
            return 1;
        }
        lat.push_back(latency_us(id, *a));
        if (a->payload && a->payload->contains("blocks")) ++answered;
    }
    const double seq_s = std::chrono::duration<double>(steady::now() - seq_start).count();
    const double cpu_per = (cpu_us(pid) - cpu0) / std::max(1, n);
    const double p50 = pct(lat, 0.50), p99 = pct(lat, 0.99), mx = lat.empty() ? 0 : lat.back();

    // Loaded: `window` envelopes in flight.
    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(m));
    std::vector<double> loaded;
    loaded.reserve(static_cast<std::size_t>(m));
    long mid_rss = 0;
    const double cpu_l0 = cpu_us(pid);
    const auto load_start = steady::now();
    for (int i = 0; i < m + window; ++i) {
        if (i >= window) {
            const auto& id = ids[static_cast<std::size_t>(i - window)];
            auto a = slack.wait_for_ack(id, 10s);
            if (!a) {
                std::fprintf(stderr, "%s: loaded ack %d missing\n", label.c_str(), i - window);
                return 1;
            }
            loaded.push_back(latency_us(id, *a));
        }
        if (i < m) ids.push_back(send());
        if (i == m / 2) mid_rss = rss_kb(pid);
    }
    const double load_s = std::chrono::duration<double>(steady::now() - load_start).count();
    const double cpu_loaded = (cpu_us(pid) - cpu_l0) / std::max(1, m);
    const long loaded_rss = rss_kb(pid);
    const double loaded_p99 = pct(loaded, 0.99), loaded_max = loaded.empty() ? 0 : loaded.back();
    const auto over_3s = std::count_if(loaded.begin(), loaded.end(), [](double us) { return us > 3e6; });

    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    std::filesystem::remove_all(dir);
    std::printf("RESULT label=%s n=%d cpu_us=%.1f p50_us=%.0f p99_us=%.0f max_us=%.0f seq_per_s=%.0f answered=%d "
                "m=%d in_flight=%d loaded_per_s=%.0f loaded_cpu_us=%.1f loaded_p99_us=%.0f loaded_max_us=%.0f "
                "over_3s=%ld idle_rss_kb=%ld warm_rss_kb=%ld mid_rss_kb=%ld loaded_rss_kb=%ld connect_ms=%.0f "
                "exit=%d\n",
                label.c_str(), n, cpu_per, p50, p99, mx, n / seq_s, answered, m, window, m / load_s, cpu_loaded,
                loaded_p99, loaded_max, static_cast<long>(over_3s), idle_rss, warm_rss, mid_rss, loaded_rss,
                connect_ms, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
