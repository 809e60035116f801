// The deploy message's small words: button action ids, review status, ages,
// durations and Slack date tokens. Pure.
#include "commands/render/deploy_message.hpp"

#include <algorithm>
#include <array>

namespace deploybot {
namespace {

constexpr std::array<std::pair<deploy_action, std::string_view>, 12> action_names{{
    {deploy_action::signoff, "deploy.signoff"},
    {deploy_action::migrations, "deploy.migrations"},
    {deploy_action::flags_configured, "deploy.flags.configured"},
    {deploy_action::flags_not_needed, "deploy.flags.not_needed"},
    {deploy_action::rollback_plan, "deploy.rollback_plan"},
    {deploy_action::refresh, "deploy.refresh"},
    {deploy_action::cancel, "deploy.cancel"},
    {deploy_action::go, "deploy.go"},
    {deploy_action::undo_signoff, "deploy.undo.signoff"},
    {deploy_action::undo_migrations, "deploy.undo.migrations"},
    {deploy_action::undo_flags, "deploy.undo.flags"},
    {deploy_action::undo_rollback_plan, "deploy.undo.rollback_plan"},
}};

}  // namespace

std::string_view action_id(deploy_action a) {
    for (const auto& [act, name] : action_names)
        if (act == a) return name;
    return "";
}

std::optional<deploy_action> parse_deploy_action(std::string_view id) {
    for (const auto& [act, name] : action_names)
        if (name == id) return act;
    return std::nullopt;
}

pr_review_status review_status_of(const review_summary& s) {
    if (!s.changes_requested_by.empty()) return pr_review_status::changes_requested;
    return s.approved ? pr_review_status::approved : pr_review_status::unreviewed;
}

std::string render_age(std::chrono::system_clock::duration d) {
    using namespace std::chrono;
    if (d < seconds{0}) d = seconds{0};
    const auto mins = duration_cast<minutes>(d).count();
    if (mins < 60) return std::to_string(mins) + "m";
    const auto hours = mins / 60;
    if (hours < 24) return std::to_string(hours) + "h " + std::to_string(mins % 60) + "m";
    return std::to_string(hours / 24) + "d " + std::to_string(hours % 24) + "h";
}

std::string render_duration(std::chrono::system_clock::duration d) {
    using namespace std::chrono;
    const auto s = std::max<long long>(0, duration_cast<seconds>(d).count());
    if (s < 60) return std::to_string(s) + " s";
    if (s < 3600) return std::to_string(s / 60) + " min" + (s % 60 ? " " + std::to_string(s % 60) + " s" : std::string());
    return render_age(d);
}

std::string slack_date(time_point t, std::string_view fallback) {
    const auto epoch = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    return "<!date^" + std::to_string(epoch) + "^{date_short_pretty} {time}|" + blocks::escape(fallback) + ">";
}

}  // namespace deploybot
