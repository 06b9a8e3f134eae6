// A synthetic police incidents export for the benchmarks (`;`-separated, Dutch practice:
// prefixes, a few diacritics, missing initials, three date formats). Made-up names only.
#ifndef PPRL_BENCH_BENCH_EXPORT_H_
#define PPRL_BENCH_BENCH_EXPORT_H_

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace pprl::bench {

// A realistic mix: prefixes, diacritics in a few percent, missing initials, mixed date formats.
// People differ by name and birth date (40 surnames x 65 years of birth dates).
inline void WriteIncidentExport(const std::string& path, int rows, uint32_t seed) {
  static const char* kSurnames[] = {"Jansen",
                                    "de Vries",
                                    "van den Berg",
                                    "Bakker",
                                    "Visser",
                                    "Smit",
                                    "Meijer",
                                    "de Boer",
                                    "Mulder",
                                    "de Groot",
                                    "Bos",
                                    "Vos",
                                    "Peters",
                                    "Hendriks",
                                    "van Leeuwen",
                                    "Dekker",
                                    "Brouwer",
                                    "de Wit",
                                    "Dijkstra",
                                    "Smits",
                                    "de Graaf",
                                    "van der Meer",
                                    "van der Linden",
                                    "Kok",
                                    "Jacobs",
                                    "de Haan",
                                    "Vermeulen",
                                    "van den Heuvel",
                                    "van der Veen",
                                    "van den Broek",
                                    "Berg, van der",
                                    "Hart, 't",
                                    "El Amrani",
                                    "Yilmaz",
                                    "\xC3\x96zt\xC3\xBCrk",
                                    "\xC3\x87"
                                    "elik",
                                    "Nguy\xE1\xBB\x85n",
                                    "Kaya",
                                    "Bouzid",
                                    "Ramdin"};
  static const char* kInitials[] = {"J.",   "J.P.", "A.M.", "Th.",    "P.",  "M.",
                                    "W.J.", "",     "K.",   "H.J.M.", "IJ.", "S."};
  static const char* kCategories[] = {"misdrijf", "overtreding", "verkeer", "administratief",
                                      "overig"};
  static const char* kRoles[] = {"verdachte", "slachtoffer", "getuige", "betrokkene"};
  std::mt19937 rng(seed);
  std::ofstream out(path, std::ios::binary);
  out << "surname;initials;birth_date;incident_id;incident_date;category;role\n";
  char buf[512];
  for (int i = 0; i < rows; ++i) {
    int y = 1940 + static_cast<int>(rng() % 65), m = 1 + static_cast<int>(rng() % 12),
        d = 1 + static_cast<int>(rng() % 28);
    const char* surname = kSurnames[rng() % std::size(kSurnames)];
    bool quote = std::strchr(surname, ',') != nullptr;
    int fmt = static_cast<int>(rng() % 3);
    char date[16];
    if (fmt == 0) {
      std::snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
    } else if (fmt == 1) {
      std::snprintf(date, sizeof date, "%02d-%02d-%04d", d, m, y);
    } else {
      std::snprintf(date, sizeof date, "%d/%d/%04d", d, m, y);
    }
    std::snprintf(buf, sizeof buf, "%s%s%s;%s;%s;BVH%09d;2013-%02d-%02d;%s;%s\n", quote ? "\"" : "",
                  surname, quote ? "\"" : "", kInitials[rng() % std::size(kInitials)], date, i,
                  1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28),
                  kCategories[rng() % std::size(kCategories)], kRoles[rng() % std::size(kRoles)]);
    out << buf;
  }
}

}  // namespace pprl::bench

#endif  // PPRL_BENCH_BENCH_EXPORT_H_
