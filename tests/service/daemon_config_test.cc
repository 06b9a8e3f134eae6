#include "service/daemon_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::testing::HasSubstr;

TEST(DaemonConfig, TheShippedExamplesParse) {
  for (const char* name : {"linker", "agent-police", "agent-veiligheidshuis", "analyzer"}) {
    DaemonConfig c;
    ASSERT_THAT(
        LoadDaemonConfig(std::string(PPRL_SOURCE_DIR) + "/deploy/config/" + name + ".toml", &c),
        IsOk())
        << name;
    EXPECT_FALSE(c.tls.ca.empty()) << name;
    EXPECT_FALSE(c.listen.empty()) << name;
  }
  DaemonConfig police;
  ASSERT_THAT(
      LoadDaemonConfig(std::string(PPRL_SOURCE_DIR) + "/deploy/config/agent-police.toml", &police),
      IsOk());
  EXPECT_EQ(police.site, "police");
  EXPECT_EQ(police.site_kind, "police");
  EXPECT_EQ(police.linker_address, "linker.example.nl:7443");
  EXPECT_EQ(police.column_mapping.at("BVH-nummer"), "incident_id");
  EXPECT_EQ(police.officers, std::set<std::string>{"officer-police"});
  EXPECT_FALSE(police.client_cert.empty());
  EXPECT_FALSE(police.tls.crl.empty());
  DaemonConfig linker;
  ASSERT_THAT(
      LoadDaemonConfig(std::string(PPRL_SOURCE_DIR) + "/deploy/config/linker.toml", &linker),
      IsOk());
  ASSERT_EQ(linker.agents.size(), 2u);
  EXPECT_EQ(linker.agents.at("police").site, "police");
  EXPECT_EQ(linker.agents.at("police").kinds,
            (std::set<ExportKind>{ExportKind::kIncidents, ExportKind::kConvictions}));
  EXPECT_EQ(linker.agents.at("veiligheidshuis").kinds, std::set<ExportKind>{ExportKind::kCases});
}

TEST(DaemonConfig, AllowlistsAreCheckedWithFileAndLine) {
  ::pprl::testing::TempDir dir;
  ::pprl::testing::WriteFile(dir.File("a.toml"),
                             "[agents.police]\nsite = \"police\"\nkinds = [\"cases\", \"x\"]\n");
  DaemonConfig c;
  EXPECT_THAT(LoadDaemonConfig(dir.File("a.toml"), &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a.toml:1: agents.police")));
  ::pprl::testing::WriteFile(dir.File("b.toml"), "[agents.police]\nkinds = [\"cases\"]\n");
  EXPECT_THAT(LoadDaemonConfig(dir.File("b.toml"), &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs site")));
  ::pprl::testing::WriteFile(dir.File("o.toml"), "[officers]\nallowed = \"officer-police\"\n");
  EXPECT_THAT(LoadDaemonConfig(dir.File("o.toml"), &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("officers.allowed")));
  std::map<std::string, AgentGrant> grants;
  ASSERT_THAT(ParseAgentGrant("vh-1=vh-region-1:cases", &grants), IsOk());
  EXPECT_EQ(grants.at("vh-1").site, "vh-region-1");
  EXPECT_THAT(ParseAgentGrant("police:incidents", &grants),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CN=SITE:KIND")));
  EXPECT_THAT(ParseAgentGrant("police=police:thefts", &grants),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("thefts")));
}

TEST(DaemonConfig, RelativePathsAreTakenFromTheFile) {
  ::pprl::testing::TempDir dir;
  ::pprl::testing::WriteFile(dir.File("x.toml"), "data_dir = \"db\"\n[tls]\nca = \"ca.pem\"\n");
  DaemonConfig c;
  ASSERT_THAT(LoadDaemonConfig(dir.File("x.toml"), &c), IsOk());
  EXPECT_EQ(c.data_dir, dir.File("db"));
  EXPECT_EQ(c.tls.ca, dir.File("ca.pem"));
}

TEST(DaemonConfig, ErrorsNameFileAndLine) {
  ::pprl::testing::TempDir dir;
  ::pprl::testing::WriteFile(dir.File("bad.toml"), "listen = \"x\"\ndata_dir = \n");
  DaemonConfig c;
  EXPECT_THAT(LoadDaemonConfig(dir.File("bad.toml"), &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.toml:2")));
}

TEST(DaemonConfig, LimitsAreReadAndChecked) {
  ::pprl::testing::TempDir dir;
  ::pprl::testing::WriteFile(
      dir.File("l.toml"),
      "[limits]\nmax_call_seconds = 30\ncalls_per_minute = 6.5\nconcurrent_per_caller = 2\n");
  DaemonConfig c;
  ASSERT_THAT(LoadDaemonConfig(dir.File("l.toml"), &c), IsOk());
  EXPECT_EQ(c.limits.max_call_seconds, 30);
  EXPECT_EQ(c.limits.calls_per_minute, 6.5);
  EXPECT_EQ(c.limits.concurrent_per_caller, 2);
  ::pprl::testing::WriteFile(dir.File("bad.toml"), "[limits]\nmax_call_seconds = 0\n");
  EXPECT_THAT(LoadDaemonConfig(dir.File("bad.toml"), &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_call_seconds")));
}

// Debian's toml++ has undefined behaviour on some non-ASCII input (found by fuzzing): refused.
TEST(DaemonConfig, NonAsciiIsRefusedBeforeParsing) {
  ::pprl::testing::TempDir dir;
  ::pprl::testing::WriteFile(dir.File("u.toml"), "listen = \"x\"\n\xEF\xBB\x88 = 1\n");
  DaemonConfig c;
  EXPECT_THAT(LoadDaemonConfig(dir.File("u.toml"), &c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("u.toml:2: a non-ASCII")));
  EXPECT_THAT(LoadDaemonConfig(dir.File("missing.toml"), &c),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.toml")));
}

TEST(CallAdmission, LimitsEachCallerAloneByRateAndConcurrency) {
  auto now = std::chrono::steady_clock::time_point();
  CallLimits limits;
  limits.calls_per_minute = 8;  // bursts of 2
  limits.concurrent_per_caller = 3;
  CallAdmission admission(limits, [&] { return now; });
  auto a1 = admission.Admit("agent:police");
  auto a2 = admission.Admit("agent:police");
  ASSERT_THAT(a1, IsOk());
  ASSERT_THAT(a2, IsOk());
  EXPECT_THAT(admission.Admit("agent:police"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("a minute")));
  EXPECT_THAT(admission.Admit("agent:vh"), IsOk());  // another caller is not affected
  now += std::chrono::seconds(15);                   // two more tokens
  auto a3 = admission.Admit("agent:police");
  ASSERT_THAT(a3, IsOk());
  EXPECT_THAT(admission.Admit("agent:police"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("at once")));
  a1->reset();  // a call ends: its slot is free
  EXPECT_THAT(admission.Admit("agent:police"), IsOk());
  now += std::chrono::hours(1);  // the bucket holds no more than a burst
  std::vector<std::unique_ptr<CallAdmission::Ticket>> held;
  a2->reset();
  a3->reset();
  for (int i = 0; i < 3; ++i) {
    auto t = admission.Admit("agent:police");
    if (t.ok()) held.push_back(std::move(*t));
  }
  EXPECT_EQ(held.size(), 2u);
}

}  // namespace
}  // namespace pprl
