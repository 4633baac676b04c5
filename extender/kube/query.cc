#include "extender/kube/query.h"

namespace quotient::extender::kube {

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

Query::Query(std::string path)
    : target_(std::move(path)), has_query_(target_.find('?') != std::string::npos) {}

void Query::Add(std::string_view name, std::string_view value) {
  target_.push_back(has_query_ ? '&' : '?');
  has_query_ = true;
  target_ += UrlEncode(name);
  target_.push_back('=');
  target_ += UrlEncode(value);
}

}  // namespace quotient::extender::kube
