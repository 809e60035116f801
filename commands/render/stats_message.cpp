#include "commands/render/stats_message.hpp"

#include <fmt/format.h>

#include <cmath>

namespace deploybot {
namespace {

using std::chrono::seconds;

std::string plural(int n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string percent(double rate) { return fmt::format("{}%", static_cast<int>(std::lround(rate * 100.0))); }

std::string previous_days(const stats_report& r) { return plural(r.days, "day", "days"); }

// "↑ from 2", "↓ from 3 d 1 h", "= same as the previous 30 days".
template <class T, class Show>
std::string trend(const T& now, const T& before, Show show) {
    if (now == before) return "= same as before";
    return fmt::format("{} from {}", now > before ? "↑" : "↓", show(before));
}

// Deploys per week when there are fewer than one a day, else per day.
std::string rate(int deploys, int days) {
    const double per_day = static_cast<double>(deploys) / days;
    if (per_day >= 1.0) return fmt::format("{:.1f} per day", per_day);
    return fmt::format("{:.1f} per week", per_day * 7.0);
}

std::string no_earlier(const stats_report& r) {
    return "no figure for the previous " + previous_days(r);
}

}  // namespace

std::string describe_stats_duration(seconds d) {
    auto s = d.count();
    if (s < 0) s = 0;
    const long long days = s / 86400, hours = (s % 86400) / 3600, mins = (s % 3600) / 60;
    if (days > 0) return hours > 0 ? fmt::format("{} d {} h", days, hours) : fmt::format("{} d", days);
    if (hours > 0) return mins > 0 ? fmt::format("{} h {} min", hours, mins) : fmt::format("{} h", hours);
    if (mins > 0) return fmt::format("{} min", mins);
    return fmt::format("{} s", s);
}

std::string render_frequency(const stats_report& r) {
    const auto& c = r.current;
    const auto& p = r.previous;
    std::string out;
    if (c.deploys == 0) out = "no deploy went live";
    else out = fmt::format("{} ({})", plural(c.deploys, "deploy", "deploys"), rate(c.deploys, r.days));
    if (c.hotfixes > 0) out += fmt::format(", {} of them {}", c.hotfixes, c.hotfixes == 1 ? "a hotfix" : "hotfixes");
    out += "\n";
    // No record at all before: a 0 there would be made up.
    if (p.deploys == 0 && p.records == 0) out += no_earlier(r);
    else out += trend(c.deploys, p.deploys, [](int n) { return std::to_string(n); });
    out += fmt::format(" · based on {}", plural(c.deploys, "deploy", "deploys"));
    return out;
}

std::string render_lead_time(const stats_report& r) {
    const auto& c = r.current;
    const auto& p = r.previous;
    std::string out;
    if (!c.lead_time_median) {
        out = "not enough data";
    } else {
        out = fmt::format("median {} over {}", describe_stats_duration(*c.lead_time_median),
                          plural(c.lead_time_prs, "PR", "PRs"));
        out += "\n";
        if (p.lead_time_median) out += trend(*c.lead_time_median, *p.lead_time_median, describe_stats_duration);
        else out += no_earlier(r);
    }
    out += fmt::format(" · based on {}", plural(c.lead_time_deploys, "deploy", "deploys"));
    if (c.lead_time_unknown > 0)
        out += fmt::format(" ({} without recorded PRs not counted)", plural(c.lead_time_unknown, "deploy", "deploys"));
    return out;
}

std::string render_failure_rate(const stats_report& r) {
    const auto& c = r.current;
    const auto& p = r.previous;
    const auto now = c.failure_rate();
    if (!now) return "not enough data (no deploy went live)";
    std::string out = fmt::format("{} ({} of {} rolled back, hotfixed or regressed)\n", percent(*now), c.failed,
                                  c.deploys);
    if (const auto before = p.failure_rate()) {
        const int a = static_cast<int>(std::lround(*now * 100.0)), b = static_cast<int>(std::lround(*before * 100.0));
        out += trend(a, b, [](int v) { return std::to_string(v) + "%"; });
    } else {
        out += no_earlier(r);
    }
    out += fmt::format(" · based on {}", plural(c.deploys, "deploy", "deploys"));
    return out;
}

std::string render_time_to_restore(const stats_report& r) {
    const auto& c = r.current;
    const auto& p = r.previous;
    std::string out;
    if (!c.restore_median) {
        out = "not enough data (nothing was rolled back or hotfixed)";
    } else {
        out = fmt::format("median {}\n", describe_stats_duration(*c.restore_median));
        if (p.restore_median) out += trend(*c.restore_median, *p.restore_median, describe_stats_duration);
        else out += no_earlier(r);
        out += fmt::format(" · based on {}", plural(c.restores, "rollback or hotfix", "rollbacks and hotfixes"));
    }
    if (c.open_incidents > 0) out += fmt::format("; {} still under way", c.open_incidents);
    return out;
}

blocks::message render_stats_message(const stats_report& r, std::string_view title) {
    struct figure {
        const char* name;
        std::string text;
    };
    const figure figures[] = {{"Deployment frequency", render_frequency(r)},
                              {"Lead time for changes", render_lead_time(r)},
                              {"Change failure rate", render_failure_rate(r)},
                              {"Time to restore", render_time_to_restore(r)}};
    boost::json::array fields;
    std::string fallback = std::string(title) + "\n";
    for (const auto& f : figures) {
        fields.push_back(boost::json::object{{"type", "mrkdwn"},
                                      {"text", blocks::truncate(fmt::format("*{}*\n{}", f.name, f.text), 2000)}});
        std::string line;
        for (char ch : f.text) line += ch == '\n' ? std::string("; ") : std::string(1, ch);
        fallback += fmt::format("{}: {}\n", f.name, line);
    }
    blocks::message m;
    m.text = blocks::truncate(fallback, blocks::max_fallback_text);
    m.blocks.push_back(blocks::section("*" + blocks::escape(title) + "*", "stats.title"));
    auto body = boost::json::object{{"type", "section"}, {"block_id", "stats.figures"}, {"fields", std::move(fields)}};
    m.blocks.push_back(std::move(body));
    m.blocks.push_back(blocks::context(
        {"From deploybot's own records: production deploys and hotfixes that went live, their rollbacks, hotfixes "
         "and watch verdicts. Lead time runs from each PR's first commit to live."},
        "stats.about"));
    return m;
}

}  // namespace deploybot
