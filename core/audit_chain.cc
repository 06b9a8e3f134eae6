#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/audit_chain.h"

#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include "core/hmac_key.h"
#include "core/text.h"

namespace pprl {

std::string AuditChainHash(std::string_view previous_hash_hex, std::string_view body) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, previous_hash_hex.data(), previous_hash_hex.size());
  SHA256_Update(&ctx, "\n", 1);
  SHA256_Update(&ctx, body.data(), body.size());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &ctx);
  return ToHex(std::span<const uint8_t>(digest, SHA256_DIGEST_LENGTH));
}

absl::Status VerifyAuditChain(const std::vector<AuditRecord>& records, uint64_t head_count,
                              std::string_view head_hash) {
  std::string previous(kAuditGenesis);
  uint64_t expected = 1;
  for (const AuditRecord& r : records) {
    if (r.sequence != expected) {
      return absl::DataLossError(
          r.sequence > expected
              ? Cat("audit entry ", expected, " is missing (the next stored entry is ", r.sequence,
                    ")")
              : Cat("audit entry ", r.sequence, " is out of order (expected ", expected, ")"));
    }
    nlohmann::json body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object() || !body.contains("seq") ||
        !body["seq"].is_number_unsigned() || body["seq"].get<uint64_t>() != r.sequence) {
      return absl::DataLossError(
          Cat("audit entry ", r.sequence, " was changed or moved (its body names another place)"));
    }
    std::string hash = AuditChainHash(previous, r.body);
    if (hash != r.hash) {
      return absl::DataLossError(
          Cat("audit entry ", r.sequence, " was changed (its hash does not match the chain)"));
    }
    previous = hash;
    ++expected;
  }
  if (head_count > 0) {
    if (records.size() != head_count) {
      return absl::DataLossError(Cat("the audit log holds ", records.size(),
                                     " entries but its head records ", head_count,
                                     ": entries after ", records.size(), " were removed"));
    }
    if (previous != head_hash) {
      return absl::DataLossError(
          Cat("audit entry ", records.size(), " does not end the chain the head records"));
    }
  }
  return absl::OkStatus();
}

}  // namespace pprl
