#include "core/audit_signing.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/hmac_key.h"
#include "core/merkle.h"
#include "core/text.h"

namespace pprl {
namespace {

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* k) { return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free); }

absl::StatusOr<std::string> KeyIdOf(EVP_PKEY* key) {
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != sizeof raw) {
    return absl::InvalidArgumentError("cannot read the Ed25519 public key");
  }
  return Sha256Hex(std::string_view(reinterpret_cast<const char*>(raw), len)).substr(0, 16);
}

absl::Status IsEd25519(EVP_PKEY* key, const std::string& what) {
  if (EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(Cat(what,
                                          ": not an Ed25519 key (make one with pprl audit "
                                          "keygen)"));
  }
  return absl::OkStatus();
}

std::string HexOf(const unsigned char* p, size_t n) {
  return HashHex(std::string_view(reinterpret_cast<const char*>(p), n));
}

absl::StatusOr<std::string> Unhex(std::string_view hex, const std::string& what) {
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError(Cat(what, " is not hex"));
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (char c : hex.substr(i, 2)) {
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (d < 0) return absl::InvalidArgumentError(Cat(what, " is not lower-case hex"));
      v = v * 16 + d;
    }
    out.push_back(static_cast<char>(v));
  }
  return out;
}

}  // namespace

std::string TreeHead::SignedBytes() const {
  return Cat("pprl audit tree head v1\n", tree_size, "\n", timestamp_ms, "\n", root_hash, "\n");
}

nlohmann::json TreeHead::ToJson() const {
  return {{"tree_size", tree_size},
          {"root_hash", root_hash},
          {"timestamp_ms", timestamp_ms},
          {"key_id", key_id},
          {"signature", signature}};
}

absl::StatusOr<TreeHead> TreeHead::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("the tree head is not a JSON object");
  TreeHead h;
  auto text = [&](const char* field, std::string* out) -> absl::Status {
    if (!j.contains(field) || !j[field].is_string()) {
      return absl::InvalidArgumentError(Cat("the tree head has no ", field));
    }
    *out = j[field].get<std::string>();
    return absl::OkStatus();
  };
  if (!j.contains("tree_size") || !j["tree_size"].is_number_unsigned()) {
    return absl::InvalidArgumentError("the tree head has no tree_size");
  }
  h.tree_size = j["tree_size"].get<uint64_t>();
  if (!j.contains("timestamp_ms") || !j["timestamp_ms"].is_number_integer()) {
    return absl::InvalidArgumentError("the tree head has no timestamp_ms");
  }
  h.timestamp_ms = j["timestamp_ms"].get<int64_t>();
  for (auto [field, out] :
       {std::pair{"root_hash", &h.root_hash}, {"key_id", &h.key_id}, {"signature", &h.signature}}) {
    absl::Status s = text(field, out);
    if (!s.ok()) return s;
  }
  if (!HashFromHex(h.root_hash).ok()) {
    return absl::InvalidArgumentError("the tree head's root_hash is not 64 hex digits");
  }
  return h;
}

absl::StatusOr<AuditPublicKey> AuditPublicKey::FromPem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return absl::InvalidArgumentError("not a PEM public key");
  AuditPublicKey k;
  k.key_ = Own(raw);
  absl::Status ed = IsEd25519(raw, "the log key");
  if (!ed.ok()) return ed;
  absl::StatusOr<std::string> id = KeyIdOf(raw);
  if (!id.ok()) return id.status();
  k.key_id_ = *id;
  return k;
}

absl::StatusOr<AuditPublicKey> AuditPublicKey::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(Cat(path, ": cannot read the log's public key"));
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<AuditPublicKey> k = FromPem(ss.str());
  if (!k.ok()) return absl::InvalidArgumentError(Cat(path, ": ", k.status().message()));
  return k;
}

std::string AuditPublicKey::Pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key_.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::Status AuditPublicKey::Verify(const TreeHead& head) const {
  if (head.key_id != key_id_) {
    return absl::PermissionDeniedError(
        Cat("the tree head of size ", head.tree_size, " is signed by key ", head.key_id,
            ", not by the log key ", key_id_, " you hold: the signing key was replaced"));
  }
  absl::StatusOr<std::string> sig = Unhex(head.signature, "the signature");
  if (!sig.ok() || sig->size() != 64) {
    return absl::PermissionDeniedError(
        Cat("the tree head of size ", head.tree_size, " carries no valid signature"));
  }
  const std::string msg = head.SignedBytes();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  int ok =
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
  if (!ok) {
    return absl::PermissionDeniedError(
        Cat("the signature of the tree head of size ", head.tree_size, " (root ", head.root_hash,
            ") does not verify with the log key ", key_id_, ": the head was forged or altered"));
  }
  return absl::OkStatus();
}

absl::StatusOr<AuditSigningKey> AuditSigningKey::Load(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(Cat(path,
                                   ": the audit signing key does not exist (make one with "
                                   "pprl audit keygen --out ",
                                   path, ")"));
  }
  if (S_ISLNK(st.st_mode)) {
    return absl::PermissionDeniedError(Cat(path, ": the audit signing key is a symlink"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::PermissionDeniedError(Cat(path, ": the audit signing key is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return absl::PermissionDeniedError(Cat(path, ": the audit signing key has mode ", mode,
                                           "; the group and others must have no access (chmod "
                                           "600)"));
  }
  if (st.st_uid != ::geteuid()) {
    return absl::PermissionDeniedError(
        Cat(path, ": the audit signing key is not owned by the user running the linker"));
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!bio) return absl::UnavailableError(Cat(path, ": cannot read the audit signing key"));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) {
    return absl::InvalidArgumentError(Cat(path, ": not a PEM private key"));
  }
  AuditSigningKey k;
  k.key_ = Own(raw);
  absl::Status ed = IsEd25519(raw, path);
  if (!ed.ok()) return ed;
  absl::StatusOr<std::string> id = KeyIdOf(raw);
  if (!id.ok()) return id.status();
  k.public_.key_ = k.key_;
  k.public_.key_id_ = *id;
  return k;
}

absl::StatusOr<AuditSigningKey> AuditSigningKey::Generate() {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return absl::InternalError("OpenSSL could not make an Ed25519 key");
  }
  AuditSigningKey k;
  k.key_ = Own(raw);
  absl::StatusOr<std::string> id = KeyIdOf(raw);
  if (!id.ok()) return id.status();
  k.public_.key_ = k.key_;
  k.public_.key_id_ = *id;
  return k;
}

absl::Status AuditSigningKey::Write(const std::string& private_path,
                                    const std::string& public_path) const {
  int fd = ::open(private_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::AlreadyExistsError(
        Cat(private_path,
            ": cannot create the key file (it exists, or the directory is not "
            "writable); nothing was overwritten"));
  }
  ::fchmod(fd, 0600);
  FILE* f = ::fdopen(fd, "w");
  bool ok = f != nullptr &&
            PEM_write_PrivateKey(f, key_.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  ok = ok && std::fflush(f) == 0 && ::fsync(fd) == 0;
  if (f != nullptr) std::fclose(f);
  if (!ok) {
    ::unlink(private_path.c_str());
    return absl::UnavailableError(Cat(private_path, ": cannot write the key file"));
  }
  if (public_path.empty()) return absl::OkStatus();
  std::ofstream pub(public_path, std::ios::trunc);
  pub << public_.Pem();
  if (!pub) return absl::UnavailableError(Cat(public_path, ": cannot write the public key"));
  return absl::OkStatus();
}

absl::Status AuditSigningKey::Sign(TreeHead* head) const {
  head->key_id = key_id();
  const std::string msg = head->SignedBytes();
  unsigned char sig[64];
  size_t len = sizeof sig;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(msg.data()),
                     msg.size()) != 1) {
    return absl::InternalError("OpenSSL could not sign the tree head");
  }
  head->signature = HexOf(sig, len);
  return absl::OkStatus();
}

}  // namespace pprl
