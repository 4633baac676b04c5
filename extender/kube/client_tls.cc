#include "extender/kube/client_tls.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>

namespace quotient::extender::kube {

namespace asio = boost::asio;
namespace ssl = asio::ssl;

std::unique_ptr<ssl::context> MakeClientTlsContext(const ClientConfig& config, std::string* error) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (config.insecure_skip_tls_verify) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    if (!config.ca_pem.empty()) {
      ctx->add_certificate_authority(asio::buffer(config.ca_pem), ec);
      if (ec) {
        *error = fmt::format("tls: cannot load the CA certificate: {}", ec.message());
        return nullptr;
      }
    } else if (ctx->set_default_verify_paths(ec); ec) {
      *error = fmt::format("tls: cannot load the system trust store: {}", ec.message());
      return nullptr;
    }
  }
  if (!config.client_cert_pem.empty()) {
    if (ctx->use_certificate_chain(asio::buffer(config.client_cert_pem), ec); ec) {
      *error = fmt::format("tls: cannot load the client certificate: {}", ec.message());
      return nullptr;
    }
    if (ctx->use_private_key(asio::buffer(config.client_key_pem), ssl::context::pem, ec); ec) {
      *error = fmt::format("tls: cannot load the client key: {}", ec.message());
      return nullptr;
    }
  }
  return ctx;
}

std::string TlsVerifyName(const ClientConfig& config) {
  return config.tls_server_name.empty() ? config.host : config.tls_server_name;
}

bool PrepareTlsStream(const ClientConfig& config, TlsStream& stream, std::string* error) {
  const std::string name = TlsVerifyName(config);
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  const bool is_ip = !ec;
  SSL* ssl_handle = stream.native_handle();
  // SSL_set_tlsext_host_name() without its C cast.
  if (!is_ip && SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                         const_cast<char*>(name.c_str())) != 1) {
    *error = fmt::format("tls: cannot set the server name \"{}\"", name);
    return false;
  }
  if (config.insecure_skip_tls_verify) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
  const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                       : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  if (ok != 1) {
    *error = fmt::format("tls: cannot verify against the server name \"{}\"", name);
    return false;
  }
  return true;
}

std::string TlsVerifyFailure(TlsStream& stream) {
  const long result = SSL_get_verify_result(stream.native_handle());
  if (result == X509_V_OK) return {};
  return X509_verify_cert_error_string(result);
}

}  // namespace quotient::extender::kube
