// Normalisation of the identity fields before hashing: surnames with their Dutch prefixes,
// initials, first names.
//
// RAW IDENTITIES: everything here handles names; it runs at the agent only, and no result may
// be logged. Error messages name the problem, never the value.
//
// Folding uses ICU ("Any-Latin; Latin-ASCII"): diacritics go, non-Latin scripts are
// transliterated, ligatures and letters such as ß, ø, ı, ĳ are spelled out. Pure ASCII input
// skips ICU (the common case, and the fast one). A NameNormaliser holds an ICU transliterator
// and is not thread-safe: use one per thread.
#ifndef PPRL_CORE_NAME_NORMALISER_H_
#define PPRL_CORE_NAME_NORMALISER_H_

#include <unicode/uversion.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

U_NAMESPACE_BEGIN
class Transliterator;
U_NAMESPACE_END

namespace pprl {

struct NormalisedSurname {
  std::string prefix;   // words joined by one blank, e.g. "van der"; may be empty
  std::string surname;  // lower-case letters a-z only, e.g. "berg"
  // The other reading of the same name, with the prefix or particle glued on: "vanderberg" for
  // "van der Berg", "elamrani" for "El Amrani", "dhont" for "D'Hont" -- what a register that
  // writes the name glued ("Vanderberg", "Elamrani", "Dhont") or hyphenated ("El-Amrani",
  // "'s-Gravesande") holds as its surname. Empty when there is no prefix, or when the prefix was
  // written as an abbreviation ("v.d."), whose glued form nobody writes.
  std::string glued;
};

class NameNormaliser {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<NameNormaliser>> Create();
  ~NameNormaliser();
  NameNormaliser(const NameNormaliser&) = delete;
  NameNormaliser& operator=(const NameNormaliser&) = delete;

  // To ASCII, case kept: "Çelik-Öztürk" -> "Celik-Ozturk". Every Unicode space (no-break
  // U+00A0, narrow no-break U+202F, the U+2000 series, ideographic U+3000, ...) and other
  // white space becomes a blank; characters with no ASCII form (zero-width ones) are dropped.
  void FoldToAscii(std::string_view utf8, std::string* out);

  // Splits the prefix off wherever it was written: "van der Berg", "Berg, van der",
  // "Berg van der" (a trailing prefix of at least two letters: "War d" is a stray space, not the
  // prefix d'), or in `prefix_column`. Prefixes are those of IsSurnamePrefix, written in full
  // or abbreviated as registers do ("v.", "vd", "v.d.", "v/d", "vd.", "v.d", "v. d.", "vdr",
  // "v.der", "v.den", "vh", "v.h.", "i.d.", "o.d."; see CanonicalSurnamePrefix). A prefix
  // joined to the name by a hyphen ("'s-Gravesande", "Ben-Haddou") or an apostrophe
  // ("in 'tVeld", "D'Hont") is split off like a blank one. Fails when no letters remain or
  // when text after a comma is not a prefix.
  [[nodiscard]] absl::StatusOr<NormalisedSurname> Surname(std::string_view surname,
                                                          std::string_view prefix_column);

  // One lower-case letter per given name: "J.P." "JP" "J. P." -> "jp"; "Th." "Chr." "IJ." -> one
  // letter each. Empty input gives "".
  std::string Initials(std::string_view initials);

  // The first letter of each given name: "Jan Pieter" -> "jp", "IJsbrand" -> "i".
  std::string InitialsFromFirstNames(std::string_view first_names);

 private:
  explicit NameNormaliser(std::unique_ptr<icu::Transliterator> transliterator);
  std::unique_ptr<icu::Transliterator> transliterator_;
  // Reused between calls so that normalising a row allocates little.
  std::string scratch_;
  std::vector<std::string> words_;
  std::vector<std::string> tail_words_;
  // Non-ASCII input -> its ICU fold. Bounded; emptied when full.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static constexpr size_t kFoldCacheEntries = 1 << 16;
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> fold_cache_;
};

// True if the words (lower case, apostrophes removed, one blank between) are a Dutch or other
// registered surname prefix ("van der", "t", "in t", "op de", "von", ...) or a particle of
// Arabic and Berber names ("el", "al", "ben", "bin", "ibn", "abou", "abu", "ait", "bou").
bool IsSurnamePrefix(std::string_view words);

// The prefix that the words (as for IsSurnamePrefix, with dots and slashes read as blanks)
// stand for: a registered prefix stands for itself; an abbreviation for its expansion ("v" ->
// "van", "vdr" / "v der" -> "van der", "v den" -> "van den", "v h" -> "van het", "i d" ->
// "in de"), and "vd" / "v d", which registers use for van de, van den and van der alike, for
// "van d". Empty when the words are no prefix. *abbreviated is set when it was an abbreviation.
std::string CanonicalSurnamePrefix(std::string_view words, bool* abbreviated = nullptr);

// A name field written as UTF-8 twice (an export decoded as Latin-1 or Windows-1252 and encoded
// again: "MÃ¼ller" for "Müller") into *out, true. Only an unambiguous double encoding is
// repaired: every character maps to one Latin-1/Windows-1252 byte and those bytes are valid
// UTF-8 with at least one non-ASCII character (repeated for a triple encoding). Real names
// never hold such pairs ("Ã" followed by "¼"), so a correct name is never changed; false when
// there is nothing to repair.
bool RepairDoubleEncodedUtf8(std::string_view text, std::string* out);

// A Dutch-aware phonetic code of a normalised surname (letters a-z): groups sounds that are
// commonly confused in registration (ij/ei/y, ou/au, ch/g, c/k/ck, ph/f/v, s/z, d/t, double
// letters), keeps the first sound and drops later vowels. "meijer" "meyer" "meier" -> one code.
std::string DutchPhonetic(std::string_view surname);

}  // namespace pprl

#endif  // PPRL_CORE_NAME_NORMALISER_H_
