#include "core/linkage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <tuple>

#include "core/field_encodings.h"

namespace pprl {
namespace {

const HmacKey& Key() {
  static const HmacKey* key =
      new HmacKey(std::move(*HmacKey::FromBytes(std::vector<uint8_t>(32, 3))));
  return *key;
}

LinkInput Rec(ExportKind source, const std::string& id, const std::string& surname,
              const std::string& initials, Date dob, const std::string& prefix = "",
              const std::string& extract = "E1") {
  LinkInput in;
  in.source = source;
  in.extract_id = extract;
  in.record_id = id;
  ComputeMatchKeys(Key(), NormalisedIdentity{prefix, surname, initials, dob}, &in.keys);
  return in;
}

constexpr ExportKind kCase = ExportKind::kCases;
constexpr ExportKind kInc = ExportKind::kIncidents;
constexpr ExportKind kConv = ExportKind::kConvictions;

bool Together(const LinkageResult& r, size_t a, size_t b) {
  return r.subject_of[a] == r.subject_of[b];
}

TEST(Linkage, EachLevelJoinsWhatItShould) {
  std::vector<LinkInput> in = {
      Rec(kCase, "C1", "jansen", "jp", {1990, 2, 3}),          // 0
      Rec(kInc, "I1", "jansen", "jp", {1990, 2, 3}),           // 1: exact -> full
      Rec(kInc, "I2", "jansen", "j", {1990, 2, 3}),            // 2: one initial -> first_initial
      Rec(kInc, "I3", "jansen", "", {1990, 2, 3}),             // 3: no initials -> surname_dob
      Rec(kConv, "V1", "janssen", "j", {1990, 2, 3}),          // 4: typo -> phonetic
      Rec(kConv, "V2", "jansen", "jp", {1990, 3, 2}),          // 5: swapped -> day_month_swapped
      Rec(kInc, "I4", "jansen", "jp", {1990, 2, 4}),           // 6: another person
      Rec(kCase, "C2", "berg", "a", {1985, 7, 1}, "van der"),  // 7
      Rec(kInc, "I5", "berg", "a", {1985, 7, 1}),              // 8: prefix dropped -> first_initial
  };
  LinkageResult r = Link(in);
  for (size_t i : {1, 2, 3, 4, 5}) EXPECT_TRUE(Together(r, 0, i)) << i;
  EXPECT_FALSE(Together(r, 0, 6));
  EXPECT_TRUE(Together(r, 7, 8));
  EXPECT_FALSE(Together(r, 0, 7));
  EXPECT_EQ(r.counts.subjects, 3);
  EXPECT_EQ(r.joined_at_level[1], static_cast<uint8_t>(KeyLevel::kFull));
  EXPECT_EQ(r.joined_at_level[2], static_cast<uint8_t>(KeyLevel::kFirstInitial));
  EXPECT_EQ(r.joined_at_level[3], static_cast<uint8_t>(KeyLevel::kSurnameDob));
  EXPECT_EQ(r.joined_at_level[4], static_cast<uint8_t>(KeyLevel::kPhonetic));
  EXPECT_EQ(r.joined_at_level[5], static_cast<uint8_t>(KeyLevel::kDayMonthSwapped));
  EXPECT_EQ(r.joined_at_level[6], 0);
  EXPECT_EQ(r.joined_at_level[8], static_cast<uint8_t>(KeyLevel::kFirstInitial));
  EXPECT_EQ(r.counts.links_by_level[1], 1);
  EXPECT_EQ(r.counts.links_by_level[2], 2);
  EXPECT_EQ(r.counts.links_by_level[3], 1);
  EXPECT_EQ(r.counts.links_by_level[4], 1);
  EXPECT_EQ(r.counts.links_by_level[5], 1);
  EXPECT_EQ(r.counts.ambiguous_keys, 0);
}

TEST(Linkage, TwinsStayApartAndAnInitiallessRecordIsAmbiguous) {
  std::vector<LinkInput> in = {
      Rec(kCase, "C1", "visser", "p", {2001, 6, 6}),  // twin Pieter
      Rec(kCase, "C2", "visser", "k", {2001, 6, 6}),  // twin Karel
      Rec(kInc, "I1", "visser", "p", {2001, 6, 6}),   // Pieter's incident
      Rec(kInc, "I2", "visser", "k", {2001, 6, 6}),   // Karel's incident
      Rec(kInc, "I3", "visser", "", {2001, 6, 6}),    // which twin? cannot tell
  };
  LinkageResult r = Link(in);
  EXPECT_TRUE(Together(r, 0, 2));
  EXPECT_TRUE(Together(r, 1, 3));
  EXPECT_FALSE(Together(r, 0, 1));
  EXPECT_FALSE(Together(r, 4, 0));
  EXPECT_FALSE(Together(r, 4, 1));
  EXPECT_EQ(r.counts.ambiguous_keys, 1);
  EXPECT_EQ(r.counts.subjects, 3);
}

TEST(Linkage, MissingInitialJoinsTheOnlyCandidate) {
  // The reference study lost 8 of 213 people this way.
  std::vector<LinkInput> in = {Rec(kCase, "C1", "dekker", "", {1970, 1, 20}),
                               Rec(kInc, "I1", "dekker", "m", {1970, 1, 20}),
                               Rec(kInc, "I2", "dekker", "mj", {1970, 1, 20})};
  LinkageResult r = Link(in);
  EXPECT_TRUE(Together(r, 0, 1));
  EXPECT_TRUE(Together(r, 0, 2));
  EXPECT_EQ(r.counts.ambiguous_keys, 0);
}

TEST(Linkage, SameRecordsInAnyOrderGiveTheSameSubjects) {
  std::vector<LinkInput> in;
  std::mt19937 rng(7);
  const char* names[] = {"jansen", "bakker", "visser", "smit", "meijer"};
  for (int i = 0; i < 400; ++i) {
    Date dob{1960 + static_cast<int>(rng() % 5), 1 + static_cast<int>(rng() % 3),
             1 + static_cast<int>(rng() % 3)};
    std::string ini = std::string(1, static_cast<char>('a' + rng() % 3));
    if (rng() % 5 == 0) ini.clear();
    in.push_back(
        Rec(i % 4 == 0 ? kCase : kInc, "R" + std::to_string(i), names[rng() % 5], ini, dob));
  }
  LinkageResult a = Link(in);
  std::vector<size_t> order(in.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<LinkInput> shuffled;
  for (size_t i : order) shuffled.push_back(in[i]);
  LinkageResult b = Link(shuffled);
  ASSERT_EQ(a.counts.subjects, b.counts.subjects);
  EXPECT_EQ(a.counts.ambiguous_keys, b.counts.ambiguous_keys);
  for (int l = 1; l <= 5; ++l) EXPECT_EQ(a.counts.links_by_level[l], b.counts.links_by_level[l]);
  for (size_t k = 0; k < order.size(); ++k) {
    EXPECT_EQ(a.subject_ids[a.subject_of[order[k]]], b.subject_ids[b.subject_of[k]]);
  }
}

// Subjects are numbered in the order of their smallest members by kind, extract id and record
// id (bytes compared as unsigned, a prefix first), whatever the input order: ids longer than
// eight bytes that share their first eight, ids that are prefixes of others, bytes above 0x7f
// and extracts met in another order than their ids'.
TEST(Linkage, SubjectsAreNumberedByKindExtractAndRecordId) {
  const std::string ids[] = {"incident-00012",
                             "incident-00011",
                             "incident-0001",
                             "incident",
                             "incid",
                             "incident-0001\x01",
                             "incident\xe9",
                             "Z",
                             "a",
                             "",
                             std::string("a\0b", 3)};
  const char* extracts[] = {"X9", "X10", "X1"};
  const ExportKind kinds[] = {kConv, kCase, kInc};
  std::vector<LinkInput> in;
  int person = 0;
  for (ExportKind kind : kinds) {
    for (const char* extract : extracts) {
      for (const std::string& id : ids) {
        // A birth year of its own for each record (no two share a key): one subject a record.
        in.push_back(Rec(kind, id, "jansen", "a", {1900 + person++, 1, 1}, "", extract));
      }
    }
  }
  std::mt19937 rng(11);
  std::shuffle(in.begin(), in.end(), rng);
  LinkageResult r = Link(in);
  ASSERT_EQ(r.counts.subjects, static_cast<int64_t>(in.size()));
  std::vector<size_t> order(in.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(in[a].source, in[a].extract_id.str(), in[a].record_id) <
           std::tie(in[b].source, in[b].extract_id.str(), in[b].record_id);
  });
  for (size_t k = 0; k < order.size(); ++k) EXPECT_EQ(r.subject_of[order[k]], k) << k;
}

TEST(Linkage, SubjectIdsSurviveAnAddedExtract) {
  std::vector<LinkInput> in = {Rec(kCase, "C1", "bos", "a", {1980, 1, 1}, "", "E1"),
                               Rec(kCase, "C2", "vos", "b", {1981, 1, 1}, "", "E1"),
                               Rec(kInc, "I1", "bos", "a", {1980, 1, 1}, "", "E2")};
  LinkageResult before = Link(in);
  in.push_back(Rec(kInc, "I9", "kok", "c", {1990, 5, 5}, "", "E3"));   // a new, unrelated person
  in.push_back(Rec(kConv, "V1", "vos", "b", {1981, 1, 1}, "", "E3"));  // joins C2's subject
  LinkageResult after = Link(in);
  EXPECT_EQ(before.subject_ids[before.subject_of[0]], after.subject_ids[after.subject_of[0]]);
  EXPECT_EQ(before.subject_ids[before.subject_of[1]], after.subject_ids[after.subject_of[1]]);
  EXPECT_EQ(after.subject_of[4], after.subject_of[1]);
  EXPECT_EQ(after.counts.subjects, 3);
}

// With field encodings too (the probabilistic stage's inputs).
LinkInput Full(ExportKind source, const std::string& id, const std::string& surname,
               const std::string& initials, const std::string& first_name, Date dob) {
  static FieldEncoder* encoder = new FieldEncoder(Key());
  LinkInput in;
  in.source = source;
  in.extract_id = "E1";
  in.record_id = id;
  NormalisedIdentity person{"", surname, initials, dob, first_name};
  ComputeMatchKeys(Key(), person, &in.keys);
  encoder->Encode(person, &in.encodings);
  return in;
}

size_t CaseSubjects(const std::vector<LinkInput>& in, const LinkageResult& r) {
  std::set<uint32_t> subjects;
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i].source == kCase) subjects.insert(r.subject_of[i]);
  return subjects.size();
}

// Red team 7, H1: which cases are one subject follows from the case file alone. Two case rows
// of one person that share no key (one without initials, one with day and month swapped) were
// joined by a police record sharing a key with each, so the cohort's n showed whether the
// police know that person. The police record now goes to one of them, the other stays its own
// subject, and the refusal is counted.
TEST(Linkage, APoliceRecordDoesNotJoinCasesTheCaseFileKeepsApart) {
  std::vector<LinkInput> cases = {
      Full(kCase, "A", "verhoeven", "", "", {1984, 3, 11}),
      Full(kCase, "B", "verhoeven", "mj", "", {1984, 11, 3}),
      Full(kCase, "C", "dekker", "p", "", {1990, 1, 2}),
  };
  std::vector<LinkInput> with_police = cases;
  with_police.push_back(Full(kInc, "I1", "verhoeven", "mj", "marco", {1984, 3, 11}));
  with_police.push_back(Full(kConv, "V1", "verhoeven", "mj", "marco", {1984, 3, 11}));
  const LinkageResult alone = Link(cases);
  const LinkageResult known = Link(with_police);
  EXPECT_EQ(CaseSubjects(cases, alone), 3u);
  EXPECT_EQ(CaseSubjects(with_police, known), 3u);
  EXPECT_FALSE(Together(known, 0, 1));
  EXPECT_TRUE(Together(known, 3, 4));
  EXPECT_TRUE(Together(known, 0, 3) || Together(known, 1, 3));
  EXPECT_GT(known.counts.case_groups_kept_apart, 0);
  EXPECT_EQ(alone.counts.case_groups_kept_apart, 0);
  // Without the rule (the inner run's options) the police record bridges them.
  LinkOptions bridged;
  bridged.case_groups_first = false;
  EXPECT_TRUE(Together(Link(with_police, bridged), 0, 1));
}

// Twins in the case file (one surname and birth date, other initials) are two subjects with or
// without police records: before, two lone case rows were joined by the probabilistic stage
// (a different first name is evidence, not a veto, between lone records) and kept apart only
// when police records made them larger.
TEST(Linkage, TwinsInTheCaseFileAreTwoSubjectsWhateverThePoliceHold) {
  std::vector<LinkInput> cases = {
      Full(kCase, "K", "visser", "k", "", {2000, 8, 8}),
      Full(kCase, "L", "visser", "l", "", {2000, 8, 8}),
  };
  std::vector<LinkInput> with_police = cases;
  with_police.push_back(Full(kInc, "I1", "visser", "k", "kees", {2000, 8, 8}));
  with_police.push_back(Full(kInc, "I2", "visser", "l", "luuk", {2000, 8, 8}));
  EXPECT_EQ(CaseSubjects(cases, Link(cases)), 2u);
  const LinkageResult known = Link(with_police);
  EXPECT_EQ(CaseSubjects(with_police, known), 2u);
  EXPECT_TRUE(Together(known, 0, 2));
  EXPECT_TRUE(Together(known, 1, 3));
}

// A case row repeated with a typo in the case file is still one subject (the case-only run
// joins it), and its police records join that subject.
TEST(Linkage, ACaseFileDuplicateIsOneSubjectWithItsPoliceRecords) {
  std::vector<LinkInput> in = {
      Full(kCase, "A", "bakker", "h", "", {1960, 1, 1}),
      Full(kCase, "B", "backer", "h", "", {1960, 1, 1}),
      Full(kInc, "I1", "bakker", "h", "henk", {1960, 1, 1}),
  };
  const LinkageResult r = Link(in);
  EXPECT_TRUE(Together(r, 0, 1));
  EXPECT_TRUE(Together(r, 0, 2));
  EXPECT_EQ(r.counts.case_groups_kept_apart, 0);
}

TEST(Linkage, EmptyInput) {
  LinkageResult r = Link({});
  EXPECT_EQ(r.counts.subjects, 0);
  EXPECT_TRUE(r.subject_ids.empty());
}

}  // namespace
}  // namespace pprl
