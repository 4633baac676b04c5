// A configuration problem with where it is: source, line and field path.
//
// Loaders collect every error before returning so an operator fixes a file in one pass.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace quotient::config {

struct ConfigError {
  std::string source;  // file name, or "<flags>"
  int line = 0;        // 1-based; 0 when unknown
  std::string path;    // "server.limits.maxBodyBytes"
  std::string message;

  // "quotient.yaml:12: server.limits.maxBodyBytes: invalid quantity \"12Q\""
  // Always one line of bounded length, whatever the file held: backslashes and control
  // characters in the source, path or message (a quoted value may span lines) are escaped
  // (\\, \n, \r, \t, \xNN; the UTF-8 forms of C1 controls and U+2028/U+2029 as \uXXXX; bytes
  // that are not UTF-8, text/utf8.h, as \xNN, so the line is valid UTF-8),
  // and each part prints at most kMaxErrorPartBytes, then how long it was.
  std::string ToString() const;
};

inline constexpr size_t kMaxErrorPartBytes = 1024;

using ConfigErrors = std::vector<ConfigError>;

// One error per line, the first kMaxFormattedErrors of them, then how many more.
inline constexpr size_t kMaxFormattedErrors = 100;
std::string FormatErrors(const ConfigErrors& errors);

}  // namespace quotient::config
