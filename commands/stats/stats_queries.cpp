#include "commands/stats/stats_queries.hpp"

#include "bot/log.hpp"

#include <sqlite3.h>

#include <memory>

namespace deploybot {

std::vector<deploy_request> load_records_since(const store& db, time_point since, std::size_t limit) {
    std::vector<deploy_request> out;
    sqlite3_stmt* raw = nullptr;
    // A record that went live (or restored production) in the period was
    // updated then or later, so updated_at bounds what can matter.
    constexpr const char* sql = "SELECT body FROM deploy_requests WHERE updated_at >= ? ORDER BY id DESC LIMIT ?";
    if (sqlite3_prepare_v2(db.handle(), sql, -1, &raw, nullptr) != SQLITE_OK) {
        log::error("stats", "cannot read deploy records: {}", sqlite3_errmsg(db.handle()));
        return out;
    }
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st(raw, sqlite3_finalize);
    const auto since_ms = std::chrono::duration_cast<std::chrono::milliseconds>(since.time_since_epoch()).count();
    sqlite3_bind_int64(st.get(), 1, since_ms);
    sqlite3_bind_int64(st.get(), 2, static_cast<sqlite3_int64>(limit));
    while (sqlite3_step(st.get()) == SQLITE_ROW) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
        if (!text) continue;
        auto r = parse_request(std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(st.get(), 0))));
        if (r) out.push_back(std::move(*r));
    }
    return out;
}

}  // namespace deploybot
