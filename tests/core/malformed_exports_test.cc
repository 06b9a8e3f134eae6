// A corpus of malformed exports: each gets a clear error naming where and why, and nothing
// reaches the sink from an export that is refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

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
  std::vector<std::string> lines;
  for (const RowError& e : o.summary->errors) lines.push_back(FormatRowError("bvh.csv", e));
  EXPECT_THAT(lines,
              ::testing::ElementsAre(
                  "bvh.csv:2: column birth_date: after incident_date",
                  "bvh.csv:3: column incident_date: impossible date: no such month",
                  "bvh.csv:4: expected 5 fields as in the header, found 3",
                  "bvh.csv:5: column surname: the surname has no letters",
                  "bvh.csv:6: column incident_id: empty",
                  ::testing::StartsWith("bvh.csv:7: column birth_date: not a date in the form")));
}

}  // namespace
}  // namespace pprl
