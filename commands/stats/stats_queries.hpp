#pragma once
// The records /deploy stats reads: every deploy record (any kind, any state)
// updated since a point in time, straight from the deploy_requests table.
#include "bot/store/store.hpp"
#include "commands/workflow/deploy_request.hpp"

#include <cstddef>
#include <vector>

namespace deploybot {

// At most `limit` records, the newest first (over the limit the oldest are left out); an unreadable blob is
// skipped.
std::vector<deploy_request> load_records_since(const store& db, time_point since, std::size_t limit = 20000);

}  // namespace deploybot
