#pragma once
#include "bot/core/blocks.hpp"
#include "bot/core/command.hpp"
#include "bot/core/envelope.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deploybot {

// Routes slash commands (by subcommand, aliases included) and button clicks
// (by action_id, longest registered prefix wins) to handlers.
class router {
public:
    using command_handler = std::function<boost::asio::awaitable<void>(slash_command, command_request)>;
    using action_handler = std::function<boost::asio::awaitable<void>(block_action)>;
    // A read-only command answered at once, without I/O: the answer travels in
    // the envelope's ack when Slack accepts a response payload.
    using instant_handler = std::function<blocks::message(const slash_command&, const command_request&)>;

    void on_command(subcommand sub, command_handler h) {
        instant_.erase(sub);
        commands_[sub] = std::move(h);
    }
    // Replaces any on_command handler of `sub` (and is replaced by a later one).
    void on_instant_command(subcommand sub, instant_handler h) {
        commands_.erase(sub);
        instant_[sub] = std::move(h);
    }
    // `action_id_prefix` "deploy." matches "deploy.go", "deploy.flags.configured", …
    void on_action(std::string action_id_prefix, action_handler h) { actions_[std::move(action_id_prefix)] = std::move(h); }

    // nullptr when nothing is registered.
    const command_handler* find_command(subcommand sub) const {
        auto it = commands_.find(sub);
        return it == commands_.end() ? nullptr : &it->second;
    }
    const action_handler* find_action(std::string_view action_id) const {
        const action_handler* best = nullptr;
        std::size_t best_len = 0;
        for (const auto& [prefix, h] : actions_)
            if (action_id.substr(0, prefix.size()) == prefix && prefix.size() >= best_len) {
                best = &h;
                best_len = prefix.size();
            }
        return best;
    }
    const instant_handler* find_instant_command(subcommand sub) const {
        auto it = instant_.find(sub);
        return it == instant_.end() ? nullptr : &it->second;
    }
    bool has_command(subcommand sub) const { return commands_.count(sub) != 0 || instant_.count(sub) != 0; }

private:
    std::map<subcommand, command_handler> commands_;
    std::map<subcommand, instant_handler> instant_;
    std::map<std::string, action_handler, std::less<>> actions_;
};

}  // namespace deploybot
