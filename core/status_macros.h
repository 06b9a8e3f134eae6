// Early-return helpers for absl::Status and absl::StatusOr<T>.
//
// Debian's abseil (20220623) ships without RETURN_IF_ERROR / ASSIGN_OR_RETURN, so the project
// defines its own once, here. Header-only, no state.
#ifndef PPRL_CORE_STATUS_MACROS_H_
#define PPRL_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PPRL_CONCAT_INNER_(a, b) a##b
#define PPRL_CONCAT_(a, b) PPRL_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
#define PPRL_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::absl::Status pprl_status_ = (expr);        \
    if (!pprl_status_.ok()) return pprl_status_; \
  } while (false)

// `PPRL_ASSIGN_OR_RETURN(auto x, Foo());` declares x from an absl::StatusOr<T> or returns its
// error status.
#define PPRL_ASSIGN_OR_RETURN(lhs, expr) \
  PPRL_ASSIGN_OR_RETURN_IMPL_(PPRL_CONCAT_(pprl_statusor_, __LINE__), lhs, expr)
#define PPRL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return statusor.status();          \
  lhs = std::move(statusor).value()

#endif  // PPRL_CORE_STATUS_MACROS_H_
