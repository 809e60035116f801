// Slack output of the deploy workflow: replies, announcements, the checklist
// message, and the posts that must arrive exactly once.
#include "commands/deploy/deploy_service_impl.hpp"

#include "bot/log.hpp"
#include "commands/render/post_live_message.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace deploybot::deploy_detail {

asio::awaitable<void> deploy_service_impl::ephemeral(std::string channel, std::string user, blocks::message m) {
    auto r = co_await ctx_.slack.post_ephemeral(channel, user, blocks::to_json(m));
    if (!r) log::warn("deploy", "ephemeral to {} failed: {}", user, r.error().to_string());
}

asio::awaitable<void> deploy_service_impl::announce(deploy_request req, blocks::message m) {
    auto body = blocks::to_json(m);
    body["channel"] = channel_of(req);
    body["unfurl_links"] = false;
    body["unfurl_media"] = false;
    auto r = co_await ctx_.slack.post_message(std::move(body));
    if (!r) log::warn("deploy", "announcement for #{} failed: {}", req.id, r.error().to_string());
}

asio::awaitable<void> deploy_service_impl::thread_reply(deploy_request req, std::string text) {
    auto body = blocks::to_json(plain(text, "thread"));
    body["channel"] = channel_of(req);
    if (!req.message_ts.empty()) body["thread_ts"] = req.message_ts;
    auto r = co_await ctx_.slack.post_message(std::move(body));
    if (!r) log::warn("deploy", "thread reply for #{} failed: {}", req.id, r.error().to_string());
}

const std::string& deploy_service_impl::channel_of(const deploy_request& req) const {
    return req.channel.empty() ? ctx_.cfg.slack.channel : req.channel;
}

message_context deploy_service_impl::message_ctx() const {
    message_context mc;
    mc.now = ctx_.clock();
    mc.schedule = ctx_.cfg.schedule;
    mc.window = evaluate_schedule(ctx_.cfg.schedule, mc.now);
    mc.production_domain = ctx_.cfg.vercel.production_domain;
    mc.staging_domain = ctx_.cfg.vercel.staging_domain;
    mc.qa_leads = ctx_.cfg.people.qa_leads;
    mc.big_batch_warning = ctx_.cfg.github.big_batch_warning;
    for (const auto& r : store_.post_live_pending())
        if (r.kind == record_kind::hotfix && r.state == request_state::live && r.hotfix.backport_pending)
            mc.pending_backports.push_back(render_backport_pending(r));
    return mc;
}

blocks::message deploy_service_impl::render(const deploy_request& req) const {
    if (req.kind != record_kind::production) return render_record_message(req, message_ctx());
    static const release_notes empty_notes;
    auto it = notes_.find(req.id);
    return render_deploy_message(req, it == notes_.end() ? empty_notes : it->second, message_ctx());
}

asio::awaitable<void> deploy_service_impl::update_checklist(std::int64_t id) {
    auto req = store_.load(id);   // render the latest persisted state, whatever triggered us
    if (!req || req->message_ts.empty()) co_return;
    auto r = co_await ctx_.slack.update_message(req->channel, req->message_ts, blocks::to_json(render(*req)));
    if (!r) log::warn("deploy", "chat.update of #{} failed: {}", id, r.error().to_string());
    // Someone deleted the checklist: an open request gets a new one. Slack's
    // word is the only signal that tells the message from its channel
    // (channel_not_found is not_found too, and a repost there would fail).
    if (!r && r.error().code == errc::not_found && r.error().reason == "message_not_found" &&
        !is_terminal(req->state))
        spawn(keep_posting_checklist(id, true), "repost checklist");
}

blocks::message deploy_service_impl::render_live(const deploy_request& req) const {
    return render_live_announcement(req, message_ctx());
}

blocks::message deploy_service_impl::render_failed(const deploy_request& req, const std::string&) const {
    return render_failed_announcement(req, message_ctx());
}

blocks::message deploy_service_impl::render_unknown(const deploy_request& req, const std::string&) const {
    return render_unknown_announcement(req, message_ctx());
}

// Where conversations.history starts looking for a post of ours: an hour
// back on the real clock (Slack's ts are real time, whatever ctx_.clock says).
std::string deploy_service_impl::lookup_oldest_ts() {
    const auto now = std::chrono::system_clock::now() - std::chrono::hours(1);
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()) +
           ".000000";
}

// Was the post with this key delivered after all? (a lost answer)
asio::awaitable<std::string> deploy_service_impl::find_post(std::string channel, std::string key) {
    auto found = co_await ctx_.slack.find_posted(channel, lookup_oldest_ts(), std::string(post_event_type), key);
    if (found) co_return *found;
    log::warn("deploy", "cannot look up post {} in {} ({}); it will be posted again", key, channel,
              found.error().to_string());
    co_return std::string();
}

// One chat.postMessage tagged with metadata {key}. When the answer is lost
// (or Slack answers 5xx) the channel is asked whether it arrived before
// anything is sent again. Returns the ts, or Slack's error code in `error`.
asio::awaitable<std::string> deploy_service_impl::post_tagged(json::object body, std::string key, std::string* error) {
    const std::string channel = body.contains("channel") && body.at("channel").is_string()
                                    ? std::string(body.at("channel").get_string())
                                    : ctx_.cfg.slack.channel;
    body["metadata"] = json::object{{"event_type", post_event_type}, {"event_payload", json::object{{"key", key}}}};
    auto posted = co_await ctx_.slack.post_message(std::move(body));
    if (posted) co_return posted->ts;
    if (posted.error().code == errc::outcome_unknown || posted.error().http_status >= 500) {
        auto ts = co_await find_post(channel, key);
        if (!ts.empty()) {
            log::info("deploy", "post {} had arrived although its answer was lost ({})", key, ts);
            co_return ts;
        }
    }
    if (error) *error = std::string(posted.error().word());
    log::warn("deploy", "post {} failed: {}", key, posted.error().to_string());
    co_return std::string();
}

asio::awaitable<std::chrono::milliseconds> deploy_service_impl::sleep_backoff(std::chrono::milliseconds backoff) {
    co_await sleep(backoff);
    co_return std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::minutes(5));
}

// The live / failed / unknown announcement: a persisted effect, retried
// until Slack has it (and after a restart), never posted twice.
asio::awaitable<void> deploy_service_impl::deliver_outcome(std::int64_t id, bool look_first) {
    auto self = shared_from_this();
    if (!announcing_.insert(id).second) co_return;
    std::chrono::milliseconds backoff{1000};
    bool first = !look_first;
    while (!stopping_) {
        auto req = store_.load(id);
        if (!req || !req->announcement_owed) break;
        const auto key = "outcome:" + std::to_string(id);
        if (!first) {
            // A previous try may have arrived (e.g. before a restart).
            if (auto ts = co_await find_post(channel_of(*req), key); !ts.empty()) {
                transition(id, announcement_posted{ts}, "");
                break;
            }
        }
        first = false;
        auto body = blocks::to_json(render_outcome(*req));
        body["channel"] = channel_of(*req);
        // In the checklist's thread, and broadcast so the channel sees it too.
        if (!req->message_ts.empty()) {
            body["thread_ts"] = req->message_ts;
            body["reply_broadcast"] = true;
        }
        body["unfurl_links"] = false;
        body["unfurl_media"] = false;
        std::string error;
        auto ts = co_await post_tagged(std::move(body), key, &error);
        if (!ts.empty()) {
            transition(id, announcement_posted{ts}, "");
            break;
        }
        backoff = co_await sleep_backoff(backoff);
    }
    announcing_.erase(id);
}

blocks::message deploy_service_impl::render_outcome(const deploy_request& req) const {
    if (req.kind != record_kind::production) return render_record_outcome(req, message_ctx());
    switch (req.state) {
    case request_state::live: return render_live(req);
    case request_state::outcome_unknown: return render_unknown(req, req.promote.error);
    case request_state::failed:
    case request_state::collecting:
    case request_state::scheduled:
    case request_state::promoting:
    case request_state::cancelled: break;
    case request_state::rolled_back: return render_live(req);   // announced live before it was rolled back
    }
    return render_failed(req, req.promote.error);
}

std::string deploy_service_impl::checklist_key(const deploy_request& req) {
    // A repost (the first message was deleted) is a different post.
    return "checklist:" + std::to_string(req.id) + (req.message_ts.empty() ? "" : ":" + req.message_ts);
}

// Posts the request's channel message and records its ts. With
// `look_first`, a message posted by an earlier try whose answer was lost (or
// before a restart) is found by its metadata instead of posted again.
// Returns Slack's error code on failure ("" on success).
asio::awaitable<std::string> deploy_service_impl::post_checklist(std::int64_t id, bool look_first) {
    auto req = store_.load(id);
    if (!req) co_return std::string("request not found");
    const auto key = checklist_key(*req);
    if (look_first) {
        if (auto ts = co_await find_post(channel_of(*req), key); !ts.empty()) {
            transition(id, message_posted{channel_of(*req), ts}, "");
            co_return std::string();
        }
    }
    auto body = blocks::to_json(render(*req));
    body["channel"] = channel_of(*req);
    body["unfurl_links"] = false;
    body["unfurl_media"] = false;
    std::string error;
    auto ts = co_await post_tagged(std::move(body), key, &error);
    if (ts.empty()) {
        log::error("deploy", "#{}: posting the checklist failed: {}", id, error);
        co_return error.empty() ? std::string("unknown_error") : error;
    }
    transition(id, message_posted{channel_of(*req), ts}, "");
    co_await show_outcome_if_closed(id, ts);
    co_return std::string();
}

// A click (Cancel) can close the request before the post's answer is back;
// the machine then ignores the post, so the message itself is brought up to
// date here, or it would show the state it was posted with for good.
asio::awaitable<void> deploy_service_impl::show_outcome_if_closed(std::int64_t id, std::string ts) {
    auto req = store_.load(id);
    if (!req || !is_terminal(req->state) || !req->message_ts.empty()) co_return;
    auto r = co_await ctx_.slack.update_message(channel_of(*req), ts, blocks::to_json(render(*req)));
    if (!r) log::warn("deploy", "chat.update of closed #{} failed: {}", id, r.error().to_string());
}

// Until the open request has a message: retried with backoff (not in
// channel, Slack down, or the message was deleted), never posted twice.
asio::awaitable<void> deploy_service_impl::keep_posting_checklist(std::int64_t id, bool repost) {
    auto self = shared_from_this();
    if (!posting_.insert(id).second) co_return;
    std::chrono::milliseconds backoff{2000};
    bool first = true;
    while (!stopping_) {
        auto req = store_.load(id);
        if (!req || is_terminal(req->state) || (!repost && !req->message_ts.empty())) break;
        if (!first) backoff = co_await sleep_backoff(backoff);
        if (auto again = store_.load(id); !again || is_terminal(again->state)) break;
        auto err = co_await post_checklist(id, !repost || !first);
        first = false;
        if (err.empty()) break;
    }
    posting_.erase(id);
}

}  // namespace deploybot::deploy_detail
