// Fibers: Boost.Context's fiber in one small class, with a guard page below every stack so an
// overflow is a crash row rather than silent corruption; and a round-robin scheduler that runs
// the fibers of one OS thread. Sanitizers are told of every stack switch.
#pragma once

#include <boost/context/fiber.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>

namespace versus {

class Fiber {
 public:
  // `body` must not let an exception escape (it would cross a stack switch).
  Fiber(std::function<void()> body, size_t stack_bytes);
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Runs the fiber until it yields or its body returns. Returns false once it has finished.
  bool resume();
  bool finished() const { return finished_; }

  // From inside a running fiber: back to the resume() that ran it. Outside a fiber: no-op.
  static void yield();
  static Fiber* current();

 private:
  boost::context::fiber entry(boost::context::fiber&& caller);
  void switch_in();
  void switch_out(bool finishing);
  void landed_in_fiber();
  void landed_in_caller();

  std::function<void()> body_;
  boost::context::fiber self_;    // where resume() continues the fiber
  boost::context::fiber caller_;  // where yield() goes back to
  bool finished_ = false;
  // Stack bounds for the address sanitizer; fiber handle for the thread sanitizer.
  const void* stack_bottom_ = nullptr;
  size_t stack_size_ = 0;
  const void* caller_bottom_ = nullptr;
  size_t caller_size_ = 0;
  void* caller_fake_stack_ = nullptr;
  void* fiber_fake_stack_ = nullptr;
  void* tsan_fiber_ = nullptr;
  void* tsan_caller_ = nullptr;
};

// Runs the fibers of one OS thread in turn: each runs until it yields or finishes.
class FiberScheduler {
 public:
  explicit FiberScheduler(size_t stack_bytes) : stack_bytes_(stack_bytes) {}
  void spawn(std::function<void()> body);
  // Returns when every fiber has finished.
  void run();
  // Runs fibers in turn until `done` holds (checked after each switch back) or all finished.
  void run_until(const std::function<bool()>& done);

 private:
  size_t stack_bytes_;
  std::deque<std::unique_ptr<Fiber>> ready_;
};

}  // namespace versus
