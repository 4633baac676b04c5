#include "config/text_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace quotient::config {
namespace {

// "cannot read the file: Permission denied": the operator's next step depends on why.
std::string CannotRead(int error_number) {
  if (error_number == 0) return "cannot read the file";
  return fmt::format("cannot read the file: {}", std::generic_category().message(error_number));
}

}  // namespace

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
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors->push_back({path, 0, "", CannotRead(errno)});
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
    errors->push_back({path, 0, "", CannotRead(errno)});
    return false;
  }
  *text = std::move(out);
  return true;
}

}  // namespace quotient::config
