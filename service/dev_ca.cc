#include "service/dev_ca.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "core/audit_signing.h"
#include "core/text.h"

namespace pprl {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

absl::Status WritePem(const std::string& path, bool secret,
                      const std::function<int(FILE*)>& write) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0) return absl::UnavailableError(Cat("cannot write ", path));
  FILE* f = ::fdopen(fd, "w");
  int ok = write(f);
  std::fclose(f);
  if (ok != 1) return absl::InternalError(Cat("cannot encode ", path));
  return absl::OkStatus();
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

absl::StatusOr<Cert> Issue(EVP_PKEY* key, const std::string& ou, const std::string& cn,
                           X509* issuer, EVP_PKEY* issuer_key, bool ca, long not_before_s = -3600,
                           long not_after_s = 60L * 60 * 24 * 825,
                           const std::string& eku = "clientAuth",
                           const std::vector<std::string>& extra_ous = {}) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_s);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("pprl dev"), -1, -1, 0);
  if (!ou.empty()) {
    X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(ou.c_str()), -1, -1, 0);
  }
  for (const std::string& more : extra_ous) {
    X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(more.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  bool ok =
      ca ? AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
               AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign")
         : AddExtension(cert.get(), signer, NID_basic_constraints, "CA:FALSE") &&
               AddExtension(cert.get(), signer, NID_key_usage,
                            "digitalSignature,keyEncipherment") &&
               AddExtension(cert.get(), signer, NID_ext_key_usage, eku.c_str()) &&
               AddExtension(cert.get(), signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  if (!ok) return absl::InternalError("cannot add certificate extensions");
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0)
    return absl::InternalError("cannot sign a certificate");
  return cert;
}

}  // namespace

absl::Status MakeDevCertificates(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(Cat("cannot create ", dir));
  Key ca_key(EVP_EC_gen("P-256"));
  if (!ca_key) return absl::InternalError("cannot make a key");
  absl::StatusOr<Cert> ca = Issue(ca_key.get(), "", "pprl dev CA", nullptr, ca_key.get(), true);
  if (!ca.ok()) return ca.status();
  absl::Status s =
      WritePem(dir + "/ca.pem", false, [&](FILE* f) { return PEM_write_X509(f, ca->get()); });
  if (!s.ok()) return s;
  s = WritePem(dir + "/ca.key", true, [&](FILE* f) {
    return PEM_write_PrivateKey(f, ca_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!s.ok()) return s;
  struct Holder {
    const char* file;
    const char* role;
    const char* cn;
    bool server;
  };
  const Holder holders[] = {{"linker", "linker", "linker", true},
                            {"analyzer-server", "analyzer", "analyzer", true},
                            {"analyzer", "analyzer", "analyzer", false},
                            {"agent-police-server", "agent", "police", true},
                            {"agent-police", "agent", "police", false},
                            {"agent-vh-server", "agent", "veiligheidshuis", true},
                            {"agent-vh", "agent", "veiligheidshuis", false},
                            {"officer-police", "data-officer", "officer-police", false},
                            {"officer-vh", "data-officer", "officer-vh", false},
                            {"analyst", "analyst", "analyst", false},
                            {"auditor", "auditor", "auditor", false}};
  for (const auto& [file, role, cn, server] : holders) {
    Key key(EVP_EC_gen("P-256"));
    if (!key) return absl::InternalError("cannot make a key");
    absl::StatusOr<Cert> cert = Issue(key.get(), role, cn, ca->get(), ca_key.get(), false, -3600,
                                      60L * 60 * 24 * 825, server ? "serverAuth" : "clientAuth");
    if (!cert.ok()) return cert.status();
    s = WritePem(Cat(dir, "/", file, ".pem"), false,
                 [&](FILE* f) { return PEM_write_X509(f, cert->get()); });
    if (!s.ok()) return s;
    s = WritePem(Cat(dir, "/", file, ".key"), true, [&](FILE* f) {
      return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    if (!s.ok()) return s;
  }
  // The audit log's signing key (the linker's default: beside its TLS key) and its public half
  // for auditors.
  absl::StatusOr<AuditSigningKey> log_key = AuditSigningKey::Generate();
  if (!log_key.ok()) return log_key.status();
  absl::Status written = log_key->Write(dir + "/audit-log.key", dir + "/audit-log.pub.pem");
  if (!written.ok()) return written;
  return WriteDevCrl(dir, {});
}

namespace {

absl::Status ReadCa(const std::string& dir, Cert* ca, Key* ca_key) {
  FILE* f = std::fopen((dir + "/ca.pem").c_str(), "r");
  if (f == nullptr) return absl::NotFoundError(Cat("no CA in ", dir));
  ca->reset(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  f = std::fopen((dir + "/ca.key").c_str(), "r");
  if (f == nullptr) return absl::NotFoundError(Cat("no CA key in ", dir));
  ca_key->reset(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!*ca || !*ca_key) return absl::InvalidArgumentError(Cat("cannot read the CA in ", dir));
  return absl::OkStatus();
}

}  // namespace

absl::Status IssueDevCertificate(const std::string& dir, const std::string& name,
                                 const std::string& role, const std::string& holder,
                                 int not_before_days, int not_after_days) {
  DevCertificate c;
  c.name = name;
  c.role = role;
  c.holder = holder;
  c.not_before_days = not_before_days;
  c.not_after_days = not_after_days;
  return IssueDevCertificate(dir, c);
}

absl::Status IssueDevCertificate(const std::string& dir, const DevCertificate& c) {
  Cert ca;
  Key ca_key;
  absl::Status s = ReadCa(dir, &ca, &ca_key);
  if (!s.ok()) return s;
  Key key(EVP_EC_gen("P-256"));
  if (!key) return absl::InternalError("cannot make a key");
  std::string eku = !c.ext_key_usage.empty() ? c.ext_key_usage
                    : c.server               ? "serverAuth"
                                             : "clientAuth";
  absl::StatusOr<Cert> cert =
      Issue(key.get(), c.role, c.holder, ca.get(), ca_key.get(), false,
            c.not_before_days == 0 ? -3600 : 60L * 60 * 24 * c.not_before_days,
            60L * 60 * 24 * c.not_after_days, eku, c.extra_ous);
  if (!cert.ok()) return cert.status();
  s = WritePem(Cat(dir, "/", c.name, ".pem"), false,
               [&](FILE* out) { return PEM_write_X509(out, cert->get()); });
  if (!s.ok()) return s;
  return WritePem(Cat(dir, "/", c.name, ".key"), true, [&](FILE* out) {
    return PEM_write_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
}

absl::Status WriteDevCrl(const std::string& dir, const std::vector<std::string>& revoked) {
  Cert ca;
  Key ca_key;
  absl::Status s = ReadCa(dir, &ca, &ca_key);
  if (!s.ok()) return s;
  std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(X509_CRL_new(), X509_CRL_free);
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.get()));
  ASN1_TIME* now = ASN1_TIME_adj(nullptr, std::time(nullptr), 0, -60);
  ASN1_TIME* next = ASN1_TIME_adj(nullptr, std::time(nullptr), 30, 0);
  X509_CRL_set1_lastUpdate(crl.get(), now);
  X509_CRL_set1_nextUpdate(crl.get(), next);
  for (const std::string& name : revoked) {
    FILE* f = std::fopen(Cat(dir, "/", name, ".pem").c_str(), "r");
    if (f == nullptr) return absl::NotFoundError(Cat("no certificate ", dir, "/", name, ".pem"));
    Cert cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    if (!cert) return absl::InvalidArgumentError(Cat("cannot read ", dir, "/", name, ".pem"));
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(cert.get()));
    X509_REVOKED_set_revocationDate(r, now);
    X509_CRL_add0_revoked(crl.get(), r);
  }
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), ca_key.get(), EVP_sha256()) == 0)
    return absl::InternalError("cannot sign the CRL");
  return WritePem(Cat(dir, "/crl.pem"), false,
                  [&](FILE* out) { return PEM_write_X509_CRL(out, crl.get()); });
}

}  // namespace pprl
