#include "bench/sys/errors.h"

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace versus {

void throw_errno(const std::string& call) { throw std::system_error(errno, std::generic_category(), call); }

void throw_error(int error, const std::string& call) {
  throw std::system_error(std::abs(error), std::generic_category(), call);
}

}  // namespace versus
