#include "cli/linker_commands.h"

#include <algorithm>
#include <fstream>
#include <ostream>

#include "agent/extract_file.h"
#include "agent/linker_uploader.h"
#include "core/csv_reader.h"
#include "core/text.h"
#include "proto/linker.grpc.pb.h"

namespace pprl {
namespace {

std::string_view SourceName(v1::RecordKind k) {
  switch (k) {
    case v1::CASES:
      return "cases";
    case v1::INCIDENTS:
      return "incidents";
    case v1::CONVICTIONS:
      return "convictions";
    default:
      return "?";
  }
}

void PrintReport(const v1::LinkageReport& r, std::ostream& out) {
  out << "records: " << r.cases() << " cases, " << r.incident_records() << " incident records, "
      << r.conviction_records() << " conviction records\n"
      << "subjects: " << r.subjects() << "\n"
      << "cases linked to incidents: " << r.cases_linked_incidents() << "\n"
      << "cases linked to convictions: " << r.cases_linked_convictions() << "\n"
      << "unlinked cases: " << r.unlinked_cases() << "\n"
      << "ambiguous keys (joined nothing): " << r.ambiguous_keys() << "\n"
      << "links by key level:";
  for (const v1::LevelCount& c : r.by_level()) out << " " << c.level() << "=" << c.links();
  out << "\ncases by the level that linked them:";
  for (const v1::LevelCount& c : r.case_links_by_level())
    out << " " << c.level() << "=" << c.links();
  out << "\npolice records by the level that joined them (to a case or another police record):";
  for (const v1::LevelCount& c : r.police_joins_by_level()) {
    out << " " << c.level() << "=" << c.links();
  }
  out << "\nprobabilistic stage: " << r.candidate_pairs() << " candidate pairs, "
      << r.probabilistic_links() << " links, " << r.possible_links()
      << " possible links (not linked), " << r.twin_vetoes() << " kept apart as twins, "
      << (r.em_estimated() ? "weights estimated by EM" : "default weights (too few pairs for EM)")
      << "\n"
      << "joins refused as uncorroborated (a record without a given name to a case's name "
         "only): "
      << r.uncorroborated() << "\n"
      << "records repeated by a later extract of their site and kind (linked once): "
      << r.repeated_records() << "\n"
      << "joins refused that would have made two case groups one subject (a police record "
         "bridging cases the case file does not join): "
      << r.case_groups_kept_apart() << "\n"
      << "subjects that kept their id from the last link run: " << r.subjects_kept_id() << "\n";
  if (r.encoding_audit_size() > 0) {
    out << "encoding frequency self-audit (records, distinct values, largest share, entropy):\n";
    // The names column as wide as the longest name (kind names run to 28 characters).
    int width = 0;
    for (const v1::EncodingAudit& a : r.encoding_audit())
      width = std::max(width, static_cast<int>(std::min<size_t>(a.encoding().size(), 64)));
    for (const v1::EncodingAudit& a : r.encoding_audit()) {
      char line[200];
      std::snprintf(line, sizeof line, "  %-*.*s %10lld %10lld %9.6f %6.2f bits\n", width, 64,
                    a.encoding().c_str(), static_cast<long long>(a.records()),
                    static_cast<long long>(a.distinct()), a.largest_share(), a.entropy_bits());
      out << line;
    }
  }
  out << "inputs digest: " << r.inputs_digest() << "\n";
}

}  // namespace

absl::StatusOr<std::unique_ptr<v1::Linker::Stub>> ConnectLinker(const LinkerClientOptions& o) {
  if (o.linker.empty()) return absl::InvalidArgumentError("--linker ADDRESS is required");
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenChannel(o.linker, o.tls, {Role::kLinker, ""});
  if (!channel.ok()) return channel.status();
  return v1::Linker::NewStub(*channel);
}

absl::Status LinkerCallStatus(const grpc::Status& s, const LinkerClientOptions& o) {
  if (s.ok()) return absl::OkStatus();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE && !LastPeerRefusal().empty())
    return absl::PermissionDeniedError(LastPeerRefusal());
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return absl::UnavailableError(
        Cat("the linker at ", o.linker, " is unreachable: ", s.error_message()));
  }
  return FromGrpc(s);
}

absl::Status RunUpload(const LinkerClientOptions& o, const std::string& file,
                       const std::string& client_id, std::ostream& out) {
  absl::StatusOr<ExtractFileContents> contents = ReadExtractFile(file);
  if (!contents.ok()) return contents.status();
  absl::StatusOr<std::unique_ptr<v1::Linker::Stub>> stub = ConnectLinker(o);
  if (!stub.ok()) return stub.status();
  UploadOptions options;
  options.client_extract_id = client_id;
  options.deadline_seconds = o.deadline_seconds;
  absl::StatusOr<v1::UploadReceipt> receipt =
      UploadExtract(**stub, contents->header, contents->records, options);
  if (!receipt.ok()) return receipt.status();
  out << (receipt->created() ? "committed " : "already committed ")
      << receipt->extract().extract_id() << ": " << receipt->extract().record_count()
      << " records, digest " << receipt->extract().content_digest() << ", audit entry "
      << receipt->audit_sequence() << "\n";
  return absl::OkStatus();
}

absl::Status RunLink(const LinkerClientOptions& o, std::ostream& out) {
  absl::StatusOr<std::unique_ptr<v1::Linker::Stub>> stub = ConnectLinker(o);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext ctx;
  SetDeadline(&ctx, o.deadline_seconds);
  v1::LinkageReport report;
  absl::Status s = LinkerCallStatus((*stub)->RunLinkage(&ctx, v1::RunLinkageRequest(), &report), o);
  if (!s.ok()) return s;
  PrintReport(report, out);
  return absl::OkStatus();
}

absl::Status RunLinkageReport(const LinkerClientOptions& o, std::ostream& out) {
  absl::StatusOr<std::unique_ptr<v1::Linker::Stub>> stub = ConnectLinker(o);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext ctx;
  SetDeadline(&ctx, o.deadline_seconds);
  v1::LinkageReport report;
  absl::Status s =
      LinkerCallStatus((*stub)->GetLinkageReport(&ctx, v1::GetLinkageReportRequest(), &report), o);
  if (!s.ok()) return s;
  PrintReport(report, out);
  return absl::OkStatus();
}

absl::Status RunLinks(const LinkerClientOptions& o, const std::string& path, bool explain,
                      std::ostream& out) {
  absl::StatusOr<std::unique_ptr<v1::Linker::Stub>> stub = ConnectLinker(o);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext ctx;
  SetDeadline(&ctx, o.deadline_seconds);
  v1::LinksResponse links;
  absl::Status s = LinkerCallStatus((*stub)->GetLinks(&ctx, v1::LinksRequest(), &links), o);
  if (!s.ok()) return s;
  std::string tmp = path + ".partial";
  {
    std::ofstream f(tmp);
    f << "subject_id,source,record_id\n";
    for (const v1::LinkRow& r : links.rows()) {
      f << r.subject_id() << "," << SourceName(r.source()) << "," << CsvQuote(r.record_id())
        << "\n";
    }
    if (!f) return absl::UnavailableError(Cat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return absl::UnavailableError(Cat("cannot write ", path));
  out << "wrote " << links.rows_size() << " rows to " << path << "\n";
  if (explain) {
    // The waterfall of every record joined by the probabilistic stage: levels and partial
    // weights per field, no value. Records joined by the key cascade show their key level.
    for (const v1::LinkRow& r : links.rows()) {
      out << r.subject_id() << " " << SourceName(r.source()) << " " << r.record_id() << ": "
          << (r.level().empty() ? "not joined" : r.level());
      if (!r.evidence().empty()) out << ": " << r.evidence();
      out << "\n";
    }
  }
  return absl::OkStatus();
}

absl::Status RunExtractsList(const LinkerClientOptions& o, std::ostream& out) {
  absl::StatusOr<std::unique_ptr<v1::Linker::Stub>> stub = ConnectLinker(o);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext ctx;
  SetDeadline(&ctx, o.deadline_seconds);
  v1::ListExtractsResponse list;
  absl::Status s =
      LinkerCallStatus((*stub)->ListExtracts(&ctx, v1::ListExtractsRequest(), &list), o);
  if (!s.ok()) return s;
  for (const v1::ExtractSummary& e : list.extracts()) {
    out << e.extract_id() << "  " << e.site() << "  " << SourceName(e.kind()) << "  "
        << e.record_count() << " records  client id " << e.client_extract_id()
        << (e.withdrawn() ? "  WITHDRAWN" : "") << "\n";
  }
  out << list.extracts_size() << " extracts\n";
  return absl::OkStatus();
}

absl::Status RunExtractsWithdraw(const LinkerClientOptions& o, const std::string& extract_id,
                                 std::ostream& out) {
  absl::StatusOr<std::unique_ptr<v1::Linker::Stub>> stub = ConnectLinker(o);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext ctx;
  SetDeadline(&ctx, o.deadline_seconds);
  v1::WithdrawExtractRequest req;
  req.set_extract_id(extract_id);
  v1::ExtractSummary summary;
  absl::Status s = LinkerCallStatus((*stub)->WithdrawExtract(&ctx, req, &summary), o);
  if (!s.ok()) return s;
  out << "withdrew " << summary.extract_id() << " (" << summary.record_count() << " records)\n";
  return absl::OkStatus();
}

}  // namespace pprl
