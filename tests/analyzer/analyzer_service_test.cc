// pprl-analyzer and pprl-linker as real processes over mutual TLS, on the hand-written exports.
// SHA256_* (deprecated in OpenSSL 3) for the brute force below: EVP cannot copy a midstate
// without an allocation per candidate (as in core/hmac.cc).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "cli/linker_commands.h"
#include "cli/pseudonymise_command.h"
#include "core/merkle.h"
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
    StartLinker();
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

  void StartLinker(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--listen",      "127.0.0.1:0",
                                     "--data-dir",    dir_.File("db"),
                                     "--tls-ca",      Cert("ca.pem"),
                                     "--tls-cert",    Cert("linker.pem"),
                                     "--tls-key",     Cert("linker.key"),
                                     "--allow-agent", "police=police:incidents,convictions",
                                     "--allow-agent", "veiligheidshuis=veiligheidshuis:cases"};
    args.insert(args.end(), extra.begin(), extra.end());
    linker_ = std::make_unique<DaemonProcess>(PPRL_LINKER_BIN, args, dir_.File("linker.port"),
                                              dir_.File("linker.log"));
    ASSERT_TRUE(linker_->running());
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

  // The audit log as the auditor reads it (pprl audit show): sequence -> body.
  std::map<uint64_t, std::string> AuditEntries() const {
    std::ostringstream out;
    EXPECT_THAT(RunAuditShow(Linker("auditor"), out), IsOk());
    std::map<uint64_t, std::string> entries;
    std::istringstream lines(out.str());
    for (std::string line; std::getline(lines, line);) {
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.compare(space + 1, 1, "{") != 0) continue;
      entries[std::stoull(line.substr(0, space))] = line.substr(space + 1);
    }
    return entries;
  }

  TempDir dir_;
  std::unique_ptr<DaemonProcess> linker_, analyzer_;
};

// The wording of the auditor's details (the analyst's reasons say "a group of fewer than 10"
// and "statistics about people's police counts", which carry no data).
const std::regex& AuditorOnlyWording() {
  static const std::regex kWording(
      "[0-9]+ of the cohort's|a group of [0-9]|statistics about the [a-z]+ counts|differs from a "
      "released one|the smallest group it separates");
  return kWording;
}

std::set<std::string> DigitRuns(const std::string& text) {
  std::set<std::string> out;
  static const std::regex kDigits("[0-9]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kDigits);
       it != std::sregex_iterator(); ++it)
    out.insert(it->str());
  return out;
}

// Red team 8, F1: report.json's `audit` member carried the whole release entry, with the
// auditor's details of every data-dependent withholding ("convictions: 9 of the cohort's 20
// linked"). The release entry now holds only what the report says; the details are in the
// auditor-only `release_details` entry it names. No analyst-facing artefact (report.json with
// its `audit`, the text and HTML renderings, a refusal's status and payload) holds them.
TEST_F(AnalyzerServiceTest, NoAuditorOnlyDetailReachesTheAnalyst) {
  v1::AnalyzeResponse r;
  ASSERT_TRUE(Analyze("analyst", "", &r).ok());
  nlohmann::json report = nlohmann::json::parse(r.report_json());
  const uint64_t seq = report["audit"]["entry_sequence"];
  std::map<uint64_t, std::string> log = AuditEntries();
  ASSERT_TRUE(log.contains(seq));
  // The release entry as report.json carries it is the one logged.
  EXPECT_EQ(report["audit"]["entry"], log[seq]);
  // (Not const: a missing member must fail the test, not abort it with the daemons left running.)
  nlohmann::json release = nlohmann::json::parse(log[seq]);
  ASSERT_EQ(release["action"], "report_released");
  // Only what the analyst may read, and each withheld figure as the report gives it.
  std::set<std::string> keys;
  for (const auto& [key, value] : release["detail"].items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"analyst", "comparison", "details_entry", "policy",
                                         "report_sha256", "study", "study_digest",
                                         "study_thresholds", "suppressed", "withheld"}));
  ASSERT_EQ(release["detail"]["withheld"].size(), report["suppressed"].size());
  for (size_t i = 0; i < report["suppressed"].size(); ++i) {
    EXPECT_EQ(release["detail"]["withheld"][i],
              nlohmann::json({{"pointer", report["suppressed"][i]},
                              {"reason", report["suppressed_reasons"][i]}}));
  }
  // The auditor's entry, named by the release entry, holds the rules and their details.
  ASSERT_TRUE(release["detail"]["details_entry"].is_number_unsigned()) << log[seq];
  const uint64_t details_seq = release["detail"]["details_entry"];
  ASSERT_TRUE(log.contains(details_seq));
  nlohmann::json details = nlohmann::json::parse(log[details_seq]);
  EXPECT_EQ(details["action"], "release_details");
  EXPECT_EQ(details["detail"]["report_sha256"], release["detail"]["report_sha256"]);
  EXPECT_EQ(details["detail"]["cohort_n"], 20);
  std::vector<std::string> secrets;  // the auditor's details
  for (const nlohmann::json& w : details["detail"]["withheld"])
    for (const nlohmann::json& rule : w.value("rules", nlohmann::json::array()))
      if (rule.contains("detail") && rule["detail"].is_string()) secrets.push_back(rule["detail"]);
  // The hand-written cohort has few convictions linked: the test means something only when a
  // data-dependent rule withheld figures, with a detail, as it does.
  ASSERT_FALSE(secrets.empty()) << log[details_seq];
  EXPECT_THAT(log[details_seq], HasSubstr("of the cohort's 20 linked"));

  // A refusal, with its auditor-only detail ("cohort differs from a released one by 1").
  v1::AnalyzeResponse refused;
  grpc::Status s = Analyze("analyst", "[cohort]\nfirst_discussed_to = \"2013-11-30\"\n", &refused);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  log = AuditEntries();
  bool refusal_logged = false;
  for (const auto& [n, body] : log) {
    if (body.find("differs from a released one by 1") == std::string::npos) continue;
    refusal_logged = true;
    secrets.push_back(nlohmann::json::parse(body)["detail"]["reason"]);
  }
  EXPECT_TRUE(refusal_logged);

  const std::map<std::string, std::string> artefacts = {
      {"report.json", r.report_json()},
      {"report.txt", r.report_text()},
      {"report.html", r.report_html()},
      {"the refusal's message", s.error_message()},
      {"the refusal's payload", s.error_details()},
      {"the refused call's response", refused.SerializeAsString()}};
  for (const auto& [name, text] : artefacts) {
    for (const std::string& secret : secrets)
      EXPECT_THAT(text, ::testing::Not(HasSubstr(secret))) << name;
    std::smatch m;
    EXPECT_FALSE(std::regex_search(text, m, AuditorOnlyWording())) << name << ": " << m.str();
  }
  // No number of the auditor's details that the report does not give elsewhere appears in the
  // release entry (its nonce, time and digests aside: hex and dates) or the refusal's message.
  nlohmann::json published = report;
  published.erase("audit");
  const std::set<std::string> shown = DigitRuns(published.dump());
  std::set<std::string> hidden;
  for (const std::string& secret : secrets)
    for (const std::string& d : DigitRuns(secret))
      if (!shown.contains(d)) hidden.insert(d);
  nlohmann::json entry = release;
  for (const char* hex : {"nonce", "time"}) entry.erase(hex);
  for (const char* hex : {"report_sha256", "study_digest"}) entry["detail"].erase(hex);
  for (const std::string& text : {entry.dump(), s.error_message()})
    for (const std::string& d : DigitRuns(text))
      EXPECT_FALSE(hidden.contains(d)) << d << " in " << text;
}

// Red team 8, F4: the inclusion proof in report.json publishes leaf hashes of neighbouring
// entries (or hashes over them). Before every entry had a nonce, the entries just before a
// release (its own cohort request with the cohort's size; now the auditor-only details entry)
// were found by trying their few unknown fields. Here an analyst who knows every field but the
// nonce (action, actor, role, outcome, seq and the detail as the auditor reads it) tries the
// time within 5 s of the entry's and an integer field 0..1000: nothing in the proof, nor
// the entries' own leaf hashes, matches. Without the nonce the search would have found them.
TEST_F(AnalyzerServiceTest, AnInclusionProofsSiblingsCannotBeGuessed) {
  v1::AnalyzeResponse r;
  ASSERT_TRUE(Analyze("analyst", "", &r).ok());
  nlohmann::json report = nlohmann::json::parse(r.report_json());
  const uint64_t seq = report["audit"]["entry_sequence"];
  std::vector<std::string> targets;  // raw hashes
  for (const nlohmann::json& h : report["audit"]["inclusion_proof"])
    targets.push_back(HashFromHex(h.get<std::string>()).value_or(""));
  ASSERT_FALSE(targets.empty());
  std::map<uint64_t, std::string> log = AuditEntries();
  ASSERT_GE(seq, 3u);
  for (uint64_t s = seq - 2; s < seq; ++s) targets.push_back(MerkleLeafHash(log[s]));
  // The release is leaf seq-1; when odd, proof[0] is the leaf hash of the entry just before.
  if ((seq - 1) % 2 == 1) {
    EXPECT_EQ(targets[0], MerkleLeafHash(log[seq - 1]));
  }

  constexpr int64_t kWindowMs = 5000;
  constexpr int64_t kIntSentinel = 987654321;
  const std::string time_sentinel = "TIME-SENTINEL";
  int searched = 0;
  for (uint64_t s = seq - 2; s < seq; ++s) {
    nlohmann::json body = nlohmann::json::parse(log[s]);
    ASSERT_TRUE(body.contains("nonce")) << log[s];
    const std::string field = body["detail"].contains("subjects")   ? "subjects"
                              : body["detail"].contains("cohort_n") ? "cohort_n"
                                                                    : "";
    if (field.empty()) continue;  // (a comparison pool request has "subjects" too)
    ++searched;
    const int64_t true_int = body["detail"][field];
    const std::string true_time = body["time"];
    ASSERT_LE(true_int, 1000);
    // The times to try, as the log writes them (ISO 8601 with milliseconds, UTC): 5 s either
    // side of the entry's (an analyst knows it to a few seconds from the signed head's).
    std::tm when{};
    int ms = 0;
    ASSERT_EQ(std::sscanf(true_time.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &when.tm_year, &when.tm_mon,
                          &when.tm_mday, &when.tm_hour, &when.tm_min, &when.tm_sec, &ms),
              7);
    when.tm_year -= 1900;
    when.tm_mon -= 1;
    const int64_t true_ms = int64_t{timegm(&when)} * 1000 + ms;
    std::vector<std::string> times;
    for (int64_t t = true_ms - kWindowMs; t <= true_ms + kWindowMs; ++t) {
      std::time_t secs = static_cast<std::time_t>(t / 1000);
      std::tm tm;
      gmtime_r(&secs, &tm);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    static_cast<int>(t % 1000));
      times.push_back(buf);
    }
    ASSERT_NE(std::find(times.begin(), times.end(), true_time), times.end()) << true_time;
    // The entry without its nonce, with the two unknowns as sentinels: prefix | int | middle |
    // time | suffix (keys are sorted: "detail" before "time").
    body.erase("nonce");
    const std::string without_nonce = body.dump();
    body["detail"][field] = kIntSentinel;
    body["time"] = time_sentinel;
    const std::string tmpl = body.dump();
    const size_t at_int = tmpl.find(std::to_string(kIntSentinel));
    const size_t at_time = tmpl.find(time_sentinel);
    ASSERT_LT(at_int, at_time);
    const std::string prefix = tmpl.substr(0, at_int);
    const std::string middle = tmpl.substr(at_int + std::to_string(kIntSentinel).size(),
                                           at_time - at_int - std::to_string(kIntSentinel).size());
    const std::string suffix = tmpl.substr(at_time + time_sentinel.size());
    // The search space holds the entry as it would have been written without a nonce.
    ASSERT_EQ(prefix + std::to_string(true_int) + middle + true_time + suffix, without_nonce);
    SHA256_CTX base;
    SHA256_Init(&base);
    const unsigned char zero = 0;
    SHA256_Update(&base, &zero, 1);
    SHA256_Update(&base, prefix.data(), prefix.size());
    int matches = 0;
    bool found_without_nonce = false;
    const std::string without_nonce_leaf = MerkleLeafHash(without_nonce);
    for (int64_t v = 0; v <= 1000; ++v) {
      SHA256_CTX with_int = base;
      const std::string tail = std::to_string(v) + middle;
      SHA256_Update(&with_int, tail.data(), tail.size());
      for (const std::string& t : times) {
        SHA256_CTX c = with_int;
        SHA256_Update(&c, t.data(), t.size());
        SHA256_Update(&c, suffix.data(), suffix.size());
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256_Final(digest, &c);
        for (const std::string& target : targets)
          matches += std::memcmp(digest, target.data(), sizeof digest) == 0;
        found_without_nonce = found_without_nonce ||
                              std::memcmp(digest, without_nonce_leaf.data(), sizeof digest) == 0;
      }
    }
    EXPECT_TRUE(found_without_nonce) << "the search would not have found the entry: " << log[s];
    EXPECT_EQ(matches, 0) << "a guess of audit entry " << s << " matched: " << log[s];
  }
  EXPECT_EQ(searched, 2);  // the cohort request and the release's details
  // The report still checks against the log's public key.
  ::pprl::testing::WriteFile(dir_.File("report.json"), r.report_json());
  std::ostringstream checked;
  EXPECT_THAT(RunAuditCheckReport(dir_.File("report.json"), Cert("audit-log.pub.pem"), checked),
              IsOk());
}

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

// The cohort, the pool and the released sets travel in pages and parts (a national pool is far
// larger than one message): read in pages of a few hundred bytes, and the released sets
// stored in parts of 64 bytes, the report is the one read whole, and the rerun of a released
// cohort one case smaller is still refused, so the sets read back whole from their parts.
TEST_F(AnalyzerServiceTest, TheCohortThePoolAndTheReleasedSetsComeInPages) {
  const std::string study = "[comparison]\nenabled = true\n";
  v1::AnalyzeResponse whole, paged;
  ASSERT_TRUE(Analyze("analyst", study, &whole).ok());
  analyzer_.reset();
  linker_.reset();
  StartLinker({"--page-bytes", "256"});
  StartAnalyzer({"--released-part-bytes", "64"});
  ASSERT_TRUE(Analyze("analyst", study, &paged).ok());
  nlohmann::json a = nlohmann::json::parse(whole.report_json());
  nlohmann::json b = nlohmann::json::parse(paged.report_json());
  a.erase("audit");
  b.erase("audit");
  EXPECT_EQ(a, b);
  EXPECT_EQ(b["cohort"]["n"], 20);
  // Stored in parts by this analyzer, read back by the next.
  analyzer_.reset();
  StartAnalyzer({"--released-part-bytes", "64"});
  grpc::Status s = Analyze("analyst", "[cohort]\nfirst_discussed_to = \"2013-11-30\"\n", &paged);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("by fewer than 10 subjects"));
  // Every page is in the audit log with where it started.
  size_t pages = 0, later_pages = 0;
  for (const auto& [seq, body] : AuditEntries()) {
    if (body.find("\"action\":\"cohort_request\"") == std::string::npos) continue;
    ++pages;
    if (body.find("\"from\":0") == std::string::npos) ++later_pages;
  }
  EXPECT_GT(later_pages, 2u);
  EXPECT_GT(pages, later_pages);
}

}  // namespace
}  // namespace pprl
