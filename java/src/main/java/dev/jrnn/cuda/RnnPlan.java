package dev.jrnn.cuda;

import dev.jrnn.backend.RnnSpec;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The cuDNN side of one recurrent layer shape at one (batch, steps): the descriptors every call
 * takes, the sizes of cuDNN's weight, work and reserve spaces, and where each canonical parameter
 * lives in cuDNN's weight space (from {@code cudnnGetRNNWeightParams}).
 *
 * <p>Canonical layout (RnnSpec): {@code W (G*H, F)}, {@code R (G*H, H)}, then {@code b (G*H)}
 * (LSTM, one bias per gate: cuDNN's input bias, its recurrent bias held at 0) or
 * {@code bW (G*H), bR (G*H)} (GRU, double bias); gates in cuDNN's
 * order (LSTM i, f, g, o; GRU r, z, n); a stack's layers one after another (RnnSpec#layerOffset),
 * a bidirectional layer's forward direction's block then its reverse direction's
 * (RnnSpec#directionOffset). cuDNN's {@code linLayerID} for each {@code pseudoLayer} (layer
 * {@code l} direction {@code d} is pseudo-layer {@code l * directions + d}):
 * {@code 0..G-1} are the input matrices W_g with their input biases, {@code G..2G-1} the
 * recurrent matrices R_g with their recurrent biases (cuDNN's documentation of
 * cudnnGetRNNWeightParams; the same numbering PyTorch and ONNX Runtime map to). Each matrix is a
 * row-major (H, F) or (H, H) block, so a gate's rows of W or R copy over as one piece.
 *
 * <p>Sequence lengths change from batch to batch, so they are not part of the plan's key: before
 * each cuDNN call the engine sets them ({@link #useLengths}), which re-sets the two data
 * descriptors, rewrites the device lengths and re-queries the space sizes only when they differ
 * from the plan's current ones.
 */
final class RnnPlan implements AutoCloseable {

    /** What a plan is built for. */
    record Key(RnnSpec.Cell cell, int inputSize, int units, int layers, boolean bidirectional, int batch, int steps, int algo) {
        static Key of(RnnSpec spec, int batch, int steps, int algo) {
            return new Key(spec.cell(), spec.inputSize(), spec.units(), spec.layers(), spec.bidirectional(), batch, steps, algo);
        }

        @Override
        public String toString() {
            return cell + "(F " + inputSize + ", H " + units + (layers == 1 ? "" : ", " + layers + " layers")
                    + (bidirectional ? ", bidirectional" : "") + ") batch "
                    + batch + " steps " + steps + (algo == CudnnLibrary.CUDNN_RNN_ALGO_STANDARD ? "" : ", " + algoName(algo));
        }
    }

    /** The cuDNN RNN algorithms {@code -Djrnn.cuda.rnnAlgo} can name. */
    static final int[] ALGORITHMS = {CudnnLibrary.CUDNN_RNN_ALGO_STANDARD, CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC,
            CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H};

    /** The {@code -Djrnn.cuda.rnnAlgo} name of a cuDNN RNN algorithm. */
    static String algoName(int algo) {
        return switch (algo) {
            case CudnnLibrary.CUDNN_RNN_ALGO_STANDARD -> "standard";
            case CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC -> "persist-static";
            case CudnnLibrary.CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H -> "persist-static-small-h";
            default -> "algorithm " + algo;
        };
    }

    /** {@code length} floats at canonical offset {@code canonical} sit at float {@code weightSpace} of cuDNN's space. */
    record Segment(int canonical, long weightSpace, int length) {}

    final Key key;
    final int paramCount;
    final MemorySegment rnn, xDesc, yDesc, hDesc;
    final long weightSpaceBytes;
    /** cuDNN's work and reserve spaces for training, for the lengths set now ({@link #useLengths}). */
    long workBytes, reserveBytes;
    /** cuDNN's workspace for {@code CUDNN_FWD_MODE_INFERENCE} (which needs no reserve), likewise. */
    long inferenceWorkBytes;
    final List<Segment> segments;
    /**
     * Pieces of cuDNN's weight space with no canonical parameter, kept at zero: an LSTM's recurrent
     * biases (cuDNN gets LSTMs with two biases, as from PyTorch; jrnn's LSTM has one, as Keras').
     */
    final List<Segment> unmapped;
    /** cuDNN's RNN algorithm: {@code CUDNN_RNN_ALGO_STANDARD}, {@code _PERSIST_STATIC} or {@code _PERSIST_STATIC_SMALL_H}. */
    final int algo;
    /** Whether cuDNN's weight space is exactly the canonical layout, so the canonical buffers can be passed as is. */
    final boolean identity;
    /**
     * (B) int32, the lengths the data descriptors hold now: cuDNN's {@code devSeqLengths}, which it
     * reads from device memory (asynchronously, so rewritten in stream order only).
     */
    final DeviceArena.Block seqLengths;
    /** The lengths the data descriptors and {@link #seqLengths} hold now: null for every sequence T steps long. */
    private int[] lengths;
    /** False after a failure to set them: the next {@link #useLengths} sets everything again. */
    private boolean lengthsSet;
    /**
     * A {@code jrnn_segments} table zeroing the padding of a batch-major (B, T, F) dx for the
     * lengths set now: one row per sequence shorter than T ({@link #padRows} of them, the longest
     * {@link #padLongest} floats). NB: cuDNN documents its padding fill for "the RNN output", which
     * y is; whether backward data's dx counts is not said, so the engine zeroes dx's padding itself.
     */
    final DeviceArena.Block padTable;
    int padRows, padLongest;
    private final int batch, steps;
    private final RnnSpec spec;
    private final MemorySegment handle;
    private final CudaDevice device;
    /**
     * The same mapping as one device block of {@code jrnn_segments} tables (rows {from, to, length,
     * mode}): first the pack table, canonical weights into cuDNN's layout ({@link #tableRows} rows),
     * then rows zeroing every float of the weight space no canonical parameter maps to (the
     * unmapped pieces and any padding; {@link #packZeroRows} rows in all), then the grad table,
     * cuDNN's gradients added into the canonical ones ({@link #tableRows} rows).
     */
    private final DeviceArena.Block tables;
    /** Rows of the pack and grad tables, of the pack table with its zeroing rows, and the longest row's length. */
    final int tableRows, packZeroRows, longestSegment;
    private final CudnnLibrary cudnn;
    private final DeviceArena arena;

    RnnPlan(RnnEngine engine, CudaDevice device, RnnSpec spec, int batch, int steps, int algo) {
        this.key = Key.of(spec, batch, steps, algo);
        this.algo = algo;
        this.paramCount = spec.paramCount();
        this.cudnn = engine.cudnn;
        this.arena = device.arena;
        this.device = device;
        this.spec = spec;
        this.batch = batch;
        this.steps = steps;
        MemorySegment handle = engine.handle;
        this.handle = handle;
        rnn = cudnn.createRnnDescriptor();
        MemorySegment x = null, y = null, h = null;
        try {   // NB: a failure to create one destroys those made before it
            x = cudnn.createRnnDataDescriptor();
            y = cudnn.createRnnDataDescriptor();
            h = cudnn.createTensorDescriptor();
        } catch (RuntimeException e) {
            if (y != null) cudnn.destroyRnnDataDescriptor(y);
            if (x != null) cudnn.destroyRnnDataDescriptor(x);
            cudnn.destroyRnnDescriptor(rnn);
            throw e;
        }
        xDesc = x;
        yDesc = y;
        hDesc = h;
        DeviceArena.Block lengths = null;
        DeviceArena.Block table = null, pads = null;
        try {
            boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
            // NB: double bias for both cells under every algorithm, as PyTorch runs cuDNN; the
            // LSTM's one (Keras) bias goes in as the input bias, its recurrent bias is held at 0
            // NB: both directions in one descriptor (CUDNN_BIDIRECTIONAL): one cuDNN call runs them
            cudnn.setRnn(rnn, algo, lstm ? CudnnLibrary.CUDNN_LSTM : CudnnLibrary.CUDNN_GRU, CudnnLibrary.CUDNN_RNN_DOUBLE_BIAS,
                    spec.inputSize(), spec.units(), spec.layers(), spec.bidirectional(), engine.noDropout);
            // (layers * directions, B, H); also the cell state's shape
            cudnn.setTensor(hDesc, spec.stateLayers(), batch, spec.units());
            weightSpaceBytes = cudnn.weightSpaceSize(handle, rnn);
            setDataDescriptors(null);
            List<Segment> free = new ArrayList<>();
            segments = mapWeights(handle, spec, lstm, free);
            unmapped = List.copyOf(free);
            check(segments, unmapped, weightSpaceBytes, paramCount, key);
            identity = unmapped.isEmpty() && isIdentity(segments, weightSpaceBytes, paramCount);
            // NB: tables also for the canonical layout: the copy path can be forced (-Djrnn.cuda.weights=copy)
            List<long[]> zeros = gaps(segments, weightSpaceBytes / 4);   // the unmapped pieces and any padding
            tableRows = segments.size();
            packZeroRows = tableRows + zeros.size();
            int longest = 0;
            int[] rows = new int[4 * (packZeroRows + tableRows)];
            for (int i = 0; i < tableRows; i++) {
                Segment g = segments.get(i);
                row(rows, i, g.canonical(), g.weightSpace(), g.length(), 0);
                row(rows, packZeroRows + i, g.weightSpace(), g.canonical(), g.length(), 1);
                longest = Math.max(longest, g.length());
            }
            for (int i = 0; i < zeros.size(); i++) {
                row(rows, tableRows + i, 0, zeros.get(i)[0], Math.toIntExact(zeros.get(i)[1]), 2);
                longest = Math.max(longest, (int) zeros.get(i)[1]);
            }
            longestSegment = longest;
            table = arena.allocate(4L * rows.length);
            device.writeInts(rows, table);
            tables = table;
            lengths = arena.allocate(4L * batch);
            device.fillInt(lengths.pointer(0), steps, batch);
            seqLengths = lengths;
            pads = arena.allocate(16L * batch);
            padTable = pads;
            this.lengths = null;
            lengthsSet = true;
        } catch (RuntimeException e) {
            if (pads != null) arena.release(pads);
            if (lengths != null) arena.release(lengths);
            if (table != null) arena.release(table);
            destroyDescriptors();
            throw e;
        }
    }

    /**
     * Sets the data descriptors ({@code seqLengthArray}, with a padding fill of 0) for
     * {@code lengths} (null: every sequence T steps) and queries cuDNN's work and reserve sizes for
     * them, as {@code cudnnGetRNNTempSpaceSizes} takes xDesc.
     */
    private void setDataDescriptors(int[] lengths) {
        cudnn.setRnnData(xDesc, steps, batch, spec.inputSize(), lengths);
        cudnn.setRnnData(yDesc, steps, batch, spec.outputSize(), lengths);   // y: (T, B, directions * H)
        long[] temp = cudnn.tempSpaceSizes(handle, rnn, CudnnLibrary.CUDNN_FWD_MODE_TRAINING, xDesc);
        workBytes = temp[0];
        reserveBytes = temp[1];
        inferenceWorkBytes = cudnn.tempSpaceSizes(handle, rnn, CudnnLibrary.CUDNN_FWD_MODE_INFERENCE, xDesc)[0];
    }

    /**
     * Makes the descriptors, the device lengths and the space sizes describe {@code lengths} (B
     * lengths in [1, T], or null for every sequence T steps), before a cuDNN call on this plan: a
     * no-op when they already do. The device lengths are rewritten in stream order, after any call
     * queued before that still reads them.
     */
    void useLengths(int[] lengths) {
        int[] want = RnnSpec.fullLength(lengths, steps) ? null : lengths;
        if (lengthsSet && java.util.Arrays.equals(want, this.lengths)) return;
        lengthsSet = false;   // NB: should a call below fail, the next use sets everything again
        setDataDescriptors(want);
        padRows = padLongest = 0;
        if (want == null) {
            device.fillInt(seqLengths.pointer(0), steps, batch);
        } else {
            device.writeInts(want, seqLengths);
            Padding pad = Padding.of(want, steps, spec.inputSize());
            padRows = pad.rows();
            padLongest = pad.longest();
            device.writeInts(pad.table(), padTable);
        }
        this.lengths = want == null ? null : want.clone();
        lengthsSet = true;
    }

    /**
     * A {@code jrnn_segments} table that zeroes the padding of a batch-major (B, T, W) sequence:
     * one row (mode 2) per sequence shorter than T, covering its steps from its length on.
     *
     * @param table   {@code 4 * rows} ints
     * @param rows    sequences shorter than T
     * @param longest the longest row, in floats
     */
    record Padding(int[] table, int rows, int longest) {
        static Padding of(int[] lengths, int steps, int width) {
            int[] rows = new int[4 * lengths.length];
            int n = 0, longest = 0;
            for (int b = 0; b < lengths.length; b++) {
                if (lengths[b] == steps) continue;
                int count = (steps - lengths[b]) * width;
                row(rows, n++, 0, ((long) b * steps + lengths[b]) * width, count, 2);
                longest = Math.max(longest, count);
            }
            return new Padding(java.util.Arrays.copyOf(rows, 4 * n), n, longest);
        }
    }

    private static void row(int[] table, int i, long from, long to, int length, int mode) {
        table[4 * i] = Math.toIntExact(from);
        table[4 * i + 1] = Math.toIntExact(to);
        table[4 * i + 2] = length;
        table[4 * i + 3] = mode;
    }

    /** Device address of the pack table (with its zeroing rows after the first {@link #tableRows}). */
    long packTable() {
        return tables.address();
    }

    /** Device address of the grad table. */
    long gradTable() {
        return tables.address() + 16L * packZeroRows;
    }

    /** The pieces {offset, length} of [0, floats) that no segment covers, in order. */
    static List<long[]> gaps(List<Segment> segments, long floats) {
        List<Segment> byWs = new ArrayList<>(segments);
        byWs.sort(Comparator.comparingLong(Segment::weightSpace));
        List<long[]> out = new ArrayList<>();
        long at = 0;
        for (Segment g : byWs) {
            if (g.weightSpace() > at) out.add(new long[] {at, g.weightSpace() - at});
            at = Math.max(at, g.weightSpace() + g.length());
        }
        if (floats > at) out.add(new long[] {at, floats - at});
        return out;
    }

    /** Asks cuDNN where each matrix and bias lives, and checks the answer covers the canonical layout once. */
    private List<Segment> mapWeights(MemorySegment handle, RnnSpec spec, boolean lstm, List<Segment> unmapped) {
        int G = spec.gates(), H = spec.units(), GH = spec.gateWidth();
        List<Segment> out = new ArrayList<>();
        DeviceArena.Block probe = arena.allocate(Math.max(1, weightSpaceBytes));
        MemorySegment mDesc = cudnn.createTensorDescriptor(), bDesc = cudnn.createTensorDescriptor();
        try {
            long base = probe.address();
            // cuDNN's pseudoLayer: layer * directions + direction (cudnnGetRNNWeightParams: in a
            // bidirectional RNN pseudoLayer 0 is the input layer's forward direction, 1 its backward
            // direction, 2 the first hidden layer's forward direction, ...); canonical: the layer's
            // block (RnnSpec#layerOffset), in it the direction's (RnnSpec#directionOffset)
            for (int pseudo = 0; pseudo < spec.stateLayers(); pseudo++) {
                int layer = pseudo / spec.directions(), direction = pseudo % spec.directions();
                RnnSpec one = spec.layer(layer);
                int F = one.inputSize(), at = spec.layerOffset(layer) + one.directionOffset(direction);
                int[] lstmBias = new int[G];
                for (int id = 0; id < 2 * G; id++) {
                    boolean input = id < G;
                    int g = input ? id : id - G, cols = input ? F : H;
                    long[] addr = cudnn.weightParams(handle, rnn, weightSpaceBytes, base, pseudo, id, mDesc, bDesc);
                    String where = key + (spec.layers() == 1 ? "" : " layer " + layer)
                            + (spec.bidirectional() ? " direction " + direction : "") + " linLayerID " + id
                            + " (" + (input ? "W" : "R") + " gate " + g + ")";
                    out.add(segment(addr[0], base, at + (input ? one.offsetW() + g * H * F : one.offsetR() + g * H * H),
                            H * cols, cudnn.tensorDims(mDesc), where + " matrix"));
                    if (addr[1] == 0) continue;
                    int canonical;
                    if (lstm && !input) {   // the LSTM's one bias is the input bias; this one stays 0
                        unmapped.add(segment(addr[1], base, -1, H, cudnn.tensorDims(bDesc), where + " recurrent bias"));
                        continue;
                    }
                    if (lstm) {
                        if (lstmBias[g]++ > 0) throw layout(where + ": a second input bias for an LSTM gate");
                        canonical = at + one.offsetBias() + g * H;
                    } else {
                        canonical = at + one.offsetBias() + (input ? 0 : GH) + g * H;
                    }
                    out.add(segment(addr[1], base, canonical, H, cudnn.tensorDims(bDesc), where + " bias"));
                }
                if (lstm) {
                    for (int g = 0; g < G; g++) {
                        if (lstmBias[g] != 1) throw layout(key + ": no bias found for LSTM gate " + g + " of pseudo-layer " + pseudo);
                    }
                }
            }
        } finally {
            cudnn.destroyTensorDescriptor(mDesc);
            cudnn.destroyTensorDescriptor(bDesc);
            arena.release(probe);
        }
        return List.copyOf(out);
    }

    private static Segment segment(long addr, long base, int canonical, int expected, int[] dims, String where) {
        long bytes = addr - base;
        if (addr == 0 || bytes < 0 || bytes % 4 != 0) {
            throw layout(where + " at byte " + bytes + " of the weight space (expected a float offset >= 0)");
        }
        long numel = 1;
        for (int d : dims) numel *= d;
        if (numel != expected) {
            throw layout(where + " has shape " + Arrays.toString(dims) + " = " + numel + " floats, expected " + expected);
        }
        return new Segment(canonical, bytes / 4, expected);
    }

    /**
     * Every segment inside the weight space, none overlapping (nor any unmapped piece), the
     * segments together exactly the canonical parameters.
     */
    static void check(List<Segment> segments, List<Segment> unmapped, long weightSpaceBytes, int paramCount, Object key) {
        long total = 0;
        List<Segment> byWs = new ArrayList<>(segments);
        byWs.addAll(unmapped);
        byWs.sort(Comparator.comparingLong(Segment::weightSpace));
        long end = 0;
        for (Segment s : byWs) {
            if (s.weightSpace() < end) throw layout(key + ": weight-space pieces overlap at float " + s.weightSpace());
            end = s.weightSpace() + s.length();
            if (s.canonical() >= 0) total += s.length();
        }
        if (end * 4 > weightSpaceBytes) {
            throw layout(key + ": pieces end at byte " + end * 4 + ", beyond the weight space of " + weightSpaceBytes);
        }
        List<Segment> byCanon = new ArrayList<>(segments);
        byCanon.sort(Comparator.comparingInt(Segment::canonical));
        long next = 0;
        for (Segment s : byCanon) {
            if (s.canonical() != next) throw layout(key + ": canonical parameters not covered once at " + next);
            next += s.length();
        }
        if (total != paramCount || next != paramCount) {
            throw layout(key + ": pieces hold " + total + " floats, the layer has " + paramCount);
        }
    }

    static boolean isIdentity(List<Segment> segments, long weightSpaceBytes, int paramCount) {
        if (weightSpaceBytes != 4L * paramCount) return false;
        for (Segment s : segments) if (s.canonical() != s.weightSpace()) return false;
        return true;
    }

    private static IllegalStateException layout(String what) {
        return new IllegalStateException("unexpected cuDNN RNN weight layout: " + what);
    }

    private void destroyDescriptors() {
        cudnn.destroyTensorDescriptor(hDesc);
        cudnn.destroyRnnDataDescriptor(yDesc);
        cudnn.destroyRnnDataDescriptor(xDesc);
        cudnn.destroyRnnDescriptor(rnn);
    }

    @Override
    public void close() {
        arena.release(padTable);
        arena.release(seqLengths);
        arena.release(tables);
        destroyDescriptors();
    }
}
