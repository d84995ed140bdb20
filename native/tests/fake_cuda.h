// Shared by the fake CUDA libraries of native/tests (see fake_cuda.cpp): the checks the fake
// driver exports for the fake cuBLAS and cuDNN.
#ifndef JRNN_FAKE_CUDA_H
#define JRNN_FAKE_CUDA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// 0 when [p, p + bytes) lies inside one live device allocation, else prints what was wrong
// (naming `what`) to stderr and returns nonzero.
int jrnn_fake_check(const void* p, size_t bytes, const char* what);
// 1 when s is NULL (the legacy default stream) or a live stream of the fake driver.
int jrnn_fake_stream_valid(const void* s);
// 1 when p lies in the fake device's address range (device memory, live or freed): where an API
// takes a host pointer, such a p is a mistake.
int jrnn_fake_is_device(const void* p);
// Runs the work queued on stream s (NULL: the legacy default stream) and what it waits for. The
// fake cuBLAS and cuDNN call it first and then compute at once, which keeps them in stream order.
void jrnn_fake_stream_drain(const void* s);
// 1 when the calling thread has the (primary) context current.
int jrnn_fake_context_current(void);
// The device's size in bytes for cuMemAlloc and cuMemGetInfo (0: the default 16 GiB); for tests.
void jrnn_fake_cuda_set_memory(size_t bytes);

#ifdef __cplusplus
}
#endif

#endif
