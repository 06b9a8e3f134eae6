// Keyed encodings of each identity field, for approximate (probabilistic) linkage.
//
// Input: RAW IDENTITIES (a normalised identity); output: PSEUDONYMS that may leave the site,
// beside the exact match keys of core/match_keys.h. What they allow at the linker:
// - Bloom filters of the surname (without prefix) and of the first given name: the padded
//   bigrams of the value, each set at kBloomHashes bit positions taken from an HMAC under a
//   key of its own (field-level Bloom filters after Schnell, Bachteler and Reiher 2009). Two
//   filters' Dice coefficient approximates the names' bigram similarity, so one letter
//   substituted, added, dropped or transposed still compares as "similar". The positions are
//   salted with the birth year: one name gives a different filter in every birth year, so the
//   linker cannot count a name's filter across the whole population (see README, Security).
// - 64-bit keyed tokens (truncated HMACs), each under its own key derived from the site key
//   with a purpose label, so equal tokens reveal equality of exactly that combination and
//   nothing else. Birth date parts are keyed in pairs (year+month, year+day, month+day, and
//   year with {day, month} unordered): one wrong digit or a day/month swap still agrees on the
//   rest, while no token carries a single date part alone. Name tokens always carry the birth
//   date or its parts, so their frequencies are close to flat.
// A missing field (no first name, no birth date) gives a zero filter / zero token: absent,
// never "different".
//
// FieldEncoder caches the bit positions per (field, birth year, bigram) and is NOT
// thread-safe: one per thread. ComputeFieldEncodings is a convenience that builds one.
#ifndef PPRL_CORE_FIELD_ENCODINGS_H_
#define PPRL_CORE_FIELD_ENCODINGS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
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
  kYearMonth = 0,              // birth year + month
  kYearDay = 1,                // birth year + day
  kMonthDay = 2,               // birth month + day
  kYearDayMonthUnordered = 3,  // birth year + {day, month} as a set: day/month swaps
  kInitialDob = 4,             // first initial + birth date
  kFirstNameDob = 5,           // first given name + birth date: blocks surname errors
  kNamePairDob = 6,            // {surname, first given name} as a set + birth date: swaps
  kNamesNoYear = 7,            // surname + first initial + month + day: year errors
  kSurnameYearMonth = 8,       // surname + year + month: blocks day errors
  kSurnameYearDay = 9,         // surname + year + day: blocks month errors
  kSurnameYearSwapped = 10,    // surname + year + {day, month}: swaps without a first name
  kPhoneticInitialYear = 11,   // phonetic surname + first initial + year: typo plus date error
};
inline constexpr int kTokenKinds = 12;
std::string_view TokenKindName(TokenKind kind);

// PSEUDONYMS: may leave the site.
struct FieldEncodings {
  BloomFilter surname_bloom{};     // bigrams of the surname without prefix, salted by year
  BloomFilter first_name_bloom{};  // bigrams of the first given name; all zero when absent
  // Indexed by TokenKind; 0 means absent (a token that happens to be 0 is stored as 1).
  std::array<uint64_t, kTokenKinds> tokens{};

  uint64_t token(TokenKind kind) const { return tokens[static_cast<int>(kind)]; }
  bool has_first_name() const;
  bool empty() const;  // nothing encoded (a record from before encodings existed)
  bool operator==(const FieldEncodings&) const = default;
};

// Dice coefficient of two filters' set bits, in [0, 1]; 0 when either is empty.
double BloomDice(const BloomFilter& a, const BloomFilter& b);
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
  uint64_t Token(TokenKind kind, std::span<const std::string_view> parts) const;

  std::vector<std::unique_ptr<PrecomputedHmac>> bloom_keys_;  // surname, first name
  std::vector<std::unique_ptr<PrecomputedHmac>> token_keys_;  // by TokenKind
  // (field, year) -> 729 packed position sets (kBloomHashes bytes each), 0 = not yet computed.
  std::unordered_map<uint32_t, std::vector<uint32_t>> positions_;
};

// One-off convenience (builds a FieldEncoder: slower in loops).
void ComputeFieldEncodings(const HmacKey& key, const NormalisedIdentity& identity,
                           FieldEncodings* out);

}  // namespace pprl

#endif  // PPRL_CORE_FIELD_ENCODINGS_H_
