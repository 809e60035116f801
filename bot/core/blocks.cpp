#include "bot/core/blocks.hpp"

#include <fmt/format.h>

#include <set>

namespace deploybot::blocks {
namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";  // U+2026 "…"

// Limits from reference/slack.md §5 that the header does not export.
constexpr std::size_t max_id_length = 255;
constexpr std::size_t max_button_url = 3000;
constexpr std::size_t max_confirm_title = 100;
constexpr std::size_t max_confirm_text = 300;
constexpr std::size_t max_confirm_button = 30;
constexpr std::size_t max_section_fields = 10;
constexpr std::size_t max_field_text = 2000;
constexpr std::size_t max_context_text = 3000;

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Code points, which is how we count "characters" everywhere (the header's
// contract); stray continuation bytes belong to the code point before them.
std::size_t count_chars(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += is_continuation(c) ? 0 : 1;
    return n;
}

json::object text_object(std::string_view type, std::string_view text) {
    json::object o;
    o["type"] = type;
    o["text"] = text;
    return o;
}

json::object plain_text(std::string_view text, std::size_t max_chars) {
    return text_object("plain_text", truncate(text, max_chars));
}

json::object mrkdwn(std::string_view text, std::size_t max_chars) {
    return text_object("mrkdwn", truncate(text, max_chars));
}

json::object block_base(std::string_view type, std::string_view block_id) {
    json::object o;
    o["type"] = type;
    if (!block_id.empty()) o["block_id"] = block_id;
    return o;
}

json::object render_confirm(const confirm_dialog& c) {
    json::object o;
    o["title"] = plain_text(c.title, max_confirm_title);
    o["text"] = plain_text(c.text, max_confirm_text);
    o["confirm"] = plain_text(c.confirm, max_confirm_button);
    o["deny"] = plain_text(c.deny, max_confirm_button);
    if (c.danger) o["style"] = "danger";
    return o;
}

class validator {
public:
    std::vector<std::string> run(const json::array& blocks) {
        if (blocks.size() > max_blocks)
            problem("/blocks", fmt::format("must have at most {} blocks (has {})", max_blocks, blocks.size()));
        for (std::size_t i = 0; i < blocks.size(); ++i) check_block(blocks[i], fmt::format("/blocks/{}", i));
        return std::move(problems_);
    }

private:
    void problem(const std::string& pointer, std::string_view what) {
        problems_.push_back(fmt::format("{}: {}", pointer, what));
    }

    // A string member: returns it when present and a string, else reports.
    const json::string* require_string(const json::object& o, std::string_view key, const std::string& pointer) {
        const json::value* v = o.if_contains(key);
        if (!v) {
            problem(pointer + "/" + std::string(key), "is required");
            return nullptr;
        }
        if (!v->is_string()) {
            problem(pointer + "/" + std::string(key), "must be a string");
            return nullptr;
        }
        return &v->get_string();
    }

    void check_length(const json::string& s, std::size_t max_chars, const std::string& pointer) {
        if (count_chars(std::string_view(s.data(), s.size())) > max_chars)
            problem(pointer, fmt::format("must be at most {} characters", max_chars));
    }

    // Optional string member with a length limit.
    void check_optional_string(const json::object& o, std::string_view key, std::size_t max_chars,
                               const std::string& pointer) {
        const json::value* v = o.if_contains(key);
        if (!v) return;
        const std::string p = pointer + "/" + std::string(key);
        if (!v->is_string()) return problem(p, "must be a string");
        check_length(v->get_string(), max_chars, p);
    }

    // A text object {"type":…,"text":…}; `plain_only` for header/button text.
    void check_text_object(const json::value* v, std::size_t max_chars, bool plain_only, const std::string& pointer) {
        if (!v) return problem(pointer, "is required");
        const json::object* o = v->if_object();
        if (!o) return problem(pointer, "must be a text object");
        if (const json::string* type = require_string(*o, "type", pointer)) {
            if (plain_only && *type != "plain_text") problem(pointer + "/type", "must be plain_text");
            else if (*type != "plain_text" && *type != "mrkdwn")
                problem(pointer + "/type", "must be plain_text or mrkdwn");
        }
        if (const json::string* text = require_string(*o, "text", pointer)) {
            if (text->empty()) problem(pointer + "/text", "must not be empty");
            check_length(*text, max_chars, pointer + "/text");
        }
    }

    void check_id(const json::object& o, std::string_view key, std::set<std::string>& seen, const std::string& pointer) {
        const json::value* v = o.if_contains(key);
        if (!v) return;
        const std::string p = pointer + "/" + std::string(key);
        const json::string* id = v->if_string();
        if (!id) return problem(p, "must be a string");
        if (id->empty()) return problem(p, "must not be empty");
        check_length(*id, max_id_length, p);
        // action_ids are unique per message (DESIGN.md), stricter than Slack's per-block rule.
        if (!seen.emplace(id->data(), id->size()).second)
            problem(p, fmt::format("duplicate {} \"{}\"", key, std::string_view(id->data(), id->size())));
    }

    void check_confirm(const json::value& v, const std::string& pointer) {
        const json::object* o = v.if_object();
        if (!o) return problem(pointer, "must be an object");
        check_text_object(o->if_contains("title"), max_confirm_title, true, pointer + "/title");
        check_text_object(o->if_contains("text"), max_confirm_text, false, pointer + "/text");
        check_text_object(o->if_contains("confirm"), max_confirm_button, true, pointer + "/confirm");
        check_text_object(o->if_contains("deny"), max_confirm_button, true, pointer + "/deny");
        check_style(*o, pointer);
    }

    void check_style(const json::object& o, const std::string& pointer) {
        const json::value* v = o.if_contains("style");
        if (!v) return;
        const json::string* s = v->if_string();
        if (!s || (*s != "primary" && *s != "danger")) problem(pointer + "/style", "must be primary or danger");
    }

    // Interactive elements: action_id uniqueness for all; limits for buttons.
    void check_element(const json::value& v, const std::string& pointer) {
        const json::object* o = v.if_object();
        if (!o) return problem(pointer, "must be an object");
        const json::string* type = require_string(*o, "type", pointer);
        check_id(*o, "action_id", action_ids_, pointer);
        if (!type || *type != "button") return;
        check_text_object(o->if_contains("text"), max_button_text, true, pointer + "/text");
        check_optional_string(*o, "value", max_button_value, pointer);
        check_optional_string(*o, "url", max_button_url, pointer);
        check_style(*o, pointer);
        if (const json::value* c = o->if_contains("confirm")) check_confirm(*c, pointer + "/confirm");
    }

    const json::array* require_array(const json::object& o, std::string_view key, const std::string& pointer) {
        const json::value* v = o.if_contains(key);
        const std::string p = pointer + "/" + std::string(key);
        if (!v) {
            problem(p, "is required");
            return nullptr;
        }
        if (!v->is_array()) {
            problem(p, "must be an array");
            return nullptr;
        }
        return &v->get_array();
    }

    void check_block(const json::value& v, const std::string& pointer) {
        const json::object* o = v.if_object();
        if (!o) return problem(pointer, "must be an object");
        check_id(*o, "block_id", block_ids_, pointer);
        const json::string* type = require_string(*o, "type", pointer);
        if (!type) return;

        if (*type == "header") {
            check_text_object(o->if_contains("text"), max_header_text, true, pointer + "/text");
        } else if (*type == "section") {
            const json::value* text = o->if_contains("text");
            const json::value* fields = o->if_contains("fields");
            if (text || !fields) check_text_object(text, max_section_text, false, pointer + "/text");
            if (fields) check_fields(*fields, pointer + "/fields");
            if (const json::value* acc = o->if_contains("accessory")) check_element(*acc, pointer + "/accessory");
        } else if (*type == "context") {
            if (const json::array* elements = require_array(*o, "elements", pointer)) {
                const std::string p = pointer + "/elements";
                if (elements->empty()) problem(p, "must not be empty");
                if (elements->size() > max_context_elements)
                    problem(p, fmt::format("must have at most {} elements", max_context_elements));
                for (std::size_t i = 0; i < elements->size(); ++i) check_context_element((*elements)[i], fmt::format("{}/{}", p, i));
            }
        } else if (*type == "actions") {
            if (const json::array* elements = require_array(*o, "elements", pointer)) {
                const std::string p = pointer + "/elements";
                if (elements->empty()) problem(p, "must not be empty");
                if (elements->size() > max_actions_elements)
                    problem(p, fmt::format("must have at most {} elements", max_actions_elements));
                for (std::size_t i = 0; i < elements->size(); ++i) check_element((*elements)[i], fmt::format("{}/{}", p, i));
            }
        }
        // Other block types (divider, image, input, rich_text…) are allowed as-is.
    }

    void check_fields(const json::value& v, const std::string& pointer) {
        const json::array* fields = v.if_array();
        if (!fields) return problem(pointer, "must be an array");
        if (fields->size() > max_section_fields)
            problem(pointer, fmt::format("must have at most {} items", max_section_fields));
        for (std::size_t i = 0; i < fields->size(); ++i)
            check_text_object(&(*fields)[i], max_field_text, false, fmt::format("{}/{}", pointer, i));
    }

    void check_context_element(const json::value& v, const std::string& pointer) {
        const json::object* o = v.if_object();
        if (!o) return problem(pointer, "must be an object");
        const json::string* type = require_string(*o, "type", pointer);
        // Images and other element kinds carry no text to check.
        if (type && (*type == "plain_text" || *type == "mrkdwn"))
            check_text_object(&v, max_context_text, false, pointer);
    }

    std::vector<std::string> problems_;
    std::set<std::string> block_ids_;
    std::set<std::string> action_ids_;
};

}  // namespace

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string truncate(std::string_view text, std::size_t max_chars) {
    if (count_chars(text) <= max_chars) return std::string(text);
    if (max_chars == 0) return {};
    // Keep max_chars - 1 code points so the ellipsis fits within the limit; cut
    // only in front of a lead byte so no code point is split.
    const std::size_t keep = max_chars - 1;
    std::size_t seen = 0;
    std::size_t cut = 0;
    for (; cut < text.size(); ++cut) {
        if (is_continuation(static_cast<unsigned char>(text[cut]))) continue;
        if (seen == keep) break;
        ++seen;
    }
    std::string out(text.substr(0, cut));
    out += ellipsis;
    return out;
}

json::object header(std::string_view text, std::string_view block_id) {
    json::object o = block_base("header", block_id);
    o["text"] = plain_text(text, max_header_text);
    return o;
}

json::object section(std::string_view text, std::string_view block_id, std::optional<button> accessory) {
    json::object o = block_base("section", block_id);
    o["text"] = mrkdwn(text, max_section_text);
    if (accessory) o["accessory"] = render_button(*accessory);
    return o;
}

json::object section_fields(std::string_view text, const std::vector<std::string>& fields, std::string_view block_id) {
    json::object o = block_base("section", block_id);
    if (!text.empty()) o["text"] = mrkdwn(text, max_section_text);
    json::array out;
    for (std::size_t i = 0; i < fields.size() && i < max_section_fields; ++i) out.push_back(mrkdwn(fields[i], max_field_text));
    o["fields"] = std::move(out);
    return o;
}

json::object context(const std::vector<std::string>& mrkdwn_elements, std::string_view block_id) {
    json::object o = block_base("context", block_id);
    json::array elements;
    for (std::size_t i = 0; i < mrkdwn_elements.size() && i < max_context_elements; ++i)
        elements.push_back(mrkdwn(mrkdwn_elements[i], max_context_text));
    o["elements"] = std::move(elements);
    return o;
}

json::object actions(const std::vector<button>& buttons, std::string_view block_id) {
    json::object o = block_base("actions", block_id);
    json::array elements;
    for (std::size_t i = 0; i < buttons.size() && i < max_actions_elements; ++i)
        elements.push_back(render_button(buttons[i]));
    o["elements"] = std::move(elements);
    return o;
}

json::object divider() {
    json::object o;
    o["type"] = "divider";
    return o;
}

json::object render_button(const button& b) {
    json::object o;
    o["type"] = "button";
    if (!b.action_id.empty()) o["action_id"] = b.action_id;
    // value/url are data, not prose: never truncated (validate reports them).
    if (!b.value.empty()) o["value"] = b.value;
    if (!b.url.empty()) o["url"] = b.url;
    if (!b.style.empty()) o["style"] = b.style;
    o["text"] = plain_text(b.text, max_button_text);
    if (b.confirm) o["confirm"] = render_confirm(*b.confirm);
    return o;
}

json::object to_json(const message& m) {
    json::object o;
    o["text"] = truncate(m.text, max_fallback_text);
    if (!m.blocks.empty()) o["blocks"] = m.blocks;
    return o;
}

json::object to_json(message&& m) {
    json::object o;
    o["text"] = truncate(m.text, max_fallback_text);
    if (!m.blocks.empty()) o["blocks"] = std::move(m.blocks);
    return o;
}

std::vector<std::string> validate(const json::array& blocks) {
    return validator{}.run(blocks);
}

}  // namespace deploybot::blocks
