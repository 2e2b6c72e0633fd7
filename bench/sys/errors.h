// System-call failures as exceptions: std::system_error with the errno and the call's name, so
// every message reads "epoll_ctl: Bad file descriptor" whatever layer threw it.
#pragma once

#include <string>

namespace versus {

// The call failed and set errno.
[[noreturn]] void throw_errno(const std::string& call);
// The call returned the error itself: `error` is an errno value; liburing's negative returns
// are accepted as they come (-EBUSY and EBUSY mean the same).
[[noreturn]] void throw_error(int error, const std::string& call);

}  // namespace versus
