#include "commands/workflow/staging_feed.hpp"

#include "bot/core/time_ms.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace deploybot {
namespace json = boost::json;

namespace {
std::string str(const json::object& o, std::string_view k) {
    if (const auto* v = o.if_contains(k); v && v->is_string()) return std::string(v->get_string());
    return {};
}
std::int64_t num(const json::object& o, std::string_view k) {
    if (const auto* v = o.if_contains(k); v && v->is_int64()) return v->get_int64();
    return 0;
}
}  // namespace

staging_item* staging_feed::find(std::string_view id) {
    for (auto& i : items)
        if (i.deployment_id == id) return &i;
    return nullptr;
}

const staging_item* staging_feed::find(std::string_view id) const {
    for (const auto& i : items)
        if (i.deployment_id == id) return &i;
    return nullptr;
}

std::string serialize_staging_feed(const staging_feed& f) {
    json::array items;
    for (const auto& i : f.items)
        items.push_back(json::object{{"deployment_id", i.deployment_id}, {"ts", i.ts},
                                     {"state", i.state},                 {"sha", i.sha},
                                     {"message", i.message},             {"url", i.url},
                                     {"host", i.host},
                                     {"creator", i.creator},             {"error", i.error},
                                     {"created_ms", i.created_ms},       {"prev_sha", i.prev_sha},
                                     {"changes", i.changes},
                                     {"signed_off_by", i.signed_off_by}, {"signed_off_ms", i.signed_off_ms},
                                     {"superseded_by", i.superseded_by}});
    return json::serialize(json::object{{"initialised", f.initialised},
                                        {"last_created_ms", f.last_created_ms},
                                        {"last_sha", f.last_sha},
                                        {"items", std::move(items)}});
}

staging_feed parse_staging_feed(std::string_view text) {
    staging_feed f;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) return f;
    const auto& o = v.get_object();
    if (const auto* b = o.if_contains("initialised"); b && b->is_bool()) f.initialised = b->get_bool();
    f.last_created_ms = num(o, "last_created_ms");
    f.last_sha = str(o, "last_sha");
    if (const auto* a = o.if_contains("items"); a && a->is_array())
        for (const auto& x : a->get_array()) {
            if (!x.is_object() || f.items.size() >= max_staging_items) continue;
            const auto& i = x.get_object();
            staging_item it;
            it.deployment_id = str(i, "deployment_id");
            it.ts = str(i, "ts");
            it.state = str(i, "state");
            it.sha = str(i, "sha");
            it.message = str(i, "message");
            it.url = str(i, "url");
            it.creator = str(i, "creator");
            it.error = str(i, "error");
            it.host = str(i, "host");
            it.created_ms = num(i, "created_ms");
            it.prev_sha = str(i, "prev_sha");
            it.changes = str(i, "changes");
            it.signed_off_by = str(i, "signed_off_by");
            it.signed_off_ms = num(i, "signed_off_ms");
            it.superseded_by = str(i, "superseded_by");
            f.items.push_back(std::move(it));
        }
    return f;
}

bool is_staging_build(const deployment_shape& d, const deployment_shape& ref, std::string_view main_branch) {
    return !d.ours && d.git_ref == main_branch && d.target == ref.target &&
           d.custom_environment_id == ref.custom_environment_id;
}

bool is_final_state(std::string_view s) { return s == "READY" || s == "ERROR" || s == "CANCELED" || s == "BLOCKED"; }

std::optional<staging_sign_off> sign_off_for(const staging_feed& f, std::string_view id) {
    const auto* i = f.find(id);
    if (!i || i->signed_off_by.empty() || !i->superseded_by.empty()) return std::nullopt;
    return staging_sign_off{i->signed_off_by, from_ms(i->signed_off_ms), i->sha};
}

}  // namespace deploybot
