#include "commands/module_support.hpp"

#include "commands/workflow/schedule.hpp"

namespace deploybot {

api_retry_options retry_options(const config& cfg) {
    api_retry_options o;
    o.max_attempts = cfg.http.max_retries + 1;
    o.backoff_base = cfg.http.retry_backoff;
    return o;
}

blocks::message plain(std::string text, std::string_view block_id) {
    blocks::message m;
    m.text = text;
    m.blocks.push_back(blocks::section(text, block_id));
    return m;
}

message_context module_message_context(const bot_context& ctx) {
    message_context mc;
    mc.now = ctx.clock();
    mc.schedule = ctx.cfg.schedule;
    mc.window = evaluate_schedule(ctx.cfg.schedule, mc.now);
    mc.production_domain = ctx.cfg.vercel.production_domain;
    mc.staging_domain = ctx.cfg.vercel.staging_domain;
    mc.qa_leads = ctx.cfg.people.qa_leads;
    mc.big_batch_warning = ctx.cfg.github.big_batch_warning;
    return mc;
}

asio::awaitable<void> nothing() { co_return; }

}  // namespace deploybot
