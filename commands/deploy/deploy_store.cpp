#include "commands/deploy/deploy_store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <sqlite3.h>

#include <string>

namespace deploybot {
namespace {

system::error_code storage_error() { return make_error_code(errc::storage_error); }

std::int64_t to_ms(time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Minimal RAII prepared statement; errors surface as SQLITE_* codes.
class stmt {
public:
    stmt(sqlite3* db, const char* sql) { ok_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) == SQLITE_OK; }
    ~stmt() { sqlite3_finalize(st_); }
    stmt(const stmt&) = delete;
    stmt& operator=(const stmt&) = delete;
    bool ok() const { return ok_; }
    stmt& bind(int i, std::int64_t v) {
        ok_ = ok_ && sqlite3_bind_int64(st_, i, v) == SQLITE_OK;
        return *this;
    }
    stmt& bind(int i, std::string_view v) {
        ok_ = ok_ && sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) == SQLITE_OK;
        return *this;
    }
    int step() { return ok_ ? sqlite3_step(st_) : SQLITE_ERROR; }
    std::string text(int col) const {
        const auto* p = sqlite3_column_text(st_, col);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st_, col)))
                 : std::string();
    }
    std::int64_t integer(int col) const { return sqlite3_column_int64(st_, col); }

private:
    sqlite3_stmt* st_ = nullptr;
    bool ok_ = false;
};

bool exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

std::vector<deploy_request> query_bodies(sqlite3* db, const char* sql, std::int64_t arg, bool bind_arg) {
    std::vector<deploy_request> out;
    stmt st(db, sql);
    if (bind_arg) st.bind(1, arg);
    while (st.step() == SQLITE_ROW) {
        auto r = parse_request(st.text(0));
        if (r) out.push_back(std::move(*r));   // an unreadable blob is skipped, not fatal
    }
    return out;
}

}  // namespace

deploy_store::deploy_store(store& db) : db_(db) {}

result<void> deploy_store::ensure_schema() {
    // The table is created by the store's migrations (bot/store/store.cpp); this
    // only checks that the file has it.
    stmt st(db_.handle(), "SELECT kind FROM deploy_requests LIMIT 0");
    if (!st.ok()) return storage_error();
    return {};
}

result<std::int64_t> deploy_store::next_id() {
    stmt st(db_.handle(), "SELECT COALESCE(MAX(id), 0) + 1 FROM deploy_requests");
    if (st.step() != SQLITE_ROW) return storage_error();
    return st.integer(0);
}

result<void> deploy_store::save(const deploy_request& req, const std::optional<audit_entry>& audit) {
    sqlite3* db = db_.handle();
    if (!exec(db, "BEGIN IMMEDIATE")) return storage_error();
    bool ok = false;
    {
        // Revisions only go forward: a save built on a stale read (another
        // writer got there first) is refused instead of overwriting its update.
        stmt cur(db, "SELECT json_extract(body, '$.revision') FROM deploy_requests WHERE id = ?");
        cur.bind(1, req.id);
        if (cur.step() == SQLITE_ROW && cur.integer(0) >= req.revision) {
            exec(db, "ROLLBACK");
            return make_error_code(errc::conflict);
        }
    }
    {
        stmt st(db, R"sql(
INSERT INTO deploy_requests (id, state, requester, created_at, updated_at, message_ts, body, kind)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET state = excluded.state, requester = excluded.requester,
    created_at = excluded.created_at, updated_at = excluded.updated_at,
    message_ts = excluded.message_ts, body = excluded.body, kind = excluded.kind
)sql");
        st.bind(1, req.id)
            .bind(2, to_string(req.state))
            .bind(3, req.requester)
            .bind(4, to_ms(req.created_at))
            .bind(5, to_ms(req.updated_at))
            .bind(6, req.message_ts)
            .bind(7, serialize_request(req))
            .bind(8, to_string(req.kind));
        ok = st.step() == SQLITE_DONE;
    }
    // append_audit is a plain INSERT, so it joins this transaction.
    if (ok && audit) ok = static_cast<bool>(db_.append_audit(*audit));
    if (!ok || !exec(db, "COMMIT")) {
        exec(db, "ROLLBACK");
        return storage_error();
    }
    return {};
}

audit_entry make_transition_audit(const deploy_request& before, const transition_result& t, std::string_view user_id,
                                  time_point now) {
    boost::json::array effects;
    for (const auto& e : t.effects) effects.emplace_back(effect_name(e));
    boost::json::object detail{{"request", t.request.id},
                               {"from", to_string(before.state)},
                               {"to", to_string(t.request.state)},
                               {"revision", t.request.revision},
                               {"effects", std::move(effects)}};
    audit_entry a;
    a.at = now;
    a.user_id = std::string(user_id);
    a.kind = "transition";
    a.what = "deploy #" + std::to_string(t.request.id) + ": " + t.audit_what;
    a.channel_id = t.request.channel;
    a.detail = boost::json::serialize(detail);
    return a;
}

result<void> deploy_store::save_transition(const deploy_request& before, const transition_result& t,
                                           std::string_view user_id, time_point now) {
    if (!t.changed) return {};
    return save(t.request, make_transition_audit(before, t, user_id, now));
}

std::optional<deploy_request> deploy_store::load(std::int64_t id) const {
    auto v = query_bodies(db_.handle(), "SELECT body FROM deploy_requests WHERE id = ?", id, true);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
}

std::optional<deploy_request> deploy_store::active() const {
    auto v = query_bodies(db_.handle(),
                          "SELECT body FROM deploy_requests WHERE state IN ('collecting', 'scheduled', 'promoting') "
                          "ORDER BY id DESC LIMIT 1",
                          0, false);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
}

std::vector<deploy_request> deploy_store::history(std::size_t n) const {
    return query_bodies(db_.handle(),
                        "SELECT body FROM deploy_requests WHERE state IN ('live', 'failed', 'cancelled', 'unknown', 'rolled_back') "
                        "ORDER BY updated_at DESC, id DESC LIMIT ?",
                        static_cast<std::int64_t>(n), true);
}

std::vector<deploy_request> deploy_store::post_live_pending() const {
    return query_bodies(db_.handle(),
                        "SELECT body FROM deploy_requests WHERE state IN ('live', 'rolled_back') AND ("
                        "json_extract(body, '$.watch.phase') = 'watching' OR "
                        "json_extract(body, '$.watch.summary_owed') = 1 OR json_extract(body, '$.watch.alert_owed') = 1 OR "
                        "json_extract(body, '$.watch.progress_posted') < json_array_length(body, '$.watch.checks') OR "
                        "json_extract(body, '$.postmortem.owed') = 1 OR "
                        "(state = 'live' AND json_extract(body, '$.hotfix.backport_pending') = 1)) ORDER BY id LIMIT ?",
                        100, true);
}

std::optional<deploy_request> deploy_store::last_live() const {
    auto v = query_bodies(db_.handle(),
                          "SELECT body FROM deploy_requests WHERE state = 'live' ORDER BY "
                          "json_extract(body, '$.promote.finished_at') DESC, id DESC LIMIT 1",
                          0, false);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
}

}  // namespace deploybot
