#pragma once
#include "bot/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace deploybot {

namespace sql {
class database;
}

struct audit_entry {
    std::int64_t id = 0;
    std::chrono::system_clock::time_point at;
    std::string user_id;      // "" for the bot itself
    std::string kind;         // "command", "click", "system", "transition", …
    std::string what;         // e.g. "/deploy prod", "qa.signoff", "promote started dpl_…"
    std::string channel_id;
    std::string detail;       // free text / JSON
};

// SQLite in WAL mode. Schema versioned by PRAGMA user_version with ordered
// migrations; opening an older file migrates it. All calls are short local
// writes (synchronous=NORMAL) and run on the event loop thread.
class store {
public:
    static result<std::unique_ptr<store>> open(const std::string& path);
    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    int schema_version() const;
    static int latest_schema_version();

    // Append-only audit log. Returns the new row id.
    result<std::int64_t> append_audit(const audit_entry& entry);
    std::vector<audit_entry> audit_tail(std::size_t n) const;   // newest last

    // Envelope dedup: true when the id was not seen before (and records it).
    bool mark_envelope_seen(std::string_view envelope_id, std::chrono::system_clock::time_point now);
    // Deletes envelope ids recorded before `older_than`; returns how many.
    std::size_t prune_envelopes(std::chrono::system_clock::time_point older_than);

    // Small key/value table for bot state (e.g. lock, last scheduled mention).
    std::optional<std::string> get_kv(std::string_view key) const;
    result<void> put_kv(std::string_view key, std::string_view value);
    result<void> erase_kv(std::string_view key);

    // Durable timers (bot/scheduler.hpp): one row per key, the earliest first.
    result<void> put_timer(std::string_view key, std::chrono::system_clock::time_point due);
    result<void> erase_timer(std::string_view key);
    struct timer_row {
        std::string key;
        std::chrono::system_clock::time_point due;
    };
    std::optional<timer_row> next_timer() const;

    // The connection (statement cache, transactions) for feature stores such
    // as the deploy records, whose tables are in the same migration list.
    sql::database& db() const { return *db_; }
    sqlite3* handle() const;

private:
    explicit store(sqlite3* db);
    std::unique_ptr<sql::database> db_;
};

}  // namespace deploybot
