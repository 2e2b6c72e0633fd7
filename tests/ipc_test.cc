// The ipc scenario under each runner that drives channel pairs (ctest: ipc.fork, ipc.pthread,
// ipc.fiber), run as the harness runs it: each repetition in its own process.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "bench/harness/isolate.h"
#include "bench/harness/repetition.h"
#include "leftovers.h"
#include "runners/registry.h"
#include "runner_variants.h"
#include "scenarios/registry.h"

namespace versus {
namespace {

class IpcTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { install_interrupt_handlers(); }

  Record run(std::map<std::string, std::string> set, int pairs = 1) {
    Cell c = cell_of(*ipc_scenario(), *catalog_.runner(GetParam()), pairs, set);
    c.timeout_s = 60;
    return execute_repetition(catalog_, c, 0);
  }

  Catalog catalog_{all_scenarios(), all_runners()};
};

const char* const kChannels[] = {"pipe", "socketpair", "tcp", "mq", "shm", "queue"};

TEST_P(IpcTest, EveryChannelMovesMessagesIntactAtSmallOddAndLargeSizes) {
  for (const char* channel : kChannels) {
    for (const size_t size : {size_t{64}, size_t{4099}, size_t{1} << 20}) {
      for (const char* mode : {"throughput", "pingpong"}) {
        const Record r = run({{"channel", channel},
                              {"msg_size", std::to_string(size)},
                              {"mode", mode},
                              {"bytes", std::to_string(size * 37)},
                              {"round_trips", "37"},
                              {"warmup", "5"}},
                             2);
        const std::string what = std::string(channel) + " " + mode + " " + std::to_string(size);
        if (std::string(channel) == "mq" && size > 8192) {
          EXPECT_EQ(r.status, Status::kUnsupported) << what;
          EXPECT_NE(r.message.find("msgsize_max"), std::string::npos) << r.message;
          continue;
        }
        ASSERT_EQ(r.status, Status::kOk) << what << ": " << r.message;
        EXPECT_EQ(r.result.value(), 2u * 37u) << what;
        const uint64_t expect_bytes = 2u * 37u * size * (std::string(mode) == "pingpong" ? 2 : 1);
        EXPECT_EQ(r.bytes.value(), expect_bytes) << what;
        EXPECT_EQ(r.ops.value(), 2u * 37u) << what;
        EXPECT_EQ(r.lat_p50_us.has_value(), std::string(mode) == "pingpong") << what;
        if (r.lat_p50_us) {
          EXPECT_GT(*r.lat_p50_us, 0);
          EXPECT_LE(*r.lat_p50_us, *r.lat_p99_us);
        }
      }
    }
  }
}

// Both ends bound to one CPU: a shm waiter sleeps at once rather than spin through the slice
// its peer needs, and the row says so (fibers never spin: they yield to each other).
TEST_P(IpcTest, ShmOnOneCpuDoesNotSpin) {
  const Record r = run({{"channel", "shm"}, {"mode", "pingpong"}, {"round_trips", "500"}, {"placement", "same"}});
  ASSERT_EQ(r.status, Status::kOk) << r.message;
  const bool cooperative = catalog_.runner(GetParam())->worker_host() == WorkerHost::kSharedThreads;
  EXPECT_EQ(r.message.find("shm: no spinning, both ends are bound to CPU") != std::string::npos, !cooperative)
      << r.message;
  const Record unpinned = run({{"channel", "shm"}, {"mode", "pingpong"}, {"round_trips", "500"}});
  ASSERT_EQ(unpinned.status, Status::kOk) << unpinned.message;
  EXPECT_EQ(unpinned.message.find("no spinning"), std::string::npos) << unpinned.message;
}

TEST_P(IpcTest, DamagedStreamsAreInvalid) {
  const std::map<std::string, std::string> says = {
      {"corrupt", "checksum mismatch"}, {"drop", "expected message"}, {"duplicate", "expected message"}};
  for (const char* channel : kChannels) {
    for (const auto& [fault, text] : says) {
      for (const char* mode : {"throughput", "pingpong"}) {
        const Record r = run({{"channel", channel},
                              {"fault", fault},
                              {"mode", mode},
                              {"msg_size", "1000"},
                              {"bytes", "100000"},
                              {"round_trips", "100"}});
        EXPECT_EQ(r.status, Status::kInvalid) << channel << " " << fault << " " << mode << ": " << r.message;
        EXPECT_NE(r.message.find(text), std::string::npos) << r.message;
        EXPECT_EQ(r.message.rfind("pair 0 consumer: ", 0), 0u) << r.message;
      }
    }
  }
}

TEST_P(IpcTest, NothingOutlivesTheCell) {
  const LeftoverWatch watch;
  for (const char* channel : {"mq", "shm", "queue"}) {
    ASSERT_EQ(run({{"channel", channel}, {"bytes", "65536"}}, 3).status, Status::kOk) << channel;
  }
  for (const auto& path : watch.left()) ADD_FAILURE() << path << " was left";
}

INSTANTIATE_TEST_SUITE_P(Each, IpcTest, ::testing::ValuesIn(runners_driving(all_runners(), kChannelShape)),
                         VariantTestName());

}  // namespace
}  // namespace versus
