#include "bot/core/blocks.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace blocks = deploybot::blocks;
namespace json = boost::json;

namespace {

std::string s(const json::object& o) { return json::serialize(o); }

std::size_t code_points(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(),
                                                  [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool is_valid_utf8(std::string_view t) {
    std::size_t i = 0;
    while (i < t.size()) {
        const auto c = static_cast<unsigned char>(t[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > t.size()) return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(t[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

bool has_problem(const std::vector<std::string>& problems, std::string_view expected) {
    return std::find(problems.begin(), problems.end(), expected) != problems.end();
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& p : v) out += p + "\n";
    return out;
}

json::array parse_blocks(std::string_view text) { return json::parse(text).as_array(); }

}  // namespace

TEST_CASE("blocks::escape: only & < >") {
    CHECK(blocks::escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;");
    CHECK(blocks::escape("a*b_c~`\"'") == "a*b_c~`\"'");
    CHECK(blocks::escape("&amp;") == "&amp;amp;");
    CHECK(blocks::escape("") == "");
}

TEST_CASE("blocks::truncate: counts code points and never splits one") {
    CHECK(blocks::truncate("hello", 5) == "hello");
    CHECK(blocks::truncate("hello!", 5) == "hell\xE2\x80\xA6");
    CHECK(blocks::truncate("hello", 0).empty());
    CHECK(blocks::truncate("", 3).empty());

    // 2-, 3- and 4-byte characters: é, ✓, 🚀.
    const std::string mixed = "d\xC3\xA9ploy \xE2\x9C\x93 \xF0\x9F\x9A\x80\xF0\x9F\x9A\x80 done";
    CHECK(code_points(mixed) == 16);
    CHECK(blocks::truncate(mixed, 16) == mixed);
    for (std::size_t max = 1; max < 16; ++max) {
        CAPTURE(max);
        const std::string t = blocks::truncate(mixed, max);
        CHECK(is_valid_utf8(t));
        CHECK(code_points(t) == max);
        CHECK(t.ends_with("\xE2\x80\xA6"));
    }
    CHECK(blocks::truncate(mixed, 11) == "d\xC3\xA9ploy \xE2\x9C\x93 \xF0\x9F\x9A\x80\xE2\x80\xA6");

    const std::string emoji_only = "\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80";
    CHECK(blocks::truncate(emoji_only, 2) == "\xF0\x9F\x9A\x80\xE2\x80\xA6");
    CHECK(blocks::truncate(emoji_only, 3) == emoji_only);
}

TEST_CASE("blocks::header: exact JSON and truncation to 150") {
    CHECK(s(blocks::header("Deploy to prod", "hdr")) ==
          R"({"type":"header","block_id":"hdr","text":{"type":"plain_text","text":"Deploy to prod"}})");
    CHECK(s(blocks::header("Hi")) == R"({"type":"header","text":{"type":"plain_text","text":"Hi"}})");
    const auto h = blocks::header(std::string(400, 'x'));
    CHECK(code_points(h.at("text").at("text").as_string()) == 150);
}

TEST_CASE("blocks::section: exact JSON, accessory, truncation to 3000") {
    CHECK(s(blocks::section(":white_check_mark: DB migration &amp; backfill", "item.db-migrate")) ==
          R"({"type":"section","block_id":"item.db-migrate","text":{"type":"mrkdwn","text":":white_check_mark: DB migration &amp; backfill"}})");

    blocks::button b{.text = "Mark done", .action_id = "chk.toggle.smoke", .value = "smoke", .style = "primary"};
    CHECK(s(blocks::section("Smoke tests", "item.smoke", b)) ==
          R"({"type":"section","block_id":"item.smoke","text":{"type":"mrkdwn","text":"Smoke tests"},)"
          R"("accessory":{"type":"button","action_id":"chk.toggle.smoke","value":"smoke","style":"primary","text":{"type":"plain_text","text":"Mark done"}}})");

    std::string long_text;
    for (int i = 0; i < 2000; ++i) long_text += "\xC3\xA9";  // 2000 × é = 4000 bytes, under the limit
    CHECK(blocks::section(long_text).at("text").at("text").as_string() == long_text);
    long_text += std::string(1500, 'a');
    const json::object sec = blocks::section(long_text);
    const auto& t = sec.at("text").at("text").as_string();
    CHECK(code_points(t) == 3000);
    CHECK(is_valid_utf8(t));
}

TEST_CASE("blocks::context: exact JSON, at most 10 elements") {
    CHECK(s(blocks::context({"Requested by <@U07K3M2N8PQ>", "env: prod"}, "meta")) ==
          R"({"type":"context","block_id":"meta","elements":[{"type":"mrkdwn","text":"Requested by <@U07K3M2N8PQ>"},{"type":"mrkdwn","text":"env: prod"}]})");
    std::vector<std::string> many(14, "x");
    CHECK(blocks::context(many).at("elements").as_array().size() == 10);
}

TEST_CASE("blocks::actions and render_button: exact JSON incl. confirm and url") {
    blocks::button go{.text = "Deploy", .action_id = "deploy.go", .value = "prod", .style = "primary"};
    blocks::button abort{.text = "Abort", .action_id = "deploy.abort", .value = "prod", .style = "danger",
                         .confirm = blocks::confirm_dialog{.title = "Abort deploy?", .text = "This stops the rollout.",
                                                           .confirm = "Abort", .deny = "Keep going", .danger = true}};
    CHECK(s(blocks::actions({go, abort}, "ctl")) ==
          R"({"type":"actions","block_id":"ctl","elements":[)"
          R"({"type":"button","action_id":"deploy.go","value":"prod","style":"primary","text":{"type":"plain_text","text":"Deploy"}},)"
          R"({"type":"button","action_id":"deploy.abort","value":"prod","style":"danger","text":{"type":"plain_text","text":"Abort"},)"
          R"("confirm":{"title":{"type":"plain_text","text":"Abort deploy?"},"text":{"type":"plain_text","text":"This stops the rollout."},)"
          R"("confirm":{"type":"plain_text","text":"Abort"},"deny":{"type":"plain_text","text":"Keep going"},"style":"danger"}}]})");

    // No style → no "style" key; confirm without danger → no confirm style; defaults Confirm/Cancel.
    blocks::button plain{.text = "Retry", .action_id = "deploy.retry", .value = "7",
                         .confirm = blocks::confirm_dialog{.title = "Retry?", .text = "Run again."}};
    CHECK(s(blocks::render_button(plain)) ==
          R"({"type":"button","action_id":"deploy.retry","value":"7","text":{"type":"plain_text","text":"Retry"},)"
          R"("confirm":{"title":{"type":"plain_text","text":"Retry?"},"text":{"type":"plain_text","text":"Run again."},)"
          R"("confirm":{"type":"plain_text","text":"Confirm"},"deny":{"type":"plain_text","text":"Cancel"}}})");

    blocks::button link{.text = "Open PR", .action_id = "link.pr", .url = "https://github.com/clario/app/pull/42"};
    CHECK(s(blocks::render_button(link)) ==
          R"({"type":"button","action_id":"link.pr","url":"https://github.com/clario/app/pull/42","text":{"type":"plain_text","text":"Open PR"}})");

    blocks::button wordy{.text = std::string(100, 'w'), .action_id = "w"};
    const json::object rendered = blocks::render_button(wordy);
    const auto& text = rendered.at("text").at("text").as_string();
    CHECK(code_points(text) == 75);

    std::vector<blocks::button> lots(30, go);
    CHECK(blocks::actions(lots).at("elements").as_array().size() == 25);
}

TEST_CASE("blocks::divider and to_json") {
    CHECK(s(blocks::divider()) == R"({"type":"divider"})");
    CHECK(s(blocks::to_json({"Deploy checklist", {}})) == R"({"text":"Deploy checklist"})");
    blocks::message m{"Deploy checklist", json::array{blocks::divider()}};
    CHECK(s(blocks::to_json(m)) == R"({"text":"Deploy checklist","blocks":[{"type":"divider"}]})");
    CHECK(s(blocks::to_json({"", {}})) == R"({"text":""})");
}

TEST_CASE("blocks::validate: builder output and the reference example are valid") {
    json::array msg;
    msg.push_back(blocks::header("Deploy to prod", "hdr"));
    msg.push_back(blocks::context({"Requested by <@U07K3M2N8PQ>"}, "meta"));
    for (int i = 0; i < 47; ++i) {
        const std::string key = "k" + std::to_string(i);
        msg.push_back(blocks::section("item " + key, "item." + key,
                                      blocks::button{.text = "Mark done", .action_id = "chk.toggle." + key, .value = key}));
    }
    blocks::button abort{.text = "Abort", .action_id = "deploy.abort", .value = "prod", .style = "danger",
                         .confirm = blocks::confirm_dialog{.title = "Abort?", .text = "Sure?", .danger = true}};
    msg.push_back(blocks::actions({abort}, "ctl"));
    REQUIRE(msg.size() == 50);
    CHECK_MESSAGE(blocks::validate(msg).empty(), join(blocks::validate(msg)));

    // Unknown block types and non-button elements are allowed.
    auto other = parse_blocks(R"([{"type":"divider"},{"type":"image","image_url":"https://x/y.png","alt_text":"y"},
        {"type":"rich_text","elements":[]},{"type":"section","fields":[{"type":"mrkdwn","text":"*a*"}]},
        {"type":"actions","elements":[{"type":"static_select","action_id":"env","options":[]}]},
        {"type":"context","elements":[{"type":"image","image_url":"https://x/z.png","alt_text":"z"}]}])");
    CHECK_MESSAGE(blocks::validate(other).empty(), join(blocks::validate(other)));
    CHECK(blocks::validate(json::array{}).empty());
}

TEST_CASE("blocks::validate: catches each violation with a JSON pointer") {
    SUBCASE("too many blocks") {
        json::array msg;
        for (int i = 0; i < 51; ++i) msg.push_back(blocks::divider());
        const auto p = blocks::validate(msg);
        CHECK(p.size() == 1);
        CHECK(has_problem(p, "/blocks: must have at most 50 blocks (has 51)"));
    }
    SUBCASE("section text over 3000") {
        json::array msg{blocks::divider(), blocks::divider(), blocks::divider(),
                        json::parse(R"({"type":"section","text":{"type":"mrkdwn","text":""}})")};
        msg[3].as_object()["text"].as_object()["text"] = std::string(3001, 'a');
        const auto p = blocks::validate(msg);
        CHECK(p == std::vector<std::string>{"/blocks/3/text/text: must be at most 3000 characters"});
    }
    SUBCASE("header over 150 or not plain_text") {
        auto msg = parse_blocks(R"([{"type":"header","text":{"type":"mrkdwn","text":"*x*"}}])");
        CHECK(has_problem(blocks::validate(msg), "/blocks/0/text/type: must be plain_text"));
        msg[0].as_object()["text"] = json::object{{"type", "plain_text"}, {"text", std::string(151, 'h')}};
        CHECK(blocks::validate(msg) == std::vector<std::string>{"/blocks/0/text/text: must be at most 150 characters"});
    }
    SUBCASE("button text and value") {
        auto msg = parse_blocks(R"([{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"x"}}]}])");
        auto& btn = msg[0].as_object()["elements"].as_array()[0].as_object();
        btn["text"].as_object()["text"] = std::string(76, 'b');
        btn["value"] = std::string(2001, 'v');
        const auto p = blocks::validate(msg);
        CHECK(p.size() == 2);
        CHECK(has_problem(p, "/blocks/0/elements/0/text/text: must be at most 75 characters"));
        CHECK(has_problem(p, "/blocks/0/elements/0/value: must be at most 2000 characters"));
    }
    SUBCASE("accessory button text") {
        auto msg = parse_blocks(R"([{"type":"section","text":{"type":"mrkdwn","text":"x"},
            "accessory":{"type":"button","action_id":"a","text":{"type":"mrkdwn","text":"x"}}}])");
        CHECK(blocks::validate(msg) == std::vector<std::string>{"/blocks/0/accessory/text/type: must be plain_text"});
    }
    SUBCASE("context and actions element counts") {
        json::array msg{blocks::context({"x"}), blocks::actions({blocks::button{.text = "b", .action_id = "a0"}})};
        auto& ctx = msg[0].as_object()["elements"].as_array();
        for (int i = 0; i < 10; ++i) ctx.push_back(json::object{{"type", "mrkdwn"}, {"text", "y"}});
        auto& acts = msg[1].as_object()["elements"].as_array();
        for (int i = 1; i < 26; ++i) acts.push_back(blocks::render_button({.text = "b", .action_id = "a" + std::to_string(i)}));
        const auto p = blocks::validate(msg);
        CHECK(p.size() == 2);
        CHECK(has_problem(p, "/blocks/0/elements: must have at most 10 elements"));
        CHECK(has_problem(p, "/blocks/1/elements: must have at most 25 elements"));
    }
    SUBCASE("confirm field lengths") {
        blocks::button b{.text = "b", .action_id = "a",
                         .confirm = blocks::confirm_dialog{.title = "t", .text = "x"}};
        json::object rendered = blocks::render_button(b);
        auto& c = rendered["confirm"].as_object();
        c["title"].as_object()["text"] = std::string(101, 't');
        c["text"].as_object()["text"] = std::string(301, 'x');
        c["confirm"].as_object()["text"] = std::string(31, 'c');
        c["deny"].as_object()["text"] = std::string(31, 'd');
        json::array msg{json::object{{"type", "actions"}, {"elements", json::array{rendered}}}};
        const auto p = blocks::validate(msg);
        CHECK(p.size() == 4);
        CHECK(has_problem(p, "/blocks/0/elements/0/confirm/title/text: must be at most 100 characters"));
        CHECK(has_problem(p, "/blocks/0/elements/0/confirm/text/text: must be at most 300 characters"));
        CHECK(has_problem(p, "/blocks/0/elements/0/confirm/confirm/text: must be at most 30 characters"));
        CHECK(has_problem(p, "/blocks/0/elements/0/confirm/deny/text: must be at most 30 characters"));
    }
    SUBCASE("duplicate block_id and action_id across the message") {
        json::array msg{
            blocks::section("a", "item.a", blocks::button{.text = "x", .action_id = "chk.toggle", .value = "a"}),
            blocks::section("b", "item.a", blocks::button{.text = "x", .action_id = "chk.toggle", .value = "b"}),
            blocks::actions({blocks::button{.text = "y", .action_id = "go"}, blocks::button{.text = "z", .action_id = "go"}}, "ctl"),
        };
        const auto p = blocks::validate(msg);
        CHECK(p.size() == 3);
        CHECK(has_problem(p, "/blocks/1/block_id: duplicate block_id \"item.a\""));
        CHECK(has_problem(p, "/blocks/1/accessory/action_id: duplicate action_id \"chk.toggle\""));
        CHECK(has_problem(p, "/blocks/2/elements/1/action_id: duplicate action_id \"go\""));
    }
    SUBCASE("missing type and text, wrong shapes") {
        auto msg = parse_blocks(R"([{"block_id":"x"},{"type":"section"},{"type":"header"},
            {"type":"section","text":{"type":"mrkdwn"}},{"type":"actions"},7,
            {"type":"actions","elements":[{"type":"button","action_id":"q"}]},{"type":5}])");
        const auto p = blocks::validate(msg);
        CHECK_MESSAGE(p.size() == 8, join(p));
        CHECK(has_problem(p, "/blocks/0/type: is required"));
        CHECK(has_problem(p, "/blocks/1/text: is required"));
        CHECK(has_problem(p, "/blocks/2/text: is required"));
        CHECK(has_problem(p, "/blocks/3/text/text: is required"));
        CHECK(has_problem(p, "/blocks/4/elements: is required"));
        CHECK(has_problem(p, "/blocks/5: must be an object"));
        CHECK(has_problem(p, "/blocks/6/elements/0/text: is required"));
        CHECK(has_problem(p, "/blocks/7/type: must be a string"));
    }
    SUBCASE("id length and multibyte counting") {
        auto msg = parse_blocks(R"([{"type":"divider","block_id":""}])");
        CHECK(blocks::validate(msg) == std::vector<std::string>{"/blocks/0/block_id: must not be empty"});
        msg[0].as_object()["block_id"] = std::string(256, 'i');
        CHECK(blocks::validate(msg) == std::vector<std::string>{"/blocks/0/block_id: must be at most 255 characters"});
        // 150 × 4-byte emoji = 600 bytes but 150 characters: fine.
        std::string emoji;
        for (int i = 0; i < 150; ++i) emoji += "\xF0\x9F\x9A\x80";
        json::array ok{blocks::header(emoji)};
        CHECK(ok[0].at("text").at("text").as_string() == emoji);
        CHECK(blocks::validate(ok).empty());
    }
}
