// Test PKI generated at run time with the OpenSSL 3 C API (EC P-256 keys, SHA-256):
//  * a CA;
//  * a server certificate for 127.0.0.1 / localhost (SAN IP:127.0.0.1, DNS:localhost),
//    signed by the CA;
//  * a client certificate signed by the CA;
//  * a second, "rogue" CA and a client certificate signed by it.
// Everything is written as PEM files into a fresh mkdtemp directory under /tmp, which
// the destructor removes.
//
// Thread safety: thread-compatible; the file paths are constant after construction.
#pragma once

#include <string>

namespace quotient::test {

class TestCerts {
 public:
  TestCerts();
  ~TestCerts();
  TestCerts(const TestCerts&) = delete;
  TestCerts& operator=(const TestCerts&) = delete;

  // Whether generation succeeded; error() says why not.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  const std::string& dir() const { return dir_; }
  std::string ca_cert() const { return dir_ + "/ca.pem"; }
  std::string server_cert() const { return dir_ + "/server.pem"; }
  std::string server_key() const { return dir_ + "/server-key.pem"; }
  std::string client_cert() const { return dir_ + "/client.pem"; }
  std::string client_key() const { return dir_ + "/client-key.pem"; }
  std::string rogue_ca_cert() const { return dir_ + "/rogue-ca.pem"; }
  std::string rogue_client_cert() const { return dir_ + "/rogue-client.pem"; }
  std::string rogue_client_key() const { return dir_ + "/rogue-client-key.pem"; }

 private:
  bool Generate();

  std::string dir_;
  std::string error_;
};

}  // namespace quotient::test
