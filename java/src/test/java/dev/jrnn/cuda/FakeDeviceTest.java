package dev.jrnn.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The fake CUDA driver behaves as a GPU where a bug would show on one: stream work is queued and
 * runs only when something waits for it, events order streams and measure time, and pointers of
 * the wrong kind are refused. (If the fake ran every call at once, a missing wait in jrnn would
 * pass every fake-device test.) Fake-device only: on a GPU these timings are not deterministic.
 */
@Tag("gpu")
class FakeDeviceTest {
    private static final int N = 1024;
    private final CUcontext context = new CUcontext();
    private final CUstream s1 = new CUstream(), s2 = new CUstream();
    private final CUdeviceptr d1 = new CUdeviceptr(), d2 = new CUdeviceptr();
    private final Pointer pinned = new Pointer();
    private FloatBuffer host;

    private static void ok(int result, String call) {
        assertEquals(CUresult.CUDA_SUCCESS, result, call + ": " + CUresult.stringFor(result));
    }

    @BeforeEach
    void open() {
        GpuSupport.requireFakeDevice("the fake driver's own behaviour");
        CUdevice device = new CUdevice();
        ok(cuInit(0), "cuInit");
        ok(cuDeviceGet(device, 0), "cuDeviceGet");
        ok(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        ok(cuCtxSetCurrent(context), "cuCtxSetCurrent");
        ok(cuStreamCreate(s1, 0), "cuStreamCreate");
        ok(cuStreamCreate(s2, 0), "cuStreamCreate");
        ok(cuMemAlloc(d1, 4L * N), "cuMemAlloc");
        ok(cuMemAlloc(d2, 4L * N), "cuMemAlloc");
        ok(cuMemAllocHost(pinned, 4L * N), "cuMemAllocHost");
        host = pinned.getByteBuffer(0, 4L * N).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @AfterEach
    void close() {
        if (host == null) return;
        ok(cuMemFreeHost(pinned), "cuMemFreeHost");
        ok(cuMemFree(d1), "cuMemFree");
        ok(cuMemFree(d2), "cuMemFree");
        ok(cuStreamDestroy(s1), "cuStreamDestroy");
        ok(cuStreamDestroy(s2), "cuStreamDestroy");
        ok(cuDevicePrimaryCtxRelease(new CUdevice()), "cuDevicePrimaryCtxRelease");
    }

    private void fillHost(float v) {
        for (int i = 0; i < N; i++) host.put(i, v);
    }

    private float[] readBack(CUdeviceptr d) {
        float[] out = new float[N];
        ok(cuMemcpyDtoH(Pointer.to(out), d, 4L * N), "cuMemcpyDtoH");
        return out;
    }

    @Test
    void anAsyncCopyFromPinnedMemoryReadsItsSourceWhenItRuns() {
        fillHost(1f);
        ok(cuMemcpyHtoDAsync(d1, pinned, 4L * N, s1), "cuMemcpyHtoDAsync");
        fillHost(2f);   // refilled without waiting for the copy: the race a missing event wait makes
        ok(cuStreamSynchronize(s1), "cuStreamSynchronize");
        assertEquals(2f, readBack(d1)[0], "the queued copy ran at the synchronisation, with the refilled bytes");
    }

    @Test
    void anAsyncCopyIntoPinnedMemoryIsGarbageUntilWaitedFor() {
        ok(cuMemsetD32Async(d1, Float.floatToIntBits(3f), N, s1), "cuMemsetD32Async");
        ok(cuMemcpyDtoHAsync(pinned, d1, 4L * N, s1), "cuMemcpyDtoHAsync");
        assertTrue(Float.isNaN(host.get(0)), "read before the copy ran: " + host.get(0));
        ok(cuStreamSynchronize(s1), "cuStreamSynchronize");
        assertEquals(3f, host.get(N - 1));
    }

    @Test
    void aStreamSeesAnotherStreamsWorkOnlyThroughAnEvent() {
        CUevent e = new CUevent();
        ok(cuEventCreate(e, 0), "cuEventCreate");
        try {
            // without a wait: s2's copy runs before s1's memset, which has not run yet
            ok(cuMemsetD32Async(d1, Float.floatToIntBits(5f), N, s1), "cuMemsetD32Async");
            ok(cuMemcpyDtoDAsync(d2, d1, 4L * N, s2), "cuMemcpyDtoDAsync");
            ok(cuStreamSynchronize(s2), "cuStreamSynchronize(s2)");
            assertNotEquals(5f, readBack(d2)[0], "s2 saw s1's work without waiting for it");
            // with the wait
            ok(cuMemsetD32Async(d1, Float.floatToIntBits(6f), N, s1), "cuMemsetD32Async");
            ok(cuEventRecord(e, s1), "cuEventRecord");
            ok(cuStreamWaitEvent(s2, e, 0), "cuStreamWaitEvent");
            ok(cuMemcpyDtoDAsync(d2, d1, 4L * N, s2), "cuMemcpyDtoDAsync");
            ok(cuStreamSynchronize(s2), "cuStreamSynchronize(s2)");
            assertEquals(6f, readBack(d2)[0], "s2 waited for s1's memset");
        } finally {
            cuEventDestroy(e);
        }
    }

    @Test
    void eventsMeasureTheWorkBetweenThemOnceItRan() {
        CUevent a = new CUevent(), b = new CUevent(), c = new CUevent();
        for (CUevent e : new CUevent[] {a, b, c}) ok(cuEventCreate(e, 0), "cuEventCreate");
        try {
            ok(cuEventRecord(a, s1), "cuEventRecord");
            ok(cuEventRecord(b, s1), "cuEventRecord");
            for (int i = 0; i < 10; i++) ok(cuMemsetD32Async(d1, i, N, s1), "cuMemsetD32Async");
            ok(cuEventRecord(c, s1), "cuEventRecord");
            float[] ms = {-1};
            assertEquals(CUresult.CUDA_ERROR_NOT_READY, cuEventElapsedTime(ms, a, c), "elapsed time before the work ran");
            ok(cuEventSynchronize(c), "cuEventSynchronize");
            ok(cuEventElapsedTime(ms, a, b), "cuEventElapsedTime");
            assertEquals(0f, ms[0], "no work between a and b");
            ok(cuEventElapsedTime(ms, a, c), "cuEventElapsedTime");
            assertTrue(ms[0] > 0, "ten memsets between a and c took " + ms[0] + " ms");
        } finally {
            for (CUevent e : new CUevent[] {a, b, c}) cuEventDestroy(e);
        }
    }

    @Test
    void pointersOfTheWrongKindAreRefused() {
        long hostAddress = Driver.address(pinned);
        CUdeviceptr hostAsDevice = new CUdeviceptr().withByteOffset(hostAddress);
        assertEquals(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, cuMemcpyHtoD(hostAsDevice, Pointer.to(new float[4]), 16),
                "a host address as a copy's device destination");
        Pointer deviceAsHost = new Pointer().withByteOffset(Driver.address(d1));
        assertEquals(CUresult.CUDA_ERROR_INVALID_VALUE, cuMemcpyDtoH(deviceAsHost, d2, 16),
                "a device address as a copy's host destination");
        assertTrue(Driver.address(d1) != 0 && Math.abs(Driver.address(d1) - hostAddress) > (1L << 40),
                "device memory lies in its own address range: " + Long.toHexString(Driver.address(d1)));
    }
}
