// How Quotient reaches the Kubernetes API server: address, TLS trust, credentials and
// client-side rate limits. Built from a kubeconfig file or from the in-cluster
// service-account credentials, the two ways client-go configures itself.
//
// Thread safety: plain values; the loaders are reentrant.
#pragma once

#include <cstdint>
#include <string>

namespace quotient::extender::kube {

struct ClientConfig {
  std::string server;  // "https://127.0.0.1:6443" as written (for logs)
  std::string host;    // "127.0.0.1"
  uint16_t port = 443;
  bool https = true;
  std::string base_path;  // path prefix of the server URL, "" or "/prefix" (no trailing /)

  // TLS. PEM text (kubeconfig *-data fields are base64-decoded; *File fields are read).
  std::string ca_pem;  // empty: the system trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // SNI and verification name; empty: host
  std::string client_cert_pem;  // client certificate authentication
  std::string client_key_pem;

  // Bearer token. token_file, when set, is re-read when it changes (projected
  // service-account tokens rotate); it wins over token.
  std::string token;
  std::string token_file;
  // Basic auth (kubeconfig username/password), rarely used.
  std::string username;
  std::string password;

  // Client-side rate limit for requests (not for open watch streams), like client-go's
  // QPS/Burst token bucket.
  double qps = 50;
  int burst = 100;

  // At most this many connections carry requests at once; more requests wait in line
  // (first in, first out, within their timeout) instead of opening more. Watches have
  // connections of their own, outside this bound (ApiClient).
  int max_connections = 16;

  std::string user_agent = "quotient";
};

// The largest kubeconfig, token or certificate file read (they are KiBs). A bound of its
// own: extender/kube may not depend on config/ (config::ReadTextFile) by the layering.
inline constexpr uint64_t kMaxCredentialFileBytes = 4ull << 20;  // 4 MiB

// Reads the file at `path` whole; false with *error when it cannot be read or holds more
// than kMaxCredentialFileBytes (no more than that is read).
bool ReadCredentialFile(const std::string& path, std::string* out, std::string* error);

// Loads `path` (kubeconfig YAML). `context` empty: current-context. Supports clusters
// (server, certificate-authority[-data], insecure-skip-tls-verify, tls-server-name),
// users (token, tokenFile, client-certificate[-data], client-key[-data],
// username/password). Relative file paths are relative to the kubeconfig's directory.
// Exec and auth-provider plugins are refused with a clear error.
bool LoadKubeconfig(const std::string& path, const std::string& context, ClientConfig* out,
                    std::string* error);

// In-cluster: KUBERNETES_SERVICE_HOST/PORT, the token file and CA at
// /var/run/secrets/kubernetes.io/serviceaccount/ (`secrets_dir` overrides for tests).
bool LoadInCluster(
    ClientConfig* out, std::string* error,
    const std::string& secrets_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

}  // namespace quotient::extender::kube
