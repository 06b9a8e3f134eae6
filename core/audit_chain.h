// The audit log's hash chain (SPEC 7a): each entry's hash is SHA-256 over the previous entry's
// hash and the entry's canonical body, so changing, removing or reordering any entry breaks
// the chain at that entry, and verification names it.
//
// Bodies are canonical JSON (keys sorted) written by the linker; they hold who, when, what,
// counts and digests, never identities. Pure, thread-safe.
#ifndef PPRL_CORE_AUDIT_CHAIN_H_
#define PPRL_CORE_AUDIT_CHAIN_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace pprl {

// The hash before the first entry.
inline constexpr std::string_view kAuditGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditRecord {
  uint64_t sequence = 0;  // the storage key: 1, 2, 3, ...
  std::string body;       // canonical JSON; holds "seq" equal to sequence
  std::string hash;       // hex SHA-256(previous hash || body)
};

// hex(SHA-256(previous_hash_hex || "\n" || body)).
std::string AuditChainHash(std::string_view previous_hash_hex, std::string_view body);

// Verifies records as stored (in key order), and against the head (count and last hash) when
// `head_count` > 0. The error names the first bad entry and what is wrong with it.
[[nodiscard]] absl::Status VerifyAuditChain(const std::vector<AuditRecord>& records,
                                            uint64_t head_count, std::string_view head_hash);

}  // namespace pprl

#endif  // PPRL_CORE_AUDIT_CHAIN_H_
