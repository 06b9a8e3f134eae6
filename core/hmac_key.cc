#include "core/hmac_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/text.h"

namespace pprl {

std::string ToHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

std::string Sha256Hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  return ToHex(std::span<const uint8_t>(md, len));
}

absl::StatusOr<HmacKey> HmacKey::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != kSize) {
    return absl::InvalidArgumentError(Cat("a key has ", kSize, " bytes, not ", bytes.size()));
  }
  HmacKey key;
  std::memcpy(key.bytes_.data(), bytes.data(), kSize);
  key.hmac_ = std::make_unique<PrecomputedHmac>(key.bytes_);
  return key;
}

absl::StatusOr<HmacKey> HmacKey::Generate() {
  std::array<uint8_t, kSize> bytes;
  if (RAND_priv_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return absl::InternalError("OpenSSL's random generator failed");
  }
  absl::StatusOr<HmacKey> key = FromBytes(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

HmacKey::HmacKey(HmacKey&& other) noexcept : bytes_(other.bytes_), hmac_(std::move(other.hmac_)) {
  OPENSSL_cleanse(other.bytes_.data(), kSize);
}

HmacKey& HmacKey::operator=(HmacKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    hmac_ = std::move(other.hmac_);
    OPENSSL_cleanse(other.bytes_.data(), kSize);
  }
  return *this;
}

HmacKey::~HmacKey() { OPENSSL_cleanse(bytes_.data(), kSize); }

std::string HmacKey::KeyId() const {
  Sha256Digest d = hmac_->Compute("pprl/key-id/v1");
  return ToHex(std::span<const uint8_t>(d.data(), 16));
}

absl::Status WriteKeyFile(const std::string& path, const HmacKey& key) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          Cat("key file ", path, " exists already; refusing to overwrite a key"));
    }
    return absl::UnavailableError(Cat("cannot create key file ", path, ": ", std::strerror(errno)));
  }
  // The umask may not narrow 0600 further than we want, but make sure it is exactly 0600.
  ::fchmod(fd, 0600);
  std::span<const uint8_t> bytes = key.secret_bytes();
  ssize_t written = ::write(fd, bytes.data(), bytes.size());
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (written != static_cast<ssize_t>(bytes.size()) || !synced) {
    ::unlink(path.c_str());
    return absl::UnavailableError(Cat("cannot write key file ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<HmacKey> LoadKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(Cat("cannot open key file ", path, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::UnavailableError(Cat("cannot stat key file ", path));
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return absl::PermissionDeniedError(
        Cat("key file ", path, " has mode ", mode,
            ": the group or others may access it; run chmod 600 on it (and consider the key "
            "exposed if others could read it)"));
  }
  std::array<uint8_t, HmacKey::kSize + 1> buf;
  ssize_t n = ::read(fd, buf.data(), buf.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(HmacKey::kSize)) {
    OPENSSL_cleanse(buf.data(), buf.size());
    return absl::InvalidArgumentError(
        Cat("key file ", path, " does not hold exactly ", HmacKey::kSize, " bytes"));
  }
  absl::StatusOr<HmacKey> key =
      HmacKey::FromBytes(std::span<const uint8_t>(buf.data(), HmacKey::kSize));
  OPENSSL_cleanse(buf.data(), buf.size());
  return key;
}

}  // namespace pprl
