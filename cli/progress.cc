#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace pprl {

Progress::Progress(std::string label, uint64_t total_bytes)
    : label_(std::move(label)),
      total_bytes_(total_bytes),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::Update(uint64_t bytes, int64_t rows) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  shown_ = true;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? static_cast<double>(rows) / secs : 0;
  if (total_bytes_ > 0) {
    double pct = 100.0 * static_cast<double>(bytes) / static_cast<double>(total_bytes_);
    std::fprintf(stderr, "\r%s: %5.1f%%  %lld rows  %.0f rows/s   ", label_.c_str(), pct,
                 static_cast<long long>(rows), rate);
  } else {
    std::fprintf(stderr, "\r%s: %lld rows  %.0f rows/s   ", label_.c_str(),
                 static_cast<long long>(rows), rate);
  }
  std::fflush(stderr);
}

void Progress::Finish() {
  if (enabled_ && shown_) std::fprintf(stderr, "\n");
}

}  // namespace pprl
