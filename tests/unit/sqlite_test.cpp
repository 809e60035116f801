// The one SQLite wrapper: cached statements, reset on release, transactions
// that roll back unless committed.
#include "bot/store/sqlite.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <memory>

using namespace deploybot;

namespace {
std::unique_ptr<sql::database> memory_db() {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
    auto d = std::make_unique<sql::database>(db);
    REQUIRE(d->exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"));
    return d;
}

std::int64_t count(sql::database& db) {
    auto st = db.prepare("SELECT count(*) FROM t");
    REQUIRE(st.next());
    return st.integer(0);
}
}  // namespace

TEST_CASE("sqlite: a statement is prepared once and reused with fresh bindings") {
    auto db = memory_db();
    for (int i = 0; i < 5; ++i) {
        auto st = db->prepare("INSERT INTO t (k, v) VALUES (?, ?)");
        CHECK(st.bind(1, "k" + std::to_string(i)).bind(2, std::int64_t{i}).run());
    }
    CHECK(count(*db) == 5);
    CHECK(db->cached_statements() == 2);   // the insert and the count
    {
        auto st = db->prepare("SELECT v FROM t WHERE k = ?");
        st.bind(1, "k3");
        REQUIRE(st.next());
        CHECK(st.integer(0) == 3);
    }
    {
        // Released statements are reset: the same text starts from the first row again.
        auto st = db->prepare("SELECT v FROM t WHERE k = ?");
        st.bind(1, "k4");
        REQUIRE(st.next());
        CHECK(st.integer(0) == 4);
        CHECK(!st.next());
        CHECK(!st.failed());
    }
    CHECK(db->cached_statements() == 3);
}

TEST_CASE("sqlite: the same text borrowed twice at once gets its own statement") {
    auto db = memory_db();
    for (const char* k : {"a", "b"}) db->prepare("INSERT INTO t (k, v) VALUES (?, 1)").bind(1, k).run();
    auto outer = db->prepare("SELECT k FROM t ORDER BY k");
    REQUIRE(outer.next());
    CHECK(outer.text(0) == "a");
    {
        auto inner = db->prepare("SELECT k FROM t ORDER BY k");
        REQUIRE(inner.next());
        CHECK(inner.text(0) == "a");
    }
    REQUIRE(outer.next());   // not disturbed by the inner use
    CHECK(outer.text(0) == "b");
}

TEST_CASE("sqlite: a failed statement reports failure; a bad SQL text is not prepared") {
    auto db = memory_db();
    auto bad = db->prepare("SELEC nonsense");
    CHECK(!bad.prepared());
    CHECK(!bad.run());
    CHECK(bad.failed());
    REQUIRE(db->prepare("INSERT INTO t (k, v) VALUES ('x', 1)").run());
    auto dup = db->prepare("INSERT INTO t (k, v) VALUES ('x', 1)");
    CHECK(!dup.run());   // primary key
    CHECK(dup.failed());
    CHECK(count(*db) == 1);
}

TEST_CASE("sqlite: a transaction rolls back unless committed") {
    auto db = memory_db();
    {
        sql::transaction tx(*db);
        REQUIRE(tx.began());
        db->prepare("INSERT INTO t (k, v) VALUES ('gone', 1)").run();
        CHECK(count(*db) == 1);
    }   // early exit: rolled back
    CHECK(count(*db) == 0);
    {
        sql::transaction tx(*db);
        db->prepare("INSERT INTO t (k, v) VALUES ('kept', 1)").run();
        CHECK(tx.commit());
        CHECK(!tx.commit());   // once
    }
    CHECK(count(*db) == 1);
    // And the guard lets a new transaction begin afterwards (none left open).
    sql::transaction again(*db);
    CHECK(again.began());
}
