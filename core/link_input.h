// Compact parts of a linkage input (core/linkage.h LinkInput): the linker holds one per stored
// record, 10M and more, for a whole link run, so every byte of it counts (issue 13: 10M police
// and 100k case records under 4 GiB).
// - ExtractId: an interned extract id. The records of an extract share one copy of its id
//   (8 bytes a record instead of a 32-byte string with a heap copy of "X" + 16 hex digits).
// - LinkKeys: the match keys of a record, inline up to one per key level (what
//   ComputeMatchKeys makes: no allocation), on the heap beyond.
#ifndef PPRL_CORE_LINK_INPUT_H_
#define PPRL_CORE_LINK_INPUT_H_

#include <compare>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/match_keys.h"

namespace pprl {

// Thread-safe. Interned ids live as long as the process: extracts are few (each id is kept
// once, however many link runs use it).
class ExtractId {
 public:
  ExtractId();                     // ""
  ExtractId(std::string_view id);  // NOLINT: implicit, as the std::string it replaces
  ExtractId(const std::string& id) : ExtractId(std::string_view(id)) {}  // NOLINT
  ExtractId(const char* id) : ExtractId(std::string_view(id)) {}         // NOLINT

  const std::string& str() const { return *id_; }
  operator const std::string&() const { return *id_; }  // NOLINT

  friend bool operator==(const ExtractId& a, const ExtractId& b) { return a.id_ == b.id_; }
  friend std::strong_ordering operator<=>(const ExtractId& a, const ExtractId& b) {
    if (a.id_ == b.id_) return std::strong_ordering::equal;
    return a.id_->compare(*b.id_) <=> 0;
  }

 private:
  const std::string* id_;  // owned by the intern table, never freed
};

class LinkKeys : public absl::InlinedVector<MatchKey, std::size(kAllKeyLevels)> {
 public:
  using InlinedVector::InlinedVector;
  LinkKeys(const std::vector<MatchKey>& keys)  // NOLINT: implicit, as the vector it replaces
      : InlinedVector(keys.begin(), keys.end()) {}
  LinkKeys& operator=(const std::vector<MatchKey>& keys) {
    assign(keys.begin(), keys.end());
    return *this;
  }
};

// ComputeMatchKeys (core/match_keys.h) into a LinkKeys.
void ComputeMatchKeys(const HmacKey& key, const NormalisedIdentity& identity, LinkKeys* out);

}  // namespace pprl

#endif  // PPRL_CORE_LINK_INPUT_H_
