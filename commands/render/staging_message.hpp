#pragma once
// The #deployments message of one staging deployment (pure): commit(s) since
// the previous staging build, the URL, build state and time; on READY a
// "QA: sign off" button; a failed build with Vercel's reason and the author.
#include "bot/core/blocks.hpp"
#include "commands/render/deploy_message.hpp"
#include "commands/workflow/staging_feed.hpp"

namespace deploybot {

inline constexpr std::string_view staging_signoff_action_id = "staging.signoff";

blocks::message render_staging_message(const staging_item& item, std::string_view main_branch,
                                       const message_context& ctx);

}  // namespace deploybot
