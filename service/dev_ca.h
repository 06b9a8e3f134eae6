// A development certificate authority made in-process (OpenSSL), for `pprl demo` and tests:
// a fresh CA and one EC P-256 certificate per role, as deploy/make-dev-certs.sh makes them
// (OU = role, CN = holder, server and client use, names localhost and 127.0.0.1). Writes
// DIR/ca.pem and DIR/NAME.pem + DIR/NAME.key (0600). Never for production.
#ifndef PPRL_SERVICE_DEV_CA_H_
#define PPRL_SERVICE_DEV_CA_H_

#include <string>

#include "absl/status/status.h"

namespace pprl {

[[nodiscard]] absl::Status MakeDevCertificates(const std::string& dir);

}  // namespace pprl

#endif  // PPRL_SERVICE_DEV_CA_H_
