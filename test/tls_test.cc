// Integration tests of HTTPS and mutual TLS, with a PKI generated at test time
// (test/support/test_certs.h): server authentication, client-certificate checks in the
// handshake, the plain operations listener beside an mTLS one, and TLS set-up errors.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "extender/http/tls_context.h"
#include "test/support/http_client.h"
#include "test/support/test_certs.h"
#include "test/support/test_server.h"

namespace quotient::test {
namespace {

using extender::ListenerOptions;
using extender::TlsFiles;
using std::chrono::milliseconds;

constexpr milliseconds kWait{5'000};
const char kHandshakeSeries[] = R"(quotient_http_rejected_requests_total{reason="tls_handshake"})";

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = new TestCerts(); }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(certs_->ok()) << certs_->error(); }

  // A server whose first listener is HTTPS; with `mutual`, clients need a CA-signed
  // certificate. With `ops_listener`, a second plain listener serves operations only.
  static std::unique_ptr<TestServer> NewServer(bool mutual, bool ops_listener = false) {
    TestServerConfig config;
    ListenerOptions& main = config.http.listeners.at(0);
    main.tls =
        TlsFiles{certs_->server_cert(), certs_->server_key(), mutual ? certs_->ca_cert() : ""};
    if (ops_listener) {
      ListenerOptions ops;
      ops.webhooks = false;
      config.http.listeners.push_back(ops);
    }
    return std::make_unique<TestServer>(config);
  }

  static TlsClientFiles Trusting() { return {certs_->ca_cert(), "", ""}; }
  static TlsClientFiles WithClientCert() {
    return {certs_->ca_cert(), certs_->client_cert(), certs_->client_key()};
  }
  static TlsClientFiles WithRogueClientCert() {
    return {certs_->ca_cert(), certs_->rogue_client_cert(), certs_->rogue_client_key()};
  }

  // A refused client gets no HTTP response: the handshake fails, or (TLS 1.3, where the
  // server checks the client certificate after the client finished) the first read does.
  static void ExpectRefused(TestServer& server, const TlsClientFiles& files) {
    HttpClient client(server.port(), files);
    if (client.connected()) {
      HttpResult r = client.Post("/filter", ReadGolden("filter_names_request.json"));
      EXPECT_EQ(r.status, 0u) << "got an HTTP response: " << r.body;
    }
    EXPECT_TRUE(WaitFor([&] { return server.Metric(kHandshakeSeries) == 1.0; }, kWait))
        << "tls_handshake rejections: " << server.Metric(kHandshakeSeries).value_or(-1);
  }

  static TestCerts* certs_;
};

TestCerts* TlsTest::certs_ = nullptr;

TEST_F(TlsTest, ClientTrustingTheCaGetsTheGoldenFilterAnswerOverHttps) {
  auto server = NewServer(/*mutual=*/false);
  ASSERT_TRUE(server->ok()) << server->error();
  HttpClient client(server->port(), Trusting());
  ASSERT_TRUE(client.connected()) << client.error();
  HttpResult r = client.Post("/filter", ReadGolden("filter_names_request.json"));
  ASSERT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, ReadGolden("filter_names_response_all.json"));
  // Keep-alive works over TLS too.
  HttpResult again = client.Post("/filter", ReadGolden("filter_nodes_request.json"));
  ASSERT_EQ(again.status, 200u) << again.error;
  EXPECT_EQ(again.body, ReadGolden("filter_nodes_response_all.json"));
}

TEST_F(TlsTest, ClientTrustingAnotherCaRefusesTheServerCertificate) {
  auto server = NewServer(/*mutual=*/false);
  ASSERT_TRUE(server->ok()) << server->error();
  HttpClient client(server->port(), TlsClientFiles{certs_->rogue_ca_cert(), "", ""});
  EXPECT_FALSE(client.connected());
  EXPECT_NE(client.error().find("handshake"), std::string::npos) << client.error();
}

TEST_F(TlsTest, MutualTlsClientWithACaSignedCertificateGetsOk) {
  auto server = NewServer(/*mutual=*/true);
  ASSERT_TRUE(server->ok()) << server->error();
  HttpClient client(server->port(), WithClientCert());
  ASSERT_TRUE(client.connected()) << client.error();
  HttpResult r = client.Post("/filter", ReadGolden("filter_names_request.json"));
  ASSERT_EQ(r.status, 200u) << r.error;
  EXPECT_EQ(r.body, ReadGolden("filter_names_response_all.json"));
  EXPECT_EQ(server->Metric(kHandshakeSeries), 0.0);
}

TEST_F(TlsTest, MutualTlsClientWithoutACertificateIsRefusedInTheHandshake) {
  auto server = NewServer(/*mutual=*/true);
  ASSERT_TRUE(server->ok()) << server->error();
  ExpectRefused(*server, Trusting());
}

TEST_F(TlsTest, MutualTlsClientWithTheRogueCasCertificateIsRefusedInTheHandshake) {
  auto server = NewServer(/*mutual=*/true);
  ASSERT_TRUE(server->ok()) << server->error();
  ExpectRefused(*server, WithRogueClientCert());
}

TEST_F(TlsTest, PlainTextClientOnTheHttpsListenerGetsNoHttpResponse) {
  auto server = NewServer(/*mutual=*/false);
  ASSERT_TRUE(server->ok()) << server->error();
  RawSocket raw(server->port());
  ASSERT_TRUE(raw.Write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) << raw.error();
  bool closed = false;
  std::string bytes = raw.ReadUntilClosed(kWait, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(bytes.find("HTTP/1.1"), std::string::npos) << bytes;
  EXPECT_TRUE(WaitFor([&] { return server->Metric(kHandshakeSeries) == 1.0; }, kWait));
}

TEST_F(TlsTest, PlainOpsListenerServesMetricsWithoutACertificateAndNoWebhooks) {
  auto server = NewServer(/*mutual=*/true, /*ops_listener=*/true);
  ASSERT_TRUE(server->ok()) << server->error();
  HttpClient ops(server->port(1));
  ASSERT_TRUE(ops.connected()) << ops.error();
  HttpResult metrics = ops.Get("/metrics");
  ASSERT_EQ(metrics.status, 200u) << metrics.error;
  EXPECT_NE(metrics.body.find("# TYPE quotient_http_requests_total counter"), std::string::npos);
  EXPECT_EQ(ops.Get("/healthz").status, 200u);
  HttpResult filter = ops.Post("/filter", ReadGolden("filter_names_request.json"));
  EXPECT_EQ(filter.status, 404u) << filter.error;

  // The webhook listener still requires the client certificate.
  HttpClient webhook(server->port(0), WithClientCert());
  ASSERT_TRUE(webhook.connected()) << webhook.error();
  EXPECT_EQ(webhook.Post("/filter", ReadGolden("filter_names_request.json")).status, 200u);
}

// ---------------------------------------------------------------------------------------
// TLS set-up errors name the file.

struct MissingFileCase {
  const char* name;
  int missing;  // 0: certificate, 1: key, 2: client CA
};

void PrintTo(const MissingFileCase& c, std::ostream* os) {
  *os << c.name;
}

class TlsContextTest : public TlsTest, public ::testing::WithParamInterface<MissingFileCase> {};

TEST_P(TlsContextTest, MissingFileIsAnErrorNamingTheFile) {
  const std::string missing = certs_->dir() + "/does-not-exist.pem";
  TlsFiles files{certs_->server_cert(), certs_->server_key(), certs_->ca_cert()};
  std::string* slots[] = {&files.cert_file, &files.key_file, &files.client_ca_file};
  *slots[GetParam().missing] = missing;

  std::string error;
  EXPECT_EQ(extender::MakeServerTlsContext(files, &error), nullptr);
  EXPECT_NE(error.find(missing), std::string::npos) << error;

  // The server refuses to start and names the listener and the file.
  TestServerConfig config;
  config.http.listeners.at(0).tls = files;
  TestServer server(config);
  EXPECT_FALSE(server.ok());
  EXPECT_NE(server.error().find("listener 127.0.0.1:0"), std::string::npos) << server.error();
  EXPECT_NE(server.error().find(missing), std::string::npos) << server.error();
}

TEST_F(TlsTest, ValidFilesGiveAContext) {
  std::string error;
  TlsFiles files{certs_->server_cert(), certs_->server_key(), certs_->ca_cert()};
  EXPECT_NE(extender::MakeServerTlsContext(files, &error), nullptr) << error;
}

INSTANTIATE_TEST_SUITE_P(MissingFiles, TlsContextTest,
                         ::testing::Values(MissingFileCase{"Certificate", 0},
                                           MissingFileCase{"PrivateKey", 1},
                                           MissingFileCase{"ClientCa", 2}),
                         [](const ::testing::TestParamInfo<MissingFileCase>& p) {
                           return std::string(p.param.name);
                         });

}  // namespace
}  // namespace quotient::test
