// A pod named by namespace, name and UID (a victim, an Event's subject), and an Event to
// record on one.
//
// Thread safety: value types.
#pragma once

#include <string>

namespace quotient::extender::state {

struct PodRef {
  std::string ns;
  std::string name;
  std::string uid;
};

struct PodEvent {
  PodRef pod;
  std::string type = "Normal";  // Normal or Warning
  std::string reason;           // CamelCase, e.g. "QuotaReclaim"
  std::string message;
};

}  // namespace quotient::extender::state
