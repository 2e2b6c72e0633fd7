// Included first by every header of the harness layers (harness/, results/, compare/, cli/).
// Scenarios and runners build against versus_core alone (api/, poller/, sys/); only code that
// links versus_harness has VERSUS_HARNESS defined, so reaching up a layer fails here, at
// compile time, rather than in a link error or not at all.
#pragma once

#ifndef VERSUS_HARNESS
#error \
    "a harness header (bench/harness, bench/results, bench/compare, bench/cli) was included from code that links only versus_core; scenarios and runners may include bench/api, bench/poller and bench/sys"
#endif
