// Runs CUDA kernels on the host so the tests check their indexing and reductions without a
// GPU: grid blocks run one after another, and the threads of a block as fibers
// that switch at __syncthreads (a block barrier) and at warp shuffles (a warp barrier, with
// the values exchanged through memory). __shared__ variables become statics: one block runs
// at a time on a thread, so they are that block's. A barrier no thread can pass aborts (a deadlock on the
// device too). All of this state is per OS thread (fibers never leave the thread that runs the
// launch), so tests may launch kernels from several threads at once. Only what Strata's
// kernels use is provided.
#pragma once
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <ucontext.h>
#include <vector>

struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x = 1, unsigned y = 1, unsigned z = 1) : x(x), y(y), z(z) {}
};
struct uint3 { unsigned x, y, z; };

static thread_local uint3 threadIdx, blockIdx;
static thread_local dim3 blockDim, gridDim;

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static thread_local

static inline float __int_as_float(int bits) { float f; memcpy(&f, &bits, sizeof f); return f; }
static inline int __float_as_int(float f) { int bits; memcpy(&bits, &f, sizeof bits); return bits; }

namespace host {
enum State { runnable, atBlockBarrier, atWarpBarrier, done };

// A fiber is made once (makecontext) and then switched with _setjmp/_longjmp, which unlike
// swapcontext do not save the signal mask (a system call per switch); a finished fiber waits
// to run the body of the next block.
struct Fiber {
    jmp_buf context;
    ucontext_t start;
    std::vector<char> stack;
    State state;
    bool started;
};

static thread_local std::vector<Fiber> fibers;
static thread_local int current;
static thread_local jmp_buf scheduler;
static thread_local ucontext_t unused;
// The launch's kernel call (a lambda on the launching frame), without allocating.
static thread_local void (*bodyCall)(void*);
static thread_local void* bodyContext;
static thread_local float exchange[1024];
static const size_t stackBytes = 64 << 10;

static void yield(State state) {
    fibers[current].state = state;
    if (_setjmp(fibers[current].context) == 0) _longjmp(scheduler, 1);
}

static void entry() {
    for (;;) {
        bodyCall(bodyContext);
        yield(done);
    }
}

// Switches to fiber t until it yields.
static void resume(unsigned t) {
    current = (int)t;
    threadIdx = uint3{t % blockDim.x, (t / blockDim.x) % blockDim.y, t / (blockDim.x * blockDim.y)};
    if (_setjmp(scheduler) != 0) return;
    Fiber& f = fibers[t];
    if (f.started) _longjmp(f.context, 1);
    f.started = true;
    swapcontext(&unused, &f.start);
}

// Runs one block: every thread until all are done, releasing a barrier when every live
// thread it concerns waits at it.
static void runBlock(unsigned threads) {
    if (fibers.size() < threads) {
        const size_t first = fibers.size();
        fibers.resize(threads);
        for (size_t t = first; t < threads; t++) {
            Fiber& f = fibers[t];
            f.stack.resize(stackBytes);
            getcontext(&f.start);
            f.start.uc_stack.ss_sp = f.stack.data();
            f.start.uc_stack.ss_size = f.stack.size();
            f.start.uc_link = nullptr;
            makecontext(&f.start, entry, 0);
            f.started = false;
        }
    }
    for (unsigned t = 0; t < threads; t++) fibers[t].state = runnable;
    for (;;) {
        for (unsigned t = 0; t < threads; t++) {
            if (fibers[t].state == runnable) resume(t);
        }
        unsigned live = 0, atBlock = 0;
        for (unsigned t = 0; t < threads; t++) {
            if (fibers[t].state != done) live++;
            if (fibers[t].state == atBlockBarrier) atBlock++;
        }
        if (live == 0) return;
        bool released = false;
        if (atBlock == live) {
            for (unsigned t = 0; t < threads; t++) if (fibers[t].state == atBlockBarrier) fibers[t].state = runnable;
            released = true;
        }
        for (unsigned w = 0; w < threads; w += 32) {
            unsigned end = w + 32 < threads ? w + 32 : threads, waiting = 0, alive = 0;
            for (unsigned t = w; t < end; t++) {
                if (fibers[t].state != done) alive++;
                if (fibers[t].state == atWarpBarrier) waiting++;
            }
            if (alive > 0 && waiting == alive) {
                for (unsigned t = w; t < end; t++) if (fibers[t].state == atWarpBarrier) fibers[t].state = runnable;
                released = true;
            }
        }
        if (!released) {
            fprintf(stderr, "cuda_host: deadlock in block (%u, %u, %u): %u threads live, none can pass its barrier\n",
                    blockIdx.x, blockIdx.y, blockIdx.z, live);
            abort();
        }
    }
}
}  // namespace host

static inline void __syncthreads() { host::yield(host::atBlockBarrier); }

static inline float __shfl_xor_sync(unsigned, float value, int laneMask) {
    const int t = host::current;
    host::exchange[t] = value;
    host::yield(host::atWarpBarrier);  // every lane has written
    const float other = host::exchange[t ^ laneMask];
    host::yield(host::atWarpBarrier);  // every lane has read
    return other;
}

// Runs kernel<<<grid, block>>>(args...) to completion.
template <class Kernel, class... Args>
static void launch(dim3 grid, dim3 block, Kernel kernel, Args... args) {
    gridDim = grid;
    blockDim = block;
    auto call = [&] { kernel(args...); };
    host::bodyContext = &call;
    host::bodyCall = [](void* context) { (*static_cast<decltype(call)*>(context))(); };
    for (unsigned z = 0; z < grid.z; z++)
        for (unsigned y = 0; y < grid.y; y++)
            for (unsigned x = 0; x < grid.x; x++) {
                blockIdx = uint3{x, y, z};
                host::runBlock(block.x * block.y * block.z);
            }
}
