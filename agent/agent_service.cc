#include "agent/agent_service.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "core/text.h"
#include "proto/extract_codec.h"

namespace pprl {
namespace {

std::atomic<uint64_t> spool_counter{0};

class SubmitReactor : public grpc::ServerReadReactor<v1::SubmitRequest> {
 public:
  SubmitReactor(AgentService* service, grpc::CallbackServerContext* context,
                v1::SubmitReport* report)
      : service_(service), report_(report), peer_(PeerOf(*context)) {
    if (peer_.role != Role::kDataOfficer) {
      LogError(
          "call denied",
          {{"rpc", "Submit"}, {"caller", peer_.name}, {"role", std::string(RoleName(peer_.role))}});
      Finish(ToGrpc(absl::PermissionDeniedError(
          Cat("role ", RoleName(peer_.role), " may not submit exports: data officers only"))));
      return;
    }
    if (!service_->OfficerAllowed(peer_.name)) {
      LogError("call denied",
               {{"rpc", "Submit"}, {"caller", peer_.name}, {"reason", "not allowed"}});
      Finish(ToGrpc(absl::PermissionDeniedError(
          Cat("officer ", peer_.name, " is not in this agent's list of data officers"))));
      return;
    }
    absl::StatusOr<std::unique_ptr<StreamLimits::Slot>> slot =
        service_->stream_limits().Enter(Cat(RoleName(peer_.role), ":", peer_.name), context);
    if (!slot.ok()) {
      LogError("submission refused",
               {{"officer", peer_.name}, {"error", std::string(slot.status().message())}});
      Finish(ToGrpc(slot.status()));
      return;
    }
    slot_ = std::move(*slot);
    spool_path_ =
        Cat(service_->spool_dir(), "/submission-", ::getpid(), "-", spool_counter++, ".csv");
    fd_ = ::open(spool_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      Finish(ToGrpc(absl::InternalError("the agent cannot write to its spool directory")));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Process();
      return;
    }
    if (request_.has_header()) {
      if (have_header_) return Fail(absl::InvalidArgumentError("a second submission header"));
      header_ = request_.header();
      have_header_ = true;
      absl::StatusOr<ExportKind> kind = FromProto(header_.kind());
      if (!kind.ok()) return Fail(kind.status());
      absl::Status allowed = CheckKindForSite(service_->settings().site_kind, *kind);
      if (!allowed.ok()) return Fail(allowed);
    } else {
      if (!have_header_)
        return Fail(absl::InvalidArgumentError("data before the submission header"));
      const std::string& data = request_.data();
      bytes_ += data.size();
      if (bytes_ > kMaxExportBytes)
        return Fail(absl::InvalidArgumentError("the export is larger than 8 GiB"));
      if (::write(fd_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
        return Fail(absl::ResourceExhaustedError("the agent cannot spool the export (disk full?)"));
      }
    }
    StartRead(&request_);
  }

  void OnDone() override {
    CloseSpool();
    delete this;
  }

 private:
  void Process() {
    if (slot_) slot_->EndWatch();  // the submission's own work is not bounded by the call limit
    if (!have_header_) return Fail(absl::InvalidArgumentError("a submission without a header"));
    if (bytes_ != header_.size()) {
      return Fail(absl::DataLossError(Cat("the export arrived incomplete (", bytes_, " of ",
                                          header_.size(), " bytes); nothing was uploaded")));
    }
    ::close(fd_);
    fd_ = -1;
    // The work can take minutes: a worker thread, not a gRPC callback thread.
    std::thread([this] {
      LogInfo("submission received",
              {{"officer", peer_.name},
               {"kind", std::string(ExportKindName(*FromProto(header_.kind())))},
               {"bytes", std::to_string(bytes_)},
               {"dry_run", header_.dry_run() ? "true" : "false"}});
      absl::StatusOr<v1::SubmitReport> report =
          RunSubmission(service_->settings(), service_->key(), header_, spool_path_,
                        service_->linker(), peer_.name);
      ::unlink(spool_path_.c_str());
      if (!report.ok()) {
        LogError("submission failed",
                 {{"officer", peer_.name}, {"error", std::string(report.status().message())}});
        Finish(ToGrpc(report.status()));
        return;
      }
      for (const v1::RowErrorReport& e : report->errors()) {
        LogInfo(
            "row error",
            {{"line", std::to_string(e.line())}, {"column", e.column()}, {"reason", e.reason()}});
      }
      LogInfo("submission done", {{"officer", peer_.name},
                                  {"rows_read", std::to_string(report->rows_read())},
                                  {"rows_invalid", std::to_string(report->rows_invalid())},
                                  {"rows_uploaded", std::to_string(report->rows_uploaded())},
                                  {"refused", report->refused() ? "true" : "false"},
                                  {"extract_id", report->receipt().extract().extract_id()}});
      *report_ = std::move(*report);
      Finish(grpc::Status::OK);
    }).detach();
  }

  void Fail(const absl::Status& s) {
    CloseSpool();
    LogError("submission refused", {{"officer", peer_.name}, {"error", std::string(s.message())}});
    Finish(ToGrpc(s));
  }

  void CloseSpool() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
      ::unlink(spool_path_.c_str());
    }
  }

  AgentService* service_;
  v1::SubmitReport* report_;
  Peer peer_;
  v1::SubmitRequest request_;
  v1::SubmitHeader header_;
  bool have_header_ = false;
  std::string spool_path_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  std::unique_ptr<StreamLimits::Slot> slot_;
};

}  // namespace

AgentService::AgentService(SubmissionSettings settings, HmacKey key, std::string spool_dir,
                           std::shared_ptr<v1::Linker::StubInterface> linker, CallLimits limits,
                           std::set<std::string> officers)
    : settings_(std::move(settings)),
      key_(std::move(key)),
      spool_dir_(std::move(spool_dir)),
      linker_(std::move(linker)),
      stream_limits_(limits),
      officers_(std::move(officers)) {}

grpc::ServerReadReactor<v1::SubmitRequest>* AgentService::Submit(
    grpc::CallbackServerContext* context, v1::SubmitReport* report) {
  return new SubmitReactor(this, context, report);
}

}  // namespace pprl
