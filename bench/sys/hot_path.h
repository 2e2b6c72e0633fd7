// VERSUS_HOT marks the functions a measured loop runs between one switch of its CPU and the next
// (sending and receiving a message, waiting on a futex, reading the clock, recording a latency).
// GCC puts such functions in .text.hot, which the linker lays out together, so the loop's code
// spans a few pages instead of one page per source file. Where the CPU has no address-space tags
// (no PCID, as on this project's VMs), every switch between processes empties the TLB and each
// page touched afterwards costs a page walk: a nested one under a hypervisor, about 11 ns each
// on this project's VMs (benchmarks/README.md, "Page footprint"). A bare program's loop is a few
// pages; versus's should be too. The same holds for what a forked child runs before it exits
// (the fork runner's spawn loop and the spawn task): a child maps none of the program's code,
// and each code page it touches first is a page fault inside the measured loop.
#pragma once

#define VERSUS_HOT [[gnu::hot]]
