// The site-side commands through their library entry points, on real files.
#include "cli/pseudonymise_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "agent/extract_file.h"
#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::pprl::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

struct Identity {
  std::string surname, prefix, initials, first_names, birth_date;
};

// Identities whose every identifying string must stay out of the output.
const std::vector<Identity>& People() {
  static const auto* kPeople = new std::vector<Identity>{
      {"Berg, van der", "", "J.P.", "Jan Pieter", "01-02-1990"},
      {"\xC3\x96zt\xC3\xBCrk", "", "Th.", "Theodorus", "1985-12-31"},
      {"Hart", "'t", "IJ.", "IJsbrand", "7/3/1977"},
      {"Yilmazoglu", "", "", "Mehmet Emin", "23/11/2001"},
      {"Kwakernaak", "", "A.M.C.", "", "1969-06-30"},
  };
  return *kPeople;
}

std::string CasesCsv() {
  std::string csv =
      "case_id;achternaam;tussenvoegsel;voorletters;voornamen;geboortedatum;geslacht;kader;"
      "first_discussed;times_discussed;leefgebieden;goals;decisions;actions\n";
  int i = 0;
  for (const Identity& p : People()) {
    csv += "VH-" + std::to_string(++i) + ";\"" + p.surname + "\";" + p.prefix + ";" + p.initials +
           ";" + p.first_names + ";" + p.birth_date + ";m;risicoburger;2013-06-01;1;2;1;0;1\n";
  }
  return csv;
}

TEST(Pseudonymise, NoIdentityReachesTheOutputBytes) {
  TempDir dir;
  std::ostringstream log;
  ASSERT_THAT(RunKeygen({dir.File("site.key")}, log), IsOk());
  ::pprl::testing::WriteFile(dir.File("cases.csv"), CasesCsv());
  PseudonymiseOptions options;
  options.key_file = dir.File("site.key");
  options.kind = ExportKind::kCases;
  options.input = dir.File("cases.csv");
  options.output = dir.File("cases.pprlx");
  ASSERT_THAT(RunPseudonymise(options, log), IsOk());

  std::string out = ::pprl::testing::ReadFile(options.output);
  absl::StatusOr<ExtractFileContents> contents = ReadExtractFile(options.output);
  ASSERT_THAT(contents, IsOk());
  ASSERT_EQ(contents->records.size(), People().size());

  std::vector<std::string> forbidden;
  for (const Identity& p : People()) {
    for (const std::string& s : {p.surname, p.initials, p.first_names, p.birth_date}) {
      if (!s.empty()) forbidden.push_back(s);
    }
  }
  // Normalised and reformatted forms too.
  for (const char* s :
       {"berg",       "Berg",       "van der",    "ozturk",     "Ozturk",     "hart",
        "ijsbrand",   "yilmazoglu", "kwakernaak", "Kwakernaak", "jp",         "J.P.",
        "A.M.C.",     "amc",        "1990-02-01", "19900201",   "1985-12-31", "19851231",
        "1977-03-07", "2001-11-23", "1969-06-30", "19690630"}) {
    forbidden.push_back(s);
  }
  for (const std::string& s : forbidden) {
    EXPECT_EQ(out.find(s), std::string::npos) << "the extract contains '" << s << "'";
    EXPECT_THAT(log.str(), Not(HasSubstr(s)));
  }
  // The record ids and attributes that may leave are there.
  EXPECT_NE(out.find("VH-3"), std::string::npos);
  EXPECT_NE(out.find("risicoburger"), std::string::npos);
}

TEST(Pseudonymise, RefusedExportWritesNothingAndNamesTheLine) {
  TempDir dir;
  std::ostringstream log;
  ASSERT_THAT(RunKeygen({dir.File("site.key")}, log), IsOk());
  std::string csv = CasesCsv();
  csv += "VH-9;Jansen;;J.;;02-06-2013;m;jeugd;2013-06-01;1;2;1;0;1\n";
  ::pprl::testing::WriteFile(dir.File("cases.csv"), csv);
  PseudonymiseOptions options;
  options.key_file = dir.File("site.key");
  options.kind = ExportKind::kCases;
  options.input = dir.File("cases.csv");
  options.output = dir.File("cases.pprlx");
  EXPECT_THAT(RunPseudonymise(options, log),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nothing was written")));
  EXPECT_THAT(log.str(), HasSubstr("cases.csv:7: column birth_date: after first_discussed"));
  EXPECT_FALSE(std::filesystem::exists(options.output));
  EXPECT_FALSE(std::filesystem::exists(options.output + ".partial"));

  options.skip_invalid = true;
  ASSERT_THAT(RunPseudonymise(options, log), IsOk());
  absl::StatusOr<ExtractFileContents> contents = ReadExtractFile(options.output);
  ASSERT_THAT(contents, IsOk());
  EXPECT_EQ(contents->records.size(), People().size());
}

TEST(Pseudonymise, RefusesAReadableKeyFile) {
  TempDir dir;
  std::ostringstream log;
  ASSERT_THAT(RunKeygen({dir.File("site.key")}, log), IsOk());
  ::chmod(dir.File("site.key").c_str(), 0644);
  ::pprl::testing::WriteFile(dir.File("cases.csv"), CasesCsv());
  PseudonymiseOptions options{dir.File("site.key"),
                              ExportKind::kCases,
                              dir.File("cases.csv"),
                              dir.File("out"),
                              "",
                              false,
                              1};
  EXPECT_THAT(RunPseudonymise(options, log),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("mode 0644")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));
}

}  // namespace
}  // namespace pprl
