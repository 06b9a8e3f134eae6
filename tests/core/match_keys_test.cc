// Match keys end to end over the core path (CSV text -> records), in memory.
#include "core/match_keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "core/csv_reader.h"
#include "core/export_pseudonymiser.h"
#include "tests/status_matchers.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;

HmacKey TestKey(uint8_t fill = 0x42) {
  absl::StatusOr<HmacKey> key = HmacKey::FromBytes(std::vector<uint8_t>(32, fill));
  return std::move(*key);
}

struct Person {
  std::string surname, prefix, initials, first_names, birth_date;
};

// Pseudonymises people as an incidents export (one row each) and returns their records.
std::vector<PseudonymousRecord> Pseudonymise(const std::vector<Person>& people, const HmacKey& key,
                                             char delim = ',', bool dutch = false) {
  std::ostringstream csv;
  std::string d(1, delim);
  csv << (dutch ? "achternaam" : "surname") << d << (dutch ? "tussenvoegsel" : "surname_prefix")
      << d << (dutch ? "voorletters" : "initials") << d << (dutch ? "voornamen" : "first_names")
      << d << (dutch ? "geboortedatum" : "birth_date") << d << "incident_id" << d
      << "incident_date\n";
  int id = 0;
  for (const Person& p : people) {
    csv << CsvQuote(p.surname, delim) << d << CsvQuote(p.prefix, delim) << d
        << CsvQuote(p.initials, delim) << d << CsvQuote(p.first_names, delim) << d << p.birth_date
        << d << "I" << ++id << d << "2013-01-01\n";
  }
  std::istringstream in(csv.str());
  ExportOptions options;
  options.kind = ExportKind::kIncidents;
  options.file_name = "test.csv";
  std::vector<PseudonymousRecord> out;
  absl::StatusOr<ExportSummary> summary =
      PseudonymiseExport(in, options, key, [&](const PseudonymousRecord& r) {
        out.push_back(r);
        return absl::OkStatus();
      });
  EXPECT_THAT(summary, IsOk());
  if (summary.ok()) {
    EXPECT_EQ(summary->rows_invalid, 0) << FormatSummary(*summary);
  }
  return out;
}

std::optional<MatchKey> KeyAt(const PseudonymousRecord& r, KeyLevel level) {
  for (const MatchKey& k : r.keys) {
    if (k.level == level) return k;
  }
  return std::nullopt;
}

TEST(MatchKeys, EveryFormattingVariantOfOneIdentityGivesOneFullKey) {
  const std::vector<std::pair<std::string, std::string>> surnames = {
      {"van der Berg", ""},       {"Berg, van der", ""}, {"Berg", "van der"},
      {"VAN DER BERG", ""},       {"Berg van der", ""},  {"van der B\xC3\xABrg", ""},
      {"Van Der Berg", "van der"}};
  const std::vector<std::pair<std::string, std::string>> initials = {
      {"J.P.", ""}, {"JP", ""},         {"J. P.", ""},
      {"j.p.", ""}, {"", "Jan Pieter"}, {"J.P.", "Johannes Pieter"}};
  const std::vector<std::string> dates = {"1990-02-01", "01-02-1990", "1-2-1990", "01/02/1990",
                                          "1/2/1990"};
  std::vector<Person> people;
  for (const auto& [surname, prefix] : surnames) {
    for (const auto& [ini, first] : initials) {
      for (const std::string& date : dates) people.push_back({surname, prefix, ini, first, date});
    }
  }
  HmacKey key = TestKey();
  std::set<std::array<uint8_t, kMatchKeyBytes>> full_keys;
  for (char delim : {',', ';'}) {
    for (bool dutch : {false, true}) {
      std::vector<PseudonymousRecord> records = Pseudonymise(people, key, delim, dutch);
      ASSERT_EQ(records.size(), people.size());
      for (const PseudonymousRecord& r : records) {
        std::optional<MatchKey> k = KeyAt(r, KeyLevel::kFull);
        ASSERT_TRUE(k.has_value()) << r.record_id;
        full_keys.insert(k->digest);
      }
    }
  }
  EXPECT_EQ(full_keys.size(), 1u) << "variants of one identity gave different full keys";
}

TEST(MatchKeys, CascadeLevelsRecoverEachKindOfError) {
  HmacKey key = TestKey();
  std::vector<PseudonymousRecord> r = Pseudonymise(
      {
          {"Jansen", "", "J.P.", "", "1990-02-03"},  // 0: reference
          {"Jansen", "", "", "", "1990-02-03"},      // 1: missing initials
          {"Janssen", "", "J.", "", "1990-02-03"},   // 2: typo in surname
          {"Jansen", "", "J.P.", "", "1990-03-02"},  // 3: day and month swapped
          {"Jansen", "", "K.", "", "1990-02-03"},    // 4: twin (other first initial)
          {"Jansen", "", "J.", "", "1990-02-03"},    // 5: one initial of two
          {"Jansen", "", "J.P.", "", "1990-02-04"},  // 6: another person
      },
      key);
  ASSERT_EQ(r.size(), 7u);
  auto same = [&](size_t a, size_t b, KeyLevel level) {
    std::optional<MatchKey> x = KeyAt(r[a], level), y = KeyAt(r[b], level);
    return x && y && x->digest == y->digest;
  };
  // Missing initials: no initial-based keys at all, but surname + birth date matches.
  EXPECT_FALSE(KeyAt(r[1], KeyLevel::kFull));
  EXPECT_FALSE(KeyAt(r[1], KeyLevel::kFirstInitial));
  EXPECT_FALSE(KeyAt(r[1], KeyLevel::kPhonetic));
  EXPECT_TRUE(same(0, 1, KeyLevel::kSurnameDob));
  // Typo: only the phonetic level matches.
  EXPECT_FALSE(same(0, 2, KeyLevel::kFirstInitial));
  EXPECT_FALSE(same(0, 2, KeyLevel::kSurnameDob));
  EXPECT_TRUE(same(0, 2, KeyLevel::kPhonetic));
  // Swapped day and month: only the swap level matches.
  EXPECT_FALSE(same(0, 3, KeyLevel::kFirstInitial));
  EXPECT_TRUE(same(0, 3, KeyLevel::kDayMonthSwapped));
  // Twin: surname + birth date matches, the first initial does not (the linker's conflict test).
  EXPECT_TRUE(same(0, 4, KeyLevel::kSurnameDob));
  EXPECT_FALSE(same(0, 4, KeyLevel::kFirstInitial));
  // One initial of two: full differs, first initial matches.
  EXPECT_FALSE(same(0, 5, KeyLevel::kFull));
  EXPECT_TRUE(same(0, 5, KeyLevel::kFirstInitial));
  // Another birth date: nothing matches.
  for (KeyLevel level : kAllKeyLevels) EXPECT_FALSE(same(0, 6, level)) << KeyLevelName(level);
}

TEST(MatchKeys, LevelsAreDomainSeparatedAndKeyed) {
  HmacKey key = TestKey();
  std::vector<PseudonymousRecord> r = Pseudonymise({{"Jansen", "", "J.", "", "1990-02-03"}}, key);
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].keys.size(), 5u);
  std::set<std::array<uint8_t, kMatchKeyBytes>> distinct;
  for (const MatchKey& k : r[0].keys) distinct.insert(k.digest);
  EXPECT_EQ(distinct.size(), 5u);
  // Another key: no digest in common.
  HmacKey other = TestKey(0x43);
  std::vector<PseudonymousRecord> r2 =
      Pseudonymise({{"Jansen", "", "J.", "", "1990-02-03"}}, other);
  ASSERT_EQ(r2.size(), 1u);
  for (const MatchKey& k : r2[0].keys) EXPECT_FALSE(distinct.contains(k.digest));
}

TEST(MatchKeys, SwapKeyOnlyWhereTheDayCouldBeAMonth) {
  HmacKey key = TestKey();
  std::vector<PseudonymousRecord> r = Pseudonymise(
      {{"Bakker", "", "A.", "", "1990-02-13"}, {"Bakker", "", "A.", "", "1990-05-05"}}, key);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(KeyAt(r[0], KeyLevel::kDayMonthSwapped));
  EXPECT_FALSE(KeyAt(r[1], KeyLevel::kDayMonthSwapped));
}

TEST(MatchKeys, FieldBoundariesCannotCollide) {
  // "ab" + "c" must not equal "a" + "bc": the separator keeps fields apart.
  HmacKey key = TestKey();
  NormalisedIdentity a{"", "ab", "c", {1990, 1, 1}};
  NormalisedIdentity b{"a", "b", "c", {1990, 1, 1}};
  std::vector<MatchKey> ka, kb;
  ComputeMatchKeys(key, a, &ka);
  ComputeMatchKeys(key, b, &kb);
  ASSERT_FALSE(ka.empty());
  ASSERT_FALSE(kb.empty());
  EXPECT_NE(ka[0].digest, kb[0].digest);  // full keys differ
}

}  // namespace
}  // namespace pprl
