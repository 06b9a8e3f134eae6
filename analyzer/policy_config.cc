#define TOML_EXCEPTIONS 0
#include "analyzer/policy_config.h"

#include <toml++/toml.h>

#include <fstream>
#include <iterator>
#include <tuple>

#include "core/text.h"

namespace pprl {
namespace {

struct IntKey {
  const char* key;
  int64_t low, high;
  int DisclosurePolicy::*field;
};
constexpr IntKey kIntKeys[] = {
    {"min_cell", 2, 1000, &DisclosurePolicy::min_cell},
    {"min_residual_df", 1, 1000, &DisclosurePolicy::min_residual_df},
    {"dominance_n", 1, 100, &DisclosurePolicy::dominance_n},
    {"lattice_margin", 1, 100, &DisclosurePolicy::lattice_margin},
    {"max_name_length", 1, 10000, &DisclosurePolicy::max_name_length},
    {"max_list_items", 1, 1000, &DisclosurePolicy::max_list_items},
    {"max_item_length", 1, 10000, &DisclosurePolicy::max_item_length},
    {"max_predictors", 1, 13, &DisclosurePolicy::max_predictors},
    {"max_interactions", 0, 100, &DisclosurePolicy::max_interactions},
    {"max_bootstrap_replicates", 100, 100000, &DisclosurePolicy::max_bootstrap_replicates},
    {"max_study_bytes", 256, 1 << 24, &DisclosurePolicy::max_study_bytes},
};

}  // namespace

absl::Status ValidateDisclosurePolicy(const DisclosurePolicy& policy, const std::string& origin) {
  for (const IntKey& k : kIntKeys) {
    const int v = policy.*k.field;
    if (v < k.low || v > k.high)
      return absl::InvalidArgumentError(
          Cat(origin, ": disclosure.", k.key, " = ", v, " must be in ", k.low, "..", k.high));
  }
  if (!(policy.dominance_k > 0.5 && policy.dominance_k <= 1.0))
    return absl::InvalidArgumentError(Cat(origin, ": disclosure.dominance_k must be in (0.5, 1]"));
  if (!(policy.max_leverage > 0 && policy.max_leverage < 1.0))
    return absl::InvalidArgumentError(Cat(origin, ": disclosure.max_leverage must be in (0, 1)"));
  return absl::OkStatus();
}

absl::Status LoadDisclosurePolicy(const std::string& path, DisclosurePolicy* policy) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Cat(path, ": cannot read the config file"));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char c : content) {
    if (static_cast<unsigned char>(c) >= 0x80)
      return absl::InvalidArgumentError(Cat(path, ": a non-ASCII character"));
  }
  toml::parse_result parsed = toml::parse(content, path);
  if (!parsed) {
    return absl::InvalidArgumentError(Cat(path, ":",
                                          static_cast<int64_t>(parsed.error().source().begin.line),
                                          ": ", std::string(parsed.error().description())));
  }
  const toml::table* d = parsed.table()["disclosure"].as_table();
  if (d == nullptr) {
    if (parsed.table()["disclosure"])
      return absl::InvalidArgumentError(Cat(path, ": disclosure must be a table"));
    return absl::OkStatus();
  }
  for (const auto& [key, node] : *d) {
    const int64_t line = static_cast<int64_t>(node.source().begin.line);
    if (key.str() == "max_leverage") {
      std::optional<double> v = node.value<double>();
      if (!v)
        return absl::InvalidArgumentError(
            Cat(path, ":", line, ": disclosure.max_leverage must be a number"));
      policy->max_leverage = *v;
      continue;
    }
    if (key.str() == "dominance_k") {
      std::optional<double> v = node.value<double>();
      if (!v)
        return absl::InvalidArgumentError(
            Cat(path, ":", line, ": disclosure.dominance_k must be a number"));
      policy->dominance_k = *v;
      continue;
    }
    const IntKey* k = nullptr;
    for (const IntKey& candidate : kIntKeys) {
      if (key.str() == candidate.key) k = &candidate;
    }
    if (k == nullptr)
      return absl::InvalidArgumentError(
          Cat(path, ":", line, ": disclosure.", key.str(), " is not a setting"));
    std::optional<int64_t> v = node.value<int64_t>();
    if (!v || *v < k->low || *v > k->high)
      return absl::InvalidArgumentError(Cat(path, ":", line, ": disclosure.", k->key,
                                            " must be a whole number in ", k->low, "..", k->high));
    policy->*k->field = static_cast<int>(*v);
  }
  return ValidateDisclosurePolicy(*policy, path);
}

}  // namespace pprl
