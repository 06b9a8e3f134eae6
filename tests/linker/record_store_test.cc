// One suite, run against both stores, each in a fresh temporary directory.
#include "linker/record_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/audit_chain.h"
#include "linker/audit_log.h"
#include "linker/memory_record_store.h"
#include "linker/rocksdb_record_store.h"
#include "proto/extract_codec.h"
#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef";

std::vector<PseudonymousRecord> Records(int n, const std::string& prefix = "I") {
  std::vector<PseudonymousRecord> out;
  for (int i = 0; i < n; ++i) {
    PseudonymousRecord r;
    r.kind = ExportKind::kIncidents;
    r.record_id = prefix + std::to_string(i);
    r.event_day = 15000 + i;
    MatchKey k{KeyLevel::kSurnameDob, {}};
    k.digest[0] = static_cast<uint8_t>(i);
    r.keys.push_back(k);
    r.incident_attributes.category = "misdrijf";
    r.incident_attributes.role = "verdachte";
    out.push_back(r);
  }
  return out;
}

ExtractInfo Announce(const std::string& client_id, const std::vector<PseudonymousRecord>& records,
                     const std::string& key_id = kKey, const std::string& site = "police-nhn") {
  ExtractInfo info;
  info.site = site;
  info.client_extract_id = client_id;
  info.kind = ExportKind::kIncidents;
  info.key_id = key_id;
  info.record_count = records.size();
  RecordDigester d;
  for (const PseudonymousRecord& r : records) d.Add(info.kind, r);
  info.content_digest = d.HexDigest();
  return info;
}

enum class StoreKind { kMemory, kRocksDb };

class RecordStoreTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    if (GetParam() == StoreKind::kMemory) {
      if (!memory_) memory_ = NewMemoryRecordStore([] { return int64_t{1000}; });
      store_ = nullptr;
    } else {
      absl::StatusOr<std::unique_ptr<RecordStore>> s =
          OpenRocksDbRecordStore(dir_.File("db"), [] { return int64_t{1000}; });
      ASSERT_THAT(s, IsOk());
      store_ = std::move(*s);
    }
  }
  RecordStore& store() { return store_ ? *store_ : *memory_; }

  absl::StatusOr<CommitOutcome> Upload(const ExtractInfo& info,
                                       const std::vector<PseudonymousRecord>& records,
                                       size_t chunk = 3) {
    absl::StatusOr<std::unique_ptr<ExtractWriter>> w = store().BeginExtract(info);
    if (!w.ok()) return w.status();
    for (size_t i = 0; i < records.size(); i += chunk) {
      std::vector<PseudonymousRecord> part(records.begin() + i,
                                           records.begin() + std::min(records.size(), i + chunk));
      absl::Status s = (*w)->Add(part);
      if (!s.ok()) return s;
    }
    return (*w)->Commit();
  }

  std::vector<std::string> StoredIds() {
    std::vector<std::string> ids;
    EXPECT_THAT(store().ScanRecords([&](const StoredRecord& r) {
      ids.push_back(r.extract->client_extract_id + ":" + r.record->record_id);
      return absl::OkStatus();
    }),
                IsOk());
    return ids;
  }

  ::pprl::testing::TempDir dir_;
  std::unique_ptr<RecordStore> memory_;
  std::unique_ptr<RecordStore> store_;
};

TEST_P(RecordStoreTest, CommitsInChunksAndReadsBackInOrder) {
  auto records = Records(10);
  absl::StatusOr<CommitOutcome> out = Upload(Announce("bvh-2013", records), records);
  ASSERT_THAT(out, IsOk());
  EXPECT_TRUE(out->created);
  EXPECT_EQ(out->info.record_count, 10u);
  EXPECT_EQ(out->info.committed_unix_ms, 1000);
  std::vector<std::string> ids = StoredIds();
  ASSERT_EQ(ids.size(), 10u);
  EXPECT_EQ(ids[0], "bvh-2013:I0");
  EXPECT_EQ(ids[9], "bvh-2013:I9");
  absl::StatusOr<std::optional<std::string>> key = store().KeyId();
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->value_or(""), kKey);
}

// More records than the RocksDB store decodes in one chunk on one of its two reading threads
// (4096; the threads take every other chunk): all reach the callback in order, whether an
// extract ends within the second reader's chunk (b), the first's (a) or at a chunk's end (c);
// a failing callback stops the scan at once with its status, and the store scans again
// afterwards.
TEST_P(RecordStoreTest, AScanOfManyBatchesIsInOrderAndStopsAtTheCallbacksError) {
  auto first = Records(9000, "A");
  auto second = Records(3000, "B");
  auto third = Records(8192, "C");
  ASSERT_THAT(Upload(Announce("a", first), first, 1000), IsOk());
  ASSERT_THAT(Upload(Announce("b", second), second, 1000), IsOk());
  ASSERT_THAT(Upload(Announce("c", third), third, 1000), IsOk());
  std::vector<std::string> ids = StoredIds();
  ASSERT_EQ(ids.size(), 20192u);
  for (size_t i = 0; i < 9000; ++i) ASSERT_EQ(ids[i], "a:A" + std::to_string(i));
  for (size_t i = 0; i < 3000; ++i) ASSERT_EQ(ids[9000 + i], "b:B" + std::to_string(i));
  for (size_t i = 0; i < 8192; ++i) ASSERT_EQ(ids[12000 + i], "c:C" + std::to_string(i));
  int seen = 0;
  EXPECT_THAT(store().ScanRecords([&](const StoredRecord&) {
    return ++seen == 5000 ? absl::AbortedError("enough") : absl::OkStatus();
  }),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("enough")));
  EXPECT_EQ(seen, 5000);
  EXPECT_EQ(StoredIds().size(), 20192u);
}

TEST_P(RecordStoreTest, RetryIsIdempotentAndAnotherUploadUnderTheSameIdIsRefused) {
  auto records = Records(5);
  ASSERT_THAT(Upload(Announce("x", records), records), IsOk());
  absl::StatusOr<CommitOutcome> again = Upload(Announce("x", records), records);
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(StoredIds().size(), 5u);
  auto other = Records(6);
  EXPECT_THAT(
      Upload(Announce("x", other), other),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already committed another extract")));
  // Another site may use the same client id.
  ASSERT_THAT(Upload(Announce("x", other, kKey, "police-other"), other), IsOk());
  EXPECT_EQ(StoredIds().size(), 11u);
}

TEST_P(RecordStoreTest, AnotherKeyIsRefused) {
  auto records = Records(2);
  ASSERT_THAT(Upload(Announce("a", records), records), IsOk());
  EXPECT_THAT(Upload(Announce("b", records, "ffffffffffffffffffffffffffffffff"), records),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("different keys")));
}

TEST_P(RecordStoreTest, AWrongCountOrDigestStoresNothing) {
  auto records = Records(4);
  ExtractInfo info = Announce("a", records);
  info.record_count = 5;
  EXPECT_THAT(Upload(info, records),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("announced 5 records but 4")));
  info = Announce("a", records);
  auto changed = records;
  changed[2].event_day += 1;
  EXPECT_THAT(Upload(info, changed), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("digest")));
  EXPECT_TRUE(StoredIds().empty());
  absl::StatusOr<std::vector<ExtractInfo>> list = store().ListExtracts();
  ASSERT_THAT(list, IsOk());
  EXPECT_TRUE(list->empty());
}

TEST_P(RecordStoreTest, AnAbandonedUploadLeavesNothing) {
  auto records = Records(6);
  {
    absl::StatusOr<std::unique_ptr<ExtractWriter>> w = store().BeginExtract(Announce("a", records));
    ASSERT_THAT(w, IsOk());
    ASSERT_THAT((*w)->Add(records), IsOk());
  }
  Reopen();
  EXPECT_TRUE(StoredIds().empty());
  ASSERT_THAT(Upload(Announce("a", records), records), IsOk());
  EXPECT_EQ(StoredIds().size(), 6u);
}

TEST_P(RecordStoreTest, WithdrawalRemovesRecordsAndSurvivesReopen) {
  auto a = Records(3, "A");
  auto b = Records(2, "B");
  absl::StatusOr<CommitOutcome> ca = Upload(Announce("a", a), a);
  ASSERT_THAT(ca, IsOk());
  ASSERT_THAT(Upload(Announce("b", b), b), IsOk());
  absl::StatusOr<ExtractInfo> w = store().WithdrawExtract(ca->info.extract_id);
  ASSERT_THAT(w, IsOk());
  EXPECT_TRUE(w->withdrawn);
  Reopen();
  EXPECT_EQ(StoredIds(), (std::vector<std::string>{"b:B0", "b:B1"}));
  EXPECT_THAT(store().WithdrawExtract("Xnope"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Xnope")));
}

TEST_P(RecordStoreTest, CommittedDataSurvivesReopen) {
  auto records = Records(7);
  ASSERT_THAT(Upload(Announce("a", records), records), IsOk());
  ASSERT_THAT(store().PutMeta("linkage", "blob"), IsOk());
  Reopen();
  EXPECT_EQ(StoredIds().size(), 7u);
  absl::StatusOr<std::optional<std::string>> meta = store().GetMeta("linkage");
  ASSERT_THAT(meta, IsOk());
  EXPECT_EQ(meta->value_or(""), "blob");
}

TEST_P(RecordStoreTest, TheAuditLogIsASignedMerkleTreeServedInPages) {
  absl::StatusOr<AuditSigningKey> key = AuditSigningKey::Generate();
  ASSERT_THAT(key.status(), IsOk());
  auto clock = [] { return int64_t{1700000000000}; };
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(&store(), *key, clock);
    ASSERT_THAT(log.status(), IsOk());
    EXPECT_FALSE((*log)->head().has_value());
    for (int i = 0; i < 25; ++i) {
      absl::StatusOr<AuditAppended> a = (*log)->Append([&](uint64_t seq, const std::string& nonce) {
        return AuditBody(seq, clock(), nonce, "analyzer", "analyzer", "report_released", "recorded",
                         {{"n", i}});
      });
      ASSERT_THAT(a.status(), IsOk());
      EXPECT_EQ(a->sequence, static_cast<uint64_t>(i + 1));
      EXPECT_EQ(a->head.tree_size, a->sequence);
      EXPECT_THAT(key->public_key().Verify(a->head), IsOk());
    }
  }
  Reopen();
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(&store(), *key, clock);
  ASSERT_THAT(log.status(), IsOk());
  EXPECT_THAT((*log)->damage(), IsOk());
  ASSERT_TRUE((*log)->head().has_value());
  const TreeHead head = *(*log)->head();
  EXPECT_EQ(head.tree_size, 25u);
  EXPECT_THAT(key->public_key().Verify(head), IsOk());
  // Pages: bounded, in order, from any start.
  MerkleTree tree;
  for (uint64_t start = 1;;) {
    absl::StatusOr<std::vector<AuditLogEntry>> page = (*log)->Page(start, 10);
    ASSERT_THAT(page.status(), IsOk());
    if (page->empty()) break;
    EXPECT_LE(page->size(), 10u);
    for (const AuditLogEntry& e : *page) {
      EXPECT_EQ(e.sequence, tree.size() + 1);
      tree.Append(MerkleLeafHash(e.body));
    }
    start = page->back().sequence + 1;
  }
  EXPECT_EQ(HashHex(tree.Root()), head.root_hash);
  absl::StatusOr<std::vector<std::string>> inclusion = (*log)->InclusionProof(6, 25);
  ASSERT_THAT(inclusion.status(), IsOk());
  EXPECT_THAT(VerifyInclusion(6, 25, tree.leaf(6), *inclusion, tree.Root()), IsOk());
  absl::StatusOr<std::vector<std::string>> consistency = (*log)->ConsistencyProof(11, 25);
  ASSERT_THAT(consistency.status(), IsOk());
  EXPECT_THAT(VerifyConsistency(11, 25, *tree.RootAt(11), tree.Root(), *consistency), IsOk());
  // Another key finds a head it did not sign, and refuses to append.
  absl::StatusOr<AuditSigningKey> other = AuditSigningKey::Generate();
  ASSERT_THAT(other.status(), IsOk());
  absl::StatusOr<std::unique_ptr<AuditLog>> foreign = AuditLog::Open(&store(), *other, clock);
  ASSERT_THAT(foreign.status(), IsOk());
  EXPECT_THAT((*foreign)->damage().message(), HasSubstr("the signing key was replaced"));
  EXPECT_EQ((*foreign)
                ->Append([](uint64_t seq, const std::string& nonce) {
                  return "{\"nonce\":\"" + nonce + "\",\"seq\":" + std::to_string(seq) + "}";
                })
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

// Red team 8, F4: every entry carries its own 128-bit nonce, so two entries alike in every
// other field (the same action, actor, time, seq and counts) hash differently, and a leaf hash
// published in an inclusion proof cannot be matched by guessing the entry's other fields.
TEST_P(RecordStoreTest, EveryAuditEntryCarriesItsOwnNonce) {
  absl::StatusOr<AuditSigningKey> key = AuditSigningKey::Generate();
  ASSERT_THAT(key.status(), IsOk());
  auto clock = [] { return int64_t{1700000000000}; };
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(&store(), *key, clock);
  ASSERT_THAT(log.status(), IsOk());
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT((*log)
                    ->Append([&](uint64_t seq, const std::string& nonce) {
                      return AuditBody(seq, clock(), nonce, "analyzer", "analyzer",
                                       "comparison_pool_request", "released", {{"subjects", 7}});
                    })
                    .status(),
                IsOk());
  }
  absl::StatusOr<std::vector<AuditLogEntry>> entries = (*log)->Page(1, 100);
  ASSERT_THAT(entries.status(), IsOk());
  ASSERT_EQ(entries->size(), 20u);
  std::set<std::string> nonces;
  for (const AuditLogEntry& e : *entries) {
    nlohmann::json body = nlohmann::json::parse(e.body);
    ASSERT_TRUE(body["nonce"].is_string()) << e.body;
    const std::string nonce = body["nonce"];
    EXPECT_EQ(nonce.size(), 32u) << e.body;
    EXPECT_EQ(nonce.find_first_not_of("0123456789abcdef"), std::string::npos) << e.body;
    nonces.insert(nonce);
  }
  EXPECT_EQ(nonces.size(), 20u);
  // Two entries equal in every other field.
  absl::StatusOr<std::string> n1 = NewAuditNonce(), n2 = NewAuditNonce();
  ASSERT_THAT(n1.status(), IsOk());
  ASSERT_THAT(n2.status(), IsOk());
  const std::string a = AuditBody(5, clock(), *n1, "analyzer", "analyzer", "cohort_request",
                                  "released", {{"subjects", 7}});
  const std::string b = AuditBody(5, clock(), *n2, "analyzer", "analyzer", "cohort_request",
                                  "released", {{"subjects", 7}});
  EXPECT_NE(*n1, *n2);
  EXPECT_NE(MerkleLeafHash(a), MerkleLeafHash(b));
  // A body that leaves the nonce out is refused, and nothing is appended.
  EXPECT_THAT((*log)->Append([](uint64_t seq, const std::string&) {
    return "{\"seq\":" + std::to_string(seq) + "}";
  }),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("without its nonce")));
  EXPECT_EQ((*log)->stored_entries(), 20u);
  EXPECT_EQ((*log)->head()->tree_size, 20u);
}

// The hash-chained log of earlier versions, written as the old code wrote it, is carried over
// into the tree once: its head is entry 1, its entries follow verbatim.
TEST(AuditMigrationTest, AChainBasedLogIsCarriedOverOnce) {
  ::pprl::testing::TempDir dir;
  std::vector<AuditRecord> old;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n : {"default", "extracts", "records", "meta", "audit"})
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(options), dir.File("db"), cfs, &handles, &db).ok());
    std::string previous(kAuditGenesis);
    for (uint64_t seq = 1; seq <= 4; ++seq) {
      AuditRecord r{seq, "{\"action\":\"submission\",\"seq\":" + std::to_string(seq) + "}", ""};
      r.hash = AuditChainHash(previous, r.body);
      previous = r.hash;
      std::string key(8, '\0');
      key[7] = static_cast<char>(seq);
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[4], key, r.hash + "\n" + r.body).ok());
      old.push_back(r);
    }
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[3], "audit_head", "4 " + previous).ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  absl::StatusOr<AuditSigningKey> key = AuditSigningKey::Generate();
  ASSERT_THAT(key.status(), IsOk());
  auto clock = [] { return int64_t{1700000000000}; };
  for (int open = 0; open < 2; ++open) {  // the second open finds the tree, not the chain
    absl::StatusOr<std::unique_ptr<RecordStore>> store =
        OpenRocksDbRecordStore(dir.File("db"), clock);
    ASSERT_THAT(store.status(), IsOk());
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(store->get(), *key, clock);
    ASSERT_THAT(log.status(), IsOk());
    EXPECT_THAT((*log)->damage(), IsOk());
    ASSERT_TRUE((*log)->head().has_value());
    EXPECT_EQ((*log)->head()->tree_size, 5u + open);  // and the entry appended after
    absl::StatusOr<std::vector<AuditLogEntry>> entries = (*log)->Page(1, 100);
    ASSERT_THAT(entries.status(), IsOk());
    ASSERT_EQ(entries->size(), 5u + open);
    nlohmann::json first = nlohmann::json::parse((*entries)[0].body);
    EXPECT_EQ(first["action"], "audit_log_migrated");
    EXPECT_EQ(first["detail"]["old_head_count"], 4);
    EXPECT_EQ(first["detail"]["old_head_hash"], old.back().hash);
    for (size_t i = 0; i < old.size(); ++i) {
      nlohmann::json e = nlohmann::json::parse((*entries)[i + 1].body);
      EXPECT_EQ(e["seq"], i + 2);
      EXPECT_EQ(e["detail"]["old_seq"], old[i].sequence);
      EXPECT_EQ(e["detail"]["old_hash"], old[i].hash);
      EXPECT_EQ(e["detail"]["old_body"], old[i].body);
    }
    absl::StatusOr<LegacyAuditChain> legacy = (*store)->ReadLegacyAudit();
    ASSERT_THAT(legacy.status(), IsOk());
    EXPECT_TRUE(legacy->records.empty());
    EXPECT_FALSE(legacy->has_head);
    if (open == 0) {
      ASSERT_THAT((*log)
                      ->Append([](uint64_t seq, const std::string& nonce) {
                        return "{\"nonce\":\"" + nonce + "\",\"seq\":" + std::to_string(seq) + "}";
                      })
                      .status(),
                  IsOk());
    }
  }
}

TEST(AuditMigrationTest, ADamagedChainIsNotCarriedOver) {
  ::pprl::testing::TempDir dir;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n : {"default", "extracts", "records", "meta", "audit"})
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(options), dir.File("db"), cfs, &handles, &db).ok());
    std::string body = "{\"seq\":1}";
    std::string key(8, '\0');
    key[7] = 1;
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[4], key,
                        AuditChainHash(kAuditGenesis, body) + "\n" + body)
                    .ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[3], "audit_head", "3 abc").ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  absl::StatusOr<AuditSigningKey> key = AuditSigningKey::Generate();
  ASSERT_THAT(key.status(), IsOk());
  auto clock = [] { return int64_t{1}; };
  absl::StatusOr<std::unique_ptr<RecordStore>> store =
      OpenRocksDbRecordStore(dir.File("db"), clock);
  ASSERT_THAT(store.status(), IsOk());
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(store->get(), *key, clock);
  EXPECT_THAT(log.status().message(), HasSubstr("not carried over"));
  EXPECT_THAT(log.status().message(), HasSubstr("entries after 1 were removed"));
}

INSTANTIATE_TEST_SUITE_P(Stores, RecordStoreTest,
                         ::testing::Values(StoreKind::kMemory, StoreKind::kRocksDb),
                         [](const auto& info) {
                           return info.param == StoreKind::kMemory ? "Memory" : "RocksDb";
                         });

// A damaged record ends the scan with DataLoss, after the callback saw every record before it
// (the store reads and decodes on two threads of its own, ahead of the callback): in the
// second reader's chunk (4500) and in the first's (8200, the other reader then ahead of it).
class RocksDbScan : public ::testing::TestWithParam<int> {};
TEST_P(RocksDbScan, ADamagedRecordStopsTheScanAfterTheRecordsBeforeIt) {
  const int damaged = GetParam();
  ::pprl::testing::TempDir dir;
  auto records = Records(12000);
  {
    absl::StatusOr<std::unique_ptr<RecordStore>> store =
        OpenRocksDbRecordStore(dir.File("db"), [] { return int64_t{1000}; });
    ASSERT_THAT(store, IsOk());
    absl::StatusOr<std::unique_ptr<ExtractWriter>> w =
        (*store)->BeginExtract(Announce("x", records));
    ASSERT_THAT(w, IsOk());
    ASSERT_THAT((*w)->Add(records), IsOk());
    ASSERT_THAT((*w)->Commit(), IsOk());
  }
  {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.File("db"), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const std::string& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.File("db"), cfs, &handles, &db).ok());
    const auto records_cf = std::find(names.begin(), names.end(), "records") - names.begin();
    ASSERT_LT(records_cf, static_cast<long>(names.size()));
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), handles[records_cf]));
    it->SeekToFirst();
    for (int i = 0; i < damaged && it->Valid(); ++i) it->Next();
    ASSERT_TRUE(it->Valid());
    const std::string key = it->key().ToString();
    it.reset();
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[records_cf], key, "\xff\xff\xff").ok());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  absl::StatusOr<std::unique_ptr<RecordStore>> store =
      OpenRocksDbRecordStore(dir.File("db"), [] { return int64_t{1000}; });
  ASSERT_THAT(store, IsOk());
  std::vector<std::string> seen;
  EXPECT_THAT((*store)->ScanRecords([&](const StoredRecord& r) {
    seen.push_back(r.record->record_id);
    return absl::OkStatus();
  }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged record in extract")));
  ASSERT_EQ(seen.size(), static_cast<size_t>(damaged));
  EXPECT_EQ(seen.back(), "I" + std::to_string(damaged - 1));
}
INSTANTIATE_TEST_SUITE_P(Chunks, RocksDbScan, ::testing::Values(4500, 8200));

// The store holds every site's pseudonyms: its directory is made 0700, and an existing one
// that others could read is narrowed to 0700.
TEST(RocksDbStoreDirectory, IsCreatedAndKeptMode0700) {
  ::pprl::testing::TempDir dir;
  auto mode = [](const std::string& path) {
    return std::filesystem::status(path).permissions() & std::filesystem::perms::mask;
  };
  {
    absl::StatusOr<std::unique_ptr<RecordStore>> store =
        OpenRocksDbRecordStore(dir.File("new/db"), [] { return int64_t{1000}; });
    ASSERT_THAT(store, IsOk());
  }
  EXPECT_EQ(mode(dir.File("new/db")), std::filesystem::perms::owner_all);
  std::filesystem::create_directories(dir.File("old"));
  std::filesystem::permissions(dir.File("old"), std::filesystem::perms::owner_all |
                                                    std::filesystem::perms::group_read |
                                                    std::filesystem::perms::group_exec |
                                                    std::filesystem::perms::others_read |
                                                    std::filesystem::perms::others_exec);
  {
    absl::StatusOr<std::unique_ptr<RecordStore>> store =
        OpenRocksDbRecordStore(dir.File("old"), [] { return int64_t{1000}; });
    ASSERT_THAT(store, IsOk());
  }
  EXPECT_EQ(mode(dir.File("old")), std::filesystem::perms::owner_all);
}

}  // namespace
}  // namespace pprl
