// The key file touches the disk by nature; each test uses its own temporary directory.
#include "core/hmac_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::testing::HasSubstr;

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pprl_key_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(KeyFileTest, WritesMode0600AndLoadsTheSameKey) {
  absl::StatusOr<HmacKey> key = HmacKey::Generate();
  ASSERT_THAT(key, IsOk());
  std::string path = dir_ / "site.key";
  ASSERT_THAT(WriteKeyFile(path, *key), IsOk());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  absl::StatusOr<HmacKey> loaded = LoadKeyFile(path);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->KeyId(), key->KeyId());
}

TEST_F(KeyFileTest, RefusesToOverwrite) {
  absl::StatusOr<HmacKey> key = HmacKey::Generate();
  ASSERT_THAT(key, IsOk());
  std::string path = dir_ / "site.key";
  ASSERT_THAT(WriteKeyFile(path, *key), IsOk());
  EXPECT_THAT(WriteKeyFile(path, *key),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("refusing to overwrite")));
}

TEST_F(KeyFileTest, RefusesGroupOrWorldAccessibleKeys) {
  absl::StatusOr<HmacKey> key = HmacKey::Generate();
  ASSERT_THAT(key, IsOk());
  std::string path = dir_ / "site.key";
  ASSERT_THAT(WriteKeyFile(path, *key), IsOk());
  for (mode_t mode : {0640, 0604, 0644, 0660, 0606, 0620}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    EXPECT_THAT(LoadKeyFile(path),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("chmod 600")))
        << std::oct << mode;
  }
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_THAT(LoadKeyFile(path), IsOk());
}

TEST_F(KeyFileTest, RefusesWrongSizeAndMissingFiles) {
  std::string path = dir_ / "short.key";
  {
    std::ofstream out(path, std::ios::binary);
    out << "too short";
  }
  ::chmod(path.c_str(), 0600);
  EXPECT_THAT(LoadKeyFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32 bytes")));
  EXPECT_THAT(LoadKeyFile(dir_ / "absent.key"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.key")));
}

// A symbolic link is refused (not followed), even to a good key file.
TEST_F(KeyFileTest, RefusesASymbolicLink) {
  absl::StatusOr<HmacKey> key = HmacKey::Generate();
  ASSERT_THAT(key, IsOk());
  std::string path = dir_ / "site.key";
  ASSERT_THAT(WriteKeyFile(path, *key), IsOk());
  std::string link = dir_ / "link.key";
  ASSERT_EQ(::symlink(path.c_str(), link.c_str()), 0);
  EXPECT_THAT(LoadKeyFile(link),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("is a symbolic link")));
  EXPECT_THAT(LoadKeyFile(path), IsOk());
}

// A FIFO (which would block a plain open, and could be fed by anyone who can write it) and a
// directory are refused as not regular files.
TEST_F(KeyFileTest, RefusesAFifoAndADirectory) {
  std::string fifo = dir_ / "fifo.key";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(LoadKeyFile(fifo), StatusIs(absl::StatusCode::kPermissionDenied,
                                          HasSubstr("is not a regular file (a FIFO)")));
  std::string dir = dir_ / "dir.key";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  EXPECT_THAT(LoadKeyFile(dir), StatusIs(absl::StatusCode::kPermissionDenied,
                                         HasSubstr("is not a regular file (a directory)")));
}

// A key file of another user is refused (testable where the test may chown: as root).
TEST_F(KeyFileTest, RefusesAFileOwnedByAnotherUser) {
  absl::StatusOr<HmacKey> key = HmacKey::Generate();
  ASSERT_THAT(key, IsOk());
  std::string path = dir_ / "site.key";
  ASSERT_THAT(WriteKeyFile(path, *key), IsOk());
  if (::chown(path.c_str(), ::geteuid() + 4242, static_cast<gid_t>(-1)) != 0) {
    GTEST_SKIP() << "cannot chown here (needs root)";
  }
  EXPECT_THAT(LoadKeyFile(path),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("is owned by uid")));
  ASSERT_EQ(::chown(path.c_str(), ::geteuid(), static_cast<gid_t>(-1)), 0);
  EXPECT_THAT(LoadKeyFile(path), IsOk());
}

// The key's pages are marked "do not dump" ("dd" in /proc/self/smaps) and lie in a mapping
// of their own.
TEST(HmacKey, KeyPagesAreExcludedFromCoreDumps) {
  absl::StatusOr<HmacKey> key = HmacKey::Generate();
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(key->excluded_from_core_dumps());
  const auto where = reinterpret_cast<uintptr_t>(key->secret_bytes().data());
  const auto state = reinterpret_cast<uintptr_t>(&key->hmac());
  std::ifstream smaps("/proc/self/smaps");
  ASSERT_TRUE(smaps.good());
  bool in_mapping = false, found = false;
  uintptr_t lo = 0, hi = 0;
  for (std::string line; std::getline(smaps, line);) {
    unsigned long a = 0, b = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &a, &b) == 2 && line.find('-') < 17) {
      in_mapping = where >= a && where < b;
      if (in_mapping) lo = a, hi = b;
      continue;
    }
    if (in_mapping && line.rfind("VmFlags:", 0) == 0) {
      found = true;
      EXPECT_THAT(line, HasSubstr(" dd")) << line;
    }
  }
  ASSERT_TRUE(found) << "no mapping holds the key";
  EXPECT_GE(state, lo);  // the HMAC states are in the same pages
  EXPECT_LT(state, hi);
  // A moved key keeps its pages.
  HmacKey moved = std::move(*key);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(moved.secret_bytes().data()), where);
  EXPECT_TRUE(moved.excluded_from_core_dumps());
}

TEST(HmacKey, KeyIdIsStableAndRevealsNotTheKey) {
  std::vector<uint8_t> bytes(32, 7);
  absl::StatusOr<HmacKey> a = HmacKey::FromBytes(bytes);
  absl::StatusOr<HmacKey> b = HmacKey::FromBytes(bytes);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->KeyId(), b->KeyId());
  EXPECT_EQ(a->KeyId().size(), 32u);
  EXPECT_EQ(a->KeyId().find(ToHex(bytes).substr(0, 8)), std::string::npos);
  bytes[0] = 8;
  absl::StatusOr<HmacKey> c = HmacKey::FromBytes(bytes);
  ASSERT_THAT(c, IsOk());
  EXPECT_NE(a->KeyId(), c->KeyId());
  EXPECT_THAT(HmacKey::FromBytes(std::vector<uint8_t>(31, 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32 bytes")));
}

TEST(HmacKey, GeneratedKeysDiffer) {
  absl::StatusOr<HmacKey> a = HmacKey::Generate();
  absl::StatusOr<HmacKey> b = HmacKey::Generate();
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE(a->KeyId(), b->KeyId());
}

// HmacKey has no operator<<, no string conversion: this must not compile, so it is checked by
// the type system rather than a test. (A static_assert on a detection idiom keeps it honest.)
template <typename T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};
static_assert(!Streamable<HmacKey>, "a key must not be printable");
static_assert(!std::is_copy_constructible_v<HmacKey>, "a key must not be copied");

}  // namespace
}  // namespace pprl
