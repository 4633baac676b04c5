// Parsers for scalar settings shared by every config file: durations, byte sizes,
// host:port addresses. Each returns false with a short reason on bad input.
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace quotient::config {

// Go duration syntax as Kubernetes uses it: "90s", "1m30s", "250ms", "1h". No sign;
// at most 8760h (one year).
bool ParseDuration(std::string_view text, std::chrono::milliseconds* out, std::string* error);
std::string FormatDuration(std::chrono::milliseconds value);

// A byte size as a Kubernetes quantity: "128Mi", "1G", "65536".
bool ParseByteSize(std::string_view text, uint64_t* out, std::string* error);

// "127.0.0.1:8888", "[::1]:8443", ":8888" (host defaults to 0.0.0.0). Port 0 is allowed.
bool ParseHostPort(std::string_view text, std::string* host, uint16_t* port, std::string* error);

}  // namespace quotient::config
