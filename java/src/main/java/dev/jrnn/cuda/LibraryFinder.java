package dev.jrnn.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Finds the cuDNN and cuBLAS shared libraries (DESIGN.md "GPU stack"). Places, in order:
 * <ol>
 *   <li>explicit: the system property ({@code -Djrnn.cudnn.path}), then the environment variable
 *       ({@code $JRNN_CUDNN_PATH}); each a file or a folder. When one is set, only it is used: a
 *       wrong setting is an error, never silently replaced by another copy of the library;</li>
 *   <li>each folder of {@code LD_LIBRARY_PATH};</li>
 *   <li>{@code $CUDA_HOME}, then {@code $CUDA_PATH}: their {@code lib64}, {@code lib} and
 *       {@code targets/x86_64-linux/lib};</li>
 *   <li>the standard system folders ({@code /usr/local/cuda/lib64}, {@code /usr/lib/x86_64-linux-gnu}, ...);</li>
 *   <li>NVIDIA's Python wheels: {@code <root>/lib/python3.*}{@code /site-packages/nvidia/<package>/lib}
 *       (then the other {@code nvidia/*}{@code /lib} folders) under {@code $VIRTUAL_ENV},
 *       {@code $CONDA_PREFIX}, {@code ~/.local}, {@code /opt/*}{@code /.venv}, {@code /opt/*}{@code /venv},
 *       {@code /opt/conda}, {@code /usr/local} and {@code /usr}.</li>
 * </ol>
 * In each folder the file names are tried in order of preference (newest major version first);
 * the first folder that holds one wins, as with the dynamic loader's own search path.
 */
public final class LibraryFinder {

    /**
     * A library to find.
     *
     * @param name         display name ({@code cuDNN})
     * @param fileNames    file names, preferred first ({@code libcudnn.so.9}, {@code libcudnn.so.8})
     * @param property     system property naming a file or folder
     * @param envVar       environment variable naming a file or folder
     * @param wheelPackage the folder under a wheel's {@code site-packages/nvidia}
     * @param pipPackage   the pip package that installs it for CUDA 13, for the error message
     */
    public record Library(String name, List<String> fileNames, String property, String envVar, String wheelPackage,
                          String pipPackage) {
        public Library {
            fileNames = List.copyOf(fileNames);
        }
    }

    /** cuDNN 9, else 8: both have the v8 RNN API jrnn calls. */
    public static final Library CUDNN = new Library("cuDNN", List.of("libcudnn.so.9", "libcudnn.so.8"),
            "jrnn.cudnn.path", "JRNN_CUDNN_PATH", "cudnn", "nvidia-cudnn-cu13");

    /** cuBLAS 13 (CUDA 13), else 12. */
    public static final Library CUBLAS = new Library("cuBLAS", List.of("libcublas.so.13", "libcublas.so.12"),
            "jrnn.cublas.path", "JRNN_CUBLAS_PATH", "cublas", "nvidia-cublas");

    /**
     * Where to look: injectable so tests can build fake trees.
     *
     * @param properties  system properties
     * @param env         environment variables
     * @param systemDirs  the standard system folders, in order
     * @param pythonRoots folders holding {@code lib/python3.*}, in order
     */
    public record Environment(Function<String, String> properties, Function<String, String> env,
                              List<Path> systemDirs, List<Path> pythonRoots) {
        public Environment {
            Objects.requireNonNull(properties);
            Objects.requireNonNull(env);
            systemDirs = List.copyOf(systemDirs);
            pythonRoots = List.copyOf(pythonRoots);
        }
    }

    /** The standard system folders searched after the environment's. */
    public static final List<Path> SYSTEM_DIRS = Stream.of("/usr/local/cuda/lib64",
            "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
            "/usr/lib64", "/usr/lib", "/usr/local/lib").map(Path::of).toList();

    /** This process's properties, environment and the usual Python installation roots. */
    public static Environment systemEnvironment() {
        List<Path> roots = new ArrayList<>();
        for (String var : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String v = System.getenv(var);
            if (v != null && !v.isBlank()) roots.add(Path.of(v));
        }
        roots.add(Path.of(System.getProperty("user.home"), ".local"));
        for (String venv : new String[] {".venv", "venv"}) {
            for (Path opt : list(Path.of("/opt"))) roots.add(opt.resolve(venv));
        }
        roots.add(Path.of("/opt/conda"));
        roots.add(Path.of("/usr/local"));
        roots.add(Path.of("/usr"));
        return new Environment(System::getProperty, System::getenv, SYSTEM_DIRS, roots);
    }

    /**
     * A folder looked in.
     *
     * @param source where it came from ({@code LD_LIBRARY_PATH}, {@code $CUDA_HOME}, {@code system}, ...)
     * @param path   the folder, or the file an explicit setting names
     */
    public record Place(String source, Path path) {
        @Override
        public String toString() {
            return source + ": " + path;
        }
    }

    /** A library found: its file and the place that gave it. */
    public record Found(Library library, Path file, Place place) {}

    private final Environment environment;

    public LibraryFinder(Environment environment) {
        this.environment = environment;
    }

    /** Finds {@code lib} in the documented order. */
    public Found find(Library lib) {
        Explicit explicit = explicit(lib);
        if (explicit != null) return findExplicit(lib, explicit);
        List<Place> places = places(lib);
        for (Place place : places) {
            for (String name : lib.fileNames()) {
                Path f = place.path().resolve(name);
                if (Files.isRegularFile(f)) return new Found(lib, f, place);
            }
        }
        List<String> looked = new ArrayList<>();
        looked.add("-D" + lib.property() + " (not set)");
        looked.add("$" + lib.envVar() + " (not set)");
        for (Place p : places) looked.add(p.toString());
        if (places.stream().noneMatch(p -> p.source().startsWith("python"))) {
            looked.add("python wheels (no " + wheelGlob(lib) + " under " + environment.pythonRoots().stream()
                    .map(Path::toString).reduce((a, b) -> a + ", " + b).orElse("no roots") + ")");
        }
        throw new CudaLibraryException(lib.name(), CudaLibraryException.Problem.NOT_FOUND, lib.fileNames(), looked,
                lib.name() + " not found: looked for " + String.join(", ", lib.fileNames()) + " in "
                        + looked.size() + " places: " + String.join("; ", looked) + ". Install it (e.g. pip install "
                        + lib.pipPackage() + "), or set -D" + lib.property() + " or $" + lib.envVar()
                        + " to the file or its folder, or add its folder to LD_LIBRARY_PATH");
    }

    /** The automatic search's places for {@code lib}, in order (explicit settings excluded). */
    public List<Place> places(Library lib) {
        List<Place> places = new ArrayList<>();
        String ld = environment.env().apply("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank()) places.add(new Place("LD_LIBRARY_PATH", Path.of(d)));
            }
        }
        for (String var : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
            String v = environment.env().apply(var);
            if (v == null || v.isBlank()) continue;
            for (String sub : new String[] {"lib64", "lib", "targets/x86_64-linux/lib"}) {
                places.add(new Place("$" + var, Path.of(v).resolve(sub)));
            }
        }
        for (Path d : environment.systemDirs()) places.add(new Place("system", d));
        for (Path root : environment.pythonRoots()) {
            for (Path sitePackages : sitePackages(root)) {
                Path nvidia = sitePackages.resolve("nvidia");
                Path own = nvidia.resolve(lib.wheelPackage()).resolve("lib");
                if (Files.isDirectory(own)) places.add(new Place("python wheel", own));
                for (Path pkg : list(nvidia)) {
                    Path libDir = pkg.resolve("lib");
                    if (!pkg.equals(own.getParent()) && Files.isDirectory(libDir)) {
                        places.add(new Place("python wheel", libDir));
                    }
                }
            }
        }
        return places;
    }

    private record Explicit(String setting, Path path) {}

    private Explicit explicit(Library lib) {
        String p = environment.properties().apply(lib.property());
        if (p != null && !p.isBlank()) return new Explicit("-D" + lib.property() + "=" + p, Path.of(p));
        String e = environment.env().apply(lib.envVar());
        if (e != null && !e.isBlank()) return new Explicit("$" + lib.envVar() + "=" + e, Path.of(e));
        return null;
    }

    private static Found findExplicit(Library lib, Explicit explicit) {
        Place place = new Place(explicit.setting().substring(0, explicit.setting().indexOf('=')), explicit.path());
        if (Files.isRegularFile(explicit.path())) return new Found(lib, explicit.path(), place);
        if (Files.isDirectory(explicit.path())) {
            for (String name : lib.fileNames()) {
                Path f = explicit.path().resolve(name);
                if (Files.isRegularFile(f)) return new Found(lib, f, place);
            }
        }
        String what = Files.isDirectory(explicit.path()) ? "a folder without " + String.join(" or ", lib.fileNames())
                : "no such file or folder";
        throw new CudaLibraryException(lib.name(), CudaLibraryException.Problem.NOT_FOUND, lib.fileNames(),
                List.of(place.toString()), lib.name() + " not found where " + explicit.setting() + " points: " + what
                        + " (expected the library file, or a folder holding " + String.join(" or ", lib.fileNames())
                        + "); the automatic search is off while it is set");
    }

    private static String wheelGlob(Library lib) {
        return "lib/python3.*/site-packages/nvidia/" + lib.wheelPackage() + "/lib";
    }

    /** {@code root/lib/python3.*}{@code /site-packages} and {@code dist-packages}, newest Python first. */
    private static List<Path> sitePackages(Path root) {
        List<Path> out = new ArrayList<>();
        List<Path> pythons = new ArrayList<>(list(root.resolve("lib")).stream()
                .filter(p -> p.getFileName().toString().startsWith("python3")).toList());
        pythons.sort(Comparator.comparing((Path p) -> pythonMinor(p.getFileName().toString())).reversed());
        for (Path py : pythons) {
            for (String sp : new String[] {"site-packages", "dist-packages"}) {
                Path d = py.resolve(sp);
                if (Files.isDirectory(d)) out.add(d);
            }
        }
        return out;
    }

    private static int pythonMinor(String dirName) {
        try {
            return Integer.parseInt(dirName.substring("python3.".length()));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** The entries of a folder, sorted by name; empty when it is not a readable folder. */
    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
