package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.RnnTrace;
import dev.jrnn.backend.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Creating and closing the backend many times, each time allocating, running an LSTM forward and
 * backward (plans, reserve spaces, workspace) and a GEMM, leaves the device's free memory where it
 * was (and, on the fake device, no cuDNN or cuBLAS object alive). {@code -Djrnn.lifecycleCycles}
 * sets how many: by default 200 on the fake device and 50 on a real one, where each cycle creates
 * cuDNN and cuBLAS handles and loads the kernel module ({@code scripts/gpu-check.sh run --quick}
 * passes 10).
 */
@Tag("gpu")
class CudaLifecycleTest {

    @BeforeAll
    static void device() {
        GpuSupport.requireDevice();
    }

    private static void cycle() {
        try (CudaBackend be = CudaBackend.create()) {
            RnnSpec spec = new RnnSpec(RnnSpec.Cell.LSTM, 8, 16, Activation.TANH);
            Tensor x = be.allocate(4 * 5 * 8), p = be.allocate(spec.paramCount()), y = be.allocate(4 * 5 * 16);
            Tensor g = be.allocate(spec.paramCount());
            try (RnnTrace trace = be.rnnForward(spec, 4, 5, x, p, y)) {
                be.rnnBackward(trace, y, null, g);
            }
            be.gemm(false, true, 4, 8, 16, 1f, y, p, 0f, x);
            be.synchronize();
        }
    }

    @Test
    void manyCyclesLeaveDeviceMemoryWhereItStarted() {
        int cycles = Integer.getInteger("jrnn.lifecycleCycles", NativeBuild.fakeDevice() ? 200 : 50);
        try (CudaBackend observer = CudaBackend.create()) {   // keeps the context alive, allocates nothing
            int objects = GpuSupport.fakeLiveLibraryObjects();
            for (int i = 0; i < 3; i++) cycle();              // one-time costs (library kernels, module caches)
            long before = observer.memoryInfo()[0];
            for (int i = 0; i < cycles; i++) cycle();
            long after = observer.memoryInfo()[0];
            long drift = before - after;
            assertTrue(Math.abs(drift) <= (NativeBuild.fakeDevice() ? 0 : 4L << 20),
                    "free device memory moved by " + drift + " bytes over " + cycles + " cycles (before " + before + ", after " + after + ")");
            assertEquals(0, observer.arenaBytes()[0], "the observer allocated nothing");
            if (objects >= 0) assertEquals(objects, GpuSupport.fakeLiveLibraryObjects(), "live cuDNN/cuBLAS objects");
        }
    }

    @Test
    void runningOutOfDeviceMemorySaysHowMuchAndWhatToDo() {
        // NB: only the fake device's size can be set; a real GPU's would take filling it
        if (!GpuSupport.fakeDeviceMemory(120L << 20)) {
            System.out.println("SKIPPED: running out of device memory is tested on the fake device only");
            Assumptions.abort("the device's size can be set on the fake device only");
        }
        try (CudaBackend observer = CudaBackend.create()) {
            long start = observer.memoryInfo()[0];
            try (CudaBackend be = CudaBackend.create()) {
                int mib10 = 10 << 18;   // floats in 10 MiB
                be.allocate(1 << 18);                  // 1 MiB: the first 64 MiB chunk
                be.allocate(4 * mib10);                // 40 MiB: fits that chunk
                be.allocate(4 * mib10);                // 40 MiB: no room for a second 64 MiB chunk, room for 40
                assertEquals(104L << 20, be.arenaBytes()[0], "held: one chunk and the request alone");
                CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> be.allocate(4 * mib10));
                assertEquals(40L << 20, e.requested());
                assertEquals(16L << 20, e.free());
                assertEquals(120L << 20, e.total());
                assertEquals(104L << 20, e.held());
                assertTrue(e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY")
                        && e.getMessage().contains("asked for 40.0 MiB more; the GPU has 16.0 MiB free of 120.0 MiB")
                        && e.getMessage().contains("already holds 104.0 MiB")
                        && e.getMessage().contains("--batch-size") && e.getMessage().contains("--backend cpu"), e.getMessage());
                be.allocate(1 << 18);                  // still usable for what fits
            }
            // a failure while the current chunk still has a tail: the tail is handed out once only
            try (CudaBackend be = CudaBackend.create()) {
                be.allocate(1 << 18);                                  // 1 MiB of a first 64 MiB chunk
                be.allocate(50 << 18);                                 // 50 MiB more: 13 MiB left in it
                assertThrows(CudaOutOfMemoryException.class, () -> be.allocate(100 << 18));
                CudaTensor a = (CudaTensor) be.allocate(7 << 18), b = (CudaTensor) be.allocate(7 << 18);
                assertTrue(a.address() + (7L << 20) <= b.address() || b.address() + (7L << 20) <= a.address(),
                        "two live 7 MiB blocks overlap: " + a.address() + " and " + b.address());
            }
            assertEquals(start, observer.memoryInfo()[0], "closing the backend returned its memory");
        } finally {
            GpuSupport.fakeDeviceMemory(0);
        }
    }
}
