#include "commands/workflow/ci_verdict.hpp"

#include <algorithm>
#include <set>

namespace deploybot {
namespace {

enum class signal_kind { ok, pending, failed };

struct signal {
    std::string name;
    std::string url;
    signal_kind kind;
};

signal_kind classify_status(std::string_view state) {
    if (state == "success") return signal_kind::ok;
    if (state == "pending") return signal_kind::pending;
    return signal_kind::failed;   // error, failure and any unknown value
}

signal_kind classify_run(const check_run& r) {
    if (r.status != "completed") return signal_kind::pending;
    const std::string c = r.conclusion.value_or("");
    if (c == "success" || c == "neutral" || c == "skipped") return signal_kind::ok;
    return signal_kind::failed;   // failure, timed_out, cancelled, action_required, stale, unknown, null
}

std::string join_names(const std::vector<ci_offender>& v) {
    constexpr std::size_t shown = 5;
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < shown; ++i) {
        if (i) out += ", ";
        out += v[i].name;
    }
    if (v.size() > shown) out += " and " + std::to_string(v.size() - shown) + " more";
    return out;
}

}  // namespace

std::string_view to_string(ci_state s) { return enum_name(s, "unknown"); }

ci_verdict evaluate_ci(const ci_inputs& in) {
    std::vector<signal> signals;
    std::set<std::string> seen;
    for (const auto& r : in.check_runs) {
        // filter=latest keeps the newest run per name within one check suite; names
        // repeat across suites (two workflows with a `test` job), so every run
        // counts: only the same run listed twice (pagination overlap) is skipped.
        if (!seen.insert("run:" + r.name + "\n" + r.html_url).second) continue;
        signals.push_back({r.name, r.html_url, classify_run(r)});
    }
    if (in.status_total_count > 0) {
        for (const auto& s : in.statuses) {
            if (!seen.insert("status:" + s.context).second) continue;   // newest first: first one wins
            signals.push_back({s.context, s.target_url, classify_status(s.state)});
        }
    }
    if (!in.required_checks.empty()) {
        std::vector<signal> kept;
        for (const auto& name : in.required_checks) {
            bool found = false;
            for (const auto& s : signals)
                if (s.name == name) {
                    kept.push_back(s);
                    found = true;
                }
            if (!found) kept.push_back({name, "", signal_kind::pending});
        }
        signals = std::move(kept);
    }

    ci_verdict v;
    v.signal_count = static_cast<int>(signals.size());
    std::vector<ci_offender> failed, pending;
    for (const auto& s : signals) {
        if (s.kind == signal_kind::failed) failed.push_back({s.name, s.url});
        if (s.kind == signal_kind::pending) pending.push_back({s.name, s.url});
    }
    auto by_name = [](const ci_offender& a, const ci_offender& b) { return a.name < b.name; };
    std::sort(failed.begin(), failed.end(), by_name);
    std::sort(pending.begin(), pending.end(), by_name);

    if (!failed.empty()) {
        v.verdict = ci_state::red;
        v.summary = "failed: " + join_names(failed);
        v.offending = std::move(failed);
    } else if (!pending.empty()) {
        v.verdict = ci_state::pending;
        v.summary = std::to_string(pending.size()) + " pending: " + join_names(pending);
        v.offending = std::move(pending);
    } else if (!signals.empty()) {
        v.verdict = ci_state::green;
        v.summary = std::to_string(signals.size()) + (signals.size() == 1 ? " check passed" : " checks passed");
    } else {
        v.verdict = ci_state::unknown;
        v.summary = "no CI checks reported";
    }
    return v;
}

}  // namespace deploybot
