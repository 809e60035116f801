// fake_slack: Web API, response URLs and Socket Mode per reference/slack.md.
// All state lives in `state`, guarded by fake_server::mutex_. Server-thread
// hooks and test-thread calls lock it; sends go through the base's posted
// ws_* calls, which never take mutex_, so sending under the lock is safe.
#include "fakes/fake_slack.hpp"

#include "bot/core/blocks.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <cstdlib>
#include <random>
#include <unordered_map>

namespace deploybot::fakes {

namespace {

using clock_type = std::chrono::steady_clock;

std::string str_of(const json::object& o, std::string_view key) {
    if (auto* v = o.if_contains(key))
        if (auto* s = v->if_string()) return std::string(*s);
    return {};
}

// response_url bodies: the docs' examples send "true" strings.
bool truthy(const json::object& o, std::string_view key) {
    if (auto* v = o.if_contains(key)) {
        if (auto* b = v->if_bool()) return *b;
        if (auto* s = v->if_string()) return *s == "true" || *s == "1";
    }
    return false;
}

std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string form_decode(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '+') {
            out.push_back(' ');
        } else if (in[i] == '%' && i + 2 < in.size()) {
            out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}

void parse_form_into(std::string_view body, json::object& args) {
    while (!body.empty()) {
        auto amp = body.find('&');
        auto part = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        std::string key = form_decode(part.substr(0, eq));
        std::string value = eq == std::string_view::npos ? "" : form_decode(part.substr(eq + 1));
        if (!args.contains(key)) args[key] = value;
    }
}

fake_response json_response(const json::object& body, int status = 200) {
    return fake_response{status, {{"Content-Type", "application/json; charset=utf-8"}}, json::serialize(body)};
}

fake_response not_ok(std::string_view error) { return json_response({{"ok", false}, {"error", error}}); }

fake_response rate_limited(int retry_after_s) {
    auto r = json_response({{"ok", false}, {"error", "ratelimited"}}, 429);
    r.headers.push_back({"Retry-After", std::to_string(retry_after_s)});
    return r;
}

// "/blocks/3/text/text: must be …" → Slack's "[ERROR] must be … [json-pointer:/blocks/3/text/text]".
std::string slack_block_error(const std::string& problem) {
    auto sep = problem.find(": ");
    if (problem.starts_with("/") && sep != std::string::npos)
        return "[ERROR] " + problem.substr(sep + 2) + " [json-pointer:" + problem.substr(0, sep) + "]";
    return "[ERROR] " + problem;
}

}  // namespace

struct fake_slack::state {
    struct fault {
        enum class kind { error, rate_limit, http, lose } k;
        std::string error;
        int value = 0;
    };
    struct session_rec {
        slack_session info;
        std::vector<std::string> frames;
        std::vector<std::string> pongs;
        clock_type::time_point ghost_until{};
    };
    struct response_url_rec {
        int uses = 0;
        std::string channel, user, message_ts;
        bool from_command = false;
        clock_type::time_point issued = clock_type::now();
    };
    struct bucket {
        double tokens = 0;
        clock_type::time_point last{};
    };

    std::mt19937_64 rng{std::random_device{}()};
    std::uint64_t generation = 0;
    std::map<std::string, std::deque<fault>> faults;
    int handshake_rejects = 0;
    int handshake_status = 409;
    std::map<std::string, bool> tickets;   // ticket → used
    std::map<ws_session_id, session_rec> sessions;
    std::vector<slack_message> messages;
    std::map<std::pair<std::string, std::string>, std::vector<slack_message>> history;
    std::vector<slack_ephemeral> ephemerals;
    std::vector<slack_view> views;
    std::vector<slack_response_url_post> response_url_posts;
    std::map<std::string, response_url_rec> response_urls;
    std::map<std::string, std::pair<clock_type::time_point, bool>> triggers;   // issued, used
    std::map<std::string, bucket> buckets;
    std::map<std::string, bucket> tier_buckets;   // method → bucket
    std::vector<slack_view_response> view_responses;
    std::vector<slack_envelope> envelopes;
    std::vector<slack_ack> acks;
    // Indexes by envelope id: a long run (bench/) must not scan every envelope per frame.
    std::unordered_map<std::string, std::size_t> envelope_at;
    std::unordered_map<std::string, std::size_t> first_ack_at;
    slack_envelope* find_envelope(const std::string& id) {
        auto it = envelope_at.find(id);
        return it == envelope_at.end() ? nullptr : &envelopes[it->second];
    }
    std::int64_t last_ts_us = 0;
    int view_counter = 0;
    std::uint64_t counter = 7398125670000;

    std::string hex(std::size_t n) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(digits[rng() % 16]);
        return out;
    }
    std::string uuid() {
        std::string h = hex(32);
        h[12] = '4';
        h[16] = "89ab"[rng() % 4];
        return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
               h.substr(20);
    }
    std::string alnum(std::size_t n) {
        static constexpr char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        std::string out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(chars[rng() % (sizeof chars - 1)]);
        return out;
    }
    // Unique, increasing "<secs>.<6 digits>".
    std::string next_ts() {
        auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
        last_ts_us = std::max(last_ts_us + 1, static_cast<std::int64_t>(now));
        char buf[40];
        std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(last_ts_us / 1000000),
                      static_cast<long long>(last_ts_us % 1000000));
        return buf;
    }
    std::string issue_trigger() {
        std::string id = std::to_string(++counter) + "." + std::to_string(4181432155) + "." + hex(32);
        triggers[id] = {clock_type::now(), false};
        return id;
    }
    slack_message* find_message(const std::string& channel, const std::string& ts) {
        for (auto& m : messages)
            if (m.channel == channel && m.ts == ts && !m.deleted) return &m;
        return nullptr;
    }
    slack_view* find_view(const std::string& id) {
        for (auto& v : views)
            if (v.id == id) return &v;
        return nullptr;
    }
    // What Slack does to the modal stack for a view_submission ack (reference §2.3).
    void apply_view_response(slack_view_response& r) {
        slack_view* submitted = find_view(r.view_id);
        if (!submitted) return;
        if (r.action.empty()) {
            submitted->closed = true;
        } else if (r.action == "update" && !r.view.empty()) {
            submitted->view = r.view;
        } else if (r.action == "push" && !r.view.empty()) {
            r.pushed_view_id = "V0MODAL" + std::to_string(++view_counter);
            views.push_back({r.pushed_view_id, {}, r.view, r.view_id});   // invalidates `submitted`
        } else if (r.action == "clear") {
            for (std::string id = r.view_id; auto* v = find_view(id);) {
                v->closed = true;
                id = v->previous_view_id;
            }
        }
    }
    session_rec* find_session(ws_session_id id) {
        auto it = sessions.find(id);
        return it == sessions.end() ? nullptr : &it->second;
    }
    int count_connections(clock_type::time_point now) const {
        int n = 0;
        for (const auto& [id, s] : sessions)
            if (s.info.open || (s.info.ghost && now < s.ghost_until)) ++n;
        return n;
    }
    ws_session_id pick_session() const {
        // Newest open+ready session: deterministic, and a silent (half-open)
        // session still counts as open, as it does for Slack.
        for (auto it = sessions.rbegin(); it != sessions.rend(); ++it)
            if (it->second.info.open && it->second.info.ready) return it->first;
        return 0;
    }
    // Faults that answer instead of the method; `lose` ones are taken by take_lost().
    std::optional<fault> take_fault(const std::string& method) {
        auto it = faults.find(method);
        if (it == faults.end() || it->second.empty() || it->second.front().k == fault::kind::lose) return std::nullopt;
        fault f = it->second.front();
        it->second.pop_front();
        return f;
    }
    bool take_lost(const std::string& method) {
        auto it = faults.find(method);
        if (it == faults.end() || it->second.empty() || it->second.front().k != fault::kind::lose) return false;
        it->second.pop_front();
        return true;
    }
};

fake_slack::fake_slack(options opts)
    : fake_server(fake_server::options{opts.tls, "slack"}), opts_(std::move(opts)), st_(std::make_unique<state>()) {
    start();
}

fake_slack::fake_slack() : fake_slack(options{}) {}

// Members die after this body: stop the server thread first.
fake_slack::~fake_slack() { stop(); }

// ---------------------------------------------------------------- Web API

namespace {

json::object message_json(const slack_message& m, const std::string& app_id, const std::string& team_id) {
    json::object o{{"type", "message"}, {"text", m.text}, {"ts", m.ts}, {"user", m.user}, {"team", team_id}};
    if (!m.bot_id.empty()) {
        o["bot_id"] = m.bot_id;
        o["app_id"] = app_id;
    }
    o["blocks"] = m.blocks;
    if (!m.thread_ts.empty()) o["thread_ts"] = m.thread_ts;
    if (m.reply_broadcast) o["subtype"] = "thread_broadcast";
    if (!m.metadata.empty()) o["metadata"] = m.metadata;
    return o;
}

}  // namespace

fake_response fake_slack::handle(const recorded_request& req) {
    fake_response out;
    {
        std::lock_guard lock(mutex_);
        auto& st = *st_;
        ++st.generation;

        if (req.path.starts_with("/response/")) {
            std::string token = req.path.substr(std::string_view("/response/").size());
            auto it = st.response_urls.find(token);
            if (req.method != "POST" || it == st.response_urls.end()) {
                out = json_response({{"ok", false}, {"error", "invalid_token"}}, 404);
            } else {
                auto& rec = it->second;
                slack_response_url_post post{token, json::value(nullptr), ++rec.uses, false};
                boost::system::error_code ec;
                json::value body = json::parse(req.body, ec);
                if (!ec) post.body = body;
                if (rec.uses > opts_.response_url_uses ||
                    clock_type::now() - rec.issued >= opts_.response_url_ttl) {
                    out = not_ok("expired_url");
                } else if (ec || !body.is_object()) {
                    out = not_ok("invalid_payload");
                } else {
                    const auto& b = body.as_object();
                    post.accepted = true;
                    std::string text = str_of(b, "text");
                    json::array blocks;
                    if (auto* v = b.if_contains("blocks"); v && v->is_array()) blocks = v->as_array();
                    slack_message* source = rec.message_ts.empty() ? nullptr : st.find_message(rec.channel, rec.message_ts);
                    bool has_content = !text.empty() || !blocks.empty();
                    if (truthy(b, "delete_original") && source) {
                        source->deleted = true;
                        st.history[{source->channel, source->ts}].push_back(*source);
                        source = nullptr;
                    }
                    if (truthy(b, "replace_original") && source) {
                        source->text = text;
                        source->blocks = blocks;
                        source->source = "response_url";
                        st.history[{source->channel, source->ts}].push_back(*source);
                    } else if (has_content) {
                        if (str_of(b, "response_type") == "in_channel") {
                            slack_message m{rec.channel, st.next_ts(), text, blocks, str_of(b, "thread_ts"),
                                            opts_.bot_user_id, opts_.bot_id, "response_url"};
                            st.messages.push_back(m);
                            st.history[{m.channel, m.ts}].push_back(m);
                        } else {
                            st.ephemerals.push_back(slack_ephemeral{rec.channel, rec.user, text, blocks,
                                                                    st.next_ts(), str_of(b, "thread_ts"),
                                                                    "response_url"});
                        }
                    }
                    out = json_response({{"ok", true}});
                }
                st.response_url_posts.push_back(std::move(post));
            }
        } else if (!req.path.starts_with("/api/")) {
            out = fake_response{404, {{"Content-Type", "text/html"}}, "<html><body>Not found</body></html>"};
        } else {
            const bool lose = req.path.size() > 5 && st.take_lost(req.path.substr(5));
            out = handle_api(req);
            if (lose) out.drop_connection = true;   // carried out; the answer never arrives
        }
    }
    notify_changed();
    return out;
}

fake_response fake_slack::handle_api(const recorded_request& req) {
    auto& st = *st_;
    std::string method = req.path.substr(5);
    static const std::set<std::string> known = {"apps.connections.open", "auth.test", "chat.postMessage",
                                                "chat.update", "chat.postEphemeral", "views.open",
                                                "conversations.history"};

    if (auto f = st.take_fault(method)) {
        switch (f->k) {
        case state::fault::kind::error: return not_ok(f->error);
        case state::fault::kind::rate_limit: return rate_limited(f->value);
        case state::fault::kind::http:
            return fake_response{f->value, {{"Content-Type", "text/html"}},
                                 "<html><body><h1>Service Unavailable</h1></body></html>"};
        case state::fault::kind::lose: break;   // taken by take_lost(), never here
        }
    }
    if (!known.contains(method)) return not_ok("unknown_method");

    // Arguments: JSON body, form body, query string (in that precedence).
    std::string content_type = lower(req.header("Content-Type"));
    bool is_json = content_type.starts_with("application/json");
    bool missing_charset = is_json && content_type.find("charset") == std::string::npos;
    json::object args;
    if (is_json && !req.body.empty()) {
        boost::system::error_code ec;
        json::value v = json::parse(req.body, ec);
        if (ec || !v.is_object()) return not_ok("invalid_json");
        args = v.as_object();
    } else if (content_type.starts_with("application/x-www-form-urlencoded")) {
        parse_form_into(req.body, args);
    }
    parse_form_into(req.query, args);

    std::string auth = req.header("Authorization");
    std::string header_token = auth.starts_with("Bearer ") ? auth.substr(7) : std::string{};
    std::string body_token = is_json ? std::string{} : str_of(args, "token");

    // Per-method tier limit (reference §4): a token bucket refilled at
    // tier_per_window per tier_window; 429 carries the wait for one token.
    auto throttle = [&]() -> std::optional<fake_response> {
        if (!opts_.enforce_tiers) return std::nullopt;
        auto tier = opts_.method_tiers.find(method);
        if (tier == opts_.method_tiers.end()) return std::nullopt;
        auto per = opts_.tier_per_window.find(tier->second);
        if (per == opts_.tier_per_window.end() || per->second <= 0) return std::nullopt;
        double capacity = per->second + opts_.tier_burst;
        double ms_per_token = static_cast<double>(opts_.tier_window.count()) / per->second;
        auto& b = st.tier_buckets[method];
        auto now = clock_type::now();
        if (b.last == clock_type::time_point{}) {
            b.tokens = capacity;
        } else {
            double elapsed = std::chrono::duration<double, std::milli>(now - b.last).count();
            b.tokens = std::min(capacity, b.tokens + elapsed / ms_per_token);
        }
        b.last = now;
        if (b.tokens >= 1.0) {
            b.tokens -= 1.0;
            return std::nullopt;
        }
        double wait_ms = (1.0 - b.tokens) * ms_per_token;
        return rate_limited(std::max(1, static_cast<int>(std::ceil(wait_ms / 1000.0))));
    };

    auto ok = [&](json::object body) {
        body["ok"] = true;
        if (missing_charset) {
            body["warning"] = "missing_charset";
            body["response_metadata"] = json::object{{"warnings", json::array{"missing_charset"}}};
        }
        return json_response(body);
    };

    if (method == "apps.connections.open") {
        // The app token is accepted only from the header (reference §1.1).
        if (req.method != "POST") return not_ok("insecure_request");
        if (header_token.empty()) return not_ok("not_authed");
        if (header_token != opts_.app_token) return not_ok("invalid_auth");
        if (auto limited = throttle()) return *limited;
        std::string ticket = st.uuid();
        st.tickets[ticket] = false;
        return ok({{"url", ws_base_url() + "/link/?ticket=" + ticket + "&app_id=" + opts_.app_id}});
    }

    std::string token = !header_token.empty() ? header_token : body_token;
    if (token.empty()) return not_ok("not_authed");
    if (token != opts_.bot_token) return not_ok("invalid_auth");
    if (auto limited = throttle()) return *limited;

    if (method == "auth.test") {
        return ok({{"url", "https://" + opts_.team_domain + ".slack.com/"},
                   {"team", "Acme Eng"},
                   {"user", "deploybot"},
                   {"team_id", opts_.team_id},
                   {"user_id", opts_.bot_user_id},
                   {"bot_id", opts_.bot_id},
                   {"is_enterprise_install", false}});
    }

    if (method == "views.open") {
        std::string trigger = str_of(args, "trigger_id");
        auto it = st.triggers.find(trigger);
        if (it == st.triggers.end()) return not_ok("invalid_trigger_id");
        if (it->second.second) return not_ok("trigger_exchanged");
        if (clock_type::now() - it->second.first > opts_.trigger_ttl) return not_ok("expired_trigger_id");
        json::object view;
        if (auto* v = args.if_contains("view")) {
            if (v->is_object()) {
                view = v->as_object();
            } else if (v->is_string()) {
                boost::system::error_code ec;
                auto parsed = json::parse(v->as_string(), ec);
                if (!ec && parsed.is_object()) view = parsed.as_object();
            }
        }
        if (view.empty()) return not_ok("invalid_arguments");
        it->second.second = true;
        std::string id = "V0MODAL" + std::to_string(++st.view_counter);
        st.views.push_back({id, trigger, view});
        json::object answer = view;
        answer["id"] = id;
        return ok({{"view", answer}});
    }

    // chat.*: channel membership first.
    std::string channel = str_of(args, "channel");
    if (method == "conversations.history") {
        // Newest first; top-level messages and broadcast replies, as Slack lists them.
        if (std::find(opts_.member_channels.begin(), opts_.member_channels.end(), channel) ==
            opts_.member_channels.end())
            return not_ok(channel.empty() ? "channel_not_found" : "not_in_channel");
        const std::string oldest = str_of(args, "oldest");
        const bool with_metadata = truthy(args, "include_all_metadata");
        std::size_t limit = 100;
        if (auto* l = args.if_contains("limit"); l && l->is_int64()) limit = static_cast<std::size_t>(l->as_int64());
        else if (l && l->is_string()) limit = std::strtoul(l->as_string().c_str(), nullptr, 10);
        json::array out;
        for (auto it = st.messages.rbegin(); it != st.messages.rend() && out.size() < limit; ++it) {
            if (it->channel != channel || it->deleted || (!it->thread_ts.empty() && !it->reply_broadcast)) continue;
            if (!oldest.empty() && std::stod(it->ts) <= std::stod(oldest)) continue;
            auto mj = message_json(*it, opts_.app_id, opts_.team_id);
            if (!with_metadata) mj.erase("metadata");
            out.push_back(std::move(mj));
        }
        return ok({{"messages", out}, {"has_more", false}});
    }
    auto member = std::find(opts_.member_channels.begin(), opts_.member_channels.end(), channel) !=
                  opts_.member_channels.end();
    auto archived = std::find(opts_.archived_channels.begin(), opts_.archived_channels.end(), channel) !=
                    opts_.archived_channels.end();
    auto known_channel = member || archived ||
                         std::find(opts_.other_channels.begin(), opts_.other_channels.end(), channel) !=
                             opts_.other_channels.end();

    // Blocks: a JSON array, or a JSON string (form bodies).
    bool has_blocks_key = args.contains("blocks");
    json::array blocks;
    if (has_blocks_key) {
        const json::value& v = args.at("blocks");
        if (v.is_array()) {
            blocks = v.as_array();
        } else if (v.is_string()) {
            boost::system::error_code ec;
            auto parsed = json::parse(v.as_string(), ec);
            if (ec || !parsed.is_array()) return not_ok("invalid_blocks_format");
            blocks = parsed.as_array();
        } else if (!v.is_null()) {
            return not_ok("invalid_blocks_format");
        }
    }
    auto check_blocks = [&]() -> std::optional<fake_response> {
        auto problems = blocks::validate(blocks);
        if (problems.empty()) {
            for (auto& b : blocks)   // Slack fills in missing block_ids
                if (auto* o = b.if_object(); o && !o->contains("block_id")) (*o)["block_id"] = st.alnum(5);
            return std::nullopt;
        }
        json::array messages;
        for (const auto& p : problems) messages.emplace_back(slack_block_error(p));
        return json_response({{"ok", false},
                              {"error", "invalid_blocks"},
                              {"response_metadata", json::object{{"messages", messages}}}});
    };
    std::string text = str_of(args, "text");

    if (method == "chat.postMessage" || method == "chat.postEphemeral") {
        if (!known_channel) return not_ok("channel_not_found");
        if (archived) return not_ok("is_archived");
        if (!member) return not_ok("not_in_channel");
        if (text.empty() && blocks.empty()) return not_ok("no_text");
        if (auto bad = check_blocks()) return *bad;
        std::string thread_ts = str_of(args, "thread_ts");
        if (method == "chat.postEphemeral") {
            std::string user = str_of(args, "user");
            if (user.empty()) return not_ok("user_not_in_channel");
            if (utf8_length(text) > 4000) return not_ok("msg_too_long");
            std::string ts = st.next_ts();
            st.ephemerals.push_back({channel, user, text, blocks, ts, thread_ts, "chat.postEphemeral"});
            return ok({{"message_ts", ts}});
        }
        if (!thread_ts.empty()) {
            slack_message* parent = st.find_message(channel, thread_ts);
            if (!parent) return not_ok("thread_not_found");
            if (!parent->thread_ts.empty()) thread_ts = parent->thread_ts;   // replies go to the root
        }
        auto& b = st.buckets[channel];
        auto now = clock_type::now();
        if (b.last == clock_type::time_point{}) {
            b.tokens = opts_.post_burst;
        } else {
            double elapsed = std::chrono::duration<double, std::milli>(now - b.last).count();
            b.tokens = std::min<double>(opts_.post_burst, b.tokens + elapsed / opts_.post_interval.count());
        }
        b.last = now;
        if (b.tokens < 1.0) return rate_limited(opts_.post_retry_after_s);
        b.tokens -= 1.0;
        slack_message m{channel, st.next_ts(), text, blocks, thread_ts, opts_.bot_user_id, opts_.bot_id,
                        "chat.postMessage"};
        m.reply_broadcast = !thread_ts.empty() && truthy(args, "reply_broadcast");
        if (auto* md = args.if_contains("metadata"); md && md->is_object()) m.metadata = md->as_object();
        st.messages.push_back(m);
        st.history[{channel, m.ts}].push_back(m);
        return ok({{"channel", channel}, {"ts", m.ts}, {"message", message_json(m, opts_.app_id, opts_.team_id)}});
    }

    // chat.update
    std::string ts = str_of(args, "ts");
    if (!known_channel) return not_ok("channel_not_found");
    if (archived) return not_ok("is_archived");
    slack_message* m = st.find_message(channel, ts);
    if (!m) return not_ok("message_not_found");
    if (m->bot_id != opts_.bot_id) return not_ok("cant_update_message");
    if (utf8_length(text) > 4000) return not_ok("msg_too_long");
    if (has_blocks_key) {
        if (auto bad = check_blocks()) return *bad;
        m->blocks = blocks;
    } else if (args.contains("text")) {
        m->blocks.clear();   // text-only update drops the blocks
    }
    if (args.contains("text")) m->text = text;
    m->source = "chat.update";
    st.history[{channel, ts}].push_back(*m);
    return ok({{"channel", channel},
               {"ts", ts},
               {"text", m->text},
               {"message", message_json(*m, opts_.app_id, opts_.team_id)}});
}

void fake_slack::fail_next(std::string method, int n, std::string error) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < n; ++i) st_->faults[method].push_back({state::fault::kind::error, error, 0});
}

void fake_slack::rate_limit_next(std::string method, int n, int retry_after_s) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < n; ++i) st_->faults[method].push_back({state::fault::kind::rate_limit, {}, retry_after_s});
}

void fake_slack::http_error_next(std::string method, int n, int status) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < n; ++i) st_->faults[method].push_back({state::fault::kind::http, {}, status});
}

void fake_slack::lose_next_answer(std::string method, int n) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < n; ++i) st_->faults[method].push_back({state::fault::kind::lose, {}, 0});
}

void fake_slack::clear_faults(const std::string& method) {
    std::lock_guard lock(mutex_);
    st_->faults.erase(method);
}

void fake_slack::delete_message(const std::string& channel, const std::string& ts) {
    {
        std::lock_guard lock(mutex_);
        if (auto* m = st_->find_message(channel, ts)) {
            m->deleted = true;
            st_->history[{channel, ts}].push_back(*m);
        }
    }
    notify_changed();
}

void fake_slack::reject_next_handshakes(int n, int status) {
    std::lock_guard lock(mutex_);
    st_->handshake_rejects = n;
    st_->handshake_status = status;
}

std::string fake_slack::seed_message(std::string channel, std::string text, std::string user) {
    std::string ts;
    {
        std::lock_guard lock(mutex_);
        slack_message m{std::move(channel), st_->next_ts(), std::move(text), {}, {}, std::move(user), {}, "seed"};
        ts = m.ts;
        st_->history[{m.channel, m.ts}].push_back(m);
        st_->messages.push_back(std::move(m));
        ++st_->generation;
    }
    notify_changed();
    return ts;
}

// ---------------------------------------------------------------- Socket Mode

int fake_slack::accept_websocket(const recorded_request& req) {
    std::lock_guard lock(mutex_);
    auto& st = *st_;
    ++st.generation;
    if (req.path != "/link/" && req.path != "/link") return 404;
    if (st.handshake_rejects > 0) {
        --st.handshake_rejects;
        return st.handshake_status;
    }
    auto it = st.tickets.find(req.query_param("ticket"));
    if (it == st.tickets.end() || it->second) return 401;   // unknown or reused
    it->second = true;
    return 101;
}

void fake_slack::on_ws_open(ws_session_id id, const recorded_request& upgrade) {
    {
        std::lock_guard lock(mutex_);
        auto& st = *st_;
        ++st.generation;
        auto now = clock_type::now();
        state::session_rec rec;
        rec.info.id = id;
        rec.info.open = true;
        rec.info.opened_at = now;
        rec.info.ticket = upgrade.query_param("ticket");
        st.sessions[id] = rec;
        int n = st.count_connections(now);
        auto& info = st.sessions[id].info;
        if (n > opts_.max_connections) {
            // Seen before hello, then Slack closes the socket.
            ws_send(id, json::serialize(json::object{{"type", "disconnect"},
                                                     {"reason", "too_many_websockets"},
                                                     {"debug_info", json::object{{"host", "applink-7"}}}}));
            info.closed_by_server = true;
            ws_close(id, 1008);
        } else {
            ws_send(id, json::serialize(json::object{
                            {"type", "hello"},
                            {"num_connections", n},
                            {"debug_info", json::object{{"host", "applink-7"},
                                                        {"build_number", 112},
                                                        {"approximate_connection_time",
                                                         opts_.approximate_connection_time_s}}},
                            {"connection_info", json::object{{"app_id", opts_.app_id}}}}));
            // Ready (open to envelopes) only once the hello is queued: posts made
            // here, on the server thread, wait in its private queue until this
            // handler returns, so a test-thread send would overtake the hello.
            post_after(std::chrono::milliseconds(0), [this, id] {
                {
                    std::lock_guard lock(mutex_);
                    ++st_->generation;
                    if (auto* s = st_->find_session(id); s && s->info.open) s->info.ready = true;
                }
                notify_changed();
            });
            auto lifetime = upgrade.query_param("debug_reconnects") == "true"
                                ? std::chrono::milliseconds(360000)
                                : opts_.connection_lifetime;
            if (lifetime.count() > 0) post_after(lifetime, [this, id] { refresh(id); });
            if (opts_.server_ping_interval.count() > 0) schedule_server_ping(id);
        }
    }
    notify_changed();
}

void fake_slack::schedule_server_ping(ws_session_id id) {
    post_after(opts_.server_ping_interval, [this, id] {
        {
            std::lock_guard lock(mutex_);
            auto* s = st_->find_session(id);
            if (!s || !s->info.open) return;
        }
        ws_send_ping(id, "fake-slack-ping");
        schedule_server_ping(id);
    });
}

void fake_slack::on_ws_message(ws_session_id id, const std::string& text) {
    {
        std::lock_guard lock(mutex_);
        auto& st = *st_;
        ++st.generation;
        auto now = clock_type::now();
        if (auto* s = st.find_session(id)) s->frames.push_back(text);
        boost::system::error_code ec;
        json::value v = json::parse(text, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        std::string envelope_id = o ? str_of(*o, "envelope_id") : std::string{};
        if (!envelope_id.empty()) {
            slack_ack ack;
            ack.envelope_id = envelope_id;
            ack.at = now;
            ack.session = id;
            if (auto* p = o->if_contains("payload"); p && p->is_object()) ack.payload = p->as_object();
            if (auto* env = st.find_envelope(envelope_id)) {
                ack.latency = std::chrono::duration_cast<std::chrono::milliseconds>(now - env->sent_at);
                ack.late = ack.latency > opts_.ack_deadline;
                bool first_ack = !env->acked;
                env->acked = true;
                if (ack.late) env->late = true;
                // A slash command's ack payload is the reply (reference §3.1).
                const json::object* payload = env->frame.if_contains("payload")
                                                  ? env->frame.at("payload").if_object()
                                                  : nullptr;
                if (first_ack && !ack.late && env->type == "slash_commands" && ack.payload &&
                    !ack.payload->empty() && payload) {
                    const auto& reply = *ack.payload;
                    std::string reply_text = str_of(reply, "text");
                    json::array reply_blocks;
                    if (auto* b = reply.if_contains("blocks"); b && b->is_array()) reply_blocks = b->as_array();
                    std::string channel = str_of(*payload, "channel_id");
                    if (str_of(reply, "response_type") == "in_channel") {
                        slack_message m{channel, st.next_ts(), reply_text, reply_blocks, {}, opts_.bot_user_id,
                                        opts_.bot_id, "ack"};
                        st.messages.push_back(m);
                        st.history[{channel, m.ts}].push_back(m);
                    } else {
                        st.ephemerals.push_back(slack_ephemeral{channel, str_of(*payload, "user_id"), reply_text,
                                                                reply_blocks, st.next_ts(), {}, "ack"});
                    }
                }
                if (first_ack && !ack.late && env->type == "interactive" && payload &&
                    str_of(*payload, "type") == "view_submission") {
                    slack_view_response r;
                    r.envelope_id = envelope_id;
                    if (auto* v = payload->if_contains("view"); v && v->is_object())
                        r.view_id = str_of(v->as_object(), "id");
                    if (ack.payload) {
                        r.action = str_of(*ack.payload, "response_action");
                        if (auto* e = ack.payload->if_contains("errors"); e && e->is_object()) r.errors = e->as_object();
                        if (auto* v = ack.payload->if_contains("view"); v && v->is_object()) r.view = v->as_object();
                    }
                    st.apply_view_response(r);
                    st.view_responses.push_back(std::move(r));
                }
            }
            st.first_ack_at.emplace(ack.envelope_id, st.acks.size());
            st.acks.push_back(std::move(ack));
        }
    }
    notify_changed();
}

void fake_slack::on_ws_pong(ws_session_id id, const std::string& payload) {
    {
        std::lock_guard lock(mutex_);
        ++st_->generation;
        if (auto* s = st_->find_session(id)) s->pongs.push_back(payload);
    }
    notify_changed();
}

void fake_slack::on_ws_closed(ws_session_id id, int close_code) {
    {
        std::lock_guard lock(mutex_);
        ++st_->generation;
        if (auto* s = st_->find_session(id)) {
            s->info.open = false;
            s->info.close_code = close_code;
            if (close_code == 0 && !s->info.closed_by_server && opts_.ghost_ttl.count() > 0) {
                s->info.ghost = true;
                s->ghost_until = clock_type::now() + opts_.ghost_ttl;
            }
        }
    }
    notify_changed();
}

// Caller holds mutex_. Delivers (or records dispatch_failed) and arms the
// ack deadline check for this delivery.
std::string fake_slack::deliver_locked(json::object envelope, ws_session_id session) {
    auto& st = *st_;
    ++st.generation;
    std::string id = str_of(envelope, "envelope_id");
    if (id.empty()) {
        id = st.uuid();
        envelope["envelope_id"] = id;
    }
    ws_session_id target = session;
    if (target != 0) {
        auto* s = st.find_session(target);
        if (!s || !s->info.open) target = 0;
    } else {
        target = st.pick_session();
    }
    auto* it = st.find_envelope(id);
    if (!it) {
        st.envelope_at.emplace(id, st.envelopes.size());
        st.envelopes.push_back(slack_envelope{id, str_of(envelope, "type")});
        it = &st.envelopes.back();
    }
    it->frame = envelope;
    it->session = target;
    it->sent_at = clock_type::now();
    int delivery = ++it->deliveries;
    if (target == 0) {
        it->failure = "dispatch_failed";
        it->late = true;
        return id;
    }
    ws_send(target, json::serialize(envelope));
    post_after(opts_.ack_deadline, [this, id, delivery] {
        std::optional<std::chrono::milliseconds> retry_in;
        {
            std::lock_guard lock(mutex_);
            ++st_->generation;
            if (auto* found = st_->find_envelope(id); found && found->deliveries == delivery && !found->acked) {
                auto& e = *found;
                e.late = true;
                if (e.type == "events_api") {
                    // Only events are retried (reference §1.4).
                    if (static_cast<std::size_t>(delivery) <= opts_.event_retry_delays.size())
                        retry_in = opts_.event_retry_delays[static_cast<std::size_t>(delivery) - 1];
                } else if (e.failure.empty()) {
                    e.failure = e.type == "slash_commands" ? "operation_timeout" : "ack_timeout";
                }
            }
        }
        if (retry_in)
            post_after(*retry_in, [this, id] {
                bool acked = false;
                {
                    std::lock_guard lock(mutex_);
                    if (const auto* e = st_->find_envelope(id)) acked = e->acked;
                }
                if (!acked) redeliver(id);
            });
        notify_changed();
    });
    return id;
}

std::string fake_slack::send_slash_command(std::string command, std::string text, std::string user,
                                           std::string channel, ws_session_id session) {
    std::string id;
    {
        std::lock_guard lock(mutex_);
        auto& st = *st_;
        std::string rurl_token = st.alnum(24);
        st.response_urls[rurl_token] = {0, channel, user, {}, true};
        json::object payload{{"token", "Zx9LqTmW4pVb2KcR8nYs5HdE"},
                             {"team_id", opts_.team_id},
                             {"team_domain", opts_.team_domain},
                             {"channel_id", channel},
                             {"channel_name", channel == opts_.member_channels.front() ? "deployments" : "general"},
                             {"user_id", user},
                             {"user_name", "user-" + user},
                             {"command", command},
                             {"text", text},
                             {"api_app_id", opts_.app_id},
                             {"is_enterprise_install", "false"},
                             {"response_url", base_url() + "/response/" + rurl_token},
                             {"trigger_id", st.issue_trigger()}};
        json::object envelope{{"envelope_id", st.uuid()},
                              {"type", "slash_commands"},
                              {"accepts_response_payload", true},
                              {"payload", payload},
                              {"retry_attempt", 0},
                              {"retry_reason", ""}};
        id = deliver_locked(std::move(envelope), session);
    }
    notify_changed();
    return id;
}

std::string fake_slack::send_block_action(std::string user, std::string channel, std::string message_ts,
                                          std::string action_id, std::string value, std::string block_id,
                                          ws_session_id session) {
    std::string id;
    {
        std::lock_guard lock(mutex_);
        auto& st = *st_;
        const slack_message* m = st.find_message(channel, message_ts);
        bool is_ephemeral = !m && std::any_of(st.ephemerals.begin(), st.ephemerals.end(), [&](const auto& e) {
            return e.message_ts == message_ts;
        });

        json::object action{{"type", "button"}, {"action_id", action_id}, {"block_id", block_id},
                            {"text", json::object{{"type", "plain_text"}, {"text", action_id}, {"emoji", true}}},
                            {"value", value}};
        if (m) {
            // Take the element as rendered in the stored message.
            auto match = [&](const json::object& el, const std::string& bid) {
                if (str_of(el, "action_id") != action_id || (!block_id.empty() && bid != block_id)) return false;
                action["type"] = str_of(el, "type").empty() ? "button" : str_of(el, "type");
                action["block_id"] = bid;
                if (auto* t = el.if_contains("text")) action["text"] = *t;
                if (value.empty()) action["value"] = str_of(el, "value");
                if (auto* s = el.if_contains("style")) action["style"] = *s;
                return true;
            };
            bool found = false;
            for (const auto& b : m->blocks) {
                const auto* blk = b.if_object();
                if (!blk || found) continue;
                std::string bid = str_of(*blk, "block_id");
                if (auto* acc = blk->if_contains("accessory"); acc && acc->is_object())
                    found = match(acc->as_object(), bid);
                if (auto* els = blk->if_contains("elements"); !found && els && els->is_array())
                    for (const auto& el : els->as_array())
                        if (!found && el.is_object()) found = match(el.as_object(), bid);
            }
        }
        action["action_ts"] = st.next_ts();

        std::string rurl_token = st.alnum(24);
        st.response_urls[rurl_token] = {0, channel, user, message_ts, false};
        json::object payload{
            {"type", "block_actions"},
            {"user", json::object{{"id", user}, {"username", "user-" + user}, {"name", "user-" + user},
                                  {"team_id", opts_.team_id}}},
            {"api_app_id", opts_.app_id},
            {"token", "Zx9LqTmW4pVb2KcR8nYs5HdE"},
            {"container", json::object{{"type", "message"}, {"message_ts", message_ts}, {"channel_id", channel},
                                       {"is_ephemeral", is_ephemeral}}},
            {"trigger_id", st.issue_trigger()},
            {"team", json::object{{"id", opts_.team_id}, {"domain", opts_.team_domain}}},
            {"enterprise", nullptr},
            {"is_enterprise_install", false},
            {"channel", json::object{{"id", channel},
                                     {"name", channel == opts_.member_channels.front() ? "deployments" : "general"}}},
            {"state", json::object{{"values", json::object{}}}},
            {"response_url", base_url() + "/response/" + rurl_token},
            {"actions", json::array{action}}};
        if (m) payload["message"] = message_json(*m, opts_.app_id, opts_.team_id);
        json::object envelope{{"envelope_id", st.uuid()},
                              {"type", "interactive"},
                              {"accepts_response_payload", false},
                              {"payload", payload},
                              {"retry_attempt", 0},
                              {"retry_reason", ""}};
        id = deliver_locked(std::move(envelope), session);
    }
    notify_changed();
    return id;
}

std::string fake_slack::send_view_submission(std::string user, std::string view_id, json::object values,
                                             ws_session_id session) {
    std::string id;
    {
        std::lock_guard lock(mutex_);
        auto& st = *st_;
        json::object view;
        if (auto* v = st.find_view(view_id)) view = v->view;
        view["id"] = view_id;
        view["team_id"] = opts_.team_id;
        if (!view.contains("type")) view["type"] = "modal";
        if (!view.contains("callback_id")) view["callback_id"] = "";
        if (!view.contains("private_metadata")) view["private_metadata"] = "";
        view["state"] = json::object{{"values", std::move(values)}};
        view["hash"] = std::to_string(++st.counter) + "." + st.alnum(8);
        view["app_id"] = opts_.app_id;
        view["bot_id"] = opts_.bot_id;
        json::object payload{
            {"type", "view_submission"},
            {"team", json::object{{"id", opts_.team_id}, {"domain", opts_.team_domain}}},
            {"user", json::object{{"id", user}, {"username", "user-" + user}, {"name", "user-" + user},
                                  {"team_id", opts_.team_id}}},
            {"api_app_id", opts_.app_id},
            {"token", "Zx9LqTmW4pVb2KcR8nYs5HdE"},
            {"trigger_id", st.issue_trigger()},
            {"view", std::move(view)},
            {"response_urls", json::array{}},
            {"enterprise", nullptr},
            {"is_enterprise_install", false}};
        json::object envelope{{"envelope_id", st.uuid()},
                              {"type", "interactive"},
                              {"accepts_response_payload", true},
                              {"payload", std::move(payload)},
                              {"retry_attempt", 0},
                              {"retry_reason", ""}};
        id = deliver_locked(std::move(envelope), session);
    }
    notify_changed();
    return id;
}

std::string fake_slack::send_envelope(json::object envelope, ws_session_id session) {
    std::string id;
    {
        std::lock_guard lock(mutex_);
        id = deliver_locked(std::move(envelope), session);
    }
    notify_changed();
    return id;
}

void fake_slack::send_raw(ws_session_id session, std::string text) { ws_send(session, std::move(text)); }

void fake_slack::send_binary(ws_session_id session, std::string data) { ws_send_binary(session, std::move(data)); }

bool fake_slack::redeliver(const std::string& envelope_id, ws_session_id session) {
    {
        std::lock_guard lock(mutex_);
        auto* it = st_->find_envelope(envelope_id);
        if (!it) return false;
        json::object frame = it->frame;
        int attempt = 1;
        if (auto* r = frame.if_contains("retry_attempt"); r && r->is_int64()) attempt = static_cast<int>(r->as_int64()) + 1;
        frame["retry_attempt"] = attempt;
        frame["retry_reason"] = "timeout";
        deliver_locked(std::move(frame), session);
    }
    notify_changed();
    return true;
}

void fake_slack::send_disconnect(ws_session_id session, std::string reason) {
    ws_send(session, json::serialize(json::object{
                         {"type", "disconnect"}, {"reason", reason}, {"debug_info", json::object{{"host", "applink-7"}}}}));
}

void fake_slack::refresh(ws_session_id session) {
    {
        std::lock_guard lock(mutex_);
        auto* s = st_->find_session(session);
        if (!s || !s->info.open) return;
        s->info.closed_by_server = true;
        ++st_->generation;
    }
    send_disconnect(session, "warning");
    send_disconnect(session, "refresh_requested");
    post_after(opts_.refresh_grace, [this, session] { ws_close(session, 1001); });
    notify_changed();
}

void fake_slack::close(ws_session_id session, int code) {
    {
        std::lock_guard lock(mutex_);
        if (auto* s = st_->find_session(session)) s->info.closed_by_server = true;
    }
    ws_close(session, code);
}

void fake_slack::drop(ws_session_id session) {
    {
        std::lock_guard lock(mutex_);
        if (auto* s = st_->find_session(session)) s->info.closed_by_server = true;
    }
    ws_drop(session);
}

void fake_slack::go_silent(ws_session_id session) {
    {
        std::lock_guard lock(mutex_);
        if (auto* s = st_->find_session(session)) s->info.silent = true;
        ++st_->generation;
    }
    ws_go_silent(session);
    notify_changed();
}

void fake_slack::ping(ws_session_id session, std::string payload) { ws_send_ping(session, std::move(payload)); }

// ---------------------------------------------------------------- Observation

std::vector<slack_session> fake_slack::sessions() const {
    std::lock_guard lock(mutex_);
    std::vector<slack_session> out;
    auto now = clock_type::now();
    for (const auto& [id, s] : st_->sessions) {
        out.push_back(s.info);
        out.back().ghost = s.info.ghost && now < s.ghost_until;
    }
    return out;
}

std::vector<ws_session_id> fake_slack::open_session_ids() const {
    std::lock_guard lock(mutex_);
    std::vector<ws_session_id> out;
    for (const auto& [id, s] : st_->sessions)
        if (s.info.open && s.info.ready) out.push_back(id);
    return out;
}

int fake_slack::num_connections() const {
    std::lock_guard lock(mutex_);
    return st_->count_connections(clock_type::now());
}

bool fake_slack::wait_for_sessions(int n_open, std::chrono::milliseconds timeout) {
    return wait_for([n_open](const fake_slack& self) { return static_cast<int>(self.open_session_ids().size()) == n_open; },
                    timeout);
}

std::optional<int> fake_slack::wait_for_close_code(ws_session_id session, std::chrono::milliseconds timeout) {
    std::optional<int> code;
    wait_for(
        [&](const fake_slack& self) {
            for (const auto& s : self.sessions())
                if (s.id == session && s.close_code) {
                    code = s.close_code;
                    return true;
                }
            return false;
        },
        timeout);
    return code;
}

std::vector<std::string> fake_slack::received_frames(ws_session_id session) const {
    std::lock_guard lock(mutex_);
    auto* s = st_->find_session(session);
    return s ? s->frames : std::vector<std::string>{};
}

std::vector<std::string> fake_slack::pongs(ws_session_id session) const {
    std::lock_guard lock(mutex_);
    auto* s = st_->find_session(session);
    return s ? s->pongs : std::vector<std::string>{};
}

std::vector<slack_envelope> fake_slack::envelopes() const {
    std::lock_guard lock(mutex_);
    return st_->envelopes;
}

std::vector<slack_ack> fake_slack::acks() const {
    std::lock_guard lock(mutex_);
    return st_->acks;
}

std::optional<slack_ack> fake_slack::find_ack(const std::string& envelope_id) const {
    std::lock_guard lock(mutex_);
    auto it = st_->first_ack_at.find(envelope_id);
    if (it == st_->first_ack_at.end()) return std::nullopt;
    return st_->acks[it->second];
}

std::optional<slack_envelope> fake_slack::find_envelope(const std::string& envelope_id) const {
    std::lock_guard lock(mutex_);
    if (const auto* e = st_->find_envelope(envelope_id)) return *e;
    return std::nullopt;
}

std::optional<slack_ack> fake_slack::wait_for_ack(const std::string& envelope_id, std::chrono::milliseconds timeout) {
    std::optional<slack_ack> found;
    wait_for(
        [&](const fake_slack& self) {
            found = self.find_ack(envelope_id);
            return found.has_value();
        },
        timeout);
    return found;
}

std::vector<slack_envelope> fake_slack::late_acks() const {
    std::lock_guard lock(mutex_);
    std::vector<slack_envelope> out;
    for (const auto& e : st_->envelopes)
        if (e.late) out.push_back(e);
    return out;
}

std::vector<slack_envelope> fake_slack::failures() const {
    std::lock_guard lock(mutex_);
    std::vector<slack_envelope> out;
    for (const auto& e : st_->envelopes)
        if (!e.failure.empty()) out.push_back(e);
    return out;
}

std::vector<slack_message> fake_slack::posted_messages() const {
    std::lock_guard lock(mutex_);
    return st_->messages;
}

std::vector<slack_message> fake_slack::messages_in(const std::string& channel) const {
    std::lock_guard lock(mutex_);
    std::vector<slack_message> out;
    for (const auto& m : st_->messages)
        if (m.channel == channel) out.push_back(m);
    return out;
}

std::optional<slack_message> fake_slack::message(const std::string& channel, const std::string& ts) const {
    std::lock_guard lock(mutex_);
    for (const auto& m : st_->messages)
        if (m.channel == channel && m.ts == ts) return m;
    return std::nullopt;
}

std::vector<slack_message> fake_slack::update_history(const std::string& channel, const std::string& ts) const {
    std::lock_guard lock(mutex_);
    auto it = st_->history.find({channel, ts});
    return it == st_->history.end() ? std::vector<slack_message>{} : it->second;
}

std::vector<slack_ephemeral> fake_slack::ephemerals() const {
    std::lock_guard lock(mutex_);
    return st_->ephemerals;
}

std::vector<slack_view> fake_slack::views() const {
    std::lock_guard lock(mutex_);
    return st_->views;
}

std::vector<slack_view_response> fake_slack::view_responses() const {
    std::lock_guard lock(mutex_);
    return st_->view_responses;
}

std::vector<slack_message> fake_slack::channel_timeline(const std::string& channel) const {
    std::lock_guard lock(mutex_);
    std::vector<slack_message> out;
    for (const auto& m : st_->messages)
        if (m.channel == channel && !m.deleted && (m.thread_ts.empty() || m.reply_broadcast)) out.push_back(m);
    return out;
}

std::vector<slack_response_url_post> fake_slack::response_url_posts() const {
    std::lock_guard lock(mutex_);
    return st_->response_url_posts;
}

std::optional<slack_message> fake_slack::wait_for_message(const std::function<bool(const slack_message&)>& pred,
                                                          std::chrono::milliseconds timeout) {
    std::optional<slack_message> found;
    wait_for(
        [&](const fake_slack& self) {
            for (const auto& m : self.posted_messages())
                if (pred(m)) {
                    found = m;
                    return true;
                }
            return false;
        },
        timeout);
    return found;
}

std::optional<slack_ephemeral> fake_slack::wait_for_ephemeral(const std::function<bool(const slack_ephemeral&)>& pred,
                                                              std::chrono::milliseconds timeout) {
    std::optional<slack_ephemeral> found;
    wait_for(
        [&](const fake_slack& self) {
            for (const auto& e : self.ephemerals())
                if (pred(e)) {
                    found = e;
                    return true;
                }
            return false;
        },
        timeout);
    return found;
}

bool fake_slack::wait_for(const std::function<bool(const fake_slack& self)>& pred, std::chrono::milliseconds timeout) {
    // pred takes the lock itself (through the snapshot functions), so wait on
    // the generation counter and evaluate pred unlocked.
    auto deadline = clock_type::now() + timeout;
    for (;;) {
        std::uint64_t seen;
        {
            std::lock_guard lock(mutex_);
            seen = st_->generation;
        }
        if (pred(*this)) return true;
        std::unique_lock lock(mutex_);
        if (!changed_.wait_until(lock, deadline, [&] { return st_->generation != seen; })) {
            lock.unlock();
            return pred(*this);
        }
    }
}

std::vector<slack_ack> fake_slack::acks_from(std::size_t from) const {
    std::lock_guard lock(mutex_);
    if (from >= st_->acks.size()) return {};
    return {st_->acks.begin() + static_cast<std::ptrdiff_t>(from), st_->acks.end()};
}

}  // namespace deploybot::fakes
