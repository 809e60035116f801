// TLS handshakes the HTTP client does across N API calls to one host (the
// fake Slack's auth.test over HTTPS on 127.0.0.1): keep-alive should make it
// one; after the idle connection is closed, the next call resumes the TLS
// session instead of a full handshake.
//   build-bench/bench/tls_handshakes [N=1000]
#include "bot/log.hpp"
#include "bot/net/http_client.hpp"
#include "fakes/fake_slack.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>

using namespace deploybot;

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
    log::set_min_level(log::level::error);
    fakes::fake_slack slack;
    slack.start();
    boost::asio::io_context ioc(1);
    http_client_options o;
    o.tls.ca_file = fakes::pki().ca_file;
    http_client client(ioc.get_executor(), o);
    int ok = 0;
    http_client::tls_counts after_n, after_idle;
    auto calls = [&]() -> boost::asio::awaitable<void> {
        auto call = [&]() -> boost::asio::awaitable<bool> {
            http_request r;
            r.method = "POST";
            r.url = slack.api_url() + "/auth.test";
            r.headers.push_back({"Authorization", "Bearer " + slack.opts().bot_token});
            auto res = co_await client.request(std::move(r));
            co_return res && res->status == 200;
        };
        for (int i = 0; i < n; ++i) ok += co_await call();
        after_n = client.tls_handshakes();
        client.close_idle();   // as when the server closes an idle connection
        ok += co_await call();
        after_idle = client.tls_handshakes();
    };
    boost::asio::co_spawn(ioc, calls(), [](std::exception_ptr e) {
        if (e) std::fprintf(stderr, "tls_handshakes: exception\n");
    });
    ioc.run();
    std::printf("TLS handshakes across %d calls to one host: %llu (%d answered); after an idle close: %llu more, "
                "%s\n",
                n, static_cast<unsigned long long>(after_n.handshakes), ok,
                static_cast<unsigned long long>(after_idle.handshakes - after_n.handshakes),
                after_idle.resumed > after_n.resumed ? "session resumed" : "full handshake");
    return 0;
}
