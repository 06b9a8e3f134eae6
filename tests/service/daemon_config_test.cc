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

}  // namespace
}  // namespace pprl
