#include "core/hmac_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

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

struct HmacKey::Secret {
  explicit Secret(std::span<const uint8_t> key) : hmac(key) {
    std::memcpy(bytes.data(), key.data(), kSize);
  }
  std::array<uint8_t, kSize> bytes{};
  PrecomputedHmac hmac;
  size_t mapped = 0;  // bytes mapped for this object (whole pages)
  bool dontdump = false;
  bool locked = false;
};

void HmacKey::SecretDeleter::operator()(Secret* secret) const {
  if (secret == nullptr) return;
  size_t mapped = secret->mapped;
  bool locked = secret->locked;
  secret->~Secret();  // PrecomputedHmac wipes its states
  OPENSSL_cleanse(static_cast<void*>(secret), mapped);
  if (locked) ::munlock(secret, mapped);
  ::munmap(secret, mapped);
}

absl::StatusOr<HmacKey> HmacKey::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != kSize) {
    return absl::InvalidArgumentError(Cat("a key has ", kSize, " bytes, not ", bytes.size()));
  }
  // Pages of its own (mmap is page-aligned), so madvise and mlock cover the key and nothing else.
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t mapped = (sizeof(Secret) + page - 1) / page * page;
  void* memory =
      ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return absl::ResourceExhaustedError("cannot map memory for the key");
  // Before the key is written there: out of core dumps, and never swapped where allowed.
  bool dontdump = ::madvise(memory, mapped, MADV_DONTDUMP) == 0;
  bool locked = ::mlock(memory, mapped) == 0;  // may fail (RLIMIT_MEMLOCK): not fatal
  HmacKey key;
  key.secret_.reset(new (memory) Secret(bytes));
  key.secret_->mapped = mapped;
  key.secret_->dontdump = dontdump;
  key.secret_->locked = locked;
  return key;
}

const PrecomputedHmac& HmacKey::hmac() const { return secret_->hmac; }
std::span<const uint8_t> HmacKey::secret_bytes() const { return secret_->bytes; }
bool HmacKey::excluded_from_core_dumps() const { return secret_ && secret_->dontdump; }
bool HmacKey::locked_in_memory() const { return secret_ && secret_->locked; }

absl::StatusOr<HmacKey> HmacKey::Generate() {
  std::array<uint8_t, kSize> bytes;
  if (RAND_priv_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return absl::InternalError("OpenSSL's random generator failed");
  }
  absl::StatusOr<HmacKey> key = FromBytes(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

HmacKey::HmacKey(HmacKey&& other) noexcept = default;
HmacKey& HmacKey::operator=(HmacKey&& other) noexcept = default;
HmacKey::~HmacKey() = default;

std::string HmacKey::KeyId() const {
  Sha256Digest d = secret_->hmac.Compute("pprl/key-id/v1");
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
  // O_NOFOLLOW: a symbolic link is refused, not followed; O_NONBLOCK: a FIFO does not hang the
  // open (it is refused below as not a regular file).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ELOOP) {
      return absl::PermissionDeniedError(
          Cat("key file ", path, " is a symbolic link: give the key file itself"));
    }
    return absl::NotFoundError(Cat("cannot open key file ", path, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::UnavailableError(Cat("cannot stat key file ", path));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::PermissionDeniedError(Cat("key file ", path, " is not a regular file (",
                                           S_ISDIR(st.st_mode)    ? "a directory"
                                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                                           : S_ISLNK(st.st_mode)  ? "a symbolic link"
                                           : S_ISSOCK(st.st_mode) ? "a socket"
                                                                  : "a device",
                                           ")"));
  }
  if (st.st_uid != ::geteuid()) {
    ::close(fd);
    return absl::PermissionDeniedError(Cat("key file ", path, " is owned by uid ", st.st_uid,
                                           ", not by the user this process runs as (uid ",
                                           ::geteuid(), "): chown it to that user"));
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
