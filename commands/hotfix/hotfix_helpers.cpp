#include "commands/hotfix/hotfix_helpers.hpp"

#include <boost/json/parse.hpp>

namespace deploybot::hotfix_detail {

std::string in_parens_if_error(const outcome<std::optional<github_pull>>& r) {
    if (r) return std::string();
    return " (" + r.error().to_string() + ")";
}

std::string repo_part(const std::string& repo, bool owner) {
    const auto slash = repo.find('/');
    if (owner) return repo.substr(0, slash);
    if (slash == std::string::npos) return std::string();
    return repo.substr(slash + 1);
}

std::string build_failure(const std::string& id, const vercel_deployment& d) {
    std::string s = "the production build " + id + " ended in " + d.ready_state;
    if (!d.error_message.empty()) s += ": " + d.error_message;
    return s;
}

std::optional<std::string> lock_reason(const store& db) {
    auto text = db.get_kv("deploy_lock");
    if (!text) return std::nullopt;
    boost::system::error_code ec;
    auto v = boost::json::parse(*text, ec);
    std::string reason = "locked";
    if (!ec && v.is_object())
        if (const auto* r = v.as_object().if_contains("reason"); r && r->is_string()) reason = std::string(r->get_string());
    return reason;
}

}  // namespace deploybot::hotfix_detail
