#include "core/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Parsed {
  char delimiter;
  std::vector<std::vector<std::string>> rows;  // header first
  std::vector<int64_t> lines;
};

absl::StatusOr<Parsed> ParseAll(const std::string& text, CsvLimits limits = {}) {
  std::istringstream in(text);
  CsvReader reader(in, limits);
  Parsed p;
  absl::StatusOr<CsvRow> header = reader.ReadHeader();
  if (!header.ok()) return header.status();
  p.rows.emplace_back(header->fields.begin(), header->fields.end());
  p.lines.push_back(header->line);
  CsvRow row;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&row);
    if (!got.ok()) return got.status();
    if (!*got) break;
    p.rows.emplace_back(row.fields.begin(), row.fields.end());
    p.lines.push_back(row.line);
  }
  p.delimiter = reader.delimiter();
  return p;
}

TEST(CsvReader, CommaAndLf) {
  absl::StatusOr<Parsed> p = ParseAll("a,b,c\n1,2,3\n4,5,6\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->delimiter, ',');
  EXPECT_THAT(p->rows, ElementsAre(ElementsAre("a", "b", "c"), ElementsAre("1", "2", "3"),
                                   ElementsAre("4", "5", "6")));
}

TEST(CsvReader, SemicolonDetectedFromHeader) {
  absl::StatusOr<Parsed> p =
      ParseAll("achternaam;voorletters;geboortedatum\nBerg, van der;J.P.;1-2-1990\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->delimiter, ';');
  EXPECT_THAT(p->rows[1], ElementsAre("Berg, van der", "J.P.", "1-2-1990"));
}

TEST(CsvReader, QuotedSemicolonInHeaderDoesNotFoolDetection) {
  absl::StatusOr<Parsed> p = ParseAll("\"a;b\",c,d\n1,2,3\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->delimiter, ',');
  EXPECT_THAT(p->rows[0], ElementsAre("a;b", "c", "d"));
}

TEST(CsvReader, BomAndCrlf) {
  absl::StatusOr<Parsed> p = ParseAll("\xEF\xBB\xBFsurname,x\r\nJansen,1\r\nBakker,2\r\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->rows, ElementsAre(ElementsAre("surname", "x"), ElementsAre("Jansen", "1"),
                                   ElementsAre("Bakker", "2")));
}

TEST(CsvReader, QuotedDelimitersQuotesAndNewlines) {
  absl::StatusOr<Parsed> p =
      ParseAll("a,b\n\"Berg, van der\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\nlast,\"\"\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->rows,
              ElementsAre(ElementsAre("a", "b"), ElementsAre("Berg, van der", "say \"hi\""),
                          ElementsAre("two\nlines", "x"), ElementsAre("last", "")));
  // The record after a quoted line break starts on physical line 5.
  EXPECT_THAT(p->lines, ElementsAre(1, 2, 3, 5));
}

TEST(CsvReader, NoTrailingNewlineAndEmptyFields) {
  // The row of delimiters only (",,") holds no record and is skipped (issue 14).
  absl::StatusOr<Parsed> p = ParseAll("a,b,c\n,,\n1,,3");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->rows, ElementsAre(ElementsAre("a", "b", "c"), ElementsAre("1", "", "3")));
}

TEST(CsvReader, BlankLinesAreSkippedButCounted) {
  absl::StatusOr<Parsed> p = ParseAll("a\n\n1\n\n\n2\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->lines, ElementsAre(1, 3, 6));
}

TEST(CsvReader, LoneCarriageReturnEndsALine) {
  absl::StatusOr<Parsed> p = ParseAll("a,b\r1,2\r");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->rows, ElementsAre(ElementsAre("a", "b"), ElementsAre("1", "2")));
}

TEST(CsvReader, FieldsSpanningBlockBoundaries) {
  // Fields longer than the 64 KiB read block, quoted and not.
  std::string big(200000, 'x');
  std::string text = "a,b\n\"" + big + "\"," + big + "\n";
  absl::StatusOr<Parsed> p = ParseAll(text);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->rows.size(), 2u);
  EXPECT_EQ(p->rows[1][0], big);
  EXPECT_EQ(p->rows[1][1], big);
}

TEST(CsvReader, ManyRowsStreamWithCorrectLines) {
  std::string text = "id,name\n";
  for (int i = 0; i < 50000; ++i)
    text += std::to_string(i) + ",\"n\"\"" + std::to_string(i) + "\"\r\n";
  absl::StatusOr<Parsed> p = ParseAll(text);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->rows.size(), 50001u);
  EXPECT_EQ(p->rows[50000][0], "49999");
  EXPECT_EQ(p->rows[50000][1], "n\"49999");
  EXPECT_EQ(p->lines[50000], 50001);
}

TEST(CsvReader, UnclosedQuoteNamesTheLine) {
  EXPECT_THAT(ParseAll("a,b\n1,2\n3,\"open\n4,5\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 3: a quoted field is not closed")));
}

TEST(CsvReader, StrayQuoteIsAnError) {
  EXPECT_THAT(ParseAll("a,b\n1,x\"y\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2: a quote inside")));
  EXPECT_THAT(ParseAll("a,b\n1,\"x\"y\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 2: text after the closing quote")));
}

TEST(CsvReader, InvalidUtf8IsAnError) {
  EXPECT_THAT(ParseAll("a,b\nM\xfcller,1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 2: the row is not valid UTF-8")));
}

TEST(CsvReader, LimitsAreEnforced) {
  CsvLimits limits;
  limits.max_record_bytes = 100;
  limits.max_fields = 5;
  EXPECT_THAT(ParseAll("a\n" + std::string(101, 'x') + "\n", limits),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2: the row is longer")));
  EXPECT_THAT(
      ParseAll("a\n1,2,3,4,5,6\n", limits),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2: more than 5 fields")));
}

TEST(CsvReader, EmptyFileHasNoHeader) {
  EXPECT_THAT(ParseAll(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ParseAll("\xEF\xBB\xBF"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(IsValidUtf8("plain ascii text longer than eight"));
  EXPECT_TRUE(IsValidUtf8("Öztürk ễ ĳ ß 𝄞"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("abc\xe2\x82"));       // truncated
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));  // beyond U+10FFFF
}

// Issue 14: Excel's sep= first line declares the delimiter and is skipped.
TEST(CsvReader, ExcelSepLineDeclaresTheDelimiter) {
  for (const std::string& sep_line :
       {std::string("sep=;\n"), std::string("sep=;\r\n"), std::string("SEP=;\n"),
        std::string("\"sep=;\"\r\n"), std::string("\xEF\xBB\xBFsep=;\n"),
        std::string("sep=;;;\n")}) {
    // The header alone would be read as comma-separated: more commas than semicolons.
    absl::StatusOr<Parsed> p = ParseAll(sep_line + "a,x;b,y;c\n1,2;3;4\n");
    ASSERT_TRUE(p.ok()) << sep_line << p.status();
    EXPECT_EQ(p->delimiter, ';') << sep_line;
    EXPECT_THAT(p->rows, ElementsAre(ElementsAre("a,x", "b,y", "c"), ElementsAre("1,2", "3", "4")))
        << sep_line;
    EXPECT_THAT(p->lines, ElementsAre(2, 3)) << sep_line;  // physical lines
  }
  absl::StatusOr<Parsed> comma = ParseAll("sep=,\na;b,c\n1;2,3\n");
  ASSERT_TRUE(comma.ok()) << comma.status();
  EXPECT_EQ(comma->delimiter, ',');
  EXPECT_THAT(comma->rows[0], ElementsAre("a;b", "c"));
  absl::StatusOr<Parsed> tab = ParseAll("sep=\t\na\tb\n1\t2\n");
  ASSERT_TRUE(tab.ok()) << tab.status();
  EXPECT_THAT(tab->rows[1], ElementsAre("1", "2"));
}

TEST(CsvReader, AHeaderThatMerelyStartsWithSepIsAHeader) {
  absl::StatusOr<Parsed> p = ParseAll("sep=;x,y\n1,2\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->rows[0], ElementsAre("sep=;x", "y"));
  absl::StatusOr<Parsed> q = ParseAll("separator,b\n1,2\n");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_THAT(q->rows[0], ElementsAre("separator", "b"));
  EXPECT_THAT(ParseAll("sep=;\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2: the file is empty")));
}

// Issue 14: rows of delimiters only (a spreadsheet's empty rows) are skipped and counted.
TEST(CsvReader, DelimiterOnlyRowsAreSkippedAndCounted) {
  std::istringstream in("a;b;c;d\n1;2;3;4\n;;;\n ; ;;\n\n5;6;7;8\n;;;\r\n\"\";;;\n;;;");
  CsvReader reader(in);
  ASSERT_THAT(reader.ReadHeader(), ::pprl::testing::IsOk());
  CsvRow row;
  std::vector<int64_t> lines;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&row);
    ASSERT_TRUE(got.ok()) << got.status();
    if (!*got) break;
    lines.push_back(row.line);
  }
  EXPECT_THAT(lines, ElementsAre(2, 6));
  EXPECT_EQ(reader.empty_rows_skipped(), 6);
  EXPECT_FALSE(reader.had_sep_line());
}

}  // namespace
}  // namespace pprl
