#pragma once
// The shared service clients by name only (commands/service_clients.hpp has them).
#include <memory>

namespace deploybot {
struct service_clients;
using shared_clients = std::shared_ptr<service_clients>;
}  // namespace deploybot
