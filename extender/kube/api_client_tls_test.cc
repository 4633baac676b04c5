// ApiClient over TLS against the fake API server, with a test PKI made at run time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "extender/kube/api_client.h"
#include "extender/kube/fake_api_server.h"
#include "extender/kube/kube_test_util.h"
#include "test/support/test_certs.h"

namespace quotient::extender::kube {
namespace {

namespace asio = boost::asio;
using testing::Await;
using testing::FakeApiServer;
using testing::FakeExchange;
using testing::FakeServerTls;
using ::testing::HasSubstr;
using testing::IoThread;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

asio::awaitable<ApiResponse> Get(ApiClient* client) {
  const std::string target = "/version";
  ApiResponse response = co_await client->Request(Method::kGet, target);
  co_return response;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(certs_.ok()) << certs_.error(); }

  // Serves https with the test server certificate (SAN 127.0.0.1 and localhost).
  std::unique_ptr<FakeApiServer> Serve(bool require_client_cert = false) {
    FakeServerTls tls{certs_.server_cert(), certs_.server_key(),
                      require_client_cert ? certs_.ca_cert() : ""};
    return std::make_unique<FakeApiServer>(
        [](FakeExchange& ex) { ex.Respond(200, R"({"major":"1"})"); }, &tls);
  }

  ApiResponse Call(const ClientConfig& config) {
    ApiClient client(io_.ioc(), config);
    return Await(io_.ioc(), Get(&client));
  }

  quotient::test::TestCerts certs_;
  IoThread io_;
};

TEST_F(TlsTest, TrustsAServerSignedByTheConfiguredCa) {
  auto server = Serve();
  ClientConfig config = server->Config();
  config.ca_pem = ReadFile(certs_.ca_cert());
  ApiResponse response = Call(config);
  EXPECT_EQ(response.status, 200) << response.error;
}

TEST_F(TlsTest, RefusesAServerSignedByAnotherCa) {
  auto server = Serve();
  ClientConfig config = server->Config();
  config.ca_pem = ReadFile(certs_.rogue_ca_cert());
  ApiResponse response = Call(config);
  EXPECT_EQ(response.status, 0);
  EXPECT_THAT(response.error, HasSubstr("tls handshake"));
  EXPECT_THAT(response.error, HasSubstr("unable to get local issuer certificate"));
}

TEST_F(TlsTest, SkipsVerificationWhenInsecure) {
  auto server = Serve();
  ClientConfig config = server->Config();
  config.insecure_skip_tls_verify = true;
  ApiResponse response = Call(config);
  EXPECT_EQ(response.status, 200) << response.error;
}

TEST_F(TlsTest, VerifiesTheTlsServerNameInsteadOfTheHost) {
  auto server = Serve();
  ClientConfig config = server->Config();
  config.ca_pem = ReadFile(certs_.ca_cert());
  config.tls_server_name = "localhost";
  EXPECT_EQ(Call(config).status, 200);
  config.tls_server_name = "kubernetes.default.svc";
  ApiResponse response = Call(config);
  EXPECT_EQ(response.status, 0);
  EXPECT_THAT(response.error, HasSubstr("hostname mismatch"));
}

TEST_F(TlsTest, PresentsTheClientCertificate) {
  auto server = Serve(/*require_client_cert=*/true);
  ClientConfig config = server->Config();
  config.ca_pem = ReadFile(certs_.ca_cert());
  EXPECT_EQ(Call(config).status, 0);  // no certificate: refused
  config.client_cert_pem = ReadFile(certs_.client_cert());
  config.client_key_pem = ReadFile(certs_.client_key());
  ApiResponse response = Call(config);
  EXPECT_EQ(response.status, 200) << response.error;
}

TEST_F(TlsTest, AnUnreadableCaIsReportedOnEveryCall) {
  auto server = Serve();
  ClientConfig config = server->Config();
  config.ca_pem = "not a certificate";
  ApiResponse response = Call(config);
  EXPECT_EQ(response.status, 0);
  EXPECT_THAT(response.error, HasSubstr("cannot load the CA certificate"));
}

}  // namespace
}  // namespace quotient::extender::kube
