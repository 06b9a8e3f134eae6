#include "core/disclosure_budget.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <queue>
#include <set>

#include "core/hmac_key.h"
#include "core/text.h"

namespace pprl {
namespace {

using nlohmann::json;

// Dinic's max-flow on a small graph.
class MaxFlow {
 public:
  explicit MaxFlow(int nodes) : adj_(static_cast<size_t>(nodes)) {}
  void Edge(int from, int to, int64_t cap) {
    adj_[static_cast<size_t>(from)].push_back(static_cast<int>(edges_.size()));
    edges_.push_back({to, cap});
    adj_[static_cast<size_t>(to)].push_back(static_cast<int>(edges_.size()));
    edges_.push_back({from, 0});
  }
  int64_t Run(int s, int t) {
    int64_t total = 0;
    while (Bfs(s, t)) {
      it_.assign(adj_.size(), 0);
      while (int64_t f = Dfs(s, t, std::numeric_limits<int64_t>::max())) total += f;
    }
    return total;
  }
  // After Run: whether `v` is reachable from the source in the residual graph.
  bool Reachable(int v) const { return level_[static_cast<size_t>(v)] >= 0; }

 private:
  struct E {
    int to;
    int64_t cap;
  };
  bool Bfs(int s, int t) {
    level_.assign(adj_.size(), -1);
    level_[static_cast<size_t>(s)] = 0;
    std::queue<int> q;
    q.push(s);
    while (!q.empty()) {
      int v = q.front();
      q.pop();
      for (int e : adj_[static_cast<size_t>(v)]) {
        const E& edge = edges_[static_cast<size_t>(e)];
        if (edge.cap > 0 && level_[static_cast<size_t>(edge.to)] < 0) {
          level_[static_cast<size_t>(edge.to)] = level_[static_cast<size_t>(v)] + 1;
          q.push(edge.to);
        }
      }
    }
    return level_[static_cast<size_t>(t)] >= 0;
  }
  int64_t Dfs(int v, int t, int64_t f) {
    if (v == t) return f;
    for (size_t& i = it_[static_cast<size_t>(v)]; i < adj_[static_cast<size_t>(v)].size(); ++i) {
      const int e = adj_[static_cast<size_t>(v)][i];
      E& edge = edges_[static_cast<size_t>(e)];
      if (edge.cap <= 0 ||
          level_[static_cast<size_t>(edge.to)] != level_[static_cast<size_t>(v)] + 1)
        continue;
      if (int64_t got = Dfs(edge.to, t, std::min(f, edge.cap))) {
        edge.cap -= got;
        edges_[static_cast<size_t>(e ^ 1)].cap += got;
        return got;
      }
    }
    return 0;
  }
  std::vector<std::vector<int>> adj_;
  std::vector<E> edges_;
  std::vector<int> level_;
  std::vector<size_t> it_;
};

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::string_view(s).substr(0, prefix.size()) == prefix;
}

const char* SourceOf(const std::string& variable) {
  if (StartsWith(variable, "incidents_")) return "incidents";
  if (StartsWith(variable, "convictions_")) return "convictions";
  return nullptr;
}

bool InSetFor(const SubjectVariables& s, const std::string& variable) {
  const char* source = SourceOf(variable);
  if (source == nullptr) return true;
  return std::string_view(source) == "incidents" ? s.in_incident_set : s.in_conviction_set;
}

std::string Short(std::string_view text) { return Sha256Hex(text).substr(0, 16); }

// Statistics grouped by the exact subject set they are computed over.
class Ledger {
 public:
  Ledger(const Study& study, const std::vector<SubjectVariables>& cohort) {
    for (const SubjectVariables& s : cohort) {
      reference_[s.subject_id] = s.reference_day;
      // F4: the data a statistic is computed from (covariates and counts) is part of its key:
      // the same statistic on revised or updated data is another equation and spends budget.
      // Only a digest over a whole group's inputs is stored (Short below), never one person's.
      values_[s.subject_id] = &s.values;
    }
    std::vector<std::string> cats = study.excluded_categories, roles = study.roles;
    std::sort(cats.begin(), cats.end());
    std::sort(roles.begin(), roles.end());
    const std::string unlinked = study.unlinked_as_zero ? "zero" : "exclude";
    // What a count means depends on the incident filter and on unlinked subjects.
    context_["incidents"] = Short(Cat(unlinked, "/", json(cats).dump(), "/", json(roles).dump()));
    context_["convictions"] = Short(unlinked);
  }
  // `ids` sorted; `extra` tells apart statistics whose windows are set elsewhere (controls).
  // `inputs`: the variables the statistic is computed from (empty: all of them).
  // `row`: the statistic's weights per subject of `ids` when its equation is not a plain sum.
  void Add(const std::vector<std::string>& ids, const char* source, const std::string& key,
           const std::string& extra = "", const std::vector<std::string>& inputs = {},
           const std::vector<double>* row = nullptr) {
    if (ids.empty() || source == nullptr) return;
    auto it = refs_.find({ids, inputs});
    if (it == refs_.end()) {
      std::string text;
      for (const std::string& id : ids) {
        auto r = reference_.find(id);
        text += Cat(id, ":", r == reference_.end() ? 0 : r->second, "/");
        auto v = values_.find(id);
        if (v == values_.end()) continue;
        for (const auto& [name, value] : *v->second) {
          if (inputs.empty() || std::find(inputs.begin(), inputs.end(), name) != inputs.end())
            text += Cat(name, "=", value, ",");
        }
        text += ";";
      }
      it = refs_.emplace(std::pair{ids, inputs}, Short(text)).first;
    }
    const std::string full = Cat(source, "|", context_[source], ":", it->second, extra, "|", key);
    groups_[ids].insert(full);
    if (row != nullptr && row->size() == ids.size() && !rows_[ids].contains(full)) {
      double largest = 0;
      for (double w : *row) largest = std::max(largest, std::abs(w));
      std::vector<float> scaled;
      scaled.reserve(row->size());
      for (double w : *row) scaled.push_back(largest > 0 ? static_cast<float>(w / largest) : 0.0f);
      rows_[ids][full] = std::move(scaled);
    }
  }
  std::vector<SubjectSet> Sets() const {
    std::vector<SubjectSet> out;
    for (const auto& [ids, keys] : groups_) {
      out.push_back({"ledger", ids, {keys.begin(), keys.end()}});
      if (auto r = rows_.find(ids); r != rows_.end()) out.back().rows = r->second;
    }
    return out;
  }

 private:
  std::map<std::string, int32_t> reference_;
  std::map<std::string, const std::map<std::string, double>*> values_;
  std::map<std::string, std::string> context_;
  std::map<std::pair<std::vector<std::string>, std::vector<std::string>>, std::string> refs_;
  std::map<std::vector<std::string>, std::set<std::string>> groups_;
  std::map<std::vector<std::string>, std::map<std::string, std::vector<float>>> rows_;
};

std::vector<std::string> IdsWhere(const std::vector<SubjectVariables>& cohort,
                                  const std::function<bool(const SubjectVariables&)>& keep) {
  std::vector<std::string> ids;
  for (const SubjectVariables& s : cohort) {
    if (keep(s)) ids.push_back(s.subject_id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> IdsOf(const std::vector<const SubjectVariables*>& subjects) {
  std::vector<std::string> ids;
  for (const SubjectVariables* s : subjects) ids.push_back(s->subject_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool Has(const json& j, const std::string& key) {
  return j.is_object() && j.contains(key) && !j[key].is_null();
}

}  // namespace

int64_t KnownWeightsCost(const std::vector<double>& counts, int margin) {
  if (margin <= 0) return 1;  // tests of the other rules alone
  const double n = static_cast<double>(counts.size());
  if (counts.size() < 2) return kMaxEquationCost;
  double mean = 0, ss = 0;
  for (double y : counts) mean += y / n;
  for (double y : counts) ss += (y - mean) * (y - mean);
  const double bits_per_subject = std::log2(std::sqrt(2 * M_PI * M_E) * std::sqrt(ss / (n - 1)));
  if (!(bits_per_subject > 0)) return kMaxEquationCost;
  const double cost = std::ceil(margin * kBitsPerFigure / bits_per_subject);
  return std::min<int64_t>(kMaxEquationCost, std::max<int64_t>(1, static_cast<int64_t>(cost)));
}

bool IsPoissonFit(const json& model) {
  return model.is_object() && model.value("dispersion", "") == "poisson";
}

bool ModelWeightsKnown(const Study& study, bool poisson) {
  if (poisson) return false;
  for (const std::string& p : study.predictors) {
    if (PoliceCountVariable(p)) return false;
  }
  return true;
}

int64_t EquationCost(const std::string& key) {
  const std::string stat = key.substr(key.rfind('|') + 1);
  const size_t at = stat.find(":cost");
  if (at == std::string::npos) return 1;
  int64_t cost = 0;
  for (size_t i = at + 5; i < stat.size() && std::isdigit(static_cast<unsigned char>(stat[i])); ++i)
    cost = std::min<int64_t>(kMaxEquationCost, cost * 10 + (stat[i] - '0'));
  return std::max<int64_t>(1, cost);
}

std::vector<SubjectSet> ReleasedStatistics(const Study& study,
                                           const std::vector<SubjectVariables>& cohort,
                                           const json& report,
                                           const std::vector<std::string>& matched_ids,
                                           const std::vector<std::string>& control_ids,
                                           const std::vector<std::string>& pool_ids) {
  Ledger ledger(study, cohort);
  std::map<std::string, const SubjectVariables*> by_id;
  for (const SubjectVariables& s : cohort) by_id[s.subject_id] = &s;
  // Descriptives: mean and sd per count variable. A min or max is shown only where min_cell
  // subjects share it: a bound, not an equation that could single anyone out.
  for (const std::string& v : StudyVariableNames()) {
    const char* source = SourceOf(v);
    if (source == nullptr || !Has(report["descriptives"], v)) continue;
    const json& d = report["descriptives"][v];
    const auto ids = IdsWhere(
        cohort, [&](const SubjectVariables& s) { return InSetFor(s, v) && s.values.contains(v); });
    for (const char* f : {"mean", "sd"}) {
      if (Has(d, f)) ledger.Add(ids, source, Cat(v, ":", f), "", {v});
    }
  }
  // Paired tests: the before and after moments (the descriptives' own, when the set is the
  // same) and the spread of the differences (a cross product); the Wilcoxon statistic.
  for (const char* name :
       {"incidents_quarter", "incidents_year", "convictions_quarter", "convictions_year"}) {
    if (!Has(report["paired_tests"], name)) continue;
    const std::string before = Cat(name, "_before"), after = Cat(name, "_after");
    const char* source = SourceOf(name);
    const auto ids = IdsWhere(cohort, [&](const SubjectVariables& s) {
      return InSetFor(s, name) && s.values.contains(before) && s.values.contains(after);
    });
    const std::vector<std::string> pair = {before, after};
    for (const std::string& v : {before, after}) {
      ledger.Add(ids, source, Cat(v, ":mean"), "", {v});
      ledger.Add(ids, source, Cat(v, ":sd"), "", {v});
    }
    ledger.Add(ids, source, Cat(name, ":diff_sd"), "", pair);
    if (Has(report["paired_tests"][name], "wilcoxon_p"))
      ledger.Add(ids, source, Cat(name, ":wilcoxon"), "", pair);
  }
  // Correlations: one equation per released r that involves a count.
  const json& corr = report["correlations"];
  if (Has(corr, "r") && corr.contains("variables")) {
    std::vector<std::string> vars = corr["variables"].get<std::vector<std::string>>();
    const auto ids = IdsOf(AnalysisSubjects(cohort, vars));
    for (size_t a = 0; a < vars.size(); ++a) {
      for (size_t b = a + 1; b < vars.size(); ++b) {
        if (corr["r"][a][b].is_null()) continue;
        // Given the two variables' means and sds, r is sum_i a_i b_i: about a's counts its
        // row is b, about b's it is a.
        // (A row only where b is a case attribute the analyst can know: against another
        // count the equation is bilinear in unknowns.)
        for (auto [v, other] : {std::pair{vars[a], vars[b]}, {vars[b], vars[a]}}) {
          std::vector<double> row;
          if (SourceOf(other) == nullptr) {
            for (const std::string& id : ids) row.push_back(AnalysisValue(*by_id.at(id), other));
          }
          ledger.Add(ids, SourceOf(v), Cat("r:", vars[a], ":", vars[b]), "", {vars[a], vars[b]},
                     row.empty() ? nullptr : &row);
        }
      }
    }
  }
  // Regressions: each coefficient's score equation, theta and the log-likelihood; against the
  // outcome's counts and those of every count used as a predictor.
  for (const char* which : {"regression", "regression_fixed_alpha"}) {
    if (!Has(report, which)) continue;
    const json& g = report[which];
    std::set<std::string> sources;
    std::vector<std::string> used = study.predictors;
    used.push_back(study.outcome);
    for (const std::string& v : used) {
      if (const char* s = SourceOf(v)) sources.insert(s);
    }
    const auto ids = IdsOf(AnalysisSubjects(cohort, used));
    json model = {which, study.outcome, study.predictors, NormalisedStudy(study)["interactions"]};
    const std::string m = Short(model.dump());
    std::vector<std::string> keys;
    std::vector<std::vector<double>> rows;  // per key: its score equation's weights, or empty
    // Rows only for models whose predictors are all case attributes: with a count among them
    // the weights depend on unknown counts and the equation is not linear in them.
    const bool attributes_only = ModelWeightsKnown(study, false);
    // Such a model's equations, unless it is a Poisson fit, each cost more than a subject
    // (ModelWeightsKnown, KnownWeightsCost); the cost, fixed by the set's counts, is part of
    // the key (the same study again is the same key).
    std::string cost;
    if (ModelWeightsKnown(study, std::string(which) == "regression" && IsPoissonFit(g))) {
      std::vector<double> counts;
      for (const std::string& id : ids)
        counts.push_back(AnalysisValue(*by_id.at(id), study.outcome));
      cost = Cat(":cost", KnownWeightsCost(counts, study.lattice_margin));
    }
    if (g.contains("coefficients")) {
      // The score equation of coefficient k: sum_i w_ik (y_i - mu_i) = 0 with
      // w_ik = x_ik / (1 + mu_i / theta) (theta 1 in the fixed-alpha fit, infinite in a
      // Poisson one): linear in the outcome's counts once b and theta are published.
      auto term_value = [&](const SubjectVariables& s, const std::string& term) {
        if (term == "(Intercept)") return 1.0;
        const size_t colon = term.find(':');
        if (colon == std::string::npos) return AnalysisValue(s, term);
        return AnalysisValue(s, term.substr(0, colon)) * AnalysisValue(s, term.substr(colon + 1));
      };
      double theta = std::numeric_limits<double>::infinity();
      if (std::string(which) == "regression_fixed_alpha")
        theta = 1;
      else if (Has(g, "theta") && g["theta"].is_number())
        theta = g["theta"].get<double>();
      std::vector<double> mu;
      for (const std::string& id : ids) {
        double eta = 0;
        for (const json& c : g["coefficients"]) {
          if (Has(c, "b") && c["b"].is_number())
            eta += c["b"].get<double>() * term_value(*by_id.at(id), c.value("term", ""));
        }
        mu.push_back(std::exp(eta));
      }
      for (const json& c : g["coefficients"]) {
        if (!Has(c, "b")) continue;
        const std::string term = c.value("term", "");
        keys.push_back(Cat("model:", m, cost, ":b:", term));
        std::vector<double> row;
        for (size_t i = 0; i < ids.size(); ++i)
          row.push_back(term_value(*by_id.at(ids[i]), term) /
                        (std::isfinite(theta) ? 1 + mu[i] / theta : 1.0));
        if (!attributes_only) row.clear();
        rows.push_back(std::move(row));
      }
    }
    if (Has(g, "theta") && std::string(which) == "regression") {
      keys.push_back(Cat("model:", m, cost, ":theta"));
      rows.emplace_back();
    }
    if (Has(g, "log_likelihood")) {
      keys.push_back(Cat("model:", m, cost, ":loglik"));
      rows.emplace_back();
    }
    for (const std::string& s : sources) {
      for (size_t k = 0; k < keys.size(); ++k)
        ledger.Add(ids, s.c_str(), keys[k], "", used, rows[k].empty() ? nullptr : &rows[k]);
    }
  }
  // The comparison: about the matched subjects, their controls and the pool.
  const json& c = report["comparison"];
  if (c.is_object()) {
    const ComparisonSettings& cs = study.comparison;
    const std::string settings = Cat("/cmp:", cs.k, ",", cs.caliper_quarter, ",", cs.caliper_year,
                                     ",", cs.seed, ",", cs.bootstrap_replicates);
    // Controls' windows are set by their matched subject's date: tell their groups apart by
    // the matched set (and settings).
    std::string matched_text;
    for (const std::string& id : matched_ids) matched_text += id + ";";
    const std::string controls_extra = Cat(settings, "/", Short(matched_text));
    const auto incident_set =
        IdsWhere(cohort, [](const SubjectVariables& s) { return s.in_incident_set; });
    if (c["estimates"].is_array()) {
      for (const json& e : c["estimates"]) {
        const std::string o = e.value("outcome", "");
        const char* source = SourceOf(o);
        for (const char* f : {"treated_before", "treated_after", "before_after", "did", "nb"}) {
          if (!Has(e, f)) continue;
          ledger.Add(matched_ids, source, Cat(o, ":", f), settings);
          if (std::string(f) == "did" || std::string(f) == "nb")
            ledger.Add(matched_ids, source, Cat(o, ":", f, "_ci"), settings);
        }
        for (const char* f : {"control_before", "control_after", "did", "nb"}) {
          if (!Has(e, f)) continue;
          ledger.Add(control_ids, source, Cat(o, ":", f), controls_extra);
          if (std::string(f) == "did" || std::string(f) == "nb")
            ledger.Add(control_ids, source, Cat(o, ":", f, "_ci"), controls_extra);
        }
      }
    }
    if (c["trajectories"].is_object()) {
      for (const char* source : kBudgetSources) {
        for (int q = -4; q < 4; ++q) {
          ledger.Add(matched_ids, source, Cat("trajectory:", q), settings);
          ledger.Add(control_ids, source, Cat("trajectory:", q), controls_extra);
        }
      }
    }
    if (c["balance"].is_array()) {
      for (const json& row : c["balance"]) {
        const std::string v = row.value("variable", "");
        const char* source = SourceOf(v);
        if (Has(row, "treated_mean"))
          ledger.Add(incident_set, source, Cat("balance:", v), settings);
        if (Has(row, "matched_mean")) ledger.Add(matched_ids, source, Cat("balance:", v), settings);
        if (Has(row, "smd_after"))
          ledger.Add(matched_ids, source, Cat("balance_smd:", v), settings);
        if (Has(row, "control_mean"))
          ledger.Add(control_ids, source, Cat("balance:", v), controls_extra);
        if (Has(row, "smd_after"))
          ledger.Add(control_ids, source, Cat("balance_smd:", v), controls_extra);
        if (Has(row, "pool_mean")) ledger.Add(pool_ids, source, Cat("balance:", v), controls_extra);
        if (Has(row, "smd_before")) {
          ledger.Add(pool_ids, source, Cat("balance_smd:", v), controls_extra);
          ledger.Add(incident_set, source, Cat("balance_smd_before:", v), settings);
        }
      }
    }
  }
  return ledger.Sets();
}

absl::Status CheckReleaseBudget(const std::vector<SubjectSet>& candidate,
                                const std::vector<SubjectSet>& released, int min_residual_df) {
  for (const char* source : kBudgetSources) {
    const std::string prefix = Cat(source, "|");
    // Groups: exact subject set -> distinct statistics about it.
    std::map<std::vector<std::string>, std::set<std::string>> groups;
    auto add = [&](const std::vector<SubjectSet>& sets) {
      for (const SubjectSet& set : sets) {
        if (set.family == kCohortRowsFamily) continue;  // not statistics about these people
        for (const std::string& key : set.statistics) {
          if (StartsWith(key, prefix)) groups[set.ids].insert(key);
        }
      }
    };
    add(released);
    std::map<std::vector<std::string>, size_t> before;
    for (const auto& [ids, keys] : groups) before[ids] = keys.size();
    add(candidate);
    std::vector<const std::vector<std::string>*> ids_of;
    std::vector<int64_t> d;
    std::vector<size_t> changed;
    for (const auto& [ids, keys] : groups) {
      auto b = before.find(ids);
      if (b == before.end() || b->second < keys.size()) changed.push_back(ids_of.size());
      ids_of.push_back(&ids);
      int64_t demand = 0;
      for (const std::string& key : keys) demand += EquationCost(key);
      d.push_back(demand);
    }
    if (changed.empty()) continue;
    // Atoms: subjects in exactly the same groups.
    std::map<std::string, std::vector<char>> membership;
    for (size_t g = 0; g < ids_of.size(); ++g) {
      for (const std::string& id : *ids_of[g]) {
        std::vector<char>& m = membership[id];
        m.resize(ids_of.size(), 0);
        m[g] = 1;
      }
    }
    std::map<std::vector<char>, int64_t> atoms;
    for (auto& [id, m] : membership) {
      m.resize(ids_of.size(), 0);
      ++atoms[m];
    }
    const int n_groups = static_cast<int>(ids_of.size());
    const int n_atoms = static_cast<int>(atoms.size());
    const int s = 0, t = 1 + n_groups + n_atoms;
    int64_t total = 0;
    for (int64_t x : d) total += x;
    for (size_t boosted : changed) {
      MaxFlow flow(t + 1);
      for (int g = 0; g < n_groups; ++g)
        flow.Edge(
            s, 1 + g,
            d[static_cast<size_t>(g)] + (static_cast<size_t>(g) == boosted ? min_residual_df : 0));
      int a = 0;
      for (const auto& [m, size] : atoms) {
        for (int g = 0; g < n_groups; ++g) {
          if (m[static_cast<size_t>(g)])
            flow.Edge(1 + g, 1 + n_groups + a, total + min_residual_df);
        }
        flow.Edge(1 + n_groups + a, t, size);
        ++a;
      }
      if (flow.Run(s, t) == total + min_residual_df) continue;
      // The violated collection: groups still reachable from the source.
      int64_t stats = 0, covered = 0;
      a = 0;
      for (int g = 0; g < n_groups; ++g) {
        if (flow.Reachable(1 + g)) stats += d[static_cast<size_t>(g)];
      }
      for (const auto& [m, size] : atoms) {
        if (flow.Reachable(1 + n_groups + a)) covered += size;
        ++a;
      }
      // F2: the analyst reads no count and no set (how many subjects the statistics cover is
      // how many are linked); the audit entry has them.
      return Refusal(
          Cat("refused: with what was released before, this study would leave fewer than ",
              min_residual_df,
              " residual degrees of freedom in the statistics about people's police counts: "
              "solving them could give people's counts (rerunning an identical study on the "
              "same data is always allowed; a smaller analysis or a larger cohort may be)"),
          Cat(stats, " subjects' worth of statistics about the ", source, " counts of ", covered,
              " subjects"),
          true);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckStatisticSets(const std::vector<SubjectSet>& candidate,
                                const std::vector<SubjectSet>& released, int min_cell) {
  auto sources_of = [](const SubjectSet& set) {
    std::set<std::string> sources;
    for (const std::string& key : set.statistics) sources.insert(key.substr(0, key.find('|')));
    return sources;
  };
  for (const char* source : kBudgetSources) {
    // The distinct subject sets with statistics about this source, as sets of one family.
    std::vector<SubjectSet> before;
    std::set<std::vector<std::string>> seen;
    for (const SubjectSet& set : released) {
      if (set.family == "ledger" && sources_of(set).contains(source) && seen.insert(set.ids).second)
        before.push_back({"statistics", set.ids, {}});
    }
    for (const SubjectSet& set : candidate) {
      if (!sources_of(set).contains(source) || seen.contains(set.ids)) continue;
      absl::Status d = CheckDifferencing({"statistics", set.ids, {}}, before, min_cell);
      if (!d.ok()) {
        // F2: the analyst reads no count; the audit entry has the differencing detail.
        return Refusal(
            Cat("refused: statistics about people's police counts would be computed over "
                "subjects that differ by fewer than ",
                min_cell,
                " from those of other released statistics (or combine with them so): together "
                "they would give the figures of a group that small"),
            Cat(source, " ", RefusalDetail(d)), true);
      }
      seen.insert(set.ids);
      before.push_back({"statistics", set.ids, {}});
    }
  }
  return absl::OkStatus();
}

Eigen::VectorXd SubjectLeverage(const Eigen::MatrixXd& rows, double tolerance) {
  const Eigen::Index subjects = rows.cols();
  Eigen::VectorXd h = Eigen::VectorXd::Zero(subjects);
  if (rows.rows() == 0 || subjects == 0) return h;
  // Each row scaled to unit length (the row space is the same; the pivoting sees them alike).
  Eigen::MatrixXd t = rows.transpose();
  for (Eigen::Index r = 0; r < t.cols(); ++r) {
    const double norm = t.col(r).norm();
    if (norm > 0) t.col(r) /= norm;
  }
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(t);
  qr.setThreshold(tolerance);
  const Eigen::Index rank = qr.rank();
  if (rank == 0) return h;
  Eigen::MatrixXd q = Eigen::MatrixXd::Identity(subjects, rank);
  q.applyOnTheLeft(qr.householderQ().setLength(qr.nonzeroPivots()));
  return q.rowwise().squaredNorm();
}

namespace {

// How a ledger statistic enters the leverage bound: its stored row, the indicator of its set
// (a sum, a mean, a count-weighted figure of the comparison), or not at all (not linear in the
// counts: sds, theta, log-likelihoods, intervals, Wilcoxon statistics, standardised
// differences; they are counted by the budget).
enum class RowKind { kStored, kSum, kNonlinear };

std::string Fixed3(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", v);
  return text;
}

RowKind KindOf(const std::string& key) {
  const std::string stat = key.substr(key.rfind('|') + 1);
  auto ends = [&](std::string_view tail) {
    return stat.size() >= tail.size() &&
           stat.compare(stat.size() - tail.size(), tail.size(), tail.data(), tail.size()) == 0;
  };
  if (StartsWith(stat, "r:") ||
      (StartsWith(stat, "model:") && stat.find(":b:") != std::string::npos))
    return RowKind::kStored;
  if (ends(":sd") || ends(":diff_sd") || ends(":wilcoxon") || ends("_ci") || ends(":theta") ||
      ends(":loglik") || StartsWith(stat, "balance_smd"))
    return RowKind::kNonlinear;
  return RowKind::kSum;
}

}  // namespace

absl::Status CheckLeverage(const std::vector<SubjectSet>& candidate,
                           const std::vector<SubjectSet>& released, double max_leverage) {
  for (const char* source : kBudgetSources) {
    const std::string prefix = Cat(source, "|");
    // Distinct equations: a stored row per (set, statistic); one indicator row per set.
    struct Equation {
      const std::vector<std::string>* ids;
      const std::vector<float>* weights;  // null: the indicator of `ids`
      bool fresh;
    };
    std::map<std::pair<const std::vector<std::string>*, std::string>, size_t> seen;
    std::map<std::vector<std::string>, const std::vector<std::string>*> canonical;
    std::vector<Equation> equations;
    auto add = [&](const std::vector<SubjectSet>& sets, bool fresh) {
      for (const SubjectSet& set : sets) {
        if (set.family == kCohortRowsFamily) continue;  // read by the cohort-wide check only
        const std::vector<std::string>* ids = canonical.emplace(set.ids, &set.ids).first->second;
        for (const std::string& key : set.statistics) {
          if (!StartsWith(key, prefix)) continue;
          const RowKind kind = KindOf(key);
          if (kind == RowKind::kNonlinear) continue;
          const std::vector<float>* w = nullptr;
          if (kind == RowKind::kStored) {
            auto r = set.rows.find(key);
            if (r == set.rows.end() || r->second.size() != set.ids.size()) continue;
            w = &r->second;
          }
          const std::string id = kind == RowKind::kSum ? std::string("sum") : key;
          if (seen.emplace(std::pair{ids, id}, equations.size()).second)
            equations.push_back({ids, w, fresh});
        }
      }
    };
    add(released, false);
    add(candidate, true);
    // The subjects the candidate's new equations touch, and everything connected to them
    // through shared subjects: leverage elsewhere does not change.
    std::map<std::string, std::vector<size_t>> equations_of;
    for (size_t e = 0; e < equations.size(); ++e) {
      for (const std::string& id : *equations[e].ids) equations_of[id].push_back(e);
    }
    std::vector<char> in(equations.size(), 0);
    std::vector<size_t> queue;
    for (size_t e = 0; e < equations.size(); ++e) {
      if (equations[e].fresh) {
        in[e] = 1;
        queue.push_back(e);
      }
    }
    if (queue.empty()) continue;
    std::map<std::string, Eigen::Index> column;
    for (size_t next = 0; next < queue.size(); ++next) {
      for (const std::string& id : *equations[queue[next]].ids) {
        if (!column.emplace(id, 0).second) continue;
        for (size_t e : equations_of[id]) {
          if (!in[e]) {
            in[e] = 1;
            queue.push_back(e);
          }
        }
      }
    }
    Eigen::Index c = 0;
    for (auto& [id, index] : column) index = c++;
    Eigen::Index n_old = 0;
    for (size_t e : queue) n_old += !equations[e].fresh;
    Eigen::MatrixXd all = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(queue.size()), c);
    Eigen::MatrixXd old = Eigen::MatrixXd::Zero(n_old, c);
    Eigen::Index r_all = 0, r_old = 0;
    for (size_t e : queue) {
      const Equation& eq = equations[e];
      for (size_t i = 0; i < eq.ids->size(); ++i) {
        const double w = eq.weights == nullptr ? 1.0 : (*eq.weights)[i];
        const Eigen::Index col = column.at((*eq.ids)[i]);
        all(r_all, col) = w;
        if (!eq.fresh) old(r_old, col) = w;
      }
      ++r_all;
      r_old += !eq.fresh;
    }
    const Eigen::VectorXd h = SubjectLeverage(all);
    const Eigen::VectorXd h_before = SubjectLeverage(old);
    double worst = 0;
    for (Eigen::Index i = 0; i < c; ++i) {
      if (h[i] > max_leverage + 1e-9 && h[i] > h_before[i] + 1e-9) worst = std::max(worst, h[i]);
    }
    if (worst > 0) {
      // F2: the analyst reads no count, set or leverage figure; the audit entry has them.
      return Refusal(
          Cat("refused: with what was released before, this study's equations would nearly "
              "determine a person's police count (their leverage would exceed the policy's "
              "max_leverage; a smaller analysis or a larger cohort may pass)"),
          Cat("equations about the ", source, " counts of ", c,
              " subjects would give one subject a leverage of ", Fixed3(worst), ", above ",
              Fixed3(max_leverage)),
          true);
    }
  }
  return absl::OkStatus();
}

}  // namespace pprl
