// The shm channel's ring (scenarios/ipc/channel_shm.cc) between two threads: what arrives is what
// was sent, and a writer that fills the ring ahead of a slow reader is woken once half the ring is
// free, not for every message read (on one CPU each wake-up is a switch). A lost wake-up would
// hang here, and ctest's time limit fails it.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "scenarios/ipc/channel.h"

namespace versus::ipc {
namespace {

long voluntary_switches_of_this_thread() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_nvcsw;
}

TEST(ShmRing, AWriterAheadOfASlowReaderIsWokenOncePerHalfRing) {
  // 32 KiB messages: the ring holds 8 (256 KiB, its least: make_shm_channel), so half a ring is 4
  // messages and the writer sleeps at most once per 4.
  constexpr size_t kMessage = 32 * 1024;
  constexpr int kMessages = 200;
  Channel channel = make_shm_channel(kMessage, /*spin_us=*/0);
  std::vector<int> wrong;
  std::thread reader([&] {
    WorkerContext ctx(1, 2);
    std::vector<std::byte> buf(kMessage);
    for (int m = 0; m < kMessages; ++m) {
      channel.consumer->recv(buf.data(), kMessage, ctx);
      const std::vector<std::byte> sent(kMessage, std::byte(m));
      if (buf != sent) wrong.push_back(m);
      std::this_thread::sleep_for(std::chrono::microseconds(50));  // slower than the writer: the ring fills
    }
  });
  WorkerContext ctx(0, 2);
  std::vector<std::byte> msg(kMessage);
  const long before = voluntary_switches_of_this_thread();
  for (int m = 0; m < kMessages; ++m) {
    std::memset(msg.data(), m, kMessage);
    channel.producer->send(msg.data(), kMessage, ctx);
  }
  const long slept = voluntary_switches_of_this_thread() - before;
  reader.join();
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " messages arrived damaged, the first " << wrong.front();
  // Woken at every message read, the writer would sleep about once a message (some 190 times);
  // once per half ring, about 50. The bound between leaves room for sleeps of the writer's thread
  // that are not the ring's (a sanitizer's own locks, a page first touched).
  EXPECT_LE(slept, kMessages / 2)
      << "the writer slept " << slept << " times for " << kMessages << " messages";
  EXPECT_GT(slept, 0) << "the ring never filled: the test did not test the full ring";
}

}  // namespace
}  // namespace versus::ipc
