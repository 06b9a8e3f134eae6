// Coverage of the comparison group's intervals over many synthetic data sets with a known true
// effect (issue 8). For each seed it runs the study in one process (synthesise, pseudonymise,
// link, analyse) and checks whether each outcome's interval covers the truth:
//  - the negative binomial group x period IRR interval against 1 + effect (the synthetic
//    effect multiplies the rate in the year after a discussion);
//  - with effect 0, the bootstrap difference-in-differences interval against 0, and the plain
//    before/after test (which should show a drop all the same: regression to the mean).
// Prints one line per seed (progress) and the coverage per outcome at the end.
//
// Usage: comparison_coverage [--seeds N] [--first S] [--effect E] [--people P] [--cases C]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "synth/simulation.h"

int main(int argc, char** argv) {
  int seeds = 40, people = 20000, cases = 213;
  uint64_t first = 1;
  double effect = -0.25;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seeds")
      seeds = std::atoi(argv[i + 1]);
    else if (a == "--first")
      first = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--effect")
      effect = std::atof(argv[i + 1]);
    else if (a == "--people")
      people = std::atoi(argv[i + 1]);
    else if (a == "--cases")
      cases = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("pprl-coverage-" + std::to_string(getpid())))
          .string();
  std::map<std::string, int> irr_covered, did_covered, runs, drop_shown;
  double irr_sum[4] = {};
  int done = 0;
  for (int k = 0; k < seeds; ++k) {
    pprl::SynthOptions synth;
    synth.seed = first + static_cast<uint64_t>(k);
    synth.people = people;
    synth.cases = cases;
    synth.effect = effect;
    synth.calibration = pprl::SelectionOnlyCalibration();  // the model the bench was made for
    pprl::Study study;
    study.comparison.seed = synth.seed;
    absl::StatusOr<nlohmann::json> report = pprl::SimulateStudy(synth, study, dir);
    std::filesystem::remove_all(dir);
    if (!report.ok()) {
      std::fprintf(stderr, "seed %llu: %s\n", static_cast<unsigned long long>(synth.seed),
                   std::string(report.status().message()).c_str());
      continue;
    }
    const nlohmann::json& c = (*report)["comparison"];
    if (c.is_null() || c["estimates"].is_null()) {
      std::printf("seed %llu: comparison withheld\n", static_cast<unsigned long long>(synth.seed));
      continue;
    }
    ++done;
    std::printf("seed %llu: matched %d", static_cast<unsigned long long>(synth.seed),
                c["matched"].get<int>());
    int o = 0;
    for (const nlohmann::json& e : c["estimates"]) {
      const std::string name = e["outcome"];
      ++runs[name];
      if (!e["nb"].is_null()) {
        const double lo = e["nb"]["ci_low"], hi = e["nb"]["ci_high"], irr = e["nb"]["irr"];
        irr_covered[name] += lo <= 1 + effect && 1 + effect <= hi;
        irr_sum[o] += irr;
        std::printf("  %s IRR %.2f [%.2f, %.2f]", name.c_str(), irr, lo, hi);
      }
      const double dlo = e["did"]["ci_low"], dhi = e["did"]["ci_high"];
      did_covered[name] += dlo <= 0 && 0 <= dhi;
      drop_shown[name] += !e["before_after"].is_null() && e["before_after"]["ci_low"] > 0;
      ++o;
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  std::printf("\n%d data sets, true effect %+.2f (IRR %.2f)\n", done, effect, 1 + effect);
  std::printf("%-22s %14s %10s %16s %22s\n", "outcome", "IRR covered", "mean IRR",
              "DiD CI covers 0", "before/after shows drop");
  int o = 0;
  for (const char* name :
       {"incidents_quarter", "incidents_year", "convictions_quarter", "convictions_year"}) {
    const int n = runs[name];
    std::printf("%-22s %13.0f%% %10.3f %15.0f%% %21.0f%%\n", name,
                n ? 100.0 * irr_covered[name] / n : 0.0, n ? irr_sum[o] / n : 0.0,
                n ? 100.0 * did_covered[name] / n : 0.0, n ? 100.0 * drop_shown[name] / n : 0.0);
    ++o;
  }
  return done > 0 ? 0 : 1;
}
