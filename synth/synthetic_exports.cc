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

Written Write(const Person& p, std::mt19937_64& rng, double typo, double missing_initials,
              double partial_initials, double swap, double drop_diacritics, bool use_first_names) {
  std::uniform_real_distribution<double> u(0, 1);
  Written w;
  std::string surname = p.surname;
  auto add = [&](const char* e) { w.errors += w.errors.empty() ? e : std::string("+") + e; };
  if (p.non_latin && u(rng) < drop_diacritics) {
    std::string d = DropDiacritics(surname);
    if (d != surname) add("dropped_diacritics");
    surname = d;
  }
  if (u(rng) < typo) {
    surname = Typo(surname, rng);
    add("typo");
  }
  // The prefix written three ways.
  if (!p.prefix.empty()) {
    double r = u(rng);
    if (r < 0.5) {
      w.surname = p.prefix + " " + surname;
    } else if (r < 0.75) {
      w.surname = surname + ", " + p.prefix;
    } else {
      w.surname = surname;
      w.prefix_column = p.prefix;
    }
    if (u(rng) < 0.2) {
      for (char& c : w.surname) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  } else {
    w.surname = surname;
  }
  std::string initials = InitialsOf(p.first_names);
  if (use_first_names) {
    w.first_names = p.first_names;
  } else if (u(rng) < missing_initials) {
    add("missing_initials");
  } else if (u(rng) < partial_initials && initials.find('.') != initials.rfind('.')) {
    w.initials = initials.substr(0, initials.find('.') + 1);
    add("partial_initials");
  } else {
    w.initials = u(rng) < 0.3 ? [&] { std::string s; for (char c : initials) if (c != '.') s += c; return s; }() : initials;
  }
  Date b = p.birth;
  if (b.day <= 12 && b.day != b.month && u(rng) < swap) {
    std::swap(b.day, b.month);
    add("swapped_day_month");
  }
  w.birth = FormatDate(b, static_cast<int>(rng() % 5));
  return w;
}

}  // namespace

absl::StatusOr<SynthSummary> WriteSyntheticExports(const std::string& dir, const SynthOptions& o) {
  if (o.people < o.cases * 2 || o.cases < 1) {
    return absl::InvalidArgumentError(
        "synth: --people must be at least twice --cases, and --cases at least 1");
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(dir) / "truth", ec);
  if (ec) return absl::UnavailableError(Cat("synth: cannot create ", dir));
  std::mt19937_64 rng(o.seed);
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
      people.push_back(t);
      ++i;
    }
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
        k = std::poisson_distribution<int>(crate * (1 + (mult - 1) / 2) * 7 / 365.25)(rng);
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
  auto apply_effect = [&](auto& events, int32_t t, auto day_of) {
    std::remove_reference_t<decltype(events)> out;
    for (auto e : events) {
      const int32_t d = day_of(e);
      if (d < t || d >= t + 365 || o.effect == 0) {
        out.push_back(e);
        continue;
      }
      if (o.effect < 0) {
        if (u(rng) >= -o.effect) out.push_back(e);
        continue;
      }
      out.push_back(e);
      const int copies = std::poisson_distribution<int>(o.effect)(rng);
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
    Written w = Write(p, rng, 0.0, 8.0 / 213, 0.05, 0.0, 0.3, false);
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
    truth << "cases," << id << "," << p.id << "," << w.errors << "\n";
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
      apply_effect(incident_events[i], reference[i], [](Event& e) -> int32_t& { return e.day; });
      apply_effect(conviction_days[i], reference[i], [](int32_t& d) -> int32_t& { return d; });
    }
    for (const Event& e : incident_events[i]) {
      Written w = Write(p, rng, 0.004, 0.02, 0.05, 0.003, 0.5, false);
      std::string id = Cat("BVH", 100000000 + ++incident_no);
      incidents << id << "," << CsvQuote(w.surname, ',') << "," << w.prefix_column << ","
                << w.initials << "," << w.birth << "," << FormatDate(DateFromDays(e.day), 0) << ","
                << categories[e.category] << "," << roles[e.role] << "," << gender_text(p) << "\n";
      truth << "incidents," << id << "," << p.id << "," << w.errors << "\n";
    }
    for (int32_t d : conviction_days[i]) {
      Written w = Write(p, rng, 0.003, 0.0, 0.0, 0.002, 0.4, true);
      std::string id = Cat("HKS", 500000 + ++conviction_no);
      convictions << id << ";" << CsvQuote(w.surname, ';') << ";" << w.prefix_column << ";"
                  << w.first_names << ";" << w.birth << ";" << FormatDate(DateFromDays(d), 1) << ";"
                  << "feit " << (rng() % 400) << ";" << gender_text(p) << "\n";
      truth << "convictions," << id << "," << p.id << "," << w.errors << "\n";
    }
  }
  summary.incident_rows = incident_no;
  summary.conviction_rows = conviction_no;
  if (!cases || !incidents || !convictions || !truth)
    return absl::UnavailableError(Cat("synth: cannot write in ", dir));
  return summary;
}

}  // namespace pprl
