#include "test/support/test_certs.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace quotient::test {

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

constexpr long kValiditySeconds = 24L * 3600;

std::string OpenSslError(std::string_view what) {
  std::string message(what);
  unsigned long code = ERR_get_error();
  if (code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    message += ": ";
    message += text;
  }
  ERR_clear_error();
  return message;
}

KeyPtr NewKey() {
  return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool added = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return added;
}

struct CertSpec {
  std::string common_name;
  int64_t serial = 1;
  // (nid, value) pairs, e.g. {NID_basic_constraints, "critical,CA:TRUE"}.
  std::vector<std::pair<int, const char*>> extensions;
};

// Issues a certificate for `key`. Self-signed when `issuer` is null.
CertPtr Issue(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
              std::string* error) {
  CertPtr cert(X509_new());
  X509* x = cert.get();
  bool ok = x != nullptr && X509_set_version(x, X509_VERSION_3) == 1 &&
            ASN1_INTEGER_set_int64(X509_get_serialNumber(x), spec.serial) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(x), kValiditySeconds) != nullptr &&
            X509_set_pubkey(x, key) == 1;
  if (ok) {
    X509_NAME* name = X509_get_subject_name(x);
    const auto* cn = reinterpret_cast<const unsigned char*>(spec.common_name.c_str());
    ok = X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                    reinterpret_cast<const unsigned char*>("Quotient tests"), -1,
                                    -1, 0) == 1 &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1;
  }
  X509* signer = issuer != nullptr ? issuer : x;
  if (ok) ok = X509_set_issuer_name(x, X509_get_subject_name(signer)) == 1;
  for (const auto& [nid, value] : spec.extensions) {
    if (ok) ok = AddExtension(x, signer, nid, value);
  }
  if (ok) ok = X509_sign(x, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0;
  if (!ok) {
    *error = OpenSslError("cannot issue certificate for " + spec.common_name);
    return nullptr;
  }
  return cert;
}

bool WriteCert(const std::string& path, X509* cert, std::string* error) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    *error = OpenSslError("cannot write " + path);
    return false;
  }
  return true;
}

bool WriteKey(const std::string& path, EVP_PKEY* key, std::string* error) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    *error = OpenSslError("cannot write " + path);
    return false;
  }
  return true;
}

CertSpec CaSpec(std::string name, int64_t serial) {
  return {std::move(name),
          serial,
          {{NID_basic_constraints, "critical,CA:TRUE"},
           {NID_key_usage, "critical,keyCertSign,cRLSign"},
           {NID_subject_key_identifier, "hash"}}};
}

CertSpec LeafSpec(std::string name, int64_t serial, const char* usage) {
  return {std::move(name),
          serial,
          {{NID_basic_constraints, "critical,CA:FALSE"},
           {NID_key_usage, "critical,digitalSignature"},
           {NID_ext_key_usage, usage},
           {NID_subject_key_identifier, "hash"},
           {NID_authority_key_identifier, "keyid:always"}}};
}

}  // namespace

TestCerts::TestCerts() {
  char templ[] = "/tmp/quotient-certs-XXXXXX";
  if (mkdtemp(templ) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = templ;
  if (!Generate() && error_.empty()) error_ = "certificate generation failed";
}

TestCerts::~TestCerts() {
  if (dir_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool TestCerts::Generate() {
  KeyPtr ca_pk = NewKey();
  KeyPtr server_pk = NewKey();
  KeyPtr client_pk = NewKey();
  KeyPtr rogue_pk = NewKey();
  KeyPtr rogue_client_pk = NewKey();
  if (!ca_pk || !server_pk || !client_pk || !rogue_pk || !rogue_client_pk) {
    error_ = OpenSslError("cannot generate EC P-256 keys");
    return false;
  }
  CertPtr ca = Issue(CaSpec("Quotient Test CA", 1), ca_pk.get(), nullptr, nullptr, &error_);
  if (!ca) return false;
  CertSpec server_spec = LeafSpec("localhost", 2, "serverAuth");
  server_spec.extensions.emplace_back(NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  CertPtr server = Issue(server_spec, server_pk.get(), ca.get(), ca_pk.get(), &error_);
  if (!server) return false;
  CertPtr client = Issue(LeafSpec("kube-scheduler", 3, "clientAuth"), client_pk.get(), ca.get(),
                         ca_pk.get(), &error_);
  if (!client) return false;
  CertPtr rogue = Issue(CaSpec("Rogue Test CA", 1), rogue_pk.get(), nullptr, nullptr, &error_);
  if (!rogue) return false;
  CertPtr rogue_client = Issue(LeafSpec("kube-scheduler", 3, "clientAuth"), rogue_client_pk.get(),
                               rogue.get(), rogue_pk.get(), &error_);
  if (!rogue_client) return false;

  return WriteCert(ca_cert(), ca.get(), &error_) &&
         WriteCert(server_cert(), server.get(), &error_) &&
         WriteKey(server_key(), server_pk.get(), &error_) &&
         WriteCert(client_cert(), client.get(), &error_) &&
         WriteKey(client_key(), client_pk.get(), &error_) &&
         WriteCert(rogue_ca_cert(), rogue.get(), &error_) &&
         WriteCert(rogue_client_cert(), rogue_client.get(), &error_) &&
         WriteKey(rogue_client_key(), rogue_client_pk.get(), &error_);
}

}  // namespace quotient::test
