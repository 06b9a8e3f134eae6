#include "agent/extract_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "proto/extract_codec.h"
#include "tests/status_matchers.h"
#include "tests/temp_dir.h"

namespace pprl {
namespace {

using ::pprl::testing::IsOk;
using ::pprl::testing::StatusIs;
using ::pprl::testing::TempDir;
using ::testing::HasSubstr;

PseudonymousRecord Record(const std::string& id) {
  PseudonymousRecord r;
  r.kind = ExportKind::kCases;
  r.record_id = id;
  r.event_day = 15000;
  r.keys.push_back(MatchKey{KeyLevel::kSurnameDob, {1, 2, 3}});
  r.case_attributes.age = 30;
  r.case_attributes.gender = 'v';
  r.case_attributes.kader = "hic";
  r.case_attributes.life_domains = 4;
  return r;
}

v1::ExtractHeader Header() {
  v1::ExtractHeader h;
  h.set_format_version(1);
  h.set_kind(v1::CASES);
  h.set_key_id("00112233445566778899aabbccddeeff");
  return h;
}

TEST(RecordCodec, PersonAttributesRoundTripAndAreChecked) {
  PseudonymousRecord r;
  r.kind = ExportKind::kConvictions;
  r.record_id = "V1";
  r.event_day = 15000;
  r.keys.push_back({KeyLevel::kFull, {}});
  r.person = {'v', 1985};
  v1::PseudonymisedRecord wire;
  ToProto(r, &wire);
  absl::StatusOr<PseudonymousRecord> back = FromProto(ExportKind::kConvictions, wire);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->person.gender, 'v');
  EXPECT_EQ(back->person.birth_band, 1985);
  wire.mutable_person_attributes()->set_birth_band(1987);  // not a band
  EXPECT_FALSE(FromProto(ExportKind::kConvictions, wire).ok());
  wire.mutable_person_attributes()->set_birth_band(1985);
  wire.mutable_person_attributes()->set_gender("x");
  EXPECT_FALSE(FromProto(ExportKind::kConvictions, wire).ok());
  // A case record never carries them: the case file has its own gender and age.
  r.kind = ExportKind::kCases;
  ToProto(r, &wire);
  EXPECT_FALSE(wire.has_person_attributes());
  wire.mutable_person_attributes()->set_gender("m");
  EXPECT_FALSE(FromProto(ExportKind::kCases, wire).ok());
}

TEST(ExtractFile, RoundTripsAndVerifies) {
  TempDir dir;
  std::string path = dir.File("x.pprlx");
  {
    auto w = ExtractFileWriter::Create(path, Header());
    ASSERT_THAT(w, IsOk());
    for (int i = 0; i < 100; ++i)
      ASSERT_THAT((*w)->Append(Record("C" + std::to_string(i))), IsOk());
    EXPECT_FALSE(std::filesystem::exists(path));  // not there until committed
    ASSERT_THAT((*w)->Commit(), IsOk());
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  absl::StatusOr<ExtractFileContents> c = ReadExtractFile(path);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->header.key_id(), "00112233445566778899aabbccddeeff");
  ASSERT_EQ(c->records.size(), 100u);
  absl::StatusOr<PseudonymousRecord> back = FromProto(ExportKind::kCases, c->records[7]);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->record_id, "C7");
  EXPECT_EQ(back->case_attributes.gender, 'v');
  EXPECT_EQ(back->case_attributes.life_domains, 4);
  EXPECT_FALSE(back->case_attributes.times_discussed.has_value());
  EXPECT_EQ(back->keys, Record("C7").keys);
}

TEST(ExtractFile, AnUncommittedWriterLeavesNothing) {
  TempDir dir;
  std::string path = dir.File("x.pprlx");
  {
    auto w = ExtractFileWriter::Create(path, Header());
    ASSERT_THAT(w, IsOk());
    ASSERT_THAT((*w)->Append(Record("C1")), IsOk());
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(ExtractFile, TruncationAndTamperingAreDetected) {
  TempDir dir;
  std::string path = dir.File("x.pprlx");
  {
    auto w = ExtractFileWriter::Create(path, Header());
    ASSERT_THAT(w, IsOk());
    for (int i = 0; i < 10; ++i) ASSERT_THAT((*w)->Append(Record("C" + std::to_string(i))), IsOk());
    ASSERT_THAT((*w)->Commit(), IsOk());
  }
  std::string bytes = ::pprl::testing::ReadFile(path);
  ::pprl::testing::WriteFile(dir.File("cut"), bytes.substr(0, bytes.size() - 40));
  EXPECT_THAT(ReadExtractFile(dir.File("cut")),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::_));
  std::string changed = bytes;
  size_t at = changed.find("C5");
  ASSERT_NE(at, std::string::npos);
  changed[at + 1] = '6';
  ::pprl::testing::WriteFile(dir.File("changed"), changed);
  EXPECT_THAT(ReadExtractFile(dir.File("changed")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("digest")));
  ::pprl::testing::WriteFile(dir.File("other"), "hello");
  EXPECT_THAT(ReadExtractFile(dir.File("other")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a pprl extract")));
}

TEST(ExtractCodec, RejectsMalformedWireRecords) {
  v1::PseudonymisedRecord r;
  EXPECT_THAT(FromProto(ExportKind::kIncidents, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("record id")));
  r.set_record_id("I1");
  EXPECT_THAT(FromProto(ExportKind::kIncidents, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("without match keys")));
  auto* k = r.add_keys();
  k->set_level(v1::FULL);
  k->set_digest("short");
  EXPECT_THAT(FromProto(ExportKind::kIncidents, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bytes, not 16")));
  k->set_digest(std::string(16, 'x'));
  EXPECT_THAT(FromProto(ExportKind::kIncidents, r), IsOk());
  k->set_level(static_cast<v1::KeyLevel>(99));
  EXPECT_THAT(FromProto(ExportKind::kIncidents, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key level 99")));
  k->set_level(v1::FULL);
  EXPECT_THAT(FromProto(ExportKind::kCases, r),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("without attributes")));
  // Days and counts the agent never sends (red team 6: accepted before, and INT32_MAX overflowed
  // the windows' date arithmetic).
  for (int32_t day : {INT32_MAX, INT32_MIN, -62092, 84006}) {
    r.set_event_day(day);
    EXPECT_THAT(FromProto(ExportKind::kIncidents, r),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside 1800..2199")))
        << day;
  }
  r.set_event_day(-61000);  // 1803
  EXPECT_THAT(FromProto(ExportKind::kIncidents, r), IsOk());
  r.set_event_day(15000);
  // Nor a record id that would act in links.csv or on a terminal.
  for (const char* id : {"=1+1", "@SUM(A1)", "-2", "I\x1b[2J"}) {
    r.set_record_id(id);
    EXPECT_THAT(FromProto(ExportKind::kIncidents, r),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("record id")))
        << id;
  }
  r.set_record_id("I1");
  v1::CaseAttributes c;
  c.set_gender("m");
  c.set_times_discussed(-1);
  EXPECT_THAT(FromProto(c), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("times_discussed outside 0..100000")));
  c.set_times_discussed(3);
  EXPECT_THAT(FromProto(c), IsOk());
}

}  // namespace
}  // namespace pprl
