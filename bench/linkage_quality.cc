// Linkage quality on synthetic data with realistic registration errors (issue 13): the
// product's linkage (the site's pseudonymisation with a fixed key, then the core Link(): the
// exact cascade alone, and with the probabilistic stage on the keyed field encodings) beside a
// plaintext Fellegi-Sunter reference on the same fields (bench/fs_reference.h), both scored against
// the generator's truth. Prints recall at precision >= 0.995 for both and the difference, per seed
// and averaged.
//
// Usage: linkage_quality [--seeds N] [--people N] [--errors realistic|default|none]
//                        [--error-rate KIND=RATE]... [--by-kind] [--diagnose]
//                        [--diagnose-threshold BITS] [--by-case] [--seed N (only seed N)]
//
// --diagnose prints the product's counts and parameters, and per error kind the weights of the
// true pairs the product missed (by why: not a candidate, below the threshold, kept apart) and
// of the false pairs near the threshold.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bench/fs_reference.h"
#include "core/export_pseudonymiser.h"
#include "core/hmac_key.h"
#include "core/linkage.h"
#include "core/text.h"
#include "synth/linkage_truth.h"
#include "synth/synthetic_exports.h"

namespace pprl::bench {
namespace {

constexpr double kTargetPrecision = 0.995;

// Every row of the three exports through the site's pseudonymisation (bad rows skipped and
// counted), as the linker's inputs.
absl::StatusOr<std::vector<LinkInput>> PseudonymisedInputs(const std::string& dir,
                                                           const HmacKey& key, int64_t* refused) {
  std::vector<LinkInput> out;
  for (ExportKind kind : {ExportKind::kCases, ExportKind::kIncidents, ExportKind::kConvictions}) {
    const std::string name = Cat(ExportKindName(kind), ".csv");
    std::ifstream in(std::filesystem::path(dir) / name, std::ios::binary);
    if (!in) return absl::NotFoundError(Cat("cannot read ", name, " in ", dir));
    ExportOptions options;
    options.kind = kind;
    options.file_name = name;
    options.skip_invalid = true;
    options.threads = 2;
    absl::StatusOr<ExportSummary> summary =
        PseudonymiseExport(in, options, key, [&](const PseudonymousRecord& r) {
          out.push_back({kind, name, r.record_id, r.keys, r.encodings});
          return absl::OkStatus();
        });
    if (!summary.ok()) return summary.status();
    *refused += summary->rows_invalid;
  }
  return out;
}

// The rows of links.csv: every record of a subject holding a case.
std::vector<LinkRow> CaseLinks(const std::vector<LinkInput>& inputs, const LinkageResult& r) {
  std::set<uint32_t> with_case;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].source == ExportKind::kCases) with_case.insert(r.subject_of[i]);
  std::vector<LinkRow> out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!with_case.contains(r.subject_of[i])) continue;
    out.push_back({r.subject_ids[r.subject_of[i]], std::string(ExportKindName(inputs[i].source)),
                   inputs[i].record_id});
  }
  return out;
}

std::vector<size_t> cases_of(const std::vector<PlainRecord>& records) {
  std::vector<size_t> out;
  for (size_t i = 0; i < records.size(); ++i)
    if (records[i].source == "cases") out.push_back(i);
  return out;
}

struct SweepPoint {
  double recall = 0, precision = 1, weight = 0;
  bool reached = false;
};

// The best recall among thresholds whose links have precision >= kTargetPrecision. Pairs with
// equal weight are taken or left together.
SweepPoint Sweep(const std::vector<ScoredPair>& pairs, const std::vector<PlainRecord>& records,
                 const std::map<std::pair<std::string, std::string>, std::string>& person,
                 int64_t true_pairs) {
  SweepPoint best;
  int64_t found = 0, correct = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const PlainRecord& c = records[pairs[i].case_index];
    const PlainRecord& p = records[pairs[i].police_index];
    auto pc = person.find({c.source, c.record_id});
    auto pp = person.find({p.source, p.record_id});
    ++found;
    correct += pc != person.end() && pp != person.end() && pc->second == pp->second;
    if (i + 1 < pairs.size() && pairs[i + 1].weight == pairs[i].weight) continue;
    const double precision = static_cast<double>(correct) / static_cast<double>(found);
    const double recall = static_cast<double>(correct) / static_cast<double>(true_pairs);
    if (precision >= kTargetPrecision && recall >= best.recall) {
      best = {recall, precision, pairs[i].weight, true};
    }
  }
  return best;
}

// The product's view of the true and false pairs: why true pairs are missed, and how the weights
// of true and false candidate pairs compare near the threshold, per error kind.
void Diagnose(const std::vector<LinkInput>& inputs, const std::vector<TruthRow>& truth,
              double threshold) {
  std::map<std::pair<std::string, std::string>, const TruthRow*> row;
  for (const TruthRow& t : truth) row[{t.source, t.record_id}] = &t;
  auto truth_of = [&](uint32_t i) -> const TruthRow* {
    auto it = row.find({std::string(ExportKindName(inputs[i].source)), inputs[i].record_id});
    return it == row.end() ? nullptr : it->second;
  };
  LinkOptions o;
  o.link_threshold = threshold;
  o.possible_threshold = -1000;  // keep every candidate pair's evidence
  const LinkageResult r = Link(inputs, o);
  const LinkageCounts& c = r.counts;
  std::printf(
      "  diagnose: candidate pairs %lld, probabilistic links %lld, possible %lld, twin vetoes "
      "%lld, ambiguous records %lld, uncorroborated %lld, frequent blocks %lld, EM %s (lambda "
      "%.5f, %d iterations)\n",
      static_cast<long long>(c.candidate_pairs), static_cast<long long>(c.probabilistic_links),
      static_cast<long long>(c.possible_links), static_cast<long long>(c.twin_vetoes),
      static_cast<long long>(c.ambiguous_records), static_cast<long long>(c.uncorroborated),
      static_cast<long long>(c.frequent_blocks), r.parameters.estimated ? "ran" : "not run",
      r.parameters.lambda, r.parameters.iterations);
  for (int f = 0; f < kCompareFields; ++f) {
    const CompareField field = static_cast<CompareField>(f);
    std::printf("    %-10s", std::string(CompareFieldName(field)).c_str());
    for (int l = 0; l < LevelCount(field); ++l) {
      if (!IsInformative(field, static_cast<uint8_t>(l))) continue;
      std::printf(" %s %.4f/%.6f (%+.1f)", std::string(LevelName(field, l)).c_str(),
                  r.parameters.m[f][l], r.parameters.u[f][l],
                  r.parameters.Weight(field, static_cast<uint8_t>(l)));
    }
    std::printf("\n");
  }
  // Per kind: missed true pairs (case, police) with their best candidate evidence.
  std::map<uint64_t, const LinkEvidence*> ev;
  for (const LinkEvidence& e : r.evidence) ev[static_cast<uint64_t>(e.a) << 32 | e.b] = &e;
  struct KindStats {
    int64_t not_candidate = 0, below = 0, kept_apart = 0, linked_elsewhere = 0;
    std::map<int, int64_t> below_weights;  // rounded weight -> pairs
    std::map<std::string, int64_t> below_levels;
  };
  std::map<std::string, KindStats> kinds;
  std::map<std::string, std::vector<uint32_t>> police_of;
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    const TruthRow* t = truth_of(i);
    if (t && inputs[i].source != ExportKind::kCases) police_of[t->person].push_back(i);
  }
  std::map<int, std::pair<int64_t, int64_t>> near;  // rounded weight -> (true, false) pairs
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].source != ExportKind::kCases) continue;
    const TruthRow* t = truth_of(i);
    if (!t) continue;
    for (uint32_t j : police_of[t->person]) {
      if (r.subject_of[i] == r.subject_of[j]) continue;
      const TruthRow* tj = truth_of(j);
      std::string kind = tj->errors.empty() ? (t->errors.empty() ? "none" : t->errors) : tj->errors;
      KindStats& k = kinds[kind];
      auto it = ev.find(static_cast<uint64_t>(std::min(i, j)) << 32 | std::max(i, j));
      if (it == ev.end()) {
        ++k.not_candidate;
        if (std::getenv("LQ_DEBUG") && kind == std::getenv("LQ_DEBUG") && k.not_candidate <= 5) {
          std::printf("      pair %u-%u roots %u/%u:", i, j, r.subject_of[i], r.subject_of[j]);
          for (TokenKind kk : kLiveTokenKinds) {
            uint64_t x = inputs[i].encodings.token(kk), y = inputs[j].encodings.token(kk);
            std::printf(" %d%s", static_cast<int>(kk), x == 0 || y == 0 ? "-" : x == y ? "=" : "x");
          }
          std::printf("\n");
        }
      } else if (it->second->weight < o.link_threshold) {
        ++k.below;
        ++k.below_weights[static_cast<int>(std::floor(it->second->weight))];
        std::string lv;
        for (int f = 0; f < kCompareFields; ++f) {
          lv += f ? "/" : "";
          lv += LevelName(static_cast<CompareField>(f), it->second->level[f]);
        }
        ++k.below_levels[lv];
      } else {
        ++k.kept_apart;
      }
    }
  }
  for (const LinkEvidence& e : r.evidence) {
    if (e.weight < 8) break;
    const TruthRow* ta = truth_of(e.a);
    const TruthRow* tb = truth_of(e.b);
    const bool same = ta && tb && ta->person == tb->person;
    auto& n = near[static_cast<int>(std::floor(e.weight))];
    (same ? n.first : n.second) += 1;
  }
  std::printf(
      "    missed true pairs by kind: not a candidate / below threshold / above but kept apart\n");
  for (const auto& [kind, k] : kinds) {
    std::printf("    %-40s %6lld %6lld %6lld   below at:", kind.c_str(),
                static_cast<long long>(k.not_candidate), static_cast<long long>(k.below),
                static_cast<long long>(k.kept_apart));
    for (const auto& [w, n] : k.below_weights)
      std::printf(" %d:%lld", w, static_cast<long long>(n));
    std::printf("\n");
    std::vector<std::pair<int64_t, std::string>> top;
    for (const auto& [lv, n] : k.below_levels) top.push_back({n, lv});
    std::sort(top.rbegin(), top.rend());
    for (size_t x = 0; x < top.size() && x < 3; ++x)
      std::printf("        %6lld %s\n", static_cast<long long>(top[x].first),
                  top[x].second.c_str());
  }
  // False links (case, police record) by the level that joined the police record.
  std::map<std::string, int64_t> false_by_level;
  std::map<uint32_t, std::vector<uint32_t>> members;
  for (uint32_t i = 0; i < inputs.size(); ++i) members[r.subject_of[i]].push_back(i);
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].source != ExportKind::kCases) continue;
    const TruthRow* t = truth_of(i);
    for (uint32_t j : members[r.subject_of[i]]) {
      if (inputs[j].source == ExportKind::kCases) continue;
      const TruthRow* tj = truth_of(j);
      if (t && tj && t->person != tj->person) {
        ++false_by_level[std::string(LinkLevelName(r.joined_at_level[j])) + ":" + tj->errors];
      }
    }
  }
  for (const LinkEvidence& e : r.evidence) {
    const TruthRow* ta = truth_of(e.a);
    const TruthRow* tb = truth_of(e.b);
    if (!e.linked || !ta || !tb || ta->person == tb->person) continue;
    std::printf("    false probabilistic link: weight %.1f levels", e.weight);
    for (int f = 0; f < kCompareFields; ++f)
      std::printf(" %s", std::string(LevelName(static_cast<CompareField>(f), e.level[f])).c_str());
    std::printf(" (errors '%s' / '%s')\n", ta->errors.c_str(), tb->errors.c_str());
  }
  std::printf("    false links by the level that joined the police record:");
  for (const auto& [level, count] : false_by_level)
    std::printf(" %s %lld;", level.c_str(), static_cast<long long>(count));
  std::printf("\n");
  std::printf("    candidate pairs by weight (true/false):");
  for (const auto& [w, n] : near)
    std::printf(" %d:%lld/%lld", w, static_cast<long long>(n.first),
                static_cast<long long>(n.second));
  std::printf("\n");
}

// Per case row (the unit the recall is lumpy in: each case holds ~37 police rows): the true
// police rows the product (at `threshold`) and the reference (at `fs_weight`) put with it, for
// the cases where the two differ, with the case row's errors. Synthetic data only.
void ByCase(const std::vector<LinkInput>& inputs, const std::vector<TruthRow>& truth,
            double threshold, const std::vector<PlainRecord>& records,
            const std::vector<ScoredPair>& pairs, double fs_weight) {
  std::map<std::pair<std::string, std::string>, const TruthRow*> row;
  for (const TruthRow& t : truth) row[{t.source, t.record_id}] = &t;
  auto truth_of = [&](const std::string& source, const std::string& id) -> const TruthRow* {
    auto it = row.find({source, id});
    return it == row.end() ? nullptr : it->second;
  };
  std::map<std::string, int64_t> police_of;  // person -> police rows
  for (const TruthRow& t : truth)
    if (t.source != "cases") ++police_of[t.person];
  LinkOptions o;
  o.link_threshold = threshold;
  o.possible_threshold = std::min(o.possible_threshold, threshold);
  const LinkageResult r = Link(inputs, o);
  std::map<uint32_t, std::vector<uint32_t>> members;
  for (uint32_t i = 0; i < inputs.size(); ++i) members[r.subject_of[i]].push_back(i);
  struct Found {
    int64_t product_right = 0, product_wrong = 0, fs_right = 0, fs_wrong = 0;
    std::string errors;
  };
  std::map<std::string, Found> by_case;  // person of the case -> counts
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].source != ExportKind::kCases) continue;
    const TruthRow* t = truth_of("cases", inputs[i].record_id);
    if (!t) continue;
    Found& f = by_case[t->person];
    f.errors = t->errors.empty() ? "-" : t->errors;
    for (uint32_t j : members[r.subject_of[i]]) {
      if (inputs[j].source == ExportKind::kCases) continue;
      const TruthRow* tj =
          truth_of(std::string(ExportKindName(inputs[j].source)), inputs[j].record_id);
      (tj && tj->person == t->person ? f.product_right : f.product_wrong) += 1;
    }
  }
  for (const ScoredPair& sp : pairs) {
    if (sp.weight < fs_weight) break;
    const TruthRow* c = truth_of("cases", records[sp.case_index].record_id);
    const TruthRow* p =
        truth_of(records[sp.police_index].source, records[sp.police_index].record_id);
    if (!c) continue;
    Found& f = by_case[c->person];
    (p && p->person == c->person ? f.fs_right : f.fs_wrong) += 1;
  }
  int64_t deficit = 0;
  std::printf("  by case (product at %.1f bits / reference): true police rows, found right/wrong\n",
              threshold);
  for (const auto& [person, f] : by_case) {
    if (f.product_right == f.fs_right && f.product_wrong == f.fs_wrong) continue;
    deficit += f.fs_right - f.product_right;
    std::printf("    case %-10s %-60s true %4lld  product %4lld/%-3lld reference %4lld/%-3lld\n",
                person.c_str(), f.errors.c_str(), static_cast<long long>(police_of[person]),
                static_cast<long long>(f.product_right), static_cast<long long>(f.product_wrong),
                static_cast<long long>(f.fs_right), static_cast<long long>(f.fs_wrong));
  }
  std::printf("  by case: reference finds %lld true pairs more\n", static_cast<long long>(deficit));
}

int Run(int argc, char** argv) {
  int seeds = 3, people = 20000, first_seed = 1;
  double diagnose_threshold = LinkOptions().link_threshold;
  bool by_kind = false, diagnose = false, by_case = false;
  ErrorModel model = RealisticErrorModel();
  std::string preset = "realistic";
  std::vector<std::string> rates;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--seeds") {
      seeds = std::atoi(next().c_str());
    } else if (a == "--people") {
      people = std::atoi(next().c_str());
    } else if (a == "--errors") {
      preset = next();
    } else if (a == "--error-rate") {
      rates.push_back(next());
    } else if (a == "--by-kind") {
      by_kind = true;
    } else if (a == "--diagnose") {
      diagnose = true;
    } else if (a == "--seed") {  // only this seed
      first_seed = std::atoi(next().c_str());
      seeds = first_seed;
    } else if (a == "--diagnose-threshold") {
      diagnose_threshold = std::atof(next().c_str());
    } else if (a == "--by-case") {
      by_case = true;
    } else {
      std::cerr << "linkage_quality: unknown flag " << a << "\n";
      return 2;
    }
  }
  absl::StatusOr<ErrorModel> m = ErrorModelPreset(preset);
  if (!m.ok()) {
    std::cerr << m.status().message() << "\n";
    return 2;
  }
  model = *m;
  for (const std::string& r : rates) {
    if (absl::Status s = SetErrorRate(r, &model); !s.ok()) {
      std::cerr << s.message() << "\n";
      return 2;
    }
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / Cat("pprl-linkage-quality-", ::getpid());
  std::array<uint8_t, HmacKey::kSize> key_bytes;
  key_bytes.fill(0x5a);
  absl::StatusOr<HmacKey> key = HmacKey::FromBytes(key_bytes);
  if (!key.ok()) return 1;

  std::printf("synthetic data: %d people per seed, errors '%s'%s; target precision >= %.3f\n",
              people, preset.c_str(), rates.empty() ? "" : " with overrides", kTargetPrecision);
  std::printf(
      "columns: cascade_p/_r exact keys only; product_p/_r with the probabilistic stage at the\n"
      "default threshold; product_r* the best recall at precision >= target over link\n"
      "thresholds (at thr); fs_r* the reference's (at weight fs_w); diff = product_r* - fs_r*\n");
  std::printf("%-6s %8s %9s %9s %9s %9s %10s %6s   %8s %8s %8s\n", "seed", "true", "cascade_p",
              "cascade_r", "product_p", "product_r", "product_r*", "thr", "fs_r*", "fs_w", "diff");
  double sum_product = 0, sum_fs = 0;
  int done = 0;
  for (int seed = first_seed; seed <= seeds; ++seed) {
    SynthOptions o;
    o.seed = static_cast<uint64_t>(seed);
    o.people = people;
    o.errors = model;
    std::filesystem::remove_all(dir);
    absl::StatusOr<SynthSummary> written = WriteSyntheticExports(dir.string(), o);
    if (!written.ok()) {
      std::cerr << written.status().message() << "\n";
      return 1;
    }
    absl::StatusOr<std::vector<TruthRow>> truth =
        ReadTruthFile((dir / "truth" / "truth.csv").string());
    if (!truth.ok()) {
      std::cerr << truth.status().message() << "\n";
      return 1;
    }
    // The product: the site's pseudonymisation with a fixed key, then the core Link().
    int64_t refused = 0;
    absl::StatusOr<std::vector<LinkInput>> inputs =
        PseudonymisedInputs(dir.string(), *key, &refused);
    if (!inputs.ok()) {
      std::cerr << inputs.status().message() << "\n";
      return 1;
    }
    auto score = [&](const LinkOptions& options) -> absl::StatusOr<LinkageQuality> {
      return ScoreLinkage(*truth, CaseLinks(*inputs, Link(*inputs, options)));
    };
    LinkOptions cascade_only;
    cascade_only.probabilistic = false;
    absl::StatusOr<LinkageQuality> cascade = score(cascade_only);
    absl::StatusOr<LinkageQuality> product = score(LinkOptions{});
    if (!cascade.ok() || !product.ok()) {
      std::cerr << "linkage_quality: scoring failed\n";
      return 1;
    }
    // The product's link threshold swept as the reference's is.
    double best_threshold = 0, best_recall = 0;
    std::string sweep;
    for (double t : {6.0, 8.0, 10.0, 12.0, 14.0, 17.0, 20.0, 24.0}) {
      LinkOptions o;
      o.link_threshold = t;
      o.possible_threshold = std::min(o.possible_threshold, t);
      absl::StatusOr<LinkageQuality> q = score(o);
      if (q.ok()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, " %.0f:%.4f/%.4f", t, q->overall.Precision(),
                      q->overall.Recall());
        sweep += buf;
      }
      if (q.ok() && q->overall.Precision() >= kTargetPrecision &&
          q->overall.Recall() > best_recall) {
        best_recall = q->overall.Recall();
        best_threshold = t;
      }
    }
    if (diagnose) Diagnose(*inputs, *truth, diagnose_threshold);
    // The reference.
    int64_t skipped = 0;
    absl::StatusOr<std::vector<PlainRecord>> records = ReadPlainRecords(dir.string(), &skipped);
    if (!records.ok()) {
      std::cerr << records.status().message() << "\n";
      return 1;
    }
    FsModel fs_model;
    std::vector<ScoredPair> pairs = LinkFellegiSunter(*records, &fs_model);
    std::map<std::pair<std::string, std::string>, std::string> person;
    for (const TruthRow& t : *truth) person[{t.source, t.record_id}] = t.person;
    const SweepPoint fs = Sweep(pairs, *records, person, product->overall.true_pairs);

    if (by_case) ByCase(*inputs, *truth, best_threshold, *records, pairs, fs.weight);
    const double p_precision = product->overall.Precision(), p_recall = product->overall.Recall();
    const double p_at = best_recall;
    std::printf("%-6d %8lld %9.4f %9.4f %9.4f %9.4f %10.4f %6.1f   %8.4f %8.2f %+8.4f\n", seed,
                static_cast<long long>(product->overall.true_pairs), cascade->overall.Precision(),
                cascade->overall.Recall(), p_precision, p_recall, best_recall, best_threshold,
                fs.recall, fs.weight, p_at - fs.recall);
    std::printf("       product by threshold (bits:precision/recall):%s\n", sweep.c_str());
    if (by_kind) {
      std::printf("  cascade only: %s", FormatLinkageQuality(*cascade).c_str());
      std::printf("  product (default threshold): %s", FormatLinkageQuality(*product).c_str());
    }
    std::printf(
        "       (rows refused by the product's parser %lld, by the reference's %lld; EM "
        "match share %.5f after %d iterations)\n",
        static_cast<long long>(refused), static_cast<long long>(skipped), fs_model.match_share,
        fs_model.iterations);
    if (by_kind && fs.reached) {
      // The reference's links at its threshold, scored as the product's are.
      std::vector<LinkRow> fs_links;
      for (size_t i : cases_of(*records)) {
        fs_links.push_back({(*records)[i].record_id, "cases", (*records)[i].record_id});
      }
      for (const ScoredPair& sp : pairs) {
        if (sp.weight < fs.weight) break;
        const PlainRecord& c = (*records)[sp.case_index];
        const PlainRecord& p = (*records)[sp.police_index];
        fs_links.push_back({c.record_id, p.source, p.record_id});
      }
      absl::StatusOr<LinkageQuality> q = ScoreLinkage(*truth, fs_links);
      if (q.ok()) std::printf("  reference at its threshold: %s", FormatLinkageQuality(*q).c_str());
    }
    if (by_kind) {
      const char* fields[] = {"surname", "initials", "birth_date"};
      for (size_t k = 0; k < fs_model.m.size(); ++k) {
        std::printf("       reference m/u %-10s", fields[k]);
        for (size_t l = 0; l < fs_model.m[k].size(); ++l)
          std::printf("  L%zu %.4f/%.5f", l, fs_model.m[k][l], fs_model.u[k][l]);
        std::printf("\n");
      }
    }
    sum_product += p_at;
    sum_fs += fs.recall;
    ++done;
  }
  std::filesystem::remove_all(dir);
  if (done == 0) return 1;
  std::printf(
      "recall at precision >= %.3f, mean of %d seeds: product %.4f, plaintext "
      "Fellegi-Sunter %.4f, difference %+.4f (target: within 0.02)\n",
      kTargetPrecision, done, sum_product / done, sum_fs / done, (sum_product - sum_fs) / done);
  return 0;
}

}  // namespace
}  // namespace pprl::bench

int main(int argc, char** argv) { return pprl::bench::Run(argc, argv); }
