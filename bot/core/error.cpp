#include "bot/core/error.hpp"

namespace deploybot {
namespace {
class category final : public system::error_category {
public:
    const char* name() const noexcept override { return "deploybot"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::ok: return "ok";
        case errc::timeout: return "timed out";
        case errc::bad_url: return "bad URL";
        case errc::http_status: return "unexpected HTTP status";
        case errc::body_too_large: return "body too large";
        case errc::bad_json: return "invalid JSON";
        case errc::api_error: return "API error";
        case errc::rate_limited: return "rate limited";
        case errc::auth_failed: return "authentication failed";
        case errc::handshake_failed: return "handshake failed";
        case errc::connection_closed: return "connection closed";
        case errc::tls_error: return "TLS error";
        case errc::cancelled: return "cancelled";
        case errc::not_found: return "not found";
        case errc::conflict: return "conflict";
        case errc::invalid_config: return "invalid configuration";
        case errc::storage_error: return "storage error";
        case errc::outcome_unknown: return "sent, but no answer came back: the outcome is unknown";
        }
        return "unknown deploybot error";
    }
};
}  // namespace

const system::error_category& deploybot_category() noexcept {
    static const category instance;
    return instance;
}
}  // namespace deploybot
