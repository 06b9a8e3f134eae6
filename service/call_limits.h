// Limits a daemon puts on its callers, so that one clumsy or hostile caller cannot starve the
// others:
//  - CallAdmission: per caller (a certificate's role and name), at most `concurrent_per_caller`
//    calls at once and a token bucket of `calls_per_minute` (bursts of a quarter minute's
//    worth). Other callers are unaffected. A refusal is RESOURCE_EXHAUSTED naming the limit.
//  - CallWatchdog: a streaming call without a deadline (or with a later one than the server
//    allows) is cancelled `max_call_seconds` after it started.
// Thread-safe.
#ifndef PPRL_SERVICE_CALL_LIMITS_H_
#define PPRL_SERVICE_CALL_LIMITS_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace pprl {

struct CallLimits {
  int max_call_seconds = 600;
  double calls_per_minute = 120;
  int concurrent_per_caller = 4;
};

class CallAdmission {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit CallAdmission(CallLimits limits, Clock clock = std::chrono::steady_clock::now);

  // Releases its caller's slot when destroyed.
  class Ticket {
   public:
    ~Ticket();
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

   private:
    friend class CallAdmission;
    Ticket(CallAdmission* owner, std::string caller) : owner_(owner), caller_(std::move(caller)) {}
    CallAdmission* owner_;
    std::string caller_;
  };

  // A slot for one call of `caller`, or RESOURCE_EXHAUSTED.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Ticket>> Admit(const std::string& caller);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled;
    int active = 0;
  };
  void Release(const std::string& caller);

  CallLimits limits_;
  Clock clock_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

class CallWatchdog {
 public:
  explicit CallWatchdog(std::chrono::seconds max_call);
  ~CallWatchdog();
  CallWatchdog(const CallWatchdog&) = delete;
  CallWatchdog& operator=(const CallWatchdog&) = delete;

  // Watches `context` until Forget(id); call Forget before the call's reactor goes away.
  uint64_t Watch(grpc::CallbackServerContext* context);
  void Forget(uint64_t id);

 private:
  struct Watched {
    grpc::CallbackServerContext* context;
    std::chrono::system_clock::time_point cancel_at;
    bool cancelled = false;
  };
  void Loop();

  std::chrono::seconds max_call_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Watched> watched_;
  std::thread thread_;
};

// Both limits for a daemon's streaming calls (uploads, submissions).
class StreamLimits {
 public:
  explicit StreamLimits(CallLimits limits)
      : admission_(limits), watchdog_(std::chrono::seconds(limits.max_call_seconds)) {}

  // Held by a call while it runs: its admission slot and its watchdog entry.
  class Slot {
   public:
    ~Slot() { EndWatch(); }
    // The call's reading is over (its own work may take longer than the call limit).
    void EndWatch() {
      if (watch_ != 0) watchdog_->Forget(watch_);
      watch_ = 0;
    }

   private:
    friend class StreamLimits;
    Slot(std::unique_ptr<CallAdmission::Ticket> ticket, CallWatchdog* watchdog, uint64_t watch)
        : ticket_(std::move(ticket)), watchdog_(watchdog), watch_(watch) {}
    std::unique_ptr<CallAdmission::Ticket> ticket_;
    CallWatchdog* watchdog_;
    uint64_t watch_;
  };

  // Admits a call of `caller` (role:name) and watches it, or RESOURCE_EXHAUSTED.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Slot>> Enter(const std::string& caller,
                                                            grpc::CallbackServerContext* context) {
    absl::StatusOr<std::unique_ptr<CallAdmission::Ticket>> ticket = admission_.Admit(caller);
    if (!ticket.ok()) return ticket.status();
    return std::unique_ptr<Slot>(
        new Slot(std::move(*ticket), &watchdog_, watchdog_.Watch(context)));
  }

 private:
  CallAdmission admission_;
  CallWatchdog watchdog_;
};

}  // namespace pprl

#endif  // PPRL_SERVICE_CALL_LIMITS_H_
