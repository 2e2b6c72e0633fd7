// Stands for a scenario or a runner (it links versus_core alone) that reaches into the harness.
// Built only by the layers.fence test, which passes when this fails to compile with the
// layer's message (bench/harness/layer.h).
#include "bench/api/scenario.h"
#include "bench/harness/engine.h"
