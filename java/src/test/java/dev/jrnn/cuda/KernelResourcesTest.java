package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The kernels as the jar carries them. Where nvcc built them, every module's PTX must be a
 * resource and define an {@code .entry} for every kernel name the Java side looks up: this is
 * what proves the names on both sides agree. Without nvcc the jar has none and says so.
 */
class KernelResourcesTest {

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = KernelLauncher.class.getResourceAsStream(KernelLauncher.RESOURCE_DIR + name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    @Test
    void builtPtxDefinesEveryKernelTheJavaSideLooksUp() throws IOException {
        if (!NativeBuild.kernelsBuilt()) {
            System.out.println("SKIPPED: this build has no kernels (nvcc not found): " + KernelLauncher.missingResources());
            Assumptions.abort("built without nvcc");
        }
        assertNull(KernelLauncher.missingResources());
        for (var e : KernelLauncher.FUNCTIONS.entrySet()) {
            byte[] ptx = resource(e.getKey() + ".ptx");
            assertNotNull(ptx, e.getKey() + ".ptx");
            String text = new String(ptx, StandardCharsets.US_ASCII);
            assertTrue(text.contains(".target sm_75"), e.getKey() + ".ptx targets compute_75");
            for (String fn : e.getValue()) {
                assertTrue(text.contains(".visible .entry " + fn + "("), e.getKey() + ".ptx lacks .entry " + fn);
            }
            byte[] fatbin = resource(e.getKey() + ".fatbin");
            assertNotNull(fatbin, e.getKey() + ".fatbin");
            assertTrue(fatbin.length > 16 && (fatbin[0] & 0xff) == 0x50 && (fatbin[1] & 0xff) == 0xed
                    && (fatbin[2] & 0xff) == 0x55 && (fatbin[3] & 0xff) == 0xba, e.getKey() + ".fatbin magic");
        }
    }

    @Test
    void withoutKernelsTheReasonSaysHowToGetThem() {
        String missing = KernelLauncher.missingResources();
        if (NativeBuild.kernelsBuilt()) {
            assertNull(missing);
        } else {
            assertNotNull(missing);
            assertTrue(missing.contains("nvcc") && missing.contains(".ptx"), missing);
        }
    }
}
