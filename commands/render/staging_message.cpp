#include "commands/render/staging_message.hpp"
#include "commands/render/text.hpp"

#include "bot/core/time_ms.hpp"
#include "commands/workflow/schedule.hpp"

#include <fmt/format.h>

namespace deploybot {

namespace {
using blocks::escape;
using blocks::truncate;
using namespace render_text;
}  // namespace

blocks::message render_staging_message(const staging_item& i, std::string_view main_branch, const message_context& ctx) {
    blocks::message m;
    std::string head;
    if (i.state == "READY") head = ":white_check_mark: *Staging is ready*";
    else if (i.state == "ERROR" || i.state == "CANCELED" || i.state == "BLOCKED") head = ":x: *Staging build failed*";
    else head = ":construction: *Staging is building*";
    m.text = fmt::format("Staging {}: {} {}", i.state.empty() ? "BUILDING" : i.state, short_sha(i.sha),
                         truncate(first_line(i.message), 100));
    std::string text = fmt::format("{} — {} from `{}` @ `{}` {}", head, link(i.url, i.deployment_id),
                                   escape(main_branch), short_sha(i.sha), escape(truncate(first_line(i.message), 120)));
    text += fmt::format("\nBuilt {} ago{} · state {}", render_age(ctx.now - from_ms(i.created_ms)),
                        i.creator.empty() ? std::string() : ", commit by " + escape(i.creator),
                        i.state.empty() ? std::string("QUEUED") : escape(i.state));
    if (!i.host.empty()) text += "\n" + link(i.host, i.host);
    if (!i.error.empty()) text += "\n*Vercel says:* " + escape(truncate(i.error, 400));
    m.blocks.push_back(blocks::section(truncate(text, 2900), "staging"));
    std::string changes = i.prev_sha.empty() ? std::string("*Changes:* first staging build deploybot saw")
                                             : "*Since* `" + short_sha(i.prev_sha) + "`:" +
                                                   (i.changes.empty() ? std::string(" (no commit list)") : "\n" + i.changes);
    m.blocks.push_back(blocks::section(truncate(changes, 2900), "staging.changes"));
    if (!i.superseded_by.empty()) {
        m.blocks.push_back(blocks::context({":fast_forward: Superseded by `" + escape(i.superseded_by) +
                                            "`" + (i.signed_off_by.empty() ? std::string()
                                                                           : "; the QA sign-off on this build is void")},
                                           "staging.superseded"));
    } else if (!i.signed_off_by.empty()) {
        m.blocks.push_back(blocks::context({fmt::format(":white_check_mark: QA signed off by <@{}> · {} — the next "
                                                        "`/deploy prod` of this build starts with it",
                                                        escape(i.signed_off_by),
                                                        describe_local(ctx.schedule, from_ms(i.signed_off_ms)))},
                                           "staging.signoff"));
    } else if (i.state == "READY") {
        blocks::button b;
        b.text = "QA: sign off";
        b.action_id = std::string(staging_signoff_action_id);
        b.value = i.deployment_id;
        b.style = "primary";
        m.blocks.push_back(blocks::actions({b}, "staging.actions"));
    }
    return m;
}

}  // namespace deploybot
