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
import dev.jrnn.ops.Rnn;
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
            // the caller's pointer moved by 2000 bytes: softmax of dropout's second half, as 10 rows of 50,
            // into the second half of dProbs (s2 waits for s1's dropout: setStream records an event)
            Tensor probs = gpu.wrap(dProbs.withByteOffset(2000), 2000);
            assertEquals(500, probs.size());
            gpu.softmax(10, 50, tout.slice(500, 500), probs);
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
        ok(cuMemcpyDtoH(Pointer.to(probs), dProbs.withByteOffset(2000), 2000), "cuMemcpyDtoH after close");
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

    @Test
    void aBackendMovesBetweenThreadsAndCoexistsWithTheCallersContext() throws Exception {
        GpuSupport.requireDevice();
        float[] v = {1, 2, 3, 4};
        try (GpuBackend a = GpuBackend.open(0); GpuBackend b = GpuBackend.open(0)) {
            Tensor ta = a.allocate(4), tb = b.allocate(4);
            a.write(v, 0, ta, 4);
            // another thread, where no context is current yet: each call makes its backend's current
            float[][] seen = new float[2][4];
            Thread t = new Thread(() -> {
                b.write(v, 0, tb, 4);
                b.softmax(1, 4, tb, tb);
                b.read(tb, seen[0], 0, 4);
                a.read(ta, seen[1], 0, 4);
            });
            t.start();
            t.join();
            assertArrayEquals(v, seen[1], "read on another thread");
            float[] back = new float[4];
            b.read(tb, back, 0, 4);
            assertArrayEquals(seen[0], back, "and back on this one");
            assertEquals(1.0, back[0] + back[1] + back[2] + back[3], 1e-6);
        }
    }

    @Test
    void deviceKernelsWithAnExplicitStreamMatchTheArrayKernels() {
        GpuSupport.requireDevice();
        int b = 6, c = 10, n = b * c;
        SplittableRandom r = new SplittableRandom(12);
        float[] logits = GpuSupport.uniform(r, n, 3), labels = new float[b];
        int[] intLabels = new int[b];
        for (int i = 0; i < b; i++) labels[i] = intLabels[i] = r.nextInt(c);
        float[] p = GpuSupport.uniform(r, n, 1), g = GpuSupport.uniform(r, n, 1), m = new float[n], v = new float[n];
        float[] wantDrop = new float[n], wantProbs = new float[n], wantGrad = new float[n];
        float[] wantP = p.clone(), wantM = m.clone(), wantV = v.clone();
        Kernels.Loss wantLoss;
        try (var cpu = Backends.cpu(1)) {
            Kernels k = Kernels.on(cpu);
            k.dropout(9, 2, 1, 0.5f, logits, wantDrop);
            k.softmax(b, c, logits, wantProbs);
            wantLoss = k.softmaxCrossEntropy(b, c, logits, intLabels, 1f / b, wantGrad);
            k.adam(wantP, g, wantM, wantV, 1e-2f, 0.9f, 0.999f, 1e-7f, 1);
        }
        try (GpuBackend gpu = GpuBackend.open(0)) {
            CUstream stream = new CUstream();
            ok(cuStreamCreate(stream, 0), "cuStreamCreate");
            float[][] host = {logits, labels, p, g, m, v, new float[n], new float[n], new float[n], new float[2]};
            CUdeviceptr[] d = new CUdeviceptr[host.length];
            for (int i = 0; i < host.length; i++) {
                d[i] = new CUdeviceptr();
                ok(cuMemAlloc(d[i], 4L * host[i].length), "cuMemAlloc");
                ok(cuMemcpyHtoD(d[i], Pointer.to(host[i]), 4L * host[i].length), "cuMemcpyHtoD");
            }
            Kernels k = Kernels.on(gpu);
            k.dropout(stream, 9, 2, 1, 0.5f, n, d[0], d[6]);
            k.softmax(stream, b, c, d[0], d[7]);
            k.softmaxCrossEntropy(stream, b, c, d[0], d[1], 1f / b, d[8], d[9]);
            k.adam(stream, n, d[2], d[3], d[4], d[5], 1e-2f, 0.9f, 0.999f, 1e-7f, 1);
            assertSame(stream, gpu.stream());
            ok(jcuda.driver.JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");
            float[][] got = new float[host.length][];
            for (int i = 0; i < host.length; i++) {
                got[i] = new float[host[i].length];
                ok(cuMemcpyDtoH(Pointer.to(got[i]), d[i], 4L * got[i].length), "cuMemcpyDtoH");
            }
            gpu.setStream(null);   // before the stream goes
            ok(cuStreamDestroy(stream), "cuStreamDestroy");
            for (CUdeviceptr x : d) ok(cuMemFree(x), "cuMemFree");
            assertArrayEquals(wantDrop, got[6], "dropout: the CPU's mask, bit for bit");
            GpuSupport.assertClose(GpuSupport.toDouble(wantProbs), got[7], 1e-6, 1e-5, "softmax");
            GpuSupport.assertClose(GpuSupport.toDouble(wantGrad), got[8], 1e-6, 1e-5, "softmaxCrossEntropy dLogits");
            assertEquals(wantLoss.sum(), got[9][0], 1e-4, "loss sum");
            assertEquals(wantLoss.correct(), got[9][1], 0f, "correct count");
            GpuSupport.assertClose(GpuSupport.toDouble(wantP), got[2], 1e-6, 1e-5, "adam params");
            GpuSupport.assertClose(GpuSupport.toDouble(wantM), got[4], 1e-7, 1e-6, "adam m");
        }
    }

    @Test
    void lstmWithStatesOnWrappedMemoryMatchesTheCpu() {
        GpuSupport.requireDevice();
        int b = 5, t = 7, f = 6, h = 8;
        SplittableRandom r = new SplittableRandom(4);
        float[][] host = {GpuSupport.uniform(r, b * t * f, 1), GpuSupport.uniform(r, b * h, 1), GpuSupport.uniform(r, b * h, 1),
            GpuSupport.uniform(r, b * t * h, 1), GpuSupport.uniform(r, b * h, 1), GpuSupport.uniform(r, b * h, 1)};
        // x, hx, cx, dy, dhy, dcy in; y, hy, cy, dx, dhx, dcx out
        int[] outSizes = {b * t * h, b * h, b * h, b * t * f, b * h, b * h};
        float[][] gpuOut = new float[6][], cpuOut = new float[6][];
        for (int i = 0; i < 6; i++) {
            gpuOut[i] = new float[outSizes[i]];
            cpuOut[i] = new float[outSizes[i]];
        }
        float[] gpuGrads, cpuGrads;
        try (GpuBackend gpu = GpuBackend.open(0); Rnn lstm = Rnn.lstm(gpu, f, h)) {
            CUdeviceptr[] in = new CUdeviceptr[6], out = new CUdeviceptr[6];
            for (int i = 0; i < 6; i++) {
                in[i] = new CUdeviceptr();
                out[i] = new CUdeviceptr();
                ok(cuMemAlloc(in[i], 4L * host[i].length), "cuMemAlloc");
                ok(cuMemAlloc(out[i], 4L * outSizes[i]), "cuMemAlloc");
                ok(cuMemcpyHtoD(in[i], Pointer.to(host[i]), 4L * host[i].length), "cuMemcpyHtoD");
            }
            Tensor[] ti = new Tensor[6], to = new Tensor[6];
            for (int i = 0; i < 6; i++) {
                ti[i] = gpu.wrap(in[i], 4L * host[i].length);
                to[i] = gpu.wrap(out[i], 4L * outSizes[i]);
            }
            try (Rnn.Saved s = lstm.forward(b, t, ti[0], ti[1], ti[2], to[0], to[1], to[2])) {
                lstm.backward(s, ti[3], ti[4], ti[5], to[3], to[4], to[5]);
            }
            gpuGrads = lstm.getGradients();   // waits for the stream
            for (int i = 0; i < 6; i++) {
                ok(cuMemcpyDtoH(Pointer.to(gpuOut[i]), out[i], 4L * outSizes[i]), "cuMemcpyDtoH");
                ok(cuMemFree(in[i]), "cuMemFree");
                ok(cuMemFree(out[i]), "cuMemFree");
            }
        }
        try (var cpu = Backends.cpu(1); Rnn lstm = Rnn.lstm(cpu, f, h);
             Rnn.Saved s = lstm.forward(b, t, host[0], host[1], host[2], cpuOut[0], cpuOut[1], cpuOut[2])) {
            lstm.backward(s, host[3], host[4], host[5], cpuOut[3], cpuOut[4], cpuOut[5]);
            cpuGrads = lstm.getGradients();
        }
        String[] names = {"y", "hy", "cy", "dx", "dhx", "dcx"};
        for (int i = 0; i < 6; i++) GpuSupport.assertClose(GpuSupport.toDouble(cpuOut[i]), gpuOut[i], 1e-5, 1e-4, names[i]);
        GpuSupport.assertClose(GpuSupport.toDouble(cpuGrads), gpuGrads, 1e-4, 1e-3, "dParams");
    }
}
