#include "commands/deploy/deploy_store.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <random>

using namespace deploybot;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

const time_point t0 = std::chrono::sys_days{} + hours{24 * 20000};

struct temp_db {
    std::filesystem::path path;
    temp_db() {
        std::random_device rd;
        path = std::filesystem::temp_directory_path() / ("deploy_store_test_" + std::to_string(rd()) + ".sqlite3");
    }
    ~temp_db() {
        std::error_code ec;
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix, ec);
    }
};

deploy_request make(std::int64_t id, time_point at) {
    return make_deploy_request(id, "U_REQ", "C_DEPLOY",
                               {"dpl_" + std::to_string(id), "https://x.vercel.app", "abcdef1234", "msg", at,
                                staging_model::preview_branch, true},
                               {"dpl_P", "ppppppp"}, true, "", at);
}

}  // namespace

TEST_CASE("deploy_store: save, load, active, history and audit") {
    temp_db tmp;
    auto opened = store::open(tmp.path.string());
    REQUIRE(opened.has_value());
    store& db = **opened;
    deploy_store ds(db);
    REQUIRE(ds.ensure_schema().has_value());
    REQUIRE(ds.ensure_schema().has_value());   // idempotent

    CHECK(*ds.next_id() == 1);
    CHECK_FALSE(ds.active());

    // Two finished requests and one active.
    auto r1 = make(1, t0);
    REQUIRE(ds.save(r1).has_value());
    auto c1 = apply(r1, cancel_request{"U_REQ", false}, t0 + hours{1});
    REQUIRE(ds.save_transition(r1, c1, "U_REQ", t0 + hours{1}).has_value());

    auto r2 = make(2, t0 + hours{2});
    REQUIRE(ds.save(r2).has_value());
    auto c2 = apply(r2, cancel_request{"U_ADMIN", true}, t0 + hours{3});
    REQUIRE(ds.save_transition(r2, c2, "U_ADMIN", t0 + hours{3}).has_value());

    CHECK(*ds.next_id() == 3);
    auto r3 = make(3, t0 + hours{4});
    REQUIRE(ds.save(r3).has_value());
    auto p3 = apply(r3, message_posted{"C_DEPLOY", "1700000000.000200"}, t0 + hours{4});
    REQUIRE(ds.save_transition(r3, p3, "", t0 + hours{4}).has_value());

    const auto active = ds.active();
    REQUIRE(active);
    CHECK(active->id == 3);
    CHECK(active->message_ts == "1700000000.000200");
    CHECK(active->candidate.model == staging_model::preview_branch);
    CHECK(active->item(item_key::notified).state == item_state::done);

    const auto hist = ds.history(10);
    REQUIRE(hist.size() == 2);
    CHECK(hist[0].id == 2);   // newest first
    CHECK(hist[0].cancelled_by == "U_ADMIN");
    CHECK(hist[1].id == 1);
    CHECK(ds.history(1).size() == 1);

    const auto loaded = ds.load(1);
    REQUIRE(loaded);
    CHECK(loaded->state == request_state::cancelled);
    CHECK(serialize_request(*loaded) == serialize_request(c1.request));
    CHECK_FALSE(ds.load(99));

    const auto audit = db.audit_tail(10);
    REQUIRE(audit.size() == 3);
    CHECK(audit[0].kind == "transition");
    CHECK(audit[0].what == "deploy #1: cancelled by U_REQ");
    CHECK(audit[1].user_id == "U_ADMIN");
    CHECK(audit[2].what == "deploy #3: message posted 1700000000.000200");
    const auto detail = boost::json::parse(audit[1].detail).as_object();
    CHECK(detail.at("from").as_string() == "collecting");
    CHECK(detail.at("to").as_string() == "cancelled");
    CHECK(detail.at("effects").as_array().size() == 2);
}

TEST_CASE("deploy_store: refused transitions write nothing; restart resumes the promote state") {
    temp_db tmp;
    {
        auto opened = store::open(tmp.path.string());
        REQUIRE(opened.has_value());
        deploy_store ds(**opened);
        REQUIRE(ds.ensure_schema().has_value());
        auto r = make(1, t0);
        REQUIRE(ds.save(r).has_value());
        const auto refused = apply(r, cancel_request{"U_OTHER", false}, t0);
        REQUIRE(refused.refused);
        REQUIRE(ds.save_transition(r, refused, "U_OTHER", t0).has_value());
        CHECK((*opened)->audit_tail(10).empty());

        // Persist "promoting" (written before start_promote would run), then "crash".
        r.state = request_state::promoting;
        r.promote.attempt_id = "1-1";
        r.revision = 5;
        REQUIRE(ds.save(r).has_value());
    }
    auto reopened = store::open(tmp.path.string());
    REQUIRE(reopened.has_value());
    deploy_store ds(**reopened);
    REQUIRE(ds.ensure_schema().has_value());
    const auto active = ds.active();
    REQUIRE(active);
    CHECK(active->state == request_state::promoting);
    CHECK(active->revision == 5);
    const auto eff = resume_effects(*active);
    REQUIRE(eff.size() == 1);
    CHECK(effect_name(eff[0]) == "verify_promote");
    // A double click after the restart is refused: no second promote.
    CHECK(apply(*active, deploy_clicked{"U_DEP", true, ""}, t0 + minutes{1}).refused.has_value());
}

TEST_CASE("deploy_store: a save built on a stale read is refused (no lost update), and ids are never reused") {
    temp_db tmp;
    auto opened = store::open(tmp.path.string());
    REQUIRE(opened.has_value());
    deploy_store ds(**opened);
    REQUIRE(ds.ensure_schema().has_value());
    auto r = make(1, t0);
    REQUIRE(ds.save(r).has_value());
    CHECK(ds.save(r).error() == make_error_code(errc::conflict));   // a second create of #1
    // Two writers read revision 0; the first saves revision 1; the second's revision 1 loses.
    auto a = apply(r, message_posted{"C_DEPLOY", "1700000000.000200"}, t0);
    auto b = apply(r, cancel_request{"U_REQ", false}, t0);
    REQUIRE(ds.save_transition(r, a, "", t0).has_value());
    auto stale = ds.save_transition(r, b, "U_REQ", t0);
    REQUIRE_FALSE(stale.has_value());
    CHECK(stale.error() == make_error_code(errc::conflict));
    const auto now = ds.load(1);
    REQUIRE(now);
    CHECK(now->message_ts == "1700000000.000200");
    CHECK(now->state == request_state::collecting);
    // Re-applied to what is stored, it goes through.
    auto b2 = apply(*now, cancel_request{"U_REQ", false}, t0);
    REQUIRE(ds.save_transition(*now, b2, "U_REQ", t0).has_value());
    CHECK(ds.load(1)->state == request_state::cancelled);
    CHECK(ds.load(1)->message_ts == "1700000000.000200");
}

TEST_CASE("deploy_store: a file from before migration 2 keeps its requests and gains the kind column") {
    temp_db tmp;
    {
        // What an older deploybot left: schema version 1 plus the table its deploy module created.
        sqlite3* raw = nullptr;
        REQUIRE(sqlite3_open(tmp.path.string().c_str(), &raw) == SQLITE_OK);
        auto old = make(7, t0);
        const std::string body = serialize_request(old);
        const std::string sql =
            "CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, user_id TEXT NOT NULL "
            "DEFAULT '', kind TEXT NOT NULL, what TEXT NOT NULL, channel_id TEXT NOT NULL DEFAULT '', detail TEXT NOT "
            "NULL DEFAULT '');"
            "CREATE TABLE handled_envelopes (envelope_id TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL);"
            "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE deploy_requests (id INTEGER PRIMARY KEY, state TEXT NOT NULL, requester TEXT NOT NULL DEFAULT '',"
            " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, message_ts TEXT NOT NULL DEFAULT '', body TEXT NOT NULL);"
            "INSERT INTO deploy_requests VALUES (7, 'collecting', 'U_REQ', 0, 0, '', '" + body + "');"
            "PRAGMA user_version = 1;";
        REQUIRE(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(raw);
    }
    auto opened = store::open(tmp.path.string());
    REQUIRE(opened.has_value());
    CHECK((*opened)->schema_version() == store::latest_schema_version());
    deploy_store ds(**opened);
    REQUIRE(ds.ensure_schema().has_value());
    auto r = ds.load(7);
    REQUIRE(r);
    CHECK(r->kind == record_kind::production);
    CHECK(ds.active()->id == 7);
    // The durable timers table exists too.
    CHECK((*opened)->put_timer("watch:7", t0).has_value());
    CHECK((*opened)->next_timer()->key == "watch:7");
}

TEST_CASE("deploy_store: a state-changing input's dedup id and audit row commit with its transition") {
    temp_db tmp;
    {
        auto opened = store::open(tmp.path.string());
        REQUIRE(opened.has_value());
        store& db = **opened;
        deploy_store ds(db);
        auto r1 = make(1, t0);
        REQUIRE(ds.save(r1).has_value());

        REQUIRE(db.mark_envelope_seen("env-cancel", t0 + hours{1}));
        pending_input in;
        in.envelope_id = "env-cancel";
        in.audit.at = t0 + hours{1};
        in.audit.user_id = "U_REQ";
        in.audit.kind = "command";
        in.audit.what = "/deploy cancel";
        in.state_changing = true;
        db.queue_input(in);
        in.envelope_id = "env-other";
        in.audit.user_id = "U_OTHER";
        db.queue_input(in);

        const auto writes_before = sqlite3_total_changes(db.handle());
        auto c1 = apply(r1, cancel_request{"U_REQ", false}, t0 + hours{1});
        REQUIRE(ds.save_transition(r1, c1, "U_REQ", t0 + hours{1}).has_value());
        // request row + the input's dedup id and audit row + the transition's audit row
        CHECK(sqlite3_total_changes(db.handle()) == writes_before + 4);
        CHECK(db.pending_count() == 1);   // U_OTHER's input is not this transition's

        // A process that opens the file now (the bot restarted after a crash)
        // drops the redelivered envelope, and sees the input before the transition.
        auto after_crash = store::open(tmp.path.string());
        REQUIRE(after_crash.has_value());
        CHECK_FALSE((*after_crash)->mark_envelope_seen("env-cancel", t0 + hours{2}));
        CHECK((*after_crash)->mark_envelope_seen("env-other", t0 + hours{2}));
        const auto tail = (*after_crash)->audit_tail(2);
        REQUIRE(tail.size() == 2);
        CHECK(tail[0].what == "/deploy cancel");
        CHECK(tail[1].kind == "transition");
    }
}

TEST_CASE("deploy_store: a refused save gives the input back to the queue") {
    temp_db tmp;
    auto opened = store::open(tmp.path.string());
    REQUIRE(opened.has_value());
    store& db = **opened;
    deploy_store ds(db);
    auto r1 = make(1, t0);
    REQUIRE(ds.save(r1).has_value());
    pending_input in;
    in.envelope_id = "env-stale";
    in.audit.at = t0;
    in.audit.user_id = "U_REQ";
    in.audit.kind = "click";
    in.state_changing = true;
    db.queue_input(in);
    audit_entry a;
    a.at = t0;
    a.user_id = "U_REQ";
    a.kind = "transition";
    CHECK(ds.save(r1, a).error() == make_error_code(errc::conflict));   // same revision: stale
    CHECK(db.pending_count() == 1);
}
