#include "core/audit_chain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::testing::HasSubstr;

std::vector<AuditRecord> Chain(int n) {
  std::vector<AuditRecord> out;
  std::string prev(kAuditGenesis);
  for (int i = 1; i <= n; ++i) {
    AuditRecord r;
    r.sequence = static_cast<uint64_t>(i);
    r.body = "{\"action\":\"submit\",\"records\":" + std::to_string(i * 10) +
             ",\"seq\":" + std::to_string(i) + "}";
    r.hash = AuditChainHash(prev, r.body);
    prev = r.hash;
    out.push_back(r);
  }
  return out;
}

TEST(AuditChain, IntactChainVerifies) {
  std::vector<AuditRecord> c = Chain(6);
  EXPECT_THAT(VerifyAuditChain(c, 6, c.back().hash), IsOk());
  EXPECT_THAT(VerifyAuditChain({}, 0, ""), IsOk());
}

TEST(AuditChain, ChangedEntryIsNamed) {
  std::vector<AuditRecord> c = Chain(6);
  c[3].body.replace(c[3].body.find("40"), 2, "41");
  EXPECT_THAT(VerifyAuditChain(c, 6, c.back().hash),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("audit entry 4 was changed")));
}

TEST(AuditChain, RemovedEntryIsNamed) {
  std::vector<AuditRecord> c = Chain(6);
  c.erase(c.begin() + 2);
  EXPECT_THAT(VerifyAuditChain(c, 6, Chain(6).back().hash),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("audit entry 3 is missing")));
}

TEST(AuditChain, SwappedEntriesAreNamed) {
  std::vector<AuditRecord> c = Chain(6);
  // Swap the stored values of keys 2 and 3 (the keys stay in order).
  std::swap(c[1].body, c[2].body);
  std::swap(c[1].hash, c[2].hash);
  EXPECT_THAT(
      VerifyAuditChain(c, 6, c.back().hash),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("audit entry 2 was changed or moved")));
}

TEST(AuditChain, TruncatedTailIsCaughtByTheHead) {
  std::vector<AuditRecord> c = Chain(6);
  std::string head = c.back().hash;
  c.pop_back();
  EXPECT_THAT(VerifyAuditChain(c, 6, head),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entries after 5 were removed")));
}

TEST(AuditChain, RehashedForgeryStillBreaksAtTheHead) {
  // Someone changes entry 2 and recomputes every later hash; the head they did not rewrite
  // no longer matches.
  std::vector<AuditRecord> c = Chain(4);
  std::string head = c.back().hash;
  c[1].body.replace(c[1].body.find("20"), 2, "99");
  std::string prev = c[0].hash;
  for (size_t i = 1; i < c.size(); ++i) {
    c[i].hash = AuditChainHash(prev, c[i].body);
    prev = c[i].hash;
  }
  EXPECT_THAT(VerifyAuditChain(c, 4, head),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not end the chain")));
}

}  // namespace
}  // namespace pprl
