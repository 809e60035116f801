#pragma once
// DORA's four figures from the bot's own deploy records (/deploy stats and the
// weekly digest, issue #12). Pure: records and a period in, figures out; no
// GitHub, Slack or clock here.
//
// What counts:
// - a deploy is a production deploy or a hotfix that went live (rollbacks
//   restore, they are not deploys); it belongs to the period it went live in;
// - lead time: for each PR the deploy shipped (read at evaluation time and
//   stored with the record), its first commit → live; a deploy without stored
//   PRs is left out and counted as such;
// - a deploy failed when it was rolled back (a rollback record names it, even
//   one still under way), when a hotfix was made on top of it, or when its
//   watch regressed;
// - time to restore: from the watch alert on the broken deploy (or, without
//   one, the start of the rollback / hotfix) to the rollback or hotfix being
//   live; it belongs to the period production was restored in.
#include "commands/workflow/deploy_request.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot {

inline constexpr int min_stats_days = 1;
inline constexpr int max_stats_days = 365;
inline constexpr int default_stats_days = 30;

struct stats_days {
    std::optional<int> days;   // nullopt: refuse with `error`
    std::string error;         // plain text: what was wrong and the accepted range
};

// "" → 30; "7" → 7; "abc", "0", "100000" → an error naming 1–365.
stats_days parse_stats_days(std::string_view args);

struct period_figures {
    time_point from{}, to{};           // [from, to)
    int records = 0;                   // records of any kind created in the period
    // Deployment frequency.
    int deploys = 0;                   // production deploys + hotfixes that went live
    int hotfixes = 0;                  // of which hotfixes
    // Lead time for changes.
    std::optional<std::chrono::seconds> lead_time_median;
    int lead_time_prs = 0;             // PRs the median is taken over
    int lead_time_deploys = 0;         // deploys those PRs came with
    int lead_time_unknown = 0;         // deploys without stored PRs (not counted)
    // Change failure rate: failed / deploys.
    int failed = 0;
    // Time to restore.
    std::optional<std::chrono::seconds> restore_median;
    int restores = 0;                  // rollbacks and hotfixes that went live
    int open_incidents = 0;            // rollbacks and hotfixes still under way

    std::optional<double> failure_rate() const;   // nullopt without deploys
};

struct stats_report {
    int days = default_stats_days;
    period_figures current;            // [now - days, now)
    period_figures previous;           // the same length before it
};

// When production started serving the record; nullopt when it never did.
std::optional<time_point> live_time(const deploy_request& r);

// `records` should hold every record updated since `from` (more is fine).
period_figures compute_period(const std::vector<deploy_request>& records, time_point from, time_point to);

stats_report compute_stats(const std::vector<deploy_request>& records, time_point now, int days);

}  // namespace deploybot
