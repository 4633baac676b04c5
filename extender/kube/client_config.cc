#include "extender/kube/client_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

namespace quotient::extender::kube {
namespace {

namespace fs = std::filesystem;

std::string TrimToken(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  return ReadCredentialFile(path, out, error);
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding, as Go's encoding/json writes []byte. Line breaks and
// spaces (from YAML block scalars) are ignored.
bool DecodeBase64(std::string_view text, std::string* out) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact.push_back(c);
  }
  if (compact.size() % 4 != 0) return false;
  out->clear();
  out->reserve(compact.size() / 4 * 3);
  for (size_t i = 0; i < compact.size(); i += 4) {
    const bool last = i + 4 == compact.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = compact[i + j];
      if (c == '=' && last && j >= 2) {
        ++pad;
        v[j] = 0;
        continue;
      }
      if (pad > 0) return false;  // data after padding
      v[j] = Base64Value(c);
      if (v[j] < 0) return false;
    }
    const uint32_t bits = (static_cast<uint32_t>(v[0]) << 18) |
                          (static_cast<uint32_t>(v[1]) << 12) | (static_cast<uint32_t>(v[2]) << 6) |
                          static_cast<uint32_t>(v[3]);
    out->push_back(static_cast<char>(bits >> 16));
    if (pad < 2) out->push_back(static_cast<char>((bits >> 8) & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(bits & 0xff));
  }
  return true;
}

// Splits "https://host:port/prefix" into the config's address fields.
bool ParseServerUrl(const std::string& url, ClientConfig* out, std::string* error) {
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    out->https = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    out->https = false;
    rest.remove_prefix(7);
  } else {
    *error = fmt::format("server \"{}\": must start with https:// or http://", url);
    return false;
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (path.ends_with('/')) path.remove_suffix(1);
  out->base_path = std::string(path);

  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = fmt::format("server \"{}\": unterminated IPv6 address", url);
      return false;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (after.starts_with(':')) {
      port = after.substr(1);
    } else if (!after.empty()) {
      *error = fmt::format("server \"{}\": unexpected text after the IPv6 address", url);
      return false;
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    *error = fmt::format("server \"{}\": no host", url);
    return false;
  }
  out->host = std::string(host);
  out->port = out->https ? 443 : 80;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      *error = fmt::format("server \"{}\": invalid port \"{}\"", url, port);
      return false;
    }
    out->port = static_cast<uint16_t>(value);
  }
  out->server = url;
  return true;
}

// yaml-cpp throws on most calls on an undefined node (a missing key of a const map).
bool IsMap(const YAML::Node& node) {
  return node.IsDefined() && node.IsMap();
}

// Finds the entry `name` of a kubeconfig list (clusters, users, contexts) and returns
// its `field` mapping (possibly undefined).
YAML::Node FindNamed(const YAML::Node& list, const std::string& name, const char* field,
                     bool* found) {
  *found = false;
  if (!list.IsDefined() || !list.IsSequence()) return {};
  for (const YAML::Node& item : list) {
    if (IsMap(item) && item["name"] && item["name"].as<std::string>() == name) {
      *found = true;
      return item[field];
    }
  }
  return {};
}

std::string Scalar(const YAML::Node& map, const char* key) {
  if (!IsMap(map)) return {};
  const YAML::Node value = map[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

// Reads "<key>-data" (base64) or else "<key>" (a file, relative to `dir`) into *out.
bool ReadPem(const YAML::Node& map, const std::string& key, const std::string& where,
             const fs::path& dir, std::string* out, std::string* error) {
  const std::string data = Scalar(map, (key + "-data").c_str());
  if (!data.empty()) {
    if (!DecodeBase64(data, out)) {
      *error = fmt::format("{}: {}-data is not valid base64", where, key);
      return false;
    }
    return true;
  }
  const std::string file = Scalar(map, key.c_str());
  if (file.empty()) return true;
  std::string read_error;
  if (!ReadFile((dir / file).string(), out, &read_error)) {
    *error = fmt::format("{}: {}: {}", where, key, read_error);
    return false;
  }
  return true;
}

bool ReadCluster(const YAML::Node& cluster, const std::string& where, const fs::path& dir,
                 ClientConfig* out, std::string* error) {
  const std::string server = Scalar(cluster, "server");
  if (server.empty()) {
    *error = fmt::format("{}: server is missing", where);
    return false;
  }
  std::string url_error;
  if (!ParseServerUrl(server, out, &url_error)) {
    *error = fmt::format("{}: {}", where, url_error);
    return false;
  }
  if (!Scalar(cluster, "proxy-url").empty()) {
    *error = fmt::format("{}: proxy-url is not supported", where);
    return false;
  }
  out->insecure_skip_tls_verify = IsMap(cluster) && cluster["insecure-skip-tls-verify"] &&
                                  cluster["insecure-skip-tls-verify"].as<bool>();
  out->tls_server_name = Scalar(cluster, "tls-server-name");
  if (!ReadPem(cluster, "certificate-authority", where, dir, &out->ca_pem, error)) return false;
  if (out->insecure_skip_tls_verify && !out->ca_pem.empty()) {
    // kubectl refuses this combination too.
    *error = fmt::format(
        "{}: certificate-authority and insecure-skip-tls-verify are mutually exclusive", where);
    return false;
  }
  return true;
}

bool ReadUser(const YAML::Node& user, const std::string& where, const fs::path& dir,
              ClientConfig* out, std::string* error) {
  if (!IsMap(user)) return true;  // an empty user: anonymous
  if (user["exec"]) {
    *error = fmt::format(
        "{}: exec credential plugins are not supported; use a token, tokenFile or a client "
        "certificate",
        where);
    return false;
  }
  if (user["auth-provider"]) {
    *error = fmt::format(
        "{}: auth-provider plugins are not supported; use a token, tokenFile or a client "
        "certificate",
        where);
    return false;
  }
  out->token = Scalar(user, "token");
  if (std::string file = Scalar(user, "tokenFile"); !file.empty()) {
    out->token_file = (dir / file).string();
    std::string read_error;
    if (!ReadFile(out->token_file, &out->token, &read_error)) {
      *error = fmt::format("{}: tokenFile: {}", where, read_error);
      return false;
    }
    out->token = TrimToken(std::move(out->token));
  }
  out->username = Scalar(user, "username");
  out->password = Scalar(user, "password");
  if (!ReadPem(user, "client-certificate", where, dir, &out->client_cert_pem, error) ||
      !ReadPem(user, "client-key", where, dir, &out->client_key_pem, error)) {
    return false;
  }
  if (out->client_cert_pem.empty() != out->client_key_pem.empty()) {
    *error = fmt::format("{}: client-certificate and client-key must be given together", where);
    return false;
  }
  return true;
}

}  // namespace

bool ReadCredentialFile(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = fmt::format("cannot read {}", path);
    return false;
  }
  std::string text;
  char chunk[16 * 1024];
  while (in) {
    in.read(chunk, sizeof chunk);
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxCredentialFileBytes) {
      *error = fmt::format("the file holds more than {} bytes, the limit", kMaxCredentialFileBytes);
      return false;
    }
  }
  if (in.bad()) {
    *error = fmt::format("cannot read {}", path);
    return false;
  }
  *out = std::move(text);
  return true;
}

bool LoadKubeconfig(const std::string& path, const std::string& context, ClientConfig* out,
                    std::string* error) {
  ClientConfig config;
  const fs::path dir = fs::path(path).parent_path();
  auto fail = [&](const std::string& what) {
    *error = fmt::format("kubeconfig {}: {}", path, what);
    return false;
  };
  try {
    std::string text;
    std::string read_error;
    if (!ReadFile(path, &text, &read_error)) {
      return fail(read_error.starts_with("cannot read") ? "cannot read the file" : read_error);
    }
    const YAML::Node root = YAML::Load(text);
    if (!IsMap(root)) return fail("not a kubeconfig (expected a mapping)");
    std::string context_name = context;
    if (context_name.empty()) context_name = Scalar(root, "current-context");
    if (context_name.empty()) return fail("no context given and no current-context set");

    bool found = false;
    const YAML::Node ctx = FindNamed(root["contexts"], context_name, "context", &found);
    if (!found) return fail(fmt::format("context \"{}\" not found", context_name));
    const std::string cluster_name = Scalar(ctx, "cluster");
    if (cluster_name.empty()) {
      return fail(fmt::format("context \"{}\" names no cluster", context_name));
    }
    const YAML::Node cluster = FindNamed(root["clusters"], cluster_name, "cluster", &found);
    if (!found) {
      return fail(
          fmt::format("cluster \"{}\" (of context \"{}\") not found", cluster_name, context_name));
    }
    std::string what;
    if (!ReadCluster(cluster, fmt::format("cluster \"{}\"", cluster_name), dir, &config, &what)) {
      return fail(what);
    }
    if (const std::string user_name = Scalar(ctx, "user"); !user_name.empty()) {
      const YAML::Node user = FindNamed(root["users"], user_name, "user", &found);
      if (!found) {
        return fail(
            fmt::format("user \"{}\" (of context \"{}\") not found", user_name, context_name));
      }
      if (!ReadUser(user, fmt::format("user \"{}\"", user_name), dir, &config, &what)) {
        return fail(what);
      }
    }
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return fail(e.msg);
    return fail(fmt::format("line {}: {}", e.mark.line + 1, e.msg));
  }
  *out = std::move(config);
  return true;
}

bool LoadInCluster(ClientConfig* out, std::string* error, const std::string& secrets_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    *error =
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not "
        "set";
    return false;
  }
  const std::string_view host_text = host;
  const bool ipv6 = host_text.find(':') != std::string_view::npos;
  const std::string url = ipv6 ? fmt::format("https://[{}]:{}", host_text, port)
                               : fmt::format("https://{}:{}", host_text, port);
  ClientConfig config;
  if (!ParseServerUrl(url, &config, error)) {
    *error = "in-cluster: " + *error;
    return false;
  }
  config.token_file = secrets_dir + "/token";
  std::string read_error;
  if (!ReadFile(config.token_file, &config.token, &read_error)) {
    *error = "in-cluster: service account token: " + read_error;
    return false;
  }
  config.token = TrimToken(std::move(config.token));
  if (!ReadFile(secrets_dir + "/ca.crt", &config.ca_pem, &read_error)) {
    *error = "in-cluster: service account CA: " + read_error;
    return false;
  }
  *out = std::move(config);
  return true;
}

}  // namespace quotient::extender::kube
