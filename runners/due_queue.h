// Open-loop senders waiting for their send time (Conversation::due_ns), earliest first: the
// connections of an event loop, the fibers of a scheduler. Whoever holds one waits until
// earliest() (on a DeadlineTimer, or with a timed wait) and then takes what is due.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

namespace versus {

class DueQueue {
 public:
  void push(int64_t due_ns, size_t who) { heap_.emplace(due_ns, who); }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  // The earliest due time; 0 when nothing waits.
  int64_t earliest() const { return heap_.empty() ? 0 : heap_.top().first; }
  // Takes everyone due by `now_ns`, earliest first, and hands each to `take`.
  template <class Take>
  void take_due(int64_t now_ns, Take&& take) {
    while (!heap_.empty() && heap_.top().first <= now_ns) {
      const size_t who = heap_.top().second;
      heap_.pop();
      take(who);
    }
  }

 private:
  using Entry = std::pair<int64_t, size_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
};

}  // namespace versus
