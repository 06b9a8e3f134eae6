// Signed tree heads of the audit log (issue 15): the linker signs (tree size, root, time) with
// an Ed25519 key its operator configures apart from the store ([audit] signing_key, a PEM file
// of mode 0600); an auditor verifies with the public key alone (`pprl audit verify --log-key`).
//
// What is signed, byte for byte (so anyone can check a head with any Ed25519 tool):
//   "pprl audit tree head v1\n" tree_size "\n" timestamp_ms "\n" root_hash_hex "\n"
// The key id is the first 16 hex digits of SHA-256 over the raw 32-byte public key.
//
// The signing key is SECRET: it never leaves the linker and is never printed. Key files touch
// the file system; everything else is pure. Thread-safe once constructed.
#ifndef PPRL_CORE_AUDIT_SIGNING_H_
#define PPRL_CORE_AUDIT_SIGNING_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace pprl {

struct TreeHead {
  uint64_t tree_size = 0;
  std::string root_hash;  // 64 hex digits
  int64_t timestamp_ms = 0;
  std::string key_id;     // of the key that signed it
  std::string signature;  // 128 hex digits (Ed25519)

  // The bytes the signature covers.
  std::string SignedBytes() const;
  nlohmann::json ToJson() const;
  // Checks the shape (not the signature); errors name the field.
  [[nodiscard]] static absl::StatusOr<TreeHead> FromJson(const nlohmann::json& j);
};

class AuditPublicKey {
 public:
  // A PEM public key (SubjectPublicKeyInfo); refuses any key that is not Ed25519.
  [[nodiscard]] static absl::StatusOr<AuditPublicKey> FromPem(std::string_view pem);
  [[nodiscard]] static absl::StatusOr<AuditPublicKey> Load(const std::string& path);
  const std::string& key_id() const { return key_id_; }
  std::string Pem() const;
  // OK when `head` carries this key's id and a valid signature over its fields.
  [[nodiscard]] absl::Status Verify(const TreeHead& head) const;

 private:
  friend class AuditSigningKey;
  std::shared_ptr<EVP_PKEY> key_;
  std::string key_id_;
};

class AuditSigningKey {
 public:
  // Loads a PEM private key; refuses a symlink, a non-regular file, a file the group or others
  // may read or write, or a key that is not Ed25519.
  [[nodiscard]] static absl::StatusOr<AuditSigningKey> Load(const std::string& path);
  // A fresh key (OpenSSL's CSPRNG), for tests and for `pprl audit keygen`.
  [[nodiscard]] static absl::StatusOr<AuditSigningKey> Generate();
  // Writes the private key (mode 0600, never over an existing file) and, when
  // `public_path` is not empty, the public key (mode 0644).
  [[nodiscard]] absl::Status Write(const std::string& private_path,
                                   const std::string& public_path) const;

  const AuditPublicKey& public_key() const { return public_; }
  const std::string& key_id() const { return public_.key_id(); }
  // Fills in key_id and signature.
  [[nodiscard]] absl::Status Sign(TreeHead* head) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  AuditPublicKey public_;
};

}  // namespace pprl

#endif  // PPRL_CORE_AUDIT_SIGNING_H_
