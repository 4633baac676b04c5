// Test helper: reads files of test/golden (real Go encodings; see test/golden/README.md).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#ifndef QUOTIENT_GOLDEN_DIR
#error "QUOTIENT_GOLDEN_DIR must be defined by the build"
#endif

namespace quotient::testing {

inline std::string ReadGolden(const std::string& name) {
  std::ifstream in(std::string(QUOTIENT_GOLDEN_DIR) + "/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace quotient::testing
