package dev.jrnn.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package graph of the main sources, read from their imports and fully qualified names
 * (comments and string literals left out): {@code backend} is the ground floor and depends on no
 * other jrnn package (the backends are found through {@link BackendProvider}), and no package
 * depends on itself through others.
 */
class PackageLayeringTest {
    private static final Pattern COMMENT = Pattern.compile("(?s)/\\*.*?\\*/|//[^\\n]*");
    private static final Pattern STRING = Pattern.compile("(?s)\"\"\".*?\"\"\"|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\])'");
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.jrnn\\.([a-z]\\w*)");

    /** package -> the jrnn packages its main sources name (itself left out). */
    static Map<String, Set<String>> graph() throws IOException {
        Path root = Path.of(System.getProperty("user.dir"), "src", "main", "java", "dev", "jrnn");
        assertTrue(Files.isDirectory(root), "main sources not found at " + root + " (run from the java module)");
        Map<String, Set<String>> g = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = root.relativize(f.getParent()).toString().replace('/', '.');
                if (pkg.isEmpty()) continue;
                String code = STRING.matcher(COMMENT.matcher(Files.readString(f)).replaceAll(" ")).replaceAll("\"\"");
                Set<String> deps = g.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(code);
                while (m.find()) if (!m.group(1).equals(pkg)) deps.add(m.group(1));
            }
        }
        return g;
    }

    @Test
    void backendDependsOnNoOtherJrnnPackage() throws IOException {
        Map<String, Set<String>> g = graph();
        assertTrue(g.containsKey("cpu") && g.containsKey("cuda") && g.get("cpu").contains("backend"),
                "the scan found the packages: " + g);
        assertEquals(Set.of(), g.get("backend"), "dev.jrnn.backend must name no other jrnn package (reach the backends"
                + " through BackendProvider); it names: " + g.get("backend"));
    }

    /**
     * The floors, bottom up: a package names only packages on lower floors. {@code backend} and
     * {@code data} at the bottom; the backends and the model description ({@code cpu}, {@code cuda},
     * {@code nn}) on them; {@code ops} and {@code train} above; {@code io} (checkpoints of trained
     * models), then {@code experiment} (sweeps), then {@code cli} on top. A new package must be
     * placed here.
     */
    static final Map<String, Integer> FLOORS = Map.ofEntries(Map.entry("backend", 0), Map.entry("data", 0),
            Map.entry("cpu", 1), Map.entry("cuda", 1), Map.entry("nn", 1), Map.entry("ops", 2), Map.entry("train", 2),
            Map.entry("io", 3), Map.entry("experiment", 4), Map.entry("cli", 5));

    @Test
    void eachPackageNamesOnlyPackagesOnLowerFloors() throws IOException {
        Map<String, Set<String>> g = graph();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : g.entrySet()) {
            Integer floor = FLOORS.get(e.getKey());
            if (floor == null) {
                wrong.add(e.getKey() + " has no floor (add it to PackageLayeringTest.FLOORS)");
                continue;
            }
            for (String dep : e.getValue()) {
                Integer depFloor = FLOORS.get(dep);
                if (depFloor == null || depFloor >= floor) wrong.add(e.getKey() + " (floor " + floor + ") names " + dep + " (floor " + depFloor + ")");
            }
        }
        assertEquals(List.of(), wrong, "the graph: " + g);
    }

    @Test
    void thePackageGraphHasNoCycle() throws IOException {
        Map<String, Set<String>> g = graph();
        for (String start : g.keySet()) {
            List<String> cycle = pathBack(g, start, start, new ArrayList<>(List.of(start)), new TreeSet<>());
            assertEquals(null, cycle, "package cycle: " + cycle + " (the graph: " + g + ")");
        }
    }

    /** A path from {@code at} back to {@code start}, or null. */
    private static List<String> pathBack(Map<String, Set<String>> g, String start, String at, List<String> path, Set<String> seen) {
        for (String next : g.getOrDefault(at, Set.of())) {
            if (next.equals(start)) {
                List<String> cycle = new ArrayList<>(path);
                cycle.add(start);
                return cycle;
            }
            if (seen.add(next)) {
                path.add(next);
                List<String> found = pathBack(g, start, next, path, seen);
                if (found != null) return found;
                path.removeLast();
            }
        }
        return null;
    }

    /** Every package says what it is for and what it may import, in a package-info.java. */
    @Test
    void everyPackageHasAPackageInfoNamingWhatItMayImport() throws IOException {
        Path root = Path.of(System.getProperty("user.dir"), "src", "main", "java", "dev", "jrnn");
        List<String> missing = new ArrayList<>();
        for (String pkg : graph().keySet()) {
            Path info = root.resolve(pkg.replace('.', '/')).resolve("package-info.java");
            if (!Files.isRegularFile(info) || !Files.readString(info).contains("May import:")) missing.add(pkg);
        }
        assertEquals(List.of(), missing, "packages without a package-info.java that says 'May import:'");
    }
}
