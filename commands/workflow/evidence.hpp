#pragma once
// Evidence decisions shared by the checklist and the rollback (pure, so they
// are unit-tested without services): which production deployment a rollback
// goes back to, and whether a diff touches the migration paths.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot {

struct deployment_ref {
    std::string id;
    std::int64_t created_ms = 0;
};

// vercel.md §3.7: the newest eligible production deployment created before
// the current one (never the current one, nor `exclude`, e.g. the staging
// build). Candidates in any order. nullopt when there is none.
std::optional<deployment_ref> pick_rollback_target(const std::vector<deployment_ref>& candidates,
                                                   std::string_view current_id, std::int64_t current_created_ms,
                                                   std::string_view exclude = {});

struct changed_file {
    std::string filename;
    std::string previous_filename;   // renames: the old path counts too
};

// The files under any of `paths` (prefix match, empty prefixes ignored).
std::vector<std::string> migration_files(const std::vector<changed_file>& files, const std::vector<std::string>& paths);

}  // namespace deploybot
