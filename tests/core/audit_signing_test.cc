#include "core/audit_signing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::TempDir;
using ::testing::HasSubstr;

TreeHead Head() {
  TreeHead h;
  h.tree_size = 12;
  h.root_hash = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328";
  h.timestamp_ms = 1700000000123;
  return h;
}

TEST(AuditSigningTest, SignedHeadsVerifyAndAnyChangeIsCaught) {
  absl::StatusOr<AuditSigningKey> key = AuditSigningKey::Generate();
  ASSERT_THAT(key.status(), IsOk());
  TreeHead h = Head();
  ASSERT_THAT(key->Sign(&h), IsOk());
  EXPECT_EQ(h.key_id, key->key_id());
  EXPECT_EQ(h.signature.size(), 128u);
  EXPECT_THAT(key->public_key().Verify(h), IsOk());

  TreeHead changed = h;
  changed.tree_size = 11;
  EXPECT_THAT(key->public_key().Verify(changed).message(), HasSubstr("does not verify"));
  changed = h;
  changed.root_hash[0] = changed.root_hash[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(key->public_key().Verify(changed).ok());
  changed = h;
  changed.timestamp_ms += 1;
  EXPECT_FALSE(key->public_key().Verify(changed).ok());

  // A head signed by another key, even with the right key id written in, is refused.
  absl::StatusOr<AuditSigningKey> other = AuditSigningKey::Generate();
  ASSERT_THAT(other.status(), IsOk());
  TreeHead forged = Head();
  ASSERT_THAT(other->Sign(&forged), IsOk());
  EXPECT_THAT(key->public_key().Verify(forged).message(), HasSubstr("replaced"));
  forged.key_id = key->key_id();
  EXPECT_THAT(key->public_key().Verify(forged).message(), HasSubstr("does not verify"));

  absl::StatusOr<TreeHead> back = TreeHead::FromJson(h.ToJson());
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_THAT(key->public_key().Verify(*back), IsOk());
  nlohmann::json bad = h.ToJson();
  bad.erase("root_hash");
  EXPECT_THAT(TreeHead::FromJson(bad).status().message(), HasSubstr("root_hash"));
}

TEST(AuditSigningTest, KeyFilesRoundTripAndLooseOnesAreRefused) {
  TempDir dir;
  absl::StatusOr<AuditSigningKey> key = AuditSigningKey::Generate();
  ASSERT_THAT(key.status(), IsOk());
  const std::string priv = dir.File("log.key"), pub = dir.File("log.pub.pem");
  ASSERT_THAT(key->Write(priv, pub), IsOk());
  struct stat st;
  ASSERT_EQ(::stat(priv.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(key->Write(priv, "").ok());  // never overwrites

  absl::StatusOr<AuditSigningKey> loaded = AuditSigningKey::Load(priv);
  ASSERT_THAT(loaded.status(), IsOk());
  EXPECT_EQ(loaded->key_id(), key->key_id());
  absl::StatusOr<AuditPublicKey> public_key = AuditPublicKey::Load(pub);
  ASSERT_THAT(public_key.status(), IsOk());
  TreeHead h = Head();
  ASSERT_THAT(loaded->Sign(&h), IsOk());
  EXPECT_THAT(public_key->Verify(h), IsOk());

  ASSERT_EQ(::chmod(priv.c_str(), 0640), 0);
  EXPECT_THAT(AuditSigningKey::Load(priv).status().message(), HasSubstr("mode 0640"));
  ASSERT_EQ(::chmod(priv.c_str(), 0600), 0);
  ASSERT_EQ(::symlink(priv.c_str(), dir.File("link.key").c_str()), 0);
  EXPECT_THAT(AuditSigningKey::Load(dir.File("link.key")).status().message(), HasSubstr("symlink"));
  EXPECT_THAT(AuditSigningKey::Load(dir.File("none.key")).status().message(),
              HasSubstr("pprl audit keygen"));
  // A public key is not a private key, and a private key file is not a public key.
  EXPECT_FALSE(AuditPublicKey::Load(priv).ok());
}

}  // namespace
}  // namespace pprl
