#include "core/name_normaliser.h"

#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/csv_reader.h"
#include "core/text.h"

namespace pprl {
namespace {

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
char Lower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// The registered Dutch surname prefixes (the civil registry's table of voorvoegsels), lower
// case, apostrophes removed.
const std::unordered_set<std::string_view>& Prefixes() {
  static const auto* kPrefixes = new std::unordered_set<std::string_view>{
      "a",          "aan",        "aan t",    "aan de",  "aan den",  "aan der",   "aan het",
      "af",         "al",         "am",       "am de",   "auf",      "auf dem",   "auf den",
      "auf der",    "auf ter",    "aus",      "aus dem", "aus den",  "aus der",   "aus m",
      "ben",        "bij",        "bij t",    "bij de",  "bij den",  "bij het",   "bin",
      "boven d",    "d",          "da",       "dal",     "dalla",    "das",       "de",
      "de die",     "de die le",  "de l",     "de la",   "de las",   "de le",     "de van der",
      "deca",       "degli",      "dei",      "del",     "della",    "den",       "der",
      "des",        "di",         "die",      "do",      "don",      "dos",       "du",
      "el",         "het",        "in",       "in t",    "in de",    "in den",    "in der",
      "in het",     "l",          "la",       "las",     "le",       "les",       "lo",
      "los",        "op",         "op t",     "op de",   "op den",   "op der",    "op gen",
      "op het",     "op ten",     "over",     "over t",  "over de",  "over den",  "over het",
      "s",          "t",          "te",       "ten",     "ter",      "tho",       "thoe",
      "thor",       "to",         "toe",      "tot",     "uijt",     "uijt t",    "uijt de",
      "uijt den",   "uijt te de", "uijt ten", "uit",     "uit t",    "uit de",    "uit den",
      "uit het",    "uit te de",  "uit ten",  "unter",   "van",      "van t",     "van de",
      "van de l",   "van den",    "van der",  "van gen", "van het",  "van la",    "van ter",
      "van van de", "ver",        "vom",      "von",     "von t",    "von dem",   "von den",
      "von der",    "voor",       "voor t",   "voor de", "voor den", "voor in t", "vor",
      "vor der",    "zu",         "zum",      "zur"};
  return *kPrefixes;
}

// Particles of Arabic and Berber names, written apart, hyphenated or glued ("El Amrani",
// "El-Amrani", "Elamrani"): split off like a prefix when apart or hyphenated, and glued on in the
// other reading (NormalisedSurname::glued), so every spelling shares keys. "el", "al", "ben" and
// "bin" are in the registry's table above.
const std::unordered_set<std::string_view>& Particles() {
  static const auto* kParticles =
      new std::unordered_set<std::string_view>{"abou", "abu", "ait", "bou", "ibn"};
  return *kParticles;
}

// Abbreviations of prefixes as registers write them (after Words: dots and slashes split,
// lower case), with the prefix each stands for. "vd" is written for van de, van den and van der
// alike, so it stands for "van d" (which no full prefix equals: it joins a full form at the
// first_initial level, not at full).
const std::unordered_map<std::string_view, std::string_view>& Abbreviations() {
  static const auto* kAbbreviations = new std::unordered_map<std::string_view, std::string_view>{
      {"v", "van"},           {"vd", "van d"},      {"v d", "van d"},    {"vdr", "van der"},
      {"v dr", "van der"},    {"v der", "van der"}, {"vder", "van der"}, {"vd r", "van der"},
      {"vden", "van den"},    {"v den", "van den"}, {"vdn", "van den"},  {"v dn", "van den"},
      {"vd n", "van den"},    {"v de", "van de"},   {"vh", "van het"},   {"v h", "van het"},
      {"v het", "van het"},   {"v t", "van t"},     {"i d", "in de"},    {"i t", "in t"},
      {"i h", "in het"},      {"i den", "in den"},  {"o d", "op de"},    {"o t", "op t"},
      {"o h", "op het"},      {"o den", "op den"},  {"u d", "uit de"},   {"u den", "uit den"},
      {"v v d", "van van de"}};
  return *kAbbreviations;
}

constexpr size_t kMaxPrefixWords = 4;

// Lower-case letters only.
std::string LettersOnly(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsAsciiLetter(c)) out.push_back(Lower(c));
  }
  return out;
}

// Splits folded, lower-cased text into words on anything but letters and apostrophes; a word
// such as "d'ancona" or "l'estrange" becomes two ("d", "ancona"). Apostrophes are dropped.
void Words(std::string_view text, std::vector<std::string>* out) {
  std::vector<std::string>& words = *out;
  words.clear();
  std::string current;
  auto flush = [&] {
    if (!current.empty()) words.push_back(std::move(current));
    current.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (IsAsciiLetter(c)) {
      current.push_back(Lower(c));
    } else if (c == '\'' || c == '`') {
      // An elided article: d', l', s' glued to the next word.
      if ((current == "d" || current == "l" || current == "s") && i + 1 < text.size() &&
          IsAsciiLetter(text[i + 1])) {
        flush();
      } else if (current.empty() && i + 2 < text.size() &&
                 (text[i + 1] == 't' || text[i + 1] == 's' || text[i + 1] == 'T' ||
                  text[i + 1] == 'S') &&
                 IsUpper(text[i + 2])) {
        // 't or 's glued to a capitalised name: "in 'tVeld", "'sGravesande".
        words.push_back(std::string(1, Lower(text[i + 1])));
        ++i;
      }
      // Otherwise the apostrophe is inside a name (O'Brien) or before 't: just drop it.
    } else if (c == '-' && !current.empty()) {
      // A prefix hyphenated to the name ("'s-Gravesande", "Ben-Haddou", "El-Amrani") is split
      // off like a blank one. Otherwise a double surname: keep its parts in one word so
      // "Jansen-de Vries" stays whole.
      if (words.empty() && IsSurnamePrefix(current)) flush();
      continue;
    } else {
      flush();
    }
  }
  flush();
}

// The number of leading words (at most kMaxPrefixWords, leaving at least `keep` words) that
// form the longest prefix or abbreviation; 0 if none.
size_t LeadingPrefixLength(const std::vector<std::string>& words, size_t begin, size_t end,
                           size_t keep) {
  size_t best = 0;
  for (size_t n = 1; n <= kMaxPrefixWords && begin + n + keep <= end; ++n) {
    std::string joined = Join({words.begin() + begin, words.begin() + begin + n}, " ");
    if (!CanonicalSurnamePrefix(joined).empty()) best = n;
  }
  return best;
}

// As LeadingPrefixLength, at the end. A single letter at the end is a stray space inside the
// name ("War d" for Ward), not an elided d' or 's, which only ever precede a name.
size_t TrailingPrefixLength(const std::vector<std::string>& words, size_t keep) {
  size_t best = 0;
  for (size_t n = 1; n <= kMaxPrefixWords && n + keep <= words.size(); ++n) {
    std::string joined = Join({words.end() - n, words.end()}, " ");
    if (n == 1 && joined.size() == 1) continue;
    if (!CanonicalSurnamePrefix(joined).empty()) best = n;
  }
  return best;
}

// The prefix letters without blanks ("van der" -> "vander").
std::string PrefixLetters(std::string_view prefix) {
  std::string out;
  for (char c : prefix) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

// Reads the code point at text[*i] into *cp and advances; false on malformed UTF-8.
bool NextCodePoint(std::string_view text, size_t* i, uint32_t* cp) {
  const auto c = static_cast<unsigned char>(text[*i]);
  const size_t extra = c < 0x80 ? 0 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 4;
  if (extra == 4 || *i + extra >= text.size() + (extra == 0 ? 1 : 0)) return false;
  uint32_t v = extra == 0 ? c : c & (0x3Fu >> extra);
  for (size_t k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(text[*i + k]);
    if ((b & 0xC0) != 0x80) return false;
    v = (v << 6) | (b & 0x3F);
  }
  *i += extra + 1;
  *cp = v;
  return true;
}

// The Windows-1252 byte of a code point outside Latin-1, or -1.
int Windows1252Byte(uint32_t cp) {
  static constexpr std::pair<uint32_t, int> kTable[] = {
      {0x20AC, 0x80}, {0x201A, 0x82}, {0x0192, 0x83}, {0x201E, 0x84}, {0x2026, 0x85},
      {0x2020, 0x86}, {0x2021, 0x87}, {0x02C6, 0x88}, {0x2030, 0x89}, {0x0160, 0x8A},
      {0x2039, 0x8B}, {0x0152, 0x8C}, {0x017D, 0x8E}, {0x2018, 0x91}, {0x2019, 0x92},
      {0x201C, 0x93}, {0x201D, 0x94}, {0x2022, 0x95}, {0x2013, 0x96}, {0x2014, 0x97},
      {0x02DC, 0x98}, {0x2122, 0x99}, {0x0161, 0x9A}, {0x203A, 0x9B}, {0x0153, 0x9C},
      {0x017E, 0x9E}, {0x0178, 0x9F}};
  for (const auto& [code, byte] : kTable) {
    if (code == cp) return byte;
  }
  return -1;
}

// One round of undoing a double encoding; false when `text` is not one.
bool UndoOneEncoding(std::string_view text, std::string* out) {
  out->clear();
  bool non_ascii = false;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    if (!NextCodePoint(text, &i, &cp)) return false;
    int byte = cp < 0x100 ? static_cast<int>(cp) : Windows1252Byte(cp);
    if (byte < 0) return false;
    non_ascii = non_ascii || byte >= 0x80;
    out->push_back(static_cast<char>(byte));
  }
  return non_ascii && IsValidUtf8(*out) && *out != text;
}

}  // namespace

bool IsSurnamePrefix(std::string_view words) {
  return Prefixes().contains(words) || Particles().contains(words);
}

std::string CanonicalSurnamePrefix(std::string_view words, bool* abbreviated) {
  if (abbreviated != nullptr) *abbreviated = false;
  if (IsSurnamePrefix(words)) return std::string(words);
  if (auto it = Abbreviations().find(words); it != Abbreviations().end()) {
    if (abbreviated != nullptr) *abbreviated = true;
    return std::string(it->second);
  }
  return "";
}

bool RepairDoubleEncodedUtf8(std::string_view text, std::string* out) {
  if (IsAscii(text)) return false;
  std::string current(text), next;
  bool repaired = false;
  for (int round = 0; round < 3 && UndoOneEncoding(current, &next); ++round) {
    current.swap(next);
    repaired = true;
  }
  if (repaired) *out = std::move(current);
  return repaired;
}

absl::StatusOr<std::unique_ptr<NameNormaliser>> NameNormaliser::Create() {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> t(
      icu::Transliterator::createInstance("Any-Latin; Latin-ASCII", UTRANS_FORWARD, status));
  if (U_FAILURE(status) || t == nullptr) {
    return absl::InternalError(std::string("ICU transliterator unavailable: ") +
                               u_errorName(status));
  }
  return std::unique_ptr<NameNormaliser>(new NameNormaliser(std::move(t)));
}

NameNormaliser::NameNormaliser(std::unique_ptr<icu::Transliterator> transliterator)
    : transliterator_(std::move(transliterator)) {}

NameNormaliser::~NameNormaliser() = default;

void NameNormaliser::FoldToAscii(std::string_view utf8, std::string* out) {
  out->clear();
  if (IsAscii(utf8)) {
    out->assign(utf8);
    return;
  }
  // Names repeat (a national register has far fewer distinct surnames than rows), and ICU's
  // transliteration costs microseconds, so folds are remembered.
  if (auto it = fold_cache_.find(utf8); it != fold_cache_.end()) {
    out->assign(it->second);
    return;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  // Every space is a blank (ICU's Latin-ASCII drops U+202F and others): "van\u202Fder Berg"
  // has a prefix. The White_Space characters are all in the BMP.
  for (int32_t k = 0; k < u.length(); ++k) {
    if (u_isUWhiteSpace(u.charAt(k))) u.setCharAt(k, u' ');
  }
  transliterator_->transliterate(u);
  std::string folded;
  u.toUTF8String(folded);
  for (char c : folded) {
    if (static_cast<unsigned char>(c) < 0x80) out->push_back(c);
  }
  if (fold_cache_.size() >= kFoldCacheEntries) fold_cache_.clear();
  fold_cache_.emplace(std::string(utf8), *out);
}

absl::StatusOr<NormalisedSurname> NameNormaliser::Surname(std::string_view surname,
                                                          std::string_view prefix_column) {
  // Fast path for the common case: one plain ASCII word and no prefix column.
  if (prefix_column.empty() && !surname.empty() &&
      std::all_of(surname.begin(), surname.end(), IsAsciiLetter)) {
    NormalisedSurname out;
    out.surname.resize(surname.size());
    std::transform(surname.begin(), surname.end(), out.surname.begin(), Lower);
    return out;
  }
  FoldToAscii(surname, &scratch_);
  std::string_view text = scratch_;

  // "Berg, van der": the part after the comma must be a prefix.
  bool abbreviated = false;
  std::string extracted;
  std::string main_part;
  if (size_t comma = text.find(','); comma != std::string_view::npos) {
    std::vector<std::string>& tail = tail_words_;
    Words(text.substr(comma + 1), &tail);
    if (!tail.empty()) {
      extracted = CanonicalSurnamePrefix(Join(tail, " "), &abbreviated);
      if (extracted.empty()) {
        return absl::InvalidArgumentError("the text after the comma is not a surname prefix");
      }
    }
    main_part.assign(text.substr(0, comma));
  } else {
    main_part.assign(text);
  }
  std::vector<std::string>& words = words_;
  Words(main_part, &words);
  if (words.empty()) return absl::InvalidArgumentError("the surname has no letters");

  size_t begin = 0, end = words.size();
  if (extracted.empty()) {
    if (size_t n = LeadingPrefixLength(words, 0, words.size(), 1); n > 0) {
      extracted =
          CanonicalSurnamePrefix(Join({words.begin(), words.begin() + n}, " "), &abbreviated);
      begin = n;
    } else if (size_t m = TrailingPrefixLength(words, 1); m > 0) {
      // "Berg van der" (the comma dropped by an export).
      extracted = CanonicalSurnamePrefix(Join({words.end() - m, words.end()}, " "), &abbreviated);
      end = words.size() - m;
    }
  }

  NormalisedSurname out;
  for (size_t i = begin; i < end; ++i) out.surname += words[i];
  if (out.surname.empty()) return absl::InvalidArgumentError("the surname has no letters");

  // A separate prefix column: combine, without doubling a prefix written in both places.
  std::string column_folded;
  std::string column;
  bool column_abbreviated = false;
  if (!prefix_column.empty()) {
    FoldToAscii(prefix_column, &column_folded);
    Words(column_folded, &tail_words_);
    column = Join(tail_words_, " ");
    if (std::string canonical = CanonicalSurnamePrefix(column, &column_abbreviated);
        !canonical.empty()) {
      column = std::move(canonical);
    }
  }
  if (column.empty() || column == extracted) {
    out.prefix = extracted;
  } else if (extracted.empty() || (abbreviated && !column_abbreviated)) {
    // The column alone, or the column's full form of a prefix also abbreviated in the surname.
    out.prefix = column;
    abbreviated = column_abbreviated;
  } else {
    out.prefix = column + " " + extracted;
    abbreviated = abbreviated || column_abbreviated;
  }
  if (!out.prefix.empty() && !abbreviated) out.glued = PrefixLetters(out.prefix) + out.surname;
  return out;
}

std::string NameNormaliser::Initials(std::string_view initials) {
  FoldToAscii(initials, &scratch_);
  std::string out;
  std::string_view text = scratch_;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsAsciiLetter(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && IsAsciiLetter(text[i])) ++i;
    std::string_view token = text.substr(start, i - start);
    bool followed_by_period = i < text.size() && text[i] == '.';
    std::string lower = LettersOnly(token);
    bool has_upper = std::any_of(token.begin(), token.end(), IsUpper);
    bool all_upper = std::all_of(token.begin(), token.end(), IsUpper);
    if (lower == "ij" || token.size() == 1) {
      out.push_back(lower[0]);  // IJ is one Dutch letter
    } else if (!has_upper) {
      // "th." is one abbreviated name; "jp" is two initials.
      if (followed_by_period) {
        out.push_back(lower[0]);
      } else {
        out += lower;
      }
    } else if (all_upper) {
      out += lower;  // "JP"
    } else {
      // Mixed case: a new initial starts at each capital ("Th", "PhJ", "Chr", "Jan").
      for (size_t k = 0; k < token.size(); ++k) {
        if (k == 0 || IsUpper(token[k])) out.push_back(Lower(token[k]));
      }
    }
  }
  return out;
}

std::string NameNormaliser::InitialsFromFirstNames(std::string_view first_names) {
  FoldToAscii(first_names, &scratch_);
  std::string out;
  for (std::string_view name : SplitAny(scratch_, " \t,;")) {
    for (char c : name) {
      if (IsAsciiLetter(c)) {
        out.push_back(Lower(c));
        break;
      }
    }
  }
  return out;
}

std::string DutchPhonetic(std::string_view s) {
  std::string code;
  code.reserve(s.size());
  char last = 0;  // the last sound class emitted; 0 after a vowel, so "kok" keeps both k's
  bool first = true;
  auto emit = [&](char cls, size_t advance, size_t& i) {
    if (cls != last) code.push_back(cls);
    last = cls;
    first = false;
    i += advance;
  };
  auto at = [&](size_t j) { return j < s.size() ? s[j] : '\0'; };
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i], n = at(i + 1), n2 = at(i + 2);
    bool vowel = false;
    switch (c) {
      case 'a':
        if (n == 'u') {
          emit('U', 2, i);
        } else if (n == 'i' && n2 == 'j') {
          emit('Y', 3, i);
        } else {
          vowel = true;
        }
        break;
      case 'e':
        if (n == 'i' && n2 == 'j') {
          emit('Y', 3, i);
        } else if (n == 'i' || n == 'y') {
          emit('Y', 2, i);
        } else {
          vowel = true;
        }
        break;
      case 'i':
        if (n == 'j') {
          emit('Y', 2, i);
        } else {
          vowel = true;
        }
        break;
      case 'o':
        if (n == 'u') {
          emit('U', 2, i);
        } else {
          vowel = true;
        }
        break;
      case 'u':
        vowel = true;
        break;
      case 's':
        emit('S', n == 'c' && n2 == 'h' ? 3 : 1, i);
        break;
      case 'c':
        if (n == 'h') {
          emit('G', 2, i);
        } else if (n == 'k') {
          emit('K', 2, i);
        } else {
          emit(n == 'e' || n == 'i' || n == 'y' ? 'S' : 'K', 1, i);  // c sounds as s before e/i/y
        }
        break;
      case 'p':
        emit(n == 'h' ? 'F' : 'P', n == 'h' ? 2 : 1, i);
        break;
      case 't':
        emit('T', n == 'h' ? 2 : 1, i);
        break;
      case 'd':
        emit('T', n == 't' ? 2 : 1, i);
        break;
      case 'k':
        emit('K', n == 'w' ? 2 : 1, i);
        break;
      case 'q':
        emit('K', n == 'u' ? 2 : 1, i);
        break;
      case 'x':  // sounds as ks
        if (last != 'K') code.push_back('K');
        code.push_back('S');
        last = 'S';
        first = false;
        ++i;
        break;
      case 'y':
      case 'j':
        emit('Y', 1, i);
        break;
      case 'g':
        emit('G', 1, i);
        break;
      case 'v':
      case 'f':
        emit('F', 1, i);
        break;
      case 'w':
        emit('W', 1, i);
        break;
      case 'z':
        emit('S', 1, i);
        break;
      case 'b':
      case 'l':
      case 'm':
      case 'n':
      case 'r':
        emit(static_cast<char>(c - 'a' + 'A'), 1, i);
        break;
      case 'h':  // silent, but separates repeats
        last = 0;
        first = false;
        ++i;
        break;
      default:  // not a-z
        ++i;
        break;
    }
    if (vowel) {
      if (first) code.push_back('A');  // an initial vowel counts, later ones do not
      last = 0;
      first = false;
      ++i;
    }
  }
  return code;
}

}  // namespace pprl
