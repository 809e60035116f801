#pragma once
#include "commands/service_clients_fwd.hpp"
#include "commands/bot_context.hpp"
#include "commands/deploy/deploy_store.hpp"
#include "commands/workflow/deploy_request.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace deploybot {

// Effects of the post-live phase (watch, rollback, post-mortem) are performed
// by other modules; the deploy workflow hands each one to every sink after
// the transition that produced it was saved.
class post_live_sink {
public:
    virtual ~post_live_sink() = default;
    virtual void perform(const deploy_request& record, const effect& e) = 0;
};

// The deploy records as other modules use them: the same apply → save →
// effects path as the checklist, and the posts that must arrive once.
class deploy_records {
public:
    struct transition_result {
        bool accepted = false;
        bool refused = false;      // the machine's refusal was already posted to the user
        std::string error;         // a problem nobody was told about yet
    };
    virtual ~deploy_records() = default;
    virtual transition_result transition(std::int64_t id, const deploy_event& ev, std::string_view user) = 0;
    virtual deploy_store& records() = 0;
    // A new record (a rollback): saved with its audit row, its message posted,
    // its effects started. False when it could not be saved.
    virtual bool create(deploy_request record, std::string audit_what) = 0;
    // chat.postMessage tagged with `key`; after a lost answer the channel is
    // asked before anything is sent again. The ts, or "" (Slack's error in *error).
    virtual boost::asio::awaitable<std::string> post_once(boost::json::object body, std::string key,
                                                          std::string* error) = 0;
    // A reply in the record's thread (best effort).
    virtual void thread_reply(std::int64_t id, std::string text) = 0;
    // Re-renders the record's channel message.
    virtual void refresh_message(std::int64_t id) = 0;
    virtual void add_sink(post_live_sink* sink) = 0;
};

// The production deploy workflow (/deploy prod, status, history, cancel,
// lock, unlock and the checklist buttons): registers its routes on
// construction, resumes persisted requests on start().
class deploy_service : public feature_module {
public:
    virtual deploy_records& records_port() = 0;
};

std::unique_ptr<deploy_service> make_deploy_service(bot_context& ctx, shared_clients clients);

}  // namespace deploybot
