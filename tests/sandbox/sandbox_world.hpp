#pragma once
// The sandbox's world: the fakes of tests/fakes holding a small scripted team
// and project (tests/fakes/shop_world.hpp), the bot's options pointing at
// them, and what the page's side panel does to that world. Every member is
// callable from any thread (the fakes are thread-safe; the world's own state
// has its mutex).
#include "bot/app.hpp"
#include "bot/time_source.hpp"
#include "fakes/fake_github.hpp"
#include "fakes/fake_sentry.hpp"
#include "fakes/fake_slack.hpp"
#include "fakes/fake_vercel.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace deploybot::sandbox {

struct person {
    std::string id;
    std::string name;
    std::string role;   // what the picker shows
};

struct merged_pr {
    int number = 0;
    std::string title;
    std::string author;
    std::string sha;
    std::string ci;      // "running", "passed", "failed"
    std::string build;   // the Vercel build it triggered ("" for the seeded history)
};

class world {
public:
    world();
    ~world();

    // The bot's options: every service at a local fake, storage at `storage_path`.
    app_options bot_options(const std::string& storage_path) const;

    fakes::fake_slack& slack() { return *slack_; }
    const std::vector<person>& people() const { return people_; }
    std::string display_name(const std::string& user_id) const;   // "" when unknown
    bool is_person(const std::string& user_id) const;
    std::shared_ptr<fast_time> clock() const { return time_; }

    // The side panel. Each returns a line for the page to show.
    std::string merge_pr();
    std::string set_ci(bool pass);   // the newest commit on main
    std::string next_window();
    std::string start_spike();
    std::string fail_next_promote();

    // Periodic (about 4× a second): background Sentry noise up to now, and the
    // fast clock while a watch runs.
    void tick();

    // What the panel shows: clock, window, production/staging, main's PRs, armed faults.
    boost::json::object panel_state() const;
    // "10:04" on the virtual clock in the schedule's zone.
    std::string local_time(std::chrono::system_clock::time_point t) const;

private:
    void add_noise_locked(std::chrono::system_clock::time_point now);

    std::unique_ptr<fakes::fake_slack> slack_;
    std::unique_ptr<fakes::fake_github> gh_;
    std::unique_ptr<fakes::fake_vercel> vc_;
    std::unique_ptr<fakes::fake_sentry> sentry_;
    std::shared_ptr<fast_time> time_;
    std::vector<person> people_;
    config::schedule_t schedule_;

    mutable std::mutex mutex_;
    std::vector<merged_pr> prs_;
    int next_pr_ = 0;
    int next_build_ = 4;
    std::chrono::system_clock::time_point noise_next_;
    std::size_t markers_seen_ = 0;
    std::chrono::system_clock::time_point fast_until_{};
    bool watch_fast_ = false;
    int promote_calls_when_armed_ = -1;   // -1: no promote failure armed
    std::string spike_text_;
};

}  // namespace deploybot::sandbox
