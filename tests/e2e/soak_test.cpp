// Soak, end to end: thousands of /deploy help commands while the Socket Mode
// connection under them is dropped or refreshed every tenth envelope. The test
// plays Slack's side of at-least-once delivery: an envelope whose connection
// died before its ack is sent again, same envelope_id, once a new connection is
// ready. The bot must ack every delivery before the deadline and answer every
// command exactly once.
#include "bot_harness.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

using namespace deploybot;
using namespace deploybot::testing;
using fakes::fake_slack;
using fakes::ws_session_id;

namespace {

constexpr std::size_t max_in_flight = 8;
constexpr std::size_t disrupt_every = 10;
// Under ASan on 2 busy cores a disruption costs ~0.2 s (reconnect or
// replacement), 25-30 ms per envelope in all: 2,000 take ~55 s, 10,000 ~5.5 min.
// Longer soaks: DEPLOYBOT_SOAK_ENVELOPES.
constexpr std::size_t default_envelopes = 2000;
const std::string deploy_channel = "C0DEPLOYS01";   // test_config's slack.channel
const std::string sentinel_text = "help n=end";

std::optional<std::size_t> soak_envelopes() {
    const char* v = std::getenv("DEPLOYBOT_SOAK_ENVELOPES");
    if (!v || !*v) return default_envelopes;
    std::size_t n = 0;
    const char* end = v + std::strlen(v);
    auto [ptr, ec] = std::from_chars(v, end, n);
    if (ec != std::errc{} || ptr != end || n == 0) return std::nullopt;
    return n;
}

std::string text_of(std::size_t n) { return "help n=" + std::to_string(n); }

// What the bot did, read from its log as lines arrive: the harness's
// log_capture rescans every line on each wait, which is quadratic here.
// "router: /deploy help n=<i> from" is logged once per handled command and
// "already handled" once per redelivery the bot recognised.
class soak_log {
public:
    soak_log(std::size_t commands, std::vector<std::string> secrets)
        : handled_(commands, 0), secrets_(std::move(secrets)) {
        log::set_min_level(log::level::info);   // debug lines would double the run under ASan
        log::set_sink([this](std::string_view line) { on_line(line); });
    }
    ~soak_log() { log::set_sink(nullptr); }
    soak_log(const soak_log&) = delete;
    soak_log& operator=(const soak_log&) = delete;

    struct summary {
        std::vector<int> handled;           // per n
        int sentinel_handled = 0;
        int redeliveries_ignored = 0;
        int secret_leaks = 0;
        std::size_t lines = 0;
        std::vector<std::string> errors;    // ERROR lines, and handled lines that do not parse
        std::map<std::string, int> warning_kinds;   // WARN lines with digits folded to '#'
    };

    summary snapshot() const {
        std::lock_guard lock(mutex_);
        return {handled_, sentinel_, ignored_, leaks_, lines_, errors_, warning_kinds_};
    }

    std::string tail(std::size_t n) const {
        std::lock_guard lock(mutex_);
        std::string out;
        for (auto i = recent_.size() > n ? recent_.size() - n : 0; i < recent_.size(); ++i) out += recent_[i] + "\n";
        return out;
    }

    bool wait_for_sentinel(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return sentinel_ > 0; });
    }

private:
    static constexpr std::string_view handled_marker = "router: /deploy help n=";

    void on_line(std::string_view line) {
        std::lock_guard lock(mutex_);
        if (echo_) std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
        ++lines_;
        recent_.emplace_back(line);
        if (recent_.size() > 400) recent_.pop_front();
        for (const auto& s : secrets_)
            if (line.find(s) != std::string_view::npos) ++leaks_;
        if (auto at = line.find(handled_marker); at != std::string_view::npos) {
            const auto rest = line.substr(at + handled_marker.size());
            std::size_t n = 0;
            auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
            if (rest.starts_with("end ")) {
                ++sentinel_;
                changed_.notify_all();
            } else if (ec == std::errc{} && ptr != rest.data() + rest.size() && *ptr == ' ' && n < handled_.size()) {
                ++handled_[n];
            } else {
                errors_.emplace_back(line);
            }
        } else if (line.find("already handled") != std::string_view::npos) {
            ++ignored_;
        }
        if (line.find(" ERROR ") != std::string_view::npos) {
            errors_.emplace_back(line);
        } else if (auto w = line.find(" WARN "); w != std::string_view::npos) {
            std::string kind(line.substr(w + 6));
            std::replace_if(kind.begin(), kind.end(), [](char c) { return c >= '0' && c <= '9'; }, '#');
            ++warning_kinds_[kind];
        }
    }

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<int> handled_;
    std::vector<std::string> secrets_;
    const bool echo_ = std::getenv("DEPLOYBOT_TEST_LOG") != nullptr;   // debugging aid, as in log_capture
    int sentinel_ = 0;
    int ignored_ = 0;
    int leaks_ = 0;
    std::size_t lines_ = 0;
    std::deque<std::string> recent_;
    std::vector<std::string> errors_;
    std::map<std::string, int> warning_kinds_;
};

struct scoped_dir {
    std::string path = temp_dir();
    ~scoped_dir() { std::filesystem::remove_all(path); }
};

// The test's half of Slack's delivery contract: what was sent where, what is
// acked, and redelivery of what died unacked.
class delivery_tracker {
public:
    struct sent_envelope {
        std::string id;
        ws_session_id session = 0;   // of the latest delivery
        int deliveries = 1;
        bool acked = false;
    };

    explicit delivery_tracker(fake_slack& slack) : slack_(slack) {}

    // Where Slack would route a new envelope: the newest ready connection the
    // test has not dropped or refreshed (0: none yet).
    ws_session_id target(const std::vector<ws_session_id>& open) const {
        for (auto it = open.rbegin(); it != open.rend(); ++it)
            if (!disrupted_.contains(*it)) return *it;
        return 0;
    }

    // Takes in new acks, then redelivers every unacked envelope whose
    // connection has closed. Returns the current target.
    ws_session_id pump() {
        // Open connections first: the fake records a connection's acks before
        // its close, so an envelope unacked after this is truly orphaned.
        const auto open = slack_.open_session_ids();
        for (const auto& a : slack_.acks_from(acks_seen_)) {
            ++acks_seen_;
            auto it = index_.find(a.envelope_id);
            if (it == index_.end()) continue;
            sent_[it->second].acked = true;
            unacked_.erase(it->second);
        }
        const auto to = target(open);
        if (to == 0) return 0;
        for (auto n : unacked_) {
            auto& e = sent_[n];
            if (std::find(open.begin(), open.end(), e.session) != open.end()) continue;
            slack_.redeliver(e.id, to);
            e.session = to;
            ++e.deliveries;
            ++redeliveries_;
        }
        return to;
    }

    void sent(std::string id, ws_session_id session) {
        index_.emplace(id, sent_.size());
        unacked_.insert(sent_.size());
        sent_.push_back({std::move(id), session});
    }

    void disrupted(ws_session_id session) { disrupted_.insert(session); }

    std::size_t in_flight() const { return unacked_.size(); }
    std::size_t redeliveries() const { return redeliveries_; }
    const std::vector<sent_envelope>& envelopes() const { return sent_; }
    std::optional<std::size_t> number_of(const std::string& id) const {
        auto it = index_.find(id);
        return it == index_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
    }

    std::string describe() const {
        std::string out = fmt::format("sent {}, acks seen {}, unacked {}, redeliveries {}, disrupted sessions {}, "
                                      "open sessions [",
                                      sent_.size(), acks_seen_, unacked_.size(), redeliveries_, disrupted_.size());
        for (auto s : slack_.open_session_ids()) out += fmt::format("{}{} ", s, disrupted_.contains(s) ? "*" : "");
        out += fmt::format("], connections {}\n", slack_.num_connections());
        std::size_t shown = 0;
        for (auto n : unacked_) {
            if (++shown > 10) break;
            const auto& e = sent_[n];
            out += fmt::format("  unacked n={} {} session {} deliveries {}\n", n, e.id, e.session, e.deliveries);
        }
        return out;
    }

private:
    fake_slack& slack_;
    std::vector<sent_envelope> sent_;
    std::unordered_map<std::string, std::size_t> index_;
    std::set<std::size_t> unacked_;
    std::set<ws_session_id> disrupted_;
    std::size_t acks_seen_ = 0;
    std::size_t redeliveries_ = 0;
};

std::string payload_string(const fakes::slack_envelope& e, std::string_view key) {
    if (auto* p = e.frame.if_contains("payload"); p && p->is_object())
        if (auto* v = p->as_object().if_contains(key); v && v->is_string()) return std::string(v->as_string());
    return {};
}

}  // namespace

TEST_CASE("safety: socket drops and refreshes: every envelope acked, each handled once") {
    const auto configured = soak_envelopes();
    REQUIRE_MESSAGE(configured, "DEPLOYBOT_SOAK_ENVELOPES must be a positive integer");
    const std::size_t total = *configured;
    const auto t0 = std::chrono::steady_clock::now();

    fake_slack slack;
    soak_log logs(total, {slack.opts().app_token, slack.opts().bot_token, "ghp_fake_harness_token"});
    scoped_dir dir;
    app_options o;
    o.cfg = test_config(slack, dir.path);
    o.tokens = test_secrets(slack);
    o.socket.backoff = {std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
    o.socket.close_timeout = std::chrono::milliseconds(1000);
    o.socket.too_many_websockets_backoff = std::chrono::milliseconds(1500);
    auto bot = std::make_unique<bot_runner>(std::move(o));
    bot->start();
    REQUIRE(slack.wait_for_sessions(1, 10s));

    delivery_tracker tracker(slack);
    auto diag = [&] { return tracker.describe() + "last log lines:\n" + logs.tail(40); };
    // A disruption needs room for the replacement under Slack's connection
    // limit; connections that never go away fail this wait (a leak).
    const int connection_room = slack.opts().max_connections - 2;
    int drops = 0, refreshes = 0;

    for (std::size_t n = 0; n < total; ++n) {
        const bool disrupt = (n + 1) % disrupt_every == 0;
        ws_session_id to = 0;
        const bool ready = slack.wait_for(
            [&](const fake_slack& s) {
                to = tracker.pump();
                return to != 0 && tracker.in_flight() < max_in_flight &&
                       (!disrupt || s.num_connections() <= connection_room);
            },
            20s);
        REQUIRE_MESSAGE(ready, fmt::format("before sending n={}: no ready connection, or {}+ unacked for 20 s\n{}", n,
                                           max_in_flight, diag()));
        tracker.sent(slack.send_slash_command("/deploy", text_of(n), "U0DEPLOYER1", deploy_channel, to), to);
        if (!disrupt) continue;
        // Right behind the envelope, so it is often still unacked when its
        // connection goes.
        if ((n + 1) / disrupt_every % 2 == 1) {
            slack.drop(to);
            ++drops;
        } else {
            slack.refresh(to);
            ++refreshes;
        }
        tracker.disrupted(to);
    }

    const bool all_acked = slack.wait_for(
        [&](const fake_slack&) {
            tracker.pump();
            return tracker.in_flight() == 0;
        },
        20s);
    REQUIRE_MESSAGE(all_acked, (std::string("not every envelope was acked:\n") + diag()));

    // The bot runs envelope handlers in arrival order on one thread: once the
    // sentinel, sent after every ack came in, is handled, every delivery
    // before it (duplicates included) has been through the dedup check.
    ws_session_id to = 0;
    REQUIRE(slack.wait_for([&](const fake_slack&) { return (to = tracker.pump()) != 0; }, 20s));
    const auto sentinel = slack.send_slash_command("/deploy", sentinel_text, "U0DEPLOYER1", deploy_channel, to);
    REQUIRE_MESSAGE(slack.wait_for_ack(sentinel, 5s), diag());
    REQUIRE_MESSAGE(logs.wait_for_sentinel(20s), diag());

    // Every command answered, the sentinel too: in the ack of the delivery
    // Slack received (a delivery whose ack was lost is sent again and answered again).
    const auto fake_envelopes = slack.envelopes();
    std::vector<int> answers(total, 0);
    int rejected_posts = 0;
    std::size_t acks_read = 0;
    auto count_answers = [&](const fake_slack& s) {
        for (const auto& a : s.acks_from(acks_read)) {
            ++acks_read;
            const auto n = tracker.number_of(a.envelope_id);
            // Slack shows the first ack of an envelope; a later one of a redelivery is not shown twice.
            if (n && *n < total && a.payload && a.payload->contains("blocks")) answers[*n] = 1;
        }
        rejected_posts = 0;
        for (const auto& p : s.response_url_posts())
            if (!p.accepted) ++rejected_posts;
        return std::none_of(answers.begin(), answers.end(), [](int a) { return a == 0; });
    };
    const bool all_answered = slack.wait_for(count_answers, 30s);

    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    const auto seen = logs.snapshot();
    MESSAGE(fmt::format("soak: {} envelopes, {} drops + {} refreshes, {} redeliveries ({} recognised as already "
                        "handled), {} connections opened, {} log lines, {:.1f} s",
                        total, drops, refreshes, tracker.redeliveries(), seen.redeliveries_ignored,
                        slack.sessions().size(), seen.lines, static_cast<double>(elapsed.count()) / 1000.0));
    std::string warnings;
    for (const auto& [kind, count] : seen.warning_kinds) warnings += fmt::format("\n  {} x {}", count, kind);
    MESSAGE((std::string("WARN lines:") + warnings));

    // Every delivery was acked by the fake's deadline.
    for (const auto& e : fake_envelopes) {
        const auto n = tracker.number_of(e.envelope_id);
        CHECK_MESSAGE(e.acked, fmt::format("{} (n={}) never acked", e.envelope_id, n ? std::to_string(*n) : "?"));
    }
    for (const auto& e : slack.late_acks())
        CHECK_MESSAGE(false, fmt::format("late ack: {} n={} deliveries {} failure '{}'", e.envelope_id,
                                         payload_string(e, "text"), e.deliveries, e.failure));
    for (const auto& e : slack.failures())
        CHECK_MESSAGE(false, fmt::format("failure: {} {} deliveries {} failure '{}'", e.envelope_id,
                                         payload_string(e, "text"), e.deliveries, e.failure));

    // Each command handled once and answered once.
    std::size_t wrong = 0;
    for (std::size_t n = 0; n < total; ++n) {
        if (seen.handled[n] == 1 && answers[n] == 1) continue;
        if (++wrong > 20) continue;   // enough to debug from
        const auto& e = tracker.envelopes()[n];
        CHECK_MESSAGE(false, fmt::format("n={} {} (deliveries {}): handled {} time(s), answered {} time(s)", n, e.id,
                                         e.deliveries, seen.handled[n], answers[n]));
    }
    CHECK_MESSAGE(wrong == 0, fmt::format("{} of {} commands not handled and answered exactly once", wrong, total));
    CHECK(all_answered);
    CHECK(seen.sentinel_handled == 1);
    CHECK(rejected_posts == 0);
    for (const auto& e : slack.ephemerals())   // a failed response_url post falls back to this
        CHECK_MESSAGE(e.source != "chat.postEphemeral", (std::string("fallback ephemeral: ") + e.text));

    // Nothing leaked: exactly one connection left once the rotations settle.
    const bool one_left = slack.wait_for(
        [](const fake_slack& s) { return s.open_session_ids().size() == 1 && s.num_connections() == 1; }, 10s);
    CHECK_MESSAGE(one_left, (std::string("connections at the end:\n") + diag()));

    for (const auto& line : seen.errors) CHECK_MESSAGE(false, (std::string("error line: ") + line));
    CHECK(seen.secret_leaks == 0);

    bot->stop();
    CHECK(bot->wait_exit(1s) == std::optional<int>(0));
}
