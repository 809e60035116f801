#include "bot/store/store.hpp"

#include "bot/core/time_ms.hpp"
#include "bot/log.hpp"
#include "bot/store/sqlite.hpp"

#include <sqlite3.h>

#include <array>
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace deploybot {
namespace {

// Schema migrations, applied in order. Migration i (0-based) moves the file
// from user_version i to i + 1, inside one transaction.
//
// To add a migration: append a new string at the END of this list (never edit
// or reorder an existing one — files in the field have already run it). It may
// hold several statements separated by ';'. latest_schema_version() follows.
constexpr std::array migrations{
    // 1: audit log, envelope dedup, key/value state.
    R"sql(
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms      INTEGER NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    what       TEXT NOT NULL,
    channel_id TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
-- The audit log is evidence: refuse edits even through handle().
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE handled_envelopes (
    envelope_id TEXT PRIMARY KEY,
    seen_ms     INTEGER NOT NULL
);
CREATE INDEX handled_envelopes_seen ON handled_envelopes(seen_ms);
CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
)sql",
    // 2: deploy records (production deploys, rollbacks, hotfixes) and durable
    // timers. Files from before this migration already have deploy_requests
    // (created by the deploy module then), hence IF NOT EXISTS.
    R"sql(
CREATE TABLE IF NOT EXISTS deploy_requests (
    id          INTEGER PRIMARY KEY,
    state       TEXT NOT NULL,
    requester   TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    message_ts  TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deploy_requests_state ON deploy_requests(state);
ALTER TABLE deploy_requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'production';
CREATE TABLE timers (
    key     TEXT PRIMARY KEY,
    due_ms  INTEGER NOT NULL
);
CREATE INDEX timers_due ON timers(due_ms);
)sql",
};

system::error_code storage_error() { return make_error_code(errc::storage_error); }

int read_user_version(sql::database& db) {
    auto st = db.prepare("PRAGMA user_version");
    return st.next() ? static_cast<int>(st.integer(0)) : -1;
}

bool migrate(sql::database& db) {
    const int current = read_user_version(db);
    if (current < 0) return false;
    if (current > static_cast<int>(migrations.size())) {
        log::error("store", "database schema version {} is newer than this build ({})", current,
                   migrations.size());
        return false;
    }
    for (int v = current; v < static_cast<int>(migrations.size()); ++v) {
        sql::transaction tx(db);
        if (!tx.began()) return false;
        const auto set_version = "PRAGMA user_version = " + std::to_string(v + 1);
        if (!db.exec(migrations[v]) || !db.exec(set_version.c_str()) || !tx.commit()) return false;
        log::info("store", "migrated schema to version {}", v + 1);
    }
    return true;
}

constexpr auto envelope_ttl = std::chrono::hours(24);
// Past this many queued inputs a flush runs at once (memory stays bounded
// whatever the timer does).
constexpr std::size_t max_pending_inputs = 4096;

}  // namespace

// Checkpoints the WAL from its own thread and connection, so the fsyncs of a
// checkpoint never run on the event loop. PASSIVE: never waits for the loop's
// writes, copies what it can.
class checkpointer {
public:
    checkpointer(const std::string& path, std::chrono::milliseconds interval) : interval_(interval) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
            log::warn("store", "checkpoint connection failed: {}", db_ ? sqlite3_errmsg(db_) : "no memory");
            sqlite3_close(db_);
            db_ = nullptr;
            return;
        }
        sqlite3_busy_timeout(db_, 0);
        thread_ = std::thread([this] { run(); });
    }
    ~checkpointer() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
        if (db_) {
            sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
            sqlite3_close(db_);
        }
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
            lock.unlock();
            sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
            lock.lock();
        }
    }

    sqlite3* db_ = nullptr;
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

result<std::unique_ptr<store>> store::open(const std::string& path) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    // Owned from here so every early return closes it.
    std::unique_ptr<store> s(new store(db));
    auto& conn = s->db();
    if (rc != SQLITE_OK) {
        log::error("store", "cannot open {}: {}", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        return storage_error();
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_extended_result_codes(db, 1);
    // sqlite3_open_v2 reads nothing; this first read tells a file that is not a
    // database apart from a failure to switch to WAL.
    if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) != SQLITE_OK) {
        const int code = sqlite3_errcode(db) & 0xff;
        const char* what = code == SQLITE_NOTADB    ? "not a SQLite database"
                           : code == SQLITE_CORRUPT ? "damaged SQLite database"
                                                    : "cannot read it";
        log::error("store", "storage.path {}: {} ({})", path, what, sqlite3_errmsg(db));
        return storage_error();
    }
    // WAL lets readers (e.g. `deploybot check`, sqlite3 CLI) work beside the bot;
    // NORMAL is durable across application crashes, which is what we need.
    {
        auto wal = conn.prepare("PRAGMA journal_mode=WAL");
        if (!wal.next() || wal.text(0) != "wal") {
            log::error("store", "storage.path {}: cannot switch to WAL mode: {}", path, conn.last_error());
            return storage_error();
        }
    }
    if (!conn.exec("PRAGMA synchronous=NORMAL") || !conn.exec("PRAGMA foreign_keys=ON") ||
        !conn.exec("PRAGMA wal_autocheckpoint=0"))
        return storage_error();
    if (!migrate(conn)) return storage_error();
    {
        // The dedup ids written with inputs: a redelivery after a restart is still dropped.
        auto st = conn.prepare("SELECT envelope_id, seen_ms FROM handled_envelopes ORDER BY seen_ms DESC LIMIT ?");
        st.bind(1, static_cast<std::int64_t>(max_remembered_envelopes));
        std::vector<std::pair<std::string, std::int64_t>> rows;
        while (st.next()) rows.emplace_back(st.text(0), st.integer(1));
        for (auto it = rows.rbegin(); it != rows.rend(); ++it) s->remember(std::move(it->first), from_ms(it->second));
    }
    if (path != ":memory:" && !path.empty())
        s->checkpointer_ = std::make_unique<checkpointer>(path, std::chrono::milliseconds(2000));
    return s;
}

store::store(sqlite3* db) : db_(std::make_unique<sql::database>(db)) {}

store::~store() {
    if (!pending_.empty()) flush_pending({}, true);
    checkpointer_.reset();
}

int store::schema_version() const { return read_user_version(*db_); }

int store::latest_schema_version() { return static_cast<int>(migrations.size()); }

sqlite3* store::handle() const { return db_->native(); }

result<std::int64_t> store::append_audit(const audit_entry& e) {
    auto st = db_->prepare(
        "INSERT INTO audit_log (at_ms, user_id, kind, what, channel_id, detail) VALUES (?, ?, ?, ?, ?, ?)");
    st.bind(1, to_ms(e.at)).bind(2, e.user_id).bind(3, e.kind).bind(4, e.what).bind(5, e.channel_id).bind(6, e.detail);
    if (!st.run()) return storage_error();
    return db_->last_insert_rowid();
}

std::vector<audit_entry> store::audit_tail(std::size_t n) const {
    std::vector<audit_entry> out;
    auto st = db_->prepare(
        "SELECT id, at_ms, user_id, kind, what, channel_id, detail FROM audit_log ORDER BY id DESC LIMIT ?");
    st.bind(1, static_cast<std::int64_t>(n));
    while (st.next()) {
        audit_entry e;
        e.id = st.integer(0);
        e.at = from_ms(st.integer(1));
        e.user_id = st.text(2);
        e.kind = st.text(3);
        e.what = st.text(4);
        e.channel_id = st.text(5);
        e.detail = st.text(6);
        out.push_back(std::move(e));
    }
    std::reverse(out.begin(), out.end());
    return out;
}

void store::remember(std::string id, std::chrono::system_clock::time_point seen) {
    if (!seen_ids_.insert(id).second) return;
    seen_order_.emplace_back(seen, std::move(id));
    while (seen_order_.size() > max_remembered_envelopes) {
        seen_ids_.erase(seen_order_.front().second);
        seen_order_.pop_front();
    }
}

bool store::mark_envelope_seen(std::string_view envelope_id, std::chrono::system_clock::time_point now) {
    while (!seen_order_.empty() && seen_order_.front().first < now - envelope_ttl) {
        seen_ids_.erase(seen_order_.front().second);
        seen_order_.pop_front();
    }
    std::string id(envelope_id);
    if (seen_ids_.count(id)) return false;
    remember(std::move(id), now);
    return true;
}

std::size_t store::prune_envelopes(std::chrono::system_clock::time_point older_than) {
    std::size_t forgotten = 0;
    // Insertion order is not strictly time order (an injected clock may step
    // back), so the whole list is scanned; it is bounded.
    std::erase_if(seen_order_, [&](const auto& e) {
        if (e.first >= older_than) return false;
        seen_ids_.erase(e.second);
        ++forgotten;
        return true;
    });
    auto st = db_->prepare("DELETE FROM handled_envelopes WHERE seen_ms < ?");
    st.bind(1, to_ms(older_than));
    st.run();
    return forgotten;
}

void store::queue_input(pending_input input) {
    pending_.push_back(std::move(input));
    if (pending_.size() > max_pending_inputs) flush_pending(pending_.back().audit.at, true);
}

std::vector<pending_input> store::take_pending_inputs(std::string_view user_id) {
    std::vector<pending_input> out;
    std::erase_if(pending_, [&](pending_input& p) {
        if (!p.state_changing || p.audit.user_id != user_id) return false;
        out.push_back(std::move(p));
        return true;
    });
    return out;
}

bool store::write_inputs(const std::vector<pending_input>& inputs) {
    for (const auto& p : inputs) {
        if (!p.envelope_id.empty()) {
            auto st = db_->prepare("INSERT OR IGNORE INTO handled_envelopes (envelope_id, seen_ms) VALUES (?, ?)");
            st.bind(1, p.envelope_id).bind(2, to_ms(p.audit.at));
            if (!st.run()) return false;
        }
        if (!append_audit(p.audit)) return false;
    }
    return true;
}

namespace {

// The queued inputs a transaction writes; given back to the queue unless it commits.
struct taken_inputs {
    store& db;
    std::vector<pending_input> inputs;
    bool committed = false;
    ~taken_inputs() {
        if (!committed && !inputs.empty()) db.requeue(std::move(inputs));
    }
};

}  // namespace

result<void> store::write_audited(const std::optional<audit_entry>& audit,
                                  const std::function<result<void>()>& writes) {
    sql::transaction tx(*db_);
    if (!tx.began()) return storage_error();
    taken_inputs caused_by{*this, audit && !audit->user_id.empty() ? take_pending_inputs(audit->user_id)
                                                                   : std::vector<pending_input>{}};
    if (auto r = writes(); !r) return r;
    // Plain INSERTs, so they join this transaction: the input's rows first, then the change's.
    if (!write_inputs(caused_by.inputs)) return storage_error();
    if (audit && !append_audit(*audit)) return storage_error();
    if (!tx.commit()) return storage_error();
    caused_by.committed = true;
    return {};
}

void store::requeue(std::vector<pending_input> inputs) {
    for (auto it = inputs.rbegin(); it != inputs.rend(); ++it) pending_.push_front(std::move(*it));
}

std::size_t store::flush_pending(std::chrono::system_clock::time_point now, bool everything,
                                 std::size_t max_inputs) {
    std::vector<pending_input> due;
    std::erase_if(pending_, [&](pending_input& p) {
        if (due.size() >= max_inputs) return false;
        if (!everything && p.state_changing && p.audit.at > now - transition_grace) return false;
        due.push_back(std::move(p));
        return true;
    });
    if (due.empty()) return 0;
    sql::transaction tx(*db_);
    if (!tx.began() || !write_inputs(due) || !tx.commit()) {
        // Audit rows are evidence: logged when they cannot be written, never silently lost.
        log::error("store", "cannot write {} queued audit row(s): {}", due.size(), db_->last_error());
        return 0;
    }
    return due.size();
}

std::optional<std::string> store::get_kv(std::string_view key) const {
    auto st = db_->prepare("SELECT value FROM kv WHERE key = ?");
    st.bind(1, key);
    if (!st.next()) return std::nullopt;
    return st.text(0);
}

result<void> store::put_kv(std::string_view key, std::string_view value) {
    auto st = db_->prepare("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    st.bind(1, key).bind(2, value);
    if (!st.run()) return storage_error();
    return {};
}

result<void> store::erase_kv(std::string_view key) {
    auto st = db_->prepare("DELETE FROM kv WHERE key = ?");
    st.bind(1, key);
    if (!st.run()) return storage_error();
    return {};
}

result<void> store::put_timer(std::string_view key, std::chrono::system_clock::time_point due) {
    auto st = db_->prepare("INSERT INTO timers (key, due_ms) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET due_ms = excluded.due_ms");
    st.bind(1, key).bind(2, to_ms(due));
    if (!st.run()) return storage_error();
    return {};
}

result<void> store::erase_timer(std::string_view key) {
    auto st = db_->prepare("DELETE FROM timers WHERE key = ?");
    st.bind(1, key);
    if (!st.run()) return storage_error();
    return {};
}

std::optional<store::timer_row> store::next_timer() const {
    auto st = db_->prepare("SELECT key, due_ms FROM timers ORDER BY due_ms, key LIMIT 1");
    if (!st.next()) return std::nullopt;
    return timer_row{st.text(0), from_ms(st.integer(1))};
}

}  // namespace deploybot
