#include "bench/sys/peer_cpus.h"

#include <sched.h>

#include "bench/sys/errors.h"

namespace versus {

int sole_cpu_of_this_thread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) throw_errno("sched_getaffinity");
  if (CPU_COUNT(&set) != 1) return -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) return cpu;
  }
  return -1;
}

}  // namespace versus
