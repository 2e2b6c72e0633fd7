#include "bench/sys/peer_cpus.h"

#include "bench/sys/placement.h"

namespace versus {

int sole_cpu_of_this_thread() {
  const std::vector<int> cpus = Topology::here().thread_binding();
  return cpus.size() == 1 ? cpus.front() : -1;
}

}  // namespace versus
