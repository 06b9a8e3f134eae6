// A one-line progress display on stderr, shown only when stderr is a terminal. Not
// thread-safe. Prints counts and rates only, never data.
#ifndef PPRL_CLI_PROGRESS_H_
#define PPRL_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace pprl {

class Progress {
 public:
  // `total_bytes` 0 when unknown.
  Progress(std::string label, uint64_t total_bytes);
  void Update(uint64_t bytes, int64_t rows);
  void Finish();

 private:
  std::string label_;
  uint64_t total_bytes_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  bool shown_ = false;
};

}  // namespace pprl

#endif  // PPRL_CLI_PROGRESS_H_
