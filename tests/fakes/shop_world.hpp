#pragma once
// The scripted team and project both the end-to-end tests and the sandbox run
// against: acme/shop-web, a #deployments channel, its people, and a short
// history on main (two releases, PR #410 approved, PR #412 on staging).
#include "fakes/fake_github.hpp"

#include <string>

namespace deploybot::fakes::shop {

inline const std::string channel = "C0DEPLOYS01";
inline const std::string deployer = "U0DEPLOYER1";
inline const std::string deployer2 = "U0DEPLOYER2";
inline const std::string qa = "U0QALEAD001";
inline const std::string admin = "U0ADMIN0001";
inline const std::string outsider = "U0OUTSIDER1";

// The commit sha numbered n (the fake Vercel's builds use the same).
std::string sha(int n);

// sha1 ← sha2 (production) ← PR #410 (approved) ← sha3 (staging, PR #412,
// unreviewed); CI of sha3 as given.
void seed_history(fake_github& gh, bool migrations = false, std::string ci_status = "completed",
                  std::string ci_conclusion = "success");

}  // namespace deploybot::fakes::shop
