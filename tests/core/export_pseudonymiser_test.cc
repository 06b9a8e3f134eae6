#include "core/export_pseudonymiser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

HmacKey TestKey() { return std::move(*HmacKey::FromBytes(std::vector<uint8_t>(32, 9))); }

struct ExportRun {
  absl::StatusOr<ExportSummary> summary;
  std::vector<PseudonymousRecord> records;
};

ExportRun RunExport(const std::string& csv, ExportKind kind, bool skip_invalid = false,
                    int threads = 1, ColumnMapping mapping = {}) {
  static HmacKey key = TestKey();
  std::istringstream in(csv);
  ExportOptions options;
  options.kind = kind;
  options.file_name = "export.csv";
  options.skip_invalid = skip_invalid;
  options.threads = threads;
  options.mapping = std::move(mapping);
  ExportRun run;
  run.summary = PseudonymiseExport(in, options, key, [&](const PseudonymousRecord& r) {
    run.records.push_back(r);
    return absl::OkStatus();
  });
  return run;
}

constexpr char kCasesHeader[] =
    "case_id;achternaam;voorletters;geboortedatum;geslacht;kader;first_discussed;"
    "times_discussed;leefgebieden;goals;decisions;actions\n";

TEST(ExportPseudonymiser, CaseAttributesAreDerived) {
  ExportRun run = RunExport(std::string(kCasesHeader) +
                                "C1;Jansen;J.;15-03-1990;M;Risicoburger;2013-03-15;2;9;ja;nee;1\n"
                                "C2;Bakker;;1995-03-16;vrouw;HIC;2013-03-15;;;;;\n",
                            ExportKind::kCases);
  ASSERT_THAT(run.summary, IsOk());
  ASSERT_EQ(run.records.size(), 2u);
  const CaseAttributes& a = run.records[0].case_attributes;
  EXPECT_EQ(run.records[0].record_id, "C1");
  EXPECT_EQ(a.age, 23);  // the birthday is on the reference date
  EXPECT_EQ(a.gender, 'm');
  EXPECT_EQ(a.kader, "risicoburger");
  EXPECT_EQ(a.times_discussed, 2);
  EXPECT_EQ(a.life_domains, 9);
  EXPECT_EQ(a.goals, true);
  EXPECT_EQ(a.decisions, false);
  EXPECT_EQ(a.actions, true);
  EXPECT_EQ(run.records[0].event_day, DaysSinceEpoch({2013, 3, 15}));
  const CaseAttributes& b = run.records[1].case_attributes;
  EXPECT_EQ(b.age, 17);  // one day short of 18
  EXPECT_EQ(b.gender, 'v');
  EXPECT_EQ(b.kader, "hic");
  EXPECT_FALSE(b.times_discussed.has_value());
  EXPECT_FALSE(b.goals.has_value());
  EXPECT_EQ(run.summary->coverage.with_initials, 1);
  EXPECT_EQ(run.summary->coverage.without_initials, 1);
}

// Police records carry what a comparison group is matched on: gender and a 5-year birth band,
// never the birth date itself.
TEST(ExportPseudonymiser, PoliceRecordsCarryGenderAndABirthBand) {
  ExportRun run = RunExport(
      "incident_id,surname,initials,birth_date,incident_date,category,geslacht\n"
      "I1,Jansen,J.,02-03-1994,2013-01-01,misdrijf,V\n"
      "I2,Jansen,J.,1995-01-01,2013-01-01,misdrijf,\n"
      "I3,Bakker,P.,31-12-1989,2013-01-01,misdrijf,man\n",
      ExportKind::kIncidents);
  ASSERT_THAT(run.summary, IsOk());
  ASSERT_EQ(run.records.size(), 3u);
  EXPECT_EQ(run.records[0].person.gender, 'v');
  EXPECT_EQ(run.records[0].person.birth_band, 1990);
  EXPECT_EQ(run.records[1].person.gender, 'o');
  EXPECT_EQ(run.records[1].person.birth_band, 1995);
  EXPECT_EQ(run.records[2].person.gender, 'm');
  EXPECT_EQ(run.records[2].person.birth_band, 1985);
  // Without a gender column, convictions still get the band.
  ExportRun convictions = RunExport(
      "conviction_id;surname;first_names;birth_date;conviction_date\n"
      "V1;Visser;Anna;1971-07-07;2013-02-02\n",
      ExportKind::kConvictions);
  ASSERT_THAT(convictions.summary, IsOk());
  EXPECT_EQ(convictions.records[0].person.gender, 'o');
  EXPECT_EQ(convictions.records[0].person.birth_band, 1970);
  // A gender the parser does not know is an error naming the column, not the value.
  ExportRun bad = RunExport(
      "incident_id,surname,initials,birth_date,incident_date,gender\n"
      "I1,Jansen,J.,02-03-1994,2013-01-01,q7\n",
      ExportKind::kIncidents);
  ASSERT_THAT(bad.summary, IsOk());
  ASSERT_EQ(bad.summary->errors.size(), 1u);
  EXPECT_EQ(bad.summary->errors[0].column, "gender");
  EXPECT_THAT(bad.summary->errors[0].reason, Not(HasSubstr("q7")));
}

TEST(ExportPseudonymiser, BadRowsAreNamedByFileLineColumnAndReason) {
  ExportRun run = RunExport(std::string(kCasesHeader) +
                                "C1;Jansen;J.;15-03-1990;m;jeugd;2013-03-15;2;3;1;1;1\n"
                                "C2;Bakker;A.;31-02-19900;m;jeugd;2013-03-15;2;3;1;1;1\n"
                                "C3;;A.;01-02-1990;q;jeugd;2013-03-15;-1;12;misschien;1;1\n"
                                "C1;Visser;B.;01-02-1990;m;jeugd;2013-03-15;1;1;1;1;1\n"
                                "C5;Smit;B.;01-02-2014;m;jeugd;2013-03-15;1;1;1;1;1\n"
                                "C6;Smit;B.\n",
                            ExportKind::kCases);
  ASSERT_THAT(run.summary, IsOk());
  const ExportSummary& s = *run.summary;
  EXPECT_TRUE(s.refused);
  EXPECT_EQ(s.rows_read, 6);
  EXPECT_EQ(s.rows_invalid, 5);
  std::vector<std::string> lines;
  for (const RowError& e : s.errors) lines.push_back(FormatRowError(s.file_name, e));
  EXPECT_THAT(lines,
              ::testing::UnorderedElementsAre(
                  "export.csv:3: column birth_date: not a date in the form YYYY-MM-DD, "
                  "DD-MM-YYYY, D-M-YYYY, DD/MM/YYYY or D/M/YYYY",
                  "export.csv:4: column surname: empty",
                  "export.csv:4: column gender: not a gender code (m/v/o, man/vrouw/onbekend, M/F)",
                  "export.csv:4: column times_discussed: outside 0..100000",
                  "export.csv:4: column life_domains: outside 0..11",
                  "export.csv:4: column goals: not 0/1, ja/nee or true/false",
                  "export.csv:5: column case_id: the same case_id as line 2",
                  "export.csv:6: column birth_date: after first_discussed",
                  "export.csv:7: expected 12 fields as in the header, found 3"));
  // Refused: the sink got nothing after the first bad row, and the summary says so.
  EXPECT_LE(run.records.size(), 1u);
  std::string text = FormatSummary(s);
  EXPECT_THAT(text, HasSubstr("REFUSED"));
  for (const char* identity : {"Bakker", "Visser", "31-02-19900", "1990"}) {
    EXPECT_THAT(text, Not(HasSubstr(identity)));
  }
}

TEST(ExportPseudonymiser, SkipInvalidKeepsTheGoodRows) {
  ExportRun run = RunExport(
      "surname,initials,birth_date,incident_id,incident_date,category,role\n"
      "Jansen,J.,1990-01-01,I1,2013-01-01,Misdrijf,Verdachte\n"
      "Bakker,A.,1990-13,I2,2013-01-01,misdrijf,verdachte\n"
      "Visser,B.,1990-01-01,I3,2013-02-30,misdrijf,verdachte\n"
      "Smit,C.,1990-01-01,I4,2013-01-02,verkeer,getuige\n",
      ExportKind::kIncidents, /*skip_invalid=*/true);
  ASSERT_THAT(run.summary, IsOk());
  EXPECT_FALSE(run.summary->refused);
  EXPECT_EQ(run.summary->rows_valid, 2);
  EXPECT_EQ(run.summary->rows_invalid, 2);
  ASSERT_EQ(run.records.size(), 2u);
  EXPECT_EQ(run.records[0].record_id, "I1");
  EXPECT_EQ(run.records[0].incident_attributes.category, "misdrijf");
  EXPECT_EQ(run.records[0].incident_attributes.role, "verdachte");
  EXPECT_EQ(run.records[1].record_id, "I4");
  ASSERT_EQ(run.summary->errors.size(), 2u);
  EXPECT_EQ(FormatRowError("export.csv", run.summary->errors[1]),
            "export.csv:4: column incident_date: impossible date: the month has no such day");
}

TEST(ExportPseudonymiser, FileLevelErrorsNameTheFile) {
  EXPECT_THAT(RunExport("surname,initials\nJansen,J.\n", ExportKind::kConvictions).summary,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("export.csv: line 1: required column birth_date is missing")));
  EXPECT_THAT(RunExport("surname,achternaam,birth_date,conviction_id,conviction_date\n",
                        ExportKind::kConvictions)
                  .summary,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("both mean surname")));
  EXPECT_THAT(RunExport("surname,birth_date,conviction_id,conviction_date\n\"Jansen,1990\n",
                        ExportKind::kConvictions)
                  .summary,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("export.csv: line 2")));
  EXPECT_THAT(RunExport("", ExportKind::kCases).summary,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("export.csv: line 1")));
}

TEST(ExportPseudonymiser, MappingRenamesColumnsAndUnknownColumnsAreIgnored) {
  ExportRun run = RunExport(
      "NAAM,GEBDAT,vonnis,datum,offence,notes\nJansen,1990-01-01,V1,2013-05-05,diefstal,x\n",
      ExportKind::kConvictions, false, 1,
      {{"NAAM", "surname"},
       {"gebdat", "birth_date"},
       {"vonnis", "conviction_id"},
       {"datum", "conviction_date"}});
  ASSERT_THAT(run.summary, IsOk());
  ASSERT_EQ(run.records.size(), 1u);
  EXPECT_EQ(run.records[0].record_id, "V1");
  EXPECT_THAT(RunExport("a\n", ExportKind::kCases, false, 1, {{"a", "nonsense"}}).summary,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a known field")));
}

TEST(ExportPseudonymiser, ThreadsGiveTheSameRecordsInTheSameOrder) {
  std::string csv = "surname,initials,birth_date,incident_id,incident_date\n";
  for (int i = 0; i < 20000; ++i) {
    csv += "Name" + std::to_string(i % 977) + ",J.," + std::to_string(1 + i % 28) + "-" +
           std::to_string(1 + i % 12) + "-19" + std::to_string(50 + i % 50) + ",I" +
           std::to_string(i) + ",2013-01-01\n";
  }
  ExportRun one = RunExport(csv, ExportKind::kIncidents, false, 1);
  ExportRun four = RunExport(csv, ExportKind::kIncidents, false, 4);
  ASSERT_THAT(one.summary, IsOk());
  ASSERT_THAT(four.summary, IsOk());
  ASSERT_EQ(one.records.size(), 20000u);
  ASSERT_EQ(four.records.size(), one.records.size());
  for (size_t i = 0; i < one.records.size(); ++i) {
    ASSERT_EQ(one.records[i].record_id, four.records[i].record_id);
    ASSERT_EQ(one.records[i].keys, four.records[i].keys);
  }
}

TEST(AttributeParsers, AcceptTheDocumentedSpellings) {
  for (const char* m : {"m", "M", "man", "Man", "male"}) EXPECT_EQ(*ParseGender(m), 'm') << m;
  for (const char* v : {"v", "V", "vrouw", "F", "female"}) EXPECT_EQ(*ParseGender(v), 'v') << v;
  for (const char* o : {"o", "O", "onbekend", "", " "}) EXPECT_EQ(*ParseGender(o), 'o') << o;
  EXPECT_FALSE(ParseGender("q").ok());
  for (const char* t : {"1", "ja", "JA", "true", "True"}) EXPECT_EQ(**ParseFlag(t), true) << t;
  for (const char* f : {"0", "nee", "Nee", "false"}) EXPECT_EQ(**ParseFlag(f), false) << f;
  EXPECT_FALSE(ParseFlag("").value().has_value());
  EXPECT_FALSE(ParseFlag("2").ok());
  EXPECT_EQ(**ParseCount(" 11 ", 0, 11), 11);
  EXPECT_FALSE(ParseCount("12", 0, 11).ok());
  EXPECT_FALSE(ParseCount("3.5", 0, 11).ok());
  EXPECT_FALSE(ParseCount("-1", 0, 11).ok());
}

// Issue 14: a placeholder birth date is missing: the row is kept and counted, gets no key (so it
// is never linked on it), the case has no age and the police record no birth band.
TEST(ExportPseudonymiser, PlaceholderBirthDatesAreMissing) {
  ExportRun cases = RunExport(std::string(kCasesHeader) +
                                  "C1;Jansen;J.;1900-01-01;m;jeugd;2013-03-15;;;;;\n"
                                  "C2;Bakker;A.;01-01-1900;m;jeugd;2013-03-15;;;;;\n"
                                  "C3;Smit;B.;0001-01-01;m;jeugd;2013-03-15;;;;;\n"
                                  "C4;Kok;B.;31-12-9999;m;jeugd;2013-03-15;;;;;\n"
                                  "C5;Vos;B.;00-00-1970;m;jeugd;2013-03-15;;;;;\n"
                                  "C6;Bos;B.;1-1-1901;m;jeugd;2013-03-15;;;;;\n"
                                  "C7;Mol;B.;1990-01-01;m;jeugd;2013-03-15;;;;;\n",
                              ExportKind::kCases);
  ASSERT_THAT(cases.summary, IsOk());
  EXPECT_FALSE(cases.summary->refused);
  EXPECT_EQ(cases.summary->rows_valid, 7);
  EXPECT_EQ(cases.summary->coverage.placeholder_birth_dates, 6);
  ASSERT_EQ(cases.records.size(), 7u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_TRUE(cases.records[i].keys.empty()) << i;
    EXPECT_FALSE(cases.records[i].case_attributes.age.has_value()) << i;
  }
  EXPECT_FALSE(cases.records[6].keys.empty());
  EXPECT_EQ(cases.records[6].case_attributes.age, 23);
  // Every key holds the birth date, so no key of any level was made for the placeholders.
  int64_t keys = 0;
  for (int64_t n : cases.summary->coverage.keys_by_level) keys += n;
  EXPECT_EQ(keys, static_cast<int64_t>(cases.records[6].keys.size()));
  const std::string text = FormatSummary(*cases.summary);
  EXPECT_THAT(text, HasSubstr("birth dates treated as missing"));
  EXPECT_THAT(text, HasSubstr("6 placeholders"));
  for (const char* identity : {"Jansen", "Bakker", "9999", "1970", "1901"}) {
    EXPECT_THAT(text, Not(HasSubstr(identity)));
  }

  ExportRun police = RunExport(
      "incident_id,surname,initials,birth_date,incident_date\n"
      "I1,Jansen,J.,1900-01-01,2013-01-01\n",
      ExportKind::kIncidents);
  ASSERT_THAT(police.summary, IsOk());
  EXPECT_EQ(police.summary->rows_valid, 1);
  EXPECT_TRUE(police.records.empty());  // no key: it could never be linked, so it is not sent
  EXPECT_EQ(police.summary->coverage.police_rows_not_sent, 1);
}

// Issue 14: a birth date after the event, or more than 120 years before it, is a row error for
// every kind of export (it was for cases only).
TEST(ExportPseudonymiser, BirthDateAfterTheEventIsARowErrorForEveryKind) {
  ExportRun incidents = RunExport(
      "incident_id,surname,initials,birth_date,incident_date\n"
      "I1,Jansen,J.,2068-07-16,2013-03-01\n"
      "I2,Jansen,J.,2013-03-02,2013-03-01\n"
      "I3,Jansen,J.,2013-03-01,2013-03-01\n"
      "I4,Jansen,J.,1890-05-05,2013-03-01\n"
      "I5,Jansen,J.,1901-05-05,2025-03-01\n",
      ExportKind::kIncidents, /*skip_invalid=*/true);
  ASSERT_THAT(incidents.summary, IsOk());
  std::vector<std::string> lines;
  for (const RowError& e : incidents.summary->errors) lines.push_back(FormatRowError("i.csv", e));
  EXPECT_THAT(lines, ::testing::ElementsAre(
                         "i.csv:2: column birth_date: after incident_date",
                         "i.csv:3: column birth_date: after incident_date",
                         "i.csv:6: column birth_date: more than 120 years before incident_date"));
  // Born on the day of the incident is possible; 1890 is a placeholder (missing, so the row is
  // valid but not sent), not an error.
  EXPECT_EQ(incidents.summary->rows_valid, 2);
  ASSERT_EQ(incidents.records.size(), 1u);
  EXPECT_EQ(incidents.records[0].record_id, "I3");
  EXPECT_EQ(incidents.summary->coverage.placeholder_birth_dates, 1);

  ExportRun convictions = RunExport(
      "conviction_id,surname,initials,birth_date,conviction_date\n"
      "V1,Jansen,J.,16-07-2068,2013-03-01\n",
      ExportKind::kConvictions);
  ASSERT_THAT(convictions.summary, IsOk());
  EXPECT_TRUE(convictions.summary->refused);
  ASSERT_EQ(convictions.summary->errors.size(), 1u);
  EXPECT_EQ(FormatRowError("v.csv", convictions.summary->errors[0]),
            "v.csv:2: column birth_date: after conviction_date");
}

// An impossible birth date with one plausible reading gives the keys of that reading.
TEST(ExportPseudonymiser, ImpossibleBirthDateWithOneReadingGivesItsKeys) {
  ExportRun run = RunExport(
      "incident_id,surname,initials,birth_date,incident_date\n"
      "I1,Visser,D.,1957-06-31,2013-03-01\n"
      "I2,Visser,D.,1957-06-13,2013-03-01\n"
      "I3,Visser,D.,1957-02-29,2013-03-01\n",
      ExportKind::kIncidents);
  ASSERT_THAT(run.summary, IsOk());
  EXPECT_EQ(run.summary->rows_valid, 3);
  ASSERT_EQ(run.records.size(), 2u);  // 1957-02-29 has no single reading: missing, not sent
  EXPECT_EQ(run.records[0].keys, run.records[1].keys);
  EXPECT_EQ(run.summary->coverage.corrected_birth_dates, 1);
  EXPECT_EQ(run.summary->coverage.impossible_birth_dates, 1);
  EXPECT_EQ(run.summary->coverage.police_rows_not_sent, 1);
}

// A name double-encoded as UTF-8 is repaired (and counted): its keys are those of the name.
TEST(ExportPseudonymiser, DoubleEncodedNamesAreRepairedAndCounted) {
  ExportRun run = RunExport(
      "incident_id,surname,initials,birth_date,incident_date\n"
      "I1,M\xC3\x83\xC2\xBCller,J.,1980-05-05,2013-03-01\n"
      "I2,M\xC3\xBCller,J.,1980-05-05,2013-03-01\n"
      "I3,Muller,J.,1980-05-05,2013-03-01\n",
      ExportKind::kIncidents);
  ASSERT_THAT(run.summary, IsOk());
  ASSERT_EQ(run.records.size(), 3u);
  EXPECT_EQ(run.records[0].keys, run.records[1].keys);
  EXPECT_EQ(run.records[1].keys, run.records[2].keys);
  EXPECT_EQ(run.summary->coverage.repaired_encodings, 1);
  EXPECT_THAT(FormatSummary(*run.summary), HasSubstr("1 rows with a name written as UTF-8 twice"));
}

// Rows of delimiters only (a spreadsheet's empty rows) are skipped and counted, not refused.
TEST(ExportPseudonymiser, DelimiterOnlyRowsAreSkipped) {
  ExportRun run = RunExport(
      "sep=;\r\nincident_id;surname;initials;birth_date;incident_date\r\n"
      "I1;Jansen;J.;1980-05-05;2013-03-01\r\n;;;;\r\n;;;;\r\n\r\n",
      ExportKind::kIncidents);
  ASSERT_THAT(run.summary, IsOk());
  EXPECT_FALSE(run.summary->refused);
  EXPECT_EQ(run.summary->rows_read, 1);
  EXPECT_EQ(run.summary->rows_invalid, 0);
  EXPECT_EQ(run.summary->empty_rows_skipped, 3);
  EXPECT_TRUE(run.summary->had_sep_line);
  EXPECT_THAT(FormatSummary(*run.summary), HasSubstr("3 empty rows"));
  ASSERT_EQ(run.records.size(), 1u);
}

// The glued reading of a prefixed surname gives first_initial and surname_dob keys too, so
// "van Dijk", "Vandijk" and "Dijk" meet; a name without prefix has one reading.
TEST(ExportPseudonymiser, GluedReadingsShareKeys) {
  ExportRun run = RunExport(
      "incident_id,surname,surname_prefix,initials,birth_date,incident_date\n"
      "I1,van Dijk,,J.,1980-05-07,2013-03-01\n"
      "I2,Vandijk,,J.,1980-05-07,2013-03-01\n"
      "I3,Dijk,,J.,1980-05-07,2013-03-01\n"
      "I4,Dijk,van,J.,1980-05-07,2013-03-01\n",
      ExportKind::kIncidents);
  ASSERT_THAT(run.summary, IsOk());
  ASSERT_EQ(run.records.size(), 4u);
  auto shared = [](const PseudonymousRecord& a, const PseudonymousRecord& b, KeyLevel level) {
    for (const MatchKey& x : a.keys) {
      for (const MatchKey& y : b.keys) {
        if (x.level == level && x == y) return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(shared(run.records[0], run.records[1], KeyLevel::kFirstInitial));
  EXPECT_TRUE(shared(run.records[0], run.records[1], KeyLevel::kSurnameDob));
  EXPECT_TRUE(shared(run.records[0], run.records[2], KeyLevel::kFirstInitial));
  EXPECT_FALSE(shared(run.records[1], run.records[2], KeyLevel::kSurnameDob));
  EXPECT_EQ(run.records[0].keys, run.records[3].keys);
  EXPECT_EQ(run.records[2].keys.size(), 5u);  // one reading: full .. day_month_swapped
  EXPECT_EQ(run.records[0].keys.size(), 7u);  // and first_initial, surname_dob glued
  for (size_t i = 0; i < run.records[0].keys.size(); ++i) {
    for (size_t j = i + 1; j < run.records[0].keys.size(); ++j) {
      EXPECT_FALSE(run.records[0].keys[i] == run.records[0].keys[j]);
    }
  }
}

}  // namespace
}  // namespace pprl
