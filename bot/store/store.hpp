#pragma once
#include "bot/core/error.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
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

// An input (slash command, click) whose audit row and dedup id are not
// written yet: read-only inputs are written behind (flush_pending), a
// state-changing one by the transaction of the transition it causes.
struct pending_input {
    std::string envelope_id;   // "" when there is none to record
    audit_entry audit;
    bool state_changing = false;
};

class checkpointer;

// SQLite in WAL mode. Schema versioned by PRAGMA user_version with ordered
// migrations; opening an older file migrates it. All calls are short local
// writes (synchronous=NORMAL) and run on the event loop thread. The WAL is
// not checkpointed by commits (wal_autocheckpoint=0): a thread with its own
// connection checkpoints it (PASSIVE), so no fsync happens on the loop.
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

    // Envelope dedup, in memory (no write): true when the id was not seen in
    // the last 24 h (and remembers it). Bounded to max_remembered_envelopes;
    // seeded on open from the ids written with inputs (queue_input).
    bool mark_envelope_seen(std::string_view envelope_id, std::chrono::system_clock::time_point now);
    // Forgets envelope ids seen before `older_than` (memory and file); returns
    // how many were forgotten from memory.
    std::size_t prune_envelopes(std::chrono::system_clock::time_point older_than);
    static constexpr std::size_t max_remembered_envelopes = 16384;

    // Queues an input's audit row and dedup id (no write). A read-only input
    // is written by the next flush_pending(); a state-changing one by the
    // transaction of its transition (take_pending_inputs), or by flush_pending()
    // once it is older than `transition_grace` (the input changed nothing).
    void queue_input(pending_input input);
    // The queued state-changing inputs of `user_id`, removed from the queue:
    // the caller writes them (write_inputs) inside its transition's transaction
    // and gives them back (requeue) if that transaction does not commit.
    std::vector<pending_input> take_pending_inputs(std::string_view user_id);
    bool write_inputs(const std::vector<pending_input>& inputs);   // joins the open transaction
    void requeue(std::vector<pending_input> inputs);
    // One transaction for a change a person caused: `writes`, then the queued
    // state-changing inputs of audit->user_id (their audit rows and envelope
    // ids) and `audit` itself. After a crash all of it exists or none of it
    // does, so a redelivered envelope is dropped exactly when its change was
    // made. If it does not commit, the inputs go back to the queue. `writes`
    // runs inside the transaction and may refuse (e.g. errc::conflict).
    result<void> write_audited(const std::optional<audit_entry>& audit, const std::function<result<void>()>& writes);
    // Writes the due queued inputs, oldest first, at most `max_inputs` of them
    // in one transaction (all of them with everything = true: on stop), so a
    // caller on the event loop can let envelopes through between batches.
    // Returns how many inputs were written.
    std::size_t flush_pending(std::chrono::system_clock::time_point now, bool everything = false,
                              std::size_t max_inputs = SIZE_MAX);
    std::size_t pending_count() const { return pending_.size(); }
    static constexpr std::chrono::seconds transition_grace{60};

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
    void remember(std::string id, std::chrono::system_clock::time_point seen);
    std::unique_ptr<sql::database> db_;
    std::unordered_set<std::string> seen_ids_;
    std::deque<std::pair<std::chrono::system_clock::time_point, std::string>> seen_order_;   // oldest first
    std::deque<pending_input> pending_;
    std::unique_ptr<checkpointer> checkpointer_;   // stopped before db_ closes
};

}  // namespace deploybot
