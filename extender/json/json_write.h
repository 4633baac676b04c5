// Go-compatible JSON string escaping, shared by the wire codec, the logs, the /debug
// endpoints and the Kubernetes request bodies Quotient writes.
//
// Thread safety: reentrant.
#pragma once

#include <string>
#include <string_view>

namespace quotient::extender {

// Appends `text` as a JSON string literal, escaped exactly like Go's encoding/json
// (HTML-safe: <, >, & as \u003c.., U+2028/2029 escaped, invalid UTF-8 as \ufffd).
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace quotient::extender
