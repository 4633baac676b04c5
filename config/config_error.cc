#include "config/config_error.h"

#include <fmt/format.h>

namespace quotient::config {

std::string ConfigError::ToString() const {
  std::string out = source;
  if (line > 0) out += fmt::format(":{}", line);
  if (!out.empty()) out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

std::string FormatErrors(const ConfigErrors& errors) {
  std::string out;
  for (size_t i = 0; i < errors.size() && i < kMaxFormattedErrors; ++i) {
    out += errors[i].ToString();
    out += '\n';
  }
  if (errors.size() > kMaxFormattedErrors) {
    out += fmt::format("... and {} more errors\n", errors.size() - kMaxFormattedErrors);
  }
  return out;
}

}  // namespace quotient::config
