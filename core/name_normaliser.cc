#include "core/name_normaliser.h"

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <unordered_set>
#include <vector>

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
  std::vector<std::string>& prefix_words = prefix_words_;
  prefix_words.clear();

  // "Berg, van der": the part after the comma must be a prefix.
  std::string main_part;
  if (size_t comma = text.find(','); comma != std::string_view::npos) {
    std::vector<std::string>& tail = tail_words_;
    Words(text.substr(comma + 1), &tail);
    if (!tail.empty()) {
      if (!IsSurnamePrefix(Join(tail, " "))) {
        return absl::InvalidArgumentError("the text after the comma is not a surname prefix");
      }
      prefix_words.assign(tail.begin(), tail.end());
    }
    main_part.assign(text.substr(0, comma));
  } else {
    main_part.assign(text);
  }
  std::vector<std::string>& words = words_;
  Words(main_part, &words);
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
  std::string column;
  if (!prefix_column.empty()) {
    FoldToAscii(prefix_column, &column_folded);
    Words(column_folded, &tail_words_);
    column = Join(tail_words_, " ");
  }
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
