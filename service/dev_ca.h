// A development certificate authority made in-process (OpenSSL), for `pprl demo` and tests:
// a fresh CA and EC P-256 certificates as deploy/make-dev-certs.sh makes them (OU = role,
// CN = holder, names localhost and 127.0.0.1). Each certificate has one purpose: the servers'
// (linker, analyzer-server, agent-police-server, agent-vh-server) extendedKeyUsage serverAuth
// only, every other one clientAuth only (the analyzer and the agents call the linker with
// analyzer, agent-police and agent-vh). Writes DIR/ca.pem, DIR/ca.key, DIR/NAME.pem +
// DIR/NAME.key (keys 0600) an empty revocation list DIR/crl.pem, and the audit log's Ed25519
// signing key DIR/audit-log.key (0600) with DIR/audit-log.pub.pem. Never for production.
#ifndef PPRL_SERVICE_DEV_CA_H_
#define PPRL_SERVICE_DEV_CA_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace pprl {

[[nodiscard]] absl::Status MakeDevCertificates(const std::string& dir);

// One more certificate from the CA in `dir` (DIR/ca.pem, DIR/ca.key), valid from
// `not_before_days` to `not_after_days` relative to now (negative: in the past): for tests of
// expired and not-yet-valid certificates.
[[nodiscard]] absl::Status IssueDevCertificate(const std::string& dir, const std::string& name,
                                               const std::string& role, const std::string& holder,
                                               int not_before_days, int not_after_days);

// A certificate to issue from the CA in a directory; the odd settings are for tests of
// certificates that must be refused.
struct DevCertificate {
  std::string name;     // DIR/NAME.pem and DIR/NAME.key
  std::string role;     // OU; empty: none
  std::string holder;   // CN
  bool server = false;  // serverAuth (true) or clientAuth (false)
  int not_before_days = 0;
  int not_after_days = 825;
  std::vector<std::string> extra_ous;  // more OUs after `role`
  std::string ext_key_usage;  // overrides serverAuth/clientAuth, e.g. "serverAuth,clientAuth"
};
[[nodiscard]] absl::Status IssueDevCertificate(const std::string& dir, const DevCertificate& cert);

// Writes DIR/crl.pem, signed by the CA in `dir`, revoking the certificates DIR/NAME.pem of
// `revoked` (valid for 30 days).
[[nodiscard]] absl::Status WriteDevCrl(const std::string& dir,
                                       const std::vector<std::string>& revoked);

}  // namespace pprl

#endif  // PPRL_SERVICE_DEV_CA_H_
