#include "extender/http/tls_context.h"

#include <fmt/format.h>

namespace quotient::extender {

namespace ssl = boost::asio::ssl;

std::unique_ptr<ssl::context> MakeServerTlsContext(const TlsFiles& files, std::string* error) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  boost::system::error_code ec;
  auto fail = [&](std::string_view what, std::string_view file) {
    *error = fmt::format("tls: {} {}: {}", what, file, ec.message());
    return nullptr;
  };
  if (ctx->use_certificate_chain_file(files.cert_file, ec); ec) {
    return fail("cannot load certificate", files.cert_file);
  }
  if (ctx->use_private_key_file(files.key_file, ssl::context::pem, ec); ec) {
    return fail("cannot load private key", files.key_file);
  }
  if (!files.client_ca_file.empty()) {
    if (ctx->load_verify_file(files.client_ca_file, ec); ec) {
      return fail("cannot load client CA", files.client_ca_file);
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

}  // namespace quotient::extender
