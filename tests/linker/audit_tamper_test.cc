// Issue 15's tamper test: a real pprl-linker over real mutual TLS on a real RocksDB store; an
// intruder edits a copy of the store offline (truncation, head removal, deleting chosen entries
// and rehashing, reordering, a replaced signing key); the auditor's `pprl audit verify` (the
// real command line, a separate process) must find each against its own checkpoint and name the
// first bad entry or the broken proof. Also: the linker refuses to append to a log it found
// damaged, so a removed head never lets entry 1 be overwritten.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/wait.h>

#include <filesystem>
#include <functional>
#include <map>

#include "core/audit_signing.h"
#include "core/merkle.h"
#include "proto/linker.grpc.pb.h"
#include "service/child_process.h"
#include "service/rpc_util.h"
#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::ReadFile;
using ::pprl::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Key(uint64_t seq) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, seq >>= 8) k[i] = static_cast<char>(seq & 0xff);
  return k;
}

// The store as an intruder with disk access sees it: entries and the head, edited offline.
class StoreEditor {
 public:
  explicit StoreEditor(const std::string& dir) {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n : {"default", "extracts", "records", "meta", "audit", "audit_tree"})
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* db = nullptr;
    ok_ = rocksdb::DB::Open(rocksdb::DBOptions(), dir, cfs, &handles_, &db).ok();
    db_.reset(db);
  }
  ~StoreEditor() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  }
  bool ok() const { return ok_; }

  std::map<uint64_t, std::string> Entries() {
    std::map<uint64_t, std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_[5]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      uint64_t seq = 0;
      for (char c : it->key().ToString()) seq = (seq << 8) | static_cast<uint8_t>(c);
      out[seq] = it->value().ToString();
    }
    return out;
  }
  void SetEntries(const std::map<uint64_t, std::string>& entries) {
    for (const auto& [seq, body] : Entries()) {
      (void)body;
      ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), handles_[5], Key(seq)).ok());
    }
    for (const auto& [seq, body] : entries) {
      ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), handles_[5], Key(seq), body).ok());
    }
  }
  TreeHead Head() {
    std::string v;
    EXPECT_TRUE(db_->Get(rocksdb::ReadOptions(), handles_[3], "audit_tree_head", &v).ok());
    return *TreeHead::FromJson(nlohmann::json::parse(v));
  }
  void SetHead(const TreeHead& h) {
    ASSERT_TRUE(
        db_->Put(rocksdb::WriteOptions(), handles_[3], "audit_tree_head", h.ToJson().dump()).ok());
  }
  void DeleteHead() {
    ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), handles_[3], "audit_tree_head").ok());
  }

 private:
  bool ok_ = false;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

// The head an intruder computes for `entries`: size and root right; signed with `key` when
// given, else carrying the old head's signature (the intruder lacks the key).
TreeHead Rehash(const std::map<uint64_t, std::string>& entries, const TreeHead& old,
                const AuditSigningKey* key) {
  MerkleTree tree;
  for (const auto& [seq, body] : entries) tree.Append(MerkleLeafHash(body));
  TreeHead h = old;
  h.tree_size = tree.size();
  h.root_hash = HashHex(tree.Root());
  if (key != nullptr) EXPECT_THAT(key->Sign(&h), IsOk());
  return h;
}

std::string WithSeq(const std::string& body, uint64_t seq) {
  nlohmann::json j = nlohmann::json::parse(body);
  j["seq"] = seq;
  return j.dump();
}

class AuditTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::pprl::Shell(std::string(PPRL_SOURCE_DIR) + "/deploy/make-dev-certs.sh " +
                            dir_.File("certs") + " >/dev/null"),
              0);
    log_key_ = dir_.File("certs/audit-log.key");
  }

  void StartLinker(const std::string& db, const std::string& signing_key) {
    const std::string c = dir_.File("certs");
    linker_ = std::make_unique<DaemonProcess>(
        PPRL_LINKER_BIN,
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--data-dir", db, "--tls-ca",
                                 c + "/ca.pem", "--tls-cert", c + "/linker.pem", "--tls-key",
                                 c + "/linker.key", "--audit-signing-key", signing_key,
                                 "--allow-agent", "police=police:incidents"},
        dir_.File("port"), dir_.File("linker.log"));
    ASSERT_TRUE(linker_->running()) << ReadFile(dir_.File("linker.log"));
  }

  std::unique_ptr<v1::Linker::Stub> Stub(const std::string& name) {
    const std::string c = dir_.File("certs");
    absl::StatusOr<std::shared_ptr<grpc::Channel>> ch =
        OpenChannel(linker_->address(),
                    TlsFiles{c + "/ca.pem", c + "/" + name + ".pem", c + "/" + name + ".key"},
                    {Role::kLinker, ""});
    EXPECT_THAT(ch.status(), IsOk());
    return v1::Linker::NewStub(*ch);
  }

  grpc::StatusCode Record(const std::string& action) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 20);
    v1::RecordAuditRequest q;
    q.set_action(action);
    q.set_detail_json("{\"study\":\"s" + std::to_string(++recorded_) + "\"}");
    v1::RecordAuditResponse r;
    return Stub("analyzer")->RecordAudit(&ctx, q, &r).error_code();
  }

  // `pprl audit verify` as the auditor runs it; returns the exit code, output in *out.
  int Verify(const std::string& extra, std::string* out) {
    const std::string file = dir_.File("verify.out");
    const std::string cmd = std::string(PPRL_CLI_BIN) + " audit verify --linker " +
                            linker_->address() + " --certs " + dir_.File("certs") +
                            " --as auditor --log-key " + dir_.File("certs/audit-log.pub.pem") +
                            " " + extra + " >" + file + " 2>&1";
    int status = ::pprl::Shell(cmd);
    *out = ReadFile(file);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  TempDir dir_;
  std::string log_key_;
  std::unique_ptr<DaemonProcess> linker_;
  int recorded_ = 0;
};

TEST_F(AuditTamperTest, EveryTamperingIsFoundAgainstTheAuditorsCheckpoint) {
  const std::string db = dir_.File("db"), checkpoint = dir_.File("checkpoint.json");
  const std::string with_checkpoint = "--checkpoint " + checkpoint;
  StartLinker(db, log_key_);
  // 10 entries: releases and refusals.
  for (const char* a : {"report_released", "query_refused", "report_released", "query_refused",
                        "query_refused", "report_released", "report_released", "query_refused",
                        "report_released", "report_released"}) {
    ASSERT_EQ(Record(a), grpc::StatusCode::OK);
  }
  std::string out;
  ASSERT_EQ(Verify(with_checkpoint, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("audit log verified: 10 entries"));
  EXPECT_THAT(out, HasSubstr("checkpoint"));
  // The log grows; the auditor's next verify proves it only grew.
  ASSERT_EQ(Record("report_released"), grpc::StatusCode::OK);
  ASSERT_EQ(Record("query_refused"), grpc::StatusCode::OK);
  ASSERT_EQ(Verify(with_checkpoint, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("audit log verified: 12 entries"));
  EXPECT_THAT(out, HasSubstr("consistent with your checkpoint of 10 entries"));
  ASSERT_EQ(linker_->Stop(), 0);
  std::filesystem::copy(db, dir_.File("pristine"), std::filesystem::copy_options::recursive);
  const std::string saved_checkpoint = ReadFile(checkpoint);
  absl::StatusOr<AuditSigningKey> real_key = AuditSigningKey::Load(log_key_);
  ASSERT_THAT(real_key.status(), IsOk());

  struct Case {
    std::string what;
    std::function<void(StoreEditor&)> edit;
    std::vector<std::string> expected;
    std::string signing_key;      // the key the linker runs with afterwards
    bool linker_refuses = false;  // the linker itself found the damage
    std::string extra;            // verify's flags (default: the checkpoint)
  };
  const std::string intruder_key = dir_.File("intruder.key");
  std::vector<Case> cases = {
      {"truncation: the last 3 entries removed, the head rewritten without the key",
       [](StoreEditor& s) {
         auto e = s.Entries();
         for (uint64_t seq : {10, 11, 12}) e.erase(seq);
         s.SetEntries(e);
         s.SetHead(Rehash(e, s.Head(), nullptr));
       },
       {"does not verify with the log key", "the log shrank: your checkpoint holds 12 entries",
        "entries 10..12 were removed"},
       log_key_,
       true},
      {"truncation re-signed by an insider holding the key",
       [&](StoreEditor& s) {
         auto e = s.Entries();
         for (uint64_t seq : {10, 11, 12}) e.erase(seq);
         s.SetEntries(e);
         s.SetHead(Rehash(e, s.Head(), &*real_key));
       },
       {"the log shrank: your checkpoint holds 12 entries, the linker's signed head 9",
        "audit entries 10..12 of your checkpoint are not served"},
       log_key_},
      {"the same, checked against --expect SIZE:ROOT instead of a checkpoint",
       [&](StoreEditor& s) {
         auto e = s.Entries();
         for (uint64_t seq : {10, 11, 12}) e.erase(seq);
         s.SetEntries(e);
         s.SetHead(Rehash(e, s.Head(), &*real_key));
       },
       {"the log shrank: your --expect holds 12 entries"},
       log_key_,
       false,
       "--expect 12:"},
      {"head removal",
       [](StoreEditor& s) { s.DeleteHead(); },
       {"the linker serves 12 audit entries but no signed tree head: the head was removed",
        "the log shrank"},
       log_key_,
       true},
      {"every refusal deleted, the rest renumbered, rehashed and re-signed with the key",
       [&](StoreEditor& s) {
         std::map<uint64_t, std::string> kept;
         for (const auto& [seq, body] : s.Entries()) {
           if (body.find("query_refused") != std::string::npos) continue;
           kept[kept.size() + 1] = WithSeq(body, kept.size() + 1);
         }
         s.SetEntries(kept);
         s.SetHead(Rehash(kept, s.Head(), &*real_key));
       },
       {"first bad entry: audit entry 2 is not the entry your checkpoint recorded",
        "the log shrank: your checkpoint holds 12 entries, the linker's signed head 7"},
       log_key_},
      {"entries 4 and 5 swapped, rehashed and re-signed with the key",
       [&](StoreEditor& s) {
         auto e = s.Entries();
         std::swap(e[4], e[5]);
         s.SetEntries(e);
         s.SetHead(Rehash(e, s.Head(), &*real_key));
       },
       {"audit entry 4 names another place in the log",
        "first bad entry: audit entry 4 is not the entry your checkpoint recorded",
        "the consistency proof from your checkpoint (12 entries"},
       log_key_},
      {"entry 3 rewritten and everything signed with a replaced key",
       [&](StoreEditor& s) {
         absl::StatusOr<AuditSigningKey> other = AuditSigningKey::Generate();
         ASSERT_THAT(other.status(), IsOk());
         std::filesystem::remove(intruder_key);
         ASSERT_THAT(other->Write(intruder_key, ""), IsOk());
         auto e = s.Entries();
         e[3].replace(e[3].find("\"s3\""), 4, "\"sX\"");
         s.SetEntries(e);
         s.SetHead(Rehash(e, s.Head(), &*other));
       },
       {"not by the log key", "the signing key was replaced",
        "first bad entry: audit entry 3 is not the entry your checkpoint recorded"},
       intruder_key},
  };
  absl::StatusOr<TreeHead> pristine_head =
      TreeHead::FromJson(nlohmann::json::parse(saved_checkpoint)["tree_head"]);
  ASSERT_THAT(pristine_head.status(), IsOk());
  for (Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::filesystem::remove_all(db);
    std::filesystem::copy(dir_.File("pristine"), db, std::filesystem::copy_options::recursive);
    {
      StoreEditor editor(db);
      ASSERT_TRUE(editor.ok());
      c.edit(editor);
    }
    StartLinker(db, c.signing_key);
    std::string extra = c.extra.empty() ? with_checkpoint : c.extra + pristine_head->root_hash;
    EXPECT_NE(Verify(extra, &out), 0) << out;
    for (const std::string& e : c.expected) EXPECT_THAT(out, HasSubstr(e)) << out;
    EXPECT_THAT(out, Not(HasSubstr("audit log verified")));
    EXPECT_EQ(ReadFile(checkpoint), saved_checkpoint) << "a failed verify moved the checkpoint";
    if (c.linker_refuses) {
      // The linker found the damage when it opened: it appends nothing (entry 1 stays).
      EXPECT_EQ(Record("report_released"), grpc::StatusCode::FAILED_PRECONDITION);
      grpc::ClientContext ctx;
      SetDeadline(&ctx, 20);
      v1::AuditEntriesRequest q;
      q.set_start(1);
      q.set_limit(1);
      v1::AuditEntriesResponse page;
      ASSERT_TRUE(Stub("auditor")->GetAuditEntries(&ctx, q, &page).ok());
      ASSERT_EQ(page.entries_size(), 1);
      EXPECT_THAT(page.entries(0).body(), HasSubstr("\"s1\""));
      EXPECT_THAT(ReadFile(dir_.File("linker.log")), HasSubstr("the audit log is damaged"));
    }
    linker_->Stop();
  }

  // The untouched store still verifies against the checkpoint.
  std::filesystem::remove_all(db);
  std::filesystem::copy(dir_.File("pristine"), db, std::filesystem::copy_options::recursive);
  StartLinker(db, log_key_);
  EXPECT_EQ(Verify(with_checkpoint, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("consistent with your checkpoint of 12 entries"));
  // Paging: `pprl audit show` prints every entry.
  ASSERT_EQ(::pprl::Shell(std::string(PPRL_CLI_BIN) + " audit show --linker " + linker_->address() +
                          " --certs " + dir_.File("certs") + " --as auditor >" +
                          dir_.File("show.out") + " 2>&1"),
            0);
  std::string shown = ReadFile(dir_.File("show.out"));
  EXPECT_THAT(shown, HasSubstr("12 {\"action\":\"query_refused\""));
  EXPECT_THAT(shown, HasSubstr("signed tree head: 12 entries"));
}

}  // namespace
}  // namespace pprl
