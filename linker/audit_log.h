// The linker's audit log (SPEC 7a, issue 15): an append-only Merkle tree (RFC 6962, see
// core/merkle.h) of canonical JSON entries, with a tree head signed by the operator's Ed25519
// key (core/audit_signing.h) after every append, written with the entry in one durable batch.
//
// The linker never decides "intact" for an auditor: it serves entries in pages, the signed head,
// and inclusion and consistency proofs, and `pprl audit verify` checks them against the
// auditor's own checkpoint. What the log does check, when it opens, is whether it may go on
// appending: entries without a head, a head another key signed or whose signature fails, gaps
// and entries that do not hash to the signed root all make it refuse every append (and the
// linker every write that would need one) while still serving what is stored, so that an
// auditor can see the damage. It never re-signs what it found.
//
// Migration: a store with the chain-based log of earlier versions (core/audit_chain.h) and no
// tree is carried over once, when it opens: entry 1 of the tree records the old head, entries
// 2.. hold the old entries verbatim (old sequence, hash and body). A damaged old chain is not
// carried over: the open fails and names the bad entry.
//
// Entry N (1-based, "seq" in its body) is leaf N-1 of the tree. Thread-safe.
//
// Every entry body carries a fresh 128-bit random "nonce" (red team 8, F4): report.json publishes
// a release's inclusion proof, whose elements are leaf hashes SHA-256(0x00 || body) of
// neighbouring entries (or hashes over them). Without the nonce those bodies are low-entropy
// (action, actor, seq, a time in ms, small counts) and an analyst recovers them by brute force;
// with it, no leaf hash of an entry the analyst has not been shown can be guessed. Append hands
// the nonce to the body's writer and refuses a body that does not carry it.
#ifndef PPRL_LINKER_AUDIT_LOG_H_
#define PPRL_LINKER_AUDIT_LOG_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/audit_signing.h"
#include "core/merkle.h"
#include "linker/record_store.h"

namespace pprl {

// The store's meta key of the signed tree head (JSON, core/audit_signing.h).
inline constexpr char kAuditTreeHeadMeta[] = "audit_tree_head";

struct AuditAppended {
  uint64_t sequence = 0;
  std::string body;                          // the entry as written
  TreeHead head;                             // signed, just after this entry
  std::vector<std::string> inclusion_proof;  // of this entry in `head` (raw hashes)
};

class AuditLog {
 public:
  // Pages hold at most this many entries and about this many bytes.
  static constexpr uint64_t kMaxPageEntries = 1000;
  static constexpr uint64_t kMaxPageBytes = 1 << 20;

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      RecordStore* store, AuditSigningKey key, std::function<int64_t()> clock_ms);

  // Appends the entry `body_for(sequence, nonce)` and a new signed head. `nonce` is fresh (32
  // hex characters, NewAuditNonce) and must appear in the body (AuditBody puts it there); a body
  // without it is refused (Internal), as is any append when damaged.
  [[nodiscard]] absl::StatusOr<AuditAppended> Append(
      const std::function<std::string(uint64_t sequence, const std::string& nonce)>& body_for);

  // OK, or what was found wrong when the log opened (appends are refused then).
  absl::Status damage() const;
  // The signed head as stored (nullopt when there is none).
  std::optional<TreeHead> head() const;
  // Entries present in the store (differs from the head's size only when damaged).
  uint64_t stored_entries() const;
  const std::string& key_id() const { return key_.key_id(); }

  // Stored entries with sequence >= start, at most `limit` (capped at kMaxPageEntries) and about
  // kMaxPageBytes (always at least one when any is left).
  [[nodiscard]] absl::StatusOr<std::vector<AuditLogEntry>> Page(uint64_t start, uint64_t limit);
  // Over the tree of the stored entries (raw hashes).
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> InclusionProof(uint64_t leaf_index,
                                                                        uint64_t tree_size) const;
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ConsistencyProof(uint64_t first,
                                                                          uint64_t second) const;

 private:
  AuditLog(RecordStore* store, AuditSigningKey key, std::function<int64_t()> clock_ms)
      : store_(store), key_(std::move(key)), clock_(std::move(clock_ms)) {}
  [[nodiscard]] absl::Status Load();
  [[nodiscard]] absl::Status Migrate(const LegacyAuditChain& legacy);

  RecordStore* store_;
  AuditSigningKey key_;
  std::function<int64_t()> clock_;
  mutable std::mutex mu_;
  MerkleTree tree_;  // of the stored entries, in key order
  std::optional<TreeHead> head_;
  absl::Status damage_;
};

// A fresh random nonce for an audit entry: 16 bytes from OpenSSL's RAND_bytes, as 32 lowercase
// hex characters.
[[nodiscard]] absl::StatusOr<std::string> NewAuditNonce();

// The canonical body of an audit entry: who, when, what, outcome and details (ids, counts and
// digests only), with "seq" its place in the log and "nonce" (NewAuditNonce) so that its leaf
// hash cannot be found by guessing the rest.
std::string AuditBody(uint64_t seq, int64_t unix_ms, const std::string& nonce,
                      const std::string& actor, const std::string& role, const std::string& action,
                      const std::string& outcome, const nlohmann::json& detail);

}  // namespace pprl

#endif  // PPRL_LINKER_AUDIT_LOG_H_
