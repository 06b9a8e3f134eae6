#define TOML_EXCEPTIONS 0
#include "core/study.h"

#include <toml++/toml.h>

#include <algorithm>
#include <tuple>

#include "core/hmac_key.h"
#include "core/text.h"

namespace pprl {

const std::vector<std::string>& StudyVariableNames() {
  static const auto* k = new std::vector<std::string>{"incidents_quarter_before",
                                                      "incidents_quarter_after",
                                                      "incidents_year_before",
                                                      "incidents_year_after",
                                                      "convictions_quarter_before",
                                                      "convictions_quarter_after",
                                                      "convictions_year_before",
                                                      "convictions_year_after",
                                                      "age",
                                                      "times_discussed",
                                                      "plan",
                                                      "life_domains",
                                                      "life_domains_capped"};
  return *k;
}

bool PoliceCountVariable(std::string_view name) {
  return name.rfind("incidents_", 0) == 0 || name.rfind("convictions_", 0) == 0;
}

namespace {

absl::Status StringList(const toml::node_view<const toml::node>& node, std::string_view key,
                        std::vector<std::string>* out) {
  if (!node) return absl::OkStatus();
  const toml::array* a = node.as_array();
  if (a == nullptr)
    return absl::InvalidArgumentError(Cat("study: ", key, " must be a list of strings"));
  out->clear();
  for (const toml::node& n : *a) {
    std::optional<std::string> s = n.value<std::string>();
    if (!s) return absl::InvalidArgumentError(Cat("study: ", key, " must be a list of strings"));
    out->push_back(AsciiLower(*s));
  }
  return absl::OkStatus();
}

bool IsVariable(const std::string& v) {
  const auto& names = StudyVariableNames();
  return std::find(names.begin(), names.end(), v) != names.end();
}

}  // namespace

absl::StatusOr<Study> ParseStudy(std::string_view text) {
  // Debian's toml++ reaches an "unreachable" point (undefined behaviour) on some non-ASCII code
  // points outside strings (found by fuzzing, e.g. U+FEC8); everything in a study is ASCII, so
  // anything else is refused before toml++ sees it.
  int64_t line = 1;
  for (char c : text) {
    if (c == '\n') ++line;
    if (static_cast<unsigned char>(c) >= 0x80) {
      return absl::InvalidArgumentError(
          Cat("study: line ", line, ": a non-ASCII character (study files are ASCII)"));
    }
  }
  toml::parse_result parsed = toml::parse(text);
  if (!parsed) {
    return absl::InvalidArgumentError(Cat("study: line ",
                                          static_cast<int64_t>(parsed.error().source().begin.line),
                                          ": ", std::string(parsed.error().description())));
  }
  const toml::table& t = parsed.table();
  Study s;
  if (auto v = t["name"].value<std::string>()) s.name = *v;
  absl::Status st = StringList(t["cohort"]["kaders"], "cohort.kaders", &s.kaders);
  if (!st.ok()) return st;
  if (s.kaders.empty()) return absl::InvalidArgumentError("study: cohort.kaders is empty");
  for (const char* key : {"first_discussed_from", "first_discussed_to"}) {
    if (auto v = t["cohort"][key].value<std::string>()) {
      absl::StatusOr<Date> d = ParseDate(*v);
      if (!d.ok())
        return absl::InvalidArgumentError(Cat("study: cohort.", key, ": ", d.status().message()));
      (std::string_view(key) == "first_discussed_from" ? s.first_discussed_from
                                                       : s.first_discussed_to) = *d;
    }
  }
  if (auto v = t["cohort"]["unlinked"].value<std::string>()) {
    if (*v == "zero") {
      s.unlinked_as_zero = true;
    } else if (*v != "exclude") {
      return absl::InvalidArgumentError("study: cohort.unlinked must be \"exclude\" or \"zero\"");
    }
  }
  st = StringList(t["incidents"]["excluded_categories"], "incidents.excluded_categories",
                  &s.excluded_categories);
  if (!st.ok()) return st;
  st = StringList(t["incidents"]["roles"], "incidents.roles", &s.roles);
  if (!st.ok()) return st;
  if (auto v = t["regression"]["outcome"].value<std::string>()) s.outcome = *v;
  st = StringList(t["regression"]["predictors"], "regression.predictors", &s.predictors);
  if (!st.ok()) return st;
  if (const toml::array* a = t["regression"]["interactions"].as_array()) {
    for (const toml::node& n : *a) {
      const toml::array* pair = n.as_array();
      if (pair == nullptr || pair->size() != 2 || !(*pair)[0].value<std::string>() ||
          !(*pair)[1].value<std::string>()) {
        return absl::InvalidArgumentError(
            "study: regression.interactions must be pairs of variable names");
      }
      s.interactions.emplace_back(*(*pair)[0].value<std::string>(),
                                  *(*pair)[1].value<std::string>());
    }
  }
  if (const toml::table* d = t["disclosure"].as_table()) {
    for (const auto& [key, node] : *d) {
      if (key.str() != "min_cell" && key.str() != "min_residual_df" && key.str() != "max_leverage")
        return absl::InvalidArgumentError(
            Cat("study: disclosure.", key.str(), " is not a setting"));
    }
  }
  for (auto [key, low, out, requested] :
       {std::tuple{"min_cell", 2, &s.min_cell, &s.requested_min_cell},
        {"min_residual_df", 1, &s.min_residual_df, &s.requested_min_residual_df}}) {
    if (!t["disclosure"][key]) continue;
    std::optional<int64_t> v = t["disclosure"][key].value<int64_t>();
    if (!v || *v < low || *v > 1000)
      return absl::InvalidArgumentError(
          Cat("study: disclosure.", key, " must be a whole number in ", low, "..1000"));
    *out = *requested = static_cast<int>(*v);
  }
  if (t["disclosure"]["max_leverage"]) {
    std::optional<double> v = t["disclosure"]["max_leverage"].value<double>();
    if (!v || !(*v > 0 && *v < 1))
      return absl::InvalidArgumentError(
          "study: disclosure.max_leverage must be a number in (0, 1)");
    s.max_leverage = s.requested_max_leverage = *v;
  }
  if (const toml::table* c = t["comparison"].as_table()) {
    for (const auto& [key, node] : *c) {
      const std::string_view k = key.str();
      if (k != "enabled" && k != "k" && k != "caliper_quarter" && k != "caliper_year" &&
          k != "seed" && k != "bootstrap_replicates") {
        return absl::InvalidArgumentError(Cat("study: comparison.", k, " is not a setting"));
      }
    }
    if (t["comparison"]["enabled"]) {
      std::optional<bool> v = t["comparison"]["enabled"].value<bool>();
      if (!v) return absl::InvalidArgumentError("study: comparison.enabled must be true or false");
      s.comparison.enabled = *v;
    }
    struct Bound {
      const char* key;
      int64_t min, max;
      int* out;
    };
    for (const Bound& b :
         {Bound{"k", 1, 20, &s.comparison.k},
          Bound{"caliper_quarter", 0, 1000, &s.comparison.caliper_quarter},
          Bound{"caliper_year", 0, 1000, &s.comparison.caliper_year},
          Bound{"bootstrap_replicates", 100, 100000, &s.comparison.bootstrap_replicates}}) {
      if (!t["comparison"][b.key]) continue;
      std::optional<int64_t> v = t["comparison"][b.key].value<int64_t>();
      if (!v || *v < b.min || *v > b.max) {
        return absl::InvalidArgumentError(
            Cat("study: comparison.", b.key, " must be a whole number in ", b.min, "..", b.max));
      }
      *b.out = static_cast<int>(*v);
    }
    if (t["comparison"]["seed"]) {
      std::optional<int64_t> v = t["comparison"]["seed"].value<int64_t>();
      if (!v || *v < 0)
        return absl::InvalidArgumentError("study: comparison.seed must be a whole number >= 0");
      s.comparison.seed = static_cast<uint64_t>(*v);
    }
  } else if (t["comparison"]) {
    return absl::InvalidArgumentError("study: comparison must be a table");
  }
  if (!IsVariable(s.outcome))
    return absl::InvalidArgumentError(
        Cat("study: regression.outcome '", s.outcome, "' is not a variable"));
  if (s.predictors.empty())
    return absl::InvalidArgumentError("study: regression.predictors is empty");
  for (size_t i = 0; i < s.predictors.size(); ++i) {
    const std::string& p = s.predictors[i];
    if (std::find(s.predictors.begin(), s.predictors.begin() + static_cast<ptrdiff_t>(i), p) !=
        s.predictors.begin() + static_cast<ptrdiff_t>(i))
      return absl::InvalidArgumentError(Cat("study: predictor '", p, "' is listed twice"));
    if (!IsVariable(p))
      return absl::InvalidArgumentError(Cat("study: predictor '", p, "' is not a variable"));
    if (p == s.outcome)
      return absl::InvalidArgumentError(Cat("study: '", p, "' is both outcome and predictor"));
  }
  for (const auto& [a, b] : s.interactions) {
    for (const std::string& v : {a, b}) {
      if (std::find(s.predictors.begin(), s.predictors.end(), v) == s.predictors.end()) {
        return absl::InvalidArgumentError(
            Cat("study: interaction term '", v, "' is not among the predictors"));
      }
    }
  }
  if (s.first_discussed_from && s.first_discussed_to &&
      *s.first_discussed_to < *s.first_discussed_from) {
    return absl::InvalidArgumentError(
        "study: cohort.first_discussed_to precedes first_discussed_from");
  }
  return s;
}

absl::Status ApplyDisclosurePolicy(const DisclosurePolicy& policy, Study* study) {
  auto refuse = [](std::string_view what) {
    return absl::InvalidArgumentError(Cat("study: ", what));
  };
  for (auto [key, value, requested, floor] :
       {std::tuple{"min_cell", &study->min_cell, study->requested_min_cell, policy.min_cell},
        {"min_residual_df", &study->min_residual_df, study->requested_min_residual_df,
         policy.min_residual_df}}) {
    if (requested != 0 && requested < floor) {
      return refuse(Cat("disclosure.", key, " = ", requested,
                        " is below the analyzer's disclosure policy (", floor,
                        "); a study may only raise it"));
    }
    *value = requested != 0 ? requested : floor;
  }
  if (study->requested_max_leverage != 0 && study->requested_max_leverage > policy.max_leverage) {
    return refuse(Cat("disclosure.max_leverage = ", study->requested_max_leverage,
                      " is above the analyzer's disclosure policy (", policy.max_leverage,
                      "); a study may only lower it"));
  }
  study->max_leverage =
      study->requested_max_leverage != 0 ? study->requested_max_leverage : policy.max_leverage;
  study->dominance_n = policy.dominance_n;
  study->lattice_margin = policy.lattice_margin;
  study->dominance_k = policy.dominance_k;
  if (static_cast<int>(study->name.size()) > policy.max_name_length)
    return refuse(
        Cat("name is ", study->name.size(), " characters; at most ", policy.max_name_length));
  for (unsigned char c : study->name) {
    if (c < 0x20 || c == 0x7f) return refuse("name holds a control character");
  }
  for (auto [key, list] : {std::pair{"cohort.kaders", &study->kaders},
                           {"incidents.excluded_categories", &study->excluded_categories},
                           {"incidents.roles", &study->roles}}) {
    if (static_cast<int>(list->size()) > policy.max_list_items)
      return refuse(Cat(key, " has ", list->size(), " items; at most ", policy.max_list_items));
    for (const std::string& item : *list) {
      if (static_cast<int>(item.size()) > policy.max_item_length)
        return refuse(Cat(key, ": an item of ", item.size(), " characters; at most ",
                          policy.max_item_length));
    }
  }
  if (static_cast<int>(study->predictors.size()) > policy.max_predictors)
    return refuse(Cat("regression.predictors has ", study->predictors.size(), "; at most ",
                      policy.max_predictors));
  if (static_cast<int>(study->interactions.size()) > policy.max_interactions)
    return refuse(Cat("regression.interactions has ", study->interactions.size(),
                      " terms; at most ", policy.max_interactions));
  if (study->comparison.bootstrap_replicates > policy.max_bootstrap_replicates)
    return refuse(Cat("comparison.bootstrap_replicates = ", study->comparison.bootstrap_replicates,
                      "; at most ", policy.max_bootstrap_replicates));
  return absl::OkStatus();
}

nlohmann::json DisclosurePolicyJson(const DisclosurePolicy& p) {
  return {{"min_cell", p.min_cell},
          {"min_residual_df", p.min_residual_df},
          {"dominance_n", p.dominance_n},
          {"dominance_k", p.dominance_k},
          {"max_leverage", p.max_leverage},
          {"lattice_margin", p.lattice_margin},
          {"max_name_length", p.max_name_length},
          {"max_list_items", p.max_list_items},
          {"max_predictors", p.max_predictors},
          {"max_interactions", p.max_interactions},
          {"max_bootstrap_replicates", p.max_bootstrap_replicates},
          {"max_study_bytes", p.max_study_bytes}};
}

nlohmann::json NormalisedStudy(const Study& s) {
  // Lists whose order does not change the analysis are sorted; the name is left out.
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  nlohmann::json interactions = nlohmann::json::array();
  for (const auto& [a, b] : s.interactions) interactions.push_back({a, b});
  return {{"kaders", sorted(s.kaders)},
          {"first_discussed_from",
           s.first_discussed_from ? FormatIsoDate(*s.first_discussed_from) : ""},
          {"first_discussed_to", s.first_discussed_to ? FormatIsoDate(*s.first_discussed_to) : ""},
          {"unlinked", s.unlinked_as_zero ? "zero" : "exclude"},
          {"excluded_categories", sorted(s.excluded_categories)},
          {"roles", sorted(s.roles)},
          {"outcome", s.outcome},
          {"predictors", s.predictors},
          {"interactions", interactions},
          {"min_cell", s.min_cell},
          {"min_residual_df", s.min_residual_df},
          {"max_leverage", s.max_leverage},
          {"comparison",
           {{"enabled", s.comparison.enabled},
            {"k", s.comparison.k},
            {"caliper_quarter", s.comparison.caliper_quarter},
            {"caliper_year", s.comparison.caliper_year},
            {"seed", s.comparison.seed},
            {"bootstrap_replicates", s.comparison.bootstrap_replicates}}}};
}

std::string StudyDigest(const Study& study) { return Sha256Hex(NormalisedStudy(study).dump()); }

}  // namespace pprl
