package example;

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
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import dev.jrnn.backend.GpuBackend;
import dev.jrnn.ops.Rnn;
import java.util.Random;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;

/**
 * A GRU forward and backward pass on device buffers and a stream that the caller made with JCuda;
 * jrnn wraps them without copying and frees none of them. The results are checked against the
 * CPU backend. Prints {@code SKIPPED} and returns where no CUDA device can be used.
 */
public final class GpuInteropExample {
    private GpuInteropExample() {}

    /**
     * Runs the example.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        String why = gpuUnavailable();
        if (why != null) {
            System.out.println("SKIPPED: no usable CUDA device: " + why);
            return;
        }
        int batch = 16, steps = 28, features = 28, units = 64;
        Random rnd = new Random(11);
        float[] x = new float[batch * steps * features], dy = new float[batch * steps * units];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < dy.length; i++) dy[i] = (float) rnd.nextGaussian();
        float[] y = new float[dy.length], dx = new float[x.length], dParams;

        // README:gpu
        // The caller's context, stream and buffers, made with JCuda
        CUdevice device = new CUdevice();
        CUcontext context = new CUcontext();
        CUstream stream = new CUstream();
        ok(cuInit(0), "cuInit");
        ok(cuDeviceGet(device, 0), "cuDeviceGet");
        ok(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        ok(cuCtxSetCurrent(context), "cuCtxSetCurrent");
        ok(cuStreamCreate(stream, 0), "cuStreamCreate");
        long xBytes = 4L * x.length, yBytes = 4L * y.length;
        CUdeviceptr dX = new CUdeviceptr(), dY = new CUdeviceptr(), dDy = new CUdeviceptr(), dDx = new CUdeviceptr();
        ok(cuMemAlloc(dX, xBytes), "cuMemAlloc");
        ok(cuMemAlloc(dY, yBytes), "cuMemAlloc");
        ok(cuMemAlloc(dDy, yBytes), "cuMemAlloc");
        ok(cuMemAlloc(dDx, xBytes), "cuMemAlloc");
        ok(cuMemcpyHtoD(dX, Pointer.to(x), xBytes), "cuMemcpyHtoD");
        ok(cuMemcpyHtoD(dDy, Pointer.to(dy), yBytes), "cuMemcpyHtoD");

        try (GpuBackend gpu = GpuBackend.attach(context, stream);   // jrnn queues on the caller's stream
             Rnn gru = Rnn.gru(gpu, features, units);
             Rnn.Saved saved = gru.forward(batch, steps, gpu.wrap(dX, xBytes), null, null,
                     gpu.wrap(dY, yBytes), null, null)) {
            gru.backward(saved, gpu.wrap(dDy, yBytes), null, null, gpu.wrap(dDx, xBytes), null, null);
            dParams = gru.getGradients();                             // waits for the stream
        }
        ok(cuStreamSynchronize(stream), "cuStreamSynchronize");
        ok(cuMemcpyDtoH(Pointer.to(y), dY, yBytes), "cuMemcpyDtoH");
        ok(cuMemcpyDtoH(Pointer.to(dx), dDx, xBytes), "cuMemcpyDtoH");
        for (CUdeviceptr p : new CUdeviceptr[] {dX, dY, dDy, dDx}) ok(cuMemFree(p), "cuMemFree");   // still ours
        ok(cuStreamDestroy(stream), "cuStreamDestroy");
        ok(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
        // README:end

        float[] yCpu = new float[y.length], dxCpu = new float[x.length], dParamsCpu;
        try (Backend cpu = Backends.cpu(); Rnn gru = Rnn.gru(cpu, features, units);
             Rnn.Saved saved = gru.forward(batch, steps, x, null, null, yCpu, null, null)) {
            gru.backward(saved, dy, null, null, dxCpu, null, null);
            dParamsCpu = gru.getGradients();
        }
        expectClose("y", yCpu, y, 1e-5, 1e-4);
        expectClose("dx", dxCpu, dx, 1e-4, 1e-3);
        expectClose("dParams", dParamsCpu, dParams, 1e-3, 1e-3);
        System.out.println("GRU(" + units + ") on the caller's CUDA buffers and stream matches the CPU backend");
    }

    /** Why the GPU example cannot run here, or {@code null} when it can. */
    private static String gpuUnavailable() {
        try (GpuBackend probe = GpuBackend.open(0)) {
            return null;
        } catch (RuntimeException | LinkageError e) {   // unavailable, or failing to start
            return e.getMessage();
        }
    }

    private static void ok(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) throw new IllegalStateException(call + " failed: " + CUresult.stringFor(result));
    }

    private static void expectClose(String what, float[] expected, float[] actual, double abs, double rel) {
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(actual[i] - expected[i]) <= abs + rel * Math.abs(expected[i]))) {
                throw new IllegalStateException(what + "[" + i + "]: GPU " + actual[i] + ", CPU " + expected[i]);
            }
        }
    }
}
