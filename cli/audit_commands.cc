// pprl audit show | verify | keygen | check-report: the auditor's side of the signed Merkle
// audit log (issue 15). The linker serves entries, the signed head and proofs; everything is
// checked here, against the log's public key and the auditor's own checkpoint.
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/linker_commands.h"
#include "core/audit_signing.h"
#include "core/hmac_key.h"
#include "core/merkle.h"
#include "core/text.h"
#include "proto/linker.grpc.pb.h"

namespace pprl {
namespace {

TreeHead FromWire(const v1::SignedTreeHead& h) {
  TreeHead out;
  out.tree_size = h.tree_size();
  out.root_hash = h.root_hash();
  out.timestamp_ms = h.timestamp_ms();
  out.key_id = h.key_id();
  out.signature = h.signature();
  return out;
}

absl::StatusOr<std::vector<std::string>> Unhex(
    const google::protobuf::RepeatedPtrField<std::string>& hashes) {
  std::vector<std::string> out;
  for (const std::string& h : hashes) {
    absl::StatusOr<std::string> raw = HashFromHex(h);
    if (!raw.ok())
      return absl::DataLossError(Cat("the linker sent a bad proof: ", raw.status().message()));
    out.push_back(std::move(*raw));
  }
  return out;
}

// Every entry the linker serves, page by page.
absl::StatusOr<std::vector<v1::AuditEntry>> FetchAll(v1::Linker::Stub& stub,
                                                     const LinkerClientOptions& o) {
  std::vector<v1::AuditEntry> out;
  uint64_t start = 1;
  while (start != 0) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, o.deadline_seconds);
    v1::AuditEntriesRequest req;
    req.set_start(start);
    req.set_limit(1000);
    v1::AuditEntriesResponse page;
    absl::Status s = LinkerCallStatus(stub.GetAuditEntries(&ctx, req, &page), o);
    if (!s.ok()) return s;
    if (page.entries_size() == 0) break;
    for (v1::AuditEntry& e : *page.mutable_entries()) out.push_back(std::move(e));
    if (page.next_start() <= start) break;
    start = page.next_start();
  }
  return out;
}

// A point of the log the auditor trusts: from the checkpoint file or --expect.
struct Reference {
  std::string label;
  uint64_t size = 0;
  std::string root;                 // raw
  std::vector<std::string> leaves;  // raw leaf hashes 0..size-1 (checkpoint files only)
};

constexpr char kCheckpointFormat[] = "pprl audit checkpoint v1";

absl::StatusOr<std::optional<Reference>> LoadCheckpoint(const std::string& path,
                                                        const AuditPublicKey& key) {
  if (path.empty() || !std::filesystem::exists(path)) return std::optional<Reference>();
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kCheckpointFormat) {
    return absl::InvalidArgumentError(Cat(path, ": not a pprl audit checkpoint"));
  }
  absl::StatusOr<TreeHead> head = TreeHead::FromJson(j["tree_head"]);
  if (!head.ok()) return absl::InvalidArgumentError(Cat(path, ": ", head.status().message()));
  // The checkpoint holds what this auditor verified before; a head it holds must still verify.
  absl::Status signed_ok = key.Verify(*head);
  if (!signed_ok.ok()) {
    return absl::InvalidArgumentError(Cat(path, ": the checkpoint's head: ", signed_ok.message()));
  }
  Reference ref;
  ref.label = "checkpoint";
  ref.size = head->tree_size;
  ref.root = *HashFromHex(head->root_hash);
  if (j.contains("leaf_hashes") && j["leaf_hashes"].is_array()) {
    for (const nlohmann::json& h : j["leaf_hashes"]) {
      absl::StatusOr<std::string> raw = HashFromHex(h.is_string() ? h.get<std::string>() : "");
      if (!raw.ok()) return absl::InvalidArgumentError(Cat(path, ": a bad leaf hash"));
      ref.leaves.push_back(std::move(*raw));
    }
    if (ref.leaves.size() != ref.size) {
      return absl::InvalidArgumentError(
          Cat(path, ": ", ref.leaves.size(), " leaf hashes for a head of ", ref.size, " entries"));
    }
  }
  return std::optional<Reference>(std::move(ref));
}

absl::StatusOr<Reference> ParseExpect(const std::string& expect) {
  size_t colon = expect.find(':');
  Reference ref;
  ref.label = "--expect";
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError("--expect must be SIZE:ROOT (ROOT: 64 hex digits)");
  }
  for (char c : expect.substr(0, colon)) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError("--expect: SIZE is not a number");
  }
  ref.size = std::stoull(expect.substr(0, colon));
  absl::StatusOr<std::string> root = HashFromHex(expect.substr(colon + 1));
  if (!root.ok())
    return absl::InvalidArgumentError(Cat("--expect: ROOT: ", root.status().message()));
  ref.root = *root;
  return ref;
}

absl::Status WriteCheckpoint(const std::string& path, const std::string& linker,
                             const TreeHead& head, const MerkleTree& tree) {
  nlohmann::json j = {{"format", kCheckpointFormat},
                      {"linker", linker},
                      {"tree_head", head.ToJson()},
                      {"leaf_hashes", nlohmann::json::array()}};
  for (uint64_t i = 0; i < tree.size(); ++i) j["leaf_hashes"].push_back(HashHex(tree.leaf(i)));
  const std::string tmp = path + ".partial";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << j.dump(1) << "\n";
    f.flush();
    if (!f) return absl::UnavailableError(Cat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(Cat("cannot write the checkpoint ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunAuditShow(const LinkerClientOptions& o, std::ostream& out) {
  absl::StatusOr<std::unique_ptr<v1::Linker::Stub>> stub = ConnectLinker(o);
  if (!stub.ok()) return stub.status();
  absl::StatusOr<std::vector<v1::AuditEntry>> entries = FetchAll(**stub, o);
  if (!entries.ok()) return entries.status();
  for (const v1::AuditEntry& e : *entries) out << e.sequence() << " " << e.body() << "\n";
  grpc::ClientContext ctx;
  SetDeadline(&ctx, o.deadline_seconds);
  v1::AuditTreeHeadResponse head;
  absl::Status s =
      LinkerCallStatus((*stub)->GetAuditTreeHead(&ctx, v1::AuditTreeHeadRequest(), &head), o);
  if (!s.ok()) return s;
  if (!head.has_head()) {
    out << "no signed tree head (" << head.stored_entries() << " entries stored)\n";
  } else {
    out << "signed tree head: " << head.head().tree_size() << " entries, root "
        << head.head().root_hash() << ", key " << head.head().key_id()
        << " (not checked here: pprl audit verify checks it)\n";
  }
  return absl::OkStatus();
}

absl::Status RunAuditVerify(const LinkerClientOptions& o, const AuditVerifyOptions& v,
                            std::ostream& out) {
  if (v.log_key.empty()) {
    return absl::InvalidArgumentError(
        "--log-key PUB.pem is required: the log's public key, from the linker's operator");
  }
  absl::StatusOr<AuditPublicKey> key = AuditPublicKey::Load(v.log_key);
  if (!key.ok()) return key.status();
  std::vector<Reference> refs;
  absl::StatusOr<std::optional<Reference>> checkpoint = LoadCheckpoint(v.checkpoint, *key);
  if (!checkpoint.ok()) return checkpoint.status();
  if (*checkpoint) refs.push_back(**checkpoint);
  if (!v.expect.empty()) {
    absl::StatusOr<Reference> expect = ParseExpect(v.expect);
    if (!expect.ok()) return expect.status();
    refs.push_back(*expect);
  }

  absl::StatusOr<std::unique_ptr<v1::Linker::Stub>> stub = ConnectLinker(o);
  if (!stub.ok()) return stub.status();
  v1::AuditTreeHeadResponse served_head;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, o.deadline_seconds);
    absl::Status s = LinkerCallStatus(
        (*stub)->GetAuditTreeHead(&ctx, v1::AuditTreeHeadRequest(), &served_head), o);
    if (!s.ok()) return s;
  }
  absl::StatusOr<std::vector<v1::AuditEntry>> entries = FetchAll(**stub, o);
  if (!entries.ok()) return entries.status();

  std::vector<std::string> problems;
  std::optional<TreeHead> head;
  if (!served_head.has_head()) {
    if (!entries->empty()) {
      problems.push_back(Cat("the linker serves ", entries->size(),
                             " audit entries but no signed tree head: the head was removed"));
    }
  } else {
    head = FromWire(served_head.head());
    absl::Status signed_ok = key->Verify(*head);
    if (!signed_ok.ok()) problems.push_back(std::string(signed_ok.message()));
  }

  // The served entries: in order, each naming its own place, hashed into a tree here.
  MerkleTree tree;
  bool gap_named = false, seq_named = false;
  for (const v1::AuditEntry& e : *entries) {
    const uint64_t expected = tree.size() + 1;
    if (e.sequence() != expected && !gap_named) {
      problems.push_back(Cat("audit entry ", expected, " is missing (the next entry served is ",
                             e.sequence(), ")"));
      gap_named = true;
    }
    nlohmann::json body = nlohmann::json::parse(e.body(), nullptr, false);
    const bool names_place = body.is_object() && body.contains("seq") &&
                             body["seq"].is_number_unsigned() &&
                             body["seq"].get<uint64_t>() == expected;
    if (!names_place && !seq_named && !gap_named) {
      problems.push_back(Cat("audit entry ", expected, " names another place in the log (",
                             body.is_object() && body.contains("seq") ? body["seq"].dump() : "none",
                             "): entries were moved or removed"));
      seq_named = true;
    }
    tree.Append(MerkleLeafHash(e.body()));
  }
  std::string head_root;
  if (head) {
    head_root = HashFromHex(head->root_hash).value_or("");
    if (tree.size() != head->tree_size) {
      problems.push_back(Cat("the signed tree head covers ", head->tree_size,
                             " entries but the linker serves ", tree.size()));
    } else if (tree.Root() != head_root) {
      problems.push_back(Cat("the ", tree.size(), " entries served do not hash to the signed root ",
                             head->root_hash));
    }
  }

  // The auditor's own references: the log may only have grown from them.
  const uint64_t n = head ? head->tree_size : 0;
  for (const Reference& ref : refs) {
    if (ref.size > n) {
      problems.push_back(Cat("the log shrank: your ", ref.label, " holds ", ref.size,
                             " entries, the linker's signed head ", n, ": entries ", n + 1, "..",
                             ref.size, " were removed"));
    } else if (head && ref.size > 0) {
      grpc::ClientContext ctx;
      SetDeadline(&ctx, o.deadline_seconds);
      v1::AuditConsistencyProofRequest req;
      req.set_first(ref.size);
      req.set_second(n);
      v1::AuditProof proof;
      absl::Status s = LinkerCallStatus((*stub)->GetAuditConsistencyProof(&ctx, req, &proof), o);
      absl::StatusOr<std::vector<std::string>> hashes =
          s.ok() ? Unhex(proof.hashes()) : absl::StatusOr<std::vector<std::string>>(s);
      absl::Status consistent = hashes.ok()
                                    ? VerifyConsistency(ref.size, n, ref.root, head_root, *hashes)
                                    : hashes.status();
      if (!consistent.ok()) {
        problems.push_back(Cat("the consistency proof from your ", ref.label, " (", ref.size,
                               " entries, root ", HashHex(ref.root), ") to the signed head (", n,
                               " entries) fails: ", consistent.message()));
      }
    }
    // Name the first entry that is not what the reference recorded.
    const uint64_t common = std::min<uint64_t>(ref.size, tree.size());
    bool named = false;
    for (uint64_t i = 0; i < common && i < ref.leaves.size(); ++i) {
      if (tree.leaf(i) != ref.leaves[i]) {
        problems.push_back(Cat("first bad entry: audit entry ", i + 1, " is not the entry your ",
                               ref.label, " recorded (changed, removed or moved)"));
        named = true;
        break;
      }
    }
    if (!named && tree.size() < ref.size) {
      problems.push_back(Cat("audit entries ", tree.size() + 1, "..", ref.size, " of your ",
                             ref.label, " are not served"));
    } else if (!named && common > 0 && ref.size <= tree.size() &&
               *tree.RootAt(ref.size) != ref.root) {
      problems.push_back(Cat("the first ", ref.size, " entries served do not hash to your ",
                             ref.label, "'s root"));
    }
  }

  // The linker's inclusion proofs, checked for the first and last entries and the reference's
  // last one, against the signed root.
  if (problems.empty() && head && n > 0) {
    std::vector<uint64_t> leaves = {0, n - 1};
    for (const Reference& ref : refs) {
      if (ref.size > 0) leaves.push_back(ref.size - 1);
    }
    for (uint64_t leaf : leaves) {
      grpc::ClientContext ctx;
      SetDeadline(&ctx, o.deadline_seconds);
      v1::AuditInclusionProofRequest req;
      req.set_leaf_index(leaf);
      req.set_tree_size(n);
      v1::AuditProof proof;
      absl::Status s = LinkerCallStatus((*stub)->GetAuditInclusionProof(&ctx, req, &proof), o);
      absl::StatusOr<std::vector<std::string>> hashes =
          s.ok() ? Unhex(proof.hashes()) : absl::StatusOr<std::vector<std::string>>(s);
      absl::Status included = hashes.ok()
                                  ? VerifyInclusion(leaf, n, tree.leaf(leaf), *hashes, head_root)
                                  : hashes.status();
      if (!included.ok()) {
        problems.push_back(Cat("the linker's inclusion proof of audit entry ", leaf + 1,
                               " fails: ", included.message()));
        break;
      }
    }
  }

  if (!problems.empty()) {
    std::string text = "audit log NOT verified:";
    for (const std::string& p : problems) Append(&text, "\n  - ", p);
    return absl::DataLossError(text);
  }
  if (!head) {
    out << "audit log empty: no entries and no signed tree head yet\n";
    return absl::OkStatus();
  }
  out << "audit log verified: " << n << " entries, signed tree head root " << head->root_hash
      << " (key " << head->key_id << ")\n";
  for (const Reference& ref : refs) {
    out << "  consistent with your " << ref.label << " of " << ref.size << " entries\n";
  }
  if (refs.empty()) {
    out << "  no checkpoint: nothing shows whether entries were removed before today "
           "(keep one with --checkpoint FILE)\n";
  }
  if (!v.checkpoint.empty()) {
    absl::Status s = WriteCheckpoint(v.checkpoint, o.linker, *head, tree);
    if (!s.ok()) return s;
    out << "  checkpoint " << v.checkpoint << " now at " << n << " entries\n";
  }
  return absl::OkStatus();
}

absl::Status RunAuditCheckReport(const std::string& report_path, const std::string& log_key,
                                 std::ostream& out) {
  if (log_key.empty()) return absl::InvalidArgumentError("--log-key PUB.pem is required");
  absl::StatusOr<AuditPublicKey> key = AuditPublicKey::Load(log_key);
  if (!key.ok()) return key.status();
  std::ifstream in(report_path);
  if (!in) return absl::NotFoundError(Cat(report_path, ": cannot read the report"));
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json report = nlohmann::json::parse(ss.str(), nullptr, false);
  if (report.is_discarded() || !report.is_object()) {
    return absl::InvalidArgumentError(Cat(report_path, ": not a JSON report"));
  }
  if (!report.contains("audit") || !report["audit"].is_object()) {
    return absl::InvalidArgumentError(
        Cat(report_path, ": the report carries no \"audit\" member (released before issue 15?)"));
  }
  const nlohmann::json audit = report["audit"];
  absl::StatusOr<TreeHead> head = TreeHead::FromJson(audit.value("tree_head", nlohmann::json()));
  if (!head.ok())
    return absl::InvalidArgumentError(Cat(report_path, ": audit: ", head.status().message()));
  absl::Status signed_ok = key->Verify(*head);
  if (!signed_ok.ok()) return absl::DataLossError(Cat(report_path, ": ", signed_ok.message()));
  if (!audit.contains("entry") || !audit["entry"].is_string() ||
      !audit.contains("entry_sequence") || !audit["entry_sequence"].is_number_unsigned()) {
    return absl::InvalidArgumentError(Cat(report_path, ": audit: no entry or entry_sequence"));
  }
  const std::string entry = audit["entry"].get<std::string>();
  const uint64_t seq = audit["entry_sequence"].get<uint64_t>();
  std::vector<std::string> proof;
  for (const nlohmann::json& h : audit.value("inclusion_proof", nlohmann::json::array())) {
    absl::StatusOr<std::string> raw = HashFromHex(h.is_string() ? h.get<std::string>() : "");
    if (!raw.ok()) return absl::InvalidArgumentError(Cat(report_path, ": audit: a bad proof hash"));
    proof.push_back(*raw);
  }
  if (seq == 0) return absl::InvalidArgumentError(Cat(report_path, ": audit: entry_sequence 0"));
  absl::Status included = VerifyInclusion(seq - 1, head->tree_size, MerkleLeafHash(entry), proof,
                                          HashFromHex(head->root_hash).value_or(""));
  if (!included.ok()) {
    return absl::DataLossError(Cat(report_path, ": audit entry ", seq,
                                   " is not in the signed tree head: ", included.message()));
  }
  nlohmann::json body = nlohmann::json::parse(entry, nullptr, false);
  nlohmann::json content = report;
  content.erase("audit");
  const std::string digest = Sha256Hex(content.dump());
  const std::string logged =
      body.is_object() && body.contains("detail") && body["detail"].is_object()
          ? body["detail"].value("report_sha256", "")
          : "";
  if (!body.is_object() || body.value("action", "") != "report_released" ||
      body.value("seq", uint64_t{0}) != seq) {
    return absl::DataLossError(
        Cat(report_path, ": audit entry ", seq, " does not record a release at that place"));
  }
  if (logged != digest) {
    return absl::DataLossError(Cat(report_path,
                                   ": the report was changed after its release: its "
                                   "digest is ",
                                   digest, ", the audit entry records ", logged));
  }
  out << report_path << " is audit entry " << seq << " of the signed log (tree head of size "
      << head->tree_size << ", root " << head->root_hash << ", key " << head->key_id
      << "): its figures are the ones released.\n"
      << "An auditor checks that the log still holds it with: pprl audit verify --expect "
      << head->tree_size << ":" << head->root_hash << "\n";
  return absl::OkStatus();
}

absl::Status RunAuditKeygen(const std::string& out_path, const std::string& public_path,
                            std::ostream& out) {
  absl::StatusOr<AuditSigningKey> key = AuditSigningKey::Generate();
  if (!key.ok()) return key.status();
  std::string pub = public_path.empty() ? out_path + ".pub.pem" : public_path;
  absl::Status s = key->Write(out_path, pub);
  if (!s.ok()) return s;
  out << "wrote the audit signing key " << out_path << " (mode 0600; for the linker's [audit] "
      << "signing_key) and its public key " << pub << " (for auditors: --log-key), key id "
      << key->key_id() << "\n";
  return absl::OkStatus();
}

}  // namespace pprl
