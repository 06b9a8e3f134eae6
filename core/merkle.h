// The audit log's Merkle tree (RFC 6962 section 2.1, RFC 9162 section 2.1): leaf hash
// SHA-256(0x00 || entry), node hash SHA-256(0x01 || left || right), inclusion proofs for entries
// and consistency proofs between tree sizes, and their verification.
//
// Hashes are 32 raw bytes in std::string; HashHex/HashFromHex convert at the edges. Leaf indices
// are 0-based as in the RFCs (the audit log's entry N is leaf N-1). Pure; MerkleTree is not
// thread-safe (its owner locks).
#ifndef PPRL_CORE_MERKLE_H_
#define PPRL_CORE_MERKLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pprl {

inline constexpr size_t kMerkleHashSize = 32;

std::string MerkleLeafHash(std::string_view entry);
std::string MerkleNodeHash(std::string_view left, std::string_view right);
// SHA-256 of nothing: the root of the empty tree.
std::string MerkleEmptyRoot();

std::string HashHex(std::string_view raw);
// 64 hex digits to 32 bytes; InvalidArgument otherwise.
[[nodiscard]] absl::StatusOr<std::string> HashFromHex(std::string_view hex);

// The leaf hashes of a log and every complete subtree above them, so that roots and proofs for
// any size up to the current one cost O(log n) node lookups.
class MerkleTree {
 public:
  void Append(std::string leaf_hash);
  // Removes the last leaf (an append whose write failed).
  void PopBack();
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  const std::string& leaf(uint64_t index) const { return levels_[0][index]; }

  // MTH of the first `size` leaves (size <= this->size()).
  [[nodiscard]] absl::StatusOr<std::string> RootAt(uint64_t size) const;
  std::string Root() const;
  // PATH(index, D[0:size]) of RFC 6962 2.1.1.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> InclusionProof(uint64_t index,
                                                                        uint64_t size) const;
  // PROOF(first, D[0:second]) of RFC 6962 2.1.2; empty when first is 0 or equals second.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ConsistencyProof(uint64_t first,
                                                                          uint64_t second) const;

 private:
  std::string Subtree(uint64_t begin, uint64_t end) const;  // MTH(D[begin:end]), begin < end
  void Path(uint64_t index, uint64_t begin, uint64_t end, std::vector<std::string>* out) const;
  void SubProof(uint64_t m, uint64_t begin, uint64_t end, bool whole,
                std::vector<std::string>* out) const;

  // levels_[k][i]: the hash of leaves [i * 2^k, (i + 1) * 2^k), for complete subtrees only.
  std::vector<std::vector<std::string>> levels_;
};

// RFC 9162 2.1.3.2: OK when `proof` proves leaf `index` of a tree of `size` leaves with `root`.
[[nodiscard]] absl::Status VerifyInclusion(uint64_t index, uint64_t size,
                                           std::string_view leaf_hash,
                                           const std::vector<std::string>& proof,
                                           std::string_view root);

// RFC 9162 2.1.4.2: OK when `proof` proves that the tree of `first` leaves with `first_root` is
// a prefix of the tree of `second` leaves with `second_root`. A tree of 0 leaves is a prefix of
// every tree (no proof); equal sizes need equal roots and an empty proof.
[[nodiscard]] absl::Status VerifyConsistency(uint64_t first, uint64_t second,
                                             std::string_view first_root,
                                             std::string_view second_root,
                                             const std::vector<std::string>& proof);

}  // namespace pprl

#endif  // PPRL_CORE_MERKLE_H_
