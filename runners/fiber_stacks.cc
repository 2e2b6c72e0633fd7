#include "runners/fiber_stacks.h"

#include <boost/context/fixedsize_stack.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>

#include <stdexcept>
#include <string>

namespace ctx = boost::context;

namespace versus {

StackKind stack_kind(std::string_view name) {
  for (size_t i = 0; i < std::size(kStackKindNames); ++i) {
    if (kStackKindNames[i] == name) return StackKind(i);
  }
  throw std::invalid_argument("fiber_stack '" + std::string(name) + "': accepted are pooled, protected, fixed");
}

FiberStacks::~FiberStacks() {
  for (auto& stack : free_) ctx::protected_fixedsize_stack(bytes_).deallocate(stack);
}

ctx::stack_context FiberStacks::take() {
  switch (kind_) {
    case StackKind::kFixed:
      return ctx::fixedsize_stack(bytes_).allocate();
    case StackKind::kPooled:
      if (!free_.empty()) {
        const ctx::stack_context stack = free_.back();
        free_.pop_back();
        return stack;
      }
      [[fallthrough]];
    case StackKind::kProtected:
      break;
  }
  return ctx::protected_fixedsize_stack(bytes_).allocate();
}

void FiberStacks::give_back(ctx::stack_context& stack) noexcept {
  switch (kind_) {
    case StackKind::kFixed:
      ctx::fixedsize_stack(bytes_).deallocate(stack);
      return;
    case StackKind::kPooled:
      try {
        free_.push_back(stack);
        return;
      } catch (...) {  // no room to keep it: unmap it instead
      }
      [[fallthrough]];
    case StackKind::kProtected:
      ctx::protected_fixedsize_stack(bytes_).deallocate(stack);
  }
}

}  // namespace versus
