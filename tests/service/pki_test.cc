// The certificate rules over real TLS (in-process gRPC servers on 127.0.0.1, port 0, with
// certificates from a development CA): one purpose per certificate (extendedKeyUsage), one OU,
// revocation through the CRL on both ends, and a client that checks the server's role and
// site before it sends anything: the rogue-server case of issue 12, where an agent started
// with another role's certificate received a data officer's raw export.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>

#include "cli/submit_command.h"
#include "proto/agent.grpc.pb.h"
#include "service/dev_ca.h"
#include "service/rpc_util.h"
#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::ReadFile;
using ::pprl::testing::StatusIs;
using ::pprl::testing::TempDir;
using ::pprl::testing::WriteFile;
using ::testing::HasSubstr;

// Stands in for an agent: counts the calls that reach it and the export bytes it receives.
class RecordingAgent final : public v1::Agent::CallbackService {
 public:
  std::atomic<int> calls{0};
  std::atomic<uint64_t> bytes{0};

  grpc::ServerReadReactor<v1::SubmitRequest>* Submit(grpc::CallbackServerContext*,
                                                     v1::SubmitReport* report) override {
    ++calls;
    class Reader : public grpc::ServerReadReactor<v1::SubmitRequest> {
     public:
      Reader(RecordingAgent* agent, v1::SubmitReport* report) : agent_(agent), report_(report) {
        StartRead(&request_);
      }
      void OnReadDone(bool ok) override {
        if (!ok) {
          report_->set_text("received\n");
          Finish(grpc::Status::OK);
          return;
        }
        agent_->bytes += request_.data().size();
        StartRead(&request_);
      }
      void OnDone() override { delete this; }

     private:
      RecordingAgent* agent_;
      v1::SubmitReport* report_;
      v1::SubmitRequest request_;
    };
    return new Reader(this, report);
  }
};

class PkiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string d = Dir();
    ASSERT_THAT(MakeDevCertificates(d), IsOk());
    auto issue = [&](const std::string& name, const std::string& role, const std::string& holder,
                     bool server, std::vector<std::string> extra_ous = {},
                     const std::string& eku = "") {
      DevCertificate c;
      c.name = name;
      c.role = role;
      c.holder = holder;
      c.server = server;
      c.extra_ous = std::move(extra_ous);
      c.ext_key_usage = eku;
      ASSERT_THAT(IssueDevCertificate(d, c), IsOk());
    };
    issue("two-ous-agent-server", "agent", "police", true, {"analyst"});
    issue("two-ous-officer", "data-officer", "officer-police", false, {"auditor"});
    issue("dual-use-agent", "agent", "police", false, {}, "serverAuth,clientAuth");
    issue("revoked-agent-police-server", "agent", "police", true);
    issue("revoked-officer", "data-officer", "officer-police", false);
    ASSERT_THAT(WriteDevCrl(d, {"revoked-agent-police-server", "revoked-officer"}), IsOk());
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string Dir() { return dir_->File("certs"); }
  static TlsFiles Files(const std::string& name) {
    return {Dir() + "/ca.pem", Dir() + "/" + name + ".pem", Dir() + "/" + name + ".key",
            Dir() + "/crl.pem"};
  }

  // A server with our credentials (what every pprl daemon uses).
  void ServePprl(const std::string& cert) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
        ServerTlsCredentials(Files(cert));
    ASSERT_THAT(creds, IsOk());
    Serve(*creds);
  }
  // A rogue server: plain gRPC TLS with some certificate of our CA and no checks of its own.
  void ServeRogue(const std::string& cert) {
    grpc::SslServerCredentialsOptions options(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = ReadFile(Dir() + "/ca.pem");
    options.pem_key_cert_pairs.push_back(
        {ReadFile(Dir() + "/" + cert + ".key"), ReadFile(Dir() + "/" + cert + ".pem")});
    Serve(grpc::SslServerCredentials(options));
  }
  void Serve(std::shared_ptr<grpc::ServerCredentials> creds) {
    agent_ = std::make_unique<RecordingAgent>();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", creds, &port_);
    builder.RegisterService(agent_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ != nullptr && port_ != 0);
  }
  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }

  // `pprl submit` as the police officer, expecting the police agent.
  absl::Status SubmitAsOfficer(const std::string& officer = "officer-police",
                               const std::string& site = "police") {
    const std::string file = work_.File("incidents.csv");
    WriteFile(file,
              "surname,initials,birth_date,incident_id,incident_date,category,role\n"
              "Kwakernaak,A.,30-06-1969,BVH1,2013-01-05,misdrijf,verdachte\n");
    SubmitOptions o;
    o.agent = Address();
    o.site = site;
    o.tls = Files(officer);
    o.kind = ExportKind::kIncidents;
    o.file = file;
    o.deadline_seconds = 20;
    std::ostringstream out;
    return RunSubmit(o, out);
  }

  // One Submit with a client that does no checks of its own, presenting `cert`.
  grpc::StatusCode RawSubmit(const std::string& cert) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(Dir() + "/ca.pem");
    options.pem_cert_chain = ReadFile(Dir() + "/" + cert + ".pem");
    options.pem_private_key = ReadFile(Dir() + "/" + cert + ".key");
    auto channel = grpc::CreateChannel(Address(), grpc::SslCredentials(options));
    grpc::ClientContext ctx;
    SetDeadline(&ctx, 20);
    v1::SubmitReport report;
    auto writer = v1::Agent::NewStub(channel)->Submit(&ctx, &report);
    v1::SubmitRequest data;
    data.set_data("abc");
    writer->Write(data);
    writer->WritesDone();
    return writer->Finish().error_code();
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
  }

  static TempDir* dir_;
  TempDir work_;
  std::unique_ptr<RecordingAgent> agent_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};
TempDir* PkiTest::dir_ = nullptr;

TEST_F(PkiTest, TheRightAgentGetsTheExport) {
  ServePprl("agent-police-server");
  EXPECT_THAT(SubmitAsOfficer(), IsOk());
  EXPECT_EQ(agent_->calls, 1);
  EXPECT_GT(agent_->bytes, 0u);  // the control: this server does receive the export
}

// The rogue-server case: a server holding a certificate of the same CA that is not the
// police agent's server certificate gets no byte of the export.
TEST_F(PkiTest, ARogueServerGetsNothing) {
  struct Case {
    const char* cert;
    const char* why;
  };
  for (const Case& c : {
           Case{"analyst", "a client-only certificate (the analyst's)"},
           Case{"linker", "another role's server certificate"},
           Case{"agent-vh-server", "another site's agent"},
           Case{"two-ous-agent-server", "two OUs"},
           Case{"revoked-agent-police-server", "revoked in the officer's CRL"},
       }) {
    ServeRogue(c.cert);
    absl::Status s = SubmitAsOfficer();
    EXPECT_FALSE(s.ok()) << c.why;
    EXPECT_THAT(s.message(), HasSubstr("nothing was sent")) << c.why << ": " << s;
    EXPECT_EQ(agent_->calls, 0) << c.why;
    EXPECT_EQ(agent_->bytes, 0u) << c.why;
    server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
  }
}

TEST_F(PkiTest, TheClientSaysWhyTheServerWasRefused) {
  ServeRogue("linker");
  EXPECT_THAT(SubmitAsOfficer(),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("the server is linker CN=linker, not agent CN=police")));
  server_->Shutdown(std::chrono::system_clock::now());
  ServeRogue("agent-vh-server");
  EXPECT_THAT(SubmitAsOfficer(),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("agent CN=veiligheidshuis, not agent CN=police")));
  server_->Shutdown(std::chrono::system_clock::now());
  ServeRogue("revoked-agent-police-server");
  EXPECT_THAT(SubmitAsOfficer(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("is revoked")));
  server_->Shutdown(std::chrono::system_clock::now());
  ServeRogue("dual-use-agent");
  EXPECT_THAT(SubmitAsOfficer(),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("must carry extendedKeyUsage serverAuth only")));
}

// The server end: a client certificate of the wrong purpose, with two OUs, or revoked never
// reaches the service.
TEST_F(PkiTest, TheServerRefusesBadClientCertificatesInTheHandshake) {
  ServePprl("agent-police-server");
  EXPECT_EQ(RawSubmit("officer-police"), grpc::StatusCode::OK);  // the control
  EXPECT_EQ(agent_->calls, 1);
  for (const char* cert :
       {"linker", "agent-police-server", "two-ous-officer", "revoked-officer", "dual-use-agent"}) {
    EXPECT_EQ(RawSubmit(cert), grpc::StatusCode::UNAVAILABLE) << cert;
  }
  EXPECT_EQ(agent_->calls, 1);
}

TEST_F(PkiTest, OurServerWillNotStartWithTwoOus) {
  EXPECT_THAT(ServerTlsCredentials(Files("two-ous-agent-server")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("has 2 OUs")));
  absl::StatusOr<Peer> peer = PeerOfCertificate(ReadFile(Dir() + "/two-ous-officer.pem"));
  EXPECT_THAT(peer.status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("exactly one role")));
  peer = PeerOfCertificate(ReadFile(Dir() + "/officer-police.pem"));
  ASSERT_THAT(peer.status(), IsOk());
  EXPECT_EQ(peer->role, Role::kDataOfficer);
  EXPECT_EQ(peer->name, "officer-police");
}

TEST_F(PkiTest, AClientNamesTheRoleItCalls) {
  EXPECT_THAT(OpenChannel("127.0.0.1:1", Files("auditor"), {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("role")));
}

}  // namespace
}  // namespace pprl
