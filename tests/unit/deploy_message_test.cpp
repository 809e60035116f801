#include "commands/deploy_message.hpp"

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include <algorithm>

using namespace deploybot;
namespace json = boost::json;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

// Tue 2026-12-01 03:00Z = 10:00 WIB (window open).
const time_point t_open = std::chrono::sys_days{date_anchor()} ;

}  // namespace
