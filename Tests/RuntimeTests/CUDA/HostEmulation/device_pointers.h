// Device addresses of the fake driver (driver_host.cpp): host memory with bit 62 set, an
// address no host access can use, so a host pointer handed to a kernel, or a device address
// read on the host, fails loudly instead of passing for the real thing. Kernels untag
// addresses they read from device memory (page tables) through DEVICE_POINTER.
#pragma once
#include <stdint.h>

static const uint64_t deviceTag = 1ull << 62;

template <class T>
static inline T* untagged(T* p) {
    return (T*)((uint64_t)p & ~deviceTag);
}

#define DEVICE_POINTER(p) untagged(p)
