#pragma once
// Staging announcements (issue #9), the persisted part and its pure rules:
// which Vercel deployments are staging builds of the main branch, what was
// announced, and a QA sign-off given on a staging message (the same sign-off
// the production checklist asks for: it pins that deployment and commit).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deploybot {

struct staging_item {
    std::string deployment_id;
    std::string ts;                  // its message in the channel ("" = not posted yet)
    std::string state;               // Vercel readyState as last announced
    std::string sha, message, url, creator, error;
    std::string host;                // the deployment's own address (https://…vercel.app)
    std::int64_t created_ms = 0;
    std::string prev_sha;            // the staging commit before it
    std::string changes;             // mrkdwn lines: the commits since prev_sha (bounded)
    std::string signed_off_by;       // a QA lead's sign-off on the message
    std::int64_t signed_off_ms = 0;
    std::string superseded_by;       // a newer staging deployment (the sign-off no longer applies)

    bool operator==(const staging_item&) const = default;
};

struct staging_feed {
    bool initialised = false;        // false until the first poll took the current staging as seen
    std::int64_t last_created_ms = 0;
    std::string last_sha;            // the newest staging commit seen
    std::vector<staging_item> items; // announced, oldest first (bounded)

    staging_item* find(std::string_view deployment_id);
    const staging_item* find(std::string_view deployment_id) const;
};

inline constexpr std::size_t max_staging_items = 30;
inline constexpr std::string_view staging_feed_key = "staging_feed";   // kv key

std::string serialize_staging_feed(const staging_feed& f);
staging_feed parse_staging_feed(std::string_view json_text);   // tolerant; garbage → empty feed

// What makes a deployment "a staging build": the same target and custom
// environment as the deployment serving the staging domain, built from the
// main branch, and not one of deploybot's own builds (meta deployBot).
struct deployment_shape {
    std::string target;              // "production" (model A), "" (preview, models B/C)
    std::string custom_environment_id;
    std::string git_ref;
    bool ours = false;               // meta deployBot present
};
bool is_staging_build(const deployment_shape& d, const deployment_shape& staging_reference, std::string_view main_branch);

// A terminal readyState: READY, ERROR, CANCELED, BLOCKED.
bool is_final_state(std::string_view ready_state);

// The sign-off given on a staging message for this deployment, if any and not superseded.
struct staging_sign_off {
    std::string user;
    std::chrono::system_clock::time_point at{};
    std::string sha;
};
std::optional<staging_sign_off> sign_off_for(const staging_feed& f, std::string_view deployment_id);

}  // namespace deploybot
