// The sites' shared secret: 256 random bits, made by `pprl keygen`, kept in a 0600 file.
//
// SECRET. HmacKey cannot be printed, streamed or converted to a string, is move-only, and wipes
// its bytes when destroyed. The key and its HMAC states live in pages of their own, excluded
// from core dumps (madvise MADV_DONTDUMP) and locked in memory (mlock) where the process may;
// a failed mlock is not an error (the systemd units also set LimitCORE=0). The key id (a keyed
// digest of a fixed label) is what travels with an extract; it identifies the key without revealing
// it. Thread-safe once constructed.
//
// The key file functions touch the file system; everything else is pure.
#ifndef PPRL_CORE_HMAC_KEY_H_
#define PPRL_CORE_HMAC_KEY_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/hmac.h"

namespace pprl {

class HmacKey {
 public:
  static constexpr size_t kSize = 32;

  [[nodiscard]] static absl::StatusOr<HmacKey> FromBytes(std::span<const uint8_t> bytes);
  // 256 bits from OpenSSL's CSPRNG.
  [[nodiscard]] static absl::StatusOr<HmacKey> Generate();

  HmacKey(HmacKey&& other) noexcept;
  HmacKey& operator=(HmacKey&& other) noexcept;
  HmacKey(const HmacKey&) = delete;
  HmacKey& operator=(const HmacKey&) = delete;
  ~HmacKey();

  // 32 lower-case hex digits: HMAC(key, "pprl/key-id/v1") truncated to 128 bits.
  std::string KeyId() const;

  // The HMAC state for match keys (built once per key).
  const PrecomputedHmac& hmac() const;

  // For writing the key file only.
  std::span<const uint8_t> secret_bytes() const;

  // Whether the key's pages are excluded from core dumps, and locked in memory.
  bool excluded_from_core_dumps() const;
  bool locked_in_memory() const;

 private:
  struct Secret;
  struct SecretDeleter {
    void operator()(Secret* secret) const;
  };
  HmacKey() = default;
  std::unique_ptr<Secret, SecretDeleter> secret_;
};

// Writes a new key file with mode 0600; refuses to overwrite an existing file.
[[nodiscard]] absl::Status WriteKeyFile(const std::string& path, const HmacKey& key);

// Loads a key file; refuses a symbolic link (O_NOFOLLOW), anything but a regular file (a FIFO,
// a directory, a device), a file not owned by the user the process runs as, one that the
// group or others may read or write, and one of the wrong size.
[[nodiscard]] absl::StatusOr<HmacKey> LoadKeyFile(const std::string& path);

// Lower-case hex of bytes.
std::string ToHex(std::span<const uint8_t> bytes);
// Lower-case hex of SHA-256(text): for digests of released figures, inputs and labels.
std::string Sha256Hex(std::string_view text);

}  // namespace pprl

#endif  // PPRL_CORE_HMAC_KEY_H_
