#pragma once
// Tolerant readers of service JSON (GitHub, Vercel): a missing or mistyped
// field reads as empty, never throws. Pure.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deploybot::json_fields {

std::string str_of(const boost::json::object& o, std::string_view key);
// o[a][b] as a string ("" when either is missing).
std::string nested_str(const boost::json::object& o, std::string_view a, std::string_view b);
// Integers, and doubles within int64 range (a larger one is nullopt, not UB).
std::optional<std::int64_t> opt_int_of(const boost::json::object& o, std::string_view key);
std::int64_t int_of(const boost::json::object& o, std::string_view key);
bool bool_of(const boost::json::object& o, std::string_view key);
const boost::json::object* obj_of(const boost::json::object& o, std::string_view key);
const boost::json::array* arr_of(const boost::json::object& o, std::string_view key);
std::optional<boost::json::value> parse_body(std::string_view body);

}  // namespace deploybot::json_fields
