#include "core/hmac.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>
#include <string>
#include <vector>

#include "core/hmac_key.h"

namespace pprl {
namespace {

std::vector<uint8_t> Repeat(uint8_t b, size_t n) { return std::vector<uint8_t>(n, b); }
std::string RepeatS(char c, size_t n) { return std::string(n, c); }

std::string Hmac(const std::vector<uint8_t>& key, const std::string& data) {
  PrecomputedHmac h(key);
  Sha256Digest d = h.Compute(data);
  return ToHex(d);
}

// RFC 4231 section 4: HMAC-SHA-256 test vectors.
TEST(HmacSha256, Rfc4231KnownAnswers) {
  EXPECT_EQ(Hmac(Repeat(0x0b, 20), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hmac({'J', 'e', 'f', 'e'}, "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Hmac(Repeat(0xaa, 20), RepeatS('\xdd', 50)),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::vector<uint8_t> key4;
  for (uint8_t i = 1; i <= 25; ++i) key4.push_back(i);
  EXPECT_EQ(Hmac(key4, RepeatS('\xcd', 50)),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Test case 5: output truncated to 128 bits.
  EXPECT_EQ(Hmac(Repeat(0x0c, 20), "Test With Truncation").substr(0, 32),
            "a3b6167473100ee06e0c796c2955552b");
  EXPECT_EQ(Hmac(Repeat(0xaa, 131), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(Hmac(Repeat(0xaa, 131),
                 "This is a test using a larger than block-size key and a larger than block-size "
                 "data. The key needs to be hashed before being used by the HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256, AgreesWithOpenSslHmacOnRandomInputs) {
  std::mt19937 rng(42);
  for (int round = 0; round < 500; ++round) {
    std::vector<uint8_t> key(rng() % 150);
    for (uint8_t& b : key) b = static_cast<uint8_t>(rng());
    std::string data(rng() % 300, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    unsigned char expected[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), expected, &len);
    ASSERT_EQ(len, 32u);
    PrecomputedHmac h(key);
    // Also in parts: the split must not matter.
    size_t cut = data.empty() ? 0 : rng() % data.size();
    std::string_view parts[] = {std::string_view(data).substr(0, cut),
                                std::string_view(data).substr(cut)};
    EXPECT_EQ(ToHex(h.Compute(data)), ToHex(std::span<const uint8_t>(expected, 32)));
    EXPECT_EQ(ToHex(h.Compute(parts)), ToHex(std::span<const uint8_t>(expected, 32)));
  }
}

}  // namespace
}  // namespace pprl
