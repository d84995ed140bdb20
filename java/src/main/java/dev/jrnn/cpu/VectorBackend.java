package dev.jrnn.cpu;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Philox;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;
import java.util.Arrays;
import java.util.function.IntConsumer;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast CPU backend: float32, {@code jdk.incubator.vector} kernels, the batch split over a
 * fixed number of threads.
 *
 * <p>Determinism: the batch is cut into {@code threads} contiguous chunks (chunk {@code c} is
 * rows {@code [c*B/n, (c+1)*B/n)}), each chunk always runs the same code on the same rows, and
 * per-chunk weight gradients are added into {@code dParams} in chunk order; nothing uses
 * atomics or unordered reductions. So a given thread count gives bit-identical results on
 * every run. Everything but the RNN weight gradients (y, dx, dense products, losses, masks) is
 * also independent of the thread count, and of vectorisation being on.
 *
 * <p>RNN forward, per chunk and timestep, on blocks of 6 rows (one GEMM register block): the
 * gate pre-activations are {@code x(t) W^T + b + h(t-1) R^T}, two GEMMs on the rows where they
 * lie (x in X, h in y), the bias going in as the first one's last k step (for GRU the n gate's
 * {@code R_n h + b_Rn} is kept apart); every gate sums the terms in the order of the one GEMM
 * {@code [x(t) | 1 | h(t-1) | 1] (rows, F+H+2) x [W^T; b; R^T; b'] (F+H+2, G*H)} that the packed
 * path (lengths, the reverse direction) runs on copied rows. Then the gate nonlinearities run as
 * passes over the rows while they are in L1. Backward walks time in reverse writing the pre-activation gate
 * gradients dG (Bc, T, G*H) of the chunk, with one small GEMM per step and row block for
 * {@code dh(t-1) = dG(t) R}; after the loop three large GEMMs give
 * {@code [dW^T; db] = [X^T; 1] dG}, {@code [dR^T; db_R] = [H(t-1)^T; 1] dG} and
 * {@code dx = dG W}.
 *
 * <p>Reserve layout: each chunk keeps its rows' share of the reserve (rows [b0, b1) of
 * (B, reservePerSample(T))) time-major, step t being a (Bc, G*H + 2H) block of rows
 * [activated gates, c, act(c)] for LSTM and a (Bc, G*H + H) block [activated gates,
 * {@code R_n h + b_Rn}] for GRU. So a reserve is only meaningful to a backend with the same thread
 * count, and only for the batch size it was written with.
 *
 * <p>Per-sample lengths and the reverse direction of a bidirectional layer take a packed path
 * (the fixed-length unidirectional path above stays as it is, bit for bit): the rows are sorted by
 * length, longest first, and dealt round-robin to the tasks, so that at processing step s a
 * task's active rows (those longer than s) are a prefix of its rows, and each step runs the same
 * GEMM and gate kernels on those rows only; the reverse direction processes each sequence from its
 * last valid step down to step 0. The task's gate activations and gate gradients are packed
 * time-major (step s's rows after those of the steps before), so a batch costs its real lengths,
 * not its padding; the weight gradients are the same GEMMs over the packed rows. Each direction
 * keeps its (B, T*(G*H + H)) share of the reserve, forward first.
 *
 * <p>Vectorisation can be switched off ({@code -Djrnn.cpu.vector=false} or the constructor):
 * every op then runs the scalar loops that otherwise only handle loop tails.
 */
public final class VectorBackend extends ReserveBackend {
    private static final VectorSpecies<Float> SPECIES = VectorMath.SPECIES;
    private static final int LANES = SPECIES.length();
    /** Dropout's lanes: doubles of the preferred width, and floats and ints as many (half as wide). */
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> DFS = FloatVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(DS.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> DIS = IntVector.SPECIES_PREFERRED.withShape(DFS.vectorShape());
    /**
     * GEMMs with fewer multiply-adds run on the caller only. NB: handing work to a pool thread
     * and waiting for it costs some 20-50 us on a VM, about what 2^21 multiply-adds take.
     */
    private static final long PARALLEL_GEMM_FMAS = 1L << 21;
    /**
     * Dropout calls with fewer elements run on the caller only. NB: 2^15 (the GEMM's reasoning)
     * kept the notebook model's 256 x 32 and 256 x 64 dropouts on one thread while the other
     * waited: 4.5% of the caller's time in a 2-thread LSTM-32 training step; the pool's threads
     * spin between the calls of a step, so a hand-off costs far less than the Philox work.
     */
    private static final int PARALLEL_DROPOUT = 1 << 12;
    /**
     * Calls that touch fewer elements run on the caller only: {@code adam} (n), the loss
     * ({@code softmaxCrossEntropy}, B x C) and the sum of the RNN's per-thread gradients
     * ((F+H+2) x G*H per thread). NB: the notebook's LSTM-32 has 10,570 parameters; its Adam step
     * ran on one thread while the other waited, as did the loss and the gradient sum.
     */
    private static final int PARALLEL_ELEMENTWISE = 1 << 12;
    /** write and gatherRows calls that move fewer floats run on the caller only (a batch of 256 images moves 200,704). */
    private static final int PARALLEL_COPY = 1 << 16;
    /**
     * Batch rows per block inside an RNN step: GEMM then gate math while the rows are in L1.
     * NB: one GEMM register block (6 rows), not 8 (48): the step's right operand (62 x 128 floats
     * for LSTM-32, 94 x 256 for LSTM-64) then stays in L1 between blocks instead of being pushed
     * out by 48 rows of gates. Measured, alternating JVMs: LSTM-64 predictions 84-87k -> 96-99k
     * samples/s and training 39-41k -> 41-45k (2 threads); LSTM-32 predictions 230k -> 240k (2
     * threads), training 57.9k -> 59.9k (1 thread); GRU-32 unchanged.
     */
    private static final int ROW_BLOCK = Gemm.MR;

    private final int threads;
    private final boolean vector;
    private final WorkerPool pool;
    private final Workspace[] workspaces;                         // one per task, grow-only
    // Packed on the caller thread, then read by all tasks of the call:
    /**
     * (F+1+H+1, G*H) right operand of a step's product {@code [x | 1 | h | 1] stepB}:
     * rows [0, F) W^T, row F the input-side bias, rows [F+1, F+1+H) R^T, last row the
     * recurrent-side bias where it must stay apart (GRU b_Rn in the n columns), else 0. The
     * packed path multiplies such rows; the fixed-length path takes the blocks apart: x by W^T from
     * X's rows with the bias row as that product's last k step, then h by R^T from y's rows.
     */
    private float[] stepB = new float[0];
    private float[] packA = new float[0];                         // public gemm: alpha op(A) as (m, k)
    private float[] packB = new float[0];                         // public gemm: op(B) as (k, n)
    private double[] rowLoss = new double[0];                     // softmaxCrossEntropy: each row's loss
    private boolean[] rowHit = new boolean[0];                    // and whether its guess was right

    /** Per-task scratch, reused across calls. */
    private static final class Workspace {
        float[] xh = new float[0];      // (ROW_BLOCK, F+1+H+1) the packed path's left operand [x | 1 | h | 1] of its step product
        float[] dg = new float[0];      // (Bc, T, G*H) pre-activation gate gradients (input side)
        float[] dgn = new float[0];     // (Bc, T, H)   GRU: recurrent-side n-gate gradient r * dn
        float[] dh = new float[0];      // (Bc, H)      gradient flowing into h(t-1)
        float[] dc = new float[0];      // (Bc, H)      LSTM: gradient flowing into c(t-1)
        float[] lhs = new float[0];     // (F+1+H+1, Bc*T) [X^T; 1; H(t-1)^T; 1], columns in (Bc, T) order
        float[] part = new float[0];    // (F+1+H+1, G*H) [dW^T; db_x; dR^T; db_rec] of the chunk
        // the packed path (lengths, reverse direction); K = the chunk's sum of lengths, rows time-major
        float[] hp = new float[0];      // (K, H) packed h(t); forward
        float[] hx = new float[0];      // (Bc, H) the chunk's initial h, in the chunk's row order
        float[] cx = new float[0];      // (Bc, H) the chunk's initial c, in the chunk's row order
        int[] rowStart = new int[0];    // (Bc) where each active row's data starts (x, dy), for the kernels
        int[] hpStart = new int[0];     // (Bc) where each active row's h(t-1) starts (GRU backward)
        float[] dxp = new float[0];     // (K, F) packed dx; backward
    }

    /** {@code Runtime.availableProcessors()} threads, vectorised unless {@code -Djrnn.cpu.vector=false}. */
    public VectorBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** {@code threads} threads, vectorised unless {@code -Djrnn.cpu.vector=false}. */
    public VectorBackend(int threads) {
        this(threads, !"false".equalsIgnoreCase(System.getProperty("jrnn.cpu.vector", "true")));
    }

    /**
     * @param threads   threads that share the batch (the caller is one of them)
     * @param vectorize false runs the scalar loops everywhere (for comparison and debugging)
     */
    public VectorBackend(int threads, boolean vectorize) {
        this.pool = new WorkerPool(threads);
        this.threads = threads;
        this.vector = vectorize;
        this.workspaces = new Workspace[threads];
        for (int i = 0; i < threads; i++) workspaces[i] = new Workspace();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "cpu (" + (vector ? "Vector API, " + SPECIES.vectorBitSize() + "-bit vectors of " + LANES + " floats"
                : "scalar float loops, vectorisation off") + ", " + threads + (threads == 1 ? " thread)" : " threads)");
    }

    /** Threads that share the batch. */
    public int threads() {
        return threads;
    }

    /** Whether the Vector API kernels are on. */
    public boolean vectorized() {
        return vector;
    }

    @Override
    public void close() {
        pool.close();
    }

    // ---- memory ------------------------------------------------------------------------------

    @Override
    public FloatTensor allocate(int size) {
        if (size < 0) throw new IllegalArgumentException("tensor size must be >= 0, found " + size);
        return new FloatTensor(new float[size], 0, size);
    }

    /** Shares {@code values}: no copy (the caller keeps them unchanged while the tensor is used). */
    @Override
    public FloatTensor constant(float[] values) {
        return new FloatTensor(values, 0, values.length);
    }

    /** A tensor holding a copy of {@code values}. */
    public FloatTensor of(float... values) {
        return new FloatTensor(values.clone(), 0, values.length);
    }

    /** A copy of the tensor's contents. */
    public static float[] toArray(Tensor t) {
        return floatTensor(t).toArray();
    }

    @Override
    public void write(float[] src, int srcOffset, Tensor dst, int length) {
        FloatTensor d = floatTensorOfSize(dst, length, "write destination");
        java.util.Objects.checkFromIndexSize(srcOffset, length, src.length);
        int tasks = length < PARALLEL_COPY ? 1 : threads;
        run(tasks, task -> {
            int from = chunkStart(length, tasks, task);
            System.arraycopy(src, srcOffset + from, d.data, d.offset + from, chunkStart(length, tasks, task + 1) - from);
        });
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset, int length) {
        FloatTensor s = floatTensorOfSize(src, length, "read source");
        System.arraycopy(s.data, s.offset, dst, dstOffset, length);
    }

    @Override
    public void fill(Tensor t, float value) {
        FloatTensor d = floatTensor(t);
        Arrays.fill(d.data, d.offset, d.offset + d.size, value);
    }

    // ---- dense algebra -----------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm sizes must be >= 0, found m=" + m + " n=" + n + " k=" + k);
        }
        FloatTensor A = floatTensor(a), B = floatTensor(b), C = floatTensor(c);
        if (A.size < m * k) throw tooSmall("gemm A " + (transA ? "(k, m)" : "(m, k)") + " for m=" + m + " k=" + k, m * k, A.size);
        if (B.size < k * n) throw tooSmall("gemm B " + (transB ? "(n, k)" : "(k, n)") + " for k=" + k + " n=" + n, k * n, B.size);
        if (C.size < m * n) throw tooSmall("gemm C (m, n) for m=" + m + " n=" + n, m * n, C.size);
        float[] ad = A.data, bd = B.data;
        int aOff = A.offset, bOff = B.offset;
        if (transA || alpha != 1f) {                           // op(A) as (m, k), times alpha
            packA = grow(packA, m * k);
            if (transA) {
                Gemm.transpose(vector, k, m, A.data, A.offset, m, packA, 0, k);
            } else {
                System.arraycopy(A.data, A.offset, packA, 0, m * k);
            }
            // NB: alpha scales A rather than the sums, so the kernels stay minimal; the rounding
            // differs from alpha * (A B) by an ulp or so
            if (alpha != 1f) for (int i = 0; i < m * k; i++) packA[i] *= alpha;
            ad = packA;
            aOff = 0;
        }
        if (transB) {                                          // (n, k) -> (k, n)
            packB = grow(packB, k * n);
            Gemm.transpose(vector, n, k, B.data, B.offset, k, packB, 0, n);
            bd = packB;
            bOff = 0;
        }
        int blocks = (m + Gemm.MR - 1) / Gemm.MR;
        int tasks = (long) m * n * k < PARALLEL_GEMM_FMAS ? 1 : Math.min(threads, blocks);
        float[] fa = ad, fb = bd;
        int fao = aOff, fbo = bOff;
        run(tasks, task -> {                                   // rows split at whole register blocks
            int r0 = Math.min(m, (int) ((long) blocks * task / tasks) * Gemm.MR);
            int r1 = Math.min(m, (int) ((long) blocks * (task + 1) / tasks) * Gemm.MR);
            Gemm.gemm(vector, r1 - r0, n, k, fa, fao + r0 * k, k, fb, fbo, n,
                    C.data, C.offset + r0 * n, n, beta, null, 0);
        });
    }

    @Override
    public void biasActivation(int rows, int cols, Tensor y, Tensor bias, Activation act) {
        if (act == Activation.SOFTMAX) {
            throw new IllegalArgumentException("biasActivation takes an element-wise activation, found softmax");
        }
        FloatTensor Y = floatTensorOfSize(y, rows * cols, "biasActivation y (rows, cols)");
        FloatTensor bt = floatTensorOfSize(bias, cols, "biasActivation bias (cols)");
        float[] yd = Y.data, bd = bt.data;
        for (int r = 0; r < rows; r++) {
            int yo = Y.offset + r * cols;
            int j = 0;
            if (vector) {
                for (; j <= cols - LANES; j += LANES) {
                    FloatVector.fromArray(SPECIES, yd, yo + j).add(FloatVector.fromArray(SPECIES, bd, bt.offset + j)).intoArray(yd, yo + j);
                }
            }
            for (; j < cols; j++) yd[yo + j] += bd[bt.offset + j];
            switch (act) {
                case LINEAR -> { }
                case RELU -> VectorMath.relu(vector, 1, yd, yo, cols, yd, yo, cols, cols);
                case TANH -> VectorMath.tanh(vector, 1, yd, yo, cols, yd, yo, cols, cols);
                case SIGMOID -> VectorMath.sigmoid(vector, 1, yd, yo, cols, yd, yo, cols, cols);
                case SOFTMAX -> throw new AssertionError();
            }
        }
    }

    @Override
    public void activationBackward(int n, Activation act, Tensor y, Tensor dy) {
        if (act == Activation.SOFTMAX) {
            throw new IllegalArgumentException("activationBackward takes an element-wise activation, found softmax");
        }
        if (act == Activation.LINEAR) return;
        FloatTensor Y = floatTensorOfSize(y, n, "activationBackward y"), D = floatTensorOfSize(dy, n, "activationBackward dy");
        float[] yd = Y.data, dd = D.data;
        int yo = Y.offset, d = D.offset;
        int i = 0;
        if (vector) {
            FloatVector one = FloatVector.broadcast(SPECIES, 1f), zero = FloatVector.zero(SPECIES);
            for (; i <= n - LANES; i += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, yd, yo + i);
                FloatVector g = switch (act) {                 // act'(x) from y = act(x)
                    case RELU -> zero.blend(one, v.compare(VectorOperators.GT, 0f));
                    case TANH -> one.sub(v.mul(v));
                    default -> v.mul(one.sub(v));              // sigmoid
                };
                FloatVector.fromArray(SPECIES, dd, d + i).mul(g).intoArray(dd, d + i);
            }
        }
        for (; i < n; i++) {
            float v = yd[yo + i];
            float g = switch (act) {
                case RELU -> v > 0f ? 1f : 0f;
                case TANH -> 1f - v * v;
                default -> v * (1f - v);
            };
            dd[d + i] *= g;
        }
    }

    @Override
    public void biasGradient(int rows, int cols, Tensor dy, Tensor db) {
        FloatTensor D = floatTensorOfSize(dy, rows * cols, "biasGradient dy (rows, cols)"), B = floatTensorOfSize(db, cols, "biasGradient db (cols)");
        float[] dd = D.data, bd = B.data;
        int j = 0;
        if (vector) {
            for (; j <= cols - LANES; j += LANES) {
                FloatVector s = FloatVector.zero(SPECIES);
                for (int r = 0; r < rows; r++) s = s.add(FloatVector.fromArray(SPECIES, dd, D.offset + r * cols + j));
                FloatVector.fromArray(SPECIES, bd, B.offset + j).add(s).intoArray(bd, B.offset + j);
            }
        }
        for (; j < cols; j++) {
            float s = 0f;
            for (int r = 0; r < rows; r++) s += dd[D.offset + r * cols + j];
            bd[B.offset + j] += s;
        }
    }

    // ---- recurrent layers --------------------------------------------------------------------

    private float[] scratch = new float[0];   // the reserve of inference passes (rnnForward with reserve null)

    /** A grow-only scratch reserve for a forward pass no backward pass follows. */
    private FloatTensor inferenceScratch(int size) {
        if (scratch.length < size) scratch = new float[size];
        return new FloatTensor(scratch, 0, size);
    }

    @Override
    public void rnnForward(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, Tensor hx, Tensor cx,
                           Tensor params, Tensor y, Tensor hy, Tensor cy, Tensor reserve) {
        if (spec.layers() > 1) {
            RnnStack.forward(this, spec, batch, steps, lengths, x, hx, cx, params, y, hy, cy, reserve);
            return;
        }
        spec.checkCellStates("rnnForward", "cx", cx, "cy", cy);
        RnnSpec.checkLengths("rnnForward", batch, steps, lengths);
        if (spec.bidirectional() || !RnnSpec.fullLength(lengths, steps)) {
            packedForward(spec, batch, steps, lengths, x, hx, cx, params, y, hy, cy, reserve);
            return;
        }
        int F = spec.inputSize(), H = spec.units(), T = steps;
        FloatTensor X = floatTensorOfSize(x, batch * T * F, "rnnForward x (B, T, F)");
        FloatTensor P = floatTensorOfSize(params, spec.paramCount(), "rnnForward params of ", spec);
        FloatTensor Y = floatTensorOfSize(y, batch * T * H, "rnnForward y (B, T, H)");
        // NB: without a reserve (inference) each chunk keeps only two steps' gate blocks, used in
        // turn: step t needs step t-1's cell state only, and the blocks stay in L2
        int perSample = reserve != null ? spec.reservePerSample(T) : 2 * rowWidth(spec);
        FloatTensor R = reserve != null
                ? floatTensorOfSize(reserve, batch * spec.reservePerSample(T), "rnnForward reserve (B, reservePerSample(T))")
                : inferenceScratch(batch * perSample);
        FloatTensor HX = state(hx, batch, H, "rnnForward hx"), CX = state(cx, batch, H, "rnnForward cx");
        FloatTensor HY = state(hy, batch, H, "rnnForward hy"), CY = state(cy, batch, H, "rnnForward cy");
        if (batch == 0) return;
        if (T == 0) {                                          // no step: the final states are the initial ones
            copyOrZero(HX, HY, batch * H);
            copyOrZero(CX, CY, batch * H);
            return;
        }
        packForward(spec, P);
        int tasks = Math.min(threads, batch);
        run(tasks, task -> forwardChunk(spec, T, chunkStart(batch, tasks, task), chunkStart(batch, tasks, task + 1),
                X, HX, CX, Y, HY, CY, R, perSample, reserve == null));
    }

    @Override
    public void rnnBackward(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, Tensor hx, Tensor cx,
                            Tensor params, Tensor y, Tensor reserve, Tensor dy, Tensor dhy, Tensor dcy,
                            Tensor dx, Tensor dhx, Tensor dcx, Tensor dParams) {
        if (spec.layers() > 1) {
            RnnStack.backward(this, spec, batch, steps, lengths, x, hx, cx, params, y, reserve, dy, dhy, dcy, dx, dhx,
                    dcx, dParams);
            return;
        }
        spec.checkCellStates("rnnBackward", "cx", cx, "dcy", dcy, "dcx", dcx);
        RnnSpec.checkLengths("rnnBackward", batch, steps, lengths);
        if (spec.bidirectional() || !RnnSpec.fullLength(lengths, steps)) {
            packedBackward(spec, batch, steps, lengths, x, hx, cx, params, y, reserve, dy, dhy, dcy, dx, dhx, dcx, dParams);
            return;
        }
        int F = spec.inputSize(), H = spec.units(), T = steps;
        FloatTensor X = floatTensorOfSize(x, batch * T * F, "rnnBackward x (B, T, F)");
        FloatTensor P = floatTensorOfSize(params, spec.paramCount(), "rnnBackward params of ", spec);
        FloatTensor Y = floatTensorOfSize(y, batch * T * H, "rnnBackward y (B, T, H)");
        FloatTensor R = floatTensorOfSize(reserve, batch * spec.reservePerSample(T), "rnnBackward reserve (B, reservePerSample(T))");
        FloatTensor DY = dy == null ? null : floatTensorOfSize(dy, batch * T * H, "rnnBackward dy (B, T, H)");
        FloatTensor DX = dx == null ? null : floatTensorOfSize(dx, batch * T * F, "rnnBackward dx (B, T, F)");
        FloatTensor DP = floatTensorOfSize(dParams, spec.paramCount(), "rnnBackward dParams of ", spec);
        FloatTensor HX = state(hx, batch, H, "rnnBackward hx"), CX = state(cx, batch, H, "rnnBackward cx");
        FloatTensor DHY = state(dhy, batch, H, "rnnBackward dhy"), DCY = state(dcy, batch, H, "rnnBackward dcy");
        FloatTensor DHX = state(dhx, batch, H, "rnnBackward dhx"), DCX = state(dcx, batch, H, "rnnBackward dcx");
        if (batch == 0) return;
        if (T == 0) {                                          // no step: the state gradients pass straight through
            copyOrZero(DHY, DHX, batch * H);
            copyOrZero(DCY, DCX, batch * H);
            return;
        }
        int tasks = Math.min(threads, batch);
        run(tasks, task -> backwardChunk(spec, T, chunkStart(batch, tasks, task), chunkStart(batch, tasks, task + 1),
                X, HX, CX, P, Y, R, DY, DHY, DCY, DX, DHX, DCX, workspaces[task]));
        reduceGradients(spec, tasks, DP);
    }

    // ---- the packed path: per-sample lengths and the reverse direction ------------------------

    /**
     * How the packed path deals the batch to its tasks. The rows are sorted by length, longest
     * first (ties in batch order), and dealt round-robin, so every task gets a like share of the
     * work and its own rows stay sorted: at processing step s the active rows, those longer than
     * s, are a prefix of {@code active[task][s]} rows. Each task's data is packed time-major: step
     * s of its row r at packed row {@code offset[task][s] + r}, {@code K = offset[task][T]} (its
     * sum of lengths) rows in all, so every per-step block is contiguous and a batch costs its real
     * lengths, not its padding.
     */
    private record Packing(int tasks, int[][] rows, int[][] lens, int[][] active, int[][] offset, int[] first,
                           int[] lengths, int steps) {
        static Packing of(int batch, int steps, int[] lengths, int threads) {
            int tasks = Math.min(threads, batch);
            int[] count = new int[steps + 2];                 // counting sort, longest first, stable
            for (int b = 0; b < batch; b++) count[len(lengths, steps, b)]++;
            int[] start = new int[steps + 2];
            for (int l = steps, at = 0; l >= 1; l--) {
                start[l] = at;
                at += count[l];
            }
            int[] order = new int[batch];
            for (int b = 0; b < batch; b++) order[start[len(lengths, steps, b)]++] = b;
            int[][] rows = new int[tasks][], lens = new int[tasks][], active = new int[tasks][], offset = new int[tasks][];
            int[] first = new int[tasks];
            for (int task = 0, at = 0; task < tasks; task++) {
                int n = (batch - task + tasks - 1) / tasks;
                first[task] = at;
                at += n;
                rows[task] = new int[n];
                lens[task] = new int[n];
                active[task] = new int[steps];
                offset[task] = new int[steps + 1];
                for (int r = 0; r < n; r++) {
                    int b = order[task + r * tasks];
                    rows[task][r] = b;
                    lens[task][r] = len(lengths, steps, b);
                }
                for (int s = 0, r = n; s < steps; s++) {            // the rows longer than s: a prefix
                    while (r > 0 && lens[task][r - 1] <= s) r--;
                    active[task][s] = r;
                    offset[task][s + 1] = offset[task][s] + r;
                }
            }
            return new Packing(tasks, rows, lens, active, offset, first, lengths == null ? null : lengths.clone(), steps);
        }

        /** Whether this packing is the one of these arguments. */
        boolean fits(int batch, int steps, int[] lengths, int threads) {
            return steps == this.steps && rows.length == Math.min(threads, batch) && first[tasks - 1] + rows[tasks - 1].length == batch
                    && Arrays.equals(lengths, this.lengths);
        }

        private static int len(int[] lengths, int steps, int b) {
            return lengths == null ? steps : lengths[b];
        }
    }

    private Packing lastPacking;                                 // the last call's: its backward pass (and a stack's layers) reuse it

    /** The {@link Packing} of these lengths: the last call's when they are the same. */
    private Packing packing(int batch, int steps, int[] lengths) {
        Packing pk = lastPacking;
        if (pk == null || !pk.fits(batch, steps, lengths, threads)) lastPacking = pk = Packing.of(batch, steps, lengths, threads);
        return pk;
    }

    /** The time of processing step s of a sequence of length len: s forward, len-1-s in reverse. */
    private static int time(int direction, int len, int s) {
        return direction == 0 ? s : len - 1 - s;
    }

    /** A direction's (B, H) states of the (directions, B, H) tensor t, or null. */
    private static FloatTensor direction(FloatTensor t, int d, int batch, int H) {
        return t == null ? null : t.slice(d * batch * H, batch * H);
    }

    /**
     * Forward with per-sample lengths and/or both directions: each direction in turn, over the
     * {@link Packing} of the batch, with the same GEMM and gate kernels as the fixed-length path.
     * The reverse direction processes each sequence from its last valid step down to step 0.
     * Reserve: direction d's {@code (B, T*(G*H+H))} block at {@code d * B * T*(G*H+H)}, task
     * {@code c}'s share from row {@code first[c]}, packed time-major ({@link #packedForwardChunk}).
     */
    private void packedForward(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, Tensor hx, Tensor cx,
                               Tensor params, Tensor y, Tensor hy, Tensor cy, Tensor reserve) {
        int F = spec.inputSize(), H = spec.units(), T = steps, D = spec.directions();
        RnnSpec one = spec.unidirectional();
        int perDir = T * rowWidth(one);
        FloatTensor X = floatTensorOfSize(x, batch * T * F, "rnnForward x (B, T, F)");
        FloatTensor P = floatTensorOfSize(params, spec.paramCount(), "rnnForward params of ", spec);
        FloatTensor Y = floatTensorOfSize(y, batch * T * D * H, "rnnForward y (B, T, directions * H)");
        FloatTensor R = reserve != null
                ? floatTensorOfSize(reserve, batch * spec.reservePerSample(T), "rnnForward reserve (B, reservePerSample(T))")
                : inferenceScratch(batch * perDir);           // NB: the directions run in turn, so one suffices
        FloatTensor HX = state(hx, D * batch, H, "rnnForward hx"), CX = state(cx, D * batch, H, "rnnForward cx");
        FloatTensor HY = state(hy, D * batch, H, "rnnForward hy"), CY = state(cy, D * batch, H, "rnnForward cy");
        Packing pk = packing(batch, T, lengths);
        for (int d = 0; d < D; d++) {
            int dir = d;
            packForward(one, P.slice(spec.directionOffset(d), one.paramCount()));
            FloatTensor Rd = R.slice(reserve != null ? d * batch * perDir : 0, batch * perDir);
            FloatTensor hxd = direction(HX, d, batch, H), cxd = direction(CX, d, batch, H);
            FloatTensor hyd = direction(HY, d, batch, H), cyd = direction(CY, d, batch, H);
            run(pk.tasks(), task -> packedForwardChunk(one, T, D, dir, pk, task, X, hxd, cxd, Y, hyd, cyd, Rd,
                    workspaces[task]));
        }
    }

    /**
     * Forward of one direction over one task's rows of the {@link Packing}. The task's reserve,
     * from {@code R.offset + first * T * rowWidth}, holds step s's (active(s), rowWidth) block of
     * [activated gates, extra] at packed row {@code offset[s]}; its h go to w.hp (K, H) packed the
     * same way, then to y's direction-d features, 0 past each length. The (B, H) states are this
     * direction's, or null.
     */
    private void packedForwardChunk(RnnSpec spec, int T, int D, int d, Packing pk, int task, FloatTensor X,
                                    FloatTensor HX, FloatTensor CX, FloatTensor Y, FloatTensor HY, FloatTensor CY,
                                    FloatTensor R, Workspace w) {
        int F = spec.inputSize(), H = spec.units(), GH = spec.gateWidth(), RS = rowWidth(spec), KS = F + H + 2, OH = D * H;
        int[] rowOf = pk.rows()[task], lens = pk.lens()[task], active = pk.active()[task], off = pk.offset()[task];
        int Bc = rowOf.length, K = off[T], base = R.offset + pk.first()[task] * T * RS;
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        boolean tanh = spec.activation() == Activation.TANH;
        float[] x = X.data, y = Y.data, res = R.data, b = stepB;
        w.xh = grow(w.xh, ROW_BLOCK * KS);
        w.hp = grow(w.hp, K * H);
        float[] xh = w.xh, hp = w.hp;
        if (HX != null) w.hx = gatherStates(HX, rowOf, H, w.hx);
        if (CX != null) w.cx = gatherStates(CX, rowOf, H, w.cx);
        for (int s = 0; s < T && active[s] > 0; s++) {
            int n = active[s];
            for (int r0 = 0; r0 < n; r0 += ROW_BLOCK) {
                int rows = Math.min(ROW_BLOCK, n - r0);
                int g0 = base + (off[s] + r0) * RS;                 // (rows, RS) block: gates, then extra
                int h0 = (off[s] + r0) * H;                         // h(t) rows in hp, H apart
                int hPrev = s > 0 ? (off[s - 1] + r0) * H : HX != null ? r0 * H : -1;
                float[] hSrc = s > 0 ? hp : w.hx;
                for (int r = 0; r < rows; r++) {
                    int o = r * KS, row = rowOf[r0 + r];
                    System.arraycopy(x, X.offset + (row * T + time(d, lens[r0 + r], s)) * F, xh, o, F);
                    xh[o + F] = 1f;
                    if (hPrev >= 0) {
                        System.arraycopy(hSrc, hPrev + r * H, xh, o + F + 1, H);
                    } else {
                        Arrays.fill(xh, o + F + 1, o + F + 1 + H, 0f);
                    }
                    xh[o + KS - 1] = 1f;
                }
                if (lstm) {
                    Gemm.gemm(vector, rows, GH, KS, xh, 0, KS, b, 0, GH, res, g0, RS, 0f, null, 0);
                    float[] cp = s > 0 || CX == null ? res : w.cx;
                    int c0 = s > 0 ? base + (off[s - 1] + r0) * RS + GH : CX == null ? -1 : r0 * H;
                    lstmForwardRows(rows, H, RS, tanh, res, g0, cp, c0, s > 0 ? RS : H, hp, h0, H);
                } else {
                    Gemm.gemm(vector, rows, 2 * H, KS, xh, 0, KS, b, 0, GH, res, g0, RS, 0f, null, 0);
                    Gemm.gemm(vector, rows, H, F + 1, xh, 0, KS, b, 2 * H, GH, res, g0 + 2 * H, RS, 0f, null, 0);
                    Gemm.gemm(vector, rows, H, H + 1, xh, F + 1, KS, b, (F + 1) * GH + 2 * H, GH, res, g0 + GH, RS, 0f, null, 0);
                    gruForwardRows(rows, H, RS, tanh, res, g0, hp, h0, H, hSrc == null ? hp : hSrc, hPrev, H);
                }
            }
        }
        // unpack: y, zeros past the length, final states; NB: sequence by sequence, so that the
        // writes stream (measured faster than copying each row block out while it is in L1)
        for (int r = 0; r < Bc; r++) {
            int row = rowOf[r], len = lens[r];
            for (int s = 0; s < len; s++) {
                System.arraycopy(hp, (off[s] + r) * H, y, Y.offset + (row * T + time(d, len, s)) * OH + d * H, H);
            }
            for (int t = len; t < T; t++) {
                int yo = Y.offset + (row * T + t) * OH + d * H;
                Arrays.fill(y, yo, yo + H, 0f);
            }
            int last = off[len - 1] + r;
            if (HY != null) System.arraycopy(hp, last * H, HY.data, HY.offset + row * H, H);
            if (CY != null) System.arraycopy(res, base + last * RS + GH, CY.data, CY.offset + row * H, H);
        }
    }

    /** The (B, H) states' rows in the task's order into a (Bc, H) buffer (grown as needed), returned. */
    private static float[] gatherStates(FloatTensor S, int[] rowOf, int H, float[] buf) {
        buf = grow(buf, rowOf.length * H);
        for (int r = 0; r < rowOf.length; r++) System.arraycopy(S.data, S.offset + rowOf[r] * H, buf, r * H, H);
        return buf;
    }

    /**
     * The backward pass of {@link #packedForward}: each direction in turn, its weight gradients
     * reduced into its block of dParams, dx the sum of the directions' and 0 past each length.
     */
    private void packedBackward(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, Tensor hx, Tensor cx,
                                Tensor params, Tensor y, Tensor reserve, Tensor dy, Tensor dhy, Tensor dcy,
                                Tensor dx, Tensor dhx, Tensor dcx, Tensor dParams) {
        int F = spec.inputSize(), H = spec.units(), T = steps, D = spec.directions();
        RnnSpec one = spec.unidirectional();
        int perDir = T * rowWidth(one);
        FloatTensor X = floatTensorOfSize(x, batch * T * F, "rnnBackward x (B, T, F)");
        FloatTensor P = floatTensorOfSize(params, spec.paramCount(), "rnnBackward params of ", spec);
        FloatTensor Y = floatTensorOfSize(y, batch * T * D * H, "rnnBackward y (B, T, directions * H)");
        FloatTensor R = floatTensorOfSize(reserve, batch * spec.reservePerSample(T), "rnnBackward reserve (B, reservePerSample(T))");
        FloatTensor DY = dy == null ? null : floatTensorOfSize(dy, batch * T * D * H, "rnnBackward dy (B, T, directions * H)");
        FloatTensor DX = dx == null ? null : floatTensorOfSize(dx, batch * T * F, "rnnBackward dx (B, T, F)");
        FloatTensor DP = floatTensorOfSize(dParams, spec.paramCount(), "rnnBackward dParams of ", spec);
        FloatTensor HX = state(hx, D * batch, H, "rnnBackward hx"), CX = state(cx, D * batch, H, "rnnBackward cx");
        FloatTensor DHY = state(dhy, D * batch, H, "rnnBackward dhy"), DCY = state(dcy, D * batch, H, "rnnBackward dcy");
        FloatTensor DHX = state(dhx, D * batch, H, "rnnBackward dhx"), DCX = state(dcx, D * batch, H, "rnnBackward dcx");
        Packing pk = packing(batch, T, lengths);
        for (int d = 0; d < D; d++) {
            int dir = d;
            FloatTensor Pd = P.slice(spec.directionOffset(d), one.paramCount());
            FloatTensor Rd = R.slice(d * batch * perDir, batch * perDir);
            FloatTensor hxd = direction(HX, d, batch, H), cxd = direction(CX, d, batch, H);
            FloatTensor dhyd = direction(DHY, d, batch, H), dcyd = direction(DCY, d, batch, H);
            FloatTensor dhxd = direction(DHX, d, batch, H), dcxd = direction(DCX, d, batch, H);
            run(pk.tasks(), task -> packedBackwardChunk(one, T, D, dir, pk, task, X, hxd, cxd, Pd, Y, Rd, DY, dhyd,
                    dcyd, DX, dhxd, dcxd, workspaces[task]));
            reduceGradients(one, pk.tasks(), DP.slice(spec.directionOffset(d), one.paramCount()));
        }
    }

    /**
     * Backward of one direction over one task's rows of the {@link Packing}, in the layout of
     * {@link #packedForwardChunk}: the per-step kernels of the fixed-length path on each step's
     * active rows, reading dy (and for GRU h(t-1)) straight from the sequences' rows and writing
     * the gate gradients dG packed (K, G*H); then the fixed path's weight-gradient GEMMs over the K
     * packed rows into w.part, their left operand {@code [X^T; 1; H(t-1)^T; 1]} transposed straight
     * from the sequences' rows; then dx = dG W, packed, copied into the sequences' rows by
     * direction 0 (0 past each length) and added by direction 1.
     */
    private void packedBackwardChunk(RnnSpec spec, int T, int D, int d, Packing pk, int task, FloatTensor X,
                                     FloatTensor HX, FloatTensor CX, FloatTensor P, FloatTensor Y, FloatTensor R,
                                     FloatTensor DY, FloatTensor DHY, FloatTensor DCY, FloatTensor DX,
                                     FloatTensor DHX, FloatTensor DCX, Workspace w) {
        int F = spec.inputSize(), H = spec.units(), GH = spec.gateWidth(), RS = rowWidth(spec), OH = D * H;
        int[] rowOf = pk.rows()[task], lens = pk.lens()[task], active = pk.active()[task], off = pk.offset()[task];
        int Bc = rowOf.length, K = off[T], base = R.offset + pk.first()[task] * T * RS;
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        boolean tanh = spec.activation() == Activation.TANH;
        float[] p = P.data, y = Y.data, res = R.data, dy = DY == null ? null : DY.data;   // null: dy is 0
        int oR = P.offset + spec.offsetR(), oW = P.offset + spec.offsetW();
        w.dg = grow(w.dg, K * GH);
        w.rowStart = growInts(w.rowStart, Bc);
        w.hpStart = growInts(w.hpStart, Bc);
        int[] at = w.rowStart, hpAt = w.hpStart;                    // where each active row's dy and h(t-1) start
        if (HX != null) w.hx = gatherStates(HX, rowOf, H, w.hx);
        if (CX != null) w.cx = gatherStates(CX, rowOf, H, w.cx);
        w.dh = DHY != null ? gatherStates(DHY, rowOf, H, w.dh) : zeros(w.dh, Bc * H);
        if (lstm) {
            w.dc = DCY != null ? gatherStates(DCY, rowOf, H, w.dc) : zeros(w.dc, Bc * H);
        } else {
            w.dgn = grow(w.dgn, K * H);
        }
        float[] dg = w.dg, dgn = w.dgn, dh = w.dh, dc = w.dc;
        for (int s = T - 1; s >= 0; s--) {
            int n = active[s];
            // the kernels read dy (and GRU h(t-1), y of the step before) straight from the sequences' rows
            for (int r = 0; r < n; r++) {
                int row = rowOf[r], len = lens[r];
                if (DY != null) at[r] = DY.offset + (row * T + time(d, len, s)) * OH + d * H;
                if (!lstm && s > 0) hpAt[r] = Y.offset + (row * T + time(d, len, s - 1)) * OH + d * H;
            }
            for (int r0 = 0; r0 < n; r0 += ROW_BLOCK) {
                int rows = Math.min(ROW_BLOCK, n - r0);
                int q0 = off[s] + r0, g0 = base + q0 * RS;
                if (lstm) {                                         // c(t-1): the previous packed step, cx, or 0
                    float[] cp = s > 0 || CX == null ? res : w.cx;
                    int c0 = s > 0 ? base + (off[s - 1] + r0) * RS + GH : CX == null ? -1 : r0 * H;
                    lstmBackwardRows(rows, H, RS, tanh, res, g0, cp, c0, s > 0 ? RS : H, dy, 0, 0, at, r0,
                            dh, dc, r0 * H, dg, q0 * GH, GH);
                } else {                                            // h(t-1): y of the step before, hx, or 0
                    float[] hp = s > 0 ? y : w.hx;
                    int h0 = s > 0 ? 0 : HX != null ? r0 * H : -1;
                    gruBackwardRows(rows, H, RS, tanh, res, g0, hp, h0, H, dy, 0, 0, s > 0 ? hpAt : null, at, r0,
                            dh, r0 * H, dg, q0 * GH, GH, dgn, q0 * H, H);
                }
                if (s == 0 && DHX == null) continue;
                if (lstm) {
                    Gemm.gemm(vector, rows, H, GH, dg, q0 * GH, GH, p, oR, H, dh, r0 * H, H, 0f, null, 0);
                } else {
                    Gemm.gemm(vector, rows, H, 2 * H, dg, q0 * GH, GH, p, oR, H, dh, r0 * H, H, 1f, null, 0);
                    Gemm.gemm(vector, rows, H, H, dgn, q0 * H, H, p, oR + 2 * H * H, H, dh, r0 * H, H, 1f, null, 0);
                }
            }
        }
        for (int r = 0; r < Bc; r++) {                              // after each sequence's first step: dhx, dcx
            if (DHX != null) System.arraycopy(dh, r * H, DHX.data, DHX.offset + rowOf[r] * H, H);
            if (DCX != null) System.arraycopy(dc, r * H, DCX.data, DCX.offset + rowOf[r] * H, H);
        }
        // [dW^T; db_x; dR^T; db_rec] (M, GH) = [X^T; 1; H(t-1)^T; 1] (M, K) dG (K, GH), as the fixed
        // path; its columns in packed order, x and h(t-1) transposed straight from the sequences' rows
        int hRow = F + 1, M = F + H + 2;
        w.lhs = grow(w.lhs, M * K);
        float[] lhs = w.lhs;
        for (int s = 0; s < T && active[s] > 0; s++) {
            int n = active[s];
            for (int r = 0; r < n; r++) at[r] = X.offset + (rowOf[r] * T + time(d, lens[r], s)) * F;
            gatherTranspose(n, F, X.data, at, lhs, off[s], K);
            if (s > 0) {
                for (int r = 0; r < n; r++) at[r] = Y.offset + (rowOf[r] * T + time(d, lens[r], s - 1)) * OH + d * H;
                gatherTranspose(n, H, y, at, lhs, hRow * K + off[s], K);
            } else if (HX != null) {
                Gemm.transpose(vector, n, H, w.hx, 0, H, lhs, hRow * K, K);
            } else {
                for (int u = 0; u < H; u++) Arrays.fill(lhs, (hRow + u) * K, (hRow + u) * K + n, 0f);
            }
        }
        Arrays.fill(lhs, F * K, hRow * K, 1f);
        Arrays.fill(lhs, (M - 1) * K, M * K, 1f);
        w.part = grow(w.part, M * GH);
        if (lstm) {
            Gemm.gemm(vector, M, GH, K, lhs, 0, K, dg, 0, GH, w.part, 0, GH, 0f, null, 0);
        } else {
            Gemm.gemm(vector, M, 2 * H, K, lhs, 0, K, dg, 0, GH, w.part, 0, GH, 0f, null, 0);
            Gemm.gemm(vector, hRow, H, K, lhs, 0, K, dg, 2 * H, GH, w.part, 2 * H, GH, 0f, null, 0);
            Gemm.gemm(vector, H + 1, H, K, lhs, hRow * K, K, dgn, 0, H, w.part, hRow * GH + 2 * H, GH, 0f, null, 0);
        }
        if (DX == null) return;
        // dx (K, F) = dG (K, GH) W (GH, F), packed; then into dx (written by direction 0, added by 1)
        w.dxp = grow(w.dxp, K * F);
        float[] dxp = w.dxp, dxd = DX.data;
        Gemm.gemm(vector, K, F, GH, dg, 0, GH, p, oW, F, dxp, 0, F, 0f, null, 0);
        for (int r = 0; r < Bc; r++) {                              // sequence by sequence: the writes stream
            int row = rowOf[r], len = lens[r];
            for (int s = 0; s < len; s++) {
                int q = (off[s] + r) * F, o = DX.offset + (row * T + time(d, len, s)) * F;
                if (d == 0) {
                    System.arraycopy(dxp, q, dxd, o, F);
                } else {
                    for (int f = 0; f < F; f++) dxd[o + f] += dxp[q + f];
                }
            }
            if (d == 0) Arrays.fill(dxd, DX.offset + (row * T + len) * F, DX.offset + (row + 1) * T * F, 0f);
        }
    }

    /**
     * A transpose that gathers its rows: {@code dst[dOff + j * ldd + i] = src[rowStart[i] + j]} for
     * {@code i < rows, j < cols}, 16 (the vector width) rows at a time, as {@link Gemm#transpose}.
     */
    private void gatherTranspose(int rows, int cols, float[] src, int[] rowStart, float[] dst, int dOff, int ldd) {
        int i = 0;
        if (vector) {
            for (; i <= rows - LANES; i += LANES) {
                for (int j = 0; j < cols; j++) {
                    FloatVector.fromArray(SPECIES, src, j, rowStart, i).intoArray(dst, dOff + j * ldd + i);
                }
            }
        }
        for (; i < rows; i++) {
            for (int j = 0; j < cols; j++) dst[dOff + j * ldd + i] = src[rowStart[i] + j];
        }
    }

    private static int[] growInts(int[] a, int size) {
        return a.length >= size ? a : new int[Math.max(size, a.length + a.length / 2)];
    }

    /** {@code buf} grown to n floats, its first n set to 0. */
    private static float[] zeros(float[] buf, int n) {
        buf = grow(buf, n);
        Arrays.fill(buf, 0, n, 0f);
        return buf;
    }

    /** dst = src, or 0 where src is null; nothing where dst is null. */
    private static void copyOrZero(FloatTensor src, FloatTensor dst, int n) {
        if (dst == null) return;
        if (src == null) {
            Arrays.fill(dst.data, dst.offset, dst.offset + n, 0f);
        } else {
            System.arraycopy(src.data, src.offset, dst.data, dst.offset, n);
        }
    }

    /**
     * Floats per batch row and step in the reserve of one layer in one direction: the activated
     * gates, then the extra columns (LSTM: c and act(c); GRU: {@code R_n h + b_Rn}), as
     * {@link RnnSpec#reservePerSample} counts them.
     */
    private static int rowWidth(RnnSpec spec) {
        return spec.layer(0).unidirectional().reservePerSample(1);
    }

    private static int chunkStart(int batch, int tasks, int task) {
        return (int) ((long) batch * task / tasks);
    }

    /** {@link #stepB} from the canonical parameters, shared read-only by the tasks of one forward call. */
    private void packForward(RnnSpec spec, FloatTensor P) {
        int F = spec.inputSize(), H = spec.units(), GH = spec.gateWidth();
        int oB = P.offset + spec.offsetBias(), bx = F * GH, rt = (F + 1) * GH, br = (F + 1 + H) * GH;
        stepB = grow(stepB, (F + H + 2) * GH);
        Gemm.transpose(vector, GH, F, P.data, P.offset + spec.offsetW(), F, stepB, 0, GH);
        Gemm.transpose(vector, GH, H, P.data, P.offset + spec.offsetR(), H, stepB, rt, GH);
        Arrays.fill(stepB, br, br + GH, 0f);
        if (spec.cell() == RnnSpec.Cell.LSTM) {
            System.arraycopy(P.data, oB, stepB, bx, GH);
        } else {                                               // r, z: b_W + b_R; n: b_Wn, and b_Rn apart (it sits inside r *)
            for (int j = 0; j < 2 * H; j++) stepB[bx + j] = P.data[oB + j] + P.data[oB + GH + j];
            System.arraycopy(P.data, oB + 2 * H, stepB, bx + 2 * H, H);
            System.arraycopy(P.data, oB + GH + 2 * H, stepB, br + 2 * H, H);
        }
    }

    /**
     * Forward over batch rows [b0, b1). The chunk's share of the reserve, rows [b0, b1) of
     * (B, reservePerSample(T)), is used time-major: step t holds a (Bc, G*H + H) block whose
     * rows are [activated gates, extra], so that every step's rows are evenly spaced. HX, CX
     * (initial states) and HY, CY (final states) are (B, H) or null. With {@code ring}
     * (inference) R holds {@code perSample = 2 (G*H + H)} floats per sample and step t uses
     * block {@code t % 2}; else perSample is reservePerSample(T).
     */
    private void forwardChunk(RnnSpec spec, int T, int b0, int b1, FloatTensor X, FloatTensor HX, FloatTensor CX,
                              FloatTensor Y, FloatTensor HY, FloatTensor CY, FloatTensor R, int perSample, boolean ring) {
        int F = spec.inputSize(), H = spec.units(), GH = spec.gateWidth(), RS = rowWidth(spec);
        int Bc = b1 - b0, base = R.offset + b0 * perSample;
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        boolean tanh = spec.activation() == Activation.TANH;
        float[] x = X.data, y = Y.data, res = R.data, b = stepB;
        int bias = F * GH, rt = (F + 1) * GH, recBias = (F + 1 + H) * GH;   // stepB's rows: see its comment
        // NB: the products read x(t) and h(t-1) straight from their rows (x in X, h in y or hx); a
        // copy of both into one [x | 1 | h | 1] row per sample cost about a tenth of an inference step.
        // Every gate still sums x W^T (k order), then the bias (added by the first product's kernels
        // as its last k step), then h R^T, as the packed path's single product over that row does.
        for (int t = 0; t < T; t++) {
            for (int r0 = 0; r0 < Bc; r0 += ROW_BLOCK) {
                int rows = Math.min(ROW_BLOCK, Bc - r0);
                int g0 = base + ((ring ? t & 1 : t) * Bc + r0) * RS; // (rows, RS) block: gates, then extra
                int gp = base + ((ring ? (t - 1) & 1 : t - 1) * Bc + r0) * RS;   // step t-1's block
                int x0 = X.offset + ((b0 + r0) * T + t) * F;      // x(t) rows, T*F apart
                int y0 = Y.offset + ((b0 + r0) * T + t) * H;      // h(t) rows, T*H apart; h(t-1) = y0 - H
                // h(t-1): y of the previous step, hx, or 0 (hp null)
                float[] hp = t > 0 ? y : HX != null ? HX.data : null;
                int h0 = t > 0 ? y0 - H : HX != null ? HX.offset + (b0 + r0) * H : -1, hs = t > 0 ? T * H : H;
                if (lstm) {                                        // gates = x W^T + b + h R^T
                    Gemm.gemm(vector, rows, GH, F, x, x0, T * F, b, 0, GH, res, g0, RS, 0f, null, 0, b, bias);
                    if (hp != null) Gemm.gemm(vector, rows, GH, H, hp, h0, hs, b, rt, GH, res, g0, RS, 1f, null, 0);
                    // c(t-1): the reserve's previous step, cx, or 0
                    float[] cp = t > 0 || CX == null ? res : CX.data;
                    int c0 = t > 0 ? gp + GH : CX == null ? -1 : CX.offset + (b0 + r0) * H;
                    lstmForwardRows(rows, H, RS, tanh, res, g0, cp, c0, t > 0 ? RS : H, y, y0, T * H);
                } else {
                    // r, z: x W^T + b_W + b_R + h R^T; n: x W_n^T + b_Wn; extra: h R_n^T + b_Rn
                    Gemm.gemm(vector, rows, GH, F, x, x0, T * F, b, 0, GH, res, g0, RS, 0f, null, 0, b, bias);
                    if (hp != null) {
                        Gemm.gemm(vector, rows, 2 * H, H, hp, h0, hs, b, rt, GH, res, g0, RS, 1f, null, 0);
                        Gemm.gemm(vector, rows, H, H, hp, h0, hs, b, rt + 2 * H, GH, res, g0 + GH, RS, 0f, null, 0,
                                b, recBias + 2 * H);
                    } else {
                        for (int r = 0; r < rows; r++) System.arraycopy(b, recBias + 2 * H, res, g0 + r * RS + GH, H);
                    }
                    gruForwardRows(rows, H, RS, tanh, res, g0, y, y0, T * H, hp == null ? y : hp, h0, hs);
                }
            }
        }
        for (int r = 0; r < Bc; r++) {                         // final states: h(T-1) from y, c(T-1) from the reserve
            if (HY != null) System.arraycopy(y, Y.offset + ((b0 + r) * T + T - 1) * H, HY.data, HY.offset + (b0 + r) * H, H);
            if (CY != null) {
                System.arraycopy(res, base + ((ring ? (T - 1) & 1 : T - 1) * Bc + r) * RS + GH, CY.data, CY.offset + (b0 + r) * H, H);
            }
        }
    }

    /**
     * LSTM gates and cell for {@code rows} rows RS apart from res[g0]: pre-activations become
     * i, f, g, o; c goes to the extra columns, h to y rows ys apart from y[y0]. {@code cp[c0]}
     * is c(t-1) of the first row (cs apart), or {@code c0} is -1 for c(t-1) = 0.
     */
    private void lstmForwardRows(int rows, int H, int RS, boolean tanh, float[] res, int g0, float[] cp, int c0, int cs,
                                 float[] y, int y0, int ys) {
        int GH = 4 * H;
        VectorMath.sigmoid(vector, rows, res, g0, RS, res, g0, RS, 2 * H);                 // i, f
        activate(tanh, rows, res, g0 + 2 * H, RS, res, g0 + 2 * H, RS, H);               // g
        VectorMath.sigmoid(vector, rows, res, g0 + 3 * H, RS, res, g0 + 3 * H, RS, H);     // o
        for (int r = 0; r < rows; r++) {                                                 // c = f c(t-1) + i g
            int i = g0 + r * RS, f = i + H, g = i + 2 * H, c = i + GH, cpo = c0 + r * cs;
            int u = 0;
            if (vector) {
                for (; u <= H - LANES; u += LANES) {
                    FloatVector cv = FloatVector.fromArray(SPECIES, res, i + u).mul(FloatVector.fromArray(SPECIES, res, g + u));
                    if (c0 >= 0) cv = FloatVector.fromArray(SPECIES, res, f + u).mul(FloatVector.fromArray(SPECIES, cp, cpo + u)).add(cv);
                    cv.intoArray(res, c + u);
                }
            }
            for (; u < H; u++) {
                float cv = res[i + u] * res[g + u];
                if (c0 >= 0) cv = res[f + u] * cp[cpo + u] + cv;
                res[c + u] = cv;
            }
        }
        // act(c) stays in the reserve for backward, which used to recompute it; then h = o act(c)
        activate(tanh, rows, res, g0 + GH, RS, res, g0 + GH + H, RS, H);
        multiply(rows, res, g0 + 3 * H, res, g0 + GH + H, RS, y, y0, ys, H);
    }

    /**
     * GRU gates for {@code rows} rows RS apart from res[g0]: the gate columns hold
     * (W_r x + b, W_z x + b, W_n x + b_Wn) and the extra columns R_n h + b_Rn; the gates become
     * r, z, n and h goes to y rows ys apart from y[y0]. {@code hp[h0]} is h(t-1) of the first
     * row (hs apart), or {@code h0} is -1 for h(t-1) = 0.
     */
    private void gruForwardRows(int rows, int H, int RS, boolean tanh, float[] res, int g0,
                                float[] y, int y0, int ys, float[] hp, int h0, int hs) {
        int GH = 3 * H;
        VectorMath.sigmoid(vector, rows, res, g0, RS, res, g0, RS, 2 * H);                 // r, z
        for (int q = 0; q < rows; q++) {                                                 // n pre-activation += r (R_n h + b_Rn)
            int r = g0 + q * RS, n = r + 2 * H, e = r + GH;
            int u = 0;
            if (vector) {
                for (; u <= H - LANES; u += LANES) {
                    FloatVector.fromArray(SPECIES, res, r + u)
                            .fma(FloatVector.fromArray(SPECIES, res, e + u), FloatVector.fromArray(SPECIES, res, n + u))
                            .intoArray(res, n + u);
                }
            }
            for (; u < H; u++) res[n + u] = Math.fma(res[r + u], res[e + u], res[n + u]);
        }
        activate(tanh, rows, res, g0 + 2 * H, RS, res, g0 + 2 * H, RS, H);               // n
        for (int q = 0; q < rows; q++) {                                                 // h = (1 - z) n + z h(t-1)
            int z = g0 + q * RS + H, n = z + H, yo = y0 + q * ys, hpo = h0 + q * hs;
            int u = 0;
            if (vector) {
                FloatVector one = FloatVector.broadcast(SPECIES, 1f);
                for (; u <= H - LANES; u += LANES) {
                    FloatVector zv = FloatVector.fromArray(SPECIES, res, z + u);
                    FloatVector h = one.sub(zv).mul(FloatVector.fromArray(SPECIES, res, n + u));
                    if (h0 >= 0) h = zv.mul(FloatVector.fromArray(SPECIES, hp, hpo + u)).add(h);
                    h.intoArray(y, yo + u);
                }
            }
            for (; u < H; u++) {
                float h = (1f - res[z + u]) * res[n + u];
                if (h0 >= 0) h = res[z + u] * hp[hpo + u] + h;
                y[yo + u] = h;
            }
        }
    }

    /**
     * Backward over batch rows [b0, b1) into the task's workspace (reserve layout as in
     * {@link #forwardChunk}); the partial weight gradients land in w.part. The (B, H) state
     * tensors HX, CX, DHY, DCY, DHX, DCX may each be null.
     */
    private void backwardChunk(RnnSpec spec, int T, int b0, int b1, FloatTensor X, FloatTensor HX, FloatTensor CX,
                               FloatTensor P, FloatTensor Y, FloatTensor R, FloatTensor DY, FloatTensor DHY,
                               FloatTensor DCY, FloatTensor DX, FloatTensor DHX, FloatTensor DCX, Workspace w) {
        int F = spec.inputSize(), H = spec.units(), GH = spec.gateWidth(), RS = rowWidth(spec);
        int Bc = b1 - b0, K = Bc * T, base = R.offset + b0 * spec.reservePerSample(T);
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        boolean tanh = spec.activation() == Activation.TANH;
        float[] p = P.data, y = Y.data, res = R.data, dy = DY == null ? null : DY.data;   // null: dy is 0
        int oR = P.offset + spec.offsetR(), oW = P.offset + spec.offsetW();
        w.dg = grow(w.dg, K * GH);
        w.dh = grow(w.dh, Bc * H);
        startGradient(DHY, b0 * H, Bc * H, w.dh);                 // into the last h: dy(T-1) + dhy
        if (lstm) {
            w.dc = grow(w.dc, Bc * H);
            startGradient(DCY, b0 * H, Bc * H, w.dc);
        } else {
            w.dgn = grow(w.dgn, K * H);
        }
        float[] dg = w.dg, dgn = w.dgn, dh = w.dh, dc = w.dc;
        for (int t = T - 1; t >= 0; t--) {
            for (int r0 = 0; r0 < Bc; r0 += ROW_BLOCK) {
                int rows = Math.min(ROW_BLOCK, Bc - r0);
                int g0 = base + (t * Bc + r0) * RS;
                int dy0 = dy == null ? 0 : DY.offset + ((b0 + r0) * T + t) * H;
                int q0 = r0 * T + t;                               // dG row of (r0, t): (Bc, T) order
                if (lstm) {                                        // c(t-1): the reserve's previous step, cx, or 0
                    float[] cp = t > 0 || CX == null ? res : CX.data;
                    int c0 = t > 0 ? g0 - Bc * RS + GH : CX == null ? -1 : CX.offset + (b0 + r0) * H;
                    lstmBackwardRows(rows, H, RS, tanh, res, g0, cp, c0, t > 0 ? RS : H, dy, dy0, T * H, null, 0,
                            dh, dc, r0 * H, dg, q0 * GH, T * GH);
                } else {                                           // h(t-1): y of the previous step, hx, or 0
                    int y0 = Y.offset + ((b0 + r0) * T + t) * H;
                    float[] hp = t > 0 || HX == null ? y : HX.data;
                    int h0 = t > 0 ? y0 - H : HX == null ? -1 : HX.offset + (b0 + r0) * H;
                    gruBackwardRows(rows, H, RS, tanh, res, g0, hp, h0, t > 0 ? T * H : H, dy, dy0, T * H, null, null, 0,
                            dh, r0 * H, dg, q0 * GH, T * GH, dgn, q0 * H, T * H);
                }
                if (t == 0 && DHX == null) continue;               // dh(-1) is dhx: only needed when asked for
                // dh(t-1) (rows, H) = dG_rec(t) (rows, GH) R (GH, H)  [+ dh z for GRU, already in dh]
                if (lstm) {
                    Gemm.gemm(vector, rows, H, GH, dg, q0 * GH, T * GH, p, oR, H, dh, r0 * H, H, 0f, null, 0);
                } else {
                    Gemm.gemm(vector, rows, H, 2 * H, dg, q0 * GH, T * GH, p, oR, H, dh, r0 * H, H, 1f, null, 0);
                    Gemm.gemm(vector, rows, H, H, dgn, q0 * H, T * H, p, oR + 2 * H * H, H, dh, r0 * H, H, 1f, null, 0);
                }
            }
        }
        // after step 0, dh and dc hold the gradients into the initial states
        if (DHX != null) System.arraycopy(dh, 0, DHX.data, DHX.offset + b0 * H, Bc * H);
        if (DCX != null) System.arraycopy(dc, 0, DCX.data, DCX.offset + b0 * H, Bc * H);
        // dx (K, F) = dG (K, GH) W (GH, F)
        if (DX != null) {
            Gemm.gemm(vector, K, F, GH, dg, 0, GH, p, oW, F, DX.data, DX.offset + b0 * T * F, F, 0f, null, 0);
        }
        // left operand [X^T; 1; H(t-1)^T; 1] (F+1+H+1, K): the ones rows make the same GEMM sum
        // the bias gradients; column (r, t) of H(t-1)^T holds h(t-1), hx (or 0) at t = 0
        int hRow = F + 1, M = F + H + 2;
        w.lhs = grow(w.lhs, M * K);
        float[] lhs = w.lhs;
        Gemm.transpose(vector, K, F, X.data, X.offset + b0 * T * F, F, lhs, 0, K);
        Arrays.fill(lhs, F * K, hRow * K, 1f);
        Gemm.transpose(vector, K - 1, H, y, Y.offset + b0 * T * H, H, lhs, hRow * K + 1, K);
        for (int u = 0; u < H; u++) {
            for (int r = 0; r < Bc; r++) lhs[(hRow + u) * K + r * T] = HX == null ? 0f : HX.data[HX.offset + (b0 + r) * H + u];
        }
        Arrays.fill(lhs, (M - 1) * K, M * K, 1f);
        w.part = grow(w.part, M * GH);
        // [dW^T; db_x; dR^T; db_rec] (M, GH) = lhs (M, K) dG (K, GH): one pass over dG
        if (lstm) {
            Gemm.gemm(vector, M, GH, K, lhs, 0, K, dg, 0, GH, w.part, 0, GH, 0f, null, 0);
        } else {                                               // GRU n columns: dG for W, r dn for R
            Gemm.gemm(vector, M, 2 * H, K, lhs, 0, K, dg, 0, GH, w.part, 0, GH, 0f, null, 0);
            Gemm.gemm(vector, hRow, H, K, lhs, 0, K, dg, 2 * H, GH, w.part, 2 * H, GH, 0f, null, 0);
            Gemm.gemm(vector, H + 1, H, K, lhs, hRow * K, K, dgn, 0, H, w.part, hRow * GH + 2 * H, GH, 0f, null, 0);
        }
    }

    /**
     * LSTM backward at step t for {@code rows} rows: dh = dy + dh(t), then the pre-activation
     * gate gradients into dg rows (dgs apart from dg[q0]); dc(t-1) = dc f replaces dc in place.
     * {@code cp[c0]} is c(t-1) of the first row (cs apart), or {@code c0} is -1 for c(t-1) = 0;
     * act(c) is read from each row's last H reserve columns, where the forward pass left it. Row r's
     * dy starts at {@code dy0 + r * dys}, or,
     * where {@code dyAt} is not null, at {@code dyAt[atOff + r]} (the packed path's sequences);
     * {@code dy} null is 0 (dh = dh(t)) and is not read.
     */
    private void lstmBackwardRows(int rows, int H, int RS, boolean tanh, float[] res, int g0, float[] cp, int c0, int cs,
                                  float[] dy, int dy0, int dys, int[] dyAt, int atOff, float[] dhs, float[] dcs, int s0,
                                  float[] dg, int q0, int dgs) {
        int GH = 4 * H;
        for (int r = 0; r < rows; r++) {                       // act(c) at ao: stored by the forward pass
            int go = g0 + r * RS, cpo = c0 + r * cs, so = s0 + r * H, dgo = q0 + r * dgs, ao = go + GH + H;
            int dyo = dy == null ? 0 : dyAt == null ? dy0 + r * dys : dyAt[atOff + r];
            int u = 0;
            if (vector) {
                FloatVector one = FloatVector.broadcast(SPECIES, 1f), zero = FloatVector.zero(SPECIES);
                for (; u <= H - LANES; u += LANES) {
                    FloatVector dh = FloatVector.fromArray(SPECIES, dhs, so + u);
                    if (dy != null) dh = FloatVector.fromArray(SPECIES, dy, dyo + u).add(dh);
                    FloatVector i = FloatVector.fromArray(SPECIES, res, go + u);
                    FloatVector f = FloatVector.fromArray(SPECIES, res, go + H + u);
                    FloatVector g = FloatVector.fromArray(SPECIES, res, go + 2 * H + u);
                    FloatVector o = FloatVector.fromArray(SPECIES, res, go + 3 * H + u);
                    FloatVector a = FloatVector.fromArray(SPECIES, res, ao + u);
                    FloatVector cpv = c0 >= 0 ? FloatVector.fromArray(SPECIES, cp, cpo + u) : zero;
                    FloatVector da = tanh ? one.sub(a.mul(a)) : zero.blend(one, a.compare(VectorOperators.GT, 0f));
                    FloatVector dgg = tanh ? one.sub(g.mul(g)) : zero.blend(one, g.compare(VectorOperators.GT, 0f));
                    FloatVector dc = dh.mul(o).mul(da).add(FloatVector.fromArray(SPECIES, dcs, so + u));
                    dc.mul(f).intoArray(dcs, so + u);
                    dc.mul(g).mul(i).mul(one.sub(i)).intoArray(dg, dgo + u);
                    dc.mul(cpv).mul(f).mul(one.sub(f)).intoArray(dg, dgo + H + u);
                    dc.mul(i).mul(dgg).intoArray(dg, dgo + 2 * H + u);
                    dh.mul(a).mul(o).mul(one.sub(o)).intoArray(dg, dgo + 3 * H + u);
                }
            }
            for (; u < H; u++) {
                float dh = dy == null ? dhs[so + u] : dy[dyo + u] + dhs[so + u];
                float i = res[go + u], f = res[go + H + u], g = res[go + 2 * H + u], o = res[go + 3 * H + u];
                float a = res[ao + u];
                float cpv = c0 >= 0 ? cp[cpo + u] : 0f;
                float dc = dh * o * derivative(tanh, a) + dcs[so + u];
                dcs[so + u] = dc * f;
                dg[dgo + u] = dc * g * i * (1f - i);
                dg[dgo + H + u] = dc * cpv * f * (1f - f);
                dg[dgo + 2 * H + u] = dc * i * derivative(tanh, g);
                dg[dgo + 3 * H + u] = dh * a * o * (1f - o);
            }
        }
    }

    /**
     * GRU backward at step t for {@code rows} rows: dh = dy + dh(t); input-side gate gradients
     * into dg rows (dgs apart from dg[q0]), the recurrent n-gate gradient {@code r dn} into dgn
     * rows (dns apart from dgn[n0]), and dh(t-1) = dh z (the R-path is added by the caller's
     * GEMM). {@code hp[h0]} is h(t-1) of the first row (hs apart), or {@code h0} is -1 for
     * h(t-1) = 0; dy rows are ys apart. Where {@code hpAt} (or {@code dyAt}) is not null, row q's
     * h(t-1) (dy) starts at {@code hpAt[atOff + q]} ({@code dyAt[atOff + q]}) instead (the packed
     * path's sequences; h0 is then any non-negative value); {@code dy} null is 0 and is not read.
     */
    private void gruBackwardRows(int rows, int H, int RS, boolean tanh, float[] res, int g0, float[] hp, int h0, int hs,
                                 float[] dy, int dy0, int ys, int[] hpAt, int[] dyAt, int atOff, float[] dhs, int s0,
                                 float[] dg, int q0, int dgs, float[] dgn, int n0, int dns) {
        int GH = 3 * H;
        for (int q = 0; q < rows; q++) {
            int go = g0 + q * RS, eo = go + GH, so = s0 + q * H;
            int hpo = hpAt == null ? h0 + q * hs : hpAt[atOff + q];
            int dyo = dy == null ? 0 : dyAt == null ? dy0 + q * ys : dyAt[atOff + q];
            int dgo = q0 + q * dgs, dno = n0 + q * dns;
            int u = 0;
            if (vector) {
                FloatVector one = FloatVector.broadcast(SPECIES, 1f), zero = FloatVector.zero(SPECIES);
                for (; u <= H - LANES; u += LANES) {
                    FloatVector dh = FloatVector.fromArray(SPECIES, dhs, so + u);
                    if (dy != null) dh = FloatVector.fromArray(SPECIES, dy, dyo + u).add(dh);
                    FloatVector r = FloatVector.fromArray(SPECIES, res, go + u);
                    FloatVector z = FloatVector.fromArray(SPECIES, res, go + H + u);
                    FloatVector n = FloatVector.fromArray(SPECIES, res, go + 2 * H + u);
                    FloatVector ghn = FloatVector.fromArray(SPECIES, res, eo + u);
                    FloatVector hpv = h0 >= 0 ? FloatVector.fromArray(SPECIES, hp, hpo + u) : zero;
                    FloatVector dact = tanh ? one.sub(n.mul(n)) : zero.blend(one, n.compare(VectorOperators.GT, 0f));
                    FloatVector dn = dh.mul(one.sub(z)).mul(dact);
                    FloatVector dz = dh.mul(hpv.sub(n)).mul(z).mul(one.sub(z));
                    FloatVector dr = dn.mul(ghn).mul(r).mul(one.sub(r));
                    dr.intoArray(dg, dgo + u);
                    dz.intoArray(dg, dgo + H + u);
                    dn.intoArray(dg, dgo + 2 * H + u);
                    dn.mul(r).intoArray(dgn, dno + u);
                    dh.mul(z).intoArray(dhs, so + u);
                }
            }
            for (; u < H; u++) {
                float dh = dy == null ? dhs[so + u] : dy[dyo + u] + dhs[so + u];
                float r = res[go + u], z = res[go + H + u], n = res[go + 2 * H + u], ghn = res[eo + u];
                float hpv = h0 >= 0 ? hp[hpo + u] : 0f;
                float dn = dh * (1f - z) * derivative(tanh, n);
                float dz = dh * (hpv - n) * z * (1f - z);
                float dr = dn * ghn * r * (1f - r);
                dg[dgo + u] = dr;
                dg[dgo + H + u] = dz;
                dg[dgo + 2 * H + u] = dn;
                dgn[dno + u] = dn * r;
                dhs[so + u] = dh * z;
            }
        }
    }

    /**
     * dParams += the tasks' partial gradients, task 0 first (a fixed order: deterministic). The
     * gate columns are split between the threads; each element still sums the same partials in
     * the same order.
     */
    private void reduceGradients(RnnSpec spec, int tasks, FloatTensor DP) {
        int F = spec.inputSize(), H = spec.units(), GH = spec.gateWidth();
        float[] dp = DP.data;
        int oW = DP.offset + spec.offsetW(), oR = DP.offset + spec.offsetR(), oB = DP.offset + spec.offsetBias();
        int partR = (F + 1) * GH;
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        int split = (long) (F + H + 2) * GH * tasks < PARALLEL_ELEMENTWISE ? 1 : Math.min(threads, GH);
        run(split, s -> {
            for (int task = 0; task < tasks; task++) {
                float[] part = workspaces[task].part;
                for (int j = chunkStart(GH, split, s), j1 = chunkStart(GH, split, s + 1); j < j1; j++) {
                    for (int f = 0; f < F; f++) dp[oW + j * F + f] += part[f * GH + j];
                    for (int u = 0; u < H; u++) dp[oR + j * H + u] += part[partR + u * GH + j];
                    dp[oB + j] += part[F * GH + j];
                    if (!lstm) dp[oB + GH + j] += part[partR + H * GH + j];
                }
            }
        });
    }

    @Override
    public void lastStep(int batch, int steps, int width, Tensor seq, Tensor out) {
        FloatTensor S_ = floatTensorOfSize(seq, batch * steps * width, "lastStep seq (B, T, W)");
        FloatTensor O = floatTensorOfSize(out, batch * width, "lastStep out (B, W)");
        for (int b = 0; b < batch; b++) {
            System.arraycopy(S_.data, S_.offset + (b * steps + steps - 1) * width, O.data, O.offset + b * width, width);
        }
    }

    @Override
    public void lastStepBackward(int batch, int steps, int width, Tensor dOut, Tensor dSeq) {
        FloatTensor D = floatTensorOfSize(dOut, batch * width, "lastStepBackward dOut (B, W)");
        FloatTensor S_ = floatTensorOfSize(dSeq, batch * steps * width, "lastStepBackward dSeq (B, T, W)");
        for (int b = 0; b < batch; b++) {
            int so = S_.offset + b * steps * width;
            Arrays.fill(S_.data, so, so + (steps - 1) * width, 0f);
            System.arraycopy(D.data, D.offset + b * width, S_.data, so + (steps - 1) * width, width);
        }
    }

    @Override
    public void gatherRows(int rows, int width, Tensor src, Tensor index, Tensor dst) {
        if (rows < 0 || width < 0) throw new IllegalArgumentException("gatherRows sizes must be >= 0, found " + rows + " x " + width);
        FloatTensor S_ = floatTensor(src), I = floatTensorOfSize(index, rows, "gatherRows index (rows)");
        FloatTensor D = floatTensorOfSize(dst, (long) rows * width, "gatherRows dst (rows, width)");
        if (width == 0) return;
        int n = S_.size / width;
        int[] from = new int[rows];                             // every index checked before a row moves
        for (int i = 0; i < rows; i++) from[i] = ReferenceBackend.rowIndex("gatherRows", I.data[I.offset + i], n, i);
        int tasks = (long) rows * width < PARALLEL_COPY ? 1 : Math.min(threads, rows);
        run(tasks, task -> {
            for (int i = chunkStart(rows, tasks, task), end = chunkStart(rows, tasks, task + 1); i < end; i++) {
                System.arraycopy(S_.data, S_.offset + from[i] * width, D.data, D.offset + i * width, width);
            }
        });
    }

    @Override
    public void scatterRows(int rows, int width, Tensor src, Tensor index, Tensor dst) {
        if (rows < 0 || width < 0) throw new IllegalArgumentException("scatterRows sizes must be >= 0, found " + rows + " x " + width);
        FloatTensor S_ = floatTensorOfSize(src, (long) rows * width, "scatterRows src (rows, width)");
        FloatTensor I = floatTensorOfSize(index, rows, "scatterRows index (rows)");
        FloatTensor D = floatTensor(dst);
        if (width == 0) return;
        int n = D.size / width;
        for (int i = 0; i < rows; i++) {
            int r = ReferenceBackend.rowIndex("scatterRows", I.data[I.offset + i], n, i);
            System.arraycopy(S_.data, S_.offset + i * width, D.data, D.offset + r * width, width);
        }
    }

    // ---- regularisation, loss, optimiser -----------------------------------------------------

    @Override
    public void dropout(long seed, long step, int salt, float rate, int n, Tensor in, Tensor out) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("dropout rate must be in [0, 1), found " + rate);
        FloatTensor I = floatTensorOfSize(in, n, "dropout in"), O = floatTensorOfSize(out, n, "dropout out");
        // NB: scaled in double and rounded once, exactly as the reference, so values match bit for bit
        double scale = 1.0 / (1.0 - rate);
        int blocks = (n + 3) / 4;
        int tasks = n < PARALLEL_DROPOUT ? 1 : Math.min(threads, blocks);
        run(tasks, task -> dropoutBlocks(blocks * (long) task / tasks, blocks * (long) (task + 1) / tasks,
                seed, step, salt, rate, scale, n, I.data, I.offset, O.data, O.offset));
    }

    /** Dropout of Philox blocks [q0, q1), 4 elements each, of the n elements. */
    private void dropoutBlocks(long q0, long q1, long seed, long step, int salt, float rate, double scale, int n,
                               float[] in, int io, float[] out, int oo) {
        int c2 = (int) step, c3 = (int) (step >>> 32), k0 = (int) seed, k1 = (int) (seed >>> 32);
        int q = (int) q0, qEnd = (int) q1;
        if (vector) {                                          // PhiloxLanes.LANES blocks at a time
            final int lanes = PhiloxLanes.LANES, dl = DS.length();
            long[] words = new long[4 * lanes];                // word l of block b at [l*lanes + b]
            int[] ew = new int[4 * lanes];                     // the same words in element order
            // NB: toUniform(w) >= rate  <=>  (w >>> 8) >= ceil(rate 2^24), exactly: u is (w >>> 8) 2^-24
            int keepFrom = (int) Math.ceil(rate * 0x1p24);
            DoubleVector sv = DoubleVector.broadcast(DS, scale);
            FloatVector zero = FloatVector.zero(DFS);
            for (; q <= qEnd - lanes && 4 * (q + lanes) <= n; q += lanes) {
                PhiloxLanes.blocks(q, salt, c2, c3, k0, k1, words);
                for (int b = 0; b < lanes; b++) {
                    for (int l = 0; l < 4; l++) ew[4 * b + l] = (int) words[l * lanes + b];
                }
                for (int e = 0, i = 4 * q; e < 4 * lanes; e += dl, i += dl) {
                    // (float) (in * scale) in double, as the scalar loop: dl floats widened to doubles
                    DoubleVector d = (DoubleVector) FloatVector.fromArray(DFS, in, io + i).castShape(DS, 0);
                    FloatVector v = (FloatVector) d.mul(sv).castShape(DFS, 0);
                    IntVector w = IntVector.fromArray(DIS, ew, e).lanewise(VectorOperators.LSHR, 8);
                    zero.blend(v, w.compare(VectorOperators.GE, keepFrom).cast(DFS)).intoArray(out, oo + i);
                }
            }
        }
        int[] word = new int[4];
        for (; q < qEnd; q++) {                                // one Philox block gives 4 elements
            Philox.block(q, salt, c2, c3, k0, k1, word);
            for (int l = 0, i = 4 * q; l < 4 && i < n; l++, i++) {
                float v = (float) (in[io + i] * scale);
                out[oo + i] = Philox.toUniform(word[l]) >= rate ? v : 0f;
            }
        }
    }

    @Override
    public void softmaxCrossEntropy(int batch, int classes, Tensor logits, Tensor labels,
                                    float gradScale, Tensor dLogits, Tensor stats) {
        FloatTensor Lg = floatTensorOfSize(logits, batch * classes, "softmaxCrossEntropy logits (B, C)");
        FloatTensor Y = floatTensorOfSize(labels, batch, "softmaxCrossEntropy labels (B)");
        FloatTensor st = floatTensorOfSize(stats, 2, "softmaxCrossEntropy stats (2)");
        FloatTensor D = dLogits == null ? null : floatTensorOfSize(dLogits, batch * classes, "softmaxCrossEntropy dLogits (B, C)");
        // the rows are split between the threads; each row's loss and hit land in rowLoss and
        // rowHit, and the caller sums them in row order, as one thread would
        if (rowLoss.length < batch) {
            rowLoss = new double[batch];
            rowHit = new boolean[batch];
        }
        double[] rl = rowLoss;
        boolean[] hit = rowHit;
        int tasks = (long) batch * classes < PARALLEL_ELEMENTWISE ? 1 : Math.min(threads, batch);
        run(tasks, task -> crossEntropyRows(chunkStart(batch, tasks, task), chunkStart(batch, tasks, task + 1),
                classes, Lg, Y, gradScale, D, rl, hit));
        double lossSum = 0, correct = 0;
        for (int b = 0; b < batch; b++) {
            lossSum += rl[b];
            if (hit[b]) correct++;
        }
        st.data[st.offset] = (float) (st.data[st.offset] + lossSum);
        st.data[st.offset + 1] = (float) (st.data[st.offset + 1] + correct);
    }

    /**
     * Rows [b0, b1) of {@link #softmaxCrossEntropy}: row b's loss into {@code rowLoss[b]}, whether
     * its largest logit is its label's into {@code rowHit[b]}, and dLogits rows where D is not null.
     */
    private static void crossEntropyRows(int b0, int b1, int classes, FloatTensor Lg, FloatTensor Y, float gradScale,
                                         FloatTensor D, double[] rowLoss, boolean[] rowHit) {
        float[] l = Lg.data;
        for (int b = b0; b < b1; b++) {
            float lf = Y.data[Y.offset + b];
            int label = (int) lf;
            if (label != lf || label < 0 || label >= classes) {
                throw new IllegalArgumentException("label of row " + b + " must be a class index in [0, "
                        + classes + "), found " + lf);
            }
            int base = Lg.offset + b * classes;
            float max = Float.NEGATIVE_INFINITY;
            int argmax = 0;
            for (int c = 0; c < classes; c++) {
                if (l[base + c] > max) {
                    max = l[base + c];
                    argmax = c;
                }
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp((double) l[base + c] - max);
            double logSum = Math.log(sum) + max;
            rowLoss[b] = logSum - l[base + label];
            rowHit[b] = argmax == label;
            if (D != null) {
                int dOff = D.offset + b * classes;
                for (int c = 0; c < classes; c++) {
                    double pr = Math.exp(l[base + c] - logSum);
                    D.data[dOff + c] = (float) ((pr - (c == label ? 1 : 0)) * gradScale);
                }
            }
        }
    }

    @Override
    public void softmax(int rows, int cols, Tensor logits, Tensor probs) {
        FloatTensor Lg = floatTensorOfSize(logits, rows * cols, "softmax logits (rows, cols)");
        FloatTensor Pr = floatTensorOfSize(probs, rows * cols, "softmax probs (rows, cols)");
        for (int r = 0; r < rows; r++) {
            int li = Lg.offset + r * cols, pi = Pr.offset + r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) max = Math.max(max, Lg.data[li + c]);
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.exp((double) Lg.data[li + c] - max);
            for (int c = 0; c < cols; c++) Pr.data[pi + c] = (float) (Math.exp((double) Lg.data[li + c] - max) / sum);
        }
    }

    @Override
    public void adam(int n, Tensor params, Tensor grads, Tensor m, Tensor v,
                     float lr, float beta1, float beta2, float eps, long t) {
        if (t < 1) throw new IllegalArgumentException("adam step t is 1-based, found " + t);
        FloatTensor P = floatTensorOfSize(params, n, "adam params"), G = floatTensorOfSize(grads, n, "adam grads");
        FloatTensor M = floatTensorOfSize(m, n, "adam m"), V = floatTensorOfSize(v, n, "adam v");
        float alpha = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        // every element's update is the same float operations whichever lane or tail computes it,
        // so the split (at whole vectors) leaves the results unchanged
        int tasks = n < PARALLEL_ELEMENTWISE ? 1 : threads, vectors = n / LANES;
        run(tasks, task -> adamRange(task == 0 ? 0 : (int) ((long) vectors * task / tasks) * LANES,
                task == tasks - 1 ? n : (int) ((long) vectors * (task + 1) / tasks) * LANES,
                P, G, M, V, alpha, beta1, beta2, eps));
    }

    /** Adam's update of elements [from, to), as {@link #adam} describes. */
    private void adamRange(int from, int to, FloatTensor P, FloatTensor G, FloatTensor M, FloatTensor V,
                           float alpha, float beta1, float beta2, float eps) {
        float b1 = beta1, b2 = beta2, c1 = 1f - beta1, c2 = 1f - beta2;
        float[] pd = P.data, gd = G.data, md = M.data, vd = V.data;
        int po = P.offset, go = G.offset, mo = M.offset, vo = V.offset;
        int i = from;
        if (vector) {
            for (; i <= to - LANES; i += LANES) {
                FloatVector g = FloatVector.fromArray(SPECIES, gd, go + i);
                FloatVector mi = FloatVector.fromArray(SPECIES, md, mo + i).mul(b1).add(g.mul(c1));
                FloatVector vi = FloatVector.fromArray(SPECIES, vd, vo + i).mul(b2).add(g.mul(g).mul(c2));
                mi.intoArray(md, mo + i);
                vi.intoArray(vd, vo + i);
                FloatVector step = mi.mul(alpha).div(vi.sqrt().add(eps));
                FloatVector.fromArray(SPECIES, pd, po + i).sub(step).intoArray(pd, po + i);
            }
        }
        for (; i < to; i++) {
            float g = gd[go + i];
            float mi = md[mo + i] * b1 + g * c1;
            float vi = vd[vo + i] * b2 + g * g * c2;
            md[mo + i] = mi;
            vd[vo + i] = vi;
            pd[po + i] -= mi * alpha / ((float) Math.sqrt(vi) + eps);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private void run(int tasks, IntConsumer body) {
        pool.run(tasks, body);
    }

    /** act(src) into dst for the RNN cell activation (tanh or relu), rows ss and ds apart. */
    private void activate(boolean tanh, int rows, float[] src, int s, int ss, float[] dst, int d, int ds, int n) {
        if (tanh) {
            VectorMath.tanh(vector, rows, src, s, ss, dst, d, ds, n);
        } else {
            VectorMath.relu(vector, rows, src, s, ss, dst, d, ds, n);
        }
    }

    /** dst = a b over {@code rows} rows of n: a and b rows ss apart from a[s] and b[t], dst rows ds apart. */
    private void multiply(int rows, float[] a, int s, float[] b, int t, int ss, float[] dst, int d, int ds, int n) {
        for (int r = 0; r < rows; r++) {
            int ao = s + r * ss, bo = t + r * ss, o = d + r * ds;
            int i = 0;
            if (vector) {
                for (; i <= n - LANES; i += LANES) {
                    FloatVector.fromArray(SPECIES, a, ao + i).mul(FloatVector.fromArray(SPECIES, b, bo + i)).intoArray(dst, o + i);
                }
            }
            for (; i < n; i++) dst[o + i] = a[ao + i] * b[bo + i];
        }
    }

    /** act'(x) from y = act(x): tanh 1 - y^2, relu [y > 0]. */
    private static float derivative(boolean tanh, float y) {
        return tanh ? 1f - y * y : (y > 0f ? 1f : 0f);
    }

    /** dst[0, n) = g[from, from + n) (the chunk's rows of a (B, H) gradient), or 0 where g is null. */
    private static void startGradient(FloatTensor g, int from, int n, float[] dst) {
        if (g == null) {
            Arrays.fill(dst, 0, n, 0f);
        } else {
            System.arraycopy(g.data, g.offset + from, dst, 0, n);
        }
    }

    private static float[] grow(float[] a, int size) {
        return a.length >= size ? a : new float[Math.max(size, a.length + a.length / 2)];
    }

    private static FloatTensor floatTensor(Tensor t) {
        if (t instanceof FloatTensor f) return f;
        throw new IllegalArgumentException("the cpu backend takes its own tensors, found "
                + (t == null ? "null" : t.getClass().getSimpleName()));
    }

    /** A (B, H) state tensor, or null for none. */
    private static FloatTensor state(Tensor t, int batch, int units, String what) {
        return t == null ? null : floatTensorOfSize(t, (long) batch * units, what, " (B, H)");
    }

    private static FloatTensor floatTensorOfSize(Tensor t, long size, String what) {
        FloatTensor f = floatTensor(t);
        if (f.size < size) throw tooSmall(what, size, f.size);
        return f;
    }

    /**
     * {@link #floatTensorOfSize(Tensor, long, String)} naming the tensor {@code what + detail}.
     * NB: the name is put together only on failure: these checks run on every call of a
     * training step, where formatting an {@link RnnSpec} or a shape each time was a visible
     * share of the step's single-threaded time.
     */
    private static FloatTensor floatTensorOfSize(Tensor t, long size, String what, Object detail) {
        FloatTensor f = floatTensor(t);
        if (f.size < size) throw tooSmall(what + detail, size, f.size);
        return f;
    }

    private static IllegalArgumentException tooSmall(String what, long size, int found) {
        return new IllegalArgumentException(what + ": expected at least " + size + " floats, found " + found);
    }
}
