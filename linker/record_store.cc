#include "linker/record_store.h"

#include "core/hmac_key.h"

namespace pprl {

std::string ExtractIdFor(const std::string& site, const std::string& client_extract_id) {
  std::string label = "pprl/extract/v1\x1f" + site + "\x1f" + client_extract_id;
  return "X" + Sha256Hex(label).substr(0, 16);
}

}  // namespace pprl
