#include "commands/workflow/evidence.hpp"

namespace deploybot {

std::optional<deployment_ref> pick_rollback_target(const std::vector<deployment_ref>& candidates,
                                                   std::string_view current_id, std::int64_t current_created_ms,
                                                   std::string_view exclude) {
    std::optional<deployment_ref> best;
    for (const auto& d : candidates) {
        if (d.id.empty() || d.id == current_id || (!exclude.empty() && d.id == exclude)) continue;
        if (current_created_ms > 0 && d.created_ms >= current_created_ms) continue;
        if (!best || d.created_ms > best->created_ms) best = d;
    }
    return best;
}

std::vector<std::string> migration_files(const std::vector<changed_file>& files, const std::vector<std::string>& paths) {
    std::vector<std::string> out;
    for (const auto& f : files)
        for (const auto& p : paths)
            if (!p.empty() && (f.filename.starts_with(p) || (!f.previous_filename.empty() && f.previous_filename.starts_with(p)))) {
                out.push_back(f.filename);
                break;
            }
    return out;
}

}  // namespace deploybot
