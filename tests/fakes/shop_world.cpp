#include "fakes/shop_world.hpp"

#include <cstdint>
#include <cstdio>

namespace deploybot::fakes::shop {

std::string sha(int n) {
    // A different, stable hex string per n (splitmix64), so short shas differ too.
    std::uint64_t x = static_cast<std::uint64_t>(n) * 0x9E3779B97F4A7C15ULL;
    std::string out;
    while (out.size() < 40) {
        x += 0x9E3779B97F4A7C15ULL;
        std::uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(z));
        out += buf;
    }
    out.resize(40);
    return out;
}

void seed_history(fake_github& gh, bool migrations, std::string ci_status, std::string ci_conclusion) {
    gh.add_commit({sha(1), "Older release", "sari", "Sari"});
    gh.add_commit({sha(2), "Current release", "sari", "Sari"});
    gh.add_commit({sha(50), "Add wishlist badge (#410)", "dewi", "Dewi", "2026-01-06T09:30:12Z", {{"src/wishlist.tsx"}}});
    std::vector<gh_file_change> files{{"src/cart.ts"}};
    if (migrations) files.push_back({"prisma/migrations/20260105_cart_total/migration.sql", "added"});
    gh.add_commit({sha(3), "Fix cart total rounding (#412)", "andi", "Andi", "2026-01-06T09:30:12Z", files});
    gh.set_branch("main", sha(3));
    gh.add_pr({.number = 410, .title = "Add wishlist badge", .user_login = "dewi",
               .merged_at = "2026-01-06T08:00:00Z", .merge_commit_sha = sha(50), .head_ref = "wishlist"});
    gh.add_pr({.number = 412, .title = "Fix cart total rounding", .user_login = "andi",
               .merged_at = "2026-01-06T09:00:00Z", .merge_commit_sha = sha(3), .head_ref = "cart-rounding"});
    gh.link_commit_to_pr(sha(50), 410);
    gh.link_commit_to_pr(sha(3), 412);
    gh.add_review(410, {.user_login = "budi", .state = "APPROVED", .commit_id = sha(50)});
    gh.add_status(sha(3), {"vercel", "success", "Deployment ready", "https://vercel.com/acme/shop-web"});
    gh.set_check_run(sha(3), {.id = 9001, .name = "build", .status = std::move(ci_status),
                              .conclusion = std::move(ci_conclusion)});
    gh.set_check_run(sha(3), {.id = 9002, .name = "e2e", .status = "completed", .conclusion = "success"});
}

}  // namespace deploybot::fakes::shop
