#include "linker/memory_record_store.h"

#include <map>
#include <mutex>

#include "linker/store_common.h"

namespace pprl {
namespace {

class MemoryRecordStore : public RecordStore {
 public:
  explicit MemoryRecordStore(std::function<int64_t()> clock) : clock_(std::move(clock)) {}

  absl::StatusOr<std::unique_ptr<ExtractWriter>> BeginExtract(ExtractInfo announced) override;

  absl::StatusOr<std::vector<ExtractInfo>> ListExtracts() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ExtractInfo> out;
    for (const auto& [id, e] : extracts_) out.push_back(e.info);
    return out;
  }

  absl::StatusOr<ExtractInfo> WithdrawExtract(const std::string& extract_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = extracts_.find(extract_id);
    if (it == extracts_.end()) return absl::NotFoundError("no extract " + extract_id);
    it->second.info.withdrawn = true;
    it->second.records.clear();
    return it->second.info;
  }

  absl::Status ScanRecords(const std::function<absl::Status(const StoredRecord&)>& fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, e] : extracts_) {
      if (e.info.withdrawn) continue;
      for (const PseudonymousRecord& r : e.records) {
        absl::Status s = fn(StoredRecord{&e.info, &r});
        if (!s.ok()) return s;
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> KeyId() override {
    std::lock_guard<std::mutex> lock(mu_);
    return key_id_;
  }

  absl::Status PutMeta(const std::string& name, const std::string& value) override {
    std::lock_guard<std::mutex> lock(mu_);
    meta_[name] = value;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<std::string>> GetMeta(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = meta_.find(name);
    if (it == meta_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  absl::StatusOr<std::vector<AuditLogEntry>> ReadAuditEntries(uint64_t first, uint64_t limit,
                                                              uint64_t max_bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<AuditLogEntry> out;
    uint64_t bytes = 0;
    for (auto it = audit_.lower_bound(first); it != audit_.end() && out.size() < limit; ++it) {
      if (!out.empty() && bytes + it->second.size() > max_bytes) break;
      bytes += it->second.size();
      out.push_back({it->first, it->second});
    }
    return out;
  }
  absl::Status WriteAuditEntries(const std::vector<AuditLogEntry>& entries,
                                 const std::string& head_name, const std::string& head,
                                 bool) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const AuditLogEntry& e : entries) audit_[e.sequence] = e.body;
    meta_[head_name] = head;
    return absl::OkStatus();
  }
  absl::StatusOr<LegacyAuditChain> ReadLegacyAudit() override { return LegacyAuditChain{}; }

  // Called by the writer.
  absl::StatusOr<CommitOutcome> Commit(ExtractInfo info, std::vector<PseudonymousRecord> records) {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<ExtractInfo> existing;
    if (auto it = extracts_.find(info.extract_id); it != extracts_.end())
      existing = it->second.info;
    absl::StatusOr<store_internal::Admission> a = store_internal::Admit(info, existing, key_id_);
    if (!a.ok()) return a.status();
    if (a->already_committed) return CommitOutcome{a->existing, false};
    info.committed_unix_ms = clock_();
    info.withdrawn = false;
    if (!key_id_) key_id_ = info.key_id;
    extracts_[info.extract_id] = Entry{info, std::move(records)};
    return CommitOutcome{info, true};
  }

  absl::StatusOr<store_internal::Admission> Check(const ExtractInfo& info) {
    std::lock_guard<std::mutex> lock(mu_);
    std::optional<ExtractInfo> existing;
    if (auto it = extracts_.find(info.extract_id); it != extracts_.end())
      existing = it->second.info;
    return store_internal::Admit(info, existing, key_id_);
  }

 private:
  struct Entry {
    ExtractInfo info;
    std::vector<PseudonymousRecord> records;
  };
  std::function<int64_t()> clock_;
  std::mutex mu_;
  std::map<std::string, Entry> extracts_;
  std::optional<std::string> key_id_;
  std::map<std::string, std::string> meta_;
  std::map<uint64_t, std::string> audit_;
};

class MemoryExtractWriter : public ExtractWriter {
 public:
  MemoryExtractWriter(MemoryRecordStore* store, ExtractInfo info, store_internal::Admission a)
      : store_(store), info_(std::move(info)), admission_(std::move(a)) {}
  absl::Status Add(const std::vector<PseudonymousRecord>& records) override {
    if (admission_.already_committed) return absl::OkStatus();
    for (const PseudonymousRecord& r : records) {
      digester_.Add(info_.kind, r);
      records_.push_back(r);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<CommitOutcome> Commit() override {
    if (admission_.already_committed) return CommitOutcome{admission_.existing, false};
    absl::Status s = store_internal::CheckReceived(info_, records_.size(), digester_.HexDigest());
    if (!s.ok()) return s;
    return store_->Commit(info_, std::move(records_));
  }
  bool already_committed() const override { return admission_.already_committed; }

 private:
  MemoryRecordStore* store_;
  ExtractInfo info_;
  store_internal::Admission admission_;
  std::vector<PseudonymousRecord> records_;
  RecordDigester digester_;
};

absl::StatusOr<std::unique_ptr<ExtractWriter>> MemoryRecordStore::BeginExtract(
    ExtractInfo announced) {
  announced.extract_id = ExtractIdFor(announced.site, announced.client_extract_id);
  absl::StatusOr<store_internal::Admission> a = Check(announced);
  if (!a.ok()) return a.status();
  return std::unique_ptr<ExtractWriter>(
      new MemoryExtractWriter(this, std::move(announced), std::move(*a)));
}

}  // namespace

std::unique_ptr<RecordStore> NewMemoryRecordStore(std::function<int64_t()> clock_ms) {
  return std::make_unique<MemoryRecordStore>(std::move(clock_ms));
}

}  // namespace pprl
