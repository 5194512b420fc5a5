// Preloaded by `make sanitize` under ThreadSanitizer only (LD_PRELOAD).
//
// Synchronization.Mutex on Linux (Swift 6.3) takes an uncontended lock with an atomic
// compare-exchange inlined into the caller, which TSan instruments and sees. A contended lock is
// handed over in libswiftSynchronization.so (`_lockSlow`: a spin, then a priority-inheritance
// futex; `_unlockSlow`: FUTEX_UNLOCK_PI), which is not instrumented: TSan sees neither that
// release nor that acquire, and reports the data a Mutex guards as racing whenever two threads
// contend for it (a false positive in the runtime, not a race; it cannot be suppressed by name,
// as the frames it reports are ours).
//
// This library interposes the three slow paths (the test binary resolves them through the PLT)
// and tells TSan what they did: release on the lock word before unlocking, acquire after
// locking. The fast paths already synchronize on the same word. The mangled names and the
// Swift calling convention (self in the swiftself register, clang's swift_context) are those
// of libswiftSynchronization.so; if a toolchain renames them, dlsym fails and the run aborts
// here, saying so, rather than reporting false races.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// Weak: a process without TSan (python3, the compiler) that inherits LD_PRELOAD still loads this.
__attribute__((weak)) void __tsan_acquire(void *address);
__attribute__((weak)) void __tsan_release(void *address);

#define SWIFTCALL __attribute__((swiftcall))
#define SELF __attribute__((swift_context))
#define LOCK_SLOW "$s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF"
#define TRY_LOCK_SLOW "$s15Synchronization12_MutexHandleV12_tryLockSlowSbyF"
#define UNLOCK_SLOW "$s15Synchronization12_MutexHandleV11_unlockSlowyyF"

typedef SWIFTCALL void (*LockSlow)(uint32_t selfID, void *SELF handle);
typedef SWIFTCALL bool (*TryLockSlow)(void *SELF handle);
typedef SWIFTCALL void (*UnlockSlow)(void *SELF handle);

static void *next(const char *name) {
    void *function = dlsym(RTLD_NEXT, name);
    if (!function) {
        fprintf(stderr, "tsan-mutex.c: %s not found in libswiftSynchronization (%s)\n", name, dlerror());
        abort();
    }
    return function;
}

SWIFTCALL void lockSlow(uint32_t selfID, void *SELF handle) __asm__(LOCK_SLOW);
SWIFTCALL void lockSlow(uint32_t selfID, void *SELF handle) {
    static LockSlow real;
    if (!real) real = (LockSlow)next(LOCK_SLOW);
    real(selfID, handle);
    if (__tsan_acquire) __tsan_acquire(handle);
}

SWIFTCALL bool tryLockSlow(void *SELF handle) __asm__(TRY_LOCK_SLOW);
SWIFTCALL bool tryLockSlow(void *SELF handle) {
    static TryLockSlow real;
    if (!real) real = (TryLockSlow)next(TRY_LOCK_SLOW);
    bool locked = real(handle);
    if (locked && __tsan_acquire) __tsan_acquire(handle);
    return locked;
}

SWIFTCALL void unlockSlow(void *SELF handle) __asm__(UNLOCK_SLOW);
SWIFTCALL void unlockSlow(void *SELF handle) {
    static UnlockSlow real;
    if (!real) real = (UnlockSlow)next(UNLOCK_SLOW);
    if (__tsan_release) __tsan_release(handle);
    real(handle);
}
