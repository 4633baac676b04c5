// Replays a fuzz target's checked-in inputs in the default suite, built with any compiler:
// every file of test/fuzz/regressions/<target>/ (inputs that once crashed it) and of its
// seed corpora. A crash or a broken oracle aborts the test, naming the file first.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::filesystem::path> Inputs() {
  std::vector<std::filesystem::path> files;
  std::stringstream dirs(QUOTIENT_FUZZ_DIRS);  // '|'-separated
  for (std::string dir; std::getline(dirs, dir, '|');) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(FuzzReplay, EveryCheckedInInputPassesTheTargetsOracles) {
  const std::vector<std::filesystem::path> files = Inputs();
  EXPECT_FALSE(files.empty()) << "no inputs in " << QUOTIENT_FUZZ_DIRS;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "%s: %s\n", QUOTIENT_FUZZ_TARGET, file.c_str());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
}

}  // namespace
