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
  for (const auto& e : errors) {
    out += e.ToString();
    out += '\n';
  }
  return out;
}

}  // namespace quotient::config
