#pragma once
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Block Kit rendering helpers (pure). Limits from reference/slack.md §5.
namespace deploybot::blocks {

namespace json = boost::json;

inline constexpr std::size_t max_blocks = 50;
inline constexpr std::size_t max_section_text = 3000;
inline constexpr std::size_t max_header_text = 150;
inline constexpr std::size_t max_button_text = 75;
inline constexpr std::size_t max_button_value = 2000;
inline constexpr std::size_t max_context_elements = 10;
inline constexpr std::size_t max_actions_elements = 25;
inline constexpr std::size_t max_fallback_text = 4000;

// Escapes & < > in user-supplied text for mrkdwn / plain contexts.
std::string escape(std::string_view text);

// Truncates to at most `max_chars` characters (UTF-8 code points, never
// splitting one), appending "…" when cut.
std::string truncate(std::string_view text, std::size_t max_chars);

struct confirm_dialog {
    std::string title, text, confirm = "Confirm", deny = "Cancel";
    bool danger = false;
};

struct button {
    std::string text;           // plain_text (truncated to 75)
    std::string action_id;
    std::string value;
    std::string style;          // "", "primary", "danger"
    std::optional<confirm_dialog> confirm;
    std::string url;            // link button when non-empty
};

json::object header(std::string_view text, std::string_view block_id = {});
json::object section(std::string_view mrkdwn, std::string_view block_id = {},
                     std::optional<button> accessory = std::nullopt);
// A section with `fields` (two columns on desktop, stacked on a phone) under an optional text.
json::object section_fields(std::string_view mrkdwn, const std::vector<std::string>& fields,
                            std::string_view block_id = {});
json::object context(const std::vector<std::string>& mrkdwn_elements, std::string_view block_id = {});
json::object actions(const std::vector<button>& buttons, std::string_view block_id = {});
json::object divider();
json::object render_button(const button& b);

// A whole message: fallback text (required, non-empty) + blocks.
struct message {
    std::string text;
    json::array blocks;
};

// {"text":…, "blocks":[…]} (blocks omitted when empty).
json::object to_json(const message& m);
// The same, moving the blocks instead of copying them.
json::object to_json(message&& m);

// Checks a blocks array against the limits we rely on: block count, text
// lengths, button text/value, unique block_id and action_id. Returns one
// human-readable problem per violation with a JSON pointer
// ("/blocks/3/text/text: must be at most 3000 characters"); empty = valid.
std::vector<std::string> validate(const json::array& blocks);

}  // namespace deploybot::blocks
