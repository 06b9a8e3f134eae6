// gMock matchers for absl::Status and absl::StatusOr<T>:
//   EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 7")));
//   EXPECT_THAT(s, IsOk());
#ifndef PPRL_TESTS_STATUS_MATCHERS_H_
#define PPRL_TESTS_STATUS_MATCHERS_H_

#include <gmock/gmock.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pprl::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
absl::Status GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  absl::Status s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  absl::Status s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message().data(), s.message().size()));
}

}  // namespace pprl::testing

#endif  // PPRL_TESTS_STATUS_MATCHERS_H_
