#include "commands/workflow/deploy_request.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <stdexcept>

namespace deploybot {
namespace json = boost::json;

// ---- names ----

std::string_view to_string(request_state s) {
    switch (s) {
        case request_state::collecting: return "collecting";
        case request_state::scheduled: return "scheduled";
        case request_state::promoting: return "promoting";
        case request_state::live: return "live";
        case request_state::failed: return "failed";
        case request_state::cancelled: return "cancelled";
        case request_state::outcome_unknown: return "unknown";
    }
    return "collecting";
}

std::optional<request_state> parse_request_state(std::string_view s) {
    for (auto st : {request_state::collecting, request_state::scheduled, request_state::promoting, request_state::live,
                    request_state::failed, request_state::cancelled, request_state::outcome_unknown})
        if (to_string(st) == s) return st;
    return std::nullopt;
}

bool is_terminal(request_state s) {
    return s == request_state::live || s == request_state::failed || s == request_state::cancelled ||
           s == request_state::outcome_unknown;
}

std::string_view to_string(staging_model m) {
    switch (m) {
        case staging_model::staged_production: return "A";
        case staging_model::custom_environment: return "B";
        case staging_model::preview_branch: return "C";
        case staging_model::unknown: break;
    }
    return "unknown";
}

staging_model parse_staging_model(std::string_view s) {
    if (s == "A") return staging_model::staged_production;
    if (s == "B") return staging_model::custom_environment;
    if (s == "C") return staging_model::preview_branch;
    return staging_model::unknown;
}

std::string_view to_string(item_key k) {
    switch (k) {
        case item_key::tests: return "tests";
        case item_key::staging: return "staging";
        case item_key::migrations: return "migrations";
        case item_key::flags: return "flags";
        case item_key::notified: return "notified";
        case item_key::rollback: return "rollback";
    }
    return "tests";
}

std::optional<item_key> parse_item_key(std::string_view s) {
    for (auto k : all_items)
        if (to_string(k) == s) return k;
    return std::nullopt;
}

std::string_view item_title(item_key k) {
    switch (k) {
        case item_key::tests: return "All tests pass";
        case item_key::staging: return "Staging tested and approved";
        case item_key::migrations: return "Database migrations tested";
        case item_key::flags: return "Feature flags configured";
        case item_key::notified: return "Team notified";
        case item_key::rollback: return "Rollback plan ready";
    }
    return "";
}

std::string_view to_string(item_state s) {
    switch (s) {
        case item_state::pending: return "pending";
        case item_state::done: return "done";
        case item_state::failed: return "failed";
        case item_state::not_applicable: return "not_applicable";
        case item_state::waiting: return "waiting";
    }
    return "pending";
}

std::optional<item_state> parse_item_state(std::string_view s) {
    for (auto st : {item_state::pending, item_state::done, item_state::failed, item_state::not_applicable,
                    item_state::waiting})
        if (to_string(st) == s) return st;
    return std::nullopt;
}

std::string_view to_string(flags_choice c) {
    switch (c) {
        case flags_choice::configured: return "configured";
        case flags_choice::not_needed: return "not_needed";
        case flags_choice::none: break;
    }
    return "none";
}

namespace {

flags_choice parse_flags_choice(std::string_view s) {
    if (s == "configured") return flags_choice::configured;
    if (s == "not_needed") return flags_choice::not_needed;
    return flags_choice::none;
}

ci_state parse_ci_state(std::string_view s) {
    for (auto c : {ci_state::green, ci_state::pending, ci_state::red, ci_state::unknown})
        if (to_string(c) == s) return c;
    return ci_state::unknown;
}

template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

std::string short_sha(std::string_view sha) { return std::string(sha.substr(0, 7)); }

std::string describe_candidate(const candidate_info& c) {
    return c.deployment_id + " (" + short_sha(c.commit_sha) + ")";
}

bool is_settled(item_state s) { return s == item_state::done || s == item_state::not_applicable; }

// ---- transitions ----

struct machine {
    const deploy_request& before;
    time_point now;
    transition_result out;

    machine(const deploy_request& r, time_point t) : before(r), now(t) { out.request = r; }

    deploy_request& req() { return out.request; }

    transition_result refuse(const std::string& user, std::string reason) {
        transition_result r;
        r.request = before;
        if (!user.empty()) r.effects.push_back(post_refusal{user, reason});
        r.refused = refusal{std::move(reason)};
        return r;
    }
    // Internal events that do not apply (late, duplicate) change nothing and say nothing.
    transition_result ignore() {
        transition_result r;
        r.request = before;
        return r;
    }
    transition_result accept(std::string what) {
        out.changed = true;
        out.audit_what = std::move(what);
        out.request.revision = before.revision + 1;
        out.request.updated_at = now;
        return std::move(out);
    }

    // Refusal text for user clicks on a request that can no longer change.
    std::optional<std::string> closed_reason() const {
        switch (before.state) {
            case request_state::promoting:
                return "Production deploy #" + std::to_string(before.id) +
                       " is already promoting; the checklist is frozen until it finishes.";
            case request_state::live:
            case request_state::failed:
            case request_state::cancelled:
            case request_state::outcome_unknown:
                return "Production deploy #" + std::to_string(before.id) + " is " + std::string(to_string(before.state)) +
                       "; start a new request with /deploy prod.";
            default: return std::nullopt;
        }
    }

    // `why` is stored plain text (rendered escaped); `announcement` may mention people.
    void void_sign_off(const std::string& why, const std::string& announcement) {
        auto& r = req();
        r.sign_off_void = true;
        r.sign_off_void_reason = why;
        out.effects.push_back(announce_sign_off_void{announcement});
    }

    // Staging item from the candidate + sign-off.
    void refresh_staging_item() {
        auto& r = req();
        auto& it = r.item(item_key::staging);
        if (!r.candidate.ready) {
            it.state = item_state::pending;
            it.evidence = "Staging deployment " + describe_candidate(r.candidate) + " is not READY yet";
            if (r.sign_off_void) it.evidence += ". " + r.sign_off_void_reason;
            it.evidence_url = r.candidate.url;
            it.by_user.clear();
            it.at.reset();
        } else if (r.sign_off && r.sign_off->deployment_id == r.candidate.deployment_id) {
            it.state = item_state::done;
            it.evidence = "QA signed off " + describe_candidate(r.candidate);
            it.evidence_url = r.candidate.url;
            it.by_user = r.sign_off->user;
            it.at = r.sign_off->at;
        } else {
            // waiting for a QA lead; after a void sign-off the evidence says why.
            it.state = r.sign_off_void ? item_state::pending : item_state::waiting;
            it.evidence = r.sign_off_void ? r.sign_off_void_reason
                                          : "Staging serves " + describe_candidate(r.candidate) +
                                                " (READY); waiting for a QA lead's sign-off";
            it.evidence_url = r.candidate.url;
            it.by_user.clear();
            it.at.reset();
        }
    }

    transition_result on(const checklist_evaluated& e) {
        if (before.state != request_state::collecting && before.state != request_state::scheduled) return ignore();
        auto& r = req();
        const bool candidate_moved =
            !e.staging.deployment_id.empty() && e.staging.deployment_id != r.candidate.deployment_id;
        if (candidate_moved) {
            out.effects.push_back(candidate_changed{r.candidate.deployment_id, e.staging.deployment_id});
            if (r.sign_off && !r.sign_off_void) {
                const std::string what = "was for " + describe_candidate(r.candidate) + "; staging now serves " +
                                         describe_candidate(e.staging) + ", so it is void — a QA lead must sign off again";
                void_sign_off("The QA sign-off " + what, "<@" + r.sign_off->user + "> your QA sign-off " + what + ".");
            }
            r.candidate = e.staging;
        } else if (!e.staging.deployment_id.empty()) {
            r.candidate.ready = e.staging.ready;
            if (r.candidate.model == staging_model::unknown) r.candidate.model = e.staging.model;
        }
        refresh_staging_item();
        if (!e.production.deployment_id.empty()) r.production = e.production;

        auto& tests = r.item(item_key::tests);
        r.last_ci = e.ci.verdict;
        const auto tests_state = e.ci.verdict == ci_state::green ? item_state::done
                                 : e.ci.verdict == ci_state::red ? item_state::failed
                                                                 : item_state::pending;
        if (tests_state != tests.state || e.ci.summary != tests.evidence) tests.at = now;
        tests.state = tests_state;
        tests.evidence = e.ci.summary;   // the candidate line already names the commit
        tests.evidence_url = !e.ci.offending.empty() && !e.ci.offending.front().url.empty() ? e.ci.offending.front().url
                                                                                           : e.ci_url;
        tests.by_user.clear();

        auto& mig = r.item(item_key::migrations);
        if (!e.touches_migrations) {
            if (mig.state != item_state::not_applicable) mig.at = now;
            mig.state = item_state::not_applicable;
            mig.evidence = "No files under the migration paths change";
            mig.by_user.clear();
        } else if (mig.state != item_state::done || candidate_moved) {   // new code may add migrations
            mig.state = item_state::waiting;
            std::string files;
            for (std::size_t i = 0; i < e.migration_files.size() && i < 3; ++i) files += (i ? ", " : "") + e.migration_files[i];
            if (e.migration_files.size() > 3) files += " and " + std::to_string(e.migration_files.size() - 3) + " more";
            mig.evidence = std::to_string(e.migration_files.size()) + " migration file" +
                           (e.migration_files.size() == 1 ? "" : "s") + (files.empty() ? "" : ": " + files) +
                           "; a deployer or QA lead must confirm they were tested on staging";
            mig.by_user.clear();
            mig.at.reset();
        }

        auto& rb = r.item(item_key::rollback);
        const bool target_changed = e.rollback_target_id != r.rollback_target_id;
        r.rollback_target_id = e.rollback_target_id;
        if (!e.rollback_eligible) {
            rb.state = item_state::failed;
            rb.evidence = "No eligible production deployment to roll back to" +
                          (e.rollback_detail.empty() ? std::string() : ": " + e.rollback_detail);
            rb.by_user.clear();
            rb.at.reset();
        } else if (rb.state != item_state::done || target_changed) {
            rb.state = item_state::waiting;
            rb.evidence = "Would roll back to " + e.rollback_target_id +
                          (e.rollback_detail.empty() ? std::string() : " (" + e.rollback_detail + ")") +
                          "; confirm the rollback plan";
            rb.by_user.clear();
            rb.at.reset();
        }

        // The periodic refresh usually finds nothing new: no write, no audit row, no chat.update.
        if (out.effects.empty() && serialize_request(r) == serialize_request(before)) return ignore();
        out.effects.push_back(update_message{});
        return accept("checklist evaluated: " + std::to_string(done_count(r)) + "/6 done");
    }

    transition_result on(const message_posted& e) {
        if (is_terminal(before.state)) return ignore();
        auto& r = req();
        if (r.message_ts == e.ts && r.item(item_key::notified).state == item_state::done) return ignore();
        r.channel = e.channel.empty() ? r.channel : e.channel;
        r.message_ts = e.ts;
        auto& it = r.item(item_key::notified);
        it.state = item_state::done;
        it.evidence = "Checklist posted in the deploy channel";
        it.at = now;
        return accept("message posted " + e.ts);
    }

    transition_result on(const qa_sign_off_clicked& e) {
        if (auto why = closed_reason()) return refuse(e.user, *why);
        const auto& r = before;
        if (e.user == r.requester)
            return refuse(e.user, "Two-person rule: you requested production deploy #" + std::to_string(r.id) +
                                      ", so someone else — a QA lead — must sign off staging.");
        if (!r.candidate.ready)
            return refuse(e.user, "Staging deployment " + describe_candidate(r.candidate) +
                                      " is not READY yet; sign off once it is.");
        if (r.sign_off && r.sign_off->deployment_id == r.candidate.deployment_id && !r.sign_off_void)
            return refuse(e.user, "Staging " + describe_candidate(r.candidate) + " is already signed off by <@" +
                                      r.sign_off->user + ">.");
        req().sign_off = qa_sign_off{e.user, now, r.candidate.deployment_id, r.candidate.commit_sha};
        req().sign_off_void = false;
        req().sign_off_void_reason.clear();
        refresh_staging_item();
        out.effects.push_back(update_message{});
        return accept("qa sign-off by " + e.user + " for " + describe_candidate(r.candidate));
    }

    transition_result on(const confirm_migrations& e) {
        if (auto why = closed_reason()) return refuse(e.user, *why);
        auto& it = req().item(item_key::migrations);
        if (it.state == item_state::not_applicable)
            return refuse(e.user, "No migrations ship in this release; nothing to confirm.");
        if (it.state == item_state::pending)
            return refuse(e.user, "The release has not been checked for migrations yet; press Refresh first.");
        if (it.state == item_state::done)
            return refuse(e.user, "Migrations were already confirmed by <@" + it.by_user + ">.");
        it.state = item_state::done;
        it.evidence = "Migrations tested on staging (confirmed)";
        it.by_user = e.user;
        it.at = now;
        out.effects.push_back(update_message{});
        return accept("migrations confirmed by " + e.user);
    }

    transition_result on(const flags_chosen& e) {
        if (auto why = closed_reason()) return refuse(e.user, *why);
        if (e.choice == flags_choice::none) return refuse(e.user, "Choose Configured or Not needed.");
        if (before.flags == e.choice) return ignore();
        req().flags = e.choice;
        auto& it = req().item(item_key::flags);
        it.state = item_state::done;
        it.evidence = e.choice == flags_choice::configured ? "Feature flags configured" : "No feature flags needed";
        it.by_user = e.user;
        it.at = now;
        out.effects.push_back(update_message{});
        return accept("flags " + std::string(to_string(e.choice)) + " by " + e.user);
    }

    transition_result on(const confirm_rollback_plan& e) {
        if (auto why = closed_reason()) return refuse(e.user, *why);
        auto& it = req().item(item_key::rollback);
        if (it.state == item_state::failed)
            return refuse(e.user, "There is no eligible production deployment to roll back to (" + it.evidence +
                                      "); the plan cannot be confirmed until there is one.");
        if (it.state == item_state::pending)
            return refuse(e.user, "The rollback target has not been checked yet; press Refresh first.");
        if (it.state == item_state::done)
            return refuse(e.user, "The rollback plan was already confirmed by <@" + it.by_user + ">.");
        it.state = item_state::done;
        it.evidence = "Rollback to " + req().rollback_target_id + " confirmed";
        it.by_user = e.user;
        it.at = now;
        out.effects.push_back(update_message{});
        return accept("rollback plan confirmed by " + e.user);
    }

    transition_result on(const override_schedule& e) {
        if (auto why = closed_reason()) return refuse(e.admin, *why);
        if (e.reason.find_first_not_of(" \t\n") == std::string::npos)
            return refuse(e.admin, "A schedule override needs a written reason, e.g. /deploy override payment outage fix.");
        auto& r = req();
        r.window_override = schedule_override{e.admin, e.reason, now};
        if (r.state == request_state::scheduled) r.state = request_state::collecting;
        out.effects.push_back(announce_override{e.admin, e.reason});
        out.effects.push_back(update_message{});
        return accept("schedule override by " + e.admin + ": " + e.reason);
    }

    transition_result on(const window_opened&) {
        if (before.state != request_state::scheduled) return ignore();
        req().state = request_state::collecting;
        req().next_window.clear();
        out.effects.push_back(mention_requester_window_open{before.requester});
        out.effects.push_back(update_message{});
        return accept("deploy window opened");
    }

    transition_result on(const window_closed& e) {
        if (before.state != request_state::collecting || before.window_override) return ignore();
        req().state = request_state::scheduled;
        req().next_window = e.next_window;
        out.effects.push_back(update_message{});
        return accept("deploy window closed; next " + e.next_window);
    }

    transition_result on(const deploy_clicked& e) {
        if (before.state == request_state::promoting)
            return refuse(e.user, "Production deploy #" + std::to_string(before.id) + " is already promoting (" +
                                      before.promote.attempt_id + "); this click changes nothing.");
        if (auto why = closed_reason()) return refuse(e.user, *why);
        const auto missing = missing_for_deploy(before, e.window_open, e.next_window);
        if (!missing.empty()) {
            std::string text = "Can't deploy #" + std::to_string(before.id) + " yet: ";
            for (std::size_t i = 0; i < missing.size(); ++i) text += (i ? "; " : "") + missing[i];
            text += ".";
            return refuse(e.user, text);
        }
        auto& r = req();
        r.state = request_state::promoting;
        r.promote_attempts = before.promote_attempts + 1;
        r.promote = promote_info{};
        r.promote.attempt_id = std::to_string(r.id) + "-" + std::to_string(r.promote_attempts);
        r.promote.clicked_by = e.user;
        r.promote.clicked_at = now;
        out.effects.push_back(update_message{});
        out.effects.push_back(
            start_promote{r.promote.attempt_id, r.candidate.deployment_id, r.candidate.commit_sha, r.candidate.model});
        return accept("promoting " + describe_candidate(r.candidate) + " (attempt " + r.promote.attempt_id +
                      ") clicked by " + e.user);
    }

    bool other_attempt(const std::string& attempt) const {
        return !attempt.empty() && attempt != before.promote.attempt_id;
    }

    transition_result on(const promote_started& e) {
        if (before.state != request_state::promoting || other_attempt(e.attempt_id) || before.promote.started_at)
            return ignore();
        req().promote.started_at = now;
        req().promote.target_deployment_id = e.target_deployment_id.empty() ? before.candidate.deployment_id
                                                                            : e.target_deployment_id;
        out.effects.push_back(update_message{});
        return accept("promote started: " + req().promote.target_deployment_id);
    }

    transition_result on(const promote_sending& e) {
        if (before.state != request_state::promoting || other_attempt(e.attempt_id)) return ignore();
        auto& r = req();
        r.promote.sent_baseline_ms = e.baseline_ms;
        if (!e.target_deployment_id.empty()) r.promote.target_deployment_id = e.target_deployment_id;
        if (!r.promote.started_at) r.promote.started_at = now;
        return accept("promote POST of " + r.promote.target_deployment_id + " (baseline " +
                      std::to_string(e.baseline_ms) + ")");
    }

    transition_result on(const promote_finished& e) {
        if (before.state != request_state::promoting || other_attempt(e.attempt_id)) return ignore();
        auto& r = req();
        if (!e.target_deployment_id.empty()) r.promote.target_deployment_id = e.target_deployment_id;
        if (r.promote.target_deployment_id.empty()) r.promote.target_deployment_id = r.candidate.deployment_id;
        if (!r.promote.started_at) r.promote.started_at = now;
        r.promote.finished_at = now;
        r.announcement_owed = true;
        if (e.ok) {
            r.state = request_state::live;
            r.promote.outcome = "live";
            out.effects.push_back(update_message{});
            out.effects.push_back(announce_live{r.promote.target_deployment_id, r.candidate.commit_sha});
            return accept("live: " + r.promote.target_deployment_id);
        }
        if (e.unknown) {
            r.state = request_state::outcome_unknown;
            r.promote.outcome = "unknown";
            r.promote.error = e.error;
            out.effects.push_back(update_message{});
            out.effects.push_back(announce_unknown{e.error});
            return accept("promote outcome unknown: " + e.error);
        }
        r.state = request_state::failed;
        r.promote.outcome = "failed";
        r.promote.error = e.error.empty() ? "unknown error" : e.error;
        out.effects.push_back(update_message{});
        out.effects.push_back(announce_failed{r.promote.error});
        return accept("promote failed: " + r.promote.error);
    }

    transition_result on(const announcement_posted& e) {
        if (!before.announcement_owed) return ignore();
        auto& r = req();
        r.announcement_owed = false;
        r.announcement_ts = e.ts;
        return accept("outcome announced " + e.ts);
    }

    transition_result on(const cancel_request& e) {
        if (before.state == request_state::promoting)
            return refuse(e.user, "Production deploy #" + std::to_string(before.id) +
                                      " is promoting and cannot be cancelled; once it finishes, use /deploy rollback "
                                      "if production needs to go back.");
        if (auto why = closed_reason()) return refuse(e.user, *why);
        if (e.user != before.requester && !e.is_admin)
            return refuse(e.user, "Only the requester (<@" + before.requester +
                                      ">) or an admin can cancel production deploy #" + std::to_string(before.id) + ".");
        req().state = request_state::cancelled;
        req().cancelled_by = e.user;
        out.effects.push_back(update_message{});
        out.effects.push_back(announce_cancelled{e.user});
        return accept("cancelled by " + e.user);
    }
};

}  // namespace

const checklist_item& deploy_request::item(item_key k) const {
    for (const auto& it : items)
        if (it.key == k) return it;
    throw std::logic_error("deploy_request without checklist item");   // make_/parse_ always create all six
}

checklist_item& deploy_request::item(item_key k) {
    return const_cast<checklist_item&>(static_cast<const deploy_request&>(*this).item(k));
}

deploy_request make_deploy_request(std::int64_t id, std::string requester, std::string channel,
                                   candidate_info candidate, production_info production, bool window_open,
                                   std::string next_window, time_point now) {
    deploy_request r;
    r.id = id;
    r.requester = std::move(requester);
    r.channel = std::move(channel);
    r.created_at = r.updated_at = now;
    r.candidate = std::move(candidate);
    r.production = std::move(production);
    r.state = window_open ? request_state::collecting : request_state::scheduled;
    if (!window_open) r.next_window = std::move(next_window);
    for (auto k : all_items) r.items.push_back(checklist_item{k});
    r.item(item_key::flags).state = item_state::waiting;
    r.item(item_key::flags).evidence = "Configured or Not needed?";
    return r;
}

int done_count(const deploy_request& req) {
    return static_cast<int>(std::count_if(req.items.begin(), req.items.end(),
                                          [](const checklist_item& it) { return is_settled(it.state); }));
}

std::vector<std::string> missing_for_deploy(const deploy_request& r, bool window_open, std::string_view next_window) {
    std::vector<std::string> out;
    for (const auto& it : r.items) {
        if (is_settled(it.state)) continue;
        switch (it.key) {
            case item_key::tests:
                if (it.state == item_state::failed)
                    out.push_back("CI failed (" + it.evidence + ")");
                else if (r.last_ci == ci_state::pending)
                    out.push_back("CI is still running (" + it.evidence + ")");
                else
                    out.push_back("CI is not green (" + (it.evidence.empty() ? std::string("not checked yet") : it.evidence) +
                                  ")");
                break;
            case item_key::staging:
                if (!r.candidate.ready)
                    out.push_back("staging deployment " + describe_candidate(r.candidate) + " is not READY");
                else if (r.sign_off_void)
                    out.push_back("QA sign-off missing (the previous one is void: staging moved)");
                else
                    out.push_back("QA sign-off missing");
                break;
            case item_key::migrations:
                out.push_back(it.state == item_state::waiting ? "database migrations not confirmed"
                                                              : "migrations not checked yet (press Refresh)");
                break;
            case item_key::flags: out.push_back("feature flags not confirmed (Configured or Not needed)"); break;
            case item_key::notified: out.push_back("team not notified yet (checklist message not posted)"); break;
            case item_key::rollback:
                if (it.state == item_state::failed)
                    out.push_back("no eligible rollback target");
                else if (it.state == item_state::waiting)
                    out.push_back("rollback plan not confirmed");
                else
                    out.push_back("rollback target not checked yet (press Refresh)");
                break;
        }
    }
    if (!window_open && !r.window_override) {
        if (next_window.empty())
            out.push_back("outside the deploy window — no window in the next 14 days (an admin can override with a reason)");
        else
            out.push_back("outside the deploy window — next window " + std::string(next_window));
    }
    return out;
}

bool is_deployable(const deploy_request& req, bool window_open) {
    return (req.state == request_state::collecting || req.state == request_state::scheduled) &&
           missing_for_deploy(req, window_open, "").empty();
}

transition_result apply(const deploy_request& req, const deploy_event& ev, time_point now) {
    return std::visit([&](const auto& e) { return machine{req, now}.on(e); }, ev);
}

std::string_view event_name(const deploy_event& e) {
    return std::visit(overloaded{
                          [](const checklist_evaluated&) { return "checklist_evaluated"; },
                          [](const message_posted&) { return "message_posted"; },
                          [](const qa_sign_off_clicked&) { return "qa_sign_off"; },
                          [](const confirm_migrations&) { return "confirm_migrations"; },
                          [](const flags_chosen&) { return "flags"; },
                          [](const confirm_rollback_plan&) { return "confirm_rollback_plan"; },
                          [](const override_schedule&) { return "override_schedule"; },
                          [](const window_opened&) { return "window_opened"; },
                          [](const window_closed&) { return "window_closed"; },
                          [](const deploy_clicked&) { return "deploy_clicked"; },
                          [](const promote_started&) { return "promote_started"; },
                          [](const promote_sending&) { return "promote_sending"; },
                          [](const promote_finished&) { return "promote_finished"; },
                          [](const cancel_request&) { return "cancel"; },
                          [](const announcement_posted&) { return "announcement_posted"; },
                      },
                      e);
}

std::string_view effect_name(const effect& e) {
    return std::visit(overloaded{
                          [](const post_refusal&) { return "post_refusal"; },
                          [](const update_message&) { return "update_message"; },
                          [](const start_promote&) { return "start_promote"; },
                          [](const verify_promote&) { return "verify_promote"; },
                          [](const announce_live&) { return "announce_live"; },
                          [](const announce_failed&) { return "announce_failed"; },
                          [](const announce_unknown&) { return "announce_unknown"; },
                          [](const mention_requester_window_open&) { return "mention_requester_window_open"; },
                          [](const announce_override&) { return "announce_override"; },
                          [](const announce_cancelled&) { return "announce_cancelled"; },
                          [](const announce_sign_off_void&) { return "announce_sign_off_void"; },
                          [](const candidate_changed&) { return "candidate_changed"; },
                      },
                      e);
}

std::vector<effect> resume_effects(const deploy_request& r) {
    std::vector<effect> out;
    if (is_terminal(r.state)) return out;
    if (r.state == request_state::promoting)
        out.push_back(verify_promote{r.promote.attempt_id, r.candidate.deployment_id, r.promote.target_deployment_id,
                                     r.promote.sent_baseline_ms});
    else
        out.push_back(update_message{});
    return out;
}

// ---- JSON ----
namespace {

std::int64_t to_ms(time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
time_point from_ms(std::int64_t ms) {
    // Clamped so the conversion to the clock's nanoseconds cannot overflow (±290 years).
    constexpr std::int64_t limit = std::int64_t{9'000'000'000'000};
    ms = std::clamp(ms, -limit, limit);
    return time_point{std::chrono::duration_cast<time_point::duration>(std::chrono::milliseconds{ms})};
}

json::value opt_ms(const std::optional<time_point>& t) { return t ? json::value(to_ms(*t)) : json::value(nullptr); }

std::string get_str(const json::object& o, std::string_view k) {
    if (const auto* v = o.if_contains(k); v && v->is_string()) return std::string(v->get_string());
    return {};
}
std::int64_t get_int(const json::object& o, std::string_view k, std::int64_t def = 0) {
    const auto* v = o.if_contains(k);
    if (!v) return def;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return v->get_uint64() > static_cast<std::uint64_t>(INT64_MAX) ? def : static_cast<std::int64_t>(v->get_uint64());
    // Range-checked before converting: a double outside int64 is undefined behaviour.
    if (v->is_double() && std::abs(v->get_double()) < 9.0e18) return static_cast<std::int64_t>(v->get_double());
    return def;
}
bool get_bool(const json::object& o, std::string_view k) {
    const auto* v = o.if_contains(k);
    return v && v->is_bool() && v->get_bool();
}
std::optional<time_point> get_opt_time(const json::object& o, std::string_view k) {
    const auto* v = o.if_contains(k);
    if (!v || !(v->is_int64() || v->is_uint64() || v->is_double())) return std::nullopt;
    return from_ms(get_int(o, k));
}
const json::object* get_obj(const json::object& o, std::string_view k) {
    const auto* v = o.if_contains(k);
    return v && v->is_object() ? &v->get_object() : nullptr;
}

json::object candidate_to_json(const candidate_info& c) {
    return {{"deployment_id", c.deployment_id}, {"url", c.url},
            {"commit_sha", c.commit_sha},       {"commit_message", c.commit_message},
            {"created_at", to_ms(c.created_at)}, {"staging_model", to_string(c.model)},
            {"ready", c.ready}};
}

candidate_info candidate_from_json(const json::object& o) {
    candidate_info c;
    c.deployment_id = get_str(o, "deployment_id");
    c.url = get_str(o, "url");
    c.commit_sha = get_str(o, "commit_sha");
    c.commit_message = get_str(o, "commit_message");
    c.created_at = from_ms(get_int(o, "created_at"));
    c.model = parse_staging_model(get_str(o, "staging_model"));
    c.ready = get_bool(o, "ready");
    return c;
}

}  // namespace

std::string serialize_request(const deploy_request& r) {
    json::array items;
    for (const auto& it : r.items)
        items.push_back(json::object{{"key", to_string(it.key)},         {"state", to_string(it.state)},
                                     {"evidence", it.evidence},          {"evidence_url", it.evidence_url},
                                     {"by_user", it.by_user},            {"at", opt_ms(it.at)}});
    json::object o{
        {"id", r.id},
        {"revision", r.revision},
        {"state", to_string(r.state)},
        {"requester", r.requester},
        {"created_at", to_ms(r.created_at)},
        {"updated_at", to_ms(r.updated_at)},
        {"channel", r.channel},
        {"message_ts", r.message_ts},
        {"candidate", candidate_to_json(r.candidate)},
        {"production", json::object{{"deployment_id", r.production.deployment_id},
                                    {"commit_sha", r.production.commit_sha}}},
        {"items", std::move(items)},
        {"sign_off_void", r.sign_off_void},
        {"sign_off_void_reason", r.sign_off_void_reason},
        {"flags", to_string(r.flags)},
        {"next_window", r.next_window},
        {"last_ci", to_string(r.last_ci)},
        {"rollback_target_id", r.rollback_target_id},
        {"promote_attempts", r.promote_attempts},
        {"cancelled_by", r.cancelled_by},
        {"announcement_owed", r.announcement_owed},
        {"announcement_ts", r.announcement_ts},
    };
    if (r.sign_off)
        o["sign_off"] = json::object{{"user", r.sign_off->user},
                                     {"at", to_ms(r.sign_off->at)},
                                     {"deployment_id", r.sign_off->deployment_id},
                                     {"commit_sha", r.sign_off->commit_sha}};
    if (r.window_override)
        o["override"] = json::object{{"admin", r.window_override->admin},
                                     {"reason", r.window_override->reason},
                                     {"at", to_ms(r.window_override->at)}};
    const auto& p = r.promote;
    o["promote"] = json::object{{"attempt_id", p.attempt_id},
                                {"clicked_by", p.clicked_by},
                                {"clicked_at", opt_ms(p.clicked_at)},
                                {"started_at", opt_ms(p.started_at)},
                                {"target_deployment_id", p.target_deployment_id},
                                {"finished_at", opt_ms(p.finished_at)},
                                {"outcome", p.outcome},
                                {"error", p.error},
                                {"sent_baseline_ms", p.sent_baseline_ms},
                                {"outcome_note", p.outcome_note}};
    return json::serialize(o);
}

result<deploy_request> parse_request(std::string_view text) {
    system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return make_error_code(errc::bad_json);
    const auto& o = v.get_object();
    deploy_request r;
    r.id = get_int(o, "id");
    r.revision = get_int(o, "revision");
    r.state = parse_request_state(get_str(o, "state")).value_or(request_state::collecting);
    r.requester = get_str(o, "requester");
    r.created_at = from_ms(get_int(o, "created_at"));
    r.updated_at = from_ms(get_int(o, "updated_at"));
    r.channel = get_str(o, "channel");
    r.message_ts = get_str(o, "message_ts");
    if (const auto* c = get_obj(o, "candidate")) r.candidate = candidate_from_json(*c);
    if (const auto* p = get_obj(o, "production")) {
        r.production.deployment_id = get_str(*p, "deployment_id");
        r.production.commit_sha = get_str(*p, "commit_sha");
    }
    // Always the six items in order, whatever the blob holds.
    for (auto k : all_items) r.items.push_back(checklist_item{k});
    if (const auto* items = o.if_contains("items"); items && items->is_array()) {
        for (const auto& iv : items->get_array()) {
            if (!iv.is_object()) continue;
            const auto& io = iv.get_object();
            const auto key = parse_item_key(get_str(io, "key"));
            if (!key) continue;
            auto& it = r.item(*key);
            it.state = parse_item_state(get_str(io, "state")).value_or(item_state::pending);
            it.evidence = get_str(io, "evidence");
            it.evidence_url = get_str(io, "evidence_url");
            it.by_user = get_str(io, "by_user");
            it.at = get_opt_time(io, "at");
        }
    }
    if (const auto* s = get_obj(o, "sign_off"))
        r.sign_off = qa_sign_off{get_str(*s, "user"), from_ms(get_int(*s, "at")), get_str(*s, "deployment_id"),
                                 get_str(*s, "commit_sha")};
    r.sign_off_void = get_bool(o, "sign_off_void");
    r.sign_off_void_reason = get_str(o, "sign_off_void_reason");
    r.flags = parse_flags_choice(get_str(o, "flags"));
    if (const auto* ov = get_obj(o, "override"))
        r.window_override = schedule_override{get_str(*ov, "admin"), get_str(*ov, "reason"), from_ms(get_int(*ov, "at"))};
    r.next_window = get_str(o, "next_window");
    r.last_ci = parse_ci_state(get_str(o, "last_ci"));
    r.rollback_target_id = get_str(o, "rollback_target_id");
    r.promote_attempts = static_cast<int>(get_int(o, "promote_attempts"));
    r.cancelled_by = get_str(o, "cancelled_by");
    if (const auto* v = o.if_contains("announcement_owed"); v && v->is_bool()) r.announcement_owed = v->get_bool();
    r.announcement_ts = get_str(o, "announcement_ts");
    if (const auto* p = get_obj(o, "promote")) {
        r.promote.attempt_id = get_str(*p, "attempt_id");
        r.promote.clicked_by = get_str(*p, "clicked_by");
        r.promote.clicked_at = get_opt_time(*p, "clicked_at");
        r.promote.started_at = get_opt_time(*p, "started_at");
        r.promote.target_deployment_id = get_str(*p, "target_deployment_id");
        r.promote.finished_at = get_opt_time(*p, "finished_at");
        r.promote.outcome = get_str(*p, "outcome");
        r.promote.error = get_str(*p, "error");
        // Written by every version that sends promotes this way; a request saved by an
        // older version may have sent it: 0 makes the resume read Vercel first.
        r.promote.sent_baseline_ms = p->contains("sent_baseline_ms") ? get_int(*p, "sent_baseline_ms") : 0;
        r.promote.outcome_note = get_str(*p, "outcome_note");
    }
    return r;
}

}  // namespace deploybot
