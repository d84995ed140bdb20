package dev.jrnn.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;
import com.google.gson.JsonObject;
import dev.jrnn.backend.Backend;
import dev.jrnn.data.Dataset;
import dev.jrnn.data.Datasets;
import dev.jrnn.data.IdxReader;
import dev.jrnn.data.Preprocess;
import dev.jrnn.io.Checkpoint;
import dev.jrnn.nn.Sequential;
import dev.jrnn.train.TrainConfig;
import dev.jrnn.train.Trainer;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jrnn predict}: class probabilities of one image from an IDX file or a PNG. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print the top-k classes of one image: a PNG (grayscale, rows x cols = the model's steps x features,"
                + " e.g. 28x28) or an IDX images file with --index.")
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "A jrnn checkpoint (safetensors).")
    Path checkpoint;

    @Option(names = "--image", required = true, paramLabel = "IDX_OR_PNG",
            description = "A PNG, or an IDX images file (raw or gzip) such as t10k-images-idx3-ubyte.gz.")
    Path image;

    @Option(names = "--index", defaultValue = "0", description = "Which image of an IDX file (default: ${DEFAULT-VALUE}).")
    int index;

    @Option(names = "--top", defaultValue = "3", description = "How many classes to print (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--invert", description = "Use 255 - pixel (for dark-on-light drawings; MNIST is light on dark).")
    boolean invert;

    @Option(names = "--json", description = "Print JSON: every class probability and the top k (a NaN or infinite"
            + " probability, from non-finite weights, is null).")
    boolean json;

    @Mixin
    BackendOptions backendOptions;

    static final List<String> FASHION = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot");

    @Override
    public Integer call() throws IOException {
        if (top <= 0) throw new IllegalArgumentException("--top must be positive, found " + top);
        PrintWriter out = spec.commandLine().getOut();
        Checkpoint c = Checkpoint.load(checkpoint);
        Sequential m = c.model();
        int rows = m.inputShape().dim(0), cols = m.inputShape().dim(1);
        if (Files.isDirectory(image)) {
            throw new IOException("--image " + image + " is a directory; expected a PNG or an IDX images file");
        }
        if (!Files.exists(image)) {
            throw new java.nio.file.NoSuchFileException(image.toString(), null, "no such file; expected a PNG (--image"
                    + " digit.png) or an IDX images file (--image t10k-images-idx3-ubyte.gz --index 0)");
        }
        int[] pixels = isPng(image) ? readPng(image, rows, cols) : readIdx(image, index, rows, cols);
        Preprocess pre = c.training() != null ? c.training().data().preprocess() : Preprocess.SCALE;
        float[] x = new float[rows * cols];                       // (1, T, F)
        for (int i = 0; i < x.length; i++) x[i] = pre.apply(invert ? 255 - pixels[i] : pixels[i]);
        String dataset = c.training() != null ? c.training().data().dataset() : "";
        int[] lengths = null;                                     // (1) for a model trained on trimmed images
        if (dataset.endsWith(Datasets.TRIMMED)) {
            Dataset one = Datasets.trimBlankRows(new Dataset("image", x, new int[1], rows, cols, 1), "image",
                    Preprocess.DEFAULT_THRESHOLD);
            x = one.x();
            lengths = one.lengths();
        }
        float[] p;
        try (Backend be = backendOptions.create(new PrintWriter(java.io.Writer.nullWriter()));
             Trainer t = new Trainer(m, be, TrainConfig.defaults().withBatchSize(1))) {
            t.network().setParameters(c.params());
            p = lengths == null ? t.predict(x, 1) : t.predict(x, lengths, 1);   // (1, C)
        }
        boolean finite = true;
        for (float v : p) finite &= Float.isFinite(v);
        if (!finite) {
            spec.commandLine().getErr().println("jrnn: the model's output is not finite (NaN or Inf): " + checkpoint
                    + " holds non-finite weights, or the input overflowed them" + (json ? "; such values are null in the JSON" : ""));
            spec.commandLine().getErr().flush();
        }
        int k = Math.min(top, p.length);
        int[] order = IntStream.range(0, p.length).boxed().sorted(Comparator.comparingDouble((Integer i) -> -p[i]))
                .mapToInt(Integer::intValue).limit(k).toArray();
        String what = isPng(image) ? image.toString() : image + "[" + index + "]";
        if (json) {
            JsonObject o = new JsonObject();
            o.addProperty("image", what);
            o.addProperty("model", m.shortName());
            JsonArray probs = new JsonArray();
            for (float v : p) probs.add(jsonNumber(v));
            o.add("probabilities", probs);
            JsonArray tops = new JsonArray();
            for (int i : order) {
                JsonObject e = new JsonObject();
                e.addProperty("class", i);
                e.addProperty("name", className(dataset, i));
                e.add("probability", jsonNumber(p[i]));
                tops.add(e);
            }
            o.add("top", tops);
            out.println(new GsonBuilder().serializeNulls().create().toJson(o));
        } else {
            out.printf(Locale.ROOT, "%s, model %s:%n", what, m.shortName());
            for (int r = 0; r < k; r++) {
                int i = order[r];
                out.printf(Locale.ROOT, "  %d. class %d %-12s %.4f%n", r + 1, i, className(dataset, i), p[i]);
            }
        }
        out.flush();
        return 0;
    }

    /** A JSON number, or null for NaN and Inf, which JSON cannot hold (Gson would print a bare NaN). */
    static JsonElement jsonNumber(float v) {
        return Float.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    static String className(String dataset, int i) {
        return dataset.startsWith("fashion-mnist") && i < FASHION.size() ? FASHION.get(i) : Integer.toString(i);
    }

    private static boolean isPng(Path f) throws IOException {
        byte[] magic = new byte[8];
        try (InputStream in = Files.newInputStream(f)) {
            return in.readNBytes(magic, 0, 8) == 8
                    && Arrays.equals(magic, new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        }
    }

    /**
     * Gray levels 0..255 of a rows x cols PNG; colour is reduced to luma (ITU-R BT.601).
     *
     * @throws IOException naming the file, for a damaged or truncated PNG (and anything ImageIO
     *                     throws on one)
     * @throws IllegalArgumentException for a PNG of another size
     */
    static int[] readPng(Path f, int rows, int cols) throws IOException {
        return readPng(Files.readAllBytes(f), f, rows, cols);
    }

    /** {@link #readPng(Path, int, int)} of bytes in memory; {@code f} only names them in errors. */
    static int[] readPng(byte[] bytes, Path f, int rows, int cols) throws IOException {
        BufferedImage img;
        try (javax.imageio.stream.ImageInputStream in = new javax.imageio.stream.MemoryCacheImageInputStream(
                new java.io.ByteArrayInputStream(bytes))) {
            java.util.Iterator<javax.imageio.ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
            if (!readers.hasNext()) throw new IOException(f + ": this Java has no PNG reader (javax.imageio)");
            javax.imageio.ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                // NB: the size first, from the header alone: a PNG claiming 2^31 x 2^31 pixels must not
                // make ImageIO allocate them
                int w = reader.getWidth(0), h = reader.getHeight(0);
                if (h != rows || w != cols) {
                    throw new IllegalArgumentException(f + ": expected a " + cols + "x" + rows + " image (width x height,"
                            + " the model's features x steps), found " + w + "x" + h);
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (javax.imageio.IIOException e) {
            throw new IOException(f + ": a damaged or truncated PNG (" + pngProblem(e) + "); expected a complete "
                    + cols + "x" + rows + " PNG: export the image again", e);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException && e.getMessage() != null && e.getMessage().startsWith(f + ":")) throw e;
            throw new IOException(f + ": a damaged PNG (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); expected a complete " + cols + "x" + rows
                    + " PNG: export the image again", e);
        }
        if (img == null) throw new IOException(f + ": not a readable PNG");
        int[] g = new int[rows * cols];
        // NB: read gray samples from the raster; getRGB() on a gray image applies a colour-space conversion.
        boolean gray = img.getRaster().getNumBands() <= 2 && img.getColorModel().getNumColorComponents() == 1;
        int bits = img.getColorModel().getComponentSize(0);
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                if (gray) {
                    int v = img.getRaster().getSample(x, y, 0);
                    g[y * cols + x] = bits == 8 ? v : Math.round(v * 255f / ((1 << bits) - 1));
                } else {
                    int rgb = img.getRGB(x, y);
                    int r = (rgb >> 16) & 0xff, gr = (rgb >> 8) & 0xff, b = rgb & 0xff;
                    g[y * cols + x] = Math.round(0.299f * r + 0.587f * gr + 0.114f * b);
                }
            }
        }
        return g;
    }

    /** ImageIO's message and the cause it wraps (e.g. "Error reading PNG image data: Unexpected end of ZLIB input stream"). */
    private static String pngProblem(javax.imageio.IIOException e) {
        String m = e.getMessage() == null ? "unreadable" : e.getMessage();
        Throwable c = e.getCause();
        if (c != null && c.getMessage() != null && !m.contains(c.getMessage())) m += ": " + c.getMessage();
        else if (c instanceof java.io.EOFException) m += ": the file ends early";
        return m;
    }

    static int[] readIdx(Path f, int index, int rows, int cols) throws IOException {
        IdxReader.Images img = IdxReader.readImages(f);
        if (img.rows() != rows || img.cols() != cols) {
            throw new IllegalArgumentException(f + ": expected " + rows + "x" + cols + " images for this model, found "
                    + img.rows() + "x" + img.cols());
        }
        if (index < 0 || index >= img.count()) {
            throw new IllegalArgumentException("--index must be in [0, " + img.count() + ") for " + f + ", found " + index);
        }
        int[] g = new int[rows * cols];
        for (int i = 0; i < g.length; i++) g[i] = img.pixels()[index * rows * cols + i] & 0xff;
        return g;
    }
}
