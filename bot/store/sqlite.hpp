#pragma once
// The one SQLite wrapper: a connection that owns a cache of prepared
// statements (each SQL text is prepared once for the life of the process),
// a borrowed statement that resets itself when it goes out of scope, and a
// transaction guard that rolls back unless committed. sqlite3.h stays in
// sqlite.cpp.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace deploybot::sql {

// A prepared statement borrowed from the cache. Bind, then either `run()`
// (a write) or `next()` in a loop (rows). Reset and unbound on destruction.
class statement {
public:
    statement() = default;
    statement(sqlite3* db, sqlite3_stmt* st, bool owned = false) : db_(db), st_(st), owned_(owned) {}
    statement(statement&& o) noexcept : db_(o.db_), st_(o.st_), owned_(o.owned_) { o.st_ = nullptr; }
    statement& operator=(statement&&) = delete;
    statement(const statement&) = delete;
    ~statement();

    bool prepared() const { return st_ != nullptr; }
    statement& bind(int index, std::string_view text);
    statement& bind(int index, std::int64_t value);

    // Steps once: true when a row is available. False at the end or on an
    // error (then failed() is true and the error is logged).
    bool next();
    // Steps to completion: true when the statement ran (SQLITE_DONE).
    bool run();
    bool failed() const { return failed_; }

    std::int64_t integer(int column) const;
    std::string text(int column) const;
    bool is_null(int column) const;

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* st_ = nullptr;
    bool owned_ = false;   // not from the cache: finalized on destruction
    bool failed_ = false;
};

class database {
public:
    // Takes ownership of an open handle.
    explicit database(sqlite3* db);
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    // The cached statement for `sql` (prepared on first use). A statement that
    // fails to prepare logs and comes back !prepared(); every call on it fails.
    statement prepare(std::string_view sql);
    // Runs one or more statements without results (migrations, PRAGMAs).
    bool exec(const char* sql);

    std::int64_t last_insert_rowid() const;
    int changes() const;
    std::string last_error() const;
    sqlite3* native() const { return db_; }
    std::size_t cached_statements() const { return cache_.size(); }

private:
    sqlite3* db_;
    // Keyed by SQL text. The texts are the program's own literals, so this is
    // bounded by the program; past a cap (a caller building SQL) statements
    // are prepared per use instead of cached.
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE … COMMIT; rolls back when destroyed uncommitted (an early
// return, an exception). Not nestable (SQLite transactions are not).
class transaction {
public:
    explicit transaction(database& db);
    ~transaction();
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;

    bool began() const { return began_; }
    // True when committed; on failure the transaction is rolled back.
    bool commit();

private:
    database& db_;
    bool began_ = false;
    bool done_ = false;
};

}  // namespace deploybot::sql
