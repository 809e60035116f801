// The Socket Mode lifecycle, step by step, without sockets or timers.
#include "bot/slack/socket_mode_fsm.hpp"

#include <doctest/doctest.h>

using namespace deploybot;
using namespace std::chrono_literals;

namespace {

sm::steady::time_point t0{std::chrono::seconds(1000)};

template <class T>
std::vector<T> all(const std::vector<sm::action>& actions) {
    std::vector<T> out;
    for (const auto& a : actions)
        if (auto* x = std::get_if<T>(&a)) out.push_back(*x);
    return out;
}

template <class T>
T only(const std::vector<sm::action>& actions) {
    auto xs = all<T>(actions);
    REQUIRE(xs.size() == 1);
    return xs.front();
}

sm::hello hello_on(sm::conn_id id, int num_connections = 1, sm::steady::time_point now = t0) {
    hello_frame f;
    f.num_connections = num_connections;
    f.host = "applink-1";
    return sm::hello{id, f, now, std::chrono::system_clock::time_point{}};
}

sm::disconnect disconnect_on(sm::conn_id id, disconnect_reason r) {
    disconnect_frame f;
    f.reason = r;
    f.reason_text = "x";
    return sm::disconnect{id, f};
}

socket_mode_fsm_options opts() {
    socket_mode_fsm_options o;
    o.backoff = {1000ms, 60000ms};
    o.too_many_websockets_backoff = 60000ms;
    o.retire_drain = 1500ms;
    o.jitter_seed = 42;
    return o;
}

// Start and bring connection 1 to ready.
sm::conn_id connect(sm::machine& m) {
    auto a = m.on(sm::start{});
    auto o = only<sm::open>(a);
    CHECK(o.delay == 0ms);
    CHECK(o.why == sm::purpose::connect);
    auto w = only<sm::watch>(m.on(sm::opened{o.id}));
    CHECK(w.id == o.id);
    m.on(hello_on(o.id));
    REQUIRE(m.current().status.state == connection_state::connected);
    return o.id;
}

}  // namespace

TEST_CASE("socket mode machine: start opens one connection, hello makes it current") {
    sm::machine m(opts());
    CHECK(m.current().status.state == connection_state::connecting);
    const auto id = connect(m);
    CHECK(m.current().current == id);
    CHECK(m.current().status.reconnects == 0);
    CHECK(m.current().status.host == "applink-1");
    // A second hello on the same connection changes nothing.
    CHECK(m.on(hello_on(id)).empty());
}

TEST_CASE("socket mode machine: refresh is make-before-break") {
    sm::machine m(opts());
    const auto old_id = connect(m);
    auto a = m.on(disconnect_on(old_id, disconnect_reason::refresh_requested));
    auto o = only<sm::open>(a);
    CHECK(o.why == sm::purpose::replacement);
    CHECK(o.delay == 0ms);
    CHECK(all<sm::close>(a).empty());   // the old one keeps serving
    // A second refresh while replacing opens nothing more.
    CHECK(all<sm::open>(m.on(disconnect_on(old_id, disconnect_reason::warning))).empty());
    only<sm::watch>(m.on(sm::opened{o.id}));
    CHECK(m.current().current == old_id);   // not before hello
    auto h = m.on(hello_on(o.id, 2));
    auto c = only<sm::close>(h);
    CHECK(c.id == old_id);
    CHECK(c.drain == 1500ms);               // drained, then closed
    CHECK(m.current().current == o.id);
    CHECK(m.current().status.reconnects == 1);
    CHECK(all<sm::note>(h).size() == 1);   // two connections counted, both ours: no warning
    // The old one closes: nothing to reconnect.
    CHECK(all<sm::open>(m.on(sm::closed{old_id, t0})).empty());
    CHECK(m.current().status.state == connection_state::connected);
}

TEST_CASE("socket mode machine: a replacement lost before hello is retried three times, then left to reconnect") {
    sm::machine m(opts());
    const auto old_id = connect(m);
    auto o = only<sm::open>(m.on(disconnect_on(old_id, disconnect_reason::refresh_requested)));
    for (int i = 0; i < 3; ++i) {
        m.on(sm::opened{o.id});
        auto a = m.on(sm::closed{o.id, t0});
        o = only<sm::open>(a);
        CHECK(o.why == sm::purpose::replacement);
    }
    m.on(sm::opened{o.id});
    CHECK(all<sm::open>(m.on(sm::closed{o.id, t0})).empty());   // the fourth is not retried
    // When Slack closes the old one, a plain reconnect follows.
    auto r = only<sm::open>(m.on(sm::closed{old_id, t0}));
    CHECK(r.why == sm::purpose::connect);
    CHECK(m.current().status.state == connection_state::reconnecting);
}

TEST_CASE("socket mode machine: a failed replacement leaves the old connection serving") {
    sm::machine m(opts());
    const auto old_id = connect(m);
    auto o = only<sm::open>(m.on(disconnect_on(old_id, disconnect_reason::refresh_requested)));
    CHECK(m.on(sm::open_failed{o.id}).empty());
    CHECK(m.current().current == old_id);
    // And a later refresh may try again.
    CHECK(all<sm::open>(m.on(disconnect_on(old_id, disconnect_reason::refresh_requested))).size() == 1);
}

TEST_CASE("socket mode machine: lost connection reconnects with backoff; hello resets it") {
    sm::machine m(opts());
    const auto id = connect(m);
    auto first = only<sm::open>(m.on(sm::closed{id, t0}));
    CHECK(first.delay == 0ms);   // the first reconnect is immediate
    CHECK(m.current().status.state == connection_state::reconnecting);
    auto second = only<sm::open>(m.on(sm::open_failed{first.id}));
    CHECK(second.delay >= 500ms);
    CHECK(second.delay <= 1000ms);
    auto third = only<sm::open>(m.on(sm::open_failed{second.id}));
    CHECK(third.delay >= 1000ms);
    CHECK(third.delay <= 2000ms);
    std::vector<sm::open> chain{third};
    for (int i = 0; i < 10; ++i) chain.push_back(only<sm::open>(m.on(sm::open_failed{chain.back().id})));
    CHECK(chain.back().delay <= 60000ms);   // capped
    CHECK(chain.back().delay >= 30000ms);
    // A hello resets the backoff: the next loss reconnects at once.
    m.on(sm::opened{chain.back().id});
    m.on(hello_on(chain.back().id));
    CHECK(m.current().status.reconnects == 1);
    auto again = only<sm::open>(m.on(sm::closed{chain.back().id, t0}));
    CHECK(again.delay == 0ms);
}

TEST_CASE("socket mode machine: too_many_websockets retires the connection and waits at least a minute") {
    sm::machine m(opts());
    const auto id = connect(m);
    auto a = m.on(disconnect_on(id, disconnect_reason::too_many_websockets));
    auto c = only<sm::close>(a);
    CHECK(c.id == id);
    CHECK(c.drain == 0ms);
    CHECK(all<sm::open>(a).empty());
    auto o = only<sm::open>(m.on(sm::closed{id, t0}));
    CHECK(o.delay >= 60000ms);
    // Only once: the attempt after that uses the ordinary backoff.
    auto next = only<sm::open>(m.on(sm::open_failed{o.id}));
    CHECK(next.delay < 60000ms);
}

TEST_CASE("socket mode machine: no hello in time aborts the connection and reconnects") {
    sm::machine m(opts());
    auto o = only<sm::open>(m.on(sm::start{}));
    m.on(sm::opened{o.id});
    auto a = m.on(sm::hello_deadline{o.id});
    CHECK(only<sm::abort>(a).id == o.id);
    CHECK(all<sm::open>(a).empty());   // not before the socket is gone
    auto r = only<sm::open>(m.on(sm::closed{o.id, t0}));
    CHECK(r.delay > 0ms);
    // A deadline after hello does nothing.
    m.on(sm::opened{r.id});
    m.on(hello_on(r.id));
    CHECK(m.on(sm::hello_deadline{r.id}).empty());
}

TEST_CASE("socket mode machine: auth failure and link_disabled stop for good") {
    SUBCASE("auth") {
        sm::machine m(opts());
        auto o = only<sm::open>(m.on(sm::start{}));
        auto a = m.on(sm::open_failed{o.id, true});
        CHECK(only<sm::finish>(a).why == socket_mode_exit::auth_failed);
        CHECK(m.done());
        CHECK(m.current().status.state == connection_state::stopped);
    }
    SUBCASE("link_disabled") {
        sm::machine m(opts());
        const auto id = connect(m);
        auto a = m.on(disconnect_on(id, disconnect_reason::link_disabled));
        CHECK(only<sm::finish>(a).why == socket_mode_exit::link_disabled);
        CHECK(only<sm::close>(a).id == id);
        CHECK(!m.done());   // until the socket is gone
        CHECK(all<sm::open>(m.on(sm::closed{id, t0})).empty());
        CHECK(m.done());
    }
}

TEST_CASE("socket mode machine: stop closes every connection at once and opens nothing") {
    sm::machine m(opts());
    const auto old_id = connect(m);
    auto rep = only<sm::open>(m.on(disconnect_on(old_id, disconnect_reason::refresh_requested)));
    m.on(sm::opened{rep.id});
    auto a = m.on(sm::stop{});
    CHECK(all<sm::close>(a).size() == 2);   // both, in the same step: in parallel
    CHECK(all<sm::cancel_wait>(a).size() == 1);
    CHECK(only<sm::finish>(a).why == socket_mode_exit::stopped);
    CHECK(m.stopping());
    CHECK(all<sm::open>(m.on(sm::closed{old_id, t0})).empty());
    CHECK(!m.done());
    CHECK(all<sm::open>(m.on(sm::closed{rep.id, t0})).empty());
    CHECK(m.done());
    // A connection that opens after stop is aborted, not used.
    sm::machine m2(opts());
    auto o = only<sm::open>(m2.on(sm::start{}));
    m2.on(sm::stop{});
    CHECK(m2.done());
    auto late = m2.on(sm::opened{o.id});
    CHECK(only<sm::abort>(late).id == o.id);
    CHECK(m2.find(o.id) == nullptr);
}

TEST_CASE("socket mode machine: a surplus of connections beyond ours and recent closes is warned about") {
    auto warned = [](const std::vector<sm::action>& a) {
        for (const auto& n : all<sm::note>(a))
            if (n.warning) return true;
        return false;
    };
    sm::machine m(opts());
    const auto id = connect(m);
    auto o = only<sm::open>(m.on(sm::closed{id, t0}));
    m.on(sm::opened{o.id});
    // Slack counts 2: ours and the one closed 5 s ago. Fine.
    CHECK(!warned(m.on(hello_on(o.id, 2, t0 + 5s))));
    auto o2 = only<sm::open>(m.on(sm::closed{o.id, t0 + 20s}));
    m.on(sm::opened{o2.id});
    // 40 s later Slack counts 3 while we hold one: a ghost or another instance.
    CHECK(warned(m.on(hello_on(o2.id, 3, t0 + 60s))));
}
