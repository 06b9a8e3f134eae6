// Keyed encodings of each identity field, for approximate (probabilistic) linkage.
//
// Input: RAW IDENTITIES (a normalised identity); output: PSEUDONYMS that may leave the site,
// beside the exact match keys of core/match_keys.h. What they allow at the linker:
// - Bloom filters of the surname (without prefix) and of the first given name: the padded
//   bigrams of the value, each set at kBloomHashes bit positions taken from an HMAC under a
//   key of its own (field-level Bloom filters after Schnell, Bachteler and Reiher 2009). Two
//   filters' Dice coefficient approximates the names' bigram similarity, so one letter
//   substituted, added, dropped or transposed still compares as "similar". The surname filter is
//   salted with the 5-year birth band (sent beside each record anyway), the first-name filter with
//   the band and the phonetic surname: one name's filter differs per band (README, Security). Not
//   by year: a case (it carries its age) in a (surname, year) class told the linker operator the
//   birth year of all its police records (red team 5, O2; the first-name filter until session 6);
//   not without the surname: F1 of issue 13.
// - 64-bit keyed tokens (truncated HMACs), each under its own key derived from the site key
//   (one exception: kind 16, the swapped reading, shares kind 12's key to be compared with it)
//   with a purpose label, so equal tokens reveal equality of exactly that combination and
//   nothing else. EVERY token that carries a birth date or a part of one also carries the
//   surname (or its phonetic form, or its first or last three letters together with the first
//   name): equal tokens then only connect records of one surname family, and no chain of
//   records sharing tokens crosses the population (kind 16 joins a record to the family whose
//   surname sounds like its first name, at its own birth date and initial only). Standalone date
//   parts (year+month, year+day, month+day: kinds 0-3, until issue 13's F1) partitioned the records
//   into the calendar's classes (12 months, 31 days, one per year), which the calendar's shape and
//   the cases' ages labelled: they are retired, as are the initial+date and first name+date tokens,
//   whose low-entropy name part chained surname families through the date (README, Security).
//   Partial dates (year+month, year+day, month+day: one wrong digit still agrees on the rest)
//   are bound to the surname AND the given name, so that even within the commonest surname
//   they only chain the few people who share both names; year+{day, month} (a swap) to the
//   surname alone (its classes hold at most two dates, within one surname and year); whole
//   dates to the surname (or its phonetic form, or three of its letters with the first
//   initial). Kinds 7-9 and 11 held the surname alone (or the first initial) before issue 13:
//   extracts made before it must be re-made (their tokens no longer agree); so must extracts
//   made before kinds 13-14 took the first initial instead of the first name (most registers
//   hold initials only, so with the first name they never caught a surname error there). Their
//   classes (three surname letters, one initial, one whole date) chain only the people of one
//   birth date whose surnames share a head or tail and an initial.
// A missing field (no first name, no birth date) gives a zero filter / zero token: absent,
// never "different".
//
// FieldEncoder caches the bit positions per (field, birth year, bigram) and is NOT
// thread-safe: one per thread. ComputeFieldEncodings is a convenience that builds one.
#ifndef PPRL_CORE_FIELD_ENCODINGS_H_
#define PPRL_CORE_FIELD_ENCODINGS_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/hmac.h"
#include "core/hmac_key.h"
#include "core/match_keys.h"

namespace pprl {

inline constexpr size_t kBloomBits = 128;
inline constexpr size_t kBloomBytes = kBloomBits / 8;
inline constexpr int kBloomHashes = 4;  // bit positions per bigram

using BloomFilter = std::array<uint8_t, kBloomBytes>;

// The numbers are part of the wire format (proto/extract.proto EncodingToken): never reuse one.
enum class TokenKind : uint8_t {
  // 0-6: retired (never emitted; dropped when an extract is read): year_month, year_day,
  // month_day, year_day_month_unordered, initial_dob, first_name_dob, name_pair_dob (6: {surname,
  // first name} + birth date, replaced by kind 16, which also meets a site holding initials only).
  // "given" below is the first given name, or the initials when the site has no first name.
  kNamesMonthDay = 7,               // surname + given + month + day: year errors
  kNamesYearMonth = 8,              // surname + given + year + month: day errors
  kNamesYearDay = 9,                // surname + given + year + day: month errors
  kSurnameYearSwapped = 10,         // surname + year + {day, month}: swaps, no given name needed
  kPhoneticGivenYear = 11,          // phonetic surname + given + year: typo plus date error
  kPhoneticInitialDob = 12,         // phonetic surname + first initial + birth date: initials
  kSurnameHeadFirstNameDob = 13,    // first 3 letters of the surname + first initial + birth date
  kSurnameTailFirstNameDob = 14,    // last 3 letters of the surname + first initial + birth date:
                                    // one of the two survives a surname letter error (the first
                                    // name until issue 13 R: registers mostly hold initials)
  kSurnameDob = 15,                 // surname + birth date: given-name errors
  kSwappedPhoneticInitialDob = 16,  // the names read swapped: phonetic FIRST NAME + the
                                    // surname's first letter + birth date, under kind 12's key,
                                    // so it equals kind 12 of a record that wrote the names
                                    // the other way round (issue 13, session 6)
  kPhoneticDob = 17,                // phonetic surname + birth date: no initials on one side
};
// The kinds emitted and stored, in storage order: the layout of FieldEncodings follows this
// list, so a new kind is one line here (and its number in TokenKind, its name, its key).
inline constexpr TokenKind kLiveTokenKinds[] = {
    TokenKind::kSwappedPhoneticInitialDob,
    TokenKind::kNamesMonthDay,
    TokenKind::kNamesYearMonth,
    TokenKind::kNamesYearDay,
    TokenKind::kSurnameYearSwapped,
    TokenKind::kPhoneticGivenYear,
    TokenKind::kPhoneticInitialDob,
    TokenKind::kSurnameHeadFirstNameDob,
    TokenKind::kSurnameTailFirstNameDob,
    TokenKind::kSurnameDob,
    TokenKind::kPhoneticDob,
};
// The kind whose key a kind's tokens are made with: its own, except kind 16, which is made
// with kind 12's key so that the two compare (a swapped reading meets a straight one). Every
// audit that joins records by equal tokens (TokenComponents) treats kinds sharing a key as one.
constexpr TokenKind KeyKindOf(TokenKind kind) {
  return kind == TokenKind::kSwappedPhoneticInitialDob ? TokenKind::kPhoneticInitialDob : kind;
}
inline constexpr size_t kLiveTokenCount = std::size(kLiveTokenKinds);
// One more than the largest kind number: how many tokens the wire carries (retired ones as 0).
inline constexpr int kTokenKinds = [] {
  int n = 0;
  for (TokenKind k : kLiveTokenKinds) n = std::max(n, static_cast<int>(k) + 1);
  return n;
}();
namespace field_encodings_internal {
// Kind number -> storage slot, -1 for a retired kind.
inline constexpr std::array<int8_t, kTokenKinds> kSlotOf = [] {
  std::array<int8_t, kTokenKinds> slot{};
  for (int8_t& s : slot) s = -1;
  for (size_t i = 0; i < kLiveTokenCount; ++i) {
    slot[static_cast<int>(kLiveTokenKinds[i])] = static_cast<int8_t>(i);
  }
  return slot;
}();
}  // namespace field_encodings_internal
// True for the retired kinds (0-5: standalone or weakly bound date parts, issue 13 F1; 6): every
// kind number below kTokenKinds that is not in kLiveTokenKinds.
constexpr bool IsRetiredTokenKind(int kind) {
  return kind >= 0 && kind < kTokenKinds && field_encodings_internal::kSlotOf[kind] < 0;
}
std::string_view TokenKindName(TokenKind kind);

// PSEUDONYMS: may leave the site.
struct FieldEncodings {
  BloomFilter surname_bloom{};     // bigrams of the surname without prefix, salted by band
  BloomFilter first_name_bloom{};  // bigrams of the first given name; all zero when absent
  // The live kinds' tokens only (10M records at the linker: no room for retired slots), in the
  // order of kLiveTokenKinds; 0 means absent (a token that happens to be 0 is stored as 1).
  std::array<uint64_t, kLiveTokenCount> live_tokens{};

  // 0 for a retired kind (or one beyond kTokenKinds).
  uint64_t token(TokenKind kind) const {
    const int k = static_cast<int>(kind);
    const int slot = k < kTokenKinds ? field_encodings_internal::kSlotOf[k] : -1;
    return slot < 0 ? 0 : live_tokens[slot];
  }
  // A retired kind is dropped (never stored).
  void set_token(TokenKind kind, uint64_t value) {
    const int k = static_cast<int>(kind);
    const int slot = k < kTokenKinds ? field_encodings_internal::kSlotOf[k] : -1;
    if (slot >= 0) live_tokens[slot] = value;
  }
  bool has_first_name() const;
  // A first name or initials were known at the site (it then made the initial-bearing tokens).
  bool has_given_name() const;
  bool empty() const;  // nothing encoded (a record from before encodings existed)
  bool operator==(const FieldEncodings&) const = default;
};

// Dice coefficient of two filters' set bits, in [0, 1]; 0 when either is empty.
double BloomDice(const BloomFilter& a, const BloomFilter& b);
// The share of `part`'s set bits that `whole` holds too (0 when `part` is empty): near 1 when
// the bigrams of one name are among another's (a part of a double surname).
double BloomContainment(const BloomFilter& part, const BloomFilter& whole);
int BloomPopCount(const BloomFilter& a);

class FieldEncoder {
 public:
  // `key` must outlive the encoder. Derives one key per field and purpose:
  // HMAC(site key, "pprl/v1/encoding-key/" + purpose).
  explicit FieldEncoder(const HmacKey& key);
  ~FieldEncoder();
  FieldEncoder(const FieldEncoder&) = delete;
  FieldEncoder& operator=(const FieldEncoder&) = delete;

  // `identity.first_name` may be empty (then only the initial is used, if any); a birth date
  // with year 0 counts as missing (no date tokens, filters unsalted by year 0).
  void Encode(const NormalisedIdentity& identity, FieldEncodings* out);

 private:
  void Bloom(int field, int year, std::string_view value, BloomFilter* out);
  // Salted by the year and `family` (the phonetic surname); positions not cached.
  void FamilyBloom(int field, int year, std::string_view family, std::string_view value,
                   BloomFilter* out);
  uint64_t Token(TokenKind kind, std::span<const std::string_view> parts) const;

  std::vector<std::unique_ptr<PrecomputedHmac>> bloom_keys_;  // surname, first name
  std::vector<std::unique_ptr<PrecomputedHmac>> token_keys_;  // by TokenKind
  // (field, year) -> 729 packed position sets (kBloomHashes bytes each), 0 = not yet computed.
  std::unordered_map<uint32_t, std::vector<uint32_t>> positions_;
};

// The structural self-audit (issue 13, F1): the records joined when they share a token of
// one of `kinds` (transitively: union-find, as a linker operator chaining records would).
// `token(record, kind)` gives a record's token (0: none). Returns each record's component as
// the index of a representative record. Kinds made with one key (KeyKindOf) are pooled: a token
// of one equal to a token of the other joins too. O(n log n) time, 12 bytes per record of memory
// per key at a time (24 for the key kinds 12 and 16 share).
std::vector<uint32_t> TokenComponents(size_t n,
                                      const std::function<uint64_t(size_t, TokenKind)>& token,
                                      std::span<const TokenKind> kinds);
// The token kinds that are emitted (kLiveTokenKinds), every one holding a date part.
std::vector<TokenKind> LiveTokenKinds();

// One-off convenience (builds a FieldEncoder: slower in loops).
void ComputeFieldEncodings(const HmacKey& key, const NormalisedIdentity& identity,
                           FieldEncodings* out);

}  // namespace pprl

#endif  // PPRL_CORE_FIELD_ENCODINGS_H_
