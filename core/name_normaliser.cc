#include "core/name_normaliser.h"
#include "core/text.h"

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <unordered_set>
#include <vector>


namespace pprl {
namespace {

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
char Lower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// The registered Dutch surname prefixes (the civil registry's table of voorvoegsels), lower
// case, apostrophes removed.
const std::unordered_set<std::string_view>& Prefixes() {
  static const auto* kPrefixes = new std::unordered_set<std::string_view>{
      "a", "aan", "aan t", "aan de", "aan den", "aan der", "aan het", "af", "al", "am", "am de",
      "auf", "auf dem", "auf den", "auf der", "auf ter", "aus", "aus dem", "aus den", "aus der",
      "aus m", "ben", "bij", "bij t", "bij de", "bij den", "bij het", "bin", "boven d", "d", "da",
      "dal", "dalla", "das", "de", "de die", "de die le", "de l", "de la", "de las", "de le",
      "de van der", "deca", "degli", "dei", "del", "della", "den", "der", "des", "di", "die", "do",
      "don", "dos", "du", "el", "het", "in", "in t", "in de", "in den", "in der", "in het", "l",
      "la", "las", "le", "les", "lo", "los", "op", "op t", "op de", "op den", "op der", "op gen",
      "op het", "op ten", "over", "over t", "over de", "over den", "over het", "s", "t", "te",
      "ten", "ter", "tho", "thoe", "thor", "to", "toe", "tot", "uijt", "uijt t", "uijt de",
      "uijt den", "uijt te de", "uijt ten", "uit", "uit t", "uit de", "uit den", "uit het",
      "uit te de", "uit ten", "unter", "van", "van t", "van de", "van de l", "van den",
      "van der", "van gen", "van het", "van la", "van ter", "van van de", "ver", "vom", "von",
      "von t", "von dem", "von den", "von der", "voor", "voor t", "voor de", "voor den",
      "voor in t", "vor", "vor der", "zu", "zum", "zur"};
  return *kPrefixes;
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
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
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
      }
      // Otherwise the apostrophe is inside a name (O'Brien) or before 't: just drop it.
    } else if (c == '-' && !current.empty()) {
      // A double surname: keep its parts in one word so "Jansen-de Vries" stays whole.
      continue;
    } else {
      flush();
    }
  }
  flush();
  return words;
}

// The number of leading words (at most kMaxPrefixWords, leaving at least `keep` words) that
// form the longest prefix; 0 if none.
size_t LeadingPrefixLength(const std::vector<std::string>& words, size_t begin, size_t end,
                           size_t keep) {
  size_t best = 0;
  for (size_t n = 1; n <= kMaxPrefixWords && begin + n + keep <= end; ++n) {
    std::string joined = Join({words.begin() + begin, words.begin() + begin + n}, " ");
    if (IsSurnamePrefix(joined)) best = n;
  }
  return best;
}

size_t TrailingPrefixLength(const std::vector<std::string>& words, size_t keep) {
  size_t best = 0;
  for (size_t n = 1; n <= kMaxPrefixWords && n + keep <= words.size(); ++n) {
    std::string joined = Join({words.end() - n, words.end()}, " ");
    if (IsSurnamePrefix(joined)) best = n;
  }
  return best;
}

}  // namespace

bool IsSurnamePrefix(std::string_view words) { return Prefixes().contains(words); }

absl::StatusOr<std::unique_ptr<NameNormaliser>> NameNormaliser::Create() {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> t(icu::Transliterator::createInstance(
      "Any-Latin; Latin-ASCII", UTRANS_FORWARD, status));
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
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  transliterator_->transliterate(u);
  std::string folded;
  u.toUTF8String(folded);
  for (char c : folded) {
    if (static_cast<unsigned char>(c) < 0x80) out->push_back(c);
  }
}

absl::StatusOr<NormalisedSurname> NameNormaliser::Surname(std::string_view surname,
                                                          std::string_view prefix_column) {
  FoldToAscii(surname, &scratch_);
  std::string_view text = scratch_;
  std::vector<std::string> prefix_words;

  // "Berg, van der": the part after the comma must be a prefix.
  std::string main_part;
  if (size_t comma = text.find(','); comma != std::string_view::npos) {
    std::vector<std::string> tail = Words(text.substr(comma + 1));
    if (!tail.empty()) {
      if (!IsSurnamePrefix(Join(tail, " "))) {
        return absl::InvalidArgumentError("the text after the comma is not a surname prefix");
      }
      prefix_words = std::move(tail);
    }
    main_part.assign(text.substr(0, comma));
  } else {
    main_part.assign(text);
  }
  std::vector<std::string> words = Words(main_part);
  if (words.empty()) return absl::InvalidArgumentError("the surname has no letters");

  size_t begin = 0, end = words.size();
  if (prefix_words.empty()) {
    if (size_t n = LeadingPrefixLength(words, 0, words.size(), 1); n > 0) {
      prefix_words.assign(words.begin(), words.begin() + n);
      begin = n;
    } else if (size_t m = TrailingPrefixLength(words, 1); m > 0) {
      // "Berg van der" (the comma dropped by an export).
      prefix_words.assign(words.end() - m, words.end());
      end = words.size() - m;
    }
  }

  NormalisedSurname out;
  for (size_t i = begin; i < end; ++i) out.surname += words[i];
  if (out.surname.empty()) return absl::InvalidArgumentError("the surname has no letters");

  // A separate prefix column: combine, without doubling a prefix written in both places.
  std::string column_folded;
  FoldToAscii(prefix_column, &column_folded);
  std::vector<std::string> column_words = Words(column_folded);
  std::string column = Join(column_words, " ");
  std::string extracted = Join(prefix_words, " ");
  if (column.empty() || column == extracted) {
    out.prefix = extracted;
  } else if (extracted.empty()) {
    out.prefix = column;
  } else {
    out.prefix = column + " " + extracted;
  }
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
  // Longest patterns first; each maps to a sound class letter, '\0' for a vowel.
  struct Rule {
    std::string_view pattern;
    char code;
  };
  static constexpr Rule kRules[] = {
      {"sch", 'S'}, {"eij", 'Y'}, {"aij", 'Y'}, {"ij", 'Y'}, {"ei", 'Y'}, {"ey", 'Y'},
      {"au", 'U'},  {"ou", 'U'},  {"ch", 'G'}, {"ck", 'K'}, {"ph", 'F'}, {"th", 'T'},
      {"dt", 'T'},  {"kw", 'K'},  {"qu", 'K'}, {"y", 'Y'},
      {"j", 'Y'},   {"g", 'G'},   {"k", 'K'},  {"q", 'K'},  {"v", 'F'},  {"f", 'F'},
      {"w", 'W'},   {"z", 'S'},   {"s", 'S'},  {"d", 'T'},  {"t", 'T'},  {"b", 'B'},
      {"p", 'P'},   {"l", 'L'},   {"m", 'M'},  {"n", 'N'},  {"r", 'R'},  {"h", '\0'},
      {"a", '\0'},  {"e", '\0'},  {"i", '\0'}, {"o", '\0'}, {"u", '\0'},
  };
  std::string code;
  char last = 0;
  size_t i = 0;
  bool first = true;
  while (i < s.size()) {
    char c = s[i];
    if (c == 'c') {
      // c before e, i, y sounds as s; otherwise as k (unless part of ch/ck, matched below).
      char next = i + 1 < s.size() ? s[i + 1] : 0;
      if (next != 'h' && next != 'k') {
        char cls = (next == 'e' || next == 'i' || next == 'y') ? 'S' : 'K';
        if (cls != last) code.push_back(cls);
        last = cls;
        first = false;
        ++i;
        continue;
      }
    }
    if (c == 'x') {  // sounds as ks
      if (last != 'K') code.push_back('K');
      code.push_back('S');
      last = 'S';
      first = false;
      ++i;
      continue;
    }
    const Rule* matched = nullptr;
    for (const Rule& rule : kRules) {
      if (s.substr(i, rule.pattern.size()) == rule.pattern) {
        matched = &rule;
        break;
      }
    }
    if (matched == nullptr) {  // not a-z: ignore
      ++i;
      continue;
    }
    char cls = matched->code;
    if (cls == '\0') {
      if (first && matched->pattern != "h") code.push_back('A');  // an initial vowel counts
      last = 0;  // a vowel separates repeats: "kok" keeps both k's
    } else {
      if (cls != last) code.push_back(cls);
      last = cls;
    }
    first = false;
    i += matched->pattern.size();
  }
  return code;
}

}  // namespace pprl
