#include "linker/audit_log.h"

#include <openssl/rand.h>

#include <ctime>

#include "core/audit_chain.h"
#include "core/hmac_key.h"
#include "core/text.h"

namespace pprl {
namespace {

std::string Iso8601(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

// The "seq" an entry's body names, or 0.
uint64_t SeqOf(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) {
    return j["seq"].get<uint64_t>();
  }
  return 0;
}

constexpr uint64_t kLoadChunk = 4096;

}  // namespace

absl::StatusOr<std::string> NewAuditNonce() {
  uint8_t bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return absl::InternalError("no random bytes for an audit entry's nonce (OpenSSL RAND_bytes)");
  }
  return ToHex(bytes);
}

std::string AuditBody(uint64_t seq, int64_t unix_ms, const std::string& nonce,
                      const std::string& actor, const std::string& role, const std::string& action,
                      const std::string& outcome, const nlohmann::json& detail) {
  nlohmann::json body = {
      {"seq", seq},   {"time", Iso8601(unix_ms)}, {"nonce", nonce},     {"actor", actor},
      {"role", role}, {"action", action},         {"outcome", outcome}, {"detail", detail}};
  return body.dump();
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(RecordStore* store, AuditSigningKey key,
                                                         std::function<int64_t()> clock_ms) {
  std::unique_ptr<AuditLog> log(new AuditLog(store, std::move(key), std::move(clock_ms)));
  absl::Status s = log->Load();
  if (!s.ok()) return s;
  return log;
}

absl::Status AuditLog::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  tree_ = MerkleTree();
  head_.reset();
  damage_ = absl::OkStatus();
  std::string problem;  // the first thing found wrong
  auto found = [&](std::string what) {
    if (problem.empty()) problem = std::move(what);
  };
  uint64_t expected = 1;
  for (;;) {
    absl::StatusOr<std::vector<AuditLogEntry>> chunk =
        store_->ReadAuditEntries(expected, kLoadChunk, UINT64_MAX);
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) break;
    for (const AuditLogEntry& e : *chunk) {
      if (e.sequence != expected) {
        found(Cat("audit entry ", expected, " is missing (the next stored entry is ", e.sequence,
                  ")"));
      } else if (SeqOf(e.body) != e.sequence) {
        found(Cat("audit entry ", e.sequence, " names another place in the log (seq ",
                  SeqOf(e.body), "): entries were moved"));
      }
      tree_.Append(MerkleLeafHash(e.body));
      expected = e.sequence + 1;
    }
  }
  absl::StatusOr<std::optional<std::string>> stored_head = store_->GetMeta(kAuditTreeHeadMeta);
  if (!stored_head.ok()) return stored_head.status();
  if (!*stored_head) {
    if (tree_.size() > 0) {
      found(Cat("the store holds ", tree_.size(),
                " audit entries but no signed tree head: the head was removed"));
    } else {
      absl::StatusOr<LegacyAuditChain> legacy = store_->ReadLegacyAudit();
      if (!legacy.ok()) return legacy.status();
      if (!legacy->records.empty() || legacy->has_head) return Migrate(*legacy);
    }
  } else {
    nlohmann::json j = nlohmann::json::parse(**stored_head, nullptr, false);
    absl::StatusOr<TreeHead> head = TreeHead::FromJson(j);
    if (!head.ok()) {
      found(Cat("the stored tree head is damaged: ", head.status().message()));
    } else {
      head_ = *head;
      absl::Status signed_ok = key_.public_key().Verify(*head);
      if (!signed_ok.ok()) found(std::string(signed_ok.message()));
      if (head->tree_size != tree_.size()) {
        found(Cat("the signed tree head records ", head->tree_size,
                  " audit entries but the store "
                  "holds ",
                  tree_.size()));
      } else if (HashHex(tree_.Root()) != head->root_hash) {
        found("the stored audit entries do not hash to the signed root: entries were changed");
      }
    }
  }
  if (!problem.empty()) damage_ = absl::DataLossError(problem);
  return absl::OkStatus();
}

absl::Status AuditLog::Migrate(const LegacyAuditChain& legacy) {
  absl::Status chain =
      legacy.has_head ? VerifyAuditChain(legacy.records, legacy.head_count, legacy.head_hash)
                      : absl::DataLossError(Cat("the old audit log holds ", legacy.records.size(),
                                                " entries but no head"));
  if (!chain.ok()) {
    return absl::DataLossError(
        Cat("the store holds an audit log of the earlier hash-chain format that does not verify (",
            chain.message(),
            "); it is not carried over into the signed log: restore the store "
            "from a backup"));
  }
  const int64_t now = clock_();
  std::vector<AuditLogEntry> entries;
  absl::StatusOr<std::string> nonce = NewAuditNonce();
  if (!nonce.ok()) return nonce.status();
  entries.push_back(
      {1, AuditBody(1, now, *nonce, "pprl-linker", "linker", "audit_log_migrated", "carried over",
                    {{"from", "hash chain v1"},
                     {"old_entries", legacy.records.size()},
                     {"old_head_count", legacy.head_count},
                     {"old_head_hash", legacy.head_hash}})});
  for (const AuditRecord& r : legacy.records) {
    const uint64_t seq = entries.size() + 1;
    nonce = NewAuditNonce();
    if (!nonce.ok()) return nonce.status();
    entries.push_back(
        {seq, AuditBody(seq, now, *nonce, "pprl-linker", "linker", "legacy_entry", "carried over",
                        {{"old_seq", r.sequence}, {"old_hash", r.hash}, {"old_body", r.body}})});
  }
  MerkleTree tree;
  for (const AuditLogEntry& e : entries) tree.Append(MerkleLeafHash(e.body));
  TreeHead head;
  head.tree_size = tree.size();
  head.root_hash = HashHex(tree.Root());
  head.timestamp_ms = now;
  absl::Status s = key_.Sign(&head);
  if (!s.ok()) return s;
  s = store_->WriteAuditEntries(entries, kAuditTreeHeadMeta, head.ToJson().dump(),
                                /*drop_legacy=*/true);
  if (!s.ok()) return s;
  tree_ = std::move(tree);
  head_ = head;
  return absl::OkStatus();
}

absl::StatusOr<AuditAppended> AuditLog::Append(
    const std::function<std::string(uint64_t, const std::string&)>& body_for) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!damage_.ok()) {
    return absl::FailedPreconditionError(
        Cat("the audit log is damaged (", damage_.message(),
            "); nothing is appended, and nothing that needs an audit entry is done, until the "
            "operator restores the store"));
  }
  absl::StatusOr<std::string> nonce = NewAuditNonce();
  if (!nonce.ok()) return nonce.status();
  AuditAppended out;
  out.sequence = tree_.size() + 1;
  out.body = body_for(out.sequence, *nonce);
  const std::string& body = out.body;
  if (body.find(Cat("\"", *nonce, "\"")) == std::string::npos) {
    return absl::InternalError(
        "an audit entry without its nonce: its leaf hash, published in inclusion proofs, could "
        "be guessed");
  }
  tree_.Append(MerkleLeafHash(body));
  out.head.tree_size = tree_.size();
  out.head.root_hash = HashHex(tree_.Root());
  out.head.timestamp_ms = clock_();
  absl::Status s = key_.Sign(&out.head);
  if (s.ok()) {
    s = store_->WriteAuditEntries({{out.sequence, body}}, kAuditTreeHeadMeta,
                                  out.head.ToJson().dump(), /*drop_legacy=*/false);
  }
  if (!s.ok()) {
    tree_.PopBack();
    return s;
  }
  head_ = out.head;
  absl::StatusOr<std::vector<std::string>> proof =
      tree_.InclusionProof(out.sequence - 1, tree_.size());
  if (proof.ok()) out.inclusion_proof = std::move(*proof);
  return out;
}

absl::Status AuditLog::damage() const {
  std::lock_guard<std::mutex> lock(mu_);
  return damage_;
}

std::optional<TreeHead> AuditLog::head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_;
}

uint64_t AuditLog::stored_entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tree_.size();
}

absl::StatusOr<std::vector<AuditLogEntry>> AuditLog::Page(uint64_t start, uint64_t limit) {
  if (limit == 0 || limit > kMaxPageEntries) limit = kMaxPageEntries;
  return store_->ReadAuditEntries(std::max<uint64_t>(start, 1), limit, kMaxPageBytes);
}

absl::StatusOr<std::vector<std::string>> AuditLog::InclusionProof(uint64_t leaf_index,
                                                                  uint64_t tree_size) const {
  std::lock_guard<std::mutex> lock(mu_);
  return tree_.InclusionProof(leaf_index, tree_size);
}

absl::StatusOr<std::vector<std::string>> AuditLog::ConsistencyProof(uint64_t first,
                                                                    uint64_t second) const {
  std::lock_guard<std::mutex> lock(mu_);
  return tree_.ConsistencyProof(first, second);
}

}  // namespace pprl
