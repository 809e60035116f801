#pragma once
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string>

namespace deploybot {

namespace system = boost::system;

template <class T>
using result = boost::system::result<T>;

// Failures the bot expects and handles; everything else is a bug (exception).
enum class errc {
    ok = 0,
    timeout = 1,
    bad_url,
    http_status,          // unexpected HTTP status
    body_too_large,
    bad_json,
    api_error,            // service answered ok:false / error body
    rate_limited,         // gave up after honouring Retry-After
    auth_failed,          // unrecoverable token problem
    handshake_failed,
    connection_closed,
    tls_error,
    cancelled,
    not_found,
    conflict,
    invalid_config,
    storage_error,
    // A request that changes something was sent, and no answer came back (reset,
    // end of stream, timeout): it may or may not have been carried out.
    outcome_unknown,
};

const system::error_category& deploybot_category() noexcept;

inline system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), deploybot_category()};
}

}  // namespace deploybot

template <>
struct boost::system::is_error_code_enum<deploybot::errc> : std::true_type {};
