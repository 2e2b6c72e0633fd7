#include "runners/fiber.h"

#include <boost/context/preallocated.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define VERSUS_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define VERSUS_TSAN 1
#endif

namespace ctx = boost::context;

namespace versus {

namespace {
thread_local Fiber* t_current = nullptr;
}

Fiber::Fiber(std::function<void()> body, size_t stack_bytes) : body_(std::move(body)) {
  ctx::protected_fixedsize_stack allocator(stack_bytes);
  ctx::stack_context stack = allocator.allocate();
  stack_size_ = stack.size;
  stack_bottom_ = static_cast<char*>(stack.sp) - stack.size;
  self_ = ctx::fiber(std::allocator_arg, ctx::preallocated(stack.sp, stack.size, stack), allocator,
                     [this](ctx::fiber&& caller) { return entry(std::move(caller)); });
#if VERSUS_TSAN
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
}

Fiber::~Fiber() {
  // An unfinished fiber is unwound by Boost.Context when self_ is destroyed.
  self_ = {};
#if VERSUS_TSAN
  __tsan_destroy_fiber(tsan_fiber_);
#endif
}

Fiber* Fiber::current() { return t_current; }

bool Fiber::resume() {
  if (finished_) return false;
  Fiber* outer = std::exchange(t_current, this);
  switch_in();
  self_ = std::move(self_).resume();
  landed_in_caller();
  t_current = outer;
  return !finished_;
}

void Fiber::yield() {
  Fiber* self = t_current;
  if (!self) return;
  self->switch_out(false);
  self->caller_ = std::move(self->caller_).resume();
  self->landed_in_fiber();
}

ctx::fiber Fiber::entry(ctx::fiber&& caller) {
  caller_ = std::move(caller);
  landed_in_fiber();
  body_();
  finished_ = true;
  switch_out(true);
  return std::move(caller_);
}

// Sanitizer bookkeeping around each switch: before leaving a stack say where we go, after
// arriving say so. The thread's own stack bounds are learnt on the first arrival in the fiber.
void Fiber::switch_in() {
#if VERSUS_ASAN
  __sanitizer_start_switch_fiber(&caller_fake_stack_, stack_bottom_, stack_size_);
#endif
#if VERSUS_TSAN
  tsan_caller_ = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(tsan_fiber_, 0);
#endif
}

void Fiber::switch_out(bool finishing) {
#if VERSUS_ASAN
  __sanitizer_start_switch_fiber(finishing ? nullptr : &fiber_fake_stack_, caller_bottom_, caller_size_);
#else
  (void)finishing;
#endif
#if VERSUS_TSAN
  __tsan_switch_to_fiber(tsan_caller_, 0);
#endif
}

void Fiber::landed_in_fiber() {
#if VERSUS_ASAN
  __sanitizer_finish_switch_fiber(fiber_fake_stack_, &caller_bottom_, &caller_size_);
#endif
}

void Fiber::landed_in_caller() {
#if VERSUS_ASAN
  __sanitizer_finish_switch_fiber(caller_fake_stack_, nullptr, nullptr);
#endif
}

void FiberScheduler::spawn(std::function<void()> body) {
  ready_.push_back(std::make_unique<Fiber>(std::move(body), stack_bytes_));
}

void FiberScheduler::run() {
  run_until([] { return false; });
}

void FiberScheduler::run_until(const std::function<bool()>& done) {
  while (!ready_.empty() && !done()) {
    std::unique_ptr<Fiber> next = std::move(ready_.front());
    ready_.pop_front();
    if (next->resume()) ready_.push_back(std::move(next));
  }
}

}  // namespace versus
