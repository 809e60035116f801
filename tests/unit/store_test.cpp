#include "bot/store/store.hpp"

#include "bot/log.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

using namespace deploybot;
using namespace std::chrono_literals;

namespace {

// A fresh database path, removed (with its WAL files) when the test ends.
struct temp_db {
    std::string path;
    explicit temp_db(std::string_view name)
        : path("/tmp/deploybot_store_test_" + std::to_string(::getpid()) + "_" + std::string(name) + ".sqlite3") {
        remove_files();
    }
    ~temp_db() { remove_files(); }
    void remove_files() const {
        for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    }
};

std::unique_ptr<store> open_ok(const std::string& path) {
    auto s = store::open(path);
    REQUIRE(s.has_value());
    return std::move(*s);
}

std::string query_text(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

const std::chrono::system_clock::time_point t0{std::chrono::milliseconds(1'724'846'400'123)};

}  // namespace

TEST_CASE("store: a fresh file is migrated to the latest schema in WAL mode") {
    temp_db tmp("fresh");
    auto s = open_ok(tmp.path);
    CHECK(store::latest_schema_version() >= 1);
    CHECK(s->schema_version() == store::latest_schema_version());
    CHECK(query_text(s->handle(), "PRAGMA journal_mode") == "wal");
    CHECK(query_text(s->handle(), "PRAGMA synchronous") == "1");  // NORMAL
    CHECK(query_text(s->handle(), "SELECT count(*) FROM sqlite_master WHERE name IN ('audit_log', "
                                  "'handled_envelopes', 'kv')") == "3");
}

TEST_CASE("store: audit log appends and returns the tail oldest first") {
    temp_db tmp("audit");
    auto s = open_ok(tmp.path);
    CHECK(s->audit_tail(10).empty());
    for (int i = 0; i < 5; ++i) {
        audit_entry e;
        e.at = t0 + std::chrono::milliseconds(i);
        e.user_id = i == 0 ? "" : "U01AAAA";
        e.kind = "command";
        e.what = "/deploy prod #" + std::to_string(i);
        e.channel_id = "C0DEPLOYS01";
        e.detail = R"({"n":)" + std::to_string(i) + "}";
        auto id = s->append_audit(e);
        REQUIRE(id.has_value());
        CHECK(*id == i + 1);
    }
    const auto tail = s->audit_tail(3);
    REQUIRE(tail.size() == 3);
    CHECK(tail[0].id == 3);
    CHECK(tail[0].what == "/deploy prod #2");
    CHECK(tail[2].id == 5);
    CHECK(tail[2].what == "/deploy prod #4");
    CHECK(tail[2].at == t0 + 4ms);
    CHECK(tail[2].user_id == "U01AAAA");
    CHECK(tail[2].kind == "command");
    CHECK(tail[2].channel_id == "C0DEPLOYS01");
    CHECK(tail[2].detail == R"({"n":4})");
    const auto all = s->audit_tail(100);
    REQUIRE(all.size() == 5);
    CHECK(all[0].user_id.empty());
    CHECK(all[0].at == t0);
}

TEST_CASE("store: the audit log refuses updates and deletes even through the raw handle") {
    temp_db tmp("append_only");
    auto s = open_ok(tmp.path);
    audit_entry e;
    e.at = t0;
    e.kind = "system";
    e.what = "started";
    REQUIRE(s->append_audit(e).has_value());
    CHECK(sqlite3_exec(s->handle(), "UPDATE audit_log SET what = 'edited'", nullptr, nullptr, nullptr) != SQLITE_OK);
    CHECK(sqlite3_exec(s->handle(), "DELETE FROM audit_log", nullptr, nullptr, nullptr) != SQLITE_OK);
    const auto tail = s->audit_tail(10);
    REQUIRE(tail.size() == 1);
    CHECK(tail[0].what == "started");
}

TEST_CASE("store: reopening keeps the data") {
    temp_db tmp("reopen");
    {
        auto s = open_ok(tmp.path);
        audit_entry e;
        e.at = t0;
        e.kind = "system";
        e.what = "started";
        REQUIRE(s->append_audit(e).has_value());
        REQUIRE(s->put_kv("lock", "U01CCCC: db upgrade").has_value());
        CHECK(s->mark_envelope_seen("env-1", t0));
        pending_input in;
        in.envelope_id = "env-1";
        in.audit.at = t0;
        in.audit.kind = "command";
        in.audit.what = "/deploy help";
        s->queue_input(std::move(in));   // written when the store closes
    }
    auto s = open_ok(tmp.path);
    CHECK(s->schema_version() == store::latest_schema_version());
    const auto tail = s->audit_tail(10);
    REQUIRE(tail.size() == 2);
    CHECK(tail[0].what == "started");
    CHECK(tail[1].what == "/deploy help");
    CHECK(s->get_kv("lock") == std::optional<std::string>("U01CCCC: db upgrade"));
    CHECK_FALSE(s->mark_envelope_seen("env-1", t0 + 1s));
}

TEST_CASE("store: envelope dedup is true then false, and prune forgets old ids") {
    temp_db tmp("envelopes");
    auto s = open_ok(tmp.path);
    CHECK(s->mark_envelope_seen("6f1c2e4a-0b9d-4c51-9e3a-2d7b8f10a4c6", t0));
    CHECK_FALSE(s->mark_envelope_seen("6f1c2e4a-0b9d-4c51-9e3a-2d7b8f10a4c6", t0 + 1s));
    CHECK(s->mark_envelope_seen("env-b", t0 + 10s));
    CHECK(s->mark_envelope_seen("env-c", t0 + 20s));

    CHECK(s->prune_envelopes(t0 + 10s) == 1);   // only the first is older
    CHECK(s->prune_envelopes(t0 + 10s) == 0);
    CHECK(s->mark_envelope_seen("6f1c2e4a-0b9d-4c51-9e3a-2d7b8f10a4c6", t0 + 30s));
    CHECK_FALSE(s->mark_envelope_seen("env-c", t0 + 30s));
    CHECK(s->prune_envelopes(t0 + 1h) == 3);
}

namespace {
pending_input input(std::string envelope_id, std::string user, std::string what, bool state_changing,
                    std::chrono::system_clock::time_point at) {
    pending_input in;
    in.envelope_id = std::move(envelope_id);
    in.audit.at = at;
    in.audit.user_id = std::move(user);
    in.audit.kind = "command";
    in.audit.what = std::move(what);
    in.state_changing = state_changing;
    return in;
}
}  // namespace

TEST_CASE("store: read-only inputs write nothing until the write-behind flush, then one row each") {
    temp_db tmp("write_behind");
    auto s = open_ok(tmp.path);
    const auto before = sqlite3_total_changes(s->handle());
    for (int i = 0; i < 100; ++i) {
        const auto id = "env-" + std::to_string(i);
        REQUIRE(s->mark_envelope_seen(id, t0));
        s->queue_input(input(id, "U1", "/deploy help", false, t0));
    }
    CHECK_FALSE(s->mark_envelope_seen("env-7", t0 + 1s));   // in memory
    CHECK(sqlite3_total_changes(s->handle()) == before);    // zero writes so far
    CHECK(s->pending_count() == 100);
    CHECK(s->flush_pending(t0 + 1s) == 100);
    CHECK(s->pending_count() == 0);
    CHECK(sqlite3_total_changes(s->handle()) == before + 200);   // audit row + dedup id each
    CHECK(s->audit_tail(200).size() == 100);
}

TEST_CASE("store: the write-behind flush writes at most max_inputs per call, oldest first") {
    temp_db tmp("flush_batches");
    auto s = open_ok(tmp.path);
    for (int i = 0; i < 10; ++i)
        s->queue_input(input("env-" + std::to_string(i), "U1", "/deploy help " + std::to_string(i), false, t0));
    CHECK(s->flush_pending(t0 + 1s, false, 4) == 4);
    CHECK(s->pending_count() == 6);
    auto tail = s->audit_tail(10);
    REQUIRE(tail.size() == 4);
    CHECK(tail.front().what == "/deploy help 0");
    CHECK(tail.back().what == "/deploy help 3");
    CHECK(s->flush_pending(t0 + 1s, false, 4) == 4);
    CHECK(s->flush_pending(t0 + 1s, false, 4) == 2);
    CHECK(s->pending_count() == 0);
    CHECK(s->audit_tail(20).back().what == "/deploy help 9");
}

TEST_CASE("store: a state-changing input waits for its transition, then for the grace period") {
    temp_db tmp("grace");
    auto s = open_ok(tmp.path);
    s->queue_input(input("env-m", "U1", "/deploy cancel", true, t0));
    s->queue_input(input("env-r", "U1", "/deploy help", false, t0));
    CHECK(s->flush_pending(t0 + 1s) == 1);   // only the read-only one
    CHECK(s->take_pending_inputs("U2").empty());
    CHECK(s->flush_pending(t0 + store::transition_grace + 1s) == 1);   // changed nothing: written anyway
    CHECK(s->pending_count() == 0);
}

TEST_CASE("store: write_audited commits the change, the input that caused it and its audit row together") {
    temp_db tmp("write_audited");
    {
        auto s = open_ok(tmp.path);
        s->queue_input(input("env-lock", "U1", "/deploy lock freeze", true, t0));
        s->queue_input(input("env-other", "U2", "/deploy cancel", true, t0));
        audit_entry row;
        row.at = t0;
        row.user_id = "U1";
        row.kind = "lock";
        row.what = "freeze";
        const auto before = sqlite3_total_changes(s->handle());
        REQUIRE(s->write_audited(row, [&] { return s->put_kv("deploy_lock", "{}"); }).has_value());
        // the kv row + the input's dedup id and audit row + the change's audit row
        CHECK(sqlite3_total_changes(s->handle()) == before + 4);
        CHECK(s->pending_count() == 1);   // U2's input is not this change's

        // A refused change writes nothing and gives the input back to the queue.
        s->queue_input(input("env-unlock", "U1", "/deploy unlock", true, t0 + 1s));
        const auto refused_before = sqlite3_total_changes(s->handle());
        row.kind = "unlock";
        auto refused = s->write_audited(row, [&]() -> result<void> {
            if (auto r = s->erase_kv("deploy_lock"); !r) return r;
            return make_error_code(errc::conflict);
        });
        CHECK(refused.error() == make_error_code(errc::conflict));
        CHECK(sqlite3_total_changes(s->handle()) == refused_before + 1);   // the erase, rolled back
        CHECK(s->get_kv("deploy_lock") == std::optional<std::string>("{}"));
        CHECK(s->pending_count() == 2);
    }
    // Reopened (the store flushed its queue on close): the committed input's
    // envelope is known, and its row precedes the change's.
    auto reopened = open_ok(tmp.path);
    CHECK_FALSE(reopened->mark_envelope_seen("env-lock", t0 + 1h));
    const auto tail = reopened->audit_tail(10);
    REQUIRE(tail.size() == 4);
    CHECK(tail[0].what == "/deploy lock freeze");
    CHECK(tail[1].kind == "lock");
}

TEST_CASE("store: the dedup memory is bounded and forgets after 24 h") {
    temp_db tmp("dedup_bound");
    auto s = open_ok(tmp.path);
    CHECK(s->mark_envelope_seen("first", t0));
    for (std::size_t i = 0; i < store::max_remembered_envelopes; ++i)
        REQUIRE(s->mark_envelope_seen("e" + std::to_string(i), t0 + 1s));
    CHECK(s->mark_envelope_seen("first", t0 + 2s));   // evicted by the bound
    CHECK_FALSE(s->mark_envelope_seen("e5", t0 + 2s));
    CHECK(s->mark_envelope_seen("e5", t0 + 25h));     // past the TTL
}

TEST_CASE("store: key/value put, overwrite, get and erase") {
    temp_db tmp("kv");
    auto s = open_ok(tmp.path);
    CHECK_FALSE(s->get_kv("lock").has_value());
    REQUIRE(s->put_kv("lock", "a").has_value());
    CHECK(s->get_kv("lock") == std::optional<std::string>("a"));
    REQUIRE(s->put_kv("lock", std::string("b\0c", 3)).has_value());
    CHECK(s->get_kv("lock") == std::optional<std::string>(std::string("b\0c", 3)));
    REQUIRE(s->put_kv("other", "").has_value());
    CHECK(s->get_kv("other") == std::optional<std::string>(""));
    REQUIRE(s->erase_kv("lock").has_value());
    CHECK_FALSE(s->get_kv("lock").has_value());
    CHECK(s->erase_kv("never-set").has_value());
}

TEST_CASE("store: a database at user_version 0 without tables is migrated") {
    temp_db tmp("v0");
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(tmp.path.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "CREATE TABLE unrelated (x INTEGER); PRAGMA user_version = 0;", nullptr, nullptr,
                             nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    auto s = open_ok(tmp.path);
    CHECK(s->schema_version() == store::latest_schema_version());
    CHECK(s->mark_envelope_seen("e", t0));
    CHECK(s->put_kv("k", "v").has_value());
}

TEST_CASE("store: a file from a newer build or an unopenable path is a storage_error") {
    temp_db tmp("newer");
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(tmp.path.c_str(), &db) == SQLITE_OK);
        const std::string sql = "PRAGMA user_version = " + std::to_string(store::latest_schema_version() + 1);
        REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    auto s = store::open(tmp.path);
    REQUIRE(s.has_error());
    CHECK(s.error() == make_error_code(errc::storage_error));

    auto bad = store::open("/nonexistent-dir/deploybot.sqlite3");
    REQUIRE(bad.has_error());
    CHECK(bad.error() == make_error_code(errc::storage_error));
}

TEST_CASE("store: a file that is not a SQLite database is reported as such, not as a WAL problem") {
    temp_db tmp("garbage");
    std::mt19937 rng(42);
    std::string garbage(4096, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng());
    for (const auto& content : {garbage, std::string("deploybot config, not a database\n")}) {
        CAPTURE(content.size());
        std::ofstream(tmp.path, std::ios::binary | std::ios::trunc) << content;
        std::vector<std::string> lines;
        log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
        auto s = store::open(tmp.path);
        log::set_sink(nullptr);
        REQUIRE(s.has_error());
        CHECK(s.error() == make_error_code(errc::storage_error));
        REQUIRE(lines.size() == 1);
        CHECK_MESSAGE(lines[0].find("storage.path " + tmp.path + ": not a SQLite database (file is not a database)") !=
                          std::string::npos,
                      lines[0]);
        CHECK(lines[0].find("WAL") == std::string::npos);
        // Left as it was: nothing written into someone else's file.
        std::ifstream in(tmp.path, std::ios::binary);
        CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == content);
    }
}
