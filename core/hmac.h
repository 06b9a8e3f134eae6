// HMAC-SHA256 (RFC 2104) with the key's inner and outer hash states computed once.
//
// Hashing a short match-key string then costs two SHA-256 compressions and no allocation,
// which is what makes national-scale pseudonymisation cheap. The hash itself is OpenSSL's
// SHA-256 (SHA-NI where the CPU has it). Verified against RFC 4231 and OpenSSL's own HMAC().
//
// Holds key-derived state: never printed or logged. Compute() is const and thread-safe.
#ifndef PPRL_CORE_HMAC_H_
#define PPRL_CORE_HMAC_H_

#include <openssl/sha.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace pprl {

using Sha256Digest = std::array<uint8_t, 32>;

class PrecomputedHmac {
 public:
  // Any key length (a key longer than a block is hashed first, as RFC 2104 says).
  explicit PrecomputedHmac(std::span<const uint8_t> key);
  ~PrecomputedHmac();
  PrecomputedHmac(const PrecomputedHmac&) = delete;
  PrecomputedHmac& operator=(const PrecomputedHmac&) = delete;

  Sha256Digest Compute(std::string_view message) const;

  // HMAC over the concatenation of `parts`, without building it.
  Sha256Digest Compute(std::span<const std::string_view> parts) const;

 private:
  SHA256_CTX inner_;
  SHA256_CTX outer_;
};

}  // namespace pprl

#endif  // PPRL_CORE_HMAC_H_
