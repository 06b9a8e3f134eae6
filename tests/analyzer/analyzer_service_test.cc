// pprl-analyzer and pprl-linker as real processes over mutual TLS, on the hand-written exports.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/linker_commands.h"
#include "cli/pseudonymise_command.h"
#include "proto/analyzer.grpc.pb.h"
#include "service/child_process.h"
#include "service/dev_ca.h"
#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::TempDir;
using ::testing::HasSubstr;

class AnalyzerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(MakeDevCertificates(dir_.File("certs")), IsOk());
    std::ostringstream log;
    ASSERT_THAT(RunKeygen({dir_.File("site.key")}, log), IsOk());
    linker_ = std::make_unique<DaemonProcess>(
        PPRL_LINKER_BIN,
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--data-dir", dir_.File("db"),
                                 "--tls-ca", Cert("ca.pem"), "--tls-cert", Cert("linker.pem"),
                                 "--tls-key", Cert("linker.key"), "--allow-agent",
                                 "police=police:incidents,convictions", "--allow-agent",
                                 "veiligheidshuis=veiligheidshuis:cases"},
        dir_.File("linker.port"), dir_.File("linker.log"));
    ASSERT_TRUE(linker_->running());
    StartAnalyzer();
    // The hand-written exports, pseudonymised and uploaded with the sites' certificates.
    const std::string data = std::string(PPRL_SOURCE_DIR) + "/tests/cli/testdata/handmade/";
    for (auto [kind, file, agent] :
         {std::tuple{ExportKind::kCases, "cases.csv", "agent-vh"},
          {ExportKind::kIncidents, "incidents.csv", "agent-police"},
          {ExportKind::kConvictions, "convictions.csv", "agent-police"}}) {
      PseudonymiseOptions p;
      p.key_file = dir_.File("site.key");
      p.kind = kind;
      p.site = std::string(agent) == "agent-vh" ? "veiligheidshuis" : "police";
      p.input = data + file;
      p.output = dir_.File(std::string(file) + ".x");
      ASSERT_THAT(RunPseudonymise(p, log), IsOk());
      ASSERT_THAT(RunUpload(Linker(agent), p.output, "", log), IsOk());
    }
    ASSERT_THAT(RunLink(Linker("auditor"), log), IsOk());
  }

  void StartAnalyzer(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--listen",          "127.0.0.1:0",
                                     "--linker",          linker_->address(),
                                     "--tls-ca",          Cert("ca.pem"),
                                     "--tls-cert",        Cert("analyzer-server.pem"),
                                     "--tls-key",         Cert("analyzer-server.key"),
                                     "--tls-client-cert", Cert("analyzer.pem"),
                                     "--tls-client-key",  Cert("analyzer.key")};
    args.insert(args.end(), extra.begin(), extra.end());
    analyzer_ = std::make_unique<DaemonProcess>(PPRL_ANALYZER_BIN, args, dir_.File("analyzer.port"),
                                                dir_.File("analyzer.log"));
    ASSERT_TRUE(analyzer_->running());
  }
  std::string Cert(const std::string& f) const { return dir_.File("certs/" + f); }
  TlsFiles As(const std::string& who) const {
    return {Cert("ca.pem"), Cert(who + ".pem"), Cert(who + ".key")};
  }
  LinkerClientOptions Linker(const std::string& who) const {
    return {linker_->address(), As(who), 30};
  }

  grpc::Status Analyze(const std::string& who, const std::string& study, v1::AnalyzeResponse* out) {
    auto channel = OpenChannel(analyzer_->address(), As(who), {Role::kAnalyzer, ""});
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 60);
    v1::AnalyzeRequest req;
    req.set_study_toml(study);
    return v1::Analyzer::NewStub(*channel)->Analyze(&ctx, req, out);
  }

  TempDir dir_;
  std::unique_ptr<DaemonProcess> linker_, analyzer_;
};

TEST_F(AnalyzerServiceTest, RolesDifferencingAndTheAuditLog) {
  v1::AnalyzeResponse r;
  grpc::Status s = Analyze("auditor", "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Analyze("agent-police", "", &r).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  ASSERT_TRUE(Analyze("analyst", "", &r).ok());
  nlohmann::json report = nlohmann::json::parse(r.report_json());
  EXPECT_EQ(report["cohort"]["n"], 20);
  // The police data's coverage came over the wire, months included (the exports' Dekker rows,
  // one a quarter, span 2011-2015; the 1995 and 1998 incidents are months no conviction has).
  EXPECT_THAT(report["cohort"]["notes"][0].get<std::string>(),
              HasSubstr("the police data cover 2011-01 to 2015-12 (whole months;"));
  EXPECT_THAT(report["cohort"]["notes"][0].get<std::string>(),
              HasSubstr("); 0 of the study's cases were left out"));
  EXPECT_THAT(r.report_text(), HasSubstr("note: the police data cover"));
  EXPECT_THAT(r.report_html(), HasSubstr("<svg"));
  EXPECT_THAT(r.report_text(), HasSubstr("Paired t-tests"));
  // The release is in the signed audit log, and report.json proves it (issue 15).
  ASSERT_TRUE(report.contains("audit"));
  EXPECT_EQ(report["audit"]["tree_head"]["tree_size"], report["audit"]["entry_sequence"]);
  ::pprl::testing::WriteFile(dir_.File("report.json"), r.report_json());
  std::ostringstream checked;
  EXPECT_THAT(RunAuditCheckReport(dir_.File("report.json"), Cert("audit-log.pub.pem"), checked),
              IsOk());
  EXPECT_THAT(checked.str(), HasSubstr("is audit entry"));
  nlohmann::json altered = report;
  altered["cohort"]["n"] = 21;
  ::pprl::testing::WriteFile(dir_.File("altered.json"), altered.dump(2));
  EXPECT_THAT(
      RunAuditCheckReport(dir_.File("altered.json"), Cert("audit-log.pub.pem"), checked).message(),
      HasSubstr("changed after its release"));

  // The analyzer restarts (it keeps nothing on disk); the released cohorts live at the linker.
  analyzer_.reset();
  StartAnalyzer();
  // The same cohort minus the one case discussed in December: one subject apart.
  s = Analyze("analyst", "[cohort]\nfirst_discussed_to = \"2013-11-30\"\n", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // The analyst reads no count (red-team F2); the auditor's entry has it (below).
  EXPECT_THAT(s.error_message(), HasSubstr("by fewer than 10 subjects"));
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("by 1")));
  // The same cohort again is allowed.
  EXPECT_TRUE(Analyze("analyst", "", &r).ok());
  // A study file with an error is named.
  s = Analyze("analyst", "[regression]\noutcome = \"height\"\n", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  std::ostringstream audit;
  ASSERT_THAT(RunAuditShow(Linker("auditor"), audit), IsOk());
  std::string log = audit.str();
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t p = log.find(what); p != std::string::npos; p = log.find(what, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("\"action\":\"report_released\""), 2u);
  EXPECT_EQ(count("\"action\":\"query_refused\""), 1u);
  EXPECT_EQ(count("cohort differs from a released one by 1 (fewer than 10)"), 1u);
  EXPECT_EQ(count("\"action\":\"cohort_request\""), 3u);
  EXPECT_GE(count("\"action\":\"denied_call\""), 2u);
  std::ostringstream verify;
  AuditVerifyOptions options{Cert("audit-log.pub.pem"), dir_.File("checkpoint.json"), ""};
  EXPECT_THAT(RunAuditVerify(Linker("auditor"), options, verify), IsOk());
  EXPECT_THAT(verify.str(), HasSubstr("audit log verified"));
}

// A study asked without a deadline, while the linker does not answer, ends at the analyzer's
// own limit instead of waiting for ever.
TEST_F(AnalyzerServiceTest, AStudyWithoutADeadlineEndsAtTheServers) {
  analyzer_.reset();
  StartAnalyzer({"--max-call-seconds", "2"});
  ASSERT_EQ(::kill(linker_->pid(), SIGSTOP), 0);
  auto channel = OpenChannel(analyzer_->address(), As("analyst"), {Role::kAnalyzer, ""});
  ASSERT_THAT(channel, IsOk());
  grpc::ClientContext ctx;  // no deadline
  v1::AnalyzeResponse r;
  const auto start = std::chrono::steady_clock::now();
  grpc::Status s = v1::Analyzer::NewStub(*channel)->Analyze(&ctx, v1::AnalyzeRequest(), &r);
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(::kill(linker_->pid(), SIGCONT), 0);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
  EXPECT_GE(waited, 1.5);
  EXPECT_LT(waited, 30);
}

// Per analyst certificate: one study at a time and a few a minute (RESOURCE_EXHAUSTED beyond,
// audited); a study may not lower the server's min_cell.
TEST_F(AnalyzerServiceTest, PerAnalystAdmissionAndThePolicy) {
  analyzer_.reset();
  StartAnalyzer({"--calls-per-minute", "4", "--concurrent-per-caller", "1", "--min-cell", "12"});
  ASSERT_EQ(::kill(linker_->pid(), SIGSTOP), 0);  // the first study waits for the linker
  grpc::Status first;
  v1::AnalyzeResponse r1, r2;
  std::thread running([&] { first = Analyze("analyst", "", &r1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::thread resume([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    ::kill(linker_->pid(), SIGCONT);
  });
  grpc::Status second = Analyze("analyst", "", &r2);
  resume.join();
  running.join();
  EXPECT_EQ(second.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << second.error_message();
  EXPECT_THAT(second.error_message(), HasSubstr("at once"));
  EXPECT_TRUE(first.ok()) << first.error_message();
  // The minute's allowance (a burst of one at 4 a minute) is spent.
  grpc::Status third = Analyze("analyst", "", &r2);
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << third.error_message();
  // The policy: min_cell 12 from the flag, in the report and the audit entry.
  nlohmann::json report = nlohmann::json::parse(r1.report_json());
  EXPECT_EQ(report["study"]["min_cell"], 12);
  std::ostringstream audit;
  ASSERT_THAT(RunAuditShow(Linker("auditor"), audit), IsOk());
  EXPECT_THAT(audit.str(), HasSubstr("\"action\":\"call_limited\""));
  EXPECT_THAT(audit.str(), HasSubstr("\"min_cell\":12"));
}

TEST_F(AnalyzerServiceTest, AStudyMayNotLowerTheServersMinCell) {
  v1::AnalyzeResponse r;
  grpc::Status s = Analyze("analyst", "[disclosure]\nmin_cell = 2\n", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("below the analyzer's disclosure policy (10)"));
  std::ostringstream audit;
  ASSERT_THAT(RunAuditShow(Linker("auditor"), audit), IsOk());
  EXPECT_THAT(audit.str(), HasSubstr("\"action\":\"query_refused\""));
  // A stricter study is fine.
  EXPECT_TRUE(Analyze("analyst", "[disclosure]\nmin_cell = 15\n", &r).ok());
}

}  // namespace
}  // namespace pprl
