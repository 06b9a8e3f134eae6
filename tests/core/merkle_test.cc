// The audit log's Merkle tree against the known answers of RFC 6962 / transparency-dev/merkle
// (testonly/reference_test.go and the certificate-transparency tree tests: the eight leaves
// "", 00, 10, 2021, 3031, 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f), and
// against the RFC's recursive definition on larger trees.
#include "core/merkle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::testing::HasSubstr;

const char* const kLeaves[] = {"",
                               "00",
                               "10",
                               "2021",
                               "3031",
                               "40414243",
                               "5051525354555657",
                               "606162636465666768696a6b6c6d6e6f"};

std::string Bytes(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string H(std::string_view hex) { return *HashFromHex(hex); }

MerkleTree TreeOf(size_t n) {
  MerkleTree t;
  for (size_t i = 0; i < n; ++i) t.Append(MerkleLeafHash(Bytes(kLeaves[i])));
  return t;
}

std::vector<std::string> Proof(std::initializer_list<const char*> hex) {
  std::vector<std::string> out;
  for (const char* h : hex) out.push_back(H(h));
  return out;
}

TEST(MerkleTest, LeafAndNodeHashesMatchTheRfc) {
  EXPECT_EQ(HashHex(MerkleEmptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HashHex(MerkleLeafHash("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(HashHex(MerkleLeafHash(Bytes("00"))),
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7");
  // The root of two leaves is the node hash of the two leaf hashes.
  EXPECT_EQ(HashHex(MerkleNodeHash(MerkleLeafHash(""), MerkleLeafHash(Bytes("00")))),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
}

TEST(MerkleTest, RootsOfTheReferenceTree) {
  const char* const kRoots[] = {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                                "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                                "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                                "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                                "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                                "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  MerkleTree t = TreeOf(8);
  for (size_t n = 1; n <= 8; ++n) {
    EXPECT_EQ(HashHex(*t.RootAt(n)), kRoots[n - 1]) << "size " << n;
    EXPECT_EQ(HashHex(TreeOf(n).Root()), kRoots[n - 1]) << "size " << n;
  }
  EXPECT_EQ(HashHex(*t.RootAt(0)), HashHex(MerkleEmptyRoot()));
}

struct InclusionVector {
  uint64_t size, index;
  std::vector<std::string> proof;
};

TEST(MerkleTest, InclusionProofsOfTheReferenceTree) {
  const std::vector<InclusionVector> vectors = {
      {1, 0, {}},
      {2, 0, Proof({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"})},
      {2, 1, Proof({"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"})},
      {3, 2, Proof({"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"})},
      {5, 1,
       Proof({"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
      {8, 0,
       Proof({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {8, 5,
       Proof({"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
  };
  MerkleTree t = TreeOf(8);
  for (const InclusionVector& v : vectors) {
    absl::StatusOr<std::vector<std::string>> proof = t.InclusionProof(v.index, v.size);
    ASSERT_THAT(proof.status(), IsOk());
    EXPECT_EQ(*proof, v.proof) << "leaf " << v.index << " of " << v.size;
    EXPECT_THAT(VerifyInclusion(v.index, v.size, t.leaf(v.index), v.proof, *t.RootAt(v.size)),
                IsOk());
  }
}

struct ConsistencyVector {
  uint64_t first, second;
  std::vector<std::string> proof;
};

TEST(MerkleTest, ConsistencyProofsOfTheReferenceTree) {
  const std::vector<ConsistencyVector> vectors = {
      {1, 1, {}},
      {1, 8,
       Proof({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
              "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {2, 5,
       Proof({"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
              "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
      {6, 8,
       Proof({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
              "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
              "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
  };
  MerkleTree t = TreeOf(8);
  for (const ConsistencyVector& v : vectors) {
    absl::StatusOr<std::vector<std::string>> proof = t.ConsistencyProof(v.first, v.second);
    ASSERT_THAT(proof.status(), IsOk());
    EXPECT_EQ(*proof, v.proof) << v.first << " -> " << v.second;
    EXPECT_THAT(
        VerifyConsistency(v.first, v.second, *t.RootAt(v.first), *t.RootAt(v.second), v.proof),
        IsOk());
  }
}

// MTH as RFC 6962 defines it, recursively over the leaf hashes.
std::string ReferenceRoot(const std::vector<std::string>& leaves, size_t begin, size_t end) {
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return MerkleNodeHash(ReferenceRoot(leaves, begin, begin + k),
                        ReferenceRoot(leaves, begin + k, end));
}

TEST(MerkleTest, EveryProofOfLargerTreesVerifiesAndAnyChangeBreaksIt) {
  constexpr size_t kMax = 37;
  MerkleTree t;
  std::vector<std::string> leaves;
  for (size_t i = 0; i < kMax; ++i) {
    leaves.push_back(MerkleLeafHash("entry " + std::to_string(i)));
    t.Append(leaves.back());
  }
  for (size_t n = 1; n <= kMax; ++n) {
    const std::string root = *t.RootAt(n);
    ASSERT_EQ(root, ReferenceRoot(leaves, 0, n)) << n;
    for (size_t i = 0; i < n; ++i) {
      std::vector<std::string> proof = *t.InclusionProof(i, n);
      ASSERT_THAT(VerifyInclusion(i, n, leaves[i], proof, root), IsOk()) << i << " of " << n;
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(i, n, leaves[(i + 1) % n], proof, root).ok());
        std::vector<std::string> bad = proof;
        bad.back()[0] ^= 1;
        EXPECT_FALSE(VerifyInclusion(i, n, leaves[i], bad, root).ok());
        bad = proof;
        bad.pop_back();
        EXPECT_FALSE(VerifyInclusion(i, n, leaves[i], bad, root).ok());
      }
    }
    for (size_t m = 1; m <= n; ++m) {
      std::vector<std::string> proof = *t.ConsistencyProof(m, n);
      ASSERT_THAT(VerifyConsistency(m, n, *t.RootAt(m), root, proof), IsOk()) << m << "->" << n;
      if (m < n) {
        std::string other_first = *t.RootAt(m);
        other_first[5] ^= 0x40;
        EXPECT_FALSE(VerifyConsistency(m, n, other_first, root, proof).ok()) << m << "->" << n;
        std::string other_second = root;
        other_second[0] ^= 1;
        EXPECT_FALSE(VerifyConsistency(m, n, *t.RootAt(m), other_second, proof).ok());
        std::vector<std::string> bad = proof;
        bad[0][3] ^= 8;
        EXPECT_FALSE(VerifyConsistency(m, n, *t.RootAt(m), root, bad).ok());
      }
    }
  }
}

TEST(MerkleTest, ALogThatShrankOrWasRewrittenIsNotConsistent) {
  MerkleTree t = TreeOf(8);
  EXPECT_THAT(VerifyConsistency(8, 6, *t.RootAt(8), *t.RootAt(6), {}).message(),
              HasSubstr("shrank"));
  // The same first five entries with the sixth replaced: no proof links the two.
  MerkleTree other = TreeOf(5);
  other.Append(MerkleLeafHash("rewritten"));
  other.Append(MerkleLeafHash(Bytes(kLeaves[6])));
  other.Append(MerkleLeafHash(Bytes(kLeaves[7])));
  EXPECT_FALSE(
      VerifyConsistency(6, 8, *t.RootAt(6), other.Root(), *other.ConsistencyProof(6, 8)).ok());
  EXPECT_TRUE(
      VerifyConsistency(5, 8, *t.RootAt(5), other.Root(), *other.ConsistencyProof(5, 8)).ok());
  EXPECT_FALSE(HashFromHex("zz").ok());
}

}  // namespace
}  // namespace pprl
