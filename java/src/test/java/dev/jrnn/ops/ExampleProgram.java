package dev.jrnn.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Compiles sources as an outside user's module against module dev.jrnn (as the test JVM sees it:
 * target/classes and the dependency jars on its module path) and runs them in a child JVM. Where
 * the tests run on the class path (scripts/gpu-check.sh runs them from the shaded jar), the sources
 * are compiled and run on the class path instead, without their module-info.java.
 */
public final class ExampleProgram {
    private ExampleProgram() {}

    /** The README examples: {@code java/src/examples/java}, or {@code -Djrnn.examples.dir}. */
    public static Path examplesDir() {
        String dir = System.getProperty("jrnn.examples.dir");
        Path p = dir != null ? Path.of(dir) : Path.of(System.getProperty("user.dir"), "src", "examples", "java");
        if (!Files.isDirectory(p)) throw new IllegalStateException("examples not found at " + p + " (run from the java module)");
        return p;
    }

    /** Whether the tests run with dev.jrnn on the module path (surefire), not on the class path. */
    public static boolean modular() {
        return System.getProperty("jdk.module.path") != null;
    }

    /**
     * The class path the examples need when not modular: the JVM's, plus where jrnn, JCuda and
     * these tests were loaded from (the JUnit console launcher loads them through its own loader).
     */
    static String classPath() {
        java.util.LinkedHashSet<String> parts = new java.util.LinkedHashSet<>();
        String cp = System.getProperty("java.class.path", "");
        if (!cp.isEmpty()) parts.addAll(List.of(cp.split(File.pathSeparator)));
        for (Class<?> c : new Class<?>[] {Rnn.class, jcuda.driver.CUdeviceptr.class, ExampleProgram.class}) {
            try {
                parts.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
            } catch (java.net.URISyntaxException | RuntimeException e) {
                throw new IllegalStateException("cannot tell where " + c.getName() + " was loaded from", e);
            }
        }
        return String.join(File.pathSeparator, parts);
    }

    /** The test JVM's module path: dev.jrnn and the modules it requires. */
    public static String jrnnModulePath() {
        String mp = System.getProperty("jdk.module.path");
        assertNotNull(mp, "the tests run with dev.jrnn on the module path (surefire's useModulePath)");
        return mp;
    }

    /** javac's result: exit code and diagnostics. */
    public record Compiled(int code, String output, Path classes) {}

    /** Compiles every .java file under {@code sourceRoot} into {@code out}. */
    public static Compiled compile(Path sourceRoot, Path out) throws IOException {
        List<String> files;
        try (Stream<Path> s = Files.walk(sourceRoot)) {
            files = s.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> modular() || !f.getFileName().toString().equals("module-info.java"))
                    .map(Path::toString).sorted().toList();
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "no Java compiler in this runtime (module jdk.compiler)");
        List<String> args = new ArrayList<>(List.of("--release", "25", "-Xlint:all,-options", "-d", out.toString()));
        if (modular()) {
            args.addAll(List.of("--module-path", jrnnModulePath()));
        } else {
            args.addAll(List.of("--add-modules", "jdk.incubator.vector", "-cp", classPath()));
        }
        args.addAll(files);
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int code = javac.run(null, diagnostics, diagnostics, args.toArray(String[]::new));
        return new Compiled(code, diagnostics.toString(StandardCharsets.UTF_8), out);
    }

    /** A child JVM's exit code and output (stdout and stderr together). */
    public record Run(int code, String output) {}

    /** Runs {@code mainClass} from {@code classes} (module example.embed) with dev.jrnn on the module path. */
    public static Run run(Path classes, String mainClass, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(modular()
                ? List.of(java, "--enable-native-access=dev.jrnn,jcuda", "-Xmx1g",
                        "--module-path", classes + File.pathSeparator + jrnnModulePath(), "-m", "example.embed/" + mainClass)
                : List.of(java, "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                        "-cp", classes + File.pathSeparator + classPath(), mainClass));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("jrnn-example", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(mainClass + " did not finish in 5 minutes; output: " + Files.readString(log));
            }
            return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** Compiles the examples and runs {@code mainClass}, failing on a non-zero exit. */
    public static String compileAndRun(Path work, String mainClass, String... args) throws IOException, InterruptedException {
        Compiled c = compile(examplesDir(), work.resolve("classes"));
        assertEquals(0, c.code(), "the examples must compile against the exported API only:\n" + c.output());
        Run r = run(c.classes(), mainClass, args);
        assertEquals(0, r.code(), mainClass + " failed:\n" + r.output());
        return r.output();
    }
}
