// The fiber runner's parts on their own: the order fibers run in when they hand over straight to
// each other, each kind of stack, pooled stacks reused and still guarded.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/context/stack_context.hpp>

#include <string>
#include <vector>

#include "bench/sys/child.h"
#include "runners/fiber_scheduler.h"
#include "runners/fiber_stacks.h"

namespace versus {
namespace {

constexpr size_t kStackBytes = 64 * 1024;

// Three fibers yielding in turn: with hand-overs (run) as through the scheduler (run_until), each
// goes in round-robin order and every one runs to its end.
TEST(FiberTest, YieldsGoRoundRobinWithOrWithoutHandOvers) {
  for (const bool hand_overs : {true, false}) {
    SCOPED_TRACE(hand_overs ? "run" : "run_until");
    FiberStacks stacks(StackKind::kPooled, kStackBytes);
    FiberScheduler scheduler(stacks);
    std::string order;
    int finished = 0;
    for (const char name : {'a', 'b', 'c'}) {
      scheduler.spawn([&, name] {
        for (int i = 0; i < 3; ++i) {
          order += name;
          FiberScheduler::yield();
        }
        ++finished;
      });
    }
    if (hand_overs) {
      scheduler.run();
    } else {
      scheduler.run_until([] { return false; });
    }
    EXPECT_EQ(order, "abcabcabc");
    EXPECT_EQ(finished, 3);
  }
}

// One fiber left runs on alone; a fiber that finishes mid-way leaves the others their turns.
TEST(FiberTest, HandOversSkipFinishedFibers) {
  FiberStacks stacks(StackKind::kFixed, kStackBytes);
  FiberScheduler scheduler(stacks);
  std::string order;
  scheduler.spawn([&] {
    order += 'a';
    FiberScheduler::yield();
    order += 'a';
  });
  scheduler.spawn([&] {
    for (int i = 0; i < 4; ++i) {
      order += 'b';
      FiberScheduler::yield();
    }
  });
  scheduler.run();
  EXPECT_EQ(order, "ababbb");
}

TEST(FiberTest, EveryStackKindRunsFibers) {
  for (const std::string_view name : kStackKindNames) {
    SCOPED_TRACE(std::string(name));
    FiberStacks stacks(stack_kind(name), kStackBytes);
    FiberScheduler scheduler(stacks);
    int sum = 0;
    for (int i = 1; i <= 10; ++i) scheduler.spawn([&sum, i] { sum += i; });
    scheduler.run();
    EXPECT_EQ(sum, 55);
  }
}

TEST(FiberTest, AnUnknownStackKindIsRefusedNamingTheKinds) {
  try {
    stack_kind("huge");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "fiber_stack 'huge': accepted are pooled, protected, fixed");
  }
}

// A pooled stack given back is the next one taken; a protected one is unmapped.
TEST(FiberTest, PooledStacksAreReused) {
  FiberStacks pooled(StackKind::kPooled, kStackBytes);
  boost::context::stack_context first = pooled.take();
  void* const sp = first.sp;
  pooled.give_back(first);
  boost::context::stack_context again = pooled.take();
  EXPECT_EQ(again.sp, sp);
  pooled.give_back(again);
}

// A write just below a pooled stack, where a fiber overflowing it would write, faults. The child
// says so through its own SIGSEGV handler (the address sanitizer would report the fault as its
// own and exit otherwise).
constexpr int kFaulted = 42;
extern "C" void exit_faulted(int) { _exit(kFaulted); }

TEST(FiberTest, PooledStacksKeepTheirGuardPage) {
  Child child = Child::run([](int) {
    struct sigaction on_fault {};
    on_fault.sa_handler = exit_faulted;
    if (sigaction(SIGSEGV, &on_fault, nullptr) != 0) return 1;
    FiberStacks pooled(StackKind::kPooled, kStackBytes);
    boost::context::stack_context stack = pooled.take();
    pooled.give_back(stack);
    stack = pooled.take();  // the reused one
    volatile char* below = static_cast<char*>(stack.sp) - stack.size - 1;
    *below = 1;
    return 0;
  });
  const ChildEnd end = child.wait();
  ASSERT_EQ(end.how, ChildEnd::How::kExited) << end.describe();
  EXPECT_EQ(end.code(), kFaulted) << "the write below the stack did not fault";
}

}  // namespace
}  // namespace versus
