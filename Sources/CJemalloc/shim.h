#ifndef STRATA_CJEMALLOC_SHIM_H
#define STRATA_CJEMALLOC_SHIM_H
// Debian's libjemalloc-dev exports the unprefixed API: linking it makes jemalloc the
// process allocator, so its statistics (mallctl) see every Swift allocation.
#include <jemalloc/jemalloc.h>
#endif
