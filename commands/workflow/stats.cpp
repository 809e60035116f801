#include "commands/workflow/stats.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace deploybot {
namespace {

using std::chrono::seconds;

bool in(time_point t, time_point from, time_point to) { return from <= t && t < to; }

bool is_deploy(const deploy_request& r) { return r.kind == record_kind::production || r.kind == record_kind::hotfix; }

bool is_restore(const deploy_request& r) { return r.kind == record_kind::rollback || r.kind == record_kind::hotfix; }

std::optional<seconds> median(std::vector<seconds> v) {
    if (v.empty()) return std::nullopt;
    std::sort(v.begin(), v.end());
    const auto mid = v.size() / 2;
    if (v.size() % 2 == 1) return v[mid];
    return (v[mid - 1] + v[mid]) / 2;
}

seconds to_seconds(time_point::duration d) { return std::chrono::duration_cast<seconds>(d); }

// When the watch of `r` first saw a regression (the check that raised it ran
// at the end of its interval); nullopt when it never did.
std::optional<time_point> first_alert(const deploy_request& r) {
    if (r.watch.interval_s <= 0) return std::nullopt;
    for (const auto& c : r.watch.checks)
        if (c.regression) return r.watch.live_at + seconds(r.watch.interval_s * c.index);
    return std::nullopt;
}

// Records by id, and who answered which deploy: rollbacks name theirs; a hotfix
// was made on top of what production served when it was requested.
class record_index {
public:
    explicit record_index(const std::vector<deploy_request>& records) {
        for (const auto& r : records) by_id_[r.id] = &r;
        for (const auto& r : records) {
            if (r.kind == record_kind::rollback && r.rollback.rolls_back != 0) answered_[r.rollback.rolls_back] = true;
            if (r.kind == record_kind::hotfix && attempted(r))
                if (const auto* fixed = serving(r.production.deployment_id, r.id)) answered_[fixed->id] = true;
        }
    }

    const deploy_request* find(std::int64_t id) const {
        auto it = by_id_.find(id);
        return it == by_id_.end() ? nullptr : it->second;
    }

    // The deploy a rollback or hotfix answered, when it is one of ours.
    const deploy_request* answered_by(const deploy_request& r) const {
        if (r.kind == record_kind::rollback) return find(r.rollback.rolls_back);
        if (r.kind == record_kind::hotfix) return serving(r.production.deployment_id, r.id);
        return nullptr;
    }

    bool was_answered(const deploy_request& r) const { return answered_.count(r.id) != 0; }

private:
    // A hotfix counts once it went out (or is going out), not when merely requested.
    static bool attempted(const deploy_request& r) {
        return r.state == request_state::promoting || r.state == request_state::outcome_unknown || live_time(r);
    }
    // Our newest live record (other than `self`) that served `deployment_id`.
    const deploy_request* serving(const std::string& deployment_id, std::int64_t self) const {
        if (deployment_id.empty()) return nullptr;
        const deploy_request* best = nullptr;
        for (const auto& [id, r] : by_id_)
            if (id != self && live_time(*r) && r->promote.target_deployment_id == deployment_id) best = r;
        return best;
    }

    std::map<std::int64_t, const deploy_request*> by_id_;
    std::map<std::int64_t, bool> answered_;
};

bool failed(const deploy_request& r, const record_index& idx) {
    return r.state == request_state::rolled_back || r.watch.phase == watch_phase::regressed || idx.was_answered(r);
}

}  // namespace

stats_days parse_stats_days(std::string_view args) {
    if (args.empty()) return {default_stats_days, {}};
    const std::string usage = "/deploy stats [days] takes a number of days from " + std::to_string(min_stats_days) +
                              " to " + std::to_string(max_stats_days) + " (default " +
                              std::to_string(default_stats_days) + "), e.g. /deploy stats 90";
    const bool digits = std::all_of(args.begin(), args.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) return {std::nullopt, usage + "."};
    int n = 0;
    const auto* end = args.data() + args.size();
    const auto [p, ec] = std::from_chars(args.data(), end, n);
    if (ec == std::errc() && p == end && n >= min_stats_days && n <= max_stats_days) return {n, {}};
    if (ec == std::errc() && n < min_stats_days) return {std::nullopt, usage + "; 0 days have no figures."};
    return {std::nullopt, usage + "; that is more than a year."};
}

std::optional<double> period_figures::failure_rate() const {
    if (deploys <= 0) return std::nullopt;
    return static_cast<double>(failed) / deploys;
}

std::optional<time_point> live_time(const deploy_request& r) {
    if (r.state != request_state::live && r.state != request_state::rolled_back) return std::nullopt;
    if (r.promote.finished_at) return r.promote.finished_at;
    if (r.watch.live_at != time_point{}) return r.watch.live_at;
    return std::nullopt;
}

period_figures compute_period(const std::vector<deploy_request>& records, time_point from, time_point to) {
    period_figures f;
    f.from = from;
    f.to = to;
    const record_index idx(records);
    std::vector<seconds> leads, restores;
    for (const auto& r : records) {
        if (in(r.created_at, from, to)) ++f.records;
        const auto live = live_time(r);
        if (is_deploy(r) && live && in(*live, from, to)) {
            ++f.deploys;
            if (r.kind == record_kind::hotfix) ++f.hotfixes;
            if (failed(r, idx)) ++f.failed;
            // PRs read for another commit than the one that went live do not count.
            if (!r.changes.prs.empty() && r.changes.head_sha == r.candidate.commit_sha) {
                ++f.lead_time_deploys;
                for (const auto& c : r.changes.prs) {
                    if (c.first_commit_at > *live) continue;   // a clock oddity, not a negative lead time
                    leads.push_back(to_seconds(*live - c.first_commit_at));
                    ++f.lead_time_prs;
                }
            } else {
                ++f.lead_time_unknown;
            }
        }
        if (is_restore(r)) {
            if (live && in(*live, from, to)) {
                auto start = r.created_at;
                if (const auto* broken = idx.answered_by(r))
                    if (auto alert = first_alert(*broken); alert && *alert < start) start = *alert;
                if (start <= *live) {
                    restores.push_back(to_seconds(*live - start));
                    ++f.restores;
                }
            } else if (r.state == request_state::promoting && in(r.created_at, from, to)) {
                ++f.open_incidents;
            }
        }
    }
    f.lead_time_median = median(std::move(leads));
    f.restore_median = median(std::move(restores));
    return f;
}

stats_report compute_stats(const std::vector<deploy_request>& records, time_point now, int days) {
    stats_report rep;
    rep.days = std::clamp(days, min_stats_days, max_stats_days);
    const auto len = std::chrono::days(rep.days);
    rep.current = compute_period(records, now - len, now);
    rep.previous = compute_period(records, now - 2 * len, now - len);
    return rep;
}

}  // namespace deploybot
