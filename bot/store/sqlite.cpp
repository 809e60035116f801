#include "bot/store/sqlite.hpp"

#include "bot/log.hpp"

#include <sqlite3.h>

namespace deploybot::sql {

namespace {
constexpr std::size_t max_cached_statements = 128;

void log_error(sqlite3* db, std::string_view what) {
    log::error("store", "{}: {}", what, db ? sqlite3_errmsg(db) : "no database");
}
}  // namespace

statement::~statement() {
    if (st_ && owned_) {
        sqlite3_finalize(st_);
    } else if (st_) {
        sqlite3_reset(st_);
        sqlite3_clear_bindings(st_);
    }
}

statement& statement::bind(int index, std::string_view text) {
    if (!st_ || sqlite3_bind_text(st_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        failed_ = true;
    return *this;
}

statement& statement::bind(int index, std::int64_t value) {
    if (!st_ || sqlite3_bind_int64(st_, index, value) != SQLITE_OK) failed_ = true;
    return *this;
}

bool statement::next() {
    if (!st_ || failed_) {
        failed_ = true;
        return false;
    }
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) {
        failed_ = true;
        log_error(db_, "step");
    }
    return false;
}

bool statement::run() {
    while (next()) {
    }
    return !failed_;
}

std::int64_t statement::integer(int column) const { return st_ ? sqlite3_column_int64(st_, column) : 0; }

std::string statement::text(int column) const {
    if (!st_) return {};
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, column));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, column))) : std::string();
}

bool statement::is_null(int column) const { return !st_ || sqlite3_column_type(st_, column) == SQLITE_NULL; }

database::database(sqlite3* db) : db_(db) {}

database::~database() {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
}

statement database::prepare(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    // A cached statement still stepping (the same SQL borrowed twice at once)
    // is left alone: this use gets its own.
    const bool in_use = it != cache_.end() && sqlite3_stmt_busy(it->second);
    if (it != cache_.end() && !in_use) return statement(db_, it->second);
    const bool cache = !in_use && cache_.size() < max_cached_statements;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), cache ? SQLITE_PREPARE_PERSISTENT : 0, &st,
                           nullptr) != SQLITE_OK) {
        log_error(db_, "prepare");
        sqlite3_finalize(st);
        return statement(db_, nullptr);
    }
    if (!cache) return statement(db_, st, true);
    cache_.emplace(std::string(sql), st);
    return statement(db_, st);
}

bool database::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        log::error("store", "exec failed: {}", err ? err : "unknown error");
        sqlite3_free(err);
        return false;
    }
    return true;
}

std::int64_t database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int database::changes() const { return sqlite3_changes(db_); }

std::string database::last_error() const { return db_ ? sqlite3_errmsg(db_) : "no database"; }

transaction::transaction(database& db) : db_(db) { began_ = db_.exec("BEGIN IMMEDIATE"); }

transaction::~transaction() {
    if (began_ && !done_) db_.exec("ROLLBACK");
}

bool transaction::commit() {
    if (!began_ || done_) return false;
    done_ = true;
    if (db_.exec("COMMIT")) return true;
    db_.exec("ROLLBACK");
    return false;
}

}  // namespace deploybot::sql
