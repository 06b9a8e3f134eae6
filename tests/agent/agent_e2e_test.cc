// Officer -> agent -> linker with real processes over real mutual TLS.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <sstream>

#include "cli/linker_commands.h"
#include "cli/submit_command.h"
#include "core/hmac_key.h"
#include "service/child_process.h"
#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::DaemonProcess;
using ::pprl::testing::IsOk;
using ::pprl::testing::ReadFile;
using ::pprl::testing::StatusIs;
using ::pprl::testing::TempDir;
using ::pprl::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

// The identities in the test exports: none of these strings may reach the linker or a log.
const std::vector<std::string>& Identities() {
  static const auto* k = new std::vector<std::string>{
      "Kwakernaak", "kwakernaak",    "Oosterhuis", "oosterhuis", "Zwanenburg",
      "zwanenburg", "Berg, van der", "vanderberg", "J.P.",       "A.M.C.",
      "Th.",        "1969-06-30",    "30-06-1969", "19690630",   "1977-03-07",
      "7/3/1977",   "19770307",      "1985-12-31", "19851231"};
  return *k;
}

constexpr char kCases[] =
    "case_id;achternaam;voorletters;geboortedatum;geslacht;kader;first_discussed;times_discussed;"
    "leefgebieden;goals;decisions;actions\n"
    "VH1;Kwakernaak;A.M.C.;1969-06-30;m;risicoburger;2013-03-01;2;3;1;0;1\n"
    "VH2;Oosterhuis;Th.;7/3/1977;v;hic;2013-04-01;1;5;0;0;0\n"
    "VH3;\"Berg, van der\";J.P.;1985-12-31;m;jeugd;2013-05-01;3;2;1;1;1\n";
constexpr char kIncidents[] =
    "surname,initials,birth_date,incident_id,incident_date,category,role\n"
    "Kwakernaak,A.,30-06-1969,BVH1,2013-01-05,misdrijf,verdachte\n"
    "Oosterhuis,T.,1977-03-07,BVH2,2013-06-01,overtreding,verdachte\n"
    "Zwanenburg,K.,1985-12-31,BVH3,2013-02-01,misdrijf,getuige\n";
constexpr char kConvictions[] =
    "surname,initials,birth_date,conviction_id,conviction_date,offence\n"
    "Kwakernaak,A.M.C.,1969-06-30,HKS1,2013-07-01,diefstal met braak\n";

class AgentE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ASSERT_EQ(::pprl::Shell(std::string(PPRL_SOURCE_DIR) + "/deploy/make-dev-certs.sh " +
                            (dir_->path() / "certs").string() + " >/dev/null"),
              0);
    absl::StatusOr<HmacKey> key = HmacKey::Generate();
    ASSERT_THAT(WriteKeyFile((dir_->path() / "site.key").string(), *key), IsOk());
  }
  static void TearDownTestSuite() { delete dir_; }

  std::string Certs() const { return (dir_->path() / "certs").string(); }
  TlsFiles As(const std::string& name) const {
    return {Certs() + "/ca.pem", Certs() + "/" + name + ".pem", Certs() + "/" + name + ".key",
            Certs() + "/crl.pem"};
  }

  void StartLinker() {
    linker_ = std::make_unique<DaemonProcess>(
        PPRL_LINKER_BIN,
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--data-dir", work_.File("db"),
                                 "--tls-ca", Certs() + "/ca.pem", "--tls-cert",
                                 Certs() + "/linker.pem", "--tls-key", Certs() + "/linker.key",
                                 "--tls-crl", Certs() + "/crl.pem", "--allow-agent",
                                 "police=police:incidents,convictions", "--allow-agent",
                                 "veiligheidshuis=veiligheidshuis:cases"},
        work_.File("linker.port"), work_.File("linker.log"));
    ASSERT_TRUE(linker_->running());
  }
  // The agent serves with CERT-server and calls the linker with CERT; it accepts the site's
  // officer only.
  std::unique_ptr<DaemonProcess> StartAgent(const std::string& site, const std::string& kind,
                                            const std::string& cert, const std::string& linker) {
    const std::string officer = site == "police" ? "officer-police" : "officer-vh";
    auto agent = std::make_unique<DaemonProcess>(
        PPRL_AGENT_BIN,
        std::vector<std::string>{"--listen",
                                 "127.0.0.1:0",
                                 "--spool-dir",
                                 work_.File("spool-" + site),
                                 "--site",
                                 site,
                                 "--site-kind",
                                 kind,
                                 "--key-file",
                                 (dir_->path() / "site.key").string(),
                                 "--linker",
                                 linker,
                                 "--tls-ca",
                                 Certs() + "/ca.pem",
                                 "--tls-cert",
                                 Certs() + "/" + cert + "-server.pem",
                                 "--tls-key",
                                 Certs() + "/" + cert + "-server.key",
                                 "--tls-client-cert",
                                 Certs() + "/" + cert + ".pem",
                                 "--tls-client-key",
                                 Certs() + "/" + cert + ".key",
                                 "--tls-crl",
                                 Certs() + "/crl.pem",
                                 "--officer",
                                 officer},
        work_.File(site + ".port"), work_.File("agent-" + site + ".log"));
    EXPECT_TRUE(agent->running()) << ReadFile(work_.File("agent-" + site + ".log"));
    return agent;
  }
  void StartAll() {
    StartLinker();
    police_ = StartAgent("police", "police", "agent-police", linker_->address());
    vh_ = StartAgent("veiligheidshuis", "veiligheidshuis", "agent-vh", linker_->address());
  }

  absl::Status Submit(DaemonProcess& agent, const std::string& officer, ExportKind kind,
                      const std::string& content, std::string* out, bool dry_run = false,
                      bool skip_invalid = false) {
    std::string file = work_.File(std::string(ExportKindName(kind)) + ".csv");
    WriteFile(file, content);
    SubmitOptions o;
    o.agent = agent.address();
    o.site = &agent == vh_.get() ? "veiligheidshuis" : "police";
    o.tls = As(officer);
    o.kind = kind;
    o.file = file;
    o.dry_run = dry_run;
    o.skip_invalid = skip_invalid;
    o.deadline_seconds = 60;
    std::ostringstream s;
    absl::Status status = RunSubmit(o, s);
    *out = s.str();
    return status;
  }

  std::string Extracts() {
    LinkerClientOptions o{linker_->address(), As("auditor"), 30};
    std::ostringstream s;
    EXPECT_THAT(RunExtractsList(o, s), IsOk());
    return s.str();
  }

  static TempDir* dir_;
  TempDir work_;
  std::unique_ptr<DaemonProcess> linker_, police_, vh_;
};
TempDir* AgentE2eTest::dir_ = nullptr;

TEST_F(AgentE2eTest, EachKindTravelsAndNoIdentityReachesTheLinker) {
  StartAll();
  std::string out;
  ASSERT_THAT(Submit(*vh_, "officer-vh", ExportKind::kCases, kCases, &out), IsOk()) << out;
  EXPECT_THAT(out, HasSubstr("uploaded: 3 pseudonymised records"));
  ASSERT_THAT(Submit(*police_, "officer-police", ExportKind::kIncidents, kIncidents, &out), IsOk())
      << out;
  EXPECT_THAT(out, HasSubstr("uploaded: 3 pseudonymised records"));
  ASSERT_THAT(Submit(*police_, "officer-police", ExportKind::kConvictions, kConvictions, &out),
              IsOk())
      << out;
  EXPECT_THAT(out, HasSubstr("uploaded: 1 pseudonymised records"));
  // Submitting the same file again changes nothing.
  ASSERT_THAT(Submit(*police_, "officer-police", ExportKind::kIncidents, kIncidents, &out), IsOk());
  EXPECT_THAT(out, HasSubstr("already uploaded before"));
  std::string list = Extracts();
  EXPECT_THAT(list, HasSubstr("3 extracts"));

  LinkerClientOptions auditor{linker_->address(), As("auditor"), 30};
  std::ostringstream report;
  ASSERT_THAT(RunLink(auditor, report), IsOk());
  EXPECT_THAT(report.str(),
              HasSubstr("records: 3 cases, 3 incident records, 1 conviction records"));
  EXPECT_THAT(report.str(), HasSubstr("cases linked to incidents: 2"));
  EXPECT_THAT(report.str(), HasSubstr("cases linked to convictions: 1"));

  // Stop everything, then search the linker's data directory, raw and through RocksDB.
  police_.reset();
  vh_.reset();
  ASSERT_EQ(linker_->Stop(), 0);
  std::string raw;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(work_.File("db"))) {
    if (entry.is_regular_file()) raw += ReadFile(entry.path().string());
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* n : {"default", "extracts", "records", "meta", "audit"}) {
    cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(
      rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), work_.File("db"), cfs, &handles, &db)
          .ok());
  std::string logical;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      logical += it->key().ToString();
      logical += it->value().ToString();
    }
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  EXPECT_THAT(logical, HasSubstr("risicoburger"));  // the search does see stored values
  EXPECT_THAT(logical, HasSubstr("BVH2"));
  for (const std::string& id : Identities()) {
    EXPECT_EQ(raw.find(id), std::string::npos) << "'" << id << "' in the linker's files";
    EXPECT_EQ(logical.find(id), std::string::npos) << "'" << id << "' in the linker's store";
  }
  EXPECT_EQ(logical.find("diefstal"), std::string::npos) << "offence text reached the linker";
}

TEST_F(AgentE2eTest, DryRunUploadsNothing) {
  StartAll();
  std::string out;
  ASSERT_THAT(Submit(*police_, "officer-police", ExportKind::kIncidents, kIncidents, &out,
                     /*dry_run=*/true),
              IsOk());
  EXPECT_THAT(out, HasSubstr("dry run: nothing was uploaded"));
  EXPECT_THAT(Extracts(), HasSubstr("0 extracts"));
}

TEST_F(AgentE2eTest, OneBadRowRefusesTheFileAndSkipInvalidUploadsTheRest) {
  StartAll();
  std::string bad =
      std::string(kIncidents) + "Visser,B.,04-03-2013,BVH4,2013-03-03,misdrijf,verdachte\n";
  std::string out;
  EXPECT_THAT(Submit(*police_, "officer-police", ExportKind::kIncidents, bad, &out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nothing was uploaded")));
  EXPECT_THAT(out, HasSubstr("incidents.csv:5: column birth_date: after incident_date"));
  EXPECT_THAT(Extracts(), HasSubstr("0 extracts"));
  ASSERT_THAT(Submit(*police_, "officer-police", ExportKind::kIncidents, bad, &out, false,
                     /*skip_invalid=*/true),
              IsOk());
  EXPECT_THAT(out, HasSubstr("incidents.csv:5: column birth_date"));
  EXPECT_THAT(out, HasSubstr("uploaded: 3 pseudonymised records"));
  EXPECT_THAT(Extracts(), HasSubstr("3 records"));
  // The agent's log names lines and reasons, never a value.
  std::string log = ReadFile(work_.File("agent-police.log"));
  EXPECT_THAT(log, HasSubstr("\"line\":\"5\""));
  for (const std::string& id : Identities()) EXPECT_THAT(log, Not(HasSubstr(id)));
  EXPECT_THAT(log, Not(HasSubstr("Visser")));
  EXPECT_THAT(log, Not(HasSubstr("04-03-2013")));
}

TEST_F(AgentE2eTest, AWrongKindForTheSiteIsRefused) {
  StartAll();
  std::string out;
  EXPECT_THAT(
      Submit(*police_, "officer-police", ExportKind::kCases, kCases, &out),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not take cases exports")));
  EXPECT_THAT(
      Submit(*vh_, "officer-vh", ExportKind::kIncidents, kIncidents, &out),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not take incidents exports")));
  EXPECT_THAT(Submit(*police_, "analyst", ExportKind::kIncidents, kIncidents, &out),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("data officers only")));
  EXPECT_THAT(Extracts(), HasSubstr("0 extracts"));
}

TEST_F(AgentE2eTest, AnUnreachableLinkerIsAClearErrorAndStoresNothing) {
  StartLinker();
  // The agent points at a port nobody listens on.
  auto agent = StartAgent("police", "police", "agent-police", "127.0.0.1:1");
  std::string out;
  absl::Status s = Submit(*agent, "officer-police", ExportKind::kIncidents, kIncidents, &out);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("linker is unreachable")));
  EXPECT_THAT(std::string(s.message()), HasSubstr("nothing was stored"));
  EXPECT_THAT(Extracts(), HasSubstr("0 extracts"));
  EXPECT_TRUE(std::filesystem::is_empty(work_.File("spool-police")));  // no export left behind
}

TEST_F(AgentE2eTest, ExportsLeftByADeadAgentAreRemovedAtStart) {
  std::filesystem::create_directories(work_.File("spool-police"));
  WriteFile(work_.File("spool-police/submission-4242-0.csv"), kIncidents);  // as a crash leaves it
  StartLinker();
  auto agent = StartAgent("police", "police", "agent-police", linker_->address());
  EXPECT_FALSE(std::filesystem::exists(work_.File("spool-police/submission-4242-0.csv")));
  EXPECT_THAT(ReadFile(work_.File("agent-police.log")),
              HasSubstr("removed unfinished submissions"));
}

// An agent takes exports only from the officers in its list; the officer who submitted is named
// in the linker's audit entry of the submission.
TEST_F(AgentE2eTest, OnlyListedOfficersSubmitAndTheOfficerIsInTheAuditEntry) {
  StartAll();
  std::string out;
  // officer-vh holds a valid data-officer certificate, but not for the police agent.
  EXPECT_THAT(Submit(*police_, "officer-vh", ExportKind::kIncidents, kIncidents, &out),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("officer-vh is not in this agent's list of data officers")));
  EXPECT_THAT(Extracts(), HasSubstr("0 extracts"));
  ASSERT_THAT(Submit(*police_, "officer-police", ExportKind::kIncidents, kIncidents, &out), IsOk())
      << out;
  LinkerClientOptions auditor{linker_->address(), As("auditor"), 30};
  std::ostringstream audit;
  ASSERT_THAT(RunAuditShow(auditor, audit), IsOk());
  int submissions = 0;
  std::istringstream lines(audit.str());
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"action\":\"submission\"") == std::string::npos) continue;
    ++submissions;
    EXPECT_THAT(line, HasSubstr("\"officer\":\"officer-police\"")) << line;
    EXPECT_THAT(line, HasSubstr("\"site\":\"police\"")) << line;
  }
  EXPECT_EQ(submissions, 1) << audit.str();
}

}  // namespace
}  // namespace pprl
