#pragma once
#include "bot/core/error.hpp"
#include "bot/store/store.hpp"
#include "commands/workflow/deploy_request.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

// Persistence of production deploy requests in the bot's SQLite store.
//
// Write-before-effect contract: the I/O layer calls save_transition() with the
// result of apply() and performs the result's effects only after it returned
// success. The request row and its audit row are written in one transaction,
// so after a crash either both exist (and resume_effects() says what is still
// owed) or neither does (and the triggering input is simply handled again).
namespace deploybot {

class deploy_store {
public:
    // Does not touch the database; call ensure_schema() once after opening.
    explicit deploy_store(store& db);

    // Checks that the store's migrations created deploy_requests; idempotent.
    result<void> ensure_schema();

    // Id for a new request: one more than the largest stored id (ids start at 1).
    result<std::int64_t> next_id();

    // Upsert of the request (columns + JSON blob), plus `audit` if given, in
    // one transaction.
    // errc::conflict when the stored revision is not older than req.revision
    // (a save built on a stale read, or a second create of the same id).
    result<void> save(const deploy_request& req, const std::optional<audit_entry>& audit = std::nullopt);

    // save() of an accepted transition with an audit row of kind "transition".
    // A refused or ignored result (changed == false) writes nothing.
    result<void> save_transition(const deploy_request& before, const transition_result& t, std::string_view user_id,
                                 time_point now);

    std::optional<deploy_request> load(std::int64_t id) const;
    // The non-terminal request (collecting, scheduled or promoting), if any;
    // the newest one should an older file hold several.
    std::optional<deploy_request> active() const;
    // Terminal records (live, failed, cancelled, unknown, rolled back), most
    // recently updated first.
    std::vector<deploy_request> history(std::size_t n) const;
    // Records with post-live work: a watch in progress, an owed watch summary
    // or post-mortem (resumed on start).
    std::vector<deploy_request> post_live_pending() const;
    // The record that most recently went live and still is (not rolled back).
    std::optional<deploy_request> last_live() const;

private:
    store& db_;
};

// The audit row save_transition writes: kind "transition", what = t.audit_what,
// detail = {"request":id,"from":…,"to":…,"revision":…,"effects":[effect names]}.
audit_entry make_transition_audit(const deploy_request& before, const transition_result& t, std::string_view user_id,
                                  time_point now);

}  // namespace deploybot
