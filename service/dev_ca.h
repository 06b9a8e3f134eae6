// A development certificate authority made in-process (OpenSSL), for `pprl demo` and tests:
// a fresh CA and one EC P-256 certificate per role, as deploy/make-dev-certs.sh makes them
// (OU = role, CN = holder, server and client use, names localhost and 127.0.0.1). Writes
// DIR/ca.pem, DIR/ca.key and DIR/NAME.pem + DIR/NAME.key (keys 0600), and the audit log's
// Ed25519 signing key DIR/audit-log.key (0600) with DIR/audit-log.pub.pem. Never for production.
#ifndef PPRL_SERVICE_DEV_CA_H_
#define PPRL_SERVICE_DEV_CA_H_

#include <string>

#include "absl/status/status.h"

namespace pprl {

[[nodiscard]] absl::Status MakeDevCertificates(const std::string& dir);

// One more certificate from the CA in `dir` (DIR/ca.pem, DIR/ca.key), valid from
// `not_before_days` to `not_after_days` relative to now (negative: in the past): for tests of
// expired and not-yet-valid certificates.
[[nodiscard]] absl::Status IssueDevCertificate(const std::string& dir, const std::string& name,
                                               const std::string& role, const std::string& holder,
                                               int not_before_days, int not_after_days);

}  // namespace pprl

#endif  // PPRL_SERVICE_DEV_CA_H_
