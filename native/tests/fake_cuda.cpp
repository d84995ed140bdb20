// A fake CUDA driver (libcuda.so.1) for tests on machines without a GPU: "device" memory is host
// memory in its own address range, and kernel launches run the kernel bodies of native/*.cu
// (compiled here for the host) over the index space the launch geometry covers. It implements only
// what jrnn calls through JCuda, and checks what a real driver would reject or what would crash
// there: a context must be current, streams must be live, every pointer a kernel or copy touches
// must lie inside a live allocation, frees must match allocations and leave their guard bytes
// intact, and a module must contain the kernel names looked up in it.
//
// Asynchronous, as a GPU: every stream operation (async copies, memsets, launches, event records
// and waits) is queued on its stream and runs only when something waits for it: cuStreamSynchronize,
// cuCtxSynchronize, cuEventSynchronize, a cuStreamWaitEvent whose stream runs, the synchronous
// copies, cuMemFree / cuMemFreeHost / cuModuleUnload (which synchronise the device), and the fake
// cuBLAS and cuDNN (jrnn_fake_stream_drain: they compute at the call, after their stream's queue).
// So an async copy from pinned memory reads its source when it runs, not when it was queued: host
// code that refills a pinned staging buffer without waiting for the copy's event sends the new
// bytes twice. An async copy into pinned memory scribbles over its destination when queued (NaN
// bytes), so host code that reads it before waiting reads garbage. Events carry a fake clock that
// every operation advances, so cuEventElapsedTime measures the work between two records. Errors
// found while running queued work are returned by the next synchronising call, as on a GPU.
//
// Used by the Maven profile cuda-kernels (surefire execution fake-device): LD_LIBRARY_PATH points
// at target/native-build/fakes, so JCuda's native library binds to this file.
#include "fake_cuda.h"

#include "../adam.cu"
#include "../dropout.cu"
#include "../elementwise.cu"
#include "../rnn.cu"
#include "../softmax.cu"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <sys/mman.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef void* CUcontext;
typedef void* CUstream;
typedef void* CUevent;
typedef void* CUmodule;
typedef void* CUfunction;

enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_FAILED = 719,
};

namespace {

const size_t kGuard = 256;            // bytes after each allocation that must stay untouched
const unsigned char kGuardByte = 0xA5;
const size_t kTotal = 16ULL << 30;    // the device's size unless a test sets another
size_t deviceBytes = kTotal;           // what cuMemGetInfo reports and cuMemAlloc allows (guarded by mu)

struct Context {
    int retains = 0;
} primary;

thread_local Context* current = nullptr;

std::mutex mu;
std::map<uintptr_t, size_t> allocations;   // device "address" -> bytes
std::set<void*> streams;
std::map<uintptr_t, size_t> hostAllocations;   // pinned host memory (cuMemAllocHost) -> bytes
size_t allocated = 0;

// Device memory lives in its own address range, far from malloc's and the JVM's, so that a host
// pointer can never pass for a device one: [kDeviceBase, deviceNext), each allocation its own
// mapping, never reused (a use after free faults).
const uintptr_t kDeviceBase = 0x6d0000000000ULL;
uintptr_t deviceNext = kDeviceBase;

// ---- stream queues (guarded by qmu; never take qmu while holding mu) ----
struct Queue {
    std::deque<std::function<CUresult()>> ops;
    unsigned long long queued = 0, done = 0;   // operations ever queued / run
    bool blocking = true;                      // orders with the legacy default stream
};
struct Event {
    Queue* stream = nullptr;           // where it was last recorded
    unsigned long long at = 0;         // that stream's operation count up to and with the record
    unsigned long long generation = 0;
    bool complete = false;
    double timeMs = 0;                 // the fake clock when the record ran
    unsigned flags = 0;
};
std::recursive_mutex qmu;
Queue legacy;                                  // the NULL stream
std::map<const void*, Queue*> queues;          // stream handle -> queue
std::set<Event*> events;
double clockMs = 0;                            // advanced by every operation that runs
CUresult pendingError = CUDA_SUCCESS;          // from queued work, for the next synchronising call

Queue* queueOf(const void* s) {
    if (s == nullptr) return &legacy;
    auto it = queues.find(s);
    return it == queues.end() ? nullptr : it->second;
}

void runOne(Queue* q) {
    std::function<CUresult()> op = std::move(q->ops.front());
    q->ops.pop_front();
    q->done++;
    CUresult r = op();
    if (r != CUDA_SUCCESS && pendingError == CUDA_SUCCESS) pendingError = r;
}

void drainTo(Queue* q, unsigned long long upto) {
    while (q->done < upto && !q->ops.empty()) runOne(q);
}

void drain(Queue* q) {
    drainTo(q, q->queued);
}

void drainAll() {
    std::lock_guard<std::recursive_mutex> lock(qmu);
    drain(&legacy);
    for (auto& kv : queues) drain(kv.second);
}

CUresult takeError() {
    std::lock_guard<std::recursive_mutex> lock(qmu);
    CUresult r = pendingError;
    pendingError = CUDA_SUCCESS;
    return r;
}

void push(Queue* q, std::function<CUresult()> op) {
    q->ops.push_back(std::move(op));
    q->queued++;
}

// Queues op on stream s, which the caller checked is live. NB: the legacy default stream waits
// for all work queued before on blocking streams, and work on them waits for it.
void enqueue(const void* s, double costMs, std::function<CUresult()> op) {
    std::lock_guard<std::recursive_mutex> lock(qmu);
    Queue* q = queueOf(s);
    if (q == &legacy) {
        std::vector<std::pair<Queue*, unsigned long long>> before;
        for (auto& kv : queues) if (kv.second->blocking) before.push_back({kv.second, kv.second->queued});
        push(q, [before]() {
            for (auto& b : before) drainTo(b.first, b.second);
            return CUDA_SUCCESS;
        });
    } else if (q->blocking && legacy.queued > legacy.done) {
        unsigned long long upto = legacy.queued;
        push(q, [upto]() {
            drainTo(&legacy, upto);
            return CUDA_SUCCESS;
        });
    }
    push(q, [costMs, op]() {
        clockMs += costMs;
        return op();
    });
}

struct Module {
    std::vector<unsigned char> image;
};
struct Function {
    std::string name;
};
std::set<Module*> modules;

bool contextOk() {
    return current == &primary && primary.retains > 0;
}

}  // namespace

extern "C" int jrnn_fake_check(const void* p, size_t bytes, const char* what) {
    std::lock_guard<std::mutex> lock(mu);
    uintptr_t a = (uintptr_t)p;
    auto it = allocations.upper_bound(a);
    if (it != allocations.begin()) {
        --it;
        if (a >= it->first && a + bytes <= it->first + it->second) return 0;
    }
    std::fprintf(stderr, "fake CUDA: %s: [%p, +%zu bytes) is not inside a live device allocation\n", what, p, bytes);
    return 1;
}

extern "C" int jrnn_fake_stream_valid(const void* s) {
    std::lock_guard<std::mutex> lock(mu);
    return s == nullptr || streams.count((void*)s) > 0;
}

extern "C" int jrnn_fake_is_device(const void* p) {
    std::lock_guard<std::mutex> lock(mu);
    uintptr_t a = (uintptr_t)p;
    return a >= kDeviceBase && a < deviceNext;
}

extern "C" void jrnn_fake_stream_drain(const void* s) {
    std::lock_guard<std::recursive_mutex> lock(qmu);
    Queue* q = queueOf(s);
    if (q == nullptr) return;
    if (q == &legacy) {
        drainAll();
    } else {
        if (q->blocking) drain(&legacy);
        drain(q);
    }
}

extern "C" int jrnn_fake_context_current(void) {
    return contextOk() ? 1 : 0;
}

// For tests: the device's size in bytes (0: the default 16 GiB), so running out of memory can be tested.
extern "C" void jrnn_fake_cuda_set_memory(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu);
    deviceBytes = bytes == 0 ? kTotal : bytes;
}

#define NEED_CONTEXT() \
    do { \
        if (!contextOk()) { \
            std::fprintf(stderr, "fake CUDA: %s without a current context\n", __func__); \
            return CUDA_ERROR_INVALID_CONTEXT; \
        } \
    } while (0)

#define NEED_STREAM(s) \
    do { \
        if (!jrnn_fake_stream_valid(s)) { \
            std::fprintf(stderr, "fake CUDA: %s on a stream that is not live\n", __func__); \
            return CUDA_ERROR_INVALID_HANDLE; \
        } \
    } while (0)

#define NEED_DEVICE(p, bytes, what) \
    do { \
        if (jrnn_fake_check((const void*)(uintptr_t)(p), (bytes), (what)) != 0) return CUDA_ERROR_ILLEGAL_ADDRESS; \
    } while (0)

extern "C" {

CUresult cuInit(unsigned int flags) {
    return flags == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuDriverGetVersion(int* v) {
    *v = 13000;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int* n) {
    *n = 1;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice* d, int ordinal) {
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::snprintf(name, (size_t)len, "jrnn fake CUDA device (host memory)");
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::lock_guard<std::mutex> lock(mu);
    *bytes = deviceBytes;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int* v, int attribute, CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    *v = attribute == 75 ? 9 : 0;   // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75, MINOR = 76
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext* c, CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::lock_guard<std::mutex> lock(mu);
    primary.retains++;
    *c = &primary;
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::lock_guard<std::mutex> lock(mu);
    if (primary.retains == 0) return CUDA_ERROR_INVALID_CONTEXT;
    primary.retains--;
    return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext c) {
    if (c != nullptr && c != &primary) return CUDA_ERROR_INVALID_CONTEXT;
    current = (Context*)c;
    return CUDA_SUCCESS;
}

CUresult cuCtxGetCurrent(CUcontext* c) {
    *c = current;
    return CUDA_SUCCESS;
}

CUresult cuCtxGetDevice(CUdevice* d) {
    NEED_CONTEXT();
    *d = 0;
    return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize(void) {
    NEED_CONTEXT();
    drainAll();
    return takeError();
}

CUresult cuStreamCreate(CUstream* s, unsigned int flags) {
    NEED_CONTEXT();
    if (flags > 1) return CUDA_ERROR_INVALID_VALUE;   // CU_STREAM_DEFAULT, CU_STREAM_NON_BLOCKING
    Queue* q = new Queue();
    q->blocking = flags == 0;
    {
        std::lock_guard<std::mutex> lock(mu);
        *s = std::malloc(1);
        streams.insert(*s);
    }
    std::lock_guard<std::recursive_mutex> lock(qmu);
    queues[*s] = q;
    return CUDA_SUCCESS;
}

CUresult cuStreamDestroy_v2(CUstream s) {
    NEED_CONTEXT();
    if (s == nullptr || !jrnn_fake_stream_valid(s)) return CUDA_ERROR_INVALID_HANDLE;
    {
        // NB: as on a GPU, work queued before the destroy still runs
        std::lock_guard<std::recursive_mutex> lock(qmu);
        jrnn_fake_stream_drain(s);
        delete queues[s];
        queues.erase(s);
    }
    std::lock_guard<std::mutex> lock(mu);
    streams.erase(s);
    std::free(s);
    return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream s) {
    NEED_CONTEXT();
    NEED_STREAM(s);
    jrnn_fake_stream_drain(s);
    return takeError();
}

CUresult cuEventCreate(CUevent* e, unsigned int flags) {
    NEED_CONTEXT();
    if (flags & ~3u) return CUDA_ERROR_INVALID_VALUE;   // CU_EVENT_BLOCKING_SYNC 1, CU_EVENT_DISABLE_TIMING 2
    std::lock_guard<std::recursive_mutex> lock(qmu);
    Event* ev = new Event();
    ev->flags = flags;
    events.insert(ev);
    *e = ev;
    return CUDA_SUCCESS;
}

CUresult cuEventRecord(CUevent e, CUstream s) {
    NEED_CONTEXT();
    NEED_STREAM(s);
    std::lock_guard<std::recursive_mutex> lock(qmu);
    Event* ev = (Event*)e;
    if (events.count(ev) == 0) return CUDA_ERROR_INVALID_HANDLE;
    unsigned long long generation = ++ev->generation;
    ev->complete = false;
    ev->stream = queueOf(s);
    enqueue(s, 0.0, [ev, generation]() {
        if (events.count(ev) && ev->generation == generation) {
            ev->complete = true;
            ev->timeMs = clockMs;
        }
        return CUDA_SUCCESS;
    });
    ev->at = ev->stream->queued;
    return CUDA_SUCCESS;
}

CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned int flags) {
    NEED_CONTEXT();
    NEED_STREAM(s);
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::recursive_mutex> lock(qmu);
    Event* ev = (Event*)e;
    if (events.count(ev) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if (ev->stream == nullptr) return CUDA_SUCCESS;   // never recorded: nothing to wait for
    Queue* other = ev->stream;
    unsigned long long at = ev->at;
    // the wait runs (in s's order) the recording stream's work up to the record
    enqueue(s, 0.0, [other, at]() {
        drainTo(other, at);
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

CUresult cuEventSynchronize(CUevent e) {
    NEED_CONTEXT();
    {
        std::lock_guard<std::recursive_mutex> lock(qmu);
        Event* ev = (Event*)e;
        if (events.count(ev) == 0) return CUDA_ERROR_INVALID_HANDLE;
        if (ev->stream != nullptr) {
            if (ev->stream->blocking) drain(&legacy);
            drainTo(ev->stream, ev->at);
        }
    }
    return takeError();
}

CUresult cuEventQuery(CUevent e) {
    NEED_CONTEXT();
    std::lock_guard<std::recursive_mutex> lock(qmu);
    Event* ev = (Event*)e;
    if (events.count(ev) == 0) return CUDA_ERROR_INVALID_HANDLE;
    return ev->stream == nullptr || ev->complete ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

CUresult cuEventElapsedTime(float* ms, CUevent a, CUevent b) {
    NEED_CONTEXT();
    std::lock_guard<std::recursive_mutex> lock(qmu);
    Event *ea = (Event*)a, *eb = (Event*)b;
    if (events.count(ea) == 0 || events.count(eb) == 0) return CUDA_ERROR_INVALID_HANDLE;
    if ((ea->flags | eb->flags) & 2) return CUDA_ERROR_INVALID_HANDLE;   // CU_EVENT_DISABLE_TIMING
    if (!ea->complete || !eb->complete) return CUDA_ERROR_NOT_READY;
    *ms = (float)(eb->timeMs - ea->timeMs);
    return CUDA_SUCCESS;
}

CUresult cuEventDestroy_v2(CUevent e) {
    NEED_CONTEXT();
    std::lock_guard<std::recursive_mutex> lock(qmu);
    Event* ev = (Event*)e;
    if (events.erase(ev) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete ev;   // NB: a record still queued finds it gone (events) and does nothing
    return CUDA_SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
    NEED_CONTEXT();
    if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> lock(mu);
    if (allocated + bytes > deviceBytes) return CUDA_ERROR_OUT_OF_MEMORY;
    size_t total = (bytes + kGuard + 255) / 256 * 256;
    size_t mapped = (total + 4095) / 4096 * 4096;
    // NB: at the next free address of the device range, a page left unmapped after each mapping
    void* want = (void*)deviceNext;
    unsigned char* m = (unsigned char*)mmap(want, mapped, PROT_READ | PROT_WRITE,
                                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
    if (m != want) {
        munmap(m, mapped);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    deviceNext += mapped + 4096;
    std::memset(m, 0xCD, bytes);                   // garbage, as fresh device memory
    std::memset(m + bytes, kGuardByte, total - bytes);
    allocations[(uintptr_t)m] = bytes;
    allocated += bytes;
    *p = (CUdeviceptr)(uintptr_t)m;
    return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr p) {
    NEED_CONTEXT();
    drainAll();   // NB: cuMemFree synchronises the device
    std::lock_guard<std::mutex> lock(mu);
    auto it = allocations.find((uintptr_t)p);
    if (it == allocations.end()) {
        std::fprintf(stderr, "fake CUDA: cuMemFree of %llx, which cuMemAlloc did not return\n", p);
        return CUDA_ERROR_INVALID_VALUE;
    }
    unsigned char* m = (unsigned char*)(uintptr_t)p;
    size_t bytes = it->second, total = (bytes + kGuard + 255) / 256 * 256;
    for (size_t i = bytes; i < total; i++) {
        if (m[i] != kGuardByte) {
            std::fprintf(stderr, "fake CUDA: a write past the end of the %zu-byte allocation at %llx\n", bytes, p);
            return CUDA_ERROR_ILLEGAL_ADDRESS;
        }
    }
    allocated -= bytes;
    allocations.erase(it);
    munmap(m, (total + 4095) / 4096 * 4096);
    return CUDA_SUCCESS;
}

CUresult cuMemGetInfo_v2(size_t* freeBytes, size_t* total) {
    NEED_CONTEXT();
    std::lock_guard<std::mutex> lock(mu);
    *freeBytes = allocated < deviceBytes ? deviceBytes - allocated : 0;
    *total = deviceBytes;
    return CUDA_SUCCESS;
}

CUresult cuMemAllocHost_v2(void** p, size_t bytes) {
    NEED_CONTEXT();
    std::lock_guard<std::mutex> lock(mu);
    *p = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
    if (*p == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
    hostAllocations[(uintptr_t)*p] = bytes;
    return CUDA_SUCCESS;
}

CUresult cuMemFreeHost(void* p) {
    NEED_CONTEXT();
    drainAll();   // NB: cuMemFreeHost synchronises the device
    std::lock_guard<std::mutex> lock(mu);
    if (hostAllocations.erase((uintptr_t)p) == 0) return CUDA_ERROR_INVALID_VALUE;
    std::free(p);
    return CUDA_SUCCESS;
}

}  // extern "C"

namespace {

// Whether [p, p + bytes) lies inside one block of pinned host memory (cuMemAllocHost).
bool pinned(const void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu);
    uintptr_t a = (uintptr_t)p;
    auto it = hostAllocations.upper_bound(a);
    if (it == hostAllocations.begin()) return false;
    --it;
    return a >= it->first && a + bytes <= it->first + it->second;
}

// A host pointer where the driver needs one: not in the device range.
#define NEED_HOST(p, what) \
    do { \
        if (jrnn_fake_is_device(p)) { \
            std::fprintf(stderr, "fake CUDA: %s: %p is device memory, a host pointer is required\n", (what), (const void*)(p)); \
            return CUDA_ERROR_INVALID_VALUE; \
        } \
    } while (0)

double copyCost(size_t bytes) {
    return 0.002 + (double)bytes / 1e7;   // ms: a launch overhead and 10 GB/s
}

}  // namespace

extern "C" {

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t bytes) {
    NEED_CONTEXT();
    NEED_DEVICE(dst, bytes, "cuMemcpyHtoD destination");
    NEED_HOST(src, "cuMemcpyHtoD source");
    // NB: synchronous, on the legacy default stream: after all work queued before it
    enqueue(nullptr, copyCost(bytes), [dst, src, bytes]() {
        std::memcpy((void*)(uintptr_t)dst, src, bytes);
        return CUDA_SUCCESS;
    });
    jrnn_fake_stream_drain(nullptr);
    return takeError();
}

CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) {
    NEED_CONTEXT();
    NEED_DEVICE(src, bytes, "cuMemcpyDtoH source");
    NEED_HOST(dst, "cuMemcpyDtoH destination");
    enqueue(nullptr, copyCost(bytes), [dst, src, bytes]() {
        std::memcpy(dst, (const void*)(uintptr_t)src, bytes);
        return CUDA_SUCCESS;
    });
    jrnn_fake_stream_drain(nullptr);
    return takeError();
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, CUstream s) {
    NEED_CONTEXT();
    NEED_STREAM(s);
    NEED_DEVICE(dst, bytes, "cuMemcpyHtoDAsync destination");
    NEED_HOST(src, "cuMemcpyHtoDAsync source");
    if (!pinned(src, bytes)) {
        // NB: from pageable memory the driver stages the bytes before it returns: a snapshot now
        std::shared_ptr<std::vector<unsigned char>> copy =
            std::make_shared<std::vector<unsigned char>>((const unsigned char*)src, (const unsigned char*)src + bytes);
        enqueue(s, copyCost(bytes), [dst, copy]() {
            std::memcpy((void*)(uintptr_t)dst, copy->data(), copy->size());
            return CUDA_SUCCESS;
        });
        return CUDA_SUCCESS;
    }
    // from pinned memory the copy reads the source when it runs: refilling it before then races
    enqueue(s, copyCost(bytes), [dst, src, bytes]() {
        if (jrnn_fake_check((const void*)(uintptr_t)dst, bytes, "cuMemcpyHtoDAsync destination (when it ran)") != 0) {
            return (CUresult)CUDA_ERROR_ILLEGAL_ADDRESS;
        }
        std::memcpy((void*)(uintptr_t)dst, src, bytes);
        return (CUresult)CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, CUstream s) {
    NEED_CONTEXT();
    NEED_STREAM(s);
    NEED_DEVICE(src, bytes, "cuMemcpyDtoHAsync source");
    NEED_HOST(dst, "cuMemcpyDtoHAsync destination");
    if (!pinned(dst, bytes)) {
        // NB: into pageable memory the driver returns once the copy is done
        enqueue(s, copyCost(bytes), [dst, src, bytes]() {
            std::memcpy(dst, (const void*)(uintptr_t)src, bytes);
            return CUDA_SUCCESS;
        });
        jrnn_fake_stream_drain(s);
        return takeError();
    }
    // into pinned memory: garbage (NaN bytes) until the copy has run, as a read too early would see
    std::memset(dst, 0xFF, bytes);
    enqueue(s, copyCost(bytes), [dst, src, bytes]() {
        if (jrnn_fake_check((const void*)(uintptr_t)src, bytes, "cuMemcpyDtoHAsync source (when it ran)") != 0) {
            return (CUresult)CUDA_ERROR_ILLEGAL_ADDRESS;
        }
        std::memcpy(dst, (const void*)(uintptr_t)src, bytes);
        return (CUresult)CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream s) {
    NEED_CONTEXT();
    NEED_STREAM(s);
    NEED_DEVICE(dst, bytes, "cuMemcpyDtoDAsync destination");
    NEED_DEVICE(src, bytes, "cuMemcpyDtoDAsync source");
    enqueue(s, copyCost(bytes), [dst, src, bytes]() {
        std::memmove((void*)(uintptr_t)dst, (const void*)(uintptr_t)src, bytes);
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t n, CUstream s) {
    NEED_CONTEXT();
    NEED_STREAM(s);
    NEED_DEVICE(dst, 4 * n, "cuMemsetD32Async destination");
    enqueue(s, copyCost(4 * n), [dst, value, n]() {
        uint32_t* d = (uint32_t*)(uintptr_t)dst;
        for (size_t i = 0; i < n; i++) d[i] = value;
        return CUDA_SUCCESS;
    });
    return CUDA_SUCCESS;
}

CUresult cuModuleLoadData(CUmodule* m, const void* image) {
    NEED_CONTEXT();
    const unsigned char* b = (const unsigned char*)image;
    size_t size;
    uint32_t magic;
    std::memcpy(&magic, b, 4);
    if (magic == 0xBA55ED50u) {   // fatbin: magic, version (2), header size (2), payload size (8)
        uint16_t header;
        uint64_t payload;
        std::memcpy(&header, b + 6, 2);
        std::memcpy(&payload, b + 8, 8);
        size = header + payload;
    } else if (std::strstr((const char*)b, ".version") != nullptr) {   // PTX text, NUL-terminated
        size = std::strlen((const char*)b);
    } else {
        return CUDA_ERROR_INVALID_IMAGE;
    }
    Module* mod = new Module();
    mod->image.assign(b, b + size);
    std::lock_guard<std::mutex> lock(mu);
    modules.insert(mod);
    *m = mod;
    return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule m) {
    NEED_CONTEXT();
    drainAll();   // NB: its kernels may still be queued
    std::lock_guard<std::mutex> lock(mu);
    if (modules.erase((Module*)m) == 0) return CUDA_ERROR_INVALID_HANDLE;
    delete (Module*)m;
    return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction* f, CUmodule m, const char* name) {
    NEED_CONTEXT();
    Module* mod = (Module*)m;
    {
        std::lock_guard<std::mutex> lock(mu);
        if (modules.count(mod) == 0) return CUDA_ERROR_INVALID_HANDLE;
    }
    // the name must be in the image: as ".entry name(" in PTX, as a NUL-terminated symbol in a fatbin
    std::string needle = std::string(name);
    const std::vector<unsigned char>& img = mod->image;
    bool found = false;
    for (size_t i = 0; !found && i + needle.size() < img.size(); i++) {
        if (std::memcmp(img.data() + i, needle.data(), needle.size()) == 0) {
            unsigned char after = img[i + needle.size()];
            found = after == '(' || after == 0;
        }
    }
    if (!found) return CUDA_ERROR_NOT_FOUND;
    Function* fn = new Function();   // NB: leaked on purpose: a real driver frees them with the module
    fn->name = name;
    *f = fn;
    return CUDA_SUCCESS;
}

}  // extern "C"

namespace {

template <typename T>
T arg(void** params, int i) {
    T v;
    std::memcpy(&v, params[i], sizeof(T));
    return v;
}

// The index space a JRNN_FOR_EACH grid-stride loop covers under this launch geometry, visited as
// the threads would: block b, thread t takes b * block + t, then steps by grid * block.
template <typename F>
void gridStride(unsigned grid, unsigned block, long long n, F f) {
    long long stride = (long long)grid * block;
    for (long long b = 0; b < grid; b++) {
        for (long long t = 0; t < block; t++) {
            for (long long i = b * block + t; i < n; i += stride) f(i);
        }
    }
}

// Byte sizes of each kernel's parameters, as declared in native/*.cu (KernelParamsTest checks the
// Java launchers against the PTX): a launch copies this many bytes of each argument when queued.
const std::map<std::string, std::vector<int>>& paramSizes() {
    static const std::map<std::string, std::vector<int>> sizes = {
        {"jrnn_segments", {4, 8, 8, 8}},
        {"jrnn_fill", {4, 8, 4}},
        {"jrnn_bias_activation", {4, 4, 8, 8, 4}},
        {"jrnn_activation_backward", {4, 4, 8, 8}},
        {"jrnn_bias_gradient", {4, 4, 8, 8}},
        {"jrnn_last_step", {4, 4, 4, 8, 8}},
        {"jrnn_gather_rows", {4, 4, 4, 8, 8, 8}},
        {"jrnn_scatter_rows", {4, 4, 4, 8, 8, 8}},
        {"jrnn_last_step_backward", {4, 4, 4, 8, 8}},
        {"jrnn_swap_major", {4, 4, 4, 8, 8}},
        {"jrnn_lstm_step", {4, 4, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8}},
        {"jrnn_gru_step", {4, 4, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8}},
        {"jrnn_lstm_step_backward", {4, 4, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8}},
        {"jrnn_gru_step_backward", {4, 4, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8}},
        {"jrnn_copy", {4, 8, 8}},
        {"jrnn_dropout", {4, 8, 8, 8, 8, 4, 4, 8}},
        {"jrnn_softmax_rows", {4, 4, 8, 8}},
        {"jrnn_softmax_xent", {4, 4, 8, 8, 4, 8, 8}},
        {"jrnn_adam", {4, 8, 8, 8, 8, 4, 4, 4, 4, 4, 4}},
    };
    return sizes;
}

#define DEV(p, bytes, what) \
    do { \
        if ((p) != 0 && jrnn_fake_check((const void*)(p), (bytes), (what)) != 0) return CUDA_ERROR_ILLEGAL_ADDRESS; \
    } while (0)

CUresult launch(const std::string& k, unsigned grid, unsigned gridY, unsigned block, void** a) {
    if (grid == 0 || gridY == 0 || block == 0 || block > 1024) return CUDA_ERROR_INVALID_VALUE;
    // NB: only jrnn_segments spreads over a second grid dimension (one row of its table each)
    if (gridY != 1 && k != "jrnn_segments") return CUDA_ERROR_INVALID_VALUE;
    if (k == "jrnn_segments") {
        int count = arg<int>(a, 0);
        const int* table = arg<const int*>(a, 1);
        const float* src = arg<const float*>(a, 2);
        float* dst = arg<float*>(a, 3);
        DEV(table, 16L * count, "jrnn_segments table");
        for (int s = 0; s < count && s < (int)gridY; s++) {
            const int* seg = table + 4L * s;
            if (seg[2] < 0 || seg[3] < 0 || seg[3] > 2) return CUDA_ERROR_INVALID_VALUE;
            if (seg[3] != 2) DEV(src + seg[0], 4L * seg[2], "jrnn_segments src");
            DEV(dst + seg[1], 4L * seg[2], "jrnn_segments dst");
            gridStride(grid, block, seg[2], [&](long long i) { jrnn_segment_element(seg, i, src, dst); });
        }
    } else if (k == "jrnn_fill") {
        int n = arg<int>(a, 0);
        float* p = arg<float*>(a, 1);
        DEV(p, 4L * n, k.c_str());
        gridStride(grid, block, n, [&](long long i) { p[i] = arg<float>(a, 2); });
    } else if (k == "jrnn_bias_activation") {
        int rows = arg<int>(a, 0), cols = arg<int>(a, 1), act = arg<int>(a, 4);
        float* y = arg<float*>(a, 2);
        const float* bias = arg<const float*>(a, 3);
        DEV(y, 4L * rows * cols, "jrnn_bias_activation y");
        DEV(bias, 4L * cols, "jrnn_bias_activation bias");
        gridStride(grid, block, (long long)rows * cols, [&](long long i) { jrnn_bias_activation_element(i, cols, y, bias, act); });
    } else if (k == "jrnn_activation_backward") {
        int n = arg<int>(a, 0), act = arg<int>(a, 1);
        const float* y = arg<const float*>(a, 2);
        float* dy = arg<float*>(a, 3);
        DEV(y, 4L * n, "jrnn_activation_backward y");
        DEV(dy, 4L * n, "jrnn_activation_backward dy");
        gridStride(grid, block, n, [&](long long i) { jrnn_activation_backward_element(i, act, y, dy); });
    } else if (k == "jrnn_bias_gradient") {
        int rows = arg<int>(a, 0), cols = arg<int>(a, 1);
        const float* dy = arg<const float*>(a, 2);
        float* db = arg<float*>(a, 3);
        DEV(dy, 4L * rows * cols, "jrnn_bias_gradient dy");
        DEV(db, 4L * cols, "jrnn_bias_gradient db");
        gridStride(grid, block, cols, [&](long long j) { jrnn_bias_gradient_column(j, rows, cols, dy, db); });
    } else if (k == "jrnn_last_step") {
        int batch = arg<int>(a, 0), steps = arg<int>(a, 1), width = arg<int>(a, 2);
        const float* seq = arg<const float*>(a, 3);
        float* out = arg<float*>(a, 4);
        DEV(seq, 4L * batch * steps * width, "jrnn_last_step seq");
        DEV(out, 4L * batch * width, "jrnn_last_step out");
        gridStride(grid, block, (long long)batch * width, [&](long long i) { jrnn_last_step_element(i, steps, width, seq, out); });
    } else if (k == "jrnn_lstm_step" || k == "jrnn_gru_step") {
        int batch = arg<int>(a, 0), H = arg<int>(a, 1), T = arg<int>(a, 2), t = arg<int>(a, 3), act = arg<int>(a, 4);
        int ldy = arg<int>(a, 5);
        bool lstm = k == "jrnn_lstm_step";
        long long G = lstm ? 4 : 3, n = (long long)batch * H;
        int at = 6;
        const float* xw = arg<const float*>(a, at++);
        const float* bias = arg<const float*>(a, at++);
        const float* rh = arg<const float*>(a, at++);
        const float* hPrev = arg<const float*>(a, at++);
        const float* cPrev = lstm ? arg<const float*>(a, at++) : nullptr;
        float* h = arg<float*>(a, at++);
        float* c = arg<float*>(a, at++);
        float* y = arg<float*>(a, at++);
        float* gates = arg<float*>(a, at++);
        const int* lengths = arg<const int*>(a, at++);
        if (t < 0 || t >= T || ldy < H) return CUDA_ERROR_INVALID_VALUE;
        DEV(xw, 4L * batch * T * G * H, "rnn step xw");
        DEV(bias, 4L * (lstm ? 1 : 2) * G * H, "rnn step bias");
        DEV(rh, 4L * batch * G * H, "rnn step rh");
        DEV(hPrev, 4L * n, "rnn step hPrev");
        if (lstm) DEV(cPrev, 4L * n, "rnn step cPrev");
        DEV(h, 4L * n, "rnn step h");
        DEV(c, 4L * n, "rnn step c/m");
        DEV(y, 4L * ((long long)batch * T * ldy - (ldy - H)), "rnn step y");
        DEV(gates, 4L * batch * G * H, "rnn step gates");
        if (lengths != nullptr) DEV(lengths, 4L * batch, "rnn step lengths");
        gridStride(grid, block, n, [&](long long e) {
            if (lstm) jrnn_lstm_step_element(e, H, T, t, act, ldy, xw, bias, rh, hPrev, cPrev, h, c, y, gates, lengths);
            else jrnn_gru_step_element(e, H, T, t, act, ldy, xw, bias, rh, hPrev, h, c, y, gates, lengths);
        });
    } else if (k == "jrnn_lstm_step_backward") {
        int batch = arg<int>(a, 0), H = arg<int>(a, 1), T = arg<int>(a, 2), t = arg<int>(a, 3), act = arg<int>(a, 4);
        int lddy = arg<int>(a, 5);
        long long n = (long long)batch * H;
        const float* gates = arg<const float*>(a, 6);
        const float* cPrev = arg<const float*>(a, 7);
        const float* c = arg<const float*>(a, 8);
        const float* dy = arg<const float*>(a, 9);
        float* dh = arg<float*>(a, 10);
        float* dc = arg<float*>(a, 11);
        float* dgin = arg<float*>(a, 12);
        float* dgrec = arg<float*>(a, 13);
        const int* lengths = arg<const int*>(a, 14);
        if (t < 0 || t >= T || lddy < H) return CUDA_ERROR_INVALID_VALUE;
        DEV(gates, 16L * n, "lstm backward gates");
        DEV(cPrev, 4L * n, "lstm backward cPrev");
        DEV(c, 4L * n, "lstm backward c");
        DEV(dy, 4L * ((long long)batch * T * lddy - (lddy - H)), "lstm backward dy");
        DEV(dh, 4L * n, "lstm backward dh");
        DEV(dc, 4L * n, "lstm backward dc");
        DEV(dgin, 16L * batch * T * H, "lstm backward dgin");
        DEV(dgrec, 16L * n, "lstm backward dgrec");
        if (lengths != nullptr) DEV(lengths, 4L * batch, "lstm backward lengths");
        gridStride(grid, block, n, [&](long long e) {
            jrnn_lstm_step_backward_element(e, H, T, t, act, lddy, gates, cPrev, c, dy, dh, dc, dgin, dgrec, lengths);
        });
    } else if (k == "jrnn_gru_step_backward") {
        int batch = arg<int>(a, 0), H = arg<int>(a, 1), T = arg<int>(a, 2), t = arg<int>(a, 3), act = arg<int>(a, 4);
        int lddy = arg<int>(a, 5);
        long long n = (long long)batch * H;
        const float* gates = arg<const float*>(a, 6);
        const float* hPrev = arg<const float*>(a, 7);
        const float* m = arg<const float*>(a, 8);
        const float* dy = arg<const float*>(a, 9);
        float* dh = arg<float*>(a, 10);
        float* dgin = arg<float*>(a, 11);
        float* dgrec = arg<float*>(a, 12);
        const int* lengths = arg<const int*>(a, 13);
        if (t < 0 || t >= T || lddy < H) return CUDA_ERROR_INVALID_VALUE;
        DEV(gates, 12L * n, "gru backward gates");
        DEV(hPrev, 4L * n, "gru backward hPrev");
        DEV(m, 4L * n, "gru backward m");
        DEV(dy, 4L * ((long long)batch * T * lddy - (lddy - H)), "gru backward dy");
        DEV(dh, 4L * n, "gru backward dh");
        DEV(dgin, 12L * batch * T * H, "gru backward dgin");
        DEV(dgrec, 12L * n, "gru backward dgrec");
        if (lengths != nullptr) DEV(lengths, 4L * batch, "gru backward lengths");
        gridStride(grid, block, n, [&](long long e) {
            jrnn_gru_step_backward_element(e, H, T, t, act, lddy, gates, hPrev, m, dy, dh, dgin, dgrec, lengths);
        });
    } else if (k == "jrnn_copy") {
        int n = arg<int>(a, 0);
        const float* src = arg<const float*>(a, 1);
        float* dst = arg<float*>(a, 2);
        DEV(src, 4L * n, "jrnn_copy src");
        DEV(dst, 4L * n, "jrnn_copy dst");
        gridStride(grid, block, n, [&](long long i) { jrnn_copy_element(i, src, dst); });
    } else if (k == "jrnn_swap_major") {
        int ra = arg<int>(a, 0), rb = arg<int>(a, 1), width = arg<int>(a, 2);
        const float* in = arg<const float*>(a, 3);
        float* out = arg<float*>(a, 4);
        long long n = (long long)ra * rb * width;
        DEV(in, 4L * n, "jrnn_swap_major in");
        DEV(out, 4L * n, "jrnn_swap_major out");
        if (n > 0 && (const char*)in < (const char*)(out + n) && (const char*)out < (const char*)(in + n)) {
            return CUDA_ERROR_INVALID_VALUE;   // NB: the kernel reads in while others write out: no overlap
        }
        gridStride(grid, block, n, [&](long long e) { jrnn_swap_major_element(e, ra, rb, width, in, out); });
    } else if (k == "jrnn_gather_rows") {
        int rows = arg<int>(a, 0), width = arg<int>(a, 1), n = arg<int>(a, 2);
        const float* src = arg<const float*>(a, 3);
        const float* index = arg<const float*>(a, 4);
        float* dst = arg<float*>(a, 5);
        DEV(src, 4L * n * width, "jrnn_gather_rows src");
        DEV(index, 4L * rows, "jrnn_gather_rows index");
        DEV(dst, 4L * rows * width, "jrnn_gather_rows dst");
        gridStride(grid, block, (long long)rows * width, [&](long long i) { jrnn_gather_rows_element(i, width, n, src, index, dst); });
    } else if (k == "jrnn_scatter_rows") {
        int rows = arg<int>(a, 0), width = arg<int>(a, 1), n = arg<int>(a, 2);
        const float* src = arg<const float*>(a, 3);
        const float* index = arg<const float*>(a, 4);
        float* dst = arg<float*>(a, 5);
        DEV(src, 4L * rows * width, "jrnn_scatter_rows src");
        DEV(index, 4L * rows, "jrnn_scatter_rows index");
        DEV(dst, 4L * n * width, "jrnn_scatter_rows dst");
        gridStride(grid, block, (long long)rows * width, [&](long long i) { jrnn_scatter_rows_element(i, width, n, src, index, dst); });
    } else if (k == "jrnn_last_step_backward") {
        int batch = arg<int>(a, 0), steps = arg<int>(a, 1), width = arg<int>(a, 2);
        const float* dOut = arg<const float*>(a, 3);
        float* dSeq = arg<float*>(a, 4);
        DEV(dOut, 4L * batch * width, "jrnn_last_step_backward dOut");
        DEV(dSeq, 4L * batch * steps * width, "jrnn_last_step_backward dSeq");
        gridStride(grid, block, (long long)batch * steps * width, [&](long long i) {
            jrnn_last_step_backward_element(i, steps, width, dOut, dSeq);
        });
    } else if (k == "jrnn_dropout") {
        int n = arg<int>(a, 0);
        const float* in = arg<const float*>(a, 1);
        float* out = arg<float*>(a, 2);
        DEV(in, 4L * n, "jrnn_dropout in");
        DEV(out, 4L * n, "jrnn_dropout out");
        uint64_t seed = arg<unsigned long long>(a, 3), step = arg<unsigned long long>(a, 4);
        uint32_t salt = arg<unsigned int>(a, 5);
        float rate = arg<float>(a, 6);
        double scale = arg<double>(a, 7);
        gridStride(grid, block, jrnn_dropout_blocks(n), [&](long long q) { jrnn_dropout_block(q, n, in, out, seed, step, salt, rate, scale); });
    } else if (k == "jrnn_softmax_rows") {
        int rows = arg<int>(a, 0), cols = arg<int>(a, 1);
        const float* logits = arg<const float*>(a, 2);
        float* probs = arg<float*>(a, 3);
        DEV(logits, 4L * rows * cols, "jrnn_softmax_rows logits");
        DEV(probs, 4L * rows * cols, "jrnn_softmax_rows probs");
        gridStride(grid, block, rows, [&](long long r) { jrnn_softmax_row(r, cols, logits, probs); });
    } else if (k == "jrnn_softmax_xent") {
        // the kernel reduces in shared arrays of JRNN_BLOCK entries: exactly one block of that size
        if (grid != 1 || block != JRNN_BLOCK) {
            std::fprintf(stderr, "fake CUDA: jrnn_softmax_xent launched with grid %u, block %u\n", grid, block);
            return CUDA_ERROR_INVALID_VALUE;
        }
        int batch = arg<int>(a, 0), classes = arg<int>(a, 1);
        const float* logits = arg<const float*>(a, 2);
        const float* labels = arg<const float*>(a, 3);
        float gradScale = arg<float>(a, 4);
        float* d = arg<float*>(a, 5);
        float* stats = arg<float*>(a, 6);
        DEV(logits, 4L * batch * classes, "jrnn_softmax_xent logits");
        DEV(labels, 4L * batch, "jrnn_softmax_xent labels");
        DEV(d, 4L * batch * classes, "jrnn_softmax_xent dLogits");
        DEV(stats, 8, "jrnn_softmax_xent stats");
        // the kernel's own block code, thread by thread and phase by phase (each __syncthreads a phase)
        std::vector<double> sLoss(block);
        std::vector<int> sCorrect(block);
        for (unsigned t = 0; t < block; t++) {
            jrnn_xent_thread((int)t, (int)block, batch, classes, logits, labels, gradScale, d, sLoss.data(), sCorrect.data());
        }
        for (unsigned s = block / 2; s > 0; s >>= 1) {
            for (unsigned t = 0; t < block; t++) jrnn_xent_reduce((int)t, s, sLoss.data(), sCorrect.data());
        }
        jrnn_xent_finish(sLoss.data(), sCorrect.data(), stats);
    } else if (k == "jrnn_adam") {
        int n = arg<int>(a, 0);
        float* p = arg<float*>(a, 1);
        const float* g = arg<const float*>(a, 2);
        float* m = arg<float*>(a, 3);
        float* v = arg<float*>(a, 4);
        DEV(p, 4L * n, "jrnn_adam p");
        DEV(g, 4L * n, "jrnn_adam g");
        DEV(m, 4L * n, "jrnn_adam m");
        DEV(v, 4L * n, "jrnn_adam v");
        gridStride(grid, block, n, [&](long long i) {
            jrnn_adam_element(i, p, g, m, v, arg<float>(a, 5), arg<float>(a, 6), arg<float>(a, 7), arg<float>(a, 8),
                              arg<float>(a, 9), arg<float>(a, 10));
        });
    } else {
        std::fprintf(stderr, "fake CUDA: no host version of kernel %s\n", k.c_str());
        return CUDA_ERROR_LAUNCH_FAILED;
    }
    return CUDA_SUCCESS;
}

}  // namespace

extern "C" CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                   unsigned bz, unsigned shmem, CUstream s, void** params, void** extra) {
    NEED_CONTEXT();
    NEED_STREAM(s);
    if (gz != 1 || by != 1 || bz != 1 || shmem != 0 || extra != nullptr || params == nullptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    const std::string& name = ((Function*)f)->name;
    auto sizes = paramSizes().find(name);
    if (sizes == paramSizes().end()) {
        std::fprintf(stderr, "fake CUDA: no host version of kernel %s\n", name.c_str());
        return CUDA_ERROR_LAUNCH_FAILED;
    }
    if (gx == 0 || gy == 0 || bx == 0 || bx > 1024) return CUDA_ERROR_INVALID_VALUE;
    // NB: only jrnn_segments spreads over a second grid dimension; jrnn_softmax_xent reduces in one block
    if ((gy != 1 && name != "jrnn_segments") || (name == "jrnn_softmax_xent" && (gx != 1 || bx != JRNN_BLOCK))) {
        std::fprintf(stderr, "fake CUDA: %s launched with grid (%u, %u), block %u\n", name.c_str(), gx, gy, bx);
        return CUDA_ERROR_INVALID_VALUE;
    }
    // the arguments are read when the launch is queued, as a driver does: copy them
    std::shared_ptr<std::vector<uint64_t>> values = std::make_shared<std::vector<uint64_t>>(sizes->second.size(), 0);
    for (size_t i = 0; i < sizes->second.size(); i++) std::memcpy(&(*values)[i], params[i], (size_t)sizes->second[i]);
    double cost = 0.005 + 1e-6 * (double)gx * gy * bx;   // ms: launch overhead and a little per thread
    enqueue(s, cost, [name, gx, gy, bx, values]() {
        std::vector<void*> a(values->size());
        for (size_t i = 0; i < a.size(); i++) a[i] = &(*values)[i];
        CUresult r = launch(name, gx, gy, bx, a.data());
        if (r != CUDA_SUCCESS) std::fprintf(stderr, "fake CUDA: kernel %s failed when it ran (error %d)\n", name.c_str(), r);
        return r;
    });
    return CUDA_SUCCESS;
}
