#include "cli/submit_command.h"

#include <filesystem>
#include <fstream>
#include <ostream>

#include "cli/progress.h"
#include "core/text.h"
#include "proto/agent.grpc.pb.h"
#include "proto/extract_codec.h"

namespace pprl {

absl::Status RunSubmit(const SubmitOptions& o, std::ostream& out, v1::SubmitReport* report_out) {
  if (o.agent.empty()) return absl::InvalidArgumentError("--agent ADDRESS is required");
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(o.file, ec);
  if (ec) return absl::NotFoundError(Cat("cannot read ", o.file));
  std::ifstream in(o.file, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat("cannot read ", o.file));
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(o.agent, o.tls);
  if (!channel.ok()) return channel.status();
  std::unique_ptr<v1::Agent::Stub> stub = v1::Agent::NewStub(*channel);

  grpc::ClientContext context;
  SetDeadline(&context, o.deadline_seconds);
  v1::SubmitReport report;
  std::unique_ptr<grpc::ClientWriter<v1::SubmitRequest>> writer = stub->Submit(&context, &report);
  v1::SubmitRequest request;
  v1::SubmitHeader* h = request.mutable_header();
  h->set_kind(ToProto(o.kind));
  h->set_file_name(std::filesystem::path(o.file).filename().string());
  h->set_dry_run(o.dry_run);
  h->set_skip_invalid(o.skip_invalid);
  h->set_size(size);
  bool sending = writer->Write(request);
  Progress progress("sending " + h->file_name() + " to the agent", size);
  std::string buffer(1 << 20, '\0');
  uint64_t sent = 0;
  while (sending && in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    request.Clear();
    request.set_data(buffer.data(), static_cast<size_t>(n));
    sending = writer->Write(request);
    sent += static_cast<uint64_t>(n);
    progress.Update(sent, 0);
  }
  progress.Finish();
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      return absl::UnavailableError(Cat("the agent at ", o.agent,
                                        " (or the linker behind it) is unreachable: ",
                                        status.error_message(), "; nothing was stored"));
    }
    return FromGrpc(status);
  }
  out << report.text();
  if (report_out != nullptr) *report_out = report;
  if (report.refused()) {
    return absl::InvalidArgumentError(
        Cat(report.file_name(), ": refused, ", report.rows_invalid(), " invalid row",
            report.rows_invalid() == 1 ? "" : "s",
            " (the errors are listed above); nothing was "
            "uploaded. Fix the rows, or add --skip-invalid to upload the valid rows only"));
  }
  return absl::OkStatus();
}

}  // namespace pprl
