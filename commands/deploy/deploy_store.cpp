#include "commands/deploy/deploy_store.hpp"

#include "bot/core/time_ms.hpp"
#include "bot/store/sqlite.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <string>

namespace deploybot {
namespace {

system::error_code storage_error() { return make_error_code(errc::storage_error); }

std::vector<deploy_request> query_bodies(sql::database& db, std::string_view sql, std::optional<std::int64_t> arg) {
    std::vector<deploy_request> out;
    auto st = db.prepare(sql);
    if (arg) st.bind(1, *arg);
    while (st.next()) {
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
    auto st = db_.db().prepare("SELECT kind FROM deploy_requests LIMIT 0");
    if (!st.prepared()) return storage_error();
    return {};
}

result<std::int64_t> deploy_store::next_id() {
    auto st = db_.db().prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM deploy_requests");
    if (!st.next()) return storage_error();
    return st.integer(0);
}

result<void> deploy_store::save(const deploy_request& req, const std::optional<audit_entry>& audit) {
    auto& db = db_.db();
    // The command or click that caused this transition (its audit row and
    // envelope id) commits with it (store::write_audited).
    return db_.write_audited(audit, [&]() -> result<void> {
        {
            // Revisions only go forward: a save built on a stale read (another
            // writer got there first) is refused instead of overwriting its update.
            auto cur = db.prepare("SELECT json_extract(body, '$.revision') FROM deploy_requests WHERE id = ?");
            cur.bind(1, req.id);
            if (cur.next() && cur.integer(0) >= req.revision) return make_error_code(errc::conflict);
        }
        auto st = db.prepare(R"sql(
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
        if (!st.run()) return storage_error();
        return {};
    });
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
    auto v = query_bodies(db_.db(), "SELECT body FROM deploy_requests WHERE id = ?", id);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
}

std::optional<deploy_request> deploy_store::active() const {
    auto v = query_bodies(db_.db(),
                          "SELECT body FROM deploy_requests WHERE state IN ('collecting', 'scheduled', 'promoting') "
                          "ORDER BY id DESC LIMIT 1",
                          std::nullopt);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
}

std::vector<deploy_request> deploy_store::history(std::size_t n) const {
    return query_bodies(db_.db(),
                        "SELECT body FROM deploy_requests WHERE state IN ('live', 'failed', 'cancelled', 'unknown', 'rolled_back') "
                        "ORDER BY updated_at DESC, id DESC LIMIT ?",
                        static_cast<std::int64_t>(n));
}

std::vector<deploy_request> deploy_store::post_live_pending() const {
    return query_bodies(db_.db(),
                        "SELECT body FROM deploy_requests WHERE state IN ('live', 'rolled_back') AND ("
                        "json_extract(body, '$.watch.phase') = 'watching' OR "
                        "json_extract(body, '$.watch.summary_owed') = 1 OR json_extract(body, '$.watch.alert_owed') = 1 OR "
                        "json_extract(body, '$.watch.progress_posted') < json_array_length(body, '$.watch.checks') OR "
                        "json_extract(body, '$.postmortem.owed') = 1 OR "
                        "(state = 'live' AND json_extract(body, '$.hotfix.backport_pending') = 1)) ORDER BY id LIMIT ?",
                        100);
}

std::optional<deploy_request> deploy_store::last_live() const {
    auto v = query_bodies(db_.db(),
                          "SELECT body FROM deploy_requests WHERE state = 'live' ORDER BY "
                          "json_extract(body, '$.promote.finished_at') DESC, id DESC LIMIT 1",
                          std::nullopt);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
}

}  // namespace deploybot
