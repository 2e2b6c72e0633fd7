#include "runners/registry.h"

namespace versus {

std::span<const Runner* const> all_runners() {
  static const Runner* const kRunners[] = {
      serial_runner(),
      fork_runner(),
      pthread_runner(),
      fiber_runner(),
  };
  return kRunners;
}

}  // namespace versus
