// How close `pprl demo`'s synthetic data come to the reference study's figures (issue 14):
// runs the default study on the demo's synthetic data (true effect -0.25 unless --effect) for
// several seeds and prints the paired before/after means and the set sizes beside the study's
// (REFERENCE-STUDY.md: incidents per quarter 2.90 -> 2.18 on 195 subjects, convictions per
// year 1.24 -> 0.55 on the conviction set of 138 of 213).
//
// Usage: synth_calibration [--seeds N] [--first-seed S] [--effect E]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/text.h"
#include "synth/simulation.h"

int main(int argc, char** argv) {
  int seeds = 5, first = 1;
  double effect = -0.25;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seeds") seeds = std::atoi(argv[i + 1]);
    if (a == "--effect") effect = std::atof(argv[i + 1]);
    if (a == "--first-seed") first = std::atoi(argv[i + 1]);
  }
  const std::string dir =
      (std::filesystem::temp_directory_path() / pprl::Cat("pprl-calibration-", ::getpid()))
          .string();
  std::printf("%-5s %6s %8s %8s %8s %8s %8s %8s %8s %8s\n", "seed", "n_inc", "incQ_b", "incQ_a",
              "incY_b", "incY_a", "n_conv", "convY_b", "convY_a", "convQ_b");
  double sums[8] = {};
  int done = 0;
  for (int seed = first; seed < first + seeds; ++seed) {
    pprl::SynthOptions synth;
    synth.seed = static_cast<uint64_t>(seed);
    synth.effect = effect;
    pprl::Study study;
    absl::StatusOr<nlohmann::json> r = pprl::SimulateStudy(synth, study, dir);
    if (!r.ok()) {
      std::fprintf(stderr, "seed %d: %s\n", seed, std::string(r.status().message()).c_str());
      continue;
    }
    const nlohmann::json& p = (*r)["paired_tests"];
    auto get = [&](const char* name, const char* field) {
      return p[name].is_null() ? -1.0 : p[name][field].get<double>();
    };
    const double v[8] = {
        get("incidents_quarter", "n"),          get("incidents_quarter", "mean_before"),
        get("incidents_quarter", "mean_after"), get("incidents_year", "mean_before"),
        get("incidents_year", "mean_after"),    get("convictions_year", "n"),
        get("convictions_year", "mean_before"), get("convictions_year", "mean_after")};
    std::printf("%-5d %6.0f %8.2f %8.2f %8.2f %8.2f %8.0f %8.2f %8.2f %8.2f\n", seed, v[0], v[1],
                v[2], v[3], v[4], v[5], v[6], v[7], get("convictions_quarter", "mean_before"));
    for (int k = 0; k < 8; ++k) sums[k] += v[k];
    ++done;
  }
  std::filesystem::remove_all(dir);
  if (done == 0) return 1;
  std::printf("%-5s %6.0f %8.2f %8.2f %8.2f %8.2f %8.0f %8.2f %8.2f\n", "mean", sums[0] / done,
              sums[1] / done, sums[2] / done, sums[3] / done, sums[4] / done, sums[5] / done,
              sums[6] / done, sums[7] / done);
  std::printf("%-5s %6d %8.2f %8.2f %8.2f %8.2f %8d %8.2f %8.2f\n", "study", 195, 2.90, 2.18, 6.68,
              6.16, 138, 1.24, 0.55);
  return 0;
}
