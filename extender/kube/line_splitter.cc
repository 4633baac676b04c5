#include "extender/kube/line_splitter.h"

#include <cstring>

namespace quotient::extender::kube {

char* LineSplitter::Prepare(size_t bytes) {
  if (begin_ > 0) {  // drop consumed lines: the rest moves to the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    scanned_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() < end_ + bytes) buffer_.resize(std::max(end_ + bytes, 2 * buffer_.size()));
  return buffer_.data() + end_;
}

bool LineSplitter::Next(std::string_view* line) {
  while (!overflow_) {
    const char* start = buffer_.data() + scanned_;
    const void* newline = std::memchr(start, '\n', end_ - scanned_);
    if (newline == nullptr) {
      scanned_ = end_;
      if (end_ - begin_ > max_line_bytes_) overflow_ = true;
      return false;
    }
    const size_t at = static_cast<size_t>(static_cast<const char*>(newline) - buffer_.data());
    std::string_view text(buffer_.data() + begin_, at - begin_);
    begin_ = scanned_ = at + 1;
    if (text.size() > max_line_bytes_) {
      overflow_ = true;
      return false;
    }
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank
    *line = text;
    return true;
  }
  return false;
}

}  // namespace quotient::extender::kube
