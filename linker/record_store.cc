#include "linker/record_store.h"

#include <openssl/sha.h>

#include "core/hmac_key.h"

namespace pprl {

std::string ExtractIdFor(const std::string& site, const std::string& client_extract_id) {
  std::string label = "pprl/extract/v1\x1f" + site + "\x1f" + client_extract_id;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(label.data()), label.size(), digest);
  return "X" + ToHex(std::span<const uint8_t>(digest, 8));
}

}  // namespace pprl
