// Builds the server-side OpenSSL context of an HTTPS listener.
//
// TLS 1.2+ only; no ALPN (the scheduler then speaks HTTP/1.1). With a client CA the
// context requires and verifies a client certificate (mutual TLS): a client without
// one is refused during the handshake.
//
// Thread safety: call at start-up; the returned context is then shared read-only by
// every connection of its listener.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace quotient::extender {

struct TlsFiles {
  std::string cert_file;       // PEM certificate chain
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // if set: clients must present a certificate signed by it
};

// Returns nullptr and sets *error (naming the file and OpenSSL's reason) on failure.
std::unique_ptr<boost::asio::ssl::context> MakeServerTlsContext(const TlsFiles& files,
                                                                std::string* error);

}  // namespace quotient::extender
