package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.ops.ExampleProgram;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's GPU interop example, compiled as an outside module and run in a child JVM (which
 * inherits the fake device's library paths in the fake-device run): a GRU on device buffers and a
 * stream the caller made with JCuda, checked against the CPU backend.
 */
@Tag("gpu")
class GpuExampleTest {
    @TempDir
    Path dir;

    @Test
    void gruOnTheCallersBuffersAndStreamMatchesTheCpu() throws Exception {
        GpuSupport.requireDevice();
        String out = ExampleProgram.compileAndRun(dir, "example.GpuInteropExample");
        assertTrue(out.contains("matches the CPU backend"), out);
    }
}
