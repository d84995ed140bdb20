package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Philox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What the Java side and native/*.cu must agree on, checked from the sources (no nvcc needed):
 * Philox constants and rounds, activation codes, block size, kernel names and modules.
 */
class KernelSourcesTest {

    private static String read(String file) throws IOException {
        return Files.readString(NativeBuild.sources().resolve(file));
    }

    private static long define(String source, String name) {
        Matcher m = Pattern.compile("#define\\s+" + name + "\\s+(0x[0-9A-Fa-f]+|\\d+)u?\\b").matcher(source);
        assertTrue(m.find(), "#define " + name + " not found");
        String v = m.group(1);
        return v.startsWith("0x") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v);
    }

    @Test
    void philoxConstantsAndRoundsMatchTheJavaGenerator() throws IOException {
        String cu = read("dropout.cu");
        assertEquals(Integer.toUnsignedLong(Philox.M0), define(cu, "JRNN_PHILOX_M0"), "M0");
        assertEquals(Integer.toUnsignedLong(Philox.M1), define(cu, "JRNN_PHILOX_M1"), "M1");
        assertEquals(Integer.toUnsignedLong(Philox.W0), define(cu, "JRNN_PHILOX_W0"), "W0");
        assertEquals(Integer.toUnsignedLong(Philox.W1), define(cu, "JRNN_PHILOX_W1"), "W1");
        assertEquals(Philox.ROUNDS, define(cu, "JRNN_PHILOX_ROUNDS"), "rounds");
        // the counter layout of Philox's Javadoc: (i / 4, salt, step_lo, step_hi), key (seed_lo, seed_hi)
        assertTrue(cu.replaceAll("\\s+", " ").contains("jrnn_philox4x32_10((uint32_t)q, salt, (uint32_t)step, "
                + "(uint32_t)(step >> 32), (uint32_t)seed, (uint32_t)(seed >> 32))"), "counter layout");
    }

    @Test
    void activationCodesAndBlockSizeMatch() throws IOException {
        String h = read("common.cuh");
        for (Activation a : new Activation[] {Activation.LINEAR, Activation.RELU, Activation.TANH, Activation.SIGMOID}) {
            assertEquals(KernelLauncher.activationCode(a), define(h, "JRNN_ACT_" + a.name()), a.name());
        }
        assertEquals(KernelLauncher.BLOCK, define(h, "JRNN_BLOCK"));
    }

    @Test
    void everyKernelTheJavaSideLaunchesIsDefinedInItsModule() throws IOException {
        Pattern kernel = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(");
        for (var e : KernelLauncher.FUNCTIONS.entrySet()) {
            Matcher m = kernel.matcher(read(e.getKey() + ".cu"));
            List<String> defined = new ArrayList<>();
            while (m.find()) defined.add(m.group(1));
            assertEquals(e.getValue().stream().sorted().toList(), defined.stream().sorted().toList(),
                    e.getKey() + ".cu defines other kernels than KernelLauncher.FUNCTIONS lists");
        }
    }

    @Test
    void cmakeBuildsExactlyTheModulesTheJavaSideLoads() throws IOException {
        Matcher m = Pattern.compile("set\\(JRNN_KERNEL_MODULES ([^)]*)\\)").matcher(read("CMakeLists.txt"));
        assertTrue(m.find());
        assertEquals(List.copyOf(KernelLauncher.FUNCTIONS.keySet()), Arrays.asList(m.group(1).trim().split("\\s+")));
        for (String module : KernelLauncher.FUNCTIONS.keySet()) {
            assertTrue(Files.isRegularFile(NativeBuild.sources().resolve(module + ".cu")), module);
        }
        Path tests = NativeBuild.sources().resolve("tests");
        assertTrue(Files.isRegularFile(tests.resolve("fake_cuda.cpp")));
    }
}
