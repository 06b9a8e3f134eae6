#include "linker/rocksdb_record_store.h"

#include <openssl/rand.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "core/hmac_key.h"
#include "core/text.h"
#include "linker/store_common.h"
#include "proto/extract.pb.h"

namespace pprl {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNoSpace()) {
    return absl::ResourceExhaustedError(Cat(what, ": the disk is full (", s.ToString(), ")"));
  }
  if (s.IsIOError()) return absl::UnavailableError(Cat(what, ": ", s.ToString()));
  if (s.IsCorruption()) return absl::DataLossError(Cat(what, ": ", s.ToString()));
  return absl::InternalError(Cat(what, ": ", s.ToString()));
}

std::string BigEndian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return out;
}

// A record's key: its upload's id and its place in the upload, counted from 0 (ScanAt reads an
// extract in chunks of these).
std::string RecordKey(std::string_view upload_id, uint64_t index) {
  return Cat(upload_id, BigEndian(index));
}

uint64_t FromBigEndian(std::string_view s) {
  uint64_t v = 0;
  for (char c : s.substr(0, 8)) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string NewUploadId() {
  uint8_t bytes[12];
  RAND_bytes(bytes, sizeof bytes);
  return "U" + ToHex(std::span<const uint8_t>(bytes, sizeof bytes));  // 25 bytes
}
constexpr size_t kUploadIdSize = 25;

// Records decoded by one of ScanAt's readers (one chunk of an extract's keys), with their
// extract; a failure after the records before it; or the end of the reader's part of an
// extract.
struct RecordBatch {
  std::shared_ptr<const ExtractInfo> extract;
  std::vector<PseudonymousRecord> records;
  absl::Status status;
  bool end_of_extract = false;
};

// ScanAt's hand-over from its reader thread to the caller's: a few batches at most (a few MB),
// so that the reader never runs far ahead of what the caller keeps. Thread-safe.
class BatchQueue {
 public:
  // Waits for room; false (the batch dropped) once the consumer stopped.
  bool Push(RecordBatch batch) {
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [&] { return stopped_ || batches_.size() < kCapacity; });
    if (stopped_) return false;
    batches_.push_back(std::move(batch));
    ready_.notify_one();
    return true;
  }
  // The reader is done: Pop() returns nullopt once the batches are taken.
  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    ready_.notify_one();
  }
  std::optional<RecordBatch> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [&] { return finished_ || !batches_.empty(); });
    if (batches_.empty()) return std::nullopt;
    RecordBatch batch = std::move(batches_.front());
    batches_.pop_front();
    room_.notify_one();
    return batch;
  }
  // The consumer is done with a batch: the reader decodes into its records again, reusing their
  // buffers (a record's keys were a vector allocated by the reader and freed by the consumer,
  // 10M times at a link run, a fifth of the reader's time in malloc and free).
  void Recycle(RecordBatch batch) {
    std::lock_guard<std::mutex> lock(mu_);
    if (recycled_.size() < kCapacity) recycled_.push_back(std::move(batch));
  }
  // A recycled batch (its records hold the last batch's contents) or a new one.
  RecordBatch Reuse(std::shared_ptr<const ExtractInfo> extract) {
    RecordBatch batch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!recycled_.empty()) {
        batch = std::move(recycled_.front());
        recycled_.pop_front();
      }
    }
    batch.extract = std::move(extract);
    batch.status = absl::OkStatus();
    batch.end_of_extract = false;
    return batch;
  }
  // The consumer takes no more: the reader's next Push returns false.
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    batches_.clear();
    recycled_.clear();
    room_.notify_one();
  }

 private:
  static constexpr size_t kCapacity = 4;
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<RecordBatch> batches_;
  std::deque<RecordBatch> recycled_;
  bool finished_ = false, stopped_ = false;
};

class RocksDbRecordStore;

class RocksDbExtractWriter : public ExtractWriter {
 public:
  RocksDbExtractWriter(RocksDbRecordStore* store, ExtractInfo info,
                       store_internal::Admission admission)
      : store_(store),
        info_(std::move(info)),
        admission_(std::move(admission)),
        upload_id_(NewUploadId()) {}
  ~RocksDbExtractWriter() override;
  absl::Status Add(const std::vector<PseudonymousRecord>& records) override;
  absl::StatusOr<CommitOutcome> Commit() override;
  bool already_committed() const override { return admission_.already_committed; }

 private:
  RocksDbRecordStore* store_;
  ExtractInfo info_;
  store_internal::Admission admission_;
  std::string upload_id_;
  uint64_t count_ = 0;
  bool committed_ = false;
  RecordDigester digester_;
  v1::PseudonymisedRecord scratch_;
};

class RocksDbRecordStore : public RecordStore {
 public:
  RocksDbRecordStore(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
                     std::function<int64_t()> clock, std::string directory,
                     RocksDbStoreOptions options)
      : db_(std::move(db)),
        clock_(std::move(clock)),
        directory_(std::move(directory)),
        options_(options) {
    extracts_ = cfs[1];
    records_ = cfs[2];
    meta_ = cfs[3];
    audit_ = cfs[4];
    audit_tree_ = cfs[5];
    handles_ = std::move(cfs);
  }
  ~RocksDbRecordStore() override {
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }

  // Removes records of uploads that never committed.
  absl::Status SweepUncommitted() {
    std::set<std::string> live;
    {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), extracts_));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        nlohmann::json j = nlohmann::json::parse(it->value().ToString(), nullptr, false);
        if (j.is_object() && j.contains("upload_id"))
          live.insert(j["upload_id"].get<std::string>());
      }
    }
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), records_));
    rocksdb::WriteBatch batch;
    std::string last;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string upload = it->key().ToString().substr(0, kUploadIdSize);
      if (upload == last) continue;
      last = upload;
      if (!live.contains(upload)) {
        batch.DeleteRange(records_, upload, upload + "\xff");
      }
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Write(wo, &batch), "sweeping unfinished uploads");
  }

  // Refuses a write of about `bytes` that would leave less than the reserve free.
  absl::Status CheckSpace(uint64_t bytes, uint64_t reserve) const {
    struct statvfs fs;
    if (::statvfs(directory_.c_str(), &fs) != 0) return absl::OkStatus();  // cannot tell
    const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes >= bytes && free_bytes - bytes >= reserve) return absl::OkStatus();
    return absl::ResourceExhaustedError(
        Cat("the linker's disk is full: ", free_bytes >> 20, " MB free, this needs about ",
            (bytes >> 20) + 1, " MB and ", reserve >> 20,
            " MB are kept free; nothing was stored (free space at the linker, then retry)"));
  }
  absl::Status CheckSpace(uint64_t bytes) const {
    return CheckSpace(bytes, options_.min_free_bytes);
  }

  absl::StatusOr<std::unique_ptr<ExtractWriter>> BeginExtract(ExtractInfo announced) override {
    announced.extract_id = ExtractIdFor(announced.site, announced.client_extract_id);
    // About 320 bytes a record on disk while it is new (the log and the first table).
    absl::Status space =
        CheckSpace(std::min<uint64_t>(announced.record_count, uint64_t{1} << 40) * 320);
    if (!space.ok()) return space;
    absl::StatusOr<store_internal::Admission> a = Admit(announced);
    if (!a.ok()) return a.status();
    return std::unique_ptr<ExtractWriter>(
        new RocksDbExtractWriter(this, std::move(announced), std::move(*a)));
  }

  absl::StatusOr<store_internal::Admission> Admit(const ExtractInfo& announced) {
    absl::StatusOr<std::optional<ExtractInfo>> existing = Get(announced.extract_id);
    if (!existing.ok()) return existing.status();
    absl::StatusOr<std::optional<std::string>> key_id = KeyId();
    if (!key_id.ok()) return key_id.status();
    return store_internal::Admit(announced, *existing, *key_id);
  }

  absl::StatusOr<std::optional<ExtractInfo>> Get(const std::string& extract_id) {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), extracts_, extract_id, &value);
    if (s.IsNotFound()) return std::optional<ExtractInfo>();
    if (!s.ok()) return FromRocks(s, "reading an extract");
    absl::StatusOr<ExtractInfo> info = store_internal::ExtractInfoFromJson(value);
    if (!info.ok()) return info.status();
    return std::optional<ExtractInfo>(*info);
  }

  absl::Status WriteStaged(rocksdb::WriteBatch* batch) {
    absl::Status space = CheckSpace(batch->GetDataSize() * 2);
    if (!space.ok()) return space;
    return FromRocks(db_->Write(rocksdb::WriteOptions(), batch), "storing records");
  }
  void DropStaged(const std::string& upload_id) {
    db_->DeleteRange(rocksdb::WriteOptions(), records_, upload_id, upload_id + "\xff");
  }
  rocksdb::ColumnFamilyHandle* records_cf() const { return records_; }

  absl::StatusOr<CommitOutcome> CommitUpload(ExtractInfo info, const std::string& upload_id) {
    absl::Status space = CheckSpace(1 << 16, options_.min_free_bytes / 2);
    if (!space.ok()) return space;
    std::lock_guard<std::mutex> lock(commit_mu_);  // admission and commit as one step
    absl::StatusOr<store_internal::Admission> a = Admit(info);
    if (!a.ok()) return a.status();
    if (a->already_committed) return CommitOutcome{a->existing, false};
    info.committed_unix_ms = clock_();
    info.withdrawn = false;
    nlohmann::json j = nlohmann::json::parse(store_internal::ExtractInfoToJson(info));
    j["upload_id"] = upload_id;
    rocksdb::WriteBatch batch;
    batch.Put(extracts_, info.extract_id, j.dump());
    absl::StatusOr<std::optional<std::string>> key_id = KeyId();
    if (!key_id.ok()) return key_id.status();
    if (!*key_id) batch.Put(meta_, "key_id", info.key_id);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    absl::Status s = FromRocks(db_->Write(wo, &batch), "committing the extract");
    if (!s.ok()) return s;
    return CommitOutcome{info, true};
  }

  absl::StatusOr<std::vector<ExtractInfo>> ListExtracts() override {
    std::vector<ExtractInfo> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), extracts_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      absl::StatusOr<ExtractInfo> info =
          store_internal::ExtractInfoFromJson(it->value().ToString());
      if (!info.ok()) return info.status();
      out.push_back(*info);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "listing extracts");
    return out;
  }

  absl::StatusOr<ExtractInfo> WithdrawExtract(const std::string& extract_id) override {
    std::lock_guard<std::mutex> lock(commit_mu_);
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), extracts_, extract_id, &value);
    if (s.IsNotFound()) return absl::NotFoundError("no extract " + extract_id);
    if (!s.ok()) return FromRocks(s, "reading an extract");
    nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
    if (j.is_discarded()) return absl::DataLossError("damaged extract entry " + extract_id);
    std::string upload = j.value("upload_id", "");
    j["withdrawn"] = true;
    rocksdb::WriteBatch batch;
    if (!upload.empty()) batch.DeleteRange(records_, upload, upload + "\xff");
    batch.Put(extracts_, extract_id, j.dump());
    rocksdb::WriteOptions wo;
    wo.sync = true;
    absl::Status w = FromRocks(db_->Write(wo, &batch), "withdrawing the extract");
    if (!w.ok()) return w;
    return store_internal::ExtractInfoFromJson(j.dump());
  }

  absl::Status ScanRecords(const std::function<absl::Status(const StoredRecord&)>& fn) override {
    rocksdb::ReadOptions ro;
    const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
    ro.snapshot = snapshot;
    // A link run reads every record once: through the block cache, it filled it (tens of MB of
    // the linker's peak) with blocks no one reads again.
    ro.fill_cache = false;
    absl::Status status = ScanAt(ro, fn);
    db_->ReleaseSnapshot(snapshot);
    return status;
  }

  // Reading and decoding (RocksDB, the protobuf parse, FromProto) run on two threads of their
  // own, a few batches ahead of `fn`, which runs on the caller's thread in store order. One
  // reader decoding for the caller (session 9) kept its core busy while the caller's used a
  // quarter of its own: the load of a 10M-record link run took ~16 s. Each reader takes every
  // other chunk of kScanChunk keys of an extract (its records are keyed by upload id and a
  // count from 0), so the caller takes chunk 0 from the first reader, chunk 1 from the second,
  // and so on. A failure of either side stops all three; a reader's comes after `fn` saw every
  // record before it, as when one thread did both.
  static constexpr uint64_t kScanChunk = 4096;
  absl::Status ScanAt(const rocksdb::ReadOptions& ro,
                      const std::function<absl::Status(const StoredRecord&)>& fn) {
    constexpr int kReaders = 2;
    std::array<BatchQueue, kReaders> queues;
    std::vector<std::thread> readers;
    for (int t = 0; t < kReaders; ++t) {
      readers.emplace_back([&, t] {
        absl::Status s = ReadChunks(ro, t, kReaders, queues[t]);
        if (!s.ok()) queues[t].Push(RecordBatch{nullptr, {}, s});
        queues[t].Finish();
      });
    }
    absl::Status status;
    // The chunks of an extract alternate between the readers from the first; both say where
    // their part of it ends (the second's end follows the first's at once: the chunk after an
    // empty one is empty too).
    int t = 0;
    int ended = 0;
    while (status.ok()) {
      std::optional<RecordBatch> batch = queues[t].Pop();
      if (!batch) break;
      for (size_t i = 0; status.ok() && i < batch->records.size(); ++i) {
        status = fn(StoredRecord{batch->extract.get(), &batch->records[i]});
      }
      if (status.ok()) status = batch->status;
      const bool end = batch->end_of_extract;
      queues[t].Recycle(std::move(*batch));
      if (end && ++ended == kReaders) {  // the extract is done: the next starts at the first
        ended = 0;
        t = 0;
      } else {
        t = (t + 1) % kReaders;
      }
    }
    // A reader's failure after the last extract (its listing) is in the queue not read last.
    for (int r = 0; status.ok() && r < kReaders; ++r) {
      while (std::optional<RecordBatch> batch = queues[r].Pop()) {
        if (!batch->status.ok()) {
          status = batch->status;
          break;
        }
      }
    }
    for (BatchQueue& q : queues) q.Stop();
    for (std::thread& r : readers) r.join();
    return status;
  }

  // Reader `reader` of ScanAt's `readers`: chunks reader, reader + readers, ... of every extract
  // decoded, each onto `queue` as one batch, then the end of its part of the extract.
  absl::Status ReadChunks(const rocksdb::ReadOptions& ro, int reader, int readers,
                          BatchQueue& queue) {
    std::unique_ptr<rocksdb::Iterator> ex(db_->NewIterator(ro, extracts_));
    // One wire record parsed again and again: its strings and repeated keys keep their buffers.
    // (Parsed on an arena reset per batch instead, the reader spent as much in malloc and more
    // in the arena's cleanup: its strings were made anew per record.)
    v1::PseudonymisedRecord wire;
    v1::PseudonymisedRecord* proto = &wire;
    for (ex->SeekToFirst(); ex->Valid(); ex->Next()) {
      std::string value = ex->value().ToString();
      absl::StatusOr<ExtractInfo> info = store_internal::ExtractInfoFromJson(value);
      if (!info.ok()) return info.status();
      if (info->withdrawn) continue;
      auto extract = std::make_shared<const ExtractInfo>(std::move(*info));
      nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
      const std::string upload = j.value("upload_id", "");
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, records_));
      for (uint64_t chunk = static_cast<uint64_t>(reader);; chunk += readers) {
        const std::string begin = RecordKey(upload, chunk * kScanChunk);
        const std::string end = RecordKey(upload, (chunk + 1) * kScanChunk);
        it->Seek(begin);
        if (!it->status().ok()) return FromRocks(it->status(), "reading records");
        if (!it->Valid() || !it->key().starts_with(upload)) {
          RecordBatch last = queue.Reuse(extract);
          last.records.clear();
          last.end_of_extract = true;
          if (!queue.Push(std::move(last))) return absl::OkStatus();  // the consumer stopped
          break;
        }
        // Records are decoded in place into the batch's (recycled) records: `filled` of them
        // hold this chunk's, the rest are dropped when it is pushed.
        RecordBatch batch = queue.Reuse(extract);
        size_t filled = 0;
        for (; it->Valid() && it->key().starts_with(upload) && it->key().compare(end) < 0;
             it->Next()) {
          if (!proto->ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
            batch.status =
                absl::DataLossError(Cat("damaged record in extract ", extract->extract_id));
            break;
          }
          if (filled == batch.records.size()) batch.records.emplace_back();
          batch.status = FromProto(extract->kind, *proto, &batch.records[filled]);
          if (!batch.status.ok()) break;
          ++filled;
        }
        if (batch.status.ok() && !it->status().ok())
          batch.status = FromRocks(it->status(), "reading records");
        batch.records.resize(filled);
        const bool failed = !batch.status.ok();
        if (!queue.Push(std::move(batch))) return absl::OkStatus();
        if (failed) return absl::OkStatus();  // the failure is in the batch, after its records
      }
    }
    return FromRocks(ex->status(), "reading extracts");
  }

  absl::StatusOr<std::optional<std::string>> KeyId() override { return GetMeta("key_id"); }

  absl::Status PutMeta(const std::string& name, const std::string& value) override {
    absl::Status space = CheckSpace(value.size() * 2, options_.min_free_bytes / 2);
    if (!space.ok()) return space;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Put(wo, meta_, name, value), "writing " + name);
  }
  absl::StatusOr<std::optional<std::string>> GetMeta(const std::string& name) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, name, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, "reading " + name);
    return std::optional<std::string>(value);
  }

  absl::StatusOr<std::vector<AuditLogEntry>> ReadAuditEntries(uint64_t first, uint64_t limit,
                                                              uint64_t max_bytes) override {
    std::vector<AuditLogEntry> out;
    uint64_t bytes = 0;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), audit_tree_));
    for (it->Seek(BigEndian(first)); it->Valid() && out.size() < limit; it->Next()) {
      if (!out.empty() && bytes + it->value().size() > max_bytes) break;
      bytes += it->value().size();
      out.push_back({FromBigEndian(it->key().ToString()), it->value().ToString()});
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the audit log");
    return out;
  }

  absl::Status WriteAuditEntries(const std::vector<AuditLogEntry>& entries,
                                 const std::string& head_name, const std::string& head,
                                 bool drop_legacy) override {
    // Audit entries (refusals among them) may use more of the reserve than data.
    uint64_t bytes = head.size();
    for (const AuditLogEntry& e : entries) bytes += e.body.size() + 16;
    absl::Status space =
        CheckSpace(std::max<uint64_t>(bytes * 2, 1 << 16), options_.min_free_bytes / 4);
    if (!space.ok()) return space;
    rocksdb::WriteBatch batch;
    for (const AuditLogEntry& e : entries) batch.Put(audit_tree_, BigEndian(e.sequence), e.body);
    batch.Put(meta_, head_name, head);
    if (drop_legacy) {
      batch.DeleteRange(audit_, BigEndian(0), std::string(8, '\xff') + "\xff");
      batch.Delete(meta_, "audit_head");
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Write(wo, &batch), "writing the audit log");
  }

  absl::StatusOr<LegacyAuditChain> ReadLegacyAudit() override {
    LegacyAuditChain log;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), audit_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string value = it->value().ToString();
      size_t nl = value.find('\n');
      AuditRecord r;
      r.sequence = FromBigEndian(it->key().ToString());
      if (nl != std::string::npos) {
        r.hash = value.substr(0, nl);
        r.body = value.substr(nl + 1);
      } else {
        r.body = value;
      }
      log.records.push_back(std::move(r));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the old audit log");
    absl::StatusOr<std::optional<std::string>> head = GetMeta("audit_head");
    if (!head.ok()) return head.status();
    if (*head) {
      size_t space = (*head)->find(' ');
      if (space == std::string::npos) return absl::DataLossError("the old audit head is damaged");
      log.has_head = true;
      log.head_count = std::strtoull((*head)->substr(0, space).c_str(), nullptr, 10);
      log.head_hash = (*head)->substr(space + 1);
    }
    return log;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::function<int64_t()> clock_;
  std::string directory_;
  RocksDbStoreOptions options_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* extracts_;
  rocksdb::ColumnFamilyHandle* records_;
  rocksdb::ColumnFamilyHandle* meta_;
  rocksdb::ColumnFamilyHandle* audit_;       // the chain-based log of earlier versions
  rocksdb::ColumnFamilyHandle* audit_tree_;  // the Merkle log's entries
  std::mutex commit_mu_;
};

RocksDbExtractWriter::~RocksDbExtractWriter() {
  if (!committed_ && count_ > 0) store_->DropStaged(upload_id_);
}

absl::Status RocksDbExtractWriter::Add(const std::vector<PseudonymousRecord>& records) {
  if (admission_.already_committed) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  std::string bytes;
  for (const PseudonymousRecord& r : records) {
    if (r.kind != info_.kind) {
      return absl::InvalidArgumentError(Cat("a ", ExportKindName(r.kind), " record in a ",
                                            ExportKindName(info_.kind), " extract"));
    }
    ToProto(r, &scratch_);
    SerializeDeterministic(scratch_, &bytes);  // once: digested and stored
    digester_.AddSerialized(bytes);
    batch.Put(store_->records_cf(), RecordKey(upload_id_, count_++), bytes);
  }
  return store_->WriteStaged(&batch);
}

absl::StatusOr<CommitOutcome> RocksDbExtractWriter::Commit() {
  if (admission_.already_committed) return CommitOutcome{admission_.existing, false};
  absl::Status s = store_internal::CheckReceived(info_, count_, digester_.HexDigest());
  if (!s.ok()) return s;
  absl::StatusOr<CommitOutcome> outcome = store_->CommitUpload(info_, upload_id_);
  if (outcome.ok() && outcome->created) committed_ = true;
  return outcome;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecordStore>> OpenRocksDbRecordStore(
    const std::string& directory, std::function<int64_t()> clock_ms,
    RocksDbStoreOptions store_options) {
  // The store holds every site's pseudonyms: a directory of mode 0700, made so before RocksDB
  // writes into it (an existing one is narrowed to 0700).
  {
    std::error_code ec;
    std::filesystem::path dir(directory);
    if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
    if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
      return absl::UnavailableError(
          Cat("cannot create the store directory ", directory, ": ", std::strerror(errno)));
    struct stat st;
    if (::lstat(directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return absl::FailedPreconditionError(Cat("the store ", directory, " is not a directory"));
    if ((st.st_mode & 07777) != 0700 && ::chmod(directory.c_str(), 0700) != 0)
      return absl::UnavailableError(Cat("cannot make the store ", directory, " mode 0700"));
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : {rocksdb::kDefaultColumnFamilyName.c_str(), "extracts", "records", "meta",
                           "audit", "audit_tree"}) {
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions(options));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      rocksdb::DB::Open(rocksdb::DBOptions(options), directory, cfs, &handles, &raw);
  if (!s.ok()) return FromRocks(s, Cat("opening the store in ", directory));
  auto store =
      std::make_unique<RocksDbRecordStore>(std::unique_ptr<rocksdb::DB>(raw), std::move(handles),
                                           std::move(clock_ms), directory, store_options);
  absl::Status sweep = store->SweepUncommitted();
  if (!sweep.ok()) return sweep;
  return std::unique_ptr<RecordStore>(std::move(store));
}

}  // namespace pprl
