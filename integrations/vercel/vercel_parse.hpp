#pragma once
// Pure readers of Vercel's JSON, shared by the client and its parse_* functions.
#include "integrations/vercel/vercel_client.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace deploybot::vercel_detail {

bool truthy(const boost::json::object& o, std::string_view key);   // true, or a non-zero number
std::string code_for_status(int status);
const boost::json::object* error_object(const boost::json::object& o);   // "error" or "err"
vercel_deployment deployment_from(const boost::json::object& o);
vercel_project project_from(const boost::json::object& o);

}  // namespace deploybot::vercel_detail
