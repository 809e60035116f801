#pragma once
// Renders a Block Kit message as plain text, the way a reviewer reads it on a
// phone (fields stacked, one line per field). Legend (as in the fidelity
// review): `## ` header, `ᶜ ` context, `────` divider, `[ X ]` button,
// `[■ X ]` primary, `[✖ X ]` danger, `{confirm: title / text / yes|no}`.
#include "bot/core/blocks.hpp"

#include <boost/json/serialize.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace deploybot::test {

inline std::string text_of(const boost::json::value* t) {
    if (!t || !t->is_object()) return {};
    const auto* s = t->as_object().if_contains("text");
    return s && s->is_string() ? std::string(s->get_string()) : std::string();
}

inline std::string button_text(const boost::json::object& b) {
    std::string style;
    if (const auto* s = b.if_contains("style"); s && s->is_string())
        style = s->get_string() == "primary" ? "■ " : s->get_string() == "danger" ? "✖ " : "";
    std::string out = "[ " + style + text_of(b.if_contains("text")) + " ]";
    if (const auto* u = b.if_contains("url"); u && u->is_string()) out += "→" + std::string(u->get_string());
    if (const auto* c = b.if_contains("confirm"); c && c->is_object()) {
        const auto& o = c->as_object();
        out += "{confirm: " + text_of(o.if_contains("title")) + " / " + text_of(o.if_contains("text")) + " / " +
               text_of(o.if_contains("confirm")) + "|" + text_of(o.if_contains("deny")) + "}";
    }
    return out;
}

// Indents continuation lines of a multi-line string.
inline std::string indent_rest(const std::string& s, const std::string& pad) {
    std::string out;
    for (char c : s) {
        out += c;
        if (c == '\n') out += pad;
    }
    return out;
}

inline std::string render_plain(const blocks::message& m) {
    std::string out = "fallback text: '" + m.text + "'\n";
    for (const auto& v : m.blocks) {
        const auto& b = v.as_object();
        const std::string type(b.at("type").as_string());
        if (type == "header") {
            out += "## " + text_of(b.if_contains("text")) + "\n";
        } else if (type == "divider") {
            out += "────────────────────────\n";
        } else if (type == "context") {
            std::string line;
            for (const auto& e : b.at("elements").as_array())
                line += (line.empty() ? "" : "  ") + text_of(&e);
            out += "  ᶜ " + indent_rest(line, "    ") + "\n";
        } else if (type == "section") {
            std::string s = text_of(b.if_contains("text"));
            if (const auto* f = b.if_contains("fields"); f && f->is_array())
                for (const auto& field : f->as_array()) s += (s.empty() ? "" : "\n") + text_of(&field);
            if (const auto* acc = b.if_contains("accessory"); acc && acc->is_object())
                s += "    " + button_text(acc->as_object());
            out += s + "\n";
        } else if (type == "actions") {
            std::string line;
            for (const auto& e : b.at("elements").as_array()) line += (line.empty() ? "  " : "  ") + button_text(e.as_object());
            out += line + "\n";
        } else {
            out += "<" + type + ">\n";
        }
    }
    return out;
}

// Compares with tests/fixtures/messages/<name>.txt; DEPLOYBOT_UPDATE_GOLDEN=1
// rewrites the file instead (review the diff as text).
inline std::string golden_path(const std::string& name) {
    return std::string(DEPLOYBOT_FIXTURES) + "/messages/" + name + ".txt";
}

inline std::string read_golden(const std::string& name) {
    std::ifstream in(golden_path(name));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline bool update_golden() {
    const char* e = std::getenv("DEPLOYBOT_UPDATE_GOLDEN");
    return e && std::string(e) == "1";
}

inline std::string golden_text(const blocks::message& m) {
    return "blocks: " + std::to_string(m.blocks.size()) + "\n" + render_plain(m);
}

}  // namespace deploybot::test

// CHECKs the rendered message against its golden file (or rewrites it).
#define CHECK_GOLDEN(name, msg)                                                     \
    do {                                                                            \
        const std::string got_ = ::deploybot::test::golden_text(msg);                \
        if (::deploybot::test::update_golden()) {                                   \
            std::ofstream(::deploybot::test::golden_path(name)) << got_;            \
        } else {                                                                    \
            CHECK(got_ == ::deploybot::test::read_golden(name));                    \
        }                                                                           \
    } while (0)
