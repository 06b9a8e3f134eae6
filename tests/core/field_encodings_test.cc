// Keyed field encodings: what agrees and what does not under each kind of registration error,
// key separation, and the wire round trip.
#include "core/field_encodings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/probabilistic_linkage.h"
#include "proto/extract_codec.h"

namespace pprl {
namespace {

HmacKey TestKey(uint8_t fill = 0x42) {
  absl::StatusOr<HmacKey> key = HmacKey::FromBytes(std::vector<uint8_t>(32, fill));
  return std::move(*key);
}

NormalisedIdentity Id(std::string surname, std::string first_name, Date dob,
                      std::string initials = "") {
  NormalisedIdentity id;
  id.surname = std::move(surname);
  id.first_name = std::move(first_name);
  id.initials = initials.empty() && !id.first_name.empty() ? id.first_name.substr(0, 1) : initials;
  id.birth_date = dob;
  return id;
}

FieldEncodings Encode(const NormalisedIdentity& id, const HmacKey& key) {
  FieldEncodings e;
  ComputeFieldEncodings(key, id, &e);
  return e;
}

bool Same(const FieldEncodings& a, const FieldEncodings& b, TokenKind k) {
  return a.token(k) != 0 && a.token(k) == b.token(k);
}

TEST(FieldEncodingsTest, DeterministicAndKeyed) {
  HmacKey key = TestKey();
  NormalisedIdentity id = Id("verhulst", "maarten", {1953, 11, 17});
  FieldEncodings a = Encode(id, key);
  EXPECT_EQ(a, Encode(id, key));
  EXPECT_FALSE(a.empty());
  EXPECT_TRUE(a.has_first_name());
  FieldEncodings other = Encode(id, TestKey(0x43));
  EXPECT_NE(a.surname_bloom, other.surname_bloom);
  for (int k = 0; k < kTokenKinds; ++k) {
    if (IsRetiredTokenKind(k)) {
      EXPECT_EQ(a.token(static_cast<TokenKind>(k)), 0u) << k;  // never leave the site
      continue;
    }
    EXPECT_NE(a.token(static_cast<TokenKind>(k)), 0) << k;
    EXPECT_NE(a.token(static_cast<TokenKind>(k)), other.token(static_cast<TokenKind>(k))) << k;
  }
  // Key separation per field: the same letters give different filters as surname and as
  // first name.
  FieldEncodings swapped = Encode(Id("maarten", "verhulst", {1953, 11, 17}), key);
  EXPECT_NE(a.surname_bloom, swapped.first_name_bloom);
  EXPECT_LT(BloomDice(a.surname_bloom, swapped.first_name_bloom), 0.6);
}

TEST(FieldEncodingsTest, OneLetterErrorsStaySimilar) {
  HmacKey key = TestKey();
  Date dob{1953, 11, 17};
  FieldEncodings base = Encode(Id("verhulst", "maarten", dob), key);
  for (const char* variant : {"verhukst", "verhuslt", "verhulsst", "verhlst"}) {
    FieldEncodings v = Encode(Id(variant, "maarten", dob), key);
    double dice = BloomDice(base.surname_bloom, v.surname_bloom);
    EXPECT_GE(dice, 0.6) << variant;
    EXPECT_LT(dice, 1.0) << variant;
    // One of the surname's head and tail (with the first name and date) survives the error.
    EXPECT_TRUE(Same(base, v, TokenKind::kSurnameHeadFirstNameDob) ||
                Same(base, v, TokenKind::kSurnameTailFirstNameDob))
        << variant;
  }
  FieldEncodings unrelated = Encode(Id("bakker", "maarten", dob), key);
  EXPECT_LT(BloomDice(base.surname_bloom, unrelated.surname_bloom), 0.4);
}

TEST(FieldEncodingsTest, DatePartsAgreeOnTheRest) {
  HmacKey key = TestKey();
  FieldEncodings base = Encode(Id("mulder", "anouk", {1961, 8, 19}), key);
  FieldEncodings month = Encode(Id("mulder", "anouk", {1961, 3, 19}), key);
  EXPECT_TRUE(Same(base, month, TokenKind::kNamesYearDay));
  EXPECT_FALSE(Same(base, month, TokenKind::kNamesYearMonth));
  EXPECT_FALSE(Same(base, month, TokenKind::kNamesMonthDay));
  EXPECT_EQ(base.surname_bloom, month.surname_bloom);  // same year: same salt

  FieldEncodings year = Encode(Id("mulder", "anouk", {1962, 8, 19}), key);
  EXPECT_TRUE(Same(base, year, TokenKind::kNamesMonthDay));
  EXPECT_FALSE(Same(base, year, TokenKind::kNamesYearMonth));
  // Both filters are salted by the band (red team 5, O2; the first-name filter since session 6),
  // the first-name filter by the phonetic surname too.
  EXPECT_EQ(base.surname_bloom, year.surname_bloom);  // 1960-1964: one band, one salt
  EXPECT_EQ(base.first_name_bloom, year.first_name_bloom);
  FieldEncodings band = Encode(Id("mulder", "anouk", {1966, 8, 19}), key);
  EXPECT_NE(base.surname_bloom, band.surname_bloom);  // another band: another salt
  EXPECT_NE(base.first_name_bloom, band.first_name_bloom);
  FieldEncodings family = Encode(Id("visser", "anouk", {1961, 8, 19}), key);
  EXPECT_NE(base.first_name_bloom, family.first_name_bloom);  // another surname: another salt

  // Only initials: they stand in for the given name of the partial-date tokens.
  FieldEncodings kok = Encode(Id("kok", "", {1979, 3, 5}, "s"), key);
  FieldEncodings kok_swapped = Encode(Id("kok", "", {1979, 5, 3}, "s"), key);
  EXPECT_TRUE(Same(kok, kok_swapped, TokenKind::kSurnameYearSwapped));
  EXPECT_FALSE(Same(kok, kok_swapped, TokenKind::kNamesMonthDay));
  EXPECT_FALSE(Same(kok, kok_swapped, TokenKind::kSurnameDob));
  EXPECT_FALSE(kok.has_first_name());
  EXPECT_NE(kok.token(TokenKind::kSurnameHeadFirstNameDob), 0u);  // head + initial + date
  EXPECT_NE(kok.token(TokenKind::kPhoneticInitialDob), 0u);
  // No given name at all: no partial-date token (it would join every such namesake).
  FieldEncodings bare = Encode(Id("kok", "", {1979, 3, 5}), key);
  EXPECT_EQ(bare.token(TokenKind::kNamesYearMonth), 0u);
  EXPECT_NE(bare.token(TokenKind::kSurnameDob), 0u);
}

TEST(FieldEncodingsTest, SwappedNamesMeetTheStraightReading) {
  HmacKey key = TestKey();
  // A case register of initials (W. Bakker) and a police register that wrote the names the
  // other way round, first name included (surname Willem, first name Bakker).
  FieldEncodings straight = Encode(Id("bakker", "", {1948, 11, 22}, "w"), key);
  FieldEncodings swapped = Encode(Id("willem", "bakker", {1948, 11, 22}), key);
  EXPECT_EQ(straight.token(TokenKind::kSwappedPhoneticInitialDob), 0u);  // no first name
  EXPECT_NE(swapped.token(TokenKind::kSwappedPhoneticInitialDob), 0u);
  EXPECT_EQ(straight.token(TokenKind::kPhoneticInitialDob),
            swapped.token(TokenKind::kSwappedPhoneticInitialDob));
  EXPECT_FALSE(Same(straight, swapped, TokenKind::kPhoneticInitialDob));
  EXPECT_FALSE(Same(straight, swapped, TokenKind::kSurnameHeadFirstNameDob));
  // Both with first names: it holds both ways.
  FieldEncodings both = Encode(Id("bakker", "willem", {1948, 11, 22}), key);
  EXPECT_EQ(both.token(TokenKind::kPhoneticInitialDob),
            swapped.token(TokenKind::kSwappedPhoneticInitialDob));
  EXPECT_EQ(both.token(TokenKind::kSwappedPhoneticInitialDob),
            swapped.token(TokenKind::kPhoneticInitialDob));
}

// The swapped reading's privacy (session 6): it holds a whole birth date, a name's phonetic form
// and an initial, never a date alone. Namesakes by first name (same first name and date, other
// surname initials) share none; neither does the same person born another day; and the
// structural audit pools it with kind 12 (one key), so chains through it are counted.
TEST(FieldEncodingsTest, TheSwappedReadingHoldsANameAndIsAuditedWithItsKeyKind) {
  HmacKey key = TestKey();
  const Date dob{1980, 6, 14};
  FieldEncodings a = Encode(Id("bakker", "willem", dob), key);
  FieldEncodings b = Encode(Id("jansen", "willem", dob), key);
  FieldEncodings c = Encode(Id("bakker", "willem", {1980, 6, 15}), key);
  FieldEncodings bare = Encode(Id("bakker", "", dob), key);
  EXPECT_NE(a.token(TokenKind::kSwappedPhoneticInitialDob),
            b.token(TokenKind::kSwappedPhoneticInitialDob));
  EXPECT_NE(a.token(TokenKind::kSwappedPhoneticInitialDob),
            c.token(TokenKind::kSwappedPhoneticInitialDob));
  EXPECT_EQ(bare.token(TokenKind::kSwappedPhoneticInitialDob), 0u);
  EXPECT_EQ(KeyKindOf(TokenKind::kSwappedPhoneticInitialDob), TokenKind::kPhoneticInitialDob);
  // Straight W. Bakker and swapped Willem/Bakker: one component when both kinds are audited.
  std::vector<FieldEncodings> records = {Encode(Id("bakker", "", dob, "w"), key),
                                         Encode(Id("willem", "bakker", dob), key)};
  const TokenKind kinds[] = {TokenKind::kPhoneticInitialDob, TokenKind::kSwappedPhoneticInitialDob};
  std::vector<uint32_t> c2 = TokenComponents(
      records.size(), [&](size_t i, TokenKind k) { return records[i].token(k); }, kinds);
  EXPECT_EQ(c2[0], c2[1]);
}

// Issue 13, F1: no token carries a date part without the surname. Two people of different
// surnames born on the same day share no token; within a surname only the combinations agree.
TEST(FieldEncodingsTest, NoDateTokenCrossesSurnames) {
  HmacKey key = TestKey();
  const Date dob{1975, 4, 9};
  FieldEncodings a = Encode(Id("jansen", "jan", dob), key);
  FieldEncodings b = Encode(Id("bakker", "jan", dob), key);
  FieldEncodings c = Encode(Id("visser", "piet", {1975, 4, 20}), key);
  for (TokenKind kind : LiveTokenKinds()) {
    EXPECT_FALSE(Same(a, b, kind)) << TokenKindName(kind);
    EXPECT_FALSE(Same(a, c, kind)) << TokenKindName(kind);
  }
}

// An old site's extract with the retired standalone date tokens: the linker drops them.
TEST(FieldEncodingsTest, RetiredTokensAreDroppedOnRead) {
  HmacKey key = TestKey();
  PseudonymousRecord r;
  r.kind = ExportKind::kIncidents;
  r.record_id = "i1";
  r.keys.push_back(MatchKey{KeyLevel::kSurnameDob, {}});
  r.encodings = Encode(Id("kok", "sanne", {1979, 3, 5}), key);
  v1::PseudonymisedRecord wire;
  ToProto(r, &wire);
  for (int k = 0; k < kTokenKinds; ++k) {
    if (IsRetiredTokenKind(k)) wire.mutable_encodings()->set_tokens(k, 1000 + k);
  }
  absl::StatusOr<PseudonymousRecord> back = FromProto(ExportKind::kIncidents, wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->encodings, r.encodings);
}

// Only the live kinds are stored (10M records at the linker), but the wire keeps one slot per
// kind number, the retired ones 0: the same bytes, so the same content digests, as before.
TEST(FieldEncodingsTest, StoresLiveKindsOnlyWireKeepsEveryNumber) {
  static_assert(sizeof(FieldEncodings) == 2 * kBloomBytes + 8 * kLiveTokenCount);
  HmacKey key = TestKey();
  PseudonymousRecord r;
  r.kind = ExportKind::kIncidents;
  r.record_id = "i1";
  r.keys.push_back(MatchKey{KeyLevel::kSurnameDob, {}});
  r.encodings = Encode(Id("kok", "sanne", {1979, 3, 5}), key);
  v1::PseudonymisedRecord wire;
  ToProto(r, &wire);
  ASSERT_EQ(wire.encodings().tokens_size(), kTokenKinds);
  for (int k = 0; k < kTokenKinds; ++k) {
    const uint64_t t = r.encodings.token(static_cast<TokenKind>(k));
    EXPECT_EQ(wire.encodings().tokens(k), t) << k;
    EXPECT_EQ(t == 0, IsRetiredTokenKind(k)) << k;  // every live kind set for this identity
  }
  for (TokenKind kind : kLiveTokenKinds) {
    FieldEncodings e;
    e.set_token(kind, 42);
    for (TokenKind other : kLiveTokenKinds) EXPECT_EQ(e.token(other), other == kind ? 42u : 0u);
  }
  FieldEncodings e;
  e.set_token(static_cast<TokenKind>(0), 42);  // retired: dropped
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.token(static_cast<TokenKind>(0)), 0u);
}

// The structural self-audit's union-find: chains through shared tokens of several kinds.
TEST(FieldEncodingsTest, TokenComponentsChainAcrossKinds) {
  HmacKey key = TestKey();
  std::vector<FieldEncodings> e = {
      Encode(Id("kok", "sanne", {1979, 3, 5}), key),
      Encode(Id("kok", "sanne", {1979, 3, 6}), key),   // names + year + month with 0
      Encode(Id("kok", "sanne", {1979, 7, 6}), key),   // names + year + day with 1
      Encode(Id("kok", "anna", {1980, 1, 1}), key),    // nothing: another given name
      Encode(Id("smit", "sanne", {1979, 3, 5}), key),  // nothing: another surname
  };
  std::vector<TokenKind> kinds = LiveTokenKinds();
  std::vector<uint32_t> c = TokenComponents(
      e.size(), [&](size_t i, TokenKind kind) { return e[i].token(kind); }, kinds);
  EXPECT_EQ(c[0], c[1]);
  EXPECT_EQ(c[1], c[2]);
  EXPECT_NE(c[3], c[0]);
  EXPECT_NE(c[4], c[0]);
  EXPECT_NE(c[4], c[3]);
}

TEST(FieldEncodingsTest, MissingBirthDateGivesNoTokens) {
  HmacKey key = TestKey();
  FieldEncodings e = Encode(Id("kok", "sanne", {0, 0, 0}), key);
  for (uint64_t t : e.live_tokens) EXPECT_EQ(t, 0u);
  EXPECT_GT(BloomPopCount(e.surname_bloom), 0);
}

TEST(FieldEncodingsTest, WireRoundTrip) {
  HmacKey key = TestKey();
  PseudonymousRecord r;
  r.kind = ExportKind::kIncidents;
  r.record_id = "i1";
  r.keys.push_back(MatchKey{KeyLevel::kSurnameDob, {}});
  r.encodings = Encode(Id("kok", "", {1979, 3, 5}), key);
  v1::PseudonymisedRecord wire;
  ToProto(r, &wire);
  EXPECT_TRUE(wire.encodings().first_name_bloom().empty());
  absl::StatusOr<PseudonymousRecord> back = FromProto(ExportKind::kIncidents, wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->encodings, r.encodings);

  wire.mutable_encodings()->set_surname_bloom("short");
  EXPECT_FALSE(FromProto(ExportKind::kIncidents, wire).ok());
  // A record from an older agent has no encodings at all.
  wire.clear_encodings();
  back = FromProto(ExportKind::kIncidents, wire);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->encodings.empty());
}

}  // namespace
}  // namespace pprl

namespace pprl {
namespace {

// Session 6: two registers of initials, one surname and initials, one birth year, month and
// day both different: the partial-date tokens were comparable (the phonetic surname + given
// name + year token agrees and the surname filters are equal), so the date is "different",
// evidence against, not "missing" (namesakes by initials linked on the names alone). One wrong
// digit still agrees on two parts.
TEST(CompareTest, InitialsNamesakesOfOneYearDifferInTheirDate) {
  HmacKey key = TestKey();
  FieldEncodings a = Encode(Id("dekker", "", {1971, 4, 12}, "jp"), key);
  FieldEncodings namesake = Encode(Id("dekker", "", {1971, 9, 27}, "jp"), key);
  FieldEncodings digit = Encode(Id("dekker", "", {1971, 4, 17}, "jp"), key);
  const Comparison c = Compare(a, namesake);
  EXPECT_EQ(LevelName(CompareField::kSurname, c.level[0]), "exact");
  EXPECT_EQ(LevelName(CompareField::kFirstName, c.level[1]), "initials_agree");
  EXPECT_EQ(LevelName(CompareField::kBirthDate, c.level[2]), "different");
  const Comparison d = Compare(a, digit);
  EXPECT_EQ(LevelName(CompareField::kBirthDate, d.level[2]), "one_part");
  EXPECT_GT(DefaultParameters().Weight(CompareField::kBirthDate, d.level[2]), 0);
  EXPECT_LT(DefaultParameters().Weight(CompareField::kBirthDate, c.level[2]), 0);
}

}  // namespace
}  // namespace pprl

namespace pprl {
namespace {

// Comparison vectors drawn from a known mixture: a share `lambda` of matches with levels by
// `m`, the rest by the defaults' u (EM keeps u fixed). Uninformative levels are never drawn.
std::vector<Comparison> DrawPairs(size_t count, double lambda,
                                  const std::array<std::array<double, kMaxLevels>, 3>& m,
                                  uint32_t seed) {
  const FsParameters defaults = DefaultParameters();
  std::mt19937 rng(seed);
  std::bernoulli_distribution is_match(lambda);
  std::vector<Comparison> out(count);
  for (Comparison& c : out) {
    const bool match = is_match(rng);
    for (int f = 0; f < kCompareFields; ++f) {
      const CompareField field = static_cast<CompareField>(f);
      std::vector<double> weights;
      for (int l = 0; l < LevelCount(field); ++l) {
        const bool informative = IsInformative(field, static_cast<uint8_t>(l));
        weights.push_back(!informative ? 0 : match ? m[f][l] : defaults.u[f][l]);
      }
      c.level[f] = static_cast<uint8_t>(
          std::discrete_distribution<int>(weights.begin(), weights.end())(rng));
    }
  }
  return out;
}

// EM (issue 13: weights estimated without labels) finds a known match share and m from the
// comparison vectors alone, starting from the defaults, and invents no matches where none are.
TEST(EstimateParametersTest, RecoversAKnownMixtureAndInventsNoMatches) {
  std::array<std::array<double, kMaxLevels>, 3> m{};
  // surname: exact, close, similar, swapped, different, (unknown), part
  m[0] = {0.70, 0.10, 0.06, 0.02, 0.10, 0, 0.02};
  // first name: exact, similar, initial, different, (3 missing/unknown), initials_agree
  m[1] = {0.60, 0.10, 0.15, 0.05, 0, 0, 0, 0.10};
  // birth date: exact, one_part, swapped, different, (missing)
  m[2] = {0.80, 0.12, 0.03, 0.05, 0};
  const double lambda = 0.2;
  const std::vector<Comparison> pairs = DrawPairs(60000, lambda, m, 7);
  const FsParameters start = DefaultParameters();
  const FsParameters p = EstimateParameters(pairs, start, 200);
  EXPECT_TRUE(p.estimated);
  EXPECT_GT(p.iterations, 1);
  EXPECT_NEAR(p.lambda, lambda, 0.01);
  for (int f = 0; f < kCompareFields; ++f) {
    const CompareField field = static_cast<CompareField>(f);
    for (int l = 0; l < LevelCount(field); ++l) {
      if (!IsInformative(field, static_cast<uint8_t>(l))) continue;
      EXPECT_NEAR(p.m[f][l], m[f][l], 0.02) << CompareFieldName(field) << " level " << l;
      EXPECT_EQ(p.u[f][l], start.u[f][l]);  // u stays fixed
    }
  }
  // The estimate moved from the defaults toward the truth (the defaults' exact surname: 0.87).
  EXPECT_LT(std::fabs(p.m[0][0] - m[0][0]), std::fabs(start.m[0][0] - m[0][0]));

  const FsParameters none = EstimateParameters(DrawPairs(60000, 0.0, m, 8), start, 200);
  EXPECT_LT(none.lambda, 0.005);
}

}  // namespace
}  // namespace pprl
