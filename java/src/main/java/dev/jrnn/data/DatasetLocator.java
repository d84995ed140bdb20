package dev.jrnn.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Finds a dataset's files on disk, downloading them when they are nowhere to be found.
 *
 * <p>Resolution for dataset {@code <name>} and one split (its images and labels file):
 * <ol>
 *   <li>If an explicit data directory is given ({@code --data-dir}), only it is used: the files
 *       must be directly in it, and missing ones are downloaded into it.</li>
 *   <li>Otherwise the first of {@code $JRNN_DATA/<name>}, {@code ~/.cache/jrnn/<name>} and
 *       {@code /usr/share/datasets/<name>} that holds both files of the split.</li>
 *   <li>Otherwise the split's missing files are downloaded into {@code $JRNN_DATA/<name>} when
 *       {@code JRNN_DATA} is set, else into {@code ~/.cache/jrnn/<name>}.</li>
 * </ol>
 * A file may be present compressed ({@code train-images-idx3-ubyte.gz}) or raw
 * ({@code train-images-idx3-ubyte}); the compressed one is preferred. Files found on disk are not
 * hashed (repackaged copies such as Debian's differ in their gzip header); they are checked as IDX
 * when read. Downloads are always verified by SHA-256.
 */
public final class DatasetLocator {

    private static final Logger LOG = Logger.getLogger(DatasetLocator.class.getName());

    /**
     * The directories searched, injectable so that tests need not touch the real home directory
     * or environment. Each of {@code jrnnData}, {@code userCache}, {@code system} is a parent
     * holding one sub-directory per dataset.
     *
     * @param dataDir   explicit directory holding the files themselves, or null
     * @param jrnnData  value of {@code $JRNN_DATA}, or null when unset
     * @param userCache {@code ~/.cache/jrnn}
     * @param system    {@code /usr/share/datasets}
     */
    public record Roots(Path dataDir, Path jrnnData, Path userCache, Path system) {

        /**
         * Checks that the always-searched roots are given.
         *
         * @throws NullPointerException if {@code userCache} or {@code system} is null
         */
        public Roots {
            java.util.Objects.requireNonNull(userCache, "userCache");
            java.util.Objects.requireNonNull(system, "system");
        }

        /**
         * The standard roots: {@code dataDir} as given, {@code $JRNN_DATA} from the environment,
         * {@code ~/.cache/jrnn} under {@code user.home}, and {@code /usr/share/datasets}.
         *
         * @param dataDir explicit directory holding the files, or null
         * @return the roots of this machine and user
         */
        public static Roots defaults(Path dataDir) {
            String env = System.getenv("JRNN_DATA");
            Path jrnnData = env == null || env.isBlank() ? null : Path.of(env);
            Path cache = Path.of(System.getProperty("user.home"), ".cache", "jrnn");
            return new Roots(dataDir, jrnnData, cache, Path.of("/usr/share/datasets"));
        }

        /**
         * Lists the directories searched for a dataset, in order.
         *
         * @param name the dataset's directory name, e.g. {@code fashion-mnist}
         * @return {@code [dataDir]} when it is set, else {@code $JRNN_DATA/name} (if set),
         *         {@code userCache/name} and {@code system/name}
         */
        public List<Path> searchDirs(String name) {
            if (dataDir != null) {
                return List.of(dataDir);
            }
            List<Path> dirs = new ArrayList<>();
            if (jrnnData != null) {
                dirs.add(jrnnData.resolve(name));
            }
            dirs.add(userCache.resolve(name));
            dirs.add(system.resolve(name));
            return dirs;
        }

        /**
         * Says where missing files of a dataset are downloaded to.
         *
         * @param name the dataset's directory name, e.g. {@code fashion-mnist}
         * @return {@code dataDir} when it is set, else {@code $JRNN_DATA/name} when that is set,
         *         else {@code userCache/name}
         */
        public Path downloadDir(String name) {
            if (dataDir != null) {
                return dataDir;
            }
            return (jrnnData != null ? jrnnData : userCache).resolve(name);
        }
    }

    /**
     * The two files of one split.
     *
     * @param images IDX file of (N, rows, cols) unsigned bytes
     * @param labels IDX file of (N) unsigned bytes
     */
    public record SplitFiles(Path images, Path labels) {
    }

    private final Roots roots;
    private final Downloader downloader;

    /**
     * Creates a locator over the given directories.
     *
     * @param roots      the directories to search
     * @param downloader fetches missing files, or null to never download (a missing dataset is then
     *                   a {@link DatasetNotFoundException})
     * @throws NullPointerException if {@code roots} is null
     */
    public DatasetLocator(Roots roots, Downloader downloader) {
        this.roots = java.util.Objects.requireNonNull(roots, "roots");
        this.downloader = downloader;
    }

    /**
     * The standard locator: {@link Roots#defaults}, downloads allowed, progress bar on stderr.
     *
     * @param dataDir explicit directory holding the files ({@code --data-dir}), or null
     * @return a locator that searches the standard places (or only {@code dataDir}) and downloads
     *         what it does not find
     */
    public static DatasetLocator defaults(Path dataDir) {
        return new DatasetLocator(Roots.defaults(dataDir), Downloader.create(true));
    }

    /** {@return the directories this locator searches} */
    public Roots roots() {
        return roots;
    }

    /**
     * Finds, or downloads, the images and labels files of one split.
     *
     * @param spec  the dataset
     * @param split which split
     * @return paths of existing files
     * @throws DatasetNotFoundException if the files are nowhere and downloads are off
     * @throws DownloadException        if a download failed
     * @throws IOException              if the download directory cannot be written
     */
    public SplitFiles locate(DatasetSpec spec, Split split) throws IOException {
        DataFile images = spec.images(split);
        DataFile labels = spec.labels(split);
        List<Path> dirs = roots.searchDirs(spec.name());
        for (Path dir : dirs) {
            Optional<Path> i = find(dir, images);
            Optional<Path> l = find(dir, labels);
            if (i.isPresent() && l.isPresent()) {
                LOG.fine(() -> spec.name() + " " + split.label() + ": using " + dir);
                return new SplitFiles(i.get(), l.get());
            }
        }
        Path target = roots.downloadDir(spec.name());
        if (downloader == null) {
            throw new DatasetNotFoundException(spec.name() + " " + split.label() + ": " + images.name() + " and "
                    + labels.name() + " (or their uncompressed forms) were not found together in "
                    + dirs.stream().map(Path::toString).collect(Collectors.joining(", "))
                    + ", and downloading is off. Put them into " + target
                    + (roots.dataDir() == null ? " or pass --data-dir." : "."));
        }
        // NB: a file already in the target directory is kept as it is (it may be a repackaged copy
        // with another hash); only the missing one is fetched.
        Optional<Path> i = find(target, images);
        Optional<Path> l = find(target, labels);
        return new SplitFiles(i.isPresent() ? i.get() : downloader.fetch(spec.mirrors(), images, target),
                l.isPresent() ? l.get() : downloader.fetch(spec.mirrors(), labels, target));
    }

    /** {@code dir/name.gz} if it is a file, else {@code dir/name} (raw), else empty. */
    private static Optional<Path> find(Path dir, DataFile file) {
        for (String n : List.of(file.name(), file.rawName())) {
            Path p = dir.resolve(n);
            if (Files.isRegularFile(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
