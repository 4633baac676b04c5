// TLS for connections to the API server: the client context built once from a
// ClientConfig (trust, client certificate) and the per-connection setup (SNI and the
// name the server certificate must carry).
//
// Thread safety: MakeClientTlsContext is reentrant; the context it returns may be shared
// by connections on any thread (OpenSSL SSL_CTX is safe for concurrent SSL_new).
// PrepareTlsStream touches one stream: call it before the stream is used.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <string>

#include "extender/kube/client_config.h"

namespace quotient::extender::kube {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// Trust: config.ca_pem, else the system's default verify paths; no verification when
// insecure_skip_tls_verify. Client certificate and key from PEM when given. TLS >= 1.2.
// Returns null with *error when the PEM text cannot be loaded.
std::unique_ptr<boost::asio::ssl::context> MakeClientTlsContext(const ClientConfig& config,
                                                                std::string* error);

// The name the server certificate is checked against: tls_server_name, else host.
std::string TlsVerifyName(const ClientConfig& config);

// Sets SNI (for DNS names only, as Go does) and, unless insecure, peer verification
// against TlsVerifyName (a DNS name or an IP address SAN). False with *error on failure.
bool PrepareTlsStream(const ClientConfig& config, TlsStream& stream, std::string* error);

// After a failed handshake: OpenSSL's verification verdict ("Hostname mismatch",
// "unable to get local issuer certificate"), or "" when verification was not the cause.
std::string TlsVerifyFailure(TlsStream& stream);

}  // namespace quotient::extender::kube
