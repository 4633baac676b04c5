#include "extender/kube/client_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "extender/kube/kube_test_util.h"

namespace quotient::extender::kube {
namespace {

using ::testing::HasSubstr;

// A fresh directory per test (ctest runs test cases as parallel processes).
class TempDir {
 public:
  TempDir() {
    std::string templ = std::filesystem::temp_directory_path().string() + "/kube-config-XXXXXX";
    path_ = mkdtemp(templ.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::string path_;
};

// "CA-PEM" "CERT-PEM" "KEY-PEM" in base64.
constexpr const char* kCaData = "Q0EtUEVN";
constexpr const char* kCertData = "Q0VSVC1QRU0=";
constexpr const char* kKeyData = "S0VZLVBFTQ==";

std::string Kubeconfig(const std::string& cluster, const std::string& user,
                       const std::string& current = "ctx") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: " + current +
         "\ncontexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n"
         "- name: other\n  context:\n    cluster: c2\n    user: u\n"
         "clusters:\n- name: c\n  cluster:\n" +
         cluster +
         "- name: c2\n  cluster:\n    server: https://10.0.0.2:6443\n"
         "    insecure-skip-tls-verify: true\n"
         "users:\n- name: u\n  user:\n" +
         user;
}

struct LoadCase {
  std::string name;
  std::string cluster;  // the cluster "c" mapping body, indented by 4
  std::string user;     // the user "u" mapping body, indented by 4
  std::string context;  // argument to LoadKubeconfig
  std::function<void(const ClientConfig&)> check;
};

class LoadKubeconfigTest : public ::testing::TestWithParam<LoadCase> {};

TEST_P(LoadKubeconfigTest, ReadsTheSelectedContext) {
  const LoadCase& c = GetParam();
  TempDir dir;
  dir.Write("pki/ca.crt", "CA-FROM-FILE");
  dir.Write("pki/client.crt", "CERT-FROM-FILE");
  dir.Write("pki/client.key", "KEY-FROM-FILE");
  dir.Write("token", "token-from-file\n");
  const std::string path = dir.Write("config", Kubeconfig(c.cluster, c.user));
  ClientConfig config;
  std::string error;
  ASSERT_TRUE(LoadKubeconfig(path, c.context, &config, &error)) << error;
  c.check(config);
}

INSTANTIATE_TEST_SUITE_P(
    Kubeconfig, LoadKubeconfigTest,
    ::testing::Values(
        LoadCase{"a token user against an https server",
                 "    server: https://api.example.com:6443\n"
                 "    certificate-authority-data: " +
                     std::string(kCaData) + "\n",
                 "    token: abc123\n", "",
                 [](const ClientConfig& c) {
                   EXPECT_EQ(c.server, "https://api.example.com:6443");
                   EXPECT_EQ(c.host, "api.example.com");
                   EXPECT_EQ(c.port, 6443);
                   EXPECT_TRUE(c.https);
                   EXPECT_EQ(c.base_path, "");
                   EXPECT_EQ(c.ca_pem, "CA-PEM");
                   EXPECT_EQ(c.token, "abc123");
                   EXPECT_FALSE(c.insecure_skip_tls_verify);
                 }},
        LoadCase{"client certificate and key as base64 data", "    server: https://10.0.0.1\n",
                 "    client-certificate-data: " + std::string(kCertData) +
                     "\n    client-key-data: " + kKeyData + "\n",
                 "",
                 [](const ClientConfig& c) {
                   EXPECT_EQ(c.port, 443);
                   EXPECT_EQ(c.client_cert_pem, "CERT-PEM");
                   EXPECT_EQ(c.client_key_pem, "KEY-PEM");
                 }},
        LoadCase{"files relative to the kubeconfig directory",
                 "    server: https://10.0.0.1:6443\n    certificate-authority: pki/ca.crt\n",
                 "    client-certificate: pki/client.crt\n    client-key: pki/client.key\n"
                 "    tokenFile: token\n",
                 "",
                 [](const ClientConfig& c) {
                   EXPECT_EQ(c.ca_pem, "CA-FROM-FILE");
                   EXPECT_EQ(c.client_cert_pem, "CERT-FROM-FILE");
                   EXPECT_EQ(c.client_key_pem, "KEY-FROM-FILE");
                   EXPECT_EQ(c.token, "token-from-file");
                   EXPECT_THAT(c.token_file, HasSubstr("/token"));
                 }},
        LoadCase{"insecure with a TLS server name",
                 "    server: https://10.0.0.1:6443\n    insecure-skip-tls-verify: true\n"
                 "    tls-server-name: kubernetes.default\n",
                 "    username: admin\n    password: secret\n", "",
                 [](const ClientConfig& c) {
                   EXPECT_TRUE(c.insecure_skip_tls_verify);
                   EXPECT_EQ(c.tls_server_name, "kubernetes.default");
                   EXPECT_EQ(c.username, "admin");
                   EXPECT_EQ(c.password, "secret");
                 }},
        LoadCase{"plain http with a path prefix",
                 "    server: http://proxy.local/k8s/clusters/x/\n", "    token: t\n", "",
                 [](const ClientConfig& c) {
                   EXPECT_FALSE(c.https);
                   EXPECT_EQ(c.port, 80);
                   EXPECT_EQ(c.host, "proxy.local");
                   EXPECT_EQ(c.base_path, "/k8s/clusters/x");
                 }},
        LoadCase{"an IPv6 server address", "    server: https://[fd00::1]:6443\n", "    token: t\n",
                 "",
                 [](const ClientConfig& c) {
                   EXPECT_EQ(c.host, "fd00::1");
                   EXPECT_EQ(c.port, 6443);
                 }},
        LoadCase{"an explicit context over current-context", "    server: https://10.0.0.1\n",
                 "    token: t\n", "other",
                 [](const ClientConfig& c) {
                   EXPECT_EQ(c.host, "10.0.0.2");
                   EXPECT_TRUE(c.insecure_skip_tls_verify);
                 }}),
    testing::SentenceName());

struct ErrorCase {
  std::string name;
  std::string text;  // the whole kubeconfig
  std::string context;
  std::string error;  // expected substring
};

class KubeconfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(KubeconfigErrorTest, RefusesWithAClearError) {
  const ErrorCase& c = GetParam();
  TempDir dir;
  const std::string path = dir.Write("config", c.text);
  ClientConfig config;
  std::string error;
  EXPECT_FALSE(LoadKubeconfig(path, c.context, &config, &error));
  EXPECT_THAT(error, HasSubstr(c.error));
  EXPECT_THAT(error, HasSubstr(path));
}

INSTANTIATE_TEST_SUITE_P(
    Kubeconfig, KubeconfigErrorTest,
    ::testing::Values(
        ErrorCase{"a missing context", Kubeconfig("    server: https://a\n", "    token: t\n"),
                  "nope", "context \"nope\" not found"},
        ErrorCase{"no current context",
                  Kubeconfig("    server: https://a\n", "    token: t\n", "\"\""), "",
                  "no context given and no current-context set"},
        ErrorCase{"a context naming a missing cluster",
                  "current-context: x\ncontexts:\n- name: x\n  context:\n    cluster: gone\n"
                  "clusters: []\n",
                  "", "cluster \"gone\" (of context \"x\") not found"},
        ErrorCase{"a context naming a missing user",
                  "current-context: x\ncontexts:\n- name: x\n  context:\n    cluster: c\n"
                  "    user: ghost\nclusters:\n- name: c\n  cluster:\n    server: https://a\n",
                  "", "user \"ghost\" (of context \"x\") not found"},
        ErrorCase{"an exec credential plugin",
                  Kubeconfig("    server: https://a\n",
                             "    exec:\n      command: aws\n      apiVersion: "
                             "client.authentication.k8s.io/v1\n"),
                  "", "exec credential plugins are not supported"},
        ErrorCase{"an auth-provider plugin",
                  Kubeconfig("    server: https://a\n", "    auth-provider:\n      name: gcp\n"),
                  "", "auth-provider plugins are not supported"},
        ErrorCase{"bad base64 data",
                  Kubeconfig("    server: https://a\n    certificate-authority-data: '@@@='\n",
                             "    token: t\n"),
                  "", "certificate-authority-data is not valid base64"},
        ErrorCase{"a CA together with insecure",
                  Kubeconfig("    server: https://a\n    insecure-skip-tls-verify: true\n"
                             "    certificate-authority-data: " +
                                 std::string(kCaData) + "\n",
                             "    token: t\n"),
                  "", "mutually exclusive"},
        ErrorCase{"a missing certificate file",
                  Kubeconfig("    server: https://a\n    certificate-authority: nothere.crt\n",
                             "    token: t\n"),
                  "", "certificate-authority: cannot read"},
        ErrorCase{"a server without a scheme",
                  Kubeconfig("    server: 10.0.0.1:6443\n", "    token: t\n"), "",
                  "must start with https:// or http://"},
        ErrorCase{"a certificate without its key",
                  Kubeconfig("    server: https://a\n",
                             "    client-certificate-data: " + std::string(kCertData) + "\n"),
                  "", "client-certificate and client-key must be given together"},
        ErrorCase{"YAML that does not parse", "clusters: [\n", "", "line"},
        // Hostile shapes: the reader looks up named fields and never walks the tree, so
        // aliases, cycles and deep nesting cost nothing beyond yaml-cpp's own parse.
        ErrorCase{"a file starting with a comma", ", current-context: x\n", "",
                  "not a kubeconfig (expected a mapping)"},
        ErrorCase{"a contexts list that contains itself",
                  "current-context: x\ncontexts: &l [*l, {name: y, context: *l}]\n", "",
                  "context \"x\" not found"},
        ErrorCase{"a context name that is a mapping",
                  "current-context: x\ncontexts:\n- name: {a: b}\n", "", "line 3"},
        ErrorCase{"nesting deeper than the parser allows",
                  "current-context: x\ncontexts: " + std::string(5000, '[') + "\n", "", "line"}),
    testing::SentenceName());

TEST(LoadKubeconfigTest, AMissingFileIsAnError) {
  ClientConfig config;
  std::string error;
  EXPECT_FALSE(LoadKubeconfig("/nonexistent/kubeconfig", "", &config, &error));
  EXPECT_THAT(error, HasSubstr("cannot read"));
}

TEST(LoadKubeconfigTest, AFileLargerThanTheCapIsRefusedUnread) {
  TempDir dir;
  const std::string path =
      dir.Write("kubeconfig", "# " + std::string(kMaxCredentialFileBytes, 'x') + "\n");
  ClientConfig config;
  std::string error;
  EXPECT_FALSE(LoadKubeconfig(path, "", &config, &error));
  EXPECT_THAT(error, HasSubstr("holds more than 4194304 bytes, the limit"));
}

// In-cluster tests set process environment variables: each gtest case runs in its own
// process under ctest, and the variables are restored after each test.
class InClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("token", "sa-token\n");
    dir_.Write("ca.crt", "CLUSTER-CA");
  }
  void TearDown() override {
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
  }
  TempDir dir_;
};

TEST_F(InClusterTest, ReadsTheServiceAccount) {
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  ClientConfig config;
  std::string error;
  ASSERT_TRUE(LoadInCluster(&config, &error, dir_.path())) << error;
  EXPECT_EQ(config.server, "https://10.96.0.1:443");
  EXPECT_EQ(config.host, "10.96.0.1");
  EXPECT_EQ(config.port, 443);
  EXPECT_TRUE(config.https);
  EXPECT_EQ(config.token, "sa-token");
  EXPECT_EQ(config.token_file, dir_.path() + "/token");
  EXPECT_EQ(config.ca_pem, "CLUSTER-CA");
}

TEST_F(InClusterTest, BracketsAnIPv6Host) {
  setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
  ClientConfig config;
  std::string error;
  ASSERT_TRUE(LoadInCluster(&config, &error, dir_.path())) << error;
  EXPECT_EQ(config.server, "https://[fd00:10:96::1]:6443");
  EXPECT_EQ(config.host, "fd00:10:96::1");
  EXPECT_EQ(config.port, 6443);
}

TEST_F(InClusterTest, OutsideAClusterIsAnError) {
  unsetenv("KUBERNETES_SERVICE_HOST");
  ClientConfig config;
  std::string error;
  EXPECT_FALSE(LoadInCluster(&config, &error, dir_.path()));
  EXPECT_THAT(error, HasSubstr("KUBERNETES_SERVICE_HOST"));
}

TEST_F(InClusterTest, AMissingTokenIsAnError) {
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  std::filesystem::remove(dir_.path() + "/token");
  ClientConfig config;
  std::string error;
  EXPECT_FALSE(LoadInCluster(&config, &error, dir_.path()));
  EXPECT_THAT(error, HasSubstr("service account token"));
}

}  // namespace
}  // namespace quotient::extender::kube
