#include "cli/analyze_command.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/text.h"
#include "proto/analyzer.grpc.pb.h"

namespace pprl {
namespace {

absl::Status WriteAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".partial";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << content;
    if (!f) return absl::UnavailableError(Cat("cannot write ", path));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return absl::UnavailableError(Cat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

std::string RefusedReportJson(std::string_view reason) {
  nlohmann::json r = {{"schema", "pprl.report.v1"}, {"refused", {{"reason", std::string(reason)}}}};
  return r.dump(2) + "\n";
}

std::string RefusedReportHtml(std::string_view reason) {
  return Cat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pprl report: "
      "study refused</title></head><body>\n<h1>Study refused</h1>\n<p>The analyzer released no "
      "figure of this study:</p>\n<p><strong>",
      HtmlEscape(reason), "</strong></p>\n</body></html>\n");
}

absl::Status RunAnalyze(const AnalyzeOptions& o, std::ostream& out) {
  if (o.analyzer.empty()) return absl::InvalidArgumentError("--analyzer ADDRESS is required");
  v1::AnalyzeRequest request;
  if (!o.study.empty()) {
    absl::StatusOr<std::string> text = ReadTextFile(o.study);
    if (!text.ok()) return text.status();
    request.set_study_toml(*text);
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenChannel(o.analyzer, o.tls, {Role::kAnalyzer, ""});
  if (!channel.ok()) return channel.status();
  grpc::ClientContext ctx;
  SetDeadline(&ctx, o.deadline_seconds);
  v1::AnalyzeResponse response;
  grpc::Status s = v1::Analyzer::NewStub(*channel)->Analyze(&ctx, request, &response);
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE && !LastPeerRefusal().empty())
    return absl::PermissionDeniedError(LastPeerRefusal());
  if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    // A refusal is an answer: the report files say so, with the reason.
    const absl::Status refused = FromGrpc(s);
    std::string reason(refused.message());
    if (reason.rfind("refused: ", 0) == 0) reason.erase(0, 9);
    out << "Study refused by the analyzer: " << reason << "\n";
    if (!o.json_out.empty()) {
      absl::Status w = WriteAtomically(o.json_out, RefusedReportJson(reason));
      if (!w.ok()) return w;
    }
    if (!o.html_out.empty()) {
      absl::Status w = WriteAtomically(o.html_out, RefusedReportHtml(reason));
      if (!w.ok()) return w;
    }
    return refused;
  }
  if (!s.ok()) return FromGrpc(s);
  if (!o.json_out.empty()) {
    absl::Status w = WriteAtomically(o.json_out, response.report_json());
    if (!w.ok()) return w;
  }
  if (!o.html_out.empty()) {
    absl::Status w = WriteAtomically(o.html_out, response.report_html());
    if (!w.ok()) return w;
  }
  out << response.report_text();
  return absl::OkStatus();
}

}  // namespace pprl
