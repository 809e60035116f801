#pragma once
// `deploybot sandbox [--port N] [--storage PATH]` (DESIGN.md §1): the real bot,
// as main.cpp composes it, against the local fakes of tests/fakes holding a
// scripted team and project, with a #deployments page at http://127.0.0.1:N/.

namespace deploybot::sandbox {

// argv[0] is "sandbox". Returns the process exit code.
int run(int argc, char** argv);

}  // namespace deploybot::sandbox
