// The outside cases of issues 13 and 14 that concern names, dates and CSV files, end to end:
// each case's three exports (copied into testdata/cases) are pseudonymised with a test key and
// linked with Link(); the subjects must be the people the case stands for. Each case stands for
// a kind of fault; the kind itself is tested in name_normaliser_test, dates_test,
// csv_reader_test and export_pseudonymiser_test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/csv_reader.h"
#include "core/export_pseudonymiser.h"
#include "core/linkage.h"
#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::testing::HasSubstr;

const std::string kCasesDir = PPRL_CASES_DIR;

HmacKey TestKey() { return std::move(*HmacKey::FromBytes(std::vector<uint8_t>(32, 0x5c))); }

struct FileRun {
  ExportSummary summary;
  std::vector<PseudonymousRecord> records;
};

// Pseudonymises one export of a case; the file must be readable as a whole.
FileRun Pseudonymise(const std::string& dir, ExportKind kind, bool skip_invalid) {
  static const HmacKey key = TestKey();
  const std::string name = std::string(ExportKindName(kind)) + ".csv";
  std::ifstream in(dir + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << dir << "/" << name;
  ExportOptions options;
  options.kind = kind;
  options.file_name = name;
  options.skip_invalid = skip_invalid;
  FileRun run;
  absl::StatusOr<ExportSummary> s =
      PseudonymiseExport(in, options, key, [&](const PseudonymousRecord& r) {
        run.records.push_back(r);
        return absl::OkStatus();
      });
  EXPECT_THAT(s, IsOk()) << dir << "/" << name;
  if (s.ok()) run.summary = *s;
  if (run.summary.refused) run.records.clear();  // nothing of a refused export is kept
  return run;
}

struct CaseRun {
  std::map<ExportKind, FileRun> files;
  std::map<std::string, uint32_t> subject_of;  // "cases:C01" -> subject
  LinkageResult linkage;
};

CaseRun RunCase(const std::string& name, bool skip_invalid = false) {
  const std::string dir = kCasesDir + "/" + name;
  CaseRun run;
  std::vector<LinkInput> inputs;
  std::vector<std::string> labels;
  for (ExportKind kind : {ExportKind::kCases, ExportKind::kIncidents, ExportKind::kConvictions}) {
    FileRun f = Pseudonymise(dir, kind, skip_invalid);
    for (const PseudonymousRecord& r : f.records) {
      inputs.push_back(LinkInput{kind, std::string(ExportKindName(kind)), r.record_id, r.keys});
      labels.push_back(std::string(ExportKindName(kind)) + ":" + r.record_id);
    }
    run.files[kind] = std::move(f);
  }
  run.linkage = Link(inputs);
  for (size_t i = 0; i < labels.size(); ++i) run.subject_of[labels[i]] = run.linkage.subject_of[i];
  return run;
}

// Every record is in `groups` (one group per person); records of one group share a subject and
// records of different groups do not.
void ExpectPeople(const CaseRun& run, const std::vector<std::vector<std::string>>& groups) {
  std::set<std::string> listed;
  std::map<std::string, size_t> group_of;
  for (size_t g = 0; g < groups.size(); ++g) {
    for (const std::string& r : groups[g]) {
      group_of[r] = g;
      listed.insert(r);
    }
  }
  std::set<std::string> present;
  for (const auto& [label, subject] : run.subject_of) present.insert(label);
  EXPECT_EQ(present, listed) << "the records kept are not the records expected";
  for (const auto& [a, sa] : run.subject_of) {
    for (const auto& [b, sb] : run.subject_of) {
      if (a >= b || !group_of.contains(a) || !group_of.contains(b)) continue;
      if (group_of[a] == group_of[b]) {
        EXPECT_EQ(sa, sb) << a << " and " << b << " are one person but were not linked";
      } else {
        EXPECT_NE(sa, sb) << a << " and " << b << " are different people but were linked";
      }
    }
  }
}

// truth.csv (source,record_id,person,errors) as groups.
std::vector<std::vector<std::string>> Truth(const std::string& name) {
  std::ifstream in(kCasesDir + "/" + name + "/truth.csv");
  EXPECT_TRUE(in.good()) << name;
  CsvReader reader(in);
  EXPECT_THAT(reader.ReadHeader(), IsOk());
  std::map<std::string, std::vector<std::string>> people;
  CsvRow row;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&row);
    EXPECT_THAT(got, IsOk());
    if (!got.ok() || !*got) break;
    people[std::string(row.fields[2])].push_back(std::string(row.fields[0]) + ":" +
                                                 std::string(row.fields[1]));
  }
  std::vector<std::vector<std::string>> groups;
  for (auto& [person, records] : people) groups.push_back(std::move(records));
  return groups;
}

TEST(ExportCases, PrefixAbbreviationsInTheSurnameField) {
  CaseRun run = RunCase("exports/01-vd-abbreviation");
  ExpectPeople(run, {{"cases:C01", "incidents:I01a", "incidents:I01b", "incidents:I01c"},
                     {"cases:C02", "incidents:I02a", "incidents:I02b"},
                     {"cases:C03", "incidents:I03a"},
                     {"cases:C04", "incidents:I04a", "incidents:I04b"},
                     {"convictions:V900"}});
}

TEST(ExportCases, MoroccanParticlesApartHyphenatedGluedOrInThePrefixColumn) {
  CaseRun run = RunCase("exports/05-moroccan-el-ben");
  ExpectPeople(
      run, {{"cases:C01", "incidents:I01a", "incidents:I01b", "incidents:I01c", "incidents:I01d"},
            {"cases:C02", "incidents:I02a", "incidents:I02b", "incidents:I02c"},
            {"cases:C03", "incidents:I03a"},
            {"convictions:V900"}});
}

// Placeholder birth dates are missing: the rows are valid and counted, get no key (so the
// namesakes with the placeholder are not merged), the case is kept without an age and the
// police rows, which could never be linked, are not sent.
TEST(ExportCases, PlaceholderBirthDatesAreMissingAndNeverLinked) {
  CaseRun run = RunCase("exports/09-placeholder-birthdate");
  ExpectPeople(run, {{"cases:C01"}, {"convictions:V900"}});
  const FileRun& cases = run.files[ExportKind::kCases];
  const FileRun& incidents = run.files[ExportKind::kIncidents];
  EXPECT_EQ(cases.summary.coverage.placeholder_birth_dates, 1);
  EXPECT_EQ(incidents.summary.coverage.placeholder_birth_dates, 3);
  EXPECT_EQ(incidents.summary.rows_invalid, 0);
  EXPECT_EQ(incidents.summary.rows_valid, 3);
  EXPECT_EQ(incidents.summary.coverage.police_rows_not_sent, 3);
  EXPECT_TRUE(incidents.records.empty());
  ASSERT_EQ(cases.records.size(), 1u);
  EXPECT_TRUE(cases.records[0].keys.empty());
  EXPECT_FALSE(cases.records[0].case_attributes.age.has_value());
  EXPECT_THAT(FormatSummary(incidents.summary), HasSubstr("3 placeholders"));
  EXPECT_THAT(FormatSummary(incidents.summary), HasSubstr("3 police rows without a birth date"));
}

// A birth date after the event is a row error for police rows as for cases: the export is
// refused, naming file, line, column and reason; with skip_invalid the rows are left out.
TEST(ExportCases, FutureBirthDatesAreRowErrorsForEveryKind) {
  CaseRun refused = RunCase("exports/10-future-birthdate");
  const FileRun& incidents = refused.files[ExportKind::kIncidents];
  EXPECT_TRUE(incidents.summary.refused);
  EXPECT_EQ(incidents.summary.rows_invalid, 2);
  ASSERT_EQ(incidents.summary.errors.size(), 2u);
  EXPECT_EQ(FormatRowError("incidents.csv", incidents.summary.errors[0]),
            "incidents.csv:2: column birth_date: after incident_date");
  EXPECT_EQ(FormatRowError("incidents.csv", incidents.summary.errors[1]),
            "incidents.csv:3: column birth_date: after incident_date");
  CaseRun skipped = RunCase("exports/10-future-birthdate", /*skip_invalid=*/true);
  ExpectPeople(skipped, {{"cases:C01"}, {"convictions:V900"}});
}

// Excel's sep=; first line (cases.csv) declares the delimiter and is skipped; CRLF line ends;
// "Müller" in UTF-8 links across the files.
TEST(ExportCases, ExcelSepLineAndDoubleEncodedNames) {
  CaseRun run = RunCase("exports/12-excel-sep-line");
  ExpectPeople(run, {{"cases:C01", "incidents:I01", "convictions:V01"},
                     {"cases:C02", "incidents:I02"},
                     {"cases:C03", "incidents:I03"}});
  for (const auto& [kind, f] : run.files) {
    EXPECT_EQ(f.summary.had_sep_line, kind == ExportKind::kCases) << ExportKindName(kind);
    EXPECT_EQ(f.summary.rows_invalid, 0) << ExportKindName(kind);
    EXPECT_EQ(f.summary.coverage.repaired_encodings, 0) << ExportKindName(kind);
  }
  EXPECT_EQ(run.files[ExportKind::kCases].summary.rows_read, 3);
  EXPECT_THAT(FormatSummary(run.files[ExportKind::kCases].summary),
              HasSubstr("the first line declared the delimiter (sep=)"));
}

TEST(LinkageCases, StraySpaceInsideASurnameIsNotAPrefix) {
  const std::string name = "linkage/06-stray-space-splits-off-a-prefix";
  ExpectPeople(RunCase(name), Truth(name));
}

// 1957-06-31 does not exist; its one plausible reading (the day's digits transposed) is
// 1957-06-13, and the row is kept and linked instead of refusing the export.
TEST(LinkageCases, ImpossibleBirthDateIsReadNotRefused) {
  const std::string name = "linkage/07-impossible-dob-refuses-the-row";
  CaseRun run = RunCase(name);
  ExpectPeople(run, Truth(name));
  const FileRun& incidents = run.files[ExportKind::kIncidents];
  EXPECT_FALSE(incidents.summary.refused);
  EXPECT_EQ(incidents.summary.coverage.corrected_birth_dates, 1);
}

}  // namespace
}  // namespace pprl
