#include "sandbox/sandbox_page.hpp"

#include "fakes/shop_world.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace deploybot::sandbox {

namespace json = boost::json;
using fakes::fake_response;
using fakes::recorded_request;

namespace {

constexpr std::size_t max_text = 2000;   // what a person types is bounded before it goes anywhere

fake_response reply(int status, json::object body) {
    return fake_response{status, {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}},
                         json::serialize(body)};
}

fake_response asset(const char* type, const char* body) {
    return fake_response{200, {{"Content-Type", type}, {"Cache-Control", "no-store"}}, body};
}

std::string str(const json::object& o, std::string_view key) {
    if (auto* v = o.if_contains(key); v && v->is_string()) {
        std::string s(v->get_string());
        if (s.size() > max_text) s.resize(max_text);
        return s;
    }
    return {};
}

}  // namespace

page_server::page_server(world& w, std::uint16_t port)
    : fake_server(fake_server::options{false, "sandbox_page", port}), world_(w) {
    set_record_limit(100);
}

page_server::~page_server() { stop(); }

void page_server::run() {
    start();
    schedule_tick();
}

void page_server::schedule_tick() {
    post_after(std::chrono::milliseconds(250), [this] {
        world_.tick();
        schedule_tick();
    });
}

std::string page_server::time_of(const std::string& ts) {
    auto it = times_.find(ts);
    if (it == times_.end()) it = times_.emplace(ts, world_.local_time(world_.clock()->now())).first;
    return it->second;
}

fake_response page_server::handle(const recorded_request& req) {
    // Only this machine's own pages: a Host other than 127.0.0.1/localhost is a
    // DNS-rebinding page, and a POST that is not JSON may be a cross-site form
    // (JSON needs a CORS preflight, which is never granted).
    const auto host = req.header("Host");
    const auto name = host.substr(0, host.rfind(':'));
    if (name != "127.0.0.1" && name != "localhost") return reply(403, {{"ok", false}, {"error", "forbidden host"}});
    if (req.method == "POST" && !req.header("Content-Type").starts_with("application/json"))
        return reply(415, {{"ok", false}, {"error", "JSON only"}});
    if (req.method == "GET" && (req.path == "/" || req.path == "/index.html"))
        return asset("text/html; charset=utf-8", index_html);
    if (req.method == "GET" && req.path == "/style.css") return asset("text/css; charset=utf-8", style_css);
    if (req.method == "GET" && req.path == "/app.js") return asset("text/javascript; charset=utf-8", app_js);
    if (req.method == "GET" && req.path == "/api/state") return state(req);
    if (req.method == "POST" && req.path.starts_with("/api/")) return post(req);
    return reply(404, {{"ok", false}, {"error", "not found"}});
}

fake_response page_server::state(const recorded_request& req) {
    const auto user = req.query_param("user");
    auto& slack = world_.slack();
    const auto& channel = fakes::shop::channel;
    json::array messages;
    for (const auto& m : slack.messages_in(channel)) {
        if (m.deleted) continue;
        messages.push_back(json::object{{"ts", m.ts},
                                        {"thread_ts", m.thread_ts},
                                        {"user", m.user},
                                        {"bot", !m.bot_id.empty()},
                                        {"text", m.text},
                                        {"blocks", m.blocks},
                                        {"broadcast", m.reply_broadcast},
                                        {"time", time_of(m.ts)}});
    }
    json::array ephemerals;
    for (const auto& e : slack.ephemerals()) {
        if (e.user != user || e.channel != channel) continue;
        ephemerals.push_back(json::object{{"ts", e.message_ts},
                                          {"thread_ts", e.thread_ts},
                                          {"text", e.text},
                                          {"blocks", e.blocks},
                                          {"time", time_of(e.message_ts)}});
    }
    json::array people;
    for (const auto& p : world_.people())
        people.push_back(json::object{{"id", p.id}, {"name", p.name}, {"role", p.role}});
    json::object o{{"people", std::move(people)},
                   {"bot_user", slack.opts().bot_user_id},
                   {"connected", !slack.open_session_ids().empty()},
                   {"messages", std::move(messages)},
                   {"ephemerals", std::move(ephemerals)},
                   {"world", world_.panel_state()}};
    return reply(200, std::move(o));
}

fake_response page_server::post(const recorded_request& req) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    json::object body;
    if (!ec && v.is_object()) body = v.as_object();
    const auto what = req.path.substr(std::string_view("/api/").size());
    const auto user = str(body, "user");
    auto& slack = world_.slack();
    const auto& channel = fakes::shop::channel;
    auto done = [](std::string message) { return reply(200, {{"ok", true}, {"message", std::move(message)}}); };

    if (what == "world/merge") return done(world_.merge_pr());
    if (what == "world/ci_pass") return done(world_.set_ci(true));
    if (what == "world/ci_fail") return done(world_.set_ci(false));
    if (what == "world/next_window") return done(world_.next_window());
    if (what == "world/spike") return done(world_.start_spike());
    if (what == "world/fail_promote") return done(world_.fail_next_promote());

    if (!world_.is_person(user)) return reply(400, {{"ok", false}, {"error", "pick someone first"}});
    if (slack.open_session_ids().empty())
        return reply(503, {{"ok", false}, {"error", "deploybot is not connected yet; try again in a moment"}});
    if (what == "command") {
        const auto command = str(body, "command");
        if (command != "/deploy" && command != "/rollback" && command != "/hotfix")
            return reply(400, {{"ok", false}, {"error", "this workspace has /deploy, /rollback and /hotfix"}});
        slack.send_slash_command(command, str(body, "text"), user, channel);
        return done(command + " sent");
    }
    if (what == "message") {
        const auto text = str(body, "text");
        if (text.empty()) return reply(400, {{"ok", false}, {"error", "empty message"}});
        slack.seed_message(channel, text, user);
        return done("posted");
    }
    if (what == "click") {
        const auto ts = str(body, "ts");
        const auto action = str(body, "action_id");
        if (ts.empty() || action.empty()) return reply(400, {{"ok", false}, {"error", "ts and action_id are required"}});
        slack.send_block_action(user, channel, ts, action, str(body, "value"), str(body, "block_id"));
        return done("clicked");
    }
    return reply(404, {{"ok", false}, {"error", "unknown action"}});
}

}  // namespace deploybot::sandbox
