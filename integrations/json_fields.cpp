#include "integrations/json_fields.hpp"

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include <cctype>
#include <cmath>

namespace deploybot::json_fields {

namespace json = boost::json;

std::string str_of(const json::object& o, std::string_view key) {
    if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->get_string());
    return {};
}

std::string nested_str(const boost::json::object& o, std::string_view a, std::string_view b) {
    if (auto* inner = obj_of(o, a)) return str_of(*inner, b);
    return {};
}

std::optional<std::int64_t> opt_int_of(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->get_uint64());
    // Range-checked first: converting a double outside int64 is undefined behaviour.
    if (v->is_double() && std::abs(v->get_double()) < 9.0e18) return static_cast<std::int64_t>(v->get_double());
    return std::nullopt;
}

std::int64_t int_of(const json::object& o, std::string_view key) { return opt_int_of(o, key).value_or(0); }

bool bool_of(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_bool() && v->get_bool();
}

const json::object* obj_of(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

const json::array* arr_of(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v ? v->if_array() : nullptr;
}

std::optional<json::value> parse_body(std::string_view body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec) return std::nullopt;
    return v;
}

}  // namespace deploybot::json_fields
