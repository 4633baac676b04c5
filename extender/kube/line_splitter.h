// Splits a byte stream into newline-terminated lines (a watch stream: one JSON event per
// line), reading straight into its own buffer: Prepare() space, fill it, Commit() what
// was filled, then take complete lines with Next().
//
// A line longer than `max_line_bytes` (terminated or not) sets overflow(). Lines are
// returned without their "\n" (and a trailing "\r"); blank lines are skipped.
//
// Thread safety: thread-compatible value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace quotient::extender::kube {

class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // Space for at least `bytes` more bytes; valid until the next call.
  char* Prepare(size_t bytes);
  void Commit(size_t bytes) { end_ += bytes; }

  // The next complete non-blank line, valid until the next Prepare(). False when no
  // complete line is buffered (or on overflow).
  bool Next(std::string_view* line);
  // What follows the last newline (an unterminated last line).
  std::string_view Rest() const { return {buffer_.data() + begin_, end_ - begin_}; }

  bool overflow() const { return overflow_; }

 private:
  const size_t max_line_bytes_;
  std::string buffer_;
  size_t begin_ = 0;    // start of the current (incomplete) line
  size_t scanned_ = 0;  // bytes before this hold no newline after begin_
  size_t end_ = 0;      // end of the committed bytes
  bool overflow_ = false;
};

}  // namespace quotient::extender::kube
