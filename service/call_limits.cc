#include "service/call_limits.h"

#include <algorithm>

#include "core/text.h"
#include "service/rpc_util.h"

namespace pprl {

CallAdmission::CallAdmission(CallLimits limits, Clock clock)
    : limits_(limits), clock_(std::move(clock)) {}

CallAdmission::Ticket::~Ticket() { owner_->Release(caller_); }

absl::StatusOr<std::unique_ptr<CallAdmission::Ticket>> CallAdmission::Admit(
    const std::string& caller) {
  const double burst = std::max(1.0, limits_.calls_per_minute / 4);
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(caller);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst;
    b.refilled = now;
  } else {
    const double minutes = std::chrono::duration<double>(now - b.refilled).count() / 60;
    b.tokens = std::min(burst, b.tokens + minutes * limits_.calls_per_minute);
    b.refilled = now;
  }
  if (b.active >= limits_.concurrent_per_caller) {
    return absl::ResourceExhaustedError(
        Cat("too many calls at once from this certificate (at most ", limits_.concurrent_per_caller,
            "): retry when one has finished"));
  }
  if (b.tokens < 1) {
    return absl::ResourceExhaustedError(Cat("too many calls from this certificate (at most ",
                                            limits_.calls_per_minute, " a minute): retry later"));
  }
  b.tokens -= 1;
  ++b.active;
  return std::unique_ptr<Ticket>(new Ticket(this, caller));
}

void CallAdmission::Release(const std::string& caller) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(caller);
  if (it != buckets_.end() && it->second.active > 0) --it->second.active;
}

CallWatchdog::CallWatchdog(std::chrono::seconds max_call)
    : max_call_(max_call), thread_([this] { Loop(); }) {}

CallWatchdog::~CallWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

uint64_t CallWatchdog::Watch(grpc::CallbackServerContext* context) {
  const auto own = std::chrono::system_clock::now() + max_call_;
  // The client's deadline stands when it is earlier; gRPC enforces that one itself.
  const auto theirs = context->deadline();
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = next_id_++;
  watched_[id] = {context, std::min(own, theirs), false};
  wake_.notify_all();
  return id;
}

void CallWatchdog::Forget(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  watched_.erase(id);
}

void CallWatchdog::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    auto next = std::chrono::system_clock::now() + std::chrono::seconds(1);
    const auto now = std::chrono::system_clock::now();
    for (auto& [id, w] : watched_) {
      if (w.cancelled) continue;
      if (w.cancel_at <= now) {
        // Held under the lock: Forget() (before the reactor is deleted) waits for it.
        w.context->TryCancel();
        w.cancelled = true;
        LogError("call cancelled: it outlived the server's limit",
                 {{"max_call_seconds", std::to_string(max_call_.count())}});
      } else {
        next = std::min(next, w.cancel_at);
      }
    }
    wake_.wait_until(lock, next);
  }
}

}  // namespace pprl
