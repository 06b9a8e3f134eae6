// libFuzzer target: every RPC request handler of the linker and the analyzer, fed arbitrary
// protobuf bytes over real gRPC with mutual TLS (an in-process server on 127.0.0.1 with a
// development CA made at start-up, an in-memory record store).
//
// Input: byte 0 picks the RPC, byte 1 the caller's certificate; the rest is the request's
// wire bytes (for Upload: a sequence of UploadRequest messages, each preceded by a 2-byte
// length). Bytes that do not decode as the request type are skipped (gRPC would refuse them
// before any handler runs). Any crash or sanitizer report is a finding; so is a status the
// handlers never return (UNKNOWN, or INTERNAL other than a store error).
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "analyzer/analyzer_service.h"
#include "linker/linker_core.h"
#include "linker/linker_service.h"
#include "linker/memory_record_store.h"
#include "proto/analyzer.grpc.pb.h"
#include "proto/linker.grpc.pb.h"
#include "service/dev_ca.h"
#include "service/rpc_util.h"

namespace {

using pprl::v1::Linker;

constexpr const char* kCallers[] = {"agent-police", "analyzer", "auditor", "analyst",
                                    "officer-police"};

struct World {
  std::string dir;
  std::unique_ptr<pprl::RecordStore> store;
  std::unique_ptr<pprl::LinkerCore> core;
  std::unique_ptr<pprl::LinkerService> linker;
  std::unique_ptr<pprl::AnalyzerService> analyzer;
  std::unique_ptr<grpc::Server> linker_server, analyzer_server;
  std::vector<std::unique_ptr<Linker::Stub>> linker_stubs;
  std::vector<std::unique_ptr<pprl::v1::Analyzer::Stub>> analyzer_stubs;
};

World* world = nullptr;

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "rpc_handlers_fuzz: %s\n", what);
    std::abort();
  }
}

pprl::TlsFiles Files(const std::string& name) {
  return {world->dir + "/ca.pem", world->dir + "/" + name + ".pem",
          world->dir + "/" + name + ".key"};
}

void CheckStatus(const grpc::Status& s) {
  Check(s.error_code() != grpc::StatusCode::UNKNOWN, "a handler returned UNKNOWN");
  Check(s.error_code() != grpc::StatusCode::UNIMPLEMENTED, "a handler is unimplemented");
}

template <typename Request>
bool Parse(const uint8_t* data, size_t size, Request* out) {
  return out->ParseFromArray(data, static_cast<int>(size));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  world = new World;
  world->dir =
      (std::filesystem::temp_directory_path() / ("pprl-rpc-fuzz-" + std::to_string(::getpid())))
          .string();
  Check(pprl::MakeDevCertificates(world->dir).ok(), "cannot make certificates");
  world->store = pprl::NewMemoryRecordStore([] { return int64_t{1000}; });
  world->core =
      std::make_unique<pprl::LinkerCore>(world->store.get(), [] { return int64_t{1000}; });
  pprl::CallLimits limits;
  limits.calls_per_minute = 1e9;  // the fuzzer is one caller calling very often
  limits.concurrent_per_caller = 1000;
  limits.max_call_seconds = 5;
  std::map<std::string, pprl::AgentGrant> agents;
  agents["police"] = {
      "police",
      {pprl::ExportKind::kCases, pprl::ExportKind::kIncidents, pprl::ExportKind::kConvictions}};
  world->linker = std::make_unique<pprl::LinkerService>(world->core.get(), limits, agents);
  auto creds = pprl::ServerTlsCredentials(Files("linker"));
  Check(creds.ok(), "no server credentials");
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", *creds, &port);
  builder.SetMaxReceiveMessageSize(pprl::kMaxMessageBytes);
  builder.RegisterService(world->linker.get());
  // The analyzer in the same server, calling the linker with its own certificate.
  world->linker_server = builder.BuildAndStart();
  Check(world->linker_server && port != 0, "the linker does not listen");
  const std::string address = "127.0.0.1:" + std::to_string(port);
  auto analyzer_channel = pprl::OpenChannel(address, Files("analyzer"), {pprl::Role::kLinker, ""});
  Check(analyzer_channel.ok(), "no analyzer channel");
  world->analyzer = std::make_unique<pprl::AnalyzerService>(Linker::NewStub(*analyzer_channel));
  auto analyzer_creds = pprl::ServerTlsCredentials(Files("analyzer-server"));
  int analyzer_port = 0;
  grpc::ServerBuilder analyzer_builder;
  analyzer_builder.AddListeningPort("127.0.0.1:0", *analyzer_creds, &analyzer_port);
  analyzer_builder.RegisterService(world->analyzer.get());
  world->analyzer_server = analyzer_builder.BuildAndStart();
  Check(world->analyzer_server && analyzer_port != 0, "the analyzer does not listen");
  for (const char* caller : kCallers) {
    auto ch = pprl::OpenChannel(address, Files(caller), {pprl::Role::kLinker, ""});
    Check(ch.ok(), "no channel");
    world->linker_stubs.push_back(Linker::NewStub(*ch));
    auto ach = pprl::OpenChannel("127.0.0.1:" + std::to_string(analyzer_port), Files(caller),
                                 {pprl::Role::kAnalyzer, ""});
    Check(ach.ok(), "no analyzer channel");
    world->analyzer_stubs.push_back(pprl::v1::Analyzer::NewStub(*ach));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int rpc = data[0] % 15;
  const size_t who = data[1] % std::size(kCallers);
  data += 2;
  size -= 2;
  Linker::Stub& s = *world->linker_stubs[who];
  grpc::ClientContext ctx;
  pprl::SetDeadline(&ctx, 20);
  auto unary = [&](auto request, auto response, auto call) {
    if (!Parse(data, size, &request)) return;
    CheckStatus(call(&ctx, request, &response));
  };
  switch (rpc) {
    case 0: {  // Upload: length-prefixed UploadRequest messages
      pprl::v1::UploadReceipt receipt;
      auto writer = s.Upload(&ctx, &receipt);
      size_t at = 0;
      while (at + 2 <= size) {
        const size_t n = std::min<size_t>((data[at] << 8) | data[at + 1], size - at - 2);
        pprl::v1::UploadRequest request;
        if (Parse(data + at + 2, n, &request) && !writer->Write(request)) break;
        at += 2 + n;
      }
      writer->WritesDone();
      CheckStatus(writer->Finish());
      break;
    }
    case 1:
      unary(pprl::v1::ListExtractsRequest(), pprl::v1::ListExtractsResponse(),
            [&](auto* c, auto& q, auto* r) { return s.ListExtracts(c, q, r); });
      break;
    case 2:
      unary(pprl::v1::WithdrawExtractRequest(), pprl::v1::ExtractSummary(),
            [&](auto* c, auto& q, auto* r) { return s.WithdrawExtract(c, q, r); });
      break;
    case 3:
      unary(pprl::v1::RunLinkageRequest(), pprl::v1::LinkageReport(),
            [&](auto* c, auto& q, auto* r) { return s.RunLinkage(c, q, r); });
      break;
    case 4:
      unary(pprl::v1::GetLinkageReportRequest(), pprl::v1::LinkageReport(),
            [&](auto* c, auto& q, auto* r) { return s.GetLinkageReport(c, q, r); });
      break;
    case 5:
      unary(pprl::v1::LinksRequest(), pprl::v1::LinksResponse(),
            [&](auto* c, auto& q, auto* r) { return s.GetLinks(c, q, r); });
      break;
    case 6:
      unary(pprl::v1::CohortRequest(), pprl::v1::CohortResponse(),
            [&](auto* c, auto& q, auto* r) { return s.GetCohort(c, q, r); });
      break;
    case 7:
      unary(pprl::v1::ComparisonPoolRequest(), pprl::v1::CohortResponse(),
            [&](auto* c, auto& q, auto* r) { return s.GetComparisonPool(c, q, r); });
      break;
    case 8:
      unary(pprl::v1::AuditEntriesRequest(), pprl::v1::AuditEntriesResponse(),
            [&](auto* c, auto& q, auto* r) { return s.GetAuditEntries(c, q, r); });
      break;
    case 9:
      unary(pprl::v1::AuditConsistencyProofRequest(), pprl::v1::AuditProof(),
            [&](auto* c, auto& q, auto* r) { return s.GetAuditConsistencyProof(c, q, r); });
      break;
    case 10:
      unary(pprl::v1::RecordAuditRequest(), pprl::v1::RecordAuditResponse(),
            [&](auto* c, auto& q, auto* r) { return s.RecordAudit(c, q, r); });
      break;
    case 11:
      unary(pprl::v1::GetReleasedCohortsRequest(), pprl::v1::ReleasedCohorts(),
            [&](auto* c, auto& q, auto* r) { return s.GetReleasedCohorts(c, q, r); });
      break;
    case 12:
      unary(pprl::v1::ReleasedCohorts(), pprl::v1::AddReleasedCohortsResponse(),
            [&](auto* c, auto& q, auto* r) { return s.AddReleasedCohorts(c, q, r); });
      break;
    default: {  // the analyzer's Analyze: a study file in arbitrary bytes
      pprl::v1::AnalyzeRequest request;
      if (!Parse(data, size, &request)) return 0;
      pprl::v1::AnalyzeResponse response;
      CheckStatus(world->analyzer_stubs[who]->Analyze(&ctx, request, &response));
      break;
    }
  }
  return 0;
}
