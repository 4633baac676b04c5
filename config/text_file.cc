#include "config/text_file.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

namespace quotient::config {

bool ReadTextFile(const std::string& path, uint64_t max_bytes, std::string* text,
                  ConfigErrors* errors, std::string_view limit_setting) {
  auto too_large = [&] {
    std::string message = fmt::format("the file holds more than {} bytes, the limit", max_bytes);
    if (!limit_setting.empty()) message += fmt::format(" ({})", limit_setting);
    errors->push_back({path, 0, "", std::move(message)});
    return false;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    errors->push_back({path, 0, "", "cannot read the file: it is a directory"});
    return false;
  }
  // A regular file says its size: refused without reading. Others (a FIFO, /dev/stdin)
  // are read up to one byte past the cap.
  if (std::filesystem::is_regular_file(path, ec)) {
    const uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > max_bytes) return too_large();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors->push_back({path, 0, "", "cannot read the file"});
    return false;
  }
  std::string out;
  char chunk[64 * 1024];
  while (in) {
    in.read(chunk, sizeof chunk);
    out.append(chunk, static_cast<size_t>(in.gcount()));
    if (out.size() > max_bytes) return too_large();
  }
  if (in.bad()) {
    errors->push_back({path, 0, "", "cannot read the file"});
    return false;
  }
  *text = std::move(out);
  return true;
}

}  // namespace quotient::config
