// An owned HTTP request body with readable padding after its end.
//
// simdjson reads up to SIMDJSON_PADDING bytes past the end of a document; a body read
// straight from the socket into a RequestBody can be parsed in place with no copy and
// no zero-fill of the (possibly 100 MB) buffer.
//
// Thread safety: thread-compatible value (move-only).
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace quotient::extender {

inline constexpr size_t kBodyPaddingBytes = 64;  // >= simdjson::SIMDJSON_PADDING

class RequestBody {
 public:
  RequestBody() = default;
  // An uninitialised body of `size` bytes (plus zeroed padding), to be filled by a read.
  static RequestBody Allocate(size_t size);
  static RequestBody Copy(std::string_view text);

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
};

}  // namespace quotient::extender
