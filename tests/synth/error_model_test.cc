// The synthetic generator's error model (issue 13) and the scoring of links against its truth
// (evaluate-linkage, issue 14).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "core/csv_reader.h"
#include "core/dates.h"
#include "core/text.h"
#include "synth/linkage_truth.h"
#include "synth/synthetic_exports.h"
#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::testing::HasSubstr;

// id -> fields of one export.
std::map<std::string, std::vector<std::string>> ReadExport(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  CsvReader reader(in);
  EXPECT_THAT(reader.ReadHeader(), IsOk());
  std::map<std::string, std::vector<std::string>> out;
  CsvRow row;
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&row);
    EXPECT_THAT(got, IsOk());
    if (!got.ok() || !*got) break;
    out[std::string(row.fields[0])] = {row.fields.begin(), row.fields.end()};
  }
  return out;
}

bool HasKind(const std::string& errors, std::string_view kind) {
  for (std::string_view k : SplitAny(errors, "+"))
    if (k == kind) return true;
  return false;
}

// Writes exports with only `kind` (at `rate`) and returns the truth rows of convictions.csv,
// whose rows carry first names and the surname with its prefix in a column of its own or not.
struct Generated {
  std::vector<TruthRow> truth;
  std::map<std::string, std::vector<std::string>> convictions;  // vonnis_id -> fields
};
Generated Generate(const ::pprl::testing::TempDir& dir, const std::string& kind, double rate) {
  SynthOptions o;
  o.seed = 7;
  o.people = 4000;
  o.cases = 100;
  o.errors = ErrorModel{};
  EXPECT_THAT(SetErrorRate(kind + "=" + std::to_string(rate), &o.errors), IsOk());
  EXPECT_THAT(WriteSyntheticExports(dir.File("data"), o), IsOk());
  Generated g;
  absl::StatusOr<std::vector<TruthRow>> truth = ReadTruthFile(dir.File("data/truth/truth.csv"));
  EXPECT_THAT(truth, IsOk());
  if (truth.ok()) g.truth = *truth;
  g.convictions = ReadExport(dir.File("data/convictions.csv"));
  return g;
}

// For each person, a conviction row written with `kind` and one written without any error.
template <typename F>
int ForEachPair(const Generated& g, std::string_view kind, F check) {
  std::map<std::string, std::string> clean, with;
  for (const TruthRow& t : g.truth) {
    if (t.source != "convictions") continue;
    if (t.errors.empty()) clean[t.person] = t.record_id;
    if (t.errors == kind) with[t.person] = t.record_id;
  }
  int n = 0;
  for (const auto& [person, id] : with) {
    auto c = clean.find(person);
    if (c == clean.end()) continue;
    check(g.convictions.at(c->second), g.convictions.at(id));
    ++n;
  }
  return n;
}

// Columns of convictions.csv: id, surname, prefix, first names, birth date, ...
constexpr int kSurname = 1, kPrefix = 2, kFirstNames = 3, kBirth = 4;

std::string Letters(const std::string& s) {
  std::string out;
  for (char c : s)
    if (std::isalpha(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(c));
  return out;
}

TEST(ErrorModel, BirthDateDigitChangesExactlyOneDigit) {
  ::pprl::testing::TempDir dir;
  Generated g = Generate(dir, "birth_date_digit", 0.5);
  const int n = ForEachPair(g, "birth_date_digit", [](const auto& clean, const auto& bad) {
    absl::StatusOr<Date> a = ParseDate(clean[kBirth]);
    absl::StatusOr<Date> b = ParseDate(bad[kBirth]);
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(b, IsOk());
    const std::string x = FormatIsoDate(*a), y = FormatIsoDate(*b);
    int diff = 0;
    for (size_t i = 0; i < x.size(); ++i) diff += x[i] != y[i];
    EXPECT_EQ(diff, 1) << x << " " << y;
  });
  EXPECT_GT(n, 50);
}

TEST(ErrorModel, SurnameLetterErrorsChangeOneLetter) {
  for (const char* kind : {"surname_letter_substituted", "surname_letter_added",
                           "surname_letter_dropped", "surname_letters_transposed"}) {
    SCOPED_TRACE(kind);
    ::pprl::testing::TempDir dir;
    Generated g = Generate(dir, kind, 0.5);
    const std::string k = kind;
    const int n = ForEachPair(g, kind, [&](const auto& clean, const auto& bad) {
      const std::string a = Letters(clean[kSurname] + clean[kPrefix]);
      const std::string b = Letters(bad[kSurname] + bad[kPrefix]);
      if (k == "surname_letter_added") {
        EXPECT_EQ(b.size(), a.size() + 1) << a << " " << b;
      } else if (k == "surname_letter_dropped") {
        EXPECT_EQ(b.size() + 1, a.size()) << a << " " << b;
      } else {
        EXPECT_EQ(b.size(), a.size()) << a << " " << b;
        EXPECT_NE(a, b);
        std::string sa = a, sb = b;
        std::sort(sa.begin(), sa.end());
        std::sort(sb.begin(), sb.end());
        if (k == "surname_letters_transposed") {
          EXPECT_EQ(sa, sb) << a << " " << b;
        }
      }
    });
    EXPECT_GT(n, 30);
  }
}

TEST(ErrorModel, NamesSwappedPutsTheFirstNameInTheSurnameField) {
  ::pprl::testing::TempDir dir;
  Generated g = Generate(dir, "names_swapped", 0.5);
  const int n = ForEachPair(g, "names_swapped", [](const auto& clean, const auto& bad) {
    EXPECT_EQ(bad[kSurname], std::string(SplitAny(clean[kFirstNames], " ").front()));
    // The surname (with its prefix, in any order) among the first names.
    std::string a = Letters(bad[kFirstNames]), b = Letters(clean[kSurname] + clean[kPrefix]);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b);
  });
  EXPECT_GT(n, 50);
}

TEST(ErrorModel, StraySpaceAndFirstNameChangedAndMissing) {
  {
    ::pprl::testing::TempDir dir;
    Generated g = Generate(dir, "stray_space", 0.5);
    int checked = 0;
    ForEachPair(g, "stray_space", [&](const auto& clean, const auto& bad) {
      EXPECT_EQ(Letters(clean[kSurname] + clean[kPrefix]).size(),
                Letters(bad[kSurname] + bad[kPrefix]).size());
      // Surnames without a prefix (the prefix is written in three ways).
      if (!clean[kPrefix].empty() || clean[kSurname].find(' ') != std::string::npos) return;
      if (!bad[kPrefix].empty() || bad[kSurname].find(',') != std::string::npos) return;
      EXPECT_EQ(std::count(bad[kSurname].begin(), bad[kSurname].end(), ' '), 1) << bad[kSurname];
      ++checked;
    });
    const int n = checked;
    EXPECT_GT(n, 50);
  }
  {
    ::pprl::testing::TempDir dir;
    Generated g = Generate(dir, "first_name_changed", 0.5);
    const int n = ForEachPair(g, "first_name_changed", [](const auto& clean, const auto& bad) {
      std::string a = Letters(bad[kSurname] + bad[kPrefix]);
      std::string b = Letters(clean[kSurname] + clean[kPrefix]);
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      EXPECT_EQ(a, b);  // the surname (its prefix written in any of three ways) unchanged
      EXPECT_EQ(bad[kBirth].empty(), false);
      EXPECT_NE(bad[kFirstNames].substr(0, 1), clean[kFirstNames].substr(0, 1));
    });
    EXPECT_GT(n, 50);
  }
  {
    ::pprl::testing::TempDir dir;
    Generated g = Generate(dir, "missing_first_name", 0.5);
    const int n = ForEachPair(g, "missing_first_name", [](const auto& clean, const auto& bad) {
      EXPECT_FALSE(clean[kFirstNames].empty());
      EXPECT_TRUE(bad[kFirstNames].empty());
    });
    EXPECT_GT(n, 50);
  }
}

// Namesakes share surname and birth date with another person and are marked in the truth.
TEST(ErrorModel, NamesakesAreMarked) {
  ::pprl::testing::TempDir dir;
  Generated g = Generate(dir, "namesakes", 0.05);
  std::set<std::string> namesakes;
  for (const TruthRow& t : g.truth)
    if (HasKind(t.errors, "namesake")) namesakes.insert(t.person);
  EXPECT_GT(namesakes.size(), 40u);
}

// Each kind's share of rows under the realistic preset is near its rate (independent draws).
TEST(ErrorModel, RealisticPresetRates) {
  ::pprl::testing::TempDir dir;
  SynthOptions o;
  o.seed = 3;
  o.people = 6000;
  o.errors = RealisticErrorModel();
  ASSERT_THAT(WriteSyntheticExports(dir.File("data"), o), IsOk());
  absl::StatusOr<std::vector<TruthRow>> truth = ReadTruthFile(dir.File("data/truth/truth.csv"));
  ASSERT_THAT(truth, IsOk());
  std::map<std::string, int> count;
  int incidents = 0;
  for (const TruthRow& t : *truth) {
    if (t.source != "incidents") continue;
    ++incidents;
    for (std::string_view k : SplitAny(t.errors, "+"))
      if (!k.empty()) ++count[std::string(k)];
  }
  ASSERT_GT(incidents, 5000);
  const ErrorRates& r = o.errors.incidents;
  for (auto [kind, rate] : std::vector<std::pair<std::string, double>>{
           {"surname_letter_substituted", r.surname_letter_substituted},
           {"first_name_changed", r.first_name_changed},
           {"birth_date_digit", r.birth_date_digit},
           {"names_swapped", r.names_swapped},
           {"missing_first_name", r.missing_first_name}}) {
    const double share = static_cast<double>(count[kind]) / incidents;
    EXPECT_NEAR(share, rate, 0.3 * rate + 0.003) << kind;
  }
}

TEST(ErrorModel, SetErrorRateRefusesUnknownKindsAndBadRates) {
  ErrorModel m;
  EXPECT_THAT(SetErrorRate("birth_date_digit=0.25", &m), IsOk());
  EXPECT_EQ(m.convictions.birth_date_digit, 0.25);
  EXPECT_EQ(m.cases.birth_date_digit, 0.25);
  EXPECT_THAT(SetErrorRate("namesakes=0.01", &m), IsOk());
  EXPECT_EQ(m.namesakes, 0.01);
  EXPECT_THAT(SetErrorRate("typos=0.1", &m).message(), HasSubstr("unknown error kind 'typos'"));
  EXPECT_THAT(SetErrorRate("stray_space=2", &m).message(), HasSubstr("from 0 to 1"));
  EXPECT_THAT(SetErrorRate("stray_space", &m).message(), HasSubstr("KIND=RATE"));
  EXPECT_THAT(SetErrorRate(std::string("stray_space=\0", 13), &m).message(),
              HasSubstr("from 0 to 1"));
  EXPECT_THAT(SetErrorRate("stray_space=0.1x", &m).message(), HasSubstr("from 0 to 1"));
  EXPECT_FALSE(ErrorModelPreset("noisy").ok());
}

// Scoring: pairs of case and police rows only, refused rows in the denominator, by kind.
TEST(ScoreLinkage, CountsCaseToPolicePairsByKind) {
  const std::vector<TruthRow> truth = {
      {"cases", "c1", "1", ""},
      {"incidents", "i1", "1", ""},
      {"incidents", "i2", "1", "birth_date_digit"},
      {"convictions", "v1", "1", ""},  // refused at the site: absent from the links
      {"cases", "c2", "2", "missing_first_name"},
      {"incidents", "i3", "2", ""},
      {"incidents", "i4", "3", "namesake"},  // wrongly joined to person 2
      {"cases", "c3", "4", ""},              // refused: absent, its pair missed
      {"incidents", "i5", "4", "names_swapped"},
  };
  const std::vector<LinkRow> links = {
      {"S1", "cases", "c1"},     {"S1", "incidents", "i1"}, {"S1", "incidents", "i2"},
      {"S2", "cases", "c2"},     {"S2", "incidents", "i3"}, {"S2", "incidents", "i4"},
      {"S2", "cases", "c1-dup"},
  };
  EXPECT_THAT(ScoreLinkage(truth, links).status().message(),
              HasSubstr("record cases c1-dup is not in the truth file"));
  std::vector<LinkRow> ok_links(links.begin(), links.end() - 1);
  absl::StatusOr<LinkageQuality> q = ScoreLinkage(truth, ok_links);
  ASSERT_THAT(q, IsOk());
  // True: c1-i1, c1-i2, c1-v1, c2-i3, c3-i5 (5). Found: c1-i1, c1-i2, c2-i3, c2-i4 (4).
  EXPECT_EQ(q->overall.true_pairs, 5);
  EXPECT_EQ(q->overall.found_pairs, 4);
  EXPECT_EQ(q->overall.correct_pairs, 3);
  EXPECT_DOUBLE_EQ(q->overall.Precision(), 0.75);
  EXPECT_DOUBLE_EQ(q->overall.Recall(), 0.6);
  EXPECT_NEAR(q->overall.F1(), 2 * 0.75 * 0.6 / 1.35, 1e-12);
  EXPECT_EQ(q->case_rows, 3);
  EXPECT_EQ(q->case_rows_absent, 1);
  EXPECT_EQ(q->police_rows_absent, 2);  // v1 and i5
  EXPECT_EQ(q->missed_absent_pairs, 2);
  EXPECT_EQ(q->by_kind.at("none").true_pairs, 2);  // c1-i1, c1-v1
  EXPECT_EQ(q->by_kind.at("none").correct_pairs, 1);
  EXPECT_EQ(q->by_kind.at("birth_date_digit").correct_pairs, 1);
  EXPECT_EQ(q->by_kind.at("missing_first_name").true_pairs, 1);
  EXPECT_EQ(q->by_kind.at("missing_first_name").found_pairs, 2);
  EXPECT_EQ(q->by_kind.at("namesake").found_pairs, 1);
  EXPECT_EQ(q->by_kind.at("namesake").correct_pairs, 0);
  EXPECT_EQ(q->by_kind.at("names_swapped").true_pairs, 1);
  EXPECT_EQ(q->by_kind.at("names_swapped").correct_pairs, 0);
  const std::string text = FormatLinkageQuality(*q);
  EXPECT_THAT(text, HasSubstr("precision 0.7500, recall 0.6000"));
  EXPECT_THAT(text, HasSubstr("1 of 3 case rows"));
}

TEST(ScoreLinkage, BadTruthFilesNameTheLineAndColumn) {
  ::pprl::testing::TempDir dir;
  ::pprl::testing::WriteFile(dir.File("t.csv"),
                             "source,record_id,person_id,errors\ncases,c1,1,\npolice,i1,1,\n");
  EXPECT_THAT(ReadTruthFile(dir.File("t.csv")).status().message(),
              HasSubstr("t.csv:3: column source"));
  ::pprl::testing::WriteFile(dir.File("t.csv"),
                             "source,record_id,person_id,errors\ncases,c1,1,\ncases,c1,2,\n");
  EXPECT_THAT(ReadTruthFile(dir.File("t.csv")).status().message(),
              HasSubstr("t.csv:3: column record_id: the record appears twice"));
  ::pprl::testing::WriteFile(dir.File("t.csv"), "source,record_id\ncases,c1\n");
  EXPECT_THAT(ReadTruthFile(dir.File("t.csv")).status().message(), HasSubstr("expected 4"));
}

}  // namespace
}  // namespace pprl
