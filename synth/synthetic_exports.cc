#include "synth/synthetic_exports.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <vector>

#include "core/csv_reader.h"
#include "core/dates.h"
#include "core/text.h"

namespace pprl {
namespace {

struct Name {
  const char* prefix;
  const char* surname;
};
// Invented and common name material; combinations are random, so no real person is described.
const Name kDutch[] = {
    {"", "Jansen"},      {"de", "Vries"},      {"van den", "Berg"},   {"", "Bakker"},
    {"", "Visser"},      {"", "Smit"},         {"", "Meijer"},        {"de", "Boer"},
    {"", "Mulder"},      {"de", "Groot"},      {"", "Bos"},           {"", "Vos"},
    {"", "Peters"},      {"", "Hendriks"},     {"van", "Leeuwen"},    {"", "Dekker"},
    {"", "Brouwer"},     {"de", "Wit"},        {"", "Dijkstra"},      {"", "Smits"},
    {"de", "Graaf"},     {"van der", "Meer"},  {"van der", "Linden"}, {"", "Kok"},
    {"", "Jacobs"},      {"de", "Haan"},       {"", "Vermeulen"},     {"van den", "Heuvel"},
    {"van der", "Veen"}, {"van den", "Broek"}, {"de", "Bruijn"},      {"de", "Jong"},
    {"", "Schouten"},    {"van", "Beek"},      {"", "Willems"},       {"van", "Dijk"},
    {"", "Hoekstra"},    {"", "Koster"},       {"'t", "Hart"},        {"van 't", "Hof"},
    {"ter", "Horst"},    {"ten", "Cate"},      {"in 't", "Veld"},     {"op de", "Beek"},
    {"", "Kuipers"},     {"", "Postma"},       {"", "Wijnands"},      {"", "Huisman"}};
const char* kOther[] = {"El Amrani",
                        "Bouzid",
                        "Benali",
                        "Ouali",
                        "Azzouz",
                        "\xC3\x96zt\xC3\xBCrk",
                        "Y\xC4\xB1lmaz",
                        "\xC3\x87"
                        "elik",
                        "\xC5\x9E"
                        "ahin",
                        "Ayd\xC4\xB1n",
                        "Kaya",
                        "Do\xC4\x9F"
                        "an",
                        "Ramdin",
                        "Sewnarain",
                        "Biharie",
                        "Kromodimedjo",
                        "Nguy\xE1\xBB\x85n",
                        "M\xC3\xBCller",
                        "Gro\xC3\x9F",
                        "Fern\xC3\xA1ndez",
                        "Kowalski",
                        "Søndergaard"};
// Dutch-like surnames are also composed from a stem and a suffix (Dijkstra, Bosman, Hoeksma),
// so that namesakes are about as rare as in a real register.
const char* kStems[] = {"Berg",  "Dijk",   "Bos",    "Hoek",  "Veen",  "Brink",  "Kamp",   "Molen",
                        "Wal",   "Beek",   "Haan",   "Groot", "Broek", "Heuvel", "Meer",   "Linde",
                        "Leeuw", "Hof",    "Horst",  "Kuip",  "Post",  "Bakk",   "Viss",   "Muld",
                        "Dekk",  "Brouw",  "Kost",   "Hendr", "Jacob", "Peter",  "Willem", "Gerrit",
                        "Klaas", "Sjoerd", "Tjeerd", "Wieb",  "Hamm",  "Boom",   "Zand",   "Weid"};
const char* kSuffixes[] = {"",     "s",    "sma",  "man", "stra", "ink",
                           "inga", "huis", "kamp", "ens", "er",   "ing"};
const char* kComposedPrefixes[] = {"",        "",        "",   "",    "",    "",      "van",
                                   "van den", "van der", "de", "ter", "ten", "van 't"};
const char* kMaleNames[] = {"Jan",    "Pieter", "Johannes", "Mohammed",  "Ahmed",      "Mustafa",
                            "Thomas", "Kevin",  "Dennis",   "Theodorus", "Christiaan", "Mehmet",
                            "Emre",   "Rishi",  "Sven",     "IJsbrand",  "Youssef",    "Bram",
                            "Daan",   "Willem", "Hendrik",  "Karim",     "Ricardo"};
const char* kFemaleNames[] = {"Maria",        "Anna",  "Fatima",  "Sanne", "Lisa",
                              "\xC3\x96zlem", "Priya", "Johanna", "Petra", "Naima",
                              "Esra",         "Femke", "Iris"};

struct Person {
  int id;
  std::string prefix, surname, first_names;
  Date birth;
  char gender;
  bool non_latin;
  std::string tag;  // "twin" or "namesake": shares surname and birth date with another person
};

std::string InitialsOf(const std::string& first_names) {
  std::string out;
  for (std::string_view n : SplitAny(first_names, " ")) {
    if (n.rfind("IJ", 0) == 0) {
      out += "IJ.";
    } else if (n.rfind("Th", 0) == 0) {
      out += "Th.";
    } else if (n.rfind("Chr", 0) == 0) {
      out += "Chr.";
    } else {
      // The first character (a multi-byte letter is kept whole).
      size_t len = (static_cast<unsigned char>(n[0]) < 0x80) ? 1 : 2;
      out += std::string(n.substr(0, len)) + ".";
    }
  }
  return out;
}

std::string DropDiacritics(const std::string& s) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"\xC3\x96", "O"}, {"\xC3\xBC", "u"}, {"\xC4\xB1", "i"},     {"\xC3\x87", "C"},
      {"\xC5\x9E", "S"}, {"\xC4\x9F", "g"}, {"\xE1\xBB\x85", "e"}, {"\xC3\x9F", "ss"},
      {"\xC3\xA1", "a"}, {"ø", "o"}};
  std::string out = s;
  for (const auto& [from, to] : kMap) {
    for (size_t p; (p = out.find(from)) != std::string::npos;)
      out.replace(p, std::strlen(from), to);
  }
  return out;
}

// A Dutch registration typo that keeps the sound: ij<->y, a doubled letter, dt<->d.
std::string Typo(const std::string& s, std::mt19937_64& rng) {
  std::string out = s;
  if (size_t p = out.find("ij"); p != std::string::npos) return out.replace(p, 2, "y");
  if (size_t p = out.find("ee"); p != std::string::npos) return out.replace(p, 2, "e");
  if (size_t p = out.find("ss"); p != std::string::npos) return out.replace(p, 2, "s");
  for (size_t i = 1; i < out.size(); ++i) {
    char c = out[i];
    if (c == 'n' || c == 's' || c == 'k' || c == 'l' || c == 't') {
      if (rng() % 2) return out.insert(i, 1, c);  // a doubled consonant
    }
  }
  return out + (out.back() == 's' ? "" : "s");
}

std::string FormatDate(const Date& d, int style) {
  char buf[16];
  switch (style) {
    case 0:
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
      break;
    case 1:
      std::snprintf(buf, sizeof buf, "%02d-%02d-%04d", d.day, d.month, d.year);
      break;
    case 2:
      std::snprintf(buf, sizeof buf, "%d-%d-%04d", d.day, d.month, d.year);
      break;
    case 3:
      std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", d.day, d.month, d.year);
      break;
    default:
      std::snprintf(buf, sizeof buf, "%d/%d/%04d", d.day, d.month, d.year);
      break;
  }
  return buf;
}

// One row's identity as a clerk wrote it, with the distortions applied (listed in `errors`).
struct Written {
  std::string surname, prefix_column, initials, first_names, birth;
  std::string errors;
};

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Positions i of `s` where s[i] is an ASCII letter (a multi-byte letter is never split).
std::vector<size_t> LetterPositions(const std::string& s) {
  std::vector<size_t> out;
  for (size_t i = 0; i < s.size(); ++i)
    if (IsAsciiLetter(s[i])) out.push_back(i);
  return out;
}

char OtherLetter(char c, std::mt19937_64& rng) {
  const bool upper = c >= 'A' && c <= 'Z';
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  char r;
  do {
    r = static_cast<char>('a' + rng() % 26);
  } while (r == lower);
  return upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(r))) : r;
}

// One letter of `s` substituted, added, dropped or two neighbours transposed (kind 0..3).
// Returns false (and leaves `s`) when the surname is too short for it.
bool LetterError(std::string* s, int kind, std::mt19937_64& rng) {
  const std::vector<size_t> at = LetterPositions(*s);
  if (at.size() < 3) return false;
  const size_t i = at[rng() % at.size()];
  switch (kind) {
    case 0:
      (*s)[i] = OtherLetter((*s)[i], rng);
      return true;
    case 1:  // a letter typed twice or a stray one, never at the front
      s->insert(i + 1, 1, rng() % 2 ? (*s)[i] : OtherLetter('a', rng));
      return true;
    case 2:
      s->erase(i, 1);
      return true;
    default:
      for (size_t k = 0; k + 1 < at.size(); ++k) {
        const size_t j = at[(rng() % (at.size() - 1) + k) % (at.size() - 1)];
        if (j + 1 < s->size() && IsAsciiLetter((*s)[j + 1]) &&
            std::tolower(static_cast<unsigned char>((*s)[j])) !=
                std::tolower(static_cast<unsigned char>((*s)[j + 1]))) {
          // Keep a capital at the front: "Mulder" -> "Mudler", "Bos" -> "Obs" is "Obs".
          const bool cap = j == 0 && (*s)[0] >= 'A' && (*s)[0] <= 'Z';
          std::swap((*s)[j], (*s)[j + 1]);
          if (cap) {
            (*s)[0] = static_cast<char>(std::toupper(static_cast<unsigned char>((*s)[0])));
            (*s)[1] = static_cast<char>(std::tolower(static_cast<unsigned char>((*s)[1])));
          }
          return true;
        }
      }
      return false;
  }
}

// A space typed inside the surname between two letters: "Ward" -> "War d".
bool StraySpace(std::string* s, std::mt19937_64& rng) {
  std::vector<size_t> at;
  for (size_t i = 1; i < s->size(); ++i)
    if (IsAsciiLetter((*s)[i - 1]) && IsAsciiLetter((*s)[i])) at.push_back(i);
  if (at.empty()) return false;
  s->insert(at[rng() % at.size()], 1, ' ');
  return true;
}

// One digit of the birth date replaced so that it is still a date of someone aged 12 to 95 in
// `year` (the century is left alone: nobody writes 1088).
bool DigitError(Date* d, int year, std::mt19937_64& rng) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    Date e = *d;
    const int digit = static_cast<int>(rng() % 6);  // YY, MM, DD
    const int v = static_cast<int>(rng() % 10);
    auto set = [&](int* field, bool tens) {
      *field = tens ? v * 10 + *field % 10 : *field / 10 * 10 + v;
    };
    int yy = e.year % 100;
    switch (digit) {
      case 0:
        set(&yy, true);
        break;
      case 1:
        set(&yy, false);
        break;
      case 2:
        set(&e.month, true);
        break;
      case 3:
        set(&e.month, false);
        break;
      case 4:
        set(&e.day, true);
        break;
      default:
        set(&e.day, false);
        break;
    }
    e.year = e.year / 100 * 100 + yy;
    if (e == *d || !IsValidDate(e.year, e.month, e.day)) continue;
    if (e.year > year - 12 || e.year < year - 95) continue;
    *d = e;
    return true;
  }
  return false;
}

const std::string& AnotherFirstName(const Person& p, std::mt19937_64& rng);

Written Write(const Person& p, std::mt19937_64& rng, std::mt19937_64& erng, const ErrorRates& r,
              int year, bool use_first_names) {
  std::uniform_real_distribution<double> u(0, 1);
  Written w;
  auto add = [&](const char* e) { w.errors += w.errors.empty() ? e : std::string("+") + e; };
  // The kinds of issue 13 draw from their own stream `erng`, so that the other distortions and
  // the events stay as they were when those rates change.
  std::string first_names = p.first_names;
  if (u(erng) < r.first_name_changed) {
    first_names = AnotherFirstName(p, erng);
    add("first_name_changed");
  }
  std::string surname = p.surname;
  if (p.non_latin && u(rng) < r.dropped_diacritics) {
    std::string d = DropDiacritics(surname);
    if (d != surname) add("dropped_diacritics");
    surname = d;
  }
  if (u(rng) < r.sound_typo) {
    surname = Typo(surname, rng);
    add("sound_typo");
  }
  {
    static const char* kLetterKinds[] = {"surname_letter_substituted", "surname_letter_added",
                                         "surname_letter_dropped", "surname_letters_transposed"};
    const double rates[] = {r.surname_letter_substituted, r.surname_letter_added,
                            r.surname_letter_dropped, r.surname_letters_transposed};
    double x = u(erng);
    for (int k = 0; k < 4; ++k) {
      if (x < rates[k]) {
        if (LetterError(&surname, k, erng)) add(kLetterKinds[k]);
        break;
      }
      x -= rates[k];
    }
  }
  if (u(erng) < r.stray_space && StraySpace(&surname, erng)) add("stray_space");
  const bool swapped = u(erng) < r.names_swapped;
  std::string prefix = p.prefix;
  if (swapped) {
    // The first given name in the surname field, the surname among the first names.
    std::string_view first = SplitAny(first_names, " ").front();
    std::string given = prefix.empty() ? surname : prefix + " " + surname;
    surname = std::string(first);
    first_names = given;
    prefix.clear();
    add("names_swapped");
  }
  // The prefix written three ways.
  if (!prefix.empty()) {
    double x = u(rng);
    if (x < 0.5) {
      w.surname = prefix + " " + surname;
    } else if (x < 0.75) {
      w.surname = surname + ", " + prefix;
    } else {
      w.surname = surname;
      w.prefix_column = prefix;
    }
    if (u(rng) < 0.2) {
      for (char& c : w.surname) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  } else {
    w.surname = surname;
  }
  std::string initials = InitialsOf(first_names);
  if (use_first_names) {
    if (u(erng) < r.missing_first_name) {
      add("missing_first_name");
    } else {
      w.first_names = first_names;
    }
  } else if (u(rng) < r.missing_first_name) {
    add("missing_first_name");
  } else if (u(rng) < r.partial_initials && initials.find('.') != initials.rfind('.')) {
    w.initials = initials.substr(0, initials.find('.') + 1);
    add("partial_initials");
  } else {
    w.initials = u(rng) < 0.3 ? [&] { std::string s; for (char c : initials) if (c != '.') s += c; return s; }() : initials;
  }
  Date b = p.birth;
  if (b.day <= 12 && b.day != b.month && u(rng) < r.day_month_swapped) {
    std::swap(b.day, b.month);
    add("day_month_swapped");
  }
  if (u(erng) < r.birth_date_digit && DigitError(&b, year, erng)) add("birth_date_digit");
  w.birth = FormatDate(b, static_cast<int>(rng() % 5));
  return w;
}

std::string TruthErrors(const Written& w, const Person& p) {
  if (p.tag.empty()) return w.errors;
  return w.errors.empty() ? p.tag : w.errors + "+" + p.tag;
}

const std::string& AnotherFirstName(const Person& p, std::mt19937_64& rng) {
  static const std::vector<std::string> male(std::begin(kMaleNames), std::end(kMaleNames));
  static const std::vector<std::string> female(std::begin(kFemaleNames), std::end(kFemaleNames));
  const std::vector<std::string>& names = p.gender == 'm' ? male : female;
  for (;;) {
    const std::string& n = names[rng() % names.size()];
    if (n[0] != p.first_names[0]) return n;
  }
}

}  // namespace

ErrorModel DefaultErrorModel() {
  ErrorModel m;
  // The reference study's case file: 8 of 213 without initials, diacritics often dropped.
  m.cases.missing_first_name = 8.0 / 213;
  m.cases.partial_initials = 0.05;
  m.cases.dropped_diacritics = 0.3;
  m.incidents.sound_typo = 0.004;
  m.incidents.missing_first_name = 0.02;
  m.incidents.partial_initials = 0.05;
  m.incidents.day_month_swapped = 0.003;
  m.incidents.dropped_diacritics = 0.5;
  m.convictions.sound_typo = 0.003;
  m.convictions.day_month_swapped = 0.002;
  m.convictions.dropped_diacritics = 0.4;
  // The kinds the cascade was not built for, rarely, on police rows.
  for (ErrorRates* r : {&m.incidents, &m.convictions}) {
    r->surname_letter_substituted = 0.001;
    r->surname_letter_added = 0.0005;
    r->surname_letter_dropped = 0.0005;
    r->surname_letters_transposed = 0.0005;
    r->first_name_changed = 0.001;
    r->names_swapped = 0.0005;
    r->birth_date_digit = 0.001;
    r->stray_space = 0.0005;
  }
  m.namesakes = 0.001;
  return m;
}

ErrorModel RealisticErrorModel() {
  ErrorModel m;
  for (ErrorRates* r : {&m.cases, &m.incidents, &m.convictions}) {
    r->surname_letter_substituted = 0.03;
    r->surname_letter_added = 0.01;
    r->surname_letter_dropped = 0.015;
    r->surname_letters_transposed = 0.01;
    r->first_name_changed = 0.03;
    r->names_swapped = 0.01;
    r->birth_date_digit = 0.03;
    r->day_month_swapped = 0.02;
    r->stray_space = 0.01;
    r->missing_first_name = 0.05;
    r->sound_typo = 0.01;
    r->partial_initials = 0.05;
    r->dropped_diacritics = 0.5;
  }
  m.convictions.missing_first_name = 0.02;  // courts record first names more fully
  m.namesakes = 0.01;
  return m;
}

absl::StatusOr<ErrorModel> ErrorModelPreset(std::string_view name) {
  if (name == "default") return DefaultErrorModel();
  if (name == "realistic") return RealisticErrorModel();
  if (name == "none") return ErrorModel{};
  return absl::InvalidArgumentError(
      Cat("synth: unknown error preset '", name, "' (default, realistic or none)"));
}

namespace {
struct RateField {
  const char* name;
  double ErrorRates::*field;
};
constexpr RateField kRateFields[] = {
    {"surname_letter_substituted", &ErrorRates::surname_letter_substituted},
    {"surname_letter_added", &ErrorRates::surname_letter_added},
    {"surname_letter_dropped", &ErrorRates::surname_letter_dropped},
    {"surname_letters_transposed", &ErrorRates::surname_letters_transposed},
    {"first_name_changed", &ErrorRates::first_name_changed},
    {"names_swapped", &ErrorRates::names_swapped},
    {"birth_date_digit", &ErrorRates::birth_date_digit},
    {"day_month_swapped", &ErrorRates::day_month_swapped},
    {"stray_space", &ErrorRates::stray_space},
    {"missing_first_name", &ErrorRates::missing_first_name},
    {"sound_typo", &ErrorRates::sound_typo},
    {"partial_initials", &ErrorRates::partial_initials},
    {"dropped_diacritics", &ErrorRates::dropped_diacritics},
};
}  // namespace

const std::vector<std::string>& ErrorKindNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const RateField& f : kRateFields) v.push_back(f.name);
    v.push_back("namesakes");
    return v;
  }();
  return names;
}

absl::Status SetErrorRate(std::string_view assignment, ErrorModel* model) {
  const size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return absl::InvalidArgumentError(
        Cat("synth: --error-rate wants KIND=RATE, got '", assignment, "'"));
  }
  const std::string kind(assignment.substr(0, eq));
  const std::string value(assignment.substr(eq + 1));
  char* end = nullptr;
  const double rate = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || !(rate >= 0 && rate <= 1)) {
    return absl::InvalidArgumentError(
        Cat("synth: the rate of ", kind, " must be a number from 0 to 1, got '", value, "'"));
  }
  if (kind == "namesakes") {
    model->namesakes = rate;
    return absl::OkStatus();
  }
  for (const RateField& f : kRateFields) {
    if (kind == f.name) {
      for (ErrorRates* r : {&model->cases, &model->incidents, &model->convictions})
        r->*f.field = rate;
      return absl::OkStatus();
    }
  }
  std::string known;
  for (const std::string& n : ErrorKindNames()) Append(&known, known.empty() ? "" : ", ", n);
  return absl::InvalidArgumentError(Cat("synth: unknown error kind '", kind, "' (", known, ")"));
}

Calibration SelectionOnlyCalibration() { return Calibration{}; }

Calibration StudyCalibration() {
  Calibration c;
  c.conviction_episode_weight = 0.5;
  c.referral_conviction_weight = 0.2;
  c.incident_effect_scale = 0.4;
  c.conviction_effect_scale = 2.4;
  return c;
}

absl::StatusOr<SynthSummary> WriteSyntheticExports(const std::string& dir, const SynthOptions& o) {
  if (o.people < o.cases * 2 || o.cases < 1) {
    return absl::InvalidArgumentError(
        "synth: --people must be at least twice --cases, and --cases at least 1");
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir) / "truth", ec);
  if (ec) return absl::UnavailableError(Cat("synth: cannot create ", dir));
  std::mt19937_64 rng(o.seed);
  std::mt19937_64 erng(o.seed ^ 0x9e3779b97f4a7c15ull);  // issue 13's error kinds
  std::uniform_real_distribution<double> u(0, 1);

  // The population.
  std::vector<Person> people;
  for (int i = 0; i < o.people; ++i) {
    Person p;
    p.id = i + 1;
    p.non_latin = u(rng) < 0.22;
    if (p.non_latin) {
      p.surname = kOther[rng() % std::size(kOther)];
      if (p.surname.rfind("El ", 0) == 0) {
        p.prefix = "El";
        p.surname = p.surname.substr(3);
      }
    } else if (u(rng) < 0.35) {
      const Name& n = kDutch[rng() % std::size(kDutch)];
      p.prefix = n.prefix;
      p.surname = n.surname;
    } else {
      p.prefix = kComposedPrefixes[rng() % std::size(kComposedPrefixes)];
      p.surname =
          std::string(kStems[rng() % std::size(kStems)]) + kSuffixes[rng() % std::size(kSuffixes)];
    }
    p.gender = u(rng) < 0.85 ? 'm' : 'v';
    int names = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < names; ++k) {
      if (k) p.first_names += " ";
      p.first_names += p.gender == 'm' ? kMaleNames[rng() % std::size(kMaleNames)]
                                       : kFemaleNames[rng() % std::size(kFemaleNames)];
    }
    int age = 12 + static_cast<int>(
                       std::min(60.0, std::fabs(std::normal_distribution<double>(9, 14)(rng))));
    p.birth =
        DateFromDays(DaysSinceEpoch({o.year - age, 7, 1}) - static_cast<int32_t>(rng() % 365));
    people.push_back(p);
    // Now and then a twin: same surname and birth date, another first name.
    if (u(rng) < 0.01 && static_cast<int>(people.size()) < o.people) {
      Person t = p;
      t.id = static_cast<int>(people.size()) + 1;
      do {
        t.first_names = t.gender == 'm' ? kMaleNames[rng() % std::size(kMaleNames)]
                                        : kFemaleNames[rng() % std::size(kFemaleNames)];
      } while (t.first_names[0] == p.first_names[0]);
      t.tag = people.back().tag = "twin";
      people.push_back(t);
      ++i;
    }
  }
  // Now and then a namesake: this person (drawn as everyone else) is given the surname and
  // birth date of a person drawn before (not a relative, other first names). Only the error
  // stream decides, so the rest of the data stays as without namesakes.
  for (size_t i = 1; i < people.size(); ++i) {
    if (u(erng) >= o.errors.namesakes) continue;
    Person& t = people[i];
    Person& other = people[erng() % i];
    if (!t.tag.empty() || other.first_names == t.first_names) continue;
    t.prefix = other.prefix;
    t.surname = other.surname;
    t.non_latin = other.non_latin;
    t.birth = other.birth;
    t.tag = "namesake";
    if (other.tag.empty()) other.tag = "namesake";
  }

  std::ofstream cases(std::filesystem::path(dir) / "cases.csv", std::ios::binary);
  std::ofstream incidents(std::filesystem::path(dir) / "incidents.csv", std::ios::binary);
  std::ofstream convictions(std::filesystem::path(dir) / "convictions.csv", std::ios::binary);
  std::ofstream truth(std::filesystem::path(dir) / "truth" / "truth.csv", std::ios::binary);
  cases << "casus_id;achternaam;tussenvoegsel;voorletters;geboortedatum;geslacht;kader;first_"
           "discussed;"
           "aantal_besprekingen;leefgebieden;doelen;besluiten;acties\n";
  incidents << "incident_id,surname,surname_prefix,initials,birth_date,incident_date,category,role,"
               "gender\n";
  convictions << "vonnis_id;achternaam;tussenvoegsel;voornamen;geboortedatum;vonnisdatum;delict;"
                 "geslacht\n";
  truth << "source,record_id,person_id,errors\n";

  // Offending: every person known to the police has a base rate and a latent state that moves
  // week by week (calm, an episode of much more offending, a cooling-off), so counts rise and
  // fall by themselves. Convictions follow the same state more weakly. Events are generated
  // first for everyone, untouched by any discussion.
  SynthSummary summary;
  summary.people = static_cast<int>(people.size());
  summary.cases = o.cases;
  const char* categories[] = {"misdrijf",    "misdrijf", "misdrijf",       "overtreding",
                              "overtreding", "verkeer",  "administratief", "overig"};
  const bool counted_category[] = {true, true, true, true, true, false, false, true};
  const char* roles[] = {"verdachte",   "verdachte", "verdachte",
                         "slachtoffer", "getuige",   "betrokkene"};
  const int32_t start = DaysSinceEpoch({o.year - 2, 1, 1});
  const int32_t end = DaysSinceEpoch({o.year + 2, 12, 31});
  struct Event {
    int32_t day;
    uint8_t category, role;
  };
  std::vector<std::vector<Event>> incident_events(people.size());
  std::vector<std::vector<int32_t>> conviction_days(people.size());
  std::vector<uint8_t> known(people.size(), 0);
  for (size_t i = 0; i < people.size(); ++i) {
    known[i] = u(rng) < 0.35;
    if (!known[i]) continue;
    const double base = std::gamma_distribution<double>(0.5, 4.0)(rng);  // incidents a year
    // The more someone offends, the likelier a court has convicted them.
    const bool convicted = u(rng) < 1 - std::exp(-base / 3);
    const double crate =
        convicted ? 0.3 * std::pow(base, 0.6) * std::gamma_distribution<double>(2.0, 0.5)(rng)
                  : 0.0;
    int state = u(rng) < 0.05 ? 1 : 0;  // 0 calm, 1 episode, 2 cooling off
    for (int32_t week = start; week <= end; week += 7) {
      if (state == 0 && u(rng) < 1.0 / 150) {
        state = 1;
      } else if (state == 1 && u(rng) < 1.0 / 20) {
        state = 2;
      } else if (state == 2 && u(rng) < 1.0 / 26) {
        state = 0;
      }
      const double mult = state == 1 ? 2.5 : state == 2 ? 1.4 : 1.0;
      int k = std::poisson_distribution<int>(base * mult * 7 / 365.25)(rng);
      for (int e = 0; e < k; ++e) {
        incident_events[i].push_back({week + static_cast<int32_t>(rng() % 7),
                                      static_cast<uint8_t>(rng() % std::size(categories)),
                                      static_cast<uint8_t>(rng() % std::size(roles))});
      }
      if (crate > 0) {
        k = std::poisson_distribution<int>(
            crate * (1 + (mult - 1) * o.calibration.conviction_episode_weight) * 7 / 365.25)(rng);
        for (int e = 0; e < k; ++e)
          conviction_days[i].push_back(week + static_cast<int32_t>(rng() % 7));
      }
    }
  }

  // Referral in the study year depends on what the police saw: the more counted incidents in
  // the quarter before a (candidate) discussion date, the likelier a discussion. This is the
  // selection that makes counts fall afterwards without any effect (regression to the mean),
  // and it depends only on observed counts, so matched comparison subjects can undo it.
  std::vector<int32_t> reference(people.size(), 0);
  std::vector<uint8_t> in_cohort(people.size(), 0);
  {
    std::vector<std::array<int32_t, 12>> day(people.size());
    std::vector<std::array<double, 12>> weight(people.size()), draw(people.size());
    for (size_t i = 0; i < people.size(); ++i) {
      for (int m = 0; m < 12; ++m) {
        day[i][m] = DaysSinceEpoch({o.year, m + 1, 1}) + static_cast<int32_t>(rng() % 28);
        draw[i][m] = u(rng);
        if (!known[i]) {
          weight[i][m] = 0;
          continue;
        }
        const int32_t from = DaysSinceEpoch(AddMonths(DateFromDays(day[i][m]), -3));
        int q = 0;
        for (const Event& e : incident_events[i])
          q += e.day >= from && e.day < day[i][m] && counted_category[e.category];
        weight[i][m] = 0.02 + q;
        if (o.calibration.referral_conviction_weight != 0) {
          const int32_t year_from = DaysSinceEpoch(AddMonths(DateFromDays(day[i][m]), -12));
          int c = 0;
          for (int32_t d : conviction_days[i]) c += d >= year_from && d < day[i][m];
          weight[i][m] += o.calibration.referral_conviction_weight * c;
        }
      }
    }
    // 93% of the cohort is known to the police (as in the study); the rest are referred for
    // other reasons at a random date.
    const int known_cases = static_cast<int>(std::lround(o.cases * 0.93));
    auto referred = [&](double scale, bool apply) {
      int n = 0;
      for (size_t i = 0; i < people.size(); ++i) {
        for (int m = 0; m < 12; ++m) {
          if (draw[i][m] < std::min(0.9, scale * weight[i][m])) {
            ++n;
            if (apply) reference[i] = day[i][m], in_cohort[i] = 1;
            break;
          }
        }
      }
      return n;
    };
    double lo = 0, hi = 1;
    while (referred(hi, false) < known_cases && hi < 1e6) hi *= 2;
    for (int it = 0; it < 60; ++it) {
      const double mid = (lo + hi) / 2;
      (referred(mid, false) < known_cases ? lo : hi) = mid;
    }
    referred(hi, true);
    // Exactly `cases`: drop the surplus, or add people unknown to the police.
    std::vector<size_t> chosen;
    for (size_t i = 0; i < people.size(); ++i)
      if (in_cohort[i]) chosen.push_back(i);
    std::shuffle(chosen.begin(), chosen.end(), rng);
    while (static_cast<int>(chosen.size()) > known_cases) {
      in_cohort[chosen.back()] = 0;
      reference[chosen.back()] = 0;
      chosen.pop_back();
    }
    for (size_t i = 0; i < people.size() && static_cast<int>(chosen.size()) < o.cases; ++i) {
      if (known[i] || in_cohort[i] || rng() % 4 != 0) continue;
      in_cohort[i] = 1;
      reference[i] = DaysSinceEpoch({o.year, 1, 1}) + static_cast<int32_t>(rng() % 365);
      chosen.push_back(i);
    }
  }

  // The true effect of a discussion: offending in the year after changes by `effect` (events
  // are dropped, or copied within the same week), for incidents and convictions alike.
  // `day_of` gives an event's day (a reference into it).
  // Incidents change by effect * incident_effect_scale, convictions by effect *
  // conviction_effect_scale (at least -1: all dropped).
  auto apply_effect = [&](auto& events, int32_t t, double effect, auto day_of) {
    std::remove_reference_t<decltype(events)> out;
    for (auto e : events) {
      const int32_t d = day_of(e);
      if (d < t || d >= t + 365 || effect == 0) {
        out.push_back(e);
        continue;
      }
      if (effect < 0) {
        if (u(rng) >= -effect) out.push_back(e);
        continue;
      }
      out.push_back(e);
      const int copies = std::poisson_distribution<int>(effect)(rng);
      for (int c = 0; c < copies; ++c) {
        auto copy = e;  // the same kind of offence, within the same week
        day_of(copy) = std::clamp<int32_t>(d + static_cast<int32_t>(rng() % 7) - 3, t, t + 364);
        out.push_back(copy);
      }
    }
    events = std::move(out);
  };

  // The cases.
  const char* kaders[] = {"risicoburger", "jeugd", "hic"};
  int case_no = 0;
  for (size_t idx = 0; idx < people.size(); ++idx) {
    if (!in_cohort[idx]) continue;
    const Person& p = people[idx];
    const int32_t t = reference[idx];
    int age = WholeYearsBetween(p.birth, DateFromDays(t));
    const char* kader = age <= 23 && u(rng) < 0.6 ? "jeugd" : kaders[rng() % 2 == 0 ? 0 : 2];
    Written w = Write(p, rng, erng, o.errors.cases, o.year, false);
    std::string id = Cat("GCOS-", o.year, "-", ++case_no);
    // Three subjects hold a name, a birth date and an entry date only.
    bool sparse = case_no <= 3;
    int life = std::min(11, static_cast<int>(std::poisson_distribution<int>(2.7)(rng)));
    int plan = static_cast<int>(rng() % 4);
    cases << id << ";" << CsvQuote(w.surname, ';') << ";" << w.prefix_column << ";" << w.initials
          << ";" << w.birth << ";"
          << (sparse ? "" : std::string(1, u(rng) < 0.005 ? 'o' : (p.gender == 'm' ? 'm' : 'v')))
          << ";" << kader << ";" << FormatDate(DateFromDays(t), static_cast<int>(rng() % 2)) << ";"
          << (sparse ? "" : std::to_string(std::poisson_distribution<int>(2.7)(rng))) << ";"
          << (sparse ? "" : std::to_string(life)) << ";"
          << (sparse ? "" : (plan >= 1 ? "ja" : "nee")) << ";"
          << (sparse ? "" : (plan >= 2 ? "ja" : "nee")) << ";"
          << (sparse ? "" : (plan >= 3 ? "ja" : "nee")) << "\n";
    truth << "cases," << id << "," << p.id << "," << TruthErrors(w, p) << "\n";
  }

  // The police exports. Gender is exported now and then blank or in another spelling.
  auto gender_text = [&](const Person& p) -> std::string {
    const double r = u(rng);
    if (r < 0.02) return "";
    if (r < 0.1) return p.gender == 'm' ? "man" : "vrouw";
    return std::string(1, p.gender == 'm' ? 'M' : 'V');
  };
  int64_t incident_no = 0, conviction_no = 0;
  for (size_t i = 0; i < people.size(); ++i) {
    if (!known[i]) continue;
    const Person& p = people[i];
    if (in_cohort[i]) {
      apply_effect(incident_events[i], reference[i],
                   std::max(-1.0, o.effect * o.calibration.incident_effect_scale),
                   [](Event& e) -> int32_t& { return e.day; });
      apply_effect(conviction_days[i], reference[i],
                   std::max(-1.0, o.effect * o.calibration.conviction_effect_scale),
                   [](int32_t& d) -> int32_t& { return d; });
    }
    for (const Event& e : incident_events[i]) {
      Written w = Write(p, rng, erng, o.errors.incidents, o.year, false);
      std::string id = Cat("BVH", 100000000 + ++incident_no);
      incidents << id << "," << CsvQuote(w.surname, ',') << "," << w.prefix_column << ","
                << w.initials << "," << w.birth << "," << FormatDate(DateFromDays(e.day), 0) << ","
                << categories[e.category] << "," << roles[e.role] << "," << gender_text(p) << "\n";
      truth << "incidents," << id << "," << p.id << "," << TruthErrors(w, p) << "\n";
    }
    for (int32_t d : conviction_days[i]) {
      Written w = Write(p, rng, erng, o.errors.convictions, o.year, true);
      std::string id = Cat("HKS", 500000 + ++conviction_no);
      convictions << id << ";" << CsvQuote(w.surname, ';') << ";" << w.prefix_column << ";"
                  << w.first_names << ";" << w.birth << ";" << FormatDate(DateFromDays(d), 1) << ";"
                  << "feit " << (rng() % 400) << ";" << gender_text(p) << "\n";
      truth << "convictions," << id << "," << p.id << "," << TruthErrors(w, p) << "\n";
    }
  }
  summary.incident_rows = incident_no;
  summary.conviction_rows = conviction_no;
  if (!cases || !incidents || !convictions || !truth)
    return absl::UnavailableError(Cat("synth: cannot write in ", dir));
  return summary;
}

}  // namespace pprl
