#define TOML_EXCEPTIONS 0
#include "core/study.h"

#include <toml++/toml.h>

#include <algorithm>

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
  if (auto v = t["disclosure"]["min_cell"].value<int64_t>()) {
    if (*v < 2 || *v > 1000)
      return absl::InvalidArgumentError("study: disclosure.min_cell must be 2..1000");
    s.min_cell = static_cast<int>(*v);
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
  for (const std::string& p : s.predictors) {
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

}  // namespace pprl
