#include "core/link_input.h"

#include <mutex>
#include <unordered_set>

namespace pprl {
namespace {

struct InternTable {
  std::mutex mu;
  std::unordered_set<std::string> ids;  // node-based: an element's address never changes
};

InternTable& Table() {
  static auto* table = new InternTable;  // never destroyed: ExtractIds may outlive main()
  return *table;
}

const std::string* Intern(std::string_view id) {
  // A store is scanned extract by extract: most ids are the one made just before.
  thread_local const std::string* last = nullptr;
  if (last != nullptr && *last == id) return last;
  InternTable& t = Table();
  std::lock_guard<std::mutex> lock(t.mu);
  std::string key(id);
  auto it = t.ids.find(key);
  if (it == t.ids.end()) it = t.ids.insert(std::move(key)).first;
  last = &*it;
  return last;
}

}  // namespace

ExtractId::ExtractId() : ExtractId(std::string_view()) {}

ExtractId::ExtractId(std::string_view id) : id_(Intern(id)) {}

void ComputeMatchKeys(const HmacKey& key, const NormalisedIdentity& identity, LinkKeys* out) {
  std::vector<MatchKey> keys;
  ComputeMatchKeys(key, identity, &keys);
  out->insert(out->end(), keys.begin(), keys.end());
}

}  // namespace pprl
