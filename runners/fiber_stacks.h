// Where fiber stacks come from (the fiber runner's `fiber_stack`): what creating a fiber costs
// is mostly what getting its stack costs, so the kinds are kept apart and measurable.
//   protected: mapped for each fiber with a guard page below it (mmap + mprotect), unmapped at
//              its end: an overflow is a crash, at two system calls a fiber each way;
//   fixed:     malloc'd for each fiber, no guard page: an overflow corrupts silently;
//   pooled:    protected stacks, kept once a fiber is done and handed to the next: the guard
//              page's safety at the cost of a free-list pop once the pool is warm.
#pragma once

#include <boost/context/stack_context.hpp>

#include <cstddef>
#include <string_view>
#include <vector>

namespace versus {

enum class StackKind { kPooled, kProtected, kFixed };

// The names as the parameter takes them, in StackKind's order.
inline constexpr std::string_view kStackKindNames[] = {"pooled", "protected", "fixed"};
// Throws std::invalid_argument naming `name` and the kinds accepted.
StackKind stack_kind(std::string_view name);

// The stacks of the fibers of one thread. Must outlive every fiber that took a stack from it.
// Not thread-safe: one per thread.
class FiberStacks {
 public:
  FiberStacks(StackKind kind, size_t stack_bytes) : kind_(kind), bytes_(stack_bytes) {}
  ~FiberStacks();
  FiberStacks(const FiberStacks&) = delete;
  FiberStacks& operator=(const FiberStacks&) = delete;

  boost::context::stack_context take();
  void give_back(boost::context::stack_context& stack) noexcept;

 private:
  StackKind kind_;
  size_t bytes_;
  std::vector<boost::context::stack_context> free_;  // pooled: stacks given back, ready again
};

// A Boost.Context stack allocator over FiberStacks, so the fiber hands its stack back itself.
struct StackLender {
  FiberStacks* stacks;
  boost::context::stack_context allocate() { return stacks->take(); }
  void deallocate(boost::context::stack_context& stack) noexcept { stacks->give_back(stack); }
};

}  // namespace versus
