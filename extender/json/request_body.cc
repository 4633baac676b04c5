#include "extender/json/request_body.h"

#include <cstring>

namespace quotient::extender {

RequestBody RequestBody::Allocate(size_t size) {
  RequestBody body;
  body.data_ = std::make_unique_for_overwrite<char[]>(size + kBodyPaddingBytes);
  std::memset(body.data_.get() + size, 0, kBodyPaddingBytes);
  body.size_ = size;
  return body;
}

RequestBody RequestBody::Copy(std::string_view text) {
  RequestBody body = Allocate(text.size());
  if (!text.empty()) std::memcpy(body.data(), text.data(), text.size());
  return body;
}

}  // namespace quotient::extender
