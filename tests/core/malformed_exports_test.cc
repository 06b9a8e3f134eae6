// A corpus of malformed exports: each gets a clear error naming where and why, and nothing
// reaches the sink from an export that is refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "core/dates.h"
#include "core/export_pseudonymiser.h"
#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kHeader[] = "surname,initials,birth_date,incident_id,incident_date\n";

struct Outcome {
  absl::StatusOr<ExportSummary> summary;
  int delivered = 0;
};

Outcome RunExport(const std::string& content) {
  static HmacKey key = std::move(*HmacKey::FromBytes(std::vector<uint8_t>(32, 4)));
  std::istringstream in(content);
  ExportOptions o;
  o.kind = ExportKind::kIncidents;
  o.file_name = "bvh.csv";
  Outcome out;
  out.summary = PseudonymiseExport(in, o, key, [&](const PseudonymousRecord&) {
    ++out.delivered;
    return absl::OkStatus();
  });
  return out;
}

// The export's row errors as the agent prints them.
std::vector<std::string> ErrorLines(const ExportSummary& summary) {
  std::vector<std::string> lines;
  for (const RowError& e : summary.errors) lines.push_back(FormatRowError("bvh.csv", e));
  return lines;
}

TEST(MalformedExports, EachGetsAClearError) {
  struct Case {
    const char* what;
    std::string content;
    const char* expected;
  };
  std::string binary(4096, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 7919) & 0xff);
  std::string many_columns(2'000'000, ',');
  const std::vector<Case> cases = {
      {"empty", "", "bvh.csv: line 1: the file is empty"},
      {"header only, truncated", "surname,initi", "required column"},
      {"binary", binary, "bvh.csv: line"},
      {"Latin-1 instead of UTF-8", std::string(kHeader) + "M\xfcller,J.,1990-01-01,I1,2013-01-01\n",
       "bvh.csv: line 2: the row is not valid UTF-8"},
      {"a 10 MB field",
       std::string(kHeader) + std::string(10 << 20, 'x') + ",J.,1990-01-01,I1,2013-01-01\n",
       "bvh.csv: line 2: the row is longer than"},
      {"a million columns", std::string(kHeader) + many_columns + "\n",
       "bvh.csv: line 2: more than 1024 fields"},
      {"unbalanced quotes", std::string(kHeader) + "\"Jansen,J.,1990-01-01,I1,2013-01-01\n",
       "bvh.csv: line 2: a quoted field is not closed"},
      {"a stray quote", std::string(kHeader) + "Jan\"sen,J.,1990-01-01,I1,2013-01-01\n",
       "a quote inside an unquoted field"},
  };
  for (const Case& c : cases) {
    Outcome o = RunExport(c.content);
    EXPECT_THAT(o.summary, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.expected)))
        << c.what;
  }
}

TEST(MalformedExports, BadRowsAreRefusedWithTheirLines) {
  Outcome o = RunExport(std::string(kHeader) +
                        "Jansen,J.,31-02-2013,I1,2013-01-01\n"  // read 13-02-2013: after
                        "Bakker,A.,1990-01-01,I2,2013-13-01\n"  // impossible month
                        "Visser,B.,1990-01-01\n"                // too few fields
                        "123,C.,1990-01-01,I4,2013-01-01\n"     // no letters in the surname
                        "Smit,D.,1990-01-01,,2013-01-01\n"      // no record id
                        "Kok,E.,1990/01/01,I6,2013-01-01\n");   // a date format not accepted
  ASSERT_TRUE(o.summary.ok()) << o.summary.status();
  EXPECT_TRUE(o.summary->refused);
  EXPECT_EQ(o.delivered, 0);
  const std::vector<std::string> lines = ErrorLines(*o.summary);
  EXPECT_THAT(lines,
              ::testing::ElementsAre(
                  "bvh.csv:2: column birth_date: after incident_date",
                  "bvh.csv:3: column incident_date: impossible date: no such month",
                  "bvh.csv:4: expected 5 fields as in the header, found 3",
                  "bvh.csv:5: column surname: the surname has no letters",
                  "bvh.csv:6: column incident_id: empty",
                  ::testing::StartsWith("bvh.csv:7: column birth_date: not a date in the form")));
}

// Spreadsheet artefacts of the kind of outside case 12 (sep= line): blank cells right of the
// table, a no-break space or a second byte order mark around a header name. Each export is read
// whole and right; before, each was refused (every row "expected 5 fields", or "required
// column ... is missing" for a column that is there).
TEST(MalformedExports, SpreadsheetPaddingAndBlanksAroundHeaderNamesAreRead) {
  for (const std::string& content : {
           std::string(kHeader) + "Jansen,J.,1990-01-01,I1,2013-01-01,\n"
                                  "Bakker,A.,1990-01-01,I2,2013-01-01, ,,\n",
           std::string("surname,initials,birth_date\xC2\xA0,incident_id,incident_date\n") +
               "Jansen,J.,1990-01-01,I1,2013-01-01\nBakker,A.,1990-01-01,I2,2013-01-01\n",
           std::string("\xEF\xBB\xBF\xEF\xBB\xBF") + kHeader +
               "Jansen,J.,1990-01-01,I1,2013-01-01\nBakker,A.,1990-01-01,I2,2013-01-01\n",
       }) {
    Outcome o = RunExport(content);
    ASSERT_TRUE(o.summary.ok()) << o.summary.status();
    EXPECT_FALSE(o.summary->refused) << content;
    EXPECT_EQ(o.summary->rows_valid, 2) << content;
    EXPECT_EQ(o.delivered, 2) << content;
  }
  // Padding that holds something is not padding.
  Outcome o = RunExport(std::string(kHeader) + "Jansen,J.,1990-01-01,I1,2013-01-01,x\n");
  ASSERT_TRUE(o.summary.ok());
  EXPECT_TRUE(o.summary->refused);
  ASSERT_EQ(o.summary->errors.size(), 1u);
  EXPECT_EQ(FormatRowError("bvh.csv", o.summary->errors[0]),
            "bvh.csv:2: expected 5 fields as in the header, found 6");
}

// After Excel's sep= line the header is line 2, and a header error says so.
TEST(MalformedExports, AHeaderErrorNamesTheHeadersLine) {
  Outcome o = RunExport("sep=,\nsurname,initials,incident_id,incident_date\n");
  EXPECT_THAT(o.summary, StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("bvh.csv: line 2: required column birth_date")));
}

// Placeholder dates of the kind of outside case 09, in an event's date: a date standing for
// "unknown" is a row error of that column. Before, 1900-01-01 was read as a date (a case's
// reference date in 1900, counted in a cohort with empty windows) and the good birth date was
// blamed for being after it; 2150-01-01 was taken as a date.
TEST(MalformedExports, PlaceholderEventDatesAreErrorsOfTheirOwnColumn) {
  Outcome o = RunExport(std::string(kHeader) +
                        "Jansen,J.,1990-01-01,I1,1900-01-01\n"
                        "Bakker,A.,00-00-0000,I2,01-01-1900\n"
                        "Visser,B.,1990-01-01,I3,2150-01-01\n"
                        "Smit,D.,1990-01-01,I4,1-1-1901\n"
                        "Kok,E.,1990-01-01,I5,2013-01-01\n");
  ASSERT_TRUE(o.summary.ok()) << o.summary.status();
  EXPECT_TRUE(o.summary->refused);
  const std::vector<std::string> lines = ErrorLines(*o.summary);
  const auto placeholder = [](int line) {
    return ::testing::StartsWith("bvh.csv:" + std::to_string(line) +
                                 ": column incident_date: a placeholder date");
  };
  EXPECT_THAT(lines, ::testing::ElementsAre(placeholder(2), placeholder(3), placeholder(4),
                                            placeholder(5)));
}

// Red team 6: a registry's placeholder for an unknown name was read as a surname, and two
// people unknown by name with one birth date became one subject. It is an error of the surname
// column (its value not echoed); a real short name is not.
TEST(MalformedExports, PlaceholderSurnamesAreErrorsOfTheirColumn) {
  Outcome o = RunExport(std::string(kHeader) +
                        "NN,J.,1990-01-01,I1,2013-01-01\n"
                        "N.N.,A.,1990-01-01,I2,2013-01-01\n"
                        "Onbekend,,1990-01-01,I3,2013-01-01\n"
                        "XXX,B.,1990-01-01,I4,2013-01-01\n"
                        "Ng,C.,1990-01-01,I5,2013-01-01\n"
                        "van Onbekend,D.,1990-01-01,I6,2013-01-01\n"
                        "Xu,E.,1990-01-01,I7,2013-01-01\n");
  ASSERT_TRUE(o.summary.ok()) << o.summary.status();
  EXPECT_TRUE(o.summary->refused);
  const std::vector<std::string> lines = ErrorLines(*o.summary);
  const auto placeholder = [](int line) {
    return ::testing::AllOf(
        ::testing::StartsWith("bvh.csv:" + std::to_string(line) +
                              ": column surname: a placeholder for an unknown name"),
        ::testing::Not(HasSubstr("Onbekend")));
  };
  EXPECT_THAT(lines, ::testing::ElementsAre(placeholder(2), placeholder(3), placeholder(4),
                                            placeholder(5)));
}

// A police row repeated (copied twice, or overlapping exports pasted together) was read as a
// second incident of the same person on the same day and counted twice in every study
// (red team 6: the first 60 rows of a 137-row export twice raised incidents_year_before's mean
// from 2.75 to 3.82). The same incident of two people, or two roles of one person, is not a
// repeat.
TEST(MalformedExports, ARepeatedPoliceRowIsAnErrorNotASecondIncident) {
  const std::string header = "surname,initials,birth_date,incident_id,incident_date,role\n";
  Outcome o = RunExport(header +
                        "Jansen,J.,1990-01-01,I1,2013-01-01,verdachte\n"
                        "Bakker,A.,1991-01-01,I1,2013-01-01,slachtoffer\n"  // another person
                        "Jansen,J.,1990-01-01,I1,2013-01-01,getuige\n"      // another role
                        "Jansen,J.,1990-01-01,I2,2013-01-01,verdachte\n"    // another incident
                        "Jansen,J.,1990-01-01,I1,2013-01-01,verdachte\n");  // line 2 again
  ASSERT_TRUE(o.summary.ok()) << o.summary.status();
  EXPECT_TRUE(o.summary->refused);
  EXPECT_EQ(o.summary->rows_valid, 4);
  ASSERT_EQ(o.summary->errors.size(), 1u);
  EXPECT_THAT(FormatRowError("bvh.csv", o.summary->errors[0]),
              ::testing::StartsWith("bvh.csv:6: column incident_id: the same incident as line 2"));
}

// A record id comes back to the auditor in links.csv and on the terminal (`pprl links
// --explain`): one beginning with = + - @ is run as a formula by a spreadsheet (CSV
// injection), one with an escape sequence rewrites the auditor's terminal. Before, both were
// accepted, stored and written out as they were.
TEST(MalformedExports, RecordIdsThatWouldActWhereTheyAreShownAreErrors) {
  Outcome o = RunExport(std::string(kHeader) +
                        "Jansen,J.,1990-01-01,\"=HYPERLINK(\"\"http://x\"\")\",2013-01-01\n"
                        "Bakker,A.,1990-01-01,@SUM(A1),2013-01-01\n"
                        "Visser,B.,1990-01-01,+31,2013-01-01\n"
                        "Smit,D.,1990-01-01,I\x1b[2J,2013-01-01\n"
                        "Kok,E.,1990-01-01,BVH-0001,2013-01-01\n");
  ASSERT_TRUE(o.summary.ok()) << o.summary.status();
  EXPECT_TRUE(o.summary->refused);
  EXPECT_EQ(o.summary->rows_valid, 1);
  const std::vector<std::string> lines = ErrorLines(*o.summary);
  EXPECT_THAT(lines, ::testing::ElementsAre(
                         ::testing::StartsWith("bvh.csv:2: column incident_id: begins with ="),
                         ::testing::StartsWith("bvh.csv:3: column incident_id: begins with ="),
                         ::testing::StartsWith("bvh.csv:4: column incident_id: begins with ="),
                         "bvh.csv:5: column incident_id: holds a control character"));
}

// An event after the day of the export has not happened: a case "first discussed" at a meeting
// still to come, or a year typed 2031 for 2013. Before, it was a cohort member whose windows lay
// in the future and counted zero. The caller gives the day (its clock); unset, nothing is
// checked.
TEST(MalformedExports, EventsAfterTheDayOfTheExportAreErrors) {
  static HmacKey key = std::move(*HmacKey::FromBytes(std::vector<uint8_t>(32, 4)));
  const std::string content = std::string(kHeader) +
                              "Jansen,J.,1990-01-01,I1,2013-01-01\n"
                              "Bakker,A.,1990-01-01,I2,2013-06-02\n"
                              "Visser,B.,1990-01-01,I3,2031-01-01\n";
  for (bool checked : {false, true}) {
    std::istringstream in(content);
    ExportOptions o;
    o.kind = ExportKind::kIncidents;
    o.file_name = "bvh.csv";
    if (checked) o.latest_event_day = DaysSinceEpoch(Date{2013, 6, 1});
    absl::StatusOr<ExportSummary> s =
        PseudonymiseExport(in, o, key, [](const PseudonymousRecord&) { return absl::OkStatus(); });
    ASSERT_TRUE(s.ok()) << s.status();
    if (!checked) {
      EXPECT_FALSE(s->refused);
      continue;
    }
    EXPECT_TRUE(s->refused);
    std::vector<std::string> lines;
    for (const RowError& e : s->errors) lines.push_back(FormatRowError("bvh.csv", e));
    EXPECT_THAT(lines,
                ::testing::ElementsAre(
                    ::testing::StartsWith("bvh.csv:3: column incident_date: after the day"),
                    ::testing::StartsWith("bvh.csv:4: column incident_date: after the day")));
  }
}

}  // namespace
}  // namespace pprl
