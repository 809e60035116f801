#include "bot/core/error.hpp"

#include "bot/core/enum_names.hpp"

#include <boost/throw_exception.hpp>
#include <fmt/format.h>

#include <array>
#include <stdexcept>

namespace deploybot {
namespace {
class category final : public system::error_category {
public:
    const char* name() const noexcept override { return "deploybot"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::timeout: return "timed out";
        case errc::bad_url: return "bad URL";
        case errc::http_status: return "unexpected HTTP status";
        case errc::body_too_large: return "body too large";
        case errc::bad_json: return "invalid JSON";
        case errc::auth_failed: return "authentication failed";
        case errc::tls_error: return "TLS error";
        case errc::invalid_config: return "invalid configuration";
        case errc::outcome_unknown: return "sent, but no answer came back: the outcome is unknown";
        default: break;
        }
        // The others read well as their own name, spaced.
        auto name = std::string(enum_name(static_cast<errc>(ev), "unknown deploybot error"));
        for (auto& c : name)
            if (c == '_') c = ' ';
        return name;
    }
};
}  // namespace

const system::error_category& deploybot_category() noexcept {
    static const category instance;
    return instance;
}

std::string_view failure::word() const noexcept { return reason.empty() ? enum_name(code, "unknown") : reason; }

std::string failure::to_string() const {
    if (service == "slack") {
        std::string out(word());
        if (!detail.empty()) out += " (" + detail + ")";
        return out;
    }
    std::string out = service;
    if (http_status != 0) out += fmt::format(" {}", http_status);
    out += fmt::format(" {}", word());
    if (!detail.empty()) out += ": " + detail;
    if (retry_after) out += fmt::format(" (retry after {} s)", retry_after->count());
    return out;
}

void throw_exception_from_error(const failure& f, const boost::source_location& loc) {
    boost::throw_exception(std::runtime_error(f.to_string()), loc);
}

errc transport_code(const system::error_code& ec) noexcept {
    if (ec == make_error_code(errc::outcome_unknown)) return errc::outcome_unknown;
    if (ec == make_error_code(errc::timeout)) return errc::timeout;
    return errc::transport;
}

bool outcome_unknown(const failure& f) noexcept {
    return f.code == errc::outcome_unknown || f.http_status == 502 || f.http_status == 503 || f.http_status == 504;
}

errc slack_errc(std::string_view w) noexcept {
    using namespace std::string_view_literals;
    static constexpr std::array auth{"not_authed"sv,      "invalid_auth"sv,   "account_inactive"sv,
                                     "user_removed_from_team"sv, "team_disabled"sv, "token_revoked"sv,
                                     "token_expired"sv,   "not_allowed_token_type"sv, "no_permission"sv,
                                     "missing_scope"sv,   "forbidden_team"sv};
    static constexpr std::array forbidden{"not_in_channel"sv, "is_archived"sv, "restricted_action"sv,
                                          "cant_update_message"sv, "edit_window_closed"sv,
                                          "user_not_in_channel"sv, "channel_is_archived"sv};
    static constexpr std::array bad_request{"invalid_arguments"sv, "invalid_args"sv, "missing_args"sv,
                                            "invalid_blocks"sv, "invalid_blocks_format"sv, "msg_blocks_too_long"sv,
                                            "msg_too_long"sv, "no_text"sv, "too_many_attachments"sv,
                                            "invalid_metadata_format"sv, "invalid_metadata_schema"sv,
                                            "metadata_too_large"sv, "invalid_json"sv, "json_not_object"sv,
                                            "invalid_form_data"sv, "invalid_post_type"sv, "invalid_charset"sv,
                                            "invalid_array_arg"sv, "invalid_trigger_id"sv, "expired_trigger_id"sv,
                                            "trigger_exchanged"sv, "view_too_large"sv, "insecure_request"sv};
    static constexpr std::array unavailable{"internal_error"sv, "fatal_error"sv, "service_unavailable"sv,
                                            "request_timeout"sv};
    auto in = [w](const auto& words) {
        for (auto x : words)
            if (w == x) return true;
        return false;
    };
    if (in(auth)) return errc::auth_failed;
    if (w == "ratelimited" || w == "rate_limited") return errc::rate_limited;
    if (w.ends_with("_not_found")) return errc::not_found;
    if (in(forbidden)) return errc::forbidden;
    if (in(bad_request)) return errc::bad_request;
    if (in(unavailable)) return errc::unavailable;
    return errc::rejected;
}

errc status_errc(int s) noexcept {
    switch (s) {
    case 400:
    case 422: return errc::bad_request;
    case 401: return errc::auth_failed;
    case 403: return errc::forbidden;
    case 404: return errc::not_found;
    case 409: return errc::conflict;
    case 429: return errc::rate_limited;
    default: break;
    }
    if (s >= 500 && s <= 599) return errc::unavailable;
    if (s >= 400 && s <= 499) return errc::rejected;
    return errc::http_status;
}

}  // namespace deploybot
