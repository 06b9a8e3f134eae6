// Small string helpers over std::string_view.
//
// Debian's abseil keeps absl::string_view distinct from std::string_view, so absl::StrCat and
// friends do not accept our views; these take them directly. Pure, thread-safe.
#ifndef PPRL_CORE_TEXT_H_
#define PPRL_CORE_TEXT_H_

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace pprl {

namespace text_internal {
inline void AppendOne(std::string& out, std::string_view s) { out.append(s); }
inline void AppendOne(std::string& out, const char* s) { out.append(s); }
inline void AppendOne(std::string& out, const std::string& s) { out.append(s); }
inline void AppendOne(std::string& out, absl::string_view s) { out.append(s.data(), s.size()); }
inline void AppendOne(std::string& out, char c) { out.push_back(c); }
template <std::integral T>
requires(!std::same_as<T, char> && !std::same_as<T, bool>) void AppendOne(std::string& out, T v) {
  out.append(std::to_string(v));
}
}  // namespace text_internal

// Concatenates strings, views, characters and integers.
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (text_internal::AppendOne(out, args), ...);
  return out;
}
template <typename... Args>
void Append(std::string* out, const Args&... args) {
  (text_internal::AppendOne(*out, args), ...);
}

// Removes ASCII blanks (space, tab, CR, LF, FF, VT) at both ends.
std::string_view Trim(std::string_view s);
// ASCII lower case; other bytes unchanged.
std::string AsciiLower(std::string_view s);
// Splits on any of `separators`, dropping empty pieces.
std::vector<std::string_view> SplitAny(std::string_view s, std::string_view separators);
// Joins with `separator`.
std::string Join(const std::vector<std::string>& parts, std::string_view separator);

// Text for HTML element content or a quoted attribute: & < > " escaped.
std::string HtmlEscape(std::string_view s);

}  // namespace pprl

#endif  // PPRL_CORE_TEXT_H_
