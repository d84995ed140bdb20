package dev.jrnn.data;

import java.net.URI;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The datasets jrnn knows by name, with their canonical mirrors and the sizes and SHA-256 of the
 * published {@code .gz} files.
 */
public final class DatasetCatalog {

    private DatasetCatalog() {
    }

    /**
     * MNIST handwritten digits (LeCun, Cortes, Burges), 10 classes. The original site no longer
     * serves the files; these are the mirrors PyTorch and TensorFlow use.
     */
    public static final DatasetSpec MNIST = new DatasetSpec("mnist", 10,
            List.of(URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/"),
                    URI.create("https://storage.googleapis.com/cvdf-datasets/mnist/")),
            new DataFile("train-images-idx3-ubyte.gz", 9_912_422,
                    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
            new DataFile("train-labels-idx1-ubyte.gz", 28_881,
                    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
            new DataFile("t10k-images-idx3-ubyte.gz", 1_648_877,
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            new DataFile("t10k-labels-idx1-ubyte.gz", 4_542,
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"));

    /**
     * Fashion-MNIST (Zalando Research), 10 classes of clothing. The second mirror is the project's
     * GitHub repository, which holds the same files.
     *
     * <p>NB: Debian's {@code dataset-fashion-mnist} ships these files with a rewritten gzip header
     * (file name dropped, mtime reset), so its {@code .gz} files have other hashes; the compressed
     * data is byte-identical (restoring the header gives back these hashes, see
     * {@code RealDatasetsTest}). Local files are therefore checked as IDX, not by hash.
     */
    public static final DatasetSpec FASHION_MNIST = new DatasetSpec("fashion-mnist", 10,
            List.of(URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
                    URI.create("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/")),
            new DataFile("train-images-idx3-ubyte.gz", 26_421_880,
                    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            new DataFile("train-labels-idx1-ubyte.gz", 29_515,
                    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            new DataFile("t10k-images-idx3-ubyte.gz", 4_422_102,
                    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
            new DataFile("t10k-labels-idx1-ubyte.gz", 5_148,
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"));

    private static final List<DatasetSpec> ALL = List.of(MNIST, FASHION_MNIST);

    /** {@return every known dataset, in a fixed order: MNIST, then Fashion-MNIST} */
    public static List<DatasetSpec> all() {
        return ALL;
    }

    /**
     * Looks a dataset up by name.
     *
     * @param name {@code mnist} or {@code fashion-mnist}, exactly (case-sensitive)
     * @return the dataset of that name
     * @throws IllegalArgumentException if the name is unknown; the message lists the known names
     */
    public static DatasetSpec get(String name) {
        for (DatasetSpec s : ALL) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown dataset '" + name + "': expected one of "
                + ALL.stream().map(DatasetSpec::name).collect(Collectors.joining(", ")));
    }
}
