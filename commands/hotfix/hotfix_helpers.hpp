#pragma once
// Small plain functions of the hotfix lane. They exist as functions because
// gcc 12 miscompiles string temporaries in ?: inside coroutines: the
// coroutines of hotfix_service.cpp call these instead.
#include "bot/store/store.hpp"
#include "integrations/github/github_client.hpp"
#include "integrations/vercel/vercel_client.hpp"

#include <optional>
#include <string>

namespace deploybot::hotfix_detail {

// " (github 404 not_found: …)" for a failed lookup, "" otherwise.
std::string in_parens_if_error(const outcome<std::optional<github_pull>>& r);
// "acme/shop-web" → "acme" (owner) or "shop-web".
std::string repo_part(const std::string& repo, bool owner);
// "the production build dpl_… ended in ERROR: <Vercel's reason>"
std::string build_failure(const std::string& id, const vercel_deployment& d);
// The reason of the lock set by /deploy lock (the deploy module's kv entry), if locked.
std::optional<std::string> lock_reason(const store& db);

template <class A, class B, class C>
failure first_error(const A& a, const B& b, const C& c) {
    if (!a) return a.error();
    if (!b) return b.error();
    return c.error();
}

}  // namespace deploybot::hotfix_detail
