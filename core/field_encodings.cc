#include "core/field_encodings.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "core/name_normaliser.h"
#include "core/pseudonymous_record.h"

namespace pprl {
namespace {

constexpr std::string_view kSep = "\x1f";  // never in a normalised field
constexpr int kFields = 2;                 // 0 surname, 1 first name
constexpr std::string_view kFieldPurpose[kFields] = {"surname_bloom", "first_name_bloom"};
constexpr int kAlphabet = 27;  // '_' (padding) and a-z
constexpr uint32_t kComputed = 1u << 31;

int Letter(char c) { return c >= 'a' && c <= 'z' ? c - 'a' + 1 : 0; }

void FourDigits(int v, char out[4]) {
  out[0] = static_cast<char>('0' + v / 1000 % 10);
  out[1] = static_cast<char>('0' + v / 100 % 10);
  out[2] = static_cast<char>('0' + v / 10 % 10);
  out[3] = static_cast<char>('0' + v % 10);
}
void TwoDigits(int v, char out[2]) {
  out[0] = static_cast<char>('0' + v / 10 % 10);
  out[1] = static_cast<char>('0' + v % 10);
}

std::unique_ptr<PrecomputedHmac> DeriveKey(const HmacKey& key, std::string_view purpose) {
  std::string label = "pprl/v1/encoding-key/";
  label += purpose;
  Sha256Digest derived = key.hmac().Compute(label);
  auto out = std::make_unique<PrecomputedHmac>(derived);
  std::fill(derived.begin(), derived.end(), 0);  // best effort: no copy of the key lingers
  return out;
}

}  // namespace

std::string_view TokenKindName(TokenKind kind) {
  switch (static_cast<int>(kind)) {
    case 0:
      return "retired_year_month";
    case 1:
      return "retired_year_day";
    case 2:
      return "retired_month_day";
    case 3:
      return "retired_year_day_month_unordered";
    case 4:
      return "retired_initial_dob";
    case 5:
      return "retired_first_name_dob";
    case 6:
      return "retired_name_pair_dob";
  }
  switch (kind) {
    case TokenKind::kSwappedPhoneticInitialDob:
      return "swapped_phonetic_initial_dob";
    case TokenKind::kNamesMonthDay:
      return "names_month_day";
    case TokenKind::kNamesYearMonth:
      return "names_year_month";
    case TokenKind::kNamesYearDay:
      return "names_year_day";
    case TokenKind::kSurnameYearSwapped:
      return "surname_year_swapped";
    case TokenKind::kPhoneticGivenYear:
      return "phonetic_given_year";
    case TokenKind::kPhoneticInitialDob:
      return "phonetic_initial_dob";
    case TokenKind::kSurnameHeadFirstNameDob:
      return "surname_head_first_name_dob";
    case TokenKind::kSurnameTailFirstNameDob:
      return "surname_tail_first_name_dob";
    case TokenKind::kSurnameDob:
      return "surname_dob";
    case TokenKind::kPhoneticDob:
      return "phonetic_dob";
  }
  return "unknown";
}

bool FieldEncodings::has_first_name() const {
  for (uint8_t b : first_name_bloom) {
    if (b != 0) return true;
  }
  return false;
}

bool FieldEncodings::has_given_name() const {
  return has_first_name() || token(TokenKind::kPhoneticInitialDob) != 0 ||
         token(TokenKind::kPhoneticGivenYear) != 0;
}

bool FieldEncodings::empty() const {
  for (uint8_t b : surname_bloom) {
    if (b != 0) return false;
  }
  for (uint64_t t : live_tokens) {
    if (t != 0) return false;
  }
  return !has_first_name();
}

int BloomPopCount(const BloomFilter& a) {
  uint64_t lo, hi;
  std::memcpy(&lo, a.data(), 8);
  std::memcpy(&hi, a.data() + 8, 8);
  return std::popcount(lo) + std::popcount(hi);
}

double BloomContainment(const BloomFilter& part, const BloomFilter& whole) {
  int set = 0, held = 0;
  for (size_t i = 0; i < kBloomBytes; ++i) {
    set += std::popcount(part[i]);
    held += std::popcount(static_cast<uint8_t>(part[i] & whole[i]));
  }
  return set == 0 ? 0.0 : static_cast<double>(held) / set;
}

double BloomDice(const BloomFilter& a, const BloomFilter& b) {
  uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a.data(), 8);
  std::memcpy(&a1, a.data() + 8, 8);
  std::memcpy(&b0, b.data(), 8);
  std::memcpy(&b1, b.data() + 8, 8);
  int na = std::popcount(a0) + std::popcount(a1);
  int nb = std::popcount(b0) + std::popcount(b1);
  if (na == 0 || nb == 0) return 0.0;
  int both = std::popcount(a0 & b0) + std::popcount(a1 & b1);
  return 2.0 * both / (na + nb);
}

FieldEncoder::FieldEncoder(const HmacKey& key) {
  for (std::string_view purpose : kFieldPurpose) bloom_keys_.push_back(DeriveKey(key, purpose));
  for (int k = 0; k < kTokenKinds; ++k) {
    if (IsRetiredTokenKind(k)) {
      token_keys_.push_back(nullptr);
      continue;
    }
    std::string purpose = "token/";
    purpose += TokenKindName(KeyKindOf(static_cast<TokenKind>(k)));
    token_keys_.push_back(DeriveKey(key, purpose));
  }
}

FieldEncoder::~FieldEncoder() = default;

void FieldEncoder::Bloom(int field, int year, std::string_view value, BloomFilter* out) {
  out->fill(0);
  if (value.empty()) return;
  std::vector<uint32_t>& table = positions_[static_cast<uint32_t>(year) * kFields + field];
  if (table.empty()) table.assign(kAlphabet * kAlphabet, 0);
  char salt[4];
  FourDigits(year, salt);
  // Padded bigrams: "_k", "ko", "ok", "k_" for "kok".
  int previous = 0;
  for (size_t i = 0; i <= value.size(); ++i) {
    int current = i < value.size() ? Letter(value[i]) : 0;
    uint32_t& slot = table[previous * kAlphabet + current];
    if (slot == 0) {
      char bigram[2] = {previous == 0 ? '_' : static_cast<char>('a' + previous - 1),
                        current == 0 ? '_' : static_cast<char>('a' + current - 1)};
      std::string_view parts[] = {std::string_view(salt, 4), kSep, std::string_view(bigram, 2)};
      Sha256Digest d = bloom_keys_[field]->Compute(parts);
      slot = kComputed;
      for (int h = 0; h < kBloomHashes; ++h) slot |= (d[h] & 0x7fu) << (7 * h);
    }
    for (int h = 0; h < kBloomHashes; ++h) {
      uint32_t bit = (slot >> (7 * h)) & 0x7fu;
      (*out)[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    }
    previous = current;
  }
}

void FieldEncoder::FamilyBloom(int field, int year, std::string_view family, std::string_view value,
                               BloomFilter* out) {
  out->fill(0);
  if (value.empty()) return;
  char salt[4];
  FourDigits(year, salt);
  int previous = 0;
  for (size_t i = 0; i <= value.size(); ++i) {
    int current = i < value.size() ? Letter(value[i]) : 0;
    char bigram[2] = {previous == 0 ? '_' : static_cast<char>('a' + previous - 1),
                      current == 0 ? '_' : static_cast<char>('a' + current - 1)};
    std::string_view parts[] = {std::string_view(salt, 4), kSep, family, kSep,
                                std::string_view(bigram, 2)};
    Sha256Digest d = bloom_keys_[field]->Compute(parts);
    for (int h = 0; h < kBloomHashes; ++h) {
      uint32_t bit = d[h] & 0x7fu;
      (*out)[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    }
    previous = current;
  }
}

uint64_t FieldEncoder::Token(TokenKind kind, std::span<const std::string_view> parts) const {
  Sha256Digest d = token_keys_[static_cast<int>(kind)]->Compute(parts);
  uint64_t t;
  std::memcpy(&t, d.data(), sizeof t);
  return t == 0 ? 1 : t;
}

void FieldEncoder::Encode(const NormalisedIdentity& id, FieldEncodings* out) {
  const Date& b = id.birth_date;
  const bool has_date = b.year > 0 && b.month > 0 && b.day > 0;
  const int year = has_date ? b.year : 0;
  // The surname filter is salted by the birth band (core/pseudonymous_record.h), not the
  // year: salted by the year, one filter was one (surname, birth year) class, and a case in it
  // (cases carry their age) told the linker operator the exact birth year of every police
  // record in the class (red team 5, O2). The band is sent beside every record anyway.
  Bloom(0, BirthBand(year), id.surname, &out->surname_bloom);
  // The first-name filter is salted by the phonetic surname too: salted by the year alone,
  // equal first-name filters joined everyone of one first name and birth year across
  // surnames, and with the surname filters chained the whole store into birth-year classes
  // (the structural attack, issue 13 F1).
  const std::string family = id.surname.empty() ? std::string() : DutchPhonetic(id.surname);
  // Salted by the band, not the year, as the surname filter (session 6): by the year, equal
  // first-name filters within one phonetic surname told the same birth-year classes (O2).
  FamilyBloom(1, BirthBand(year), family, id.first_name, &out->first_name_bloom);
  out->live_tokens.fill(0);
  if (!has_date) return;

  char y[4], m[2], d[2], lo[2], hi[2];
  FourDigits(b.year, y);
  TwoDigits(b.month, m);
  TwoDigits(b.day, d);
  TwoDigits(std::min(b.month, b.day), lo);
  TwoDigits(std::max(b.month, b.day), hi);
  const std::string_view ys(y, 4), ms(m, 2), ds(d, 2), los(lo, 2), his(hi, 2);
  const std::string_view surname = id.surname;
  const std::string_view initial =
      id.initials.empty() ? std::string_view() : std::string_view(id.initials).substr(0, 1);
  auto set = [&](TokenKind kind, std::initializer_list<std::string_view> parts) {
    out->set_token(kind,
                   Token(kind, std::span<const std::string_view>(parts.begin(), parts.size())));
  };
  // Every token below holds the surname (whole, phonetic, or three of its letters next to the
  // first name); partial dates hold the given name too (issue 13, F1).
  if (surname.empty()) return;
  set(TokenKind::kSurnameDob, {surname, kSep, ys, ms, ds});
  // The given name: the first given name, else the initials (marked: never equal to a name).
  std::string given_buffer;
  std::string_view given = id.first_name;
  if (given.empty() && !id.initials.empty()) {
    given_buffer = "#" + id.initials;
    given = given_buffer;
  }
  // Within a surname and year, {day, month}: its classes hold at most two dates (a date and
  // its swap), and the surname filter already tells surname + year (README, Security).
  set(TokenKind::kSurnameYearSwapped, {surname, kSep, ys, los, his});
  const std::string& phonetic = family;
  if (!given.empty()) {
    set(TokenKind::kNamesMonthDay, {surname, kSep, given, kSep, ms, ds});
    set(TokenKind::kNamesYearMonth, {surname, kSep, given, kSep, ys, ms});
    set(TokenKind::kNamesYearDay, {surname, kSep, given, kSep, ys, kSep, ds});
    set(TokenKind::kPhoneticGivenYear, {phonetic, kSep, given, kSep, ys});
  }
  if (!initial.empty()) {
    set(TokenKind::kPhoneticInitialDob, {phonetic, kSep, initial, kSep, ys, ms, ds});
  }
  set(TokenKind::kPhoneticDob, {phonetic, kSep, ys, ms, ds});
  // The names read the other way round (first name and surname swapped by the register): the
  // first name's phonetic form, the surname's first letter and the date, under kind 12's key, so
  // it equals kind 12 of a record written swapped. A site with a first name is needed on one side
  // only (kind 6, retired, needed it on both: registers of initials never met it).
  if (!id.first_name.empty()) {
    const std::string swapped = DutchPhonetic(id.first_name);
    set(TokenKind::kSwappedPhoneticInitialDob,
        {swapped, kSep, surname.substr(0, 1), kSep, ys, ms, ds});
  }
  // Head and tail of the surname with the first INITIAL (not the first name: most police and
  // case registers hold initials only, and a first name and initials must still agree) and the
  // whole date: one of the two survives a letter error in the surname.
  if (!initial.empty()) {
    const size_t part = std::min<size_t>(3, surname.size());
    set(TokenKind::kSurnameHeadFirstNameDob,
        {surname.substr(0, part), kSep, initial, kSep, ys, ms, ds});
    set(TokenKind::kSurnameTailFirstNameDob,
        {surname.substr(surname.size() - part), kSep, initial, kSep, ys, ms, ds});
  }
}

std::vector<TokenKind> LiveTokenKinds() {
  return std::vector<TokenKind>(std::begin(kLiveTokenKinds), std::end(kLiveTokenKinds));
}

std::vector<uint32_t> TokenComponents(size_t n,
                                      const std::function<uint64_t(size_t, TokenKind)>& token,
                                      std::span<const TokenKind> kinds) {
  std::vector<uint32_t> parent(n);
  for (size_t i = 0; i < n; ++i) parent[i] = static_cast<uint32_t>(i);
  auto find = [&](uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  std::vector<std::pair<uint64_t, uint32_t>> held;
  // Kinds made with one key compare with each other (KeyKindOf): their tokens are pooled.
  std::vector<TokenKind> keys;
  for (TokenKind kind : kinds) {
    if (std::find(keys.begin(), keys.end(), KeyKindOf(kind)) == keys.end()) {
      keys.push_back(KeyKindOf(kind));
    }
  }
  for (TokenKind key : keys) {
    held.clear();
    for (TokenKind kind : kinds) {
      if (KeyKindOf(kind) != key) continue;
      for (size_t i = 0; i < n; ++i) {
        uint64_t t = token(i, kind);
        if (t != 0) held.emplace_back(t, static_cast<uint32_t>(i));
      }
    }
    std::sort(held.begin(), held.end());
    for (size_t j = 1; j < held.size(); ++j) {
      if (held[j].first != held[j - 1].first) continue;
      uint32_t a = find(held[j].second), b = find(held[j - 1].second);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
  }
  for (size_t i = 0; i < n; ++i) parent[i] = find(static_cast<uint32_t>(i));
  return parent;
}

void ComputeFieldEncodings(const HmacKey& key, const NormalisedIdentity& identity,
                           FieldEncodings* out) {
  FieldEncoder encoder(key);
  encoder.Encode(identity, out);
}

}  // namespace pprl
