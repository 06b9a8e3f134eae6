#include "proto/extract_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

#include <cstring>

#include "core/dates.h"
#include "core/hmac_key.h"
#include "core/row_parser.h"
#include "core/text.h"

namespace pprl {

v1::RecordKind ToProto(ExportKind kind) {
  switch (kind) {
    case ExportKind::kCases:
      return v1::CASES;
    case ExportKind::kIncidents:
      return v1::INCIDENTS;
    case ExportKind::kConvictions:
      return v1::CONVICTIONS;
  }
  return v1::RECORD_KIND_UNSPECIFIED;
}

absl::StatusOr<ExportKind> FromProto(v1::RecordKind kind) {
  switch (kind) {
    case v1::CASES:
      return ExportKind::kCases;
    case v1::INCIDENTS:
      return ExportKind::kIncidents;
    case v1::CONVICTIONS:
      return ExportKind::kConvictions;
    default:
      return absl::InvalidArgumentError(Cat("unknown record kind ", static_cast<int>(kind)));
  }
}

void ToProto(const CaseAttributes& a, v1::CaseAttributes* c) {
  c->Clear();
  if (a.age) c->set_age(*a.age);
  c->set_gender(std::string(1, a.gender));
  c->set_kader(a.kader);
  if (a.times_discussed) c->set_times_discussed(*a.times_discussed);
  if (a.life_domains) c->set_life_domains(*a.life_domains);
  if (a.goals) c->set_goals(*a.goals);
  if (a.decisions) c->set_decisions(*a.decisions);
  if (a.actions) c->set_actions(*a.actions);
}

absl::StatusOr<CaseAttributes> FromProto(const v1::CaseAttributes& c) {
  CaseAttributes a;
  if (c.has_age()) {
    if (c.age() < 0 || c.age() > 150) return absl::InvalidArgumentError("age out of range");
    a.age = c.age();
  }
  if (c.gender() != "m" && c.gender() != "v" && c.gender() != "o") {
    return absl::InvalidArgumentError("gender is not m, v or o");
  }
  a.gender = c.gender()[0];
  a.kader = c.kader();
  if (c.has_times_discussed()) {
    // As the agent's row parser allows (core/row_parser.cc): a negative or absurd count from a
    // faulty or hostile uploader would enter every study's descriptives and models.
    if (c.times_discussed() < 0 || c.times_discussed() > 100000) {
      return absl::InvalidArgumentError("times_discussed outside 0..100000");
    }
    a.times_discussed = c.times_discussed();
  }
  if (c.has_life_domains()) {
    if (c.life_domains() < 0 || c.life_domains() > 11) {
      return absl::InvalidArgumentError("life_domains outside 0..11");
    }
    a.life_domains = c.life_domains();
  }
  if (c.has_goals()) a.goals = c.goals();
  if (c.has_decisions()) a.decisions = c.decisions();
  if (c.has_actions()) a.actions = c.actions();
  return a;
}

void ToProto(const PseudonymousRecord& r, v1::PseudonymisedRecord* out) {
  out->Clear();
  out->set_record_id(r.record_id);
  out->set_event_day(r.event_day);
  for (const MatchKey& k : r.keys) {
    v1::MatchKey* mk = out->add_keys();
    mk->set_level(static_cast<v1::KeyLevel>(static_cast<int>(k.level)));
    mk->set_digest(reinterpret_cast<const char*>(k.digest.data()), k.digest.size());
  }
  if (!r.encodings.empty()) {
    v1::FieldEncodings* e = out->mutable_encodings();
    e->set_surname_bloom(reinterpret_cast<const char*>(r.encodings.surname_bloom.data()),
                         kBloomBytes);
    if (r.encodings.has_first_name()) {
      e->set_first_name_bloom(reinterpret_cast<const char*>(r.encodings.first_name_bloom.data()),
                              kBloomBytes);
    }
    // Every kind number in order, the retired ones as 0: the wire keeps one slot per number.
    for (int k = 0; k < kTokenKinds; ++k)
      e->add_tokens(r.encodings.token(static_cast<TokenKind>(k)));
  }
  if (r.kind == ExportKind::kCases) {
    ToProto(r.case_attributes, out->mutable_case_attributes());
  } else if (r.kind == ExportKind::kIncidents) {
    v1::IncidentAttributes* i = out->mutable_incident_attributes();
    i->set_category(r.incident_attributes.category);
    i->set_role(r.incident_attributes.role);
  }
  if (r.kind != ExportKind::kCases && (r.person.gender != 'o' || r.person.birth_band != 0)) {
    v1::PersonAttributes* p = out->mutable_person_attributes();
    p->set_gender(std::string(1, r.person.gender));
    p->set_birth_band(r.person.birth_band);
  }
}

absl::StatusOr<PseudonymousRecord> FromProto(ExportKind kind, const v1::PseudonymisedRecord& in) {
  PseudonymousRecord r;
  absl::Status s = FromProto(kind, in, &r);
  if (!s.ok()) return s;
  return r;
}

absl::Status FromProto(ExportKind kind, const v1::PseudonymisedRecord& in,
                       PseudonymousRecord* out) {
  // Every field as a new record's, the buffers (record id, keys) kept for reuse.
  PseudonymousRecord& r = *out;
  r.kind = kind;
  r.record_id.clear();
  r.event_day = 0;
  r.keys.clear();
  r.encodings = FieldEncodings();
  r.case_attributes = CaseAttributes();
  r.incident_attributes.category.clear();
  r.incident_attributes.role.clear();
  r.person = PersonAttributes();
  if (in.record_id().empty() || in.record_id().size() > 128) {
    return absl::InvalidArgumentError("record id empty or longer than 128 bytes");
  }
  if (std::string problem = RecordIdProblem(in.record_id()); !problem.empty()) {
    return absl::InvalidArgumentError(Cat("record id ", problem));
  }
  r.record_id = in.record_id();
  // The dates the agent accepts (core/dates.h): a day outside them (an uninitialised or hostile
  // value, INT32_MAX) overflowed the date arithmetic of the cohort windows.
  static const int32_t kFirstDay = DaysSinceEpoch(Date{kMinYear, 1, 1});
  static const int32_t kLastDay = DaysSinceEpoch(Date{kMaxYear, 12, 31});
  if (in.event_day() < kFirstDay || in.event_day() > kLastDay) {
    return absl::InvalidArgumentError(
        Cat("event day ", in.event_day(), " outside ", kMinYear, "..", kMaxYear));
  }
  r.event_day = in.event_day();
  // A case whose birth date is missing (a placeholder) has no key: it stays a case of the study,
  // unlinked. A police record without a key is never sent (core/export_pseudonymiser.h).
  if (in.keys_size() == 0 && kind != ExportKind::kCases) {
    return absl::InvalidArgumentError("record without match keys");
  }
  r.keys.reserve(static_cast<size_t>(in.keys_size()));  // grown by doubling: 4 allocations
  for (const v1::MatchKey& mk : in.keys()) {
    std::optional<KeyLevel> level = KeyLevelFromNumber(mk.level());
    if (!level)
      return absl::InvalidArgumentError(Cat("unknown key level ", static_cast<int>(mk.level())));
    if (mk.digest().size() != kMatchKeyBytes) {
      return absl::InvalidArgumentError(
          Cat("a match key has ", mk.digest().size(), " bytes, not ", kMatchKeyBytes));
    }
    MatchKey k{*level, {}};
    std::memcpy(k.digest.data(), mk.digest().data(), kMatchKeyBytes);
    r.keys.push_back(k);
  }
  if (in.has_encodings()) {
    const v1::FieldEncodings& e = in.encodings();
    if (e.surname_bloom().size() != kBloomBytes) {
      return absl::InvalidArgumentError(
          Cat("a surname filter has ", e.surname_bloom().size(), " bytes, not ", kBloomBytes));
    }
    std::memcpy(r.encodings.surname_bloom.data(), e.surname_bloom().data(), kBloomBytes);
    if (!e.first_name_bloom().empty()) {
      if (e.first_name_bloom().size() != kBloomBytes) {
        return absl::InvalidArgumentError(Cat(
            "a first-name filter has ", e.first_name_bloom().size(), " bytes, not ", kBloomBytes));
      }
      std::memcpy(r.encodings.first_name_bloom.data(), e.first_name_bloom().data(), kBloomBytes);
    }
    if (e.tokens_size() > kTokenKinds) {
      return absl::InvalidArgumentError(
          Cat("field encodings with ", e.tokens_size(), " tokens, more than ", kTokenKinds));
    }
    // Retired kinds (standalone date parts: issue 13, F1) from older sites are dropped, so
    // the linker never stores them.
    for (int k = 0; k < e.tokens_size(); ++k) {
      r.encodings.set_token(static_cast<TokenKind>(k), e.tokens(k));
    }
  }
  if (kind == ExportKind::kCases) {
    if (!in.has_case_attributes())
      return absl::InvalidArgumentError("case record without attributes");
    absl::StatusOr<CaseAttributes> a = FromProto(in.case_attributes());
    if (!a.ok()) return a.status();
    r.case_attributes = std::move(*a);
  } else if (kind == ExportKind::kIncidents) {
    r.incident_attributes.category = in.incident_attributes().category();
    r.incident_attributes.role = in.incident_attributes().role();
  }
  if (in.has_person_attributes()) {
    if (kind == ExportKind::kCases)
      return absl::InvalidArgumentError("a case record with police person attributes");
    const v1::PersonAttributes& p = in.person_attributes();
    if (p.gender() == "m" || p.gender() == "v" || p.gender() == "o") {
      r.person.gender = p.gender()[0];
    } else if (!p.gender().empty()) {
      return absl::InvalidArgumentError("person gender is not m, v or o");
    }
    if (p.birth_band() != 0 &&
        (p.birth_band() < 1800 || p.birth_band() > 2200 || p.birth_band() % kBirthBandYears != 0)) {
      return absl::InvalidArgumentError("birth band is not a multiple of 5 in 1800..2200");
    }
    r.person.birth_band = p.birth_band();
  }
  return absl::OkStatus();
}

struct RecordDigester::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string bytes;
  v1::PseudonymisedRecord scratch;
  ~State() { EVP_MD_CTX_free(ctx); }
};

RecordDigester::RecordDigester() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}
RecordDigester::~RecordDigester() = default;

void SerializeDeterministic(const v1::PseudonymisedRecord& record, std::string* out) {
  out->clear();
  google::protobuf::io::StringOutputStream sos(out);
  google::protobuf::io::CodedOutputStream cos(&sos);
  cos.SetSerializationDeterministic(true);
  record.SerializeToCodedStream(&cos);
}

void RecordDigester::Add(const v1::PseudonymisedRecord& record) {
  SerializeDeterministic(record, &state_->bytes);
  AddSerialized(state_->bytes);
}

void RecordDigester::AddSerialized(std::string_view bytes) {
  EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size());
}

void RecordDigester::Add(ExportKind kind, const PseudonymousRecord& record) {
  PseudonymousRecord copy = record;
  copy.kind = kind;
  ToProto(copy, &state_->scratch);
  Add(state_->scratch);
}

std::string RecordDigester::HexDigest() {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(state_->ctx, md, &len);
  return ToHex(std::span<const uint8_t>(md, len));
}

}  // namespace pprl
