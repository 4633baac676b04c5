// `quotient serve`: builds the Service (service.h) from settings, starts it, runs the io
// threads and shuts down gracefully on SIGTERM/SIGINT.
//
// Thread safety: RunServe blocks the calling thread until shutdown completes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/server_config.h"

namespace quotient::extender {

struct ServeHooks {
  // Called once the listeners are bound, with their ports (tests use port 0).
  std::function<void(const std::vector<uint16_t>& ports)> on_listening;
};

// Returns the process exit code: 0 after a clean shutdown, 1 if start-up failed.
int RunServe(const config::Settings& settings, const ServeHooks& hooks = {});

}  // namespace quotient::extender
