// Resource limits a cell may run into, checked before the cell runs so that a cell the machine
// cannot hold is `unsupported` with the limit named, never a failure half-way through.
#pragma once

#include <cstdint>
#include <string>

namespace versus {

// Raises RLIMIT_NOFILE: soft and hard to fs.nr_open where this process may (root), else the soft
// limit to the hard one; returns the soft limit now in force.
int64_t raise_fd_limit();
int64_t fd_limit();

// How many more threads (or processes) this user may create: the least of RLIMIT_NPROC,
// kernel.threads-max and kernel.pid_max, minus what already runs.
int64_t tasks_available();
// vm.max_map_count: every thread or fiber stack with a guard page takes two mappings.
int64_t max_map_count();
// MemAvailable from /proc/meminfo, in bytes.
int64_t memory_available();

// "" when `count` more threads or processes fit the task limits; otherwise the limit, with numbers.
std::string check_tasks(int64_t count, const char* what);
// "" when `count` stacks of `stack_bytes` in one process fit the mapping and memory limits.
std::string check_stacks(int64_t count, int64_t stack_bytes, const char* what);

}  // namespace versus
