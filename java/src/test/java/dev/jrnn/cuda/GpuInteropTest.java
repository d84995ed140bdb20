package dev.jrnn.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Backends;
import dev.jrnn.backend.GpuBackend;
import dev.jrnn.backend.Tensor;
import dev.jrnn.ops.Kernels;
import java.util.SplittableRandom;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The caller's context, streams and device memory: ops run on wrapped buffers and on the stream
 * set last, wrapping is checked, and jrnn destroys and frees none of what the caller made.
 */
@Tag("gpu")
class GpuInteropTest {

    private static void ok(int result, String call) {
        assertEquals(CUresult.CUDA_SUCCESS, result, call + ": " + CUresult.stringFor(result));
    }

    @Test
    void kernelsRunOnTheCallersBuffersAndStreamsAndNothingOfTheCallersIsFreed() {
        GpuSupport.requireDevice();
        int n = 1000;
        float[] in = GpuSupport.uniform(new SplittableRandom(3), n, 2.0);
        CUdevice device = new CUdevice();
        CUcontext context = new CUcontext();
        CUstream s1 = new CUstream(), s2 = new CUstream();
        ok(cuInit(0), "cuInit");
        ok(cuDeviceGet(device, 0), "cuDeviceGet");
        ok(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        ok(cuCtxSetCurrent(context), "cuCtxSetCurrent");
        ok(cuStreamCreate(s1, 0), "cuStreamCreate");
        ok(cuStreamCreate(s2, 0), "cuStreamCreate");
        CUdeviceptr dIn = new CUdeviceptr(), dOut = new CUdeviceptr(), dProbs = new CUdeviceptr();
        for (CUdeviceptr p : new CUdeviceptr[] {dIn, dOut, dProbs}) ok(cuMemAlloc(p, 4L * n), "cuMemAlloc");
        ok(cuMemcpyHtoD(dIn, Pointer.to(in), 4L * n), "cuMemcpyHtoD");

        try (GpuBackend gpu = GpuBackend.attach(context, s1)) {
            assertSame(s1, gpu.stream());
            Tensor tin = gpu.wrap(dIn, 4L * n), tout = gpu.wrap(dOut, 4L * n);
            assertEquals(n, tin.size());
            gpu.dropout(5, 1, 0, 0.3f, n, tin, tout);
            gpu.setStream(s2);
            assertSame(s2, gpu.stream());
            // a view with a byte offset: the second half as 10 rows of 50
            Tensor probs = gpu.wrap(dProbs.withByteOffset(0), 4L * n);
            gpu.synchronize();
            gpu.softmax(10, 50, tout.slice(500, 500), probs.slice(0, 500));
            tin.close();   // a view: the caller's buffer stays
            gpu.synchronize();

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.wrap(0L, 4));
            assertTrue(e.getMessage().contains("0"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> gpu.wrap(dIn.withByteOffset(2), 8));
            e = assertThrows(IllegalArgumentException.class, () -> gpu.wrap(dIn, 6));
            assertTrue(e.getMessage().contains("multiple of 4") && e.getMessage().contains("found 6"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> gpu.wrap((CUdeviceptr) null, 4));
            assertThrows(IllegalArgumentException.class, () -> GpuBackend.attach(null, s1));
        }

        float[] out = new float[n], probs = new float[500];
        ok(cuMemcpyDtoH(Pointer.to(out), dOut, 4L * n), "cuMemcpyDtoH after close");
        ok(cuMemcpyDtoH(Pointer.to(probs), dProbs, 2000), "cuMemcpyDtoH after close");
        float[] wantOut = new float[n], wantProbs = new float[500];
        try (var cpu = Backends.cpu(1)) {
            Kernels k = Kernels.on(cpu);
            k.dropout(5, 1, 0, 0.3f, in, wantOut);
            k.softmax(10, 50, java.util.Arrays.copyOfRange(wantOut, 500, 1000), wantProbs);
        }
        assertArrayEquals(wantOut, out, "dropout on wrapped memory: the CPU's mask, bit for bit");
        for (int i = 0; i < 500; i++) assertEquals(wantProbs[i], probs[i], 1e-6, "softmax[" + i + "]");
        // the caller frees and destroys its own objects exactly once: jrnn freed none of them
        for (CUdeviceptr p : new CUdeviceptr[] {dIn, dOut, dProbs}) ok(cuMemFree(p), "cuMemFree");
        ok(cuStreamDestroy(s1), "cuStreamDestroy");
        ok(cuStreamDestroy(s2), "cuStreamDestroy");
        ok(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    }
}
