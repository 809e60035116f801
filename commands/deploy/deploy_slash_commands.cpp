// /deploy prod, cancel, override, lock, unlock, status, history and the
// checklist buttons.
#include "commands/deploy/deploy_service_impl.hpp"

#include "bot/core/time_ms.hpp"
#include "bot/core/permissions.hpp"
#include "bot/log.hpp"
#include "commands/gather.hpp"
#include "commands/render/post_live_message.hpp"
#include "commands/render/refusal_text.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace deploybot::deploy_detail {

namespace {

using namespace boost::asio::experimental::awaitable_operators;

std::string or_none(const std::string& s) { return s.empty() ? "(none configured)" : s; }

std::optional<deploy_lock> parse_lock(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    boost::system::error_code ec;
    auto v = boost::json::parse(*text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    deploy_lock l;
    auto& o = v.as_object();
    if (auto* x = o.if_contains("by"); x && x->is_string()) l.by = std::string(x->get_string());
    if (auto* x = o.if_contains("reason"); x && x->is_string()) l.reason = std::string(x->get_string());
    if (auto* x = o.if_contains("at_ms"); x && x->is_int64()) l.at_ms = x->get_int64();
    return l;
}

}  // namespace

std::optional<deploy_lock> deploy_service_impl::current_lock() const {
    return parse_lock(ctx_.db.get_kv("deploy_lock"));
}

lock_view deploy_service_impl::view_of(const deploy_lock& l) const {
    return {l.by, l.at_ms > 0 ? describe_local(ctx_.cfg.schedule, from_ms(l.at_ms)) : std::string(), l.reason};
}

std::optional<lock_view> deploy_service_impl::current_lock_view() const {
    auto l = current_lock();
    if (!l) return std::nullopt;
    return view_of(*l);
}

std::string deploy_service_impl::lock_text(const deploy_lock& l) const { return refusal_text(lock_refusal(view_of(l))); }

bool deploy_service_impl::is_admin(std::string_view user) const { return has_role(ctx_.cfg.people, user, role::admin); }

std::string deploy_service_impl::already_open_text(const deploy_request& active) const {
    if (active.kind == record_kind::rollback)
        return fmt::format("Rollback #{} by <@{}> is in progress; wait for it to finish (its message in <#{}> "
                           "says when), then `/deploy prod`.",
                           active.id, active.requester, channel_of(active));
    if (active.message_ts.empty())
        return fmt::format("Production deploy #{} by <@{}> is already open ({}); its checklist message could not "
                           "be posted yet and I keep trying. Finish or `/deploy cancel` it first.",
                           active.id, active.requester, to_string(active.state));
    return fmt::format("Production deploy #{} by <@{}> is already open ({}) — see its checklist message in <#{}>. "
                       "Finish or `/deploy cancel` it first.",
                       active.id, active.requester, to_string(active.state), channel_of(active));
}

asio::awaitable<void> deploy_service_impl::cmd_prod(slash_command cmd) {
    auto self = shared_from_this();
    if (auto p = check_permission(ctx_.cfg.people, cmd.user_id, action::request_deploy); !p.allowed) {
        co_await reply_ephemeral(ctx_, cmd, plain(p.reason));
        co_return;
    }
    if (auto l = current_lock_view()) {
        co_await reply_ephemeral(ctx_, cmd, plain(refusal_text(lock_refusal(*l))));
        co_return;
    }
    if (auto active = store_.active()) {
        co_await reply_ephemeral(
            ctx_, cmd,
            plain(already_open_text(*active)));
        co_return;
    }
    auto id = store_.next_id();
    if (!id) {
        co_await reply_ephemeral(ctx_, cmd, plain("deploybot cannot write its database; nothing was started."));
        co_return;
    }
    const auto now = ctx_.clock();
    const auto ws = evaluate_schedule(ctx_.cfg.schedule, now);
    auto req = make_deploy_request(*id, cmd.user_id, cmd.channel_id, {}, {}, ws.is_open, ws.next_open_text, now);
    audit_entry created;
    created.at = now;
    created.user_id = cmd.user_id;
    created.kind = "transition";
    created.what = fmt::format("production deploy #{} requested ({})", *id, to_string(req.state));
    created.channel_id = cmd.channel_id;
    if (auto r = store_.save(req, created); !r) {
        co_await reply_ephemeral(ctx_, cmd, plain("deploybot cannot write its database; nothing was started."));
        co_return;
    }
    arm_checklist_timer();
    // The message goes out at once (it is the team notification); evidence fills it in.
    if (auto err = co_await post_checklist(*id, false); !err.empty()) {
        co_await reply_ephemeral(ctx_, cmd,
                                 plain("I could not post the checklist in this channel (" + err +
                                       "). Is deploybot invited to the channel? The request stays open and I "
                                       "keep trying to post it; `/deploy cancel` to drop it."));
        spawn(keep_posting_checklist(*id), "post checklist");
    }
    if (!ws.is_open)
        co_await reply_ephemeral(ctx_, cmd,
                                 plain(fmt::format("Outside the deploy window: production deploy #{} is scheduled "
                                                   "for the next window, {}. You can complete the checklist now; "
                                                   "I will mention you when the window opens. Urgent? An admin can "
                                                   "deploy it now with `/deploy override` plus a reason.",
                                                   *id, or_none(ws.next_open_text))));
    co_await refresh(*id, cmd.user_id);
}

asio::awaitable<void> deploy_service_impl::cmd_cancel(slash_command cmd) {
    auto active = store_.active();
    if (!active) {
        co_await reply_ephemeral(ctx_, cmd, plain("There is no open production deploy request to cancel."));
        co_return;
    }
    auto out = transition(active->id, cancel_request{cmd.user_id, is_admin(cmd.user_id)}, cmd.user_id);
    if (!out.error.empty()) co_await reply_ephemeral(ctx_, cmd, plain(out.error));
    else if (out.accepted)
        co_await reply_ephemeral(ctx_, cmd, plain(fmt::format("Production deploy #{} cancelled.", active->id)));
}

asio::awaitable<void> deploy_service_impl::cmd_override(slash_command cmd, command_request req) {
    if (auto p = check_permission(ctx_.cfg.people, cmd.user_id, action::override_schedule); !p.allowed) {
        co_await reply_ephemeral(ctx_, cmd, plain(p.reason));
        co_return;
    }
    auto active = store_.active();
    if (!active) {
        co_await reply_ephemeral(ctx_, cmd, plain("There is no open production deploy request to override."));
        co_return;
    }
    auto out = transition(active->id, override_schedule{cmd.user_id, req.args}, cmd.user_id);
    if (!out.error.empty()) co_await reply_ephemeral(ctx_, cmd, plain(out.error));
}

asio::awaitable<void> deploy_service_impl::cmd_lock(slash_command cmd, command_request req) {
    if (auto p = check_permission(ctx_.cfg.people, cmd.user_id, action::lock); !p.allowed) {
        co_await reply_ephemeral(ctx_, cmd, plain(p.reason));
        co_return;
    }
    if (req.args.empty()) {
        co_await reply_ephemeral(ctx_, cmd, plain("Say why: `/deploy lock <reason>`, e.g. `/deploy lock black friday freeze`."));
        co_return;
    }
    if (auto l = current_lock()) {
        co_await reply_ephemeral(ctx_, cmd, plain("Already locked. " + lock_text(*l)));
        co_return;
    }
    const auto now = ctx_.clock();
    boost::json::object o{{"by", cmd.user_id}, {"reason", req.args}, {"at_ms", to_ms(now)}};
    // The lock, its audit row and the command's own (with its envelope id) commit together.
    if (auto r = ctx_.db.write_audited(audit_row(ctx_, cmd.user_id, "lock", req.args, cmd.channel_id),
                                       [&] { return ctx_.db.put_kv("deploy_lock", boost::json::serialize(o)); });
        !r) {
        co_await reply_ephemeral(ctx_, cmd, plain("deploybot cannot write its database; not locked."));
        co_return;
    }
    deploy_request where;
    where.channel = ctx_.cfg.slack.channel;
    co_await announce(where, plain(fmt::format(":lock: <@{}> locked production deploys: {}", cmd.user_id,
                                               blocks::escape(req.args)),
                                   "lock"));
}

asio::awaitable<void> deploy_service_impl::cmd_unlock(slash_command cmd) {
    if (auto p = check_permission(ctx_.cfg.people, cmd.user_id, action::unlock); !p.allowed) {
        co_await reply_ephemeral(ctx_, cmd, plain(p.reason));
        co_return;
    }
    auto l = current_lock();
    if (!l) {
        co_await reply_ephemeral(ctx_, cmd, plain("Production deploys are not locked."));
        co_return;
    }
    if (auto r = ctx_.db.write_audited(audit_row(ctx_, cmd.user_id, "unlock", l->reason, cmd.channel_id),
                                       [&] { return ctx_.db.erase_kv("deploy_lock"); });
        !r) {
        co_await reply_ephemeral(ctx_, cmd, plain("deploybot cannot write its database; still locked."));
        co_return;
    }
    deploy_request where;
    where.channel = ctx_.cfg.slack.channel;
    co_await announce(where, plain(fmt::format(":unlock: <@{}> unlocked production deploys (locked by <@{}> for: {}).",
                                               cmd.user_id, l->by, blocks::escape(l->reason)),
                                   "unlock"));
}

std::string deploy_service_impl::describe_deployment(const outcome<vercel_alias>& alias,
                                                     const outcome<vercel_deployment>& dep) const {
    if (!alias) return "unknown (" + alias.error().to_string() + ")";
    if (alias->deployment_id.empty()) return "not assigned to a deployment";
    if (!dep) return "`" + alias->deployment_id + "` (" + dep.error().to_string() + ")";
    return fmt::format("`{}` — `{}` {}{}{}", dep->id, short_sha(dep->git_sha), blocks::escape(dep->git_message),
                       alias->updated_at_ms ? ", since " + describe_local(ctx_.cfg.schedule, from_ms(alias->updated_at_ms))
                                            : std::string(),
                       dep->creator.empty() ? std::string() : ", by " + blocks::escape(dep->creator));
}

asio::awaitable<deploy_service_impl::status_reads> deploy_service_impl::read_status() {
    auto self = shared_from_this();   // may finish after /deploy status gave up on it
    const auto& vc = ctx_.cfg.vercel;
    auto round4 = co_await (vercel_.get_alias(vc.production_domain) && vercel_.get_alias(vc.staging_domain) &&
                            vercel_.get_project());
    auto round5 = co_await (get_deployment_or_empty(deployment_of(std::get<0>(round4))) &&
                            get_deployment_or_empty(deployment_of(std::get<1>(round4))));
    co_return status_reads{std::move(std::get<0>(round4)), std::move(std::get<1>(round4)),
                           std::move(std::get<0>(round5)), std::move(std::get<1>(round5)),
                           std::move(std::get<2>(round4))};
}

// Production pinned by a rollback (vercel.md §3.7): automatic assignment is off until a promote.
std::string deploy_service_impl::pinned_line(const status_reads& r) const {
    if (!r.project || !r.project->last_alias_request || !r.prod_alias) return std::string();
    const auto& last = *r.project->last_alias_request;
    if (last.type != "rollback" || last.to_deployment_id != r.prod_alias->deployment_id) return std::string();
    std::string by;
    for (const auto& rec : store_.history(10))
        if (rec.kind == record_kind::rollback && rec.state == request_state::live &&
            rec.candidate.deployment_id == last.to_deployment_id) {
            by = fmt::format(" by rollback #{}", rec.id);
            break;
        }
    return fmt::format(":pushpin: *Pinned*{}: Vercel does not assign new production builds automatically; the next "
                       "`/deploy prod` (a promote) unpins it.\n",
                       by);
}

std::string deploy_service_impl::watch_lines() const {
    std::string out;
    for (const auto& r : store_.post_live_pending())
        if (r.watch.phase == watch_phase::watching)
            out += fmt::format("*Watch*: {} — {}\n", record_name(r), render_watch_phase(r.watch));
    return out;
}

std::string deploy_service_impl::not_answering_line(const std::string& what, const std::string& domain) const {
    return fmt::format("*{}* ({}): Vercel is not answering (no reply within {} s); try again shortly\n", what,
                       domain, status_deadline.count() / 1000);
}

asio::awaitable<void> deploy_service_impl::cmd_status(slash_command cmd) {
    auto self = shared_from_this();
    const auto& vc = ctx_.cfg.vercel;
    auto reads = co_await within(ctx_.executor, read_status(), status_deadline);
    auto m = render_basic_status(ctx_);
    std::string text;
    if (reads) {
        text += fmt::format("*Production* ({}): {}\n", vc.production_domain,
                            describe_deployment(reads->prod_alias, reads->prod_dep));
        text += fmt::format("*Staging* ({}): {}\n", vc.staging_domain,
                            describe_deployment(reads->staging_alias, reads->staging_dep));
        text += pinned_line(*reads);
    } else {
        text += not_answering_line("Production", vc.production_domain);
        text += not_answering_line("Staging", vc.staging_domain);
    }
    if (auto active = store_.active(); active && active->kind == record_kind::rollback)
        text += fmt::format("*Active*: rollback #{} by <@{}>, in progress\n", active->id, active->requester);
    else if (active)
        text += fmt::format("*Active request*: #{} by <@{}>, {} ({}/6 done)\n", active->id, active->requester,
                            to_string(active->state), done_count(*active));
    else
        text += "*Active request*: none\n";
    text += watch_lines();
    for (const auto& r : store_.post_live_pending())
        if (r.kind == record_kind::hotfix && r.state == request_state::live && r.hotfix.backport_pending)
            text += "*Back-merge pending*: " + render_backport_pending(r) + "\n";
    if (auto l = current_lock()) text += "*Lock*: " + lock_text(*l) + "\n";
    else text += "*Lock*: not locked\n";
    const auto ws = evaluate_schedule(ctx_.cfg.schedule, ctx_.clock());
    // (if/else, not ?: — gcc 12 miscompiles string temporaries in a conditional inside a coroutine)
    if (ws.is_open) text += "*Deploy window*: open until " + ws.closes_at_text;
    else if (ws.next_open_text.empty()) text += "*Deploy window*: closed; no window configured";
    else text += "*Deploy window*: closed; next " + ws.next_open_text;
    m.blocks.push_back(blocks::section(text, "status.deploy"));
    co_await reply_ephemeral(ctx_, cmd, std::move(m));
}

std::string deploy_service_impl::watch_suffix(const deploy_request& r) {
    if (r.watch.phase == watch_phase::none) return std::string();
    return " — watch: " + render_watch_phase(r.watch);
}

// Not a coroutine on purpose: string temporaries in ?: are miscompiled in
// gcc 12 coroutines.
std::string deploy_service_impl::render_history(const std::vector<deploy_request>& list) const {
    std::string text = list.empty() ? "No production deploys yet." : "";
    for (const auto& r : list) {
        const char* icon = r.state == request_state::live                ? ":white_check_mark:"
                           : r.state == request_state::failed          ? ":x:"
                           : r.state == request_state::outcome_unknown ? ":grey_question:"
                           : r.state == request_state::rolled_back     ? ":rewind:"
                                                                       : ":heavy_minus_sign:";
        const auto took = r.promote.finished_at && r.promote.clicked_at
                              ? ", promote took " + render_duration(*r.promote.finished_at - *r.promote.clicked_at)
                              : std::string();
        if (r.kind == record_kind::rollback) {
            text += fmt::format("{} #{} rollback {} — back to `{}` {} — by <@{}>: {}, {}{}{}\n", icon, r.id,
                                to_string(r.state), short_sha(r.candidate.commit_sha),
                                blocks::escape(blocks::truncate(r.candidate.commit_message, 60)), r.requester,
                                blocks::escape(blocks::truncate(r.rollback.reason, 80)),
                                describe_local(ctx_.cfg.schedule, r.updated_at), took, watch_suffix(r));
            continue;
        }
        text += fmt::format("{} #{} {} — `{}` {} — requested by <@{}>{}{}, {}{}{}{}\n", icon, r.id, to_string(r.state),
                            short_sha(r.candidate.commit_sha), blocks::escape(blocks::truncate(r.candidate.commit_message, 60)),
                            r.requester, r.sign_off ? ", signed off by <@" + r.sign_off->user + ">" : "",
                            r.promote.clicked_by.empty() ? "" : ", deployed by <@" + r.promote.clicked_by + ">",
                            describe_local(ctx_.cfg.schedule, r.updated_at), took,
                            r.rolled_back_by ? fmt::format(" — rolled back by #{}", r.rolled_back_by) : std::string(),
                            watch_suffix(r));
    }
    return text;
}

asio::awaitable<void> deploy_service_impl::cmd_history(slash_command cmd, command_request req) {
    std::size_t n = 10;
    if (!req.args.empty()) {
        int parsed = 0;
        auto [ptr, ec] = std::from_chars(req.args.data(), req.args.data() + req.args.size(), parsed);
        if (ec != std::errc{} || ptr != req.args.data() + req.args.size() || parsed < 1) {
            co_await reply_ephemeral(ctx_, cmd, plain("Usage: `/deploy history [n]` with n between 1 and 30."));
            co_return;
        }
        n = static_cast<std::size_t>(std::min(parsed, 30));
    }
    auto list = store_.history(n);
    const std::string text = render_history(list);
    blocks::message m;
    m.text = fmt::format("Last {} production deploys", list.size());
    m.blocks.push_back(blocks::section(blocks::truncate(text, blocks::max_section_text), "history"));
    co_await reply_ephemeral(ctx_, cmd, std::move(m));
}

// Refresh costs about eight API calls: one manual refresh per request per
// 10 s. Returns how long to wait (0 = go ahead, and the slot is taken).
std::chrono::seconds deploy_service_impl::manual_refresh_wait(std::int64_t id) {
    constexpr auto spacing = std::chrono::seconds(10);
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(last_manual_refresh_, [&](const auto& kv) { return now - kv.second >= spacing; });
    if (auto it = last_manual_refresh_.find(id); it != last_manual_refresh_.end())
        return std::chrono::ceil<std::chrono::seconds>(spacing - (now - it->second));
    last_manual_refresh_[id] = now;
    return std::chrono::seconds(0);
}

asio::awaitable<void> deploy_service_impl::on_click(block_action click) {
    auto self = shared_from_this();
    auto act = parse_deploy_action(click.action_id);
    std::int64_t id = 0;
    std::from_chars(click.value.data(), click.value.data() + click.value.size(), id);
    std::optional<deploy_request> req;
    if (act) req = store_.load(id);
    if (!act || !req) {
        co_await reply_ephemeral(ctx_, click, plain("That button belongs to a deploy request I no longer know."));
        co_return;
    }
    // A click counts only on the request's own message, in its channel.
    if (click.channel_id != channel_of(*req) || (!req->message_ts.empty() && click.message_ts != req->message_ts)) {
        log::warn("deploy", "click {} for #{} came from {} / {}, not the request's message; ignored",
                  click.action_id, id, click.channel_id, click.message_ts);
        co_await reply_ephemeral(ctx_, click,
                                 plain(fmt::format("That button is not on production deploy #{}'s checklist "
                                                   "message; nothing was done.",
                                                   id)));
        co_return;
    }
    // Role and lock refusals are ours to post; the state machine posts its own.
    auto permitted = [&](action a) -> std::optional<std::string> {
        auto p = check_permission(ctx_.cfg.people, click.user_id, a);
        if (p.allowed) return std::nullopt;
        return p.reason;
    };
    std::optional<std::string> refusal;
    transition_result out;
    switch (*act) {
    case deploy_action::signoff:
        if (!(refusal = permitted(action::sign_off_staging))) out = transition(id, qa_sign_off_clicked{click.user_id}, click.user_id);
        break;
    case deploy_action::migrations:
        if (!(refusal = permitted(action::confirm_migrations))) out = transition(id, confirm_migrations{click.user_id}, click.user_id);
        break;
    case deploy_action::flags_configured:
    case deploy_action::flags_not_needed:
        if (!(refusal = permitted(action::confirm_flags)))
            out = transition(id,
                             flags_chosen{click.user_id, *act == deploy_action::flags_configured ? flags_choice::configured
                                                                                                : flags_choice::not_needed},
                             click.user_id);
        break;
    case deploy_action::rollback_plan:
        if (!(refusal = permitted(action::confirm_rollback_plan)))
            out = transition(id, confirm_rollback_plan{click.user_id}, click.user_id);
        break;
    case deploy_action::undo_signoff:
        if (!(refusal = permitted(action::sign_off_staging)))
            out = transition(id, item_undone{click.user_id, item_key::staging}, click.user_id);
        break;
    case deploy_action::undo_migrations:
        if (!(refusal = permitted(action::confirm_migrations)))
            out = transition(id, item_undone{click.user_id, item_key::migrations}, click.user_id);
        break;
    case deploy_action::undo_flags:
        if (!(refusal = permitted(action::confirm_flags)))
            out = transition(id, item_undone{click.user_id, item_key::flags}, click.user_id);
        break;
    case deploy_action::undo_rollback_plan:
        if (!(refusal = permitted(action::confirm_rollback_plan)))
            out = transition(id, item_undone{click.user_id, item_key::rollback}, click.user_id);
        break;
    case deploy_action::refresh:
        if (auto wait = manual_refresh_wait(id); wait.count() > 0)
            refusal = fmt::format("The checklist was refreshed moments ago; press Refresh again in {} s (it also "
                                  "refreshes itself every {} s).",
                                  wait.count(), ctx_.cfg.checklist_refresh.count());
        else
            spawn(refresh(id, click.user_id), "refresh");
        break;
    case deploy_action::cancel:
        out = transition(id, cancel_request{click.user_id, is_admin(click.user_id)}, click.user_id);
        break;
    case deploy_action::go: {
        if ((refusal = permitted(action::trigger_deploy))) break;
        const auto ws = evaluate_schedule(ctx_.cfg.schedule, ctx_.clock());
        out = transition(id, deploy_clicked{click.user_id, ws.is_open, ws.next_open_text, current_lock_view()},
                         click.user_id);
        break;
    }
    }
    if (!refusal && !out.error.empty()) refusal = out.error;
    if (refusal) co_await reply_ephemeral(ctx_, click, plain(std::move(*refusal), "refusal"));
}

}  // namespace deploybot::deploy_detail
