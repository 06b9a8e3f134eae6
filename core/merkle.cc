#include "core/merkle.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <bit>

#include "core/text.h"

namespace pprl {
namespace {

std::string Sha256Of(std::string_view prefix, std::string_view a, std::string_view b) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, prefix.data(), prefix.size());
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  EVP_DigestFinal_ex(ctx, digest, nullptr);
  EVP_MD_CTX_free(ctx);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

// The largest power of two smaller than n (n > 1).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

std::string MerkleLeafHash(std::string_view entry) {
  return Sha256Of(std::string_view("\x00", 1), entry, {});
}

std::string MerkleNodeHash(std::string_view left, std::string_view right) {
  return Sha256Of("\x01", left, right);
}

std::string MerkleEmptyRoot() { return Sha256Of({}, {}, {}); }

std::string HashHex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

absl::StatusOr<std::string> HashFromHex(std::string_view hex) {
  if (hex.size() != 2 * kMerkleHashSize) {
    return absl::InvalidArgumentError(
        Cat("a hash must have 64 hex digits, not ", hex.size(), " characters"));
  }
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(kMerkleHashSize, '\0');
  for (size_t i = 0; i < kMerkleHashSize; ++i) {
    int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("a hash holds a non-hex character");
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

void MerkleTree::Append(std::string leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(std::move(leaf_hash));
  for (size_t k = 0; levels_[k].size() % 2 == 0; ++k) {
    if (levels_.size() == k + 1) levels_.emplace_back();
    const std::vector<std::string>& level = levels_[k];
    levels_[k + 1].push_back(MerkleNodeHash(level[level.size() - 2], level.back()));
  }
}

void MerkleTree::PopBack() {
  if (size() == 0) return;
  levels_[0].pop_back();
  for (size_t k = 1; k < levels_.size(); ++k) levels_[k].resize(levels_[0].size() >> k);
}

std::string MerkleTree::Subtree(uint64_t begin, uint64_t end) const {
  const uint64_t n = end - begin;
  if (IsPowerOfTwo(n) && begin % n == 0) {
    const int k = std::countr_zero(n);
    return levels_[k][begin >> k];
  }
  const uint64_t k = SplitPoint(n);
  return MerkleNodeHash(Subtree(begin, begin + k), Subtree(begin + k, end));
}

absl::StatusOr<std::string> MerkleTree::RootAt(uint64_t n) const {
  if (n > size()) {
    return absl::OutOfRangeError(Cat("the log has ", size(), " entries, not ", n));
  }
  if (n == 0) return MerkleEmptyRoot();
  return Subtree(0, n);
}

std::string MerkleTree::Root() const { return *RootAt(size()); }

void MerkleTree::Path(uint64_t index, uint64_t begin, uint64_t end,
                      std::vector<std::string>* out) const {
  const uint64_t n = end - begin;
  if (n <= 1) return;
  const uint64_t k = SplitPoint(n);
  if (index < k) {
    Path(index, begin, begin + k, out);
    out->push_back(Subtree(begin + k, end));
  } else {
    Path(index - k, begin + k, end, out);
    out->push_back(Subtree(begin, begin + k));
  }
}

absl::StatusOr<std::vector<std::string>> MerkleTree::InclusionProof(uint64_t index,
                                                                    uint64_t n) const {
  if (n > size()) return absl::OutOfRangeError(Cat("the log has ", size(), " entries, not ", n));
  if (index >= n) {
    return absl::OutOfRangeError(Cat("leaf ", index, " is not in a tree of ", n, " leaves"));
  }
  std::vector<std::string> out;
  Path(index, 0, n, &out);
  return out;
}

void MerkleTree::SubProof(uint64_t m, uint64_t begin, uint64_t end, bool whole,
                          std::vector<std::string>* out) const {
  const uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out->push_back(Subtree(begin, end));
    return;
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(m, begin, begin + k, whole, out);
    out->push_back(Subtree(begin + k, end));
  } else {
    SubProof(m - k, begin + k, end, false, out);
    out->push_back(Subtree(begin, begin + k));
  }
}

absl::StatusOr<std::vector<std::string>> MerkleTree::ConsistencyProof(uint64_t first,
                                                                      uint64_t second) const {
  if (second > size()) {
    return absl::OutOfRangeError(Cat("the log has ", size(), " entries, not ", second));
  }
  if (first > second) {
    return absl::InvalidArgumentError(
        Cat("a tree of ", first, " leaves cannot be a prefix of one of ", second));
  }
  std::vector<std::string> out;
  if (first == 0 || first == second) return out;
  SubProof(first, 0, second, true, &out);
  return out;
}

absl::Status VerifyInclusion(uint64_t index, uint64_t size, std::string_view leaf_hash,
                             const std::vector<std::string>& proof, std::string_view root) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        Cat("leaf ", index, " cannot be in a tree of ", size, " leaves"));
  }
  uint64_t fn = index, sn = size - 1;
  std::string r(leaf_hash);
  for (const std::string& p : proof) {
    if (sn == 0) return absl::DataLossError("the inclusion proof is longer than the tree is deep");
    if ((fn & 1) || fn == sn) {
      r = MerkleNodeHash(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = MerkleNodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::DataLossError("the inclusion proof is shorter than the tree is deep");
  if (r != root) {
    return absl::DataLossError(Cat("the inclusion proof of leaf ", index,
                                   " does not lead to the root of the tree of ", size, " leaves"));
  }
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t first, uint64_t second, std::string_view first_root,
                               std::string_view second_root,
                               const std::vector<std::string>& proof) {
  if (first > second) {
    return absl::DataLossError(
        Cat("the log shrank: a tree of ", first, " leaves cannot be a prefix of one of ", second));
  }
  if (first == 0) {
    if (!proof.empty()) return absl::DataLossError("a proof from the empty tree must be empty");
    return absl::OkStatus();
  }
  if (first == second) {
    if (!proof.empty()) return absl::DataLossError("a proof between equal sizes must be empty");
    if (first_root != second_root) {
      return absl::DataLossError(Cat("two different roots for the same size ", first));
    }
    return absl::OkStatus();
  }
  if (proof.empty()) return absl::DataLossError("the consistency proof is empty");
  std::vector<std::string> path;
  if (IsPowerOfTwo(first)) path.emplace_back(first_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = first - 1, sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const std::string& c = path[i];
    if (sn == 0) return absl::DataLossError("the consistency proof is too long");
    if ((fn & 1) || fn == sn) {
      fr = MerkleNodeHash(c, fr);
      sr = MerkleNodeHash(c, sr);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = MerkleNodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::DataLossError("the consistency proof is too short");
  if (fr != first_root) {
    return absl::DataLossError(Cat("the consistency proof does not lead to the root of the first ",
                                   first, " entries: they were changed"));
  }
  if (sr != second_root) {
    return absl::DataLossError(
        Cat("the consistency proof does not lead to the root of the tree of ", second,
            " entries: the tree does not extend the one of ", first));
  }
  return absl::OkStatus();
}

}  // namespace pprl
