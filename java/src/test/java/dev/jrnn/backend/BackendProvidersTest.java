package dev.jrnn.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backends are found through {@link BackendProvider} both ways a JVM can load jrnn: on the
 * module path (this JVM: surefire puts module dev.jrnn there, so its {@code provides} count) and on
 * the class path (a child JVM over the same classes and jars, as the CLI's shaded jar runs, so
 * {@code META-INF/services} counts); and both list the same providers.
 */
class BackendProvidersTest {
    private static final String SERVICES = "META-INF/services/" + BackendProvider.class.getName();

    private static List<String> names(List<BackendProvider> providers) {
        return providers.stream().map(BackendProvider::name).toList();
    }

    @Test
    void onTheModulePathModuleInfoProvidesTheBackendsInAutosOrder() {
        assertTrue(Backends.class.getModule().isNamed(), "this test runs with dev.jrnn on the module path");
        assertEquals(List.of("cuda", "cpu", "reference"), names(Backends.providers()));
        assertTrue(Backends.providers().getFirst() instanceof BackendProvider.Gpu, "cuda is the GPU provider");
        assertTrue(Backends.providers().get(2).autoPriority() < 0, "auto never picks the reference");
        try (Backend cpu = Backends.cpu(2); Backend ref = Backends.reference()) {
            assertEquals("cpu", cpu.name());
            assertEquals("reference", ref.name());
        }
        List<String> log = new ArrayList<>();
        try (Backend ref = Backends.create(" Reference ", 0, log::add)) {
            assertEquals("reference", ref.name());
            assertEquals(List.of("backend: " + ref.description()), log);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.create("tpu", 1, s -> {}));
        assertEquals("unknown backend 'tpu': expected one of auto, cpu, cuda, reference", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backends.cpu(0));
    }

    @Test
    void theServicesFileListsWhatModuleInfoProvides() throws IOException {
        List<String> listed = Files.readAllLines(Path.of(System.getProperty("user.dir"), "src", "main", "resources", SERVICES))
                .stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).sorted().toList();
        ModuleDescriptor d = Backends.class.getModule().getDescriptor();
        List<String> provided = d.provides().stream().filter(p -> p.service().equals(BackendProvider.class.getName()))
                .flatMap(p -> p.providers().stream()).sorted().toList();
        assertEquals(provided, listed, SERVICES + " and module-info's provides must name the same classes");
        assertTrue(d.uses().contains(BackendProvider.class.getName()), "module-info must declare 'uses'");
    }

    @Test
    void withoutCudaGpuBackendOpenSaysWhatIsMissing() {
        String why = Backends.gpu().unavailableReason();
        if (why == null) return;   // a usable GPU stack: GpuInteropTest opens it
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> GpuBackend.open(0));
        assertTrue(e.getMessage().contains("CUDA unavailable"), e.getMessage());
    }

    @Test
    void onTheClassPathMetaInfServicesFindsTheSameBackends(@TempDir Path dir) throws IOException, InterruptedException {
        // NB: the module path's entries (target/classes and the dependency jars) as a class path: module-info is
        // then ignored and only META-INF/services can find the providers, as in the shaded jar
        String classPath = System.getProperty("jdk.module.path");
        assertTrue(classPath != null, "the tests run with dev.jrnn on the module path (surefire's useModulePath)");
        String info = runCli(classPath, "info");
        assertTrue(info.contains("backends:     cuda, cpu, reference (auto tries cuda, cpu, in that order)"), info);
        assertTrue(info.contains("cpu:          Vector API") && info.contains("cuDNN:"), info);
        String[] bench = {"bench", "--cell", "gru", "--units", "4", "--batch-size", "8", "--steps", "1",
                "--warmup", "0", "--repeats", "1", "--threads", "1", "--backend", "auto"};
        String out = runCli(classPath, bench);
        assertTrue(out.contains("backend: ") && out.contains("(auto"), out);

        // a second services file on the class path naming a class that is not there: skipped and said, not fatal
        Path services = Files.createDirectories(dir.resolve("META-INF/services")).resolve(BackendProvider.class.getName());
        Files.writeString(services, "dev.jrnn.nowhere.MissingProvider\n");
        out = runCli(dir + File.pathSeparator + classPath, bench);
        assertTrue(out.contains("a backend could not be loaded: ") && out.contains("dev.jrnn.nowhere.MissingProvider")
                && out.contains("params="), out);
    }

    private static String runCli(String classPath, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx512m", "-cp", classPath, "dev.jrnn.cli.Main"));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("jrnn-classpath", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("jrnn " + String.join(" ", args) + " on the class path did not finish in 2 minutes: "
                        + Files.readString(log));
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), "jrnn " + String.join(" ", args) + " on the class path (" + classPath.split(File.pathSeparator).length
                    + " entries) failed:\n" + out);
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
