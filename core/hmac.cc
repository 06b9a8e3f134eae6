// The SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, but EVP cannot copy a
// digest state without an allocation per call; the low-level API is still OpenSSL's own code.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/hmac.h"

#include <openssl/crypto.h>

#include <cstring>

namespace pprl {
namespace {
constexpr size_t kBlock = 64;
}  // namespace

PrecomputedHmac::PrecomputedHmac(std::span<const uint8_t> key) {
  uint8_t block[kBlock] = {};
  if (key.size() > kBlock) {
    SHA256(key.data(), key.size(), block);
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&inner_);
  SHA256_Update(&inner_, pad, kBlock);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&outer_);
  SHA256_Update(&outer_, pad, kBlock);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
}

PrecomputedHmac::~PrecomputedHmac() {
  OPENSSL_cleanse(&inner_, sizeof inner_);
  OPENSSL_cleanse(&outer_, sizeof outer_);
}

Sha256Digest PrecomputedHmac::Compute(std::string_view message) const {
  std::string_view parts[] = {message};
  return Compute(parts);
}

Sha256Digest PrecomputedHmac::Compute(std::span<const std::string_view> parts) const {
  SHA256_CTX ctx = inner_;
  for (std::string_view part : parts) SHA256_Update(&ctx, part.data(), part.size());
  Sha256Digest inner_digest;
  SHA256_Final(inner_digest.data(), &ctx);
  ctx = outer_;
  SHA256_Update(&ctx, inner_digest.data(), inner_digest.size());
  Sha256Digest out;
  SHA256_Final(out.data(), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

}  // namespace pprl
