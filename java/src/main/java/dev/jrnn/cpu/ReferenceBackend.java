package dev.jrnn.cpu;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Philox;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;

/**
 * The scalar reference: every op as the plainest loops over {@code double}, one thread, never
 * optimised. It is the ground truth that the fast backends are tested against, and its float64
 * arithmetic makes finite-difference gradient checks meaningful.
 */
public final class ReferenceBackend extends ReserveBackend {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String description() {
        return "reference (scalar float64 loops, 1 thread)";
    }

    @Override
    public DoubleTensor allocate(int size) {
        return new DoubleTensor(new double[size], 0, size);
    }

    /** A tensor holding a copy of {@code values}, for tests. */
    public DoubleTensor of(double... values) {
        return new DoubleTensor(values.clone(), 0, values.length);
    }

    /** A copy of the tensor's contents, for tests. */
    public static double[] toArray(Tensor t) {
        DoubleTensor d = (DoubleTensor) t;
        double[] out = new double[d.size];
        System.arraycopy(d.data, d.offset, out, 0, d.size);
        return out;
    }

    @Override
    public void write(float[] src, int srcOffset, Tensor dst, int length) {
        DoubleTensor d = doubleTensor(dst);
        for (int i = 0; i < length; i++) d.set(i, src[srcOffset + i]);
    }

    @Override
    public void read(Tensor src, float[] dst, int dstOffset, int length) {
        DoubleTensor s = doubleTensor(src);
        for (int i = 0; i < length; i++) dst[dstOffset + i] = (float) s.get(i);
    }

    @Override
    public void fill(Tensor t, float value) {
        DoubleTensor d = doubleTensor(t);
        for (int i = 0; i < d.size; i++) d.set(i, value);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        DoubleTensor A = doubleTensor(a), B = doubleTensor(b), C = doubleTensor(c);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = transA ? A.get(p * m + i) : A.get(i * k + p);
                    double bv = transB ? B.get(j * k + p) : B.get(p * n + j);
                    s += av * bv;
                }
                double old = beta == 0 ? 0 : beta * C.get(i * n + j);
                C.set(i * n + j, alpha * s + old);
            }
        }
    }

    @Override
    public void biasActivation(int rows, int cols, Tensor y, Tensor bias, Activation act) {
        DoubleTensor Y = doubleTensor(y), b = doubleTensor(bias);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                Y.set(i * cols + j, activate(act, Y.get(i * cols + j) + b.get(j)));
            }
        }
    }

    @Override
    public void activationBackward(int n, Activation act, Tensor y, Tensor dy) {
        DoubleTensor Y = doubleTensor(y), D = doubleTensor(dy);
        for (int i = 0; i < n; i++) D.set(i, D.get(i) * derivative(act, Y.get(i)));
    }

    @Override
    public void biasGradient(int rows, int cols, Tensor dy, Tensor db) {
        DoubleTensor D = doubleTensor(dy), B = doubleTensor(db);
        for (int j = 0; j < cols; j++) {
            double s = 0;
            for (int i = 0; i < rows; i++) s += D.get(i * cols + j);
            B.set(j, B.get(j) + s);
        }
    }

    // ---- recurrent layers --------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>Per sample and direction, the plainest loop: direction 0 runs times {@code 0 .. len-1},
     * direction 1 times {@code len-1 .. 0}, each from the initial state; y is 0 past len. Reserve
     * of sample b, direction d at {@code b * reservePerSample(T) + d * reservePerSample(T) / directions}:
     * gates (T, G*H), then the extra (T, H) (LSTM c, GRU {@code R_n h + b_Rn}), indexed by time.
     */
    @Override
    public void rnnForward(RnnSpec spec, int batch, int steps, int[] lengths, Tensor x, Tensor hx, Tensor cx,
                           Tensor params, Tensor y, Tensor hy, Tensor cy, Tensor reserve) {
        if (spec.layers() > 1) {
            RnnStack.forward(this, spec, batch, steps, lengths, x, hx, cx, params, y, hy, cy, reserve);
            return;
        }
        spec.checkCellStates("rnnForward", "cx", cx, "cy", cy);
        RnnSpec.checkLengths("rnnForward", batch, steps, lengths);
        // NB: a null reserve (inference) gets a scratch one: the loops below keep gates and states in it
        DoubleTensor X = doubleTensor(x), P = doubleTensor(params), Y = doubleTensor(y),
                S = reserve != null ? doubleTensor(reserve) : allocate(batch * spec.reservePerSample(steps));
        int F = spec.inputSize(), H = spec.units(), GH = spec.gateWidth(), T = steps, D = spec.directions(), OH = D * H;
        DoubleTensor HX = state(hx, D * batch, H, "rnnForward hx"), CX = state(cx, D * batch, H, "rnnForward cx");
        DoubleTensor HY = state(hy, D * batch, H, "rnnForward hy"), CY = state(cy, D * batch, H, "rnnForward cy");
        Activation act = spec.activation();
        int perSample = spec.reservePerSample(T), one = perSample / D;
        double[] gx = new double[GH], gh = new double[GH];
        double[] h = new double[H], c = new double[H];           // h(t-1), c(t-1) of the sample at hand
        for (int d = 0; d < D; d++) {
            int dOff = spec.directionOffset(d);
            int oW = dOff + spec.offsetW(), oR = dOff + spec.offsetR(), oB = dOff + spec.offsetBias();
            for (int b = 0; b < batch; b++) {
                int len = lengths == null ? T : lengths[b];
                int rs = b * perSample + d * one;             // reserve: gates (T, GH), then extra (T, H)
                int so = (d * batch + b) * H;                 // this sample's and direction's states
                for (int u = 0; u < H; u++) {
                    h[u] = HX == null ? 0 : HX.get(so + u);
                    c[u] = CX == null ? 0 : CX.get(so + u);
                }
                for (int s = 0; s < len; s++) {
                    int t = d == 0 ? s : len - 1 - s;
                    int xo = (b * T + t) * F, yo = (b * T + t) * OH + d * H;
                    for (int j = 0; j < GH; j++) {
                        double sx = 0, sh = 0;
                        for (int k = 0; k < F; k++) sx += P.get(oW + j * F + k) * X.get(xo + k);
                        for (int k = 0; k < H; k++) sh += P.get(oR + j * H + k) * h[k];
                        if (spec.cell() == RnnSpec.Cell.LSTM) {
                            sx += P.get(oB + j);
                        } else {
                            sx += P.get(oB + j);
                            sh += P.get(oB + GH + j);
                        }
                        gx[j] = sx;
                        gh[j] = sh;
                    }
                    int go = rs + t * GH, eo = rs + T * GH + t * H;
                    for (int u = 0; u < H; u++) {
                        double hPrev = h[u];
                        if (spec.cell() == RnnSpec.Cell.LSTM) {
                            double i = sigmoid(gx[u] + gh[u]);
                            double f = sigmoid(gx[H + u] + gh[H + u]);
                            double g = activate(act, gx[2 * H + u] + gh[2 * H + u]);
                            double o = sigmoid(gx[3 * H + u] + gh[3 * H + u]);
                            double cNew = f * c[u] + i * g;
                            S.set(go + u, i);
                            S.set(go + H + u, f);
                            S.set(go + 2 * H + u, g);
                            S.set(go + 3 * H + u, o);
                            S.set(eo + u, cNew);
                            Y.set(yo + u, o * activate(act, cNew));
                        } else {
                            double r = sigmoid(gx[u] + gh[u]);
                            double z = sigmoid(gx[H + u] + gh[H + u]);
                            double n = activate(act, gx[2 * H + u] + r * gh[2 * H + u]);
                            S.set(go + u, r);
                            S.set(go + H + u, z);
                            S.set(go + 2 * H + u, n);
                            S.set(eo + u, gh[2 * H + u]);
                            Y.set(yo + u, (1 - z) * n + z * hPrev);
                        }
                    }
                    for (int u = 0; u < H; u++) {
                        h[u] = Y.get(yo + u);
                        if (spec.cell() == RnnSpec.Cell.LSTM) c[u] = S.get(eo + u);
                    }
                }
                for (int t = len; t < T; t++) {               // padding: y = 0
                    for (int u = 0; u < H; u++) Y.set((b * T + t) * OH + d * H + u, 0);
                }
                for (int u = 0; u < H; u++) {
                    if (HY != null) HY.set(so + u, h[u]);
                    if (CY != null) CY.set(so + u, c[u]);
                }
            }
        }
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
        DoubleTensor X = doubleTensor(x), P = doubleTensor(params), Y = doubleTensor(y), S = doubleTensor(reserve);
        DoubleTensor DY = dy == null ? null : doubleTensor(dy);                 // null: dy is 0
        DoubleTensor DX = dx == null ? null : doubleTensor(dx), DP = doubleTensor(dParams);
        int F = spec.inputSize(), H = spec.units(), GH = spec.gateWidth(), T = steps, D = spec.directions(), OH = D * H;
        DoubleTensor HX = state(hx, D * batch, H, "rnnBackward hx"), CX = state(cx, D * batch, H, "rnnBackward cx");
        DoubleTensor DHY = state(dhy, D * batch, H, "rnnBackward dhy"), DCY = state(dcy, D * batch, H, "rnnBackward dcy");
        DoubleTensor DHX = state(dhx, D * batch, H, "rnnBackward dhx"), DCX = state(dcx, D * batch, H, "rnnBackward dcx");
        Activation act = spec.activation();
        boolean lstm = spec.cell() == RnnSpec.Cell.LSTM;
        int perSample = spec.reservePerSample(T), one = perSample / D;
        double[] dgx = new double[GH], dgh = new double[GH];   // pre-activation gate gradients
        double[] dhNext = new double[H], dcNext = new double[H];
        double[] hPrevs = new double[H];
        if (DX != null) {                                     // dx sums the directions; 0 past each length
            for (int i = 0; i < batch * T * F; i++) DX.set(i, 0);
        }
        for (int d = 0; d < D; d++) {
            int dOff = spec.directionOffset(d);
            int oW = dOff + spec.offsetW(), oR = dOff + spec.offsetR(), oB = dOff + spec.offsetBias();
            for (int b = 0; b < batch; b++) {
                int len = lengths == null ? T : lengths[b];
                int rs = b * perSample + d * one, so = (d * batch + b) * H;
                for (int u = 0; u < H; u++) {              // the gradient into the last h is dy[:, last] + dhy
                    dhNext[u] = DHY == null ? 0 : DHY.get(so + u);
                    dcNext[u] = DCY == null ? 0 : DCY.get(so + u);
                }
                for (int s = len - 1; s >= 0; s--) {
                    // time t of processing step s, and tp the time processed before it (-1: the initial state)
                    int t = d == 0 ? s : len - 1 - s, tp = s == 0 ? -1 : d == 0 ? t - 1 : t + 1;
                    int xo = (b * T + t) * F, yo = (b * T + t) * OH + d * H;
                    int go = rs + t * GH, eo = rs + T * GH + t * H;
                    for (int u = 0; u < H; u++) {           // h(t-1): y of the step before, or hx
                        hPrevs[u] = tp >= 0 ? Y.get((b * T + tp) * OH + d * H + u) : HX == null ? 0 : HX.get(so + u);
                    }
                    for (int u = 0; u < H; u++) {
                        double dh = DY == null ? dhNext[u] : DY.get(yo + u) + dhNext[u];
                        double hPrev = hPrevs[u];
                        if (lstm) {
                            double i = S.get(go + u), f = S.get(go + H + u);
                            double g = S.get(go + 2 * H + u), o = S.get(go + 3 * H + u);
                            double c = S.get(eo + u);
                            double cPrev = tp >= 0 ? S.get(rs + T * GH + tp * H + u) : CX == null ? 0 : CX.get(so + u);
                            double ac = activate(act, c);
                            double dOut = dh * ac;
                            double dc = dcNext[u] + dh * o * derivative(act, ac);
                            dcNext[u] = dc * f;
                            dgx[u] = dc * g * i * (1 - i);
                            dgx[H + u] = dc * cPrev * f * (1 - f);
                            dgx[2 * H + u] = dc * i * derivative(act, g);
                            dgx[3 * H + u] = dOut * o * (1 - o);
                        } else {
                            double r = S.get(go + u), z = S.get(go + H + u), n = S.get(go + 2 * H + u);
                            double ghn = S.get(eo + u);
                            double dan = dh * (1 - z) * derivative(act, n);
                            double daz = dh * (hPrev - n) * z * (1 - z);
                            double dar = dan * ghn * r * (1 - r);
                            dgx[u] = dar;
                            dgx[H + u] = daz;
                            dgx[2 * H + u] = dan;
                            dgh[u] = dar;
                            dgh[H + u] = daz;
                            dgh[2 * H + u] = dan * r;
                            dhNext[u] = dh * z;                    // direct path; R-path added below
                        }
                    }
                    double[] dRec = lstm ? dgx : dgh;               // LSTM: one gate gradient for both products
                    for (int j = 0; j < GH; j++) {
                        for (int k = 0; k < F; k++) add(DP, oW + j * F + k, dgx[j] * X.get(xo + k));
                        for (int k = 0; k < H; k++) add(DP, oR + j * H + k, dRec[j] * hPrevs[k]);
                        add(DP, oB + j, dgx[j]);
                        if (!lstm) add(DP, oB + GH + j, dgh[j]);
                    }
                    if (DX != null) {
                        for (int k = 0; k < F; k++) {
                            double sum = 0;
                            for (int j = 0; j < GH; j++) sum += dgx[j] * P.get(oW + j * F + k);
                            add(DX, xo + k, sum);
                        }
                    }
                    for (int k = 0; k < H; k++) {
                        double sum = 0;
                        for (int j = 0; j < GH; j++) sum += dRec[j] * P.get(oR + j * H + k);
                        dhNext[k] = lstm ? sum : dhNext[k] + sum;
                    }
                }
                for (int u = 0; u < H; u++) {              // after the first step: the gradients into hx and cx
                    if (DHX != null) DHX.set(so + u, dhNext[u]);
                    if (DCX != null) DCX.set(so + u, dcNext[u]);
                }
            }
        }
    }

    @Override
    public void lastStep(int batch, int steps, int width, Tensor seq, Tensor out) {
        DoubleTensor S = doubleTensor(seq), O = doubleTensor(out);
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < width; j++) O.set(b * width + j, S.get((b * steps + steps - 1) * width + j));
        }
    }

    @Override
    public void lastStepBackward(int batch, int steps, int width, Tensor dOut, Tensor dSeq) {
        DoubleTensor D = doubleTensor(dOut), S = doubleTensor(dSeq);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < steps; t++) {
                for (int j = 0; j < width; j++) {
                    S.set((b * steps + t) * width + j, t == steps - 1 ? D.get(b * width + j) : 0);
                }
            }
        }
    }

    @Override
    public void gatherRows(int rows, int width, Tensor src, Tensor index, Tensor dst) {
        if (rows < 0 || width < 0) throw new IllegalArgumentException("gatherRows sizes must be >= 0, found " + rows + " x " + width);
        DoubleTensor S = doubleTensor(src), I = doubleTensor(index), D = doubleTensor(dst);
        if (I.size() < rows || D.size() < (long) rows * width) {
            throw new IllegalArgumentException("gatherRows: expected index (" + rows + ") and dst (" + rows + ", " + width
                    + "), found " + I.size() + " and " + D.size() + " elements");
        }
        if (width == 0) return;
        int n = S.size() / width;
        for (int i = 0; i < rows; i++) {
            int r = rowIndex("gatherRows", I.get(i), n, i);
            for (int j = 0; j < width; j++) D.set(i * width + j, S.get(r * width + j));
        }
    }

    @Override
    public void scatterRows(int rows, int width, Tensor src, Tensor index, Tensor dst) {
        if (rows < 0 || width < 0) throw new IllegalArgumentException("scatterRows sizes must be >= 0, found " + rows + " x " + width);
        DoubleTensor S = doubleTensor(src), I = doubleTensor(index), D = doubleTensor(dst);
        if (I.size() < rows || S.size() < (long) rows * width) {
            throw new IllegalArgumentException("scatterRows: expected index (" + rows + ") and src (" + rows + ", " + width
                    + "), found " + I.size() + " and " + S.size() + " elements");
        }
        if (width == 0) return;
        int n = D.size() / width;
        for (int i = 0; i < rows; i++) {
            int r = rowIndex("scatterRows", I.get(i), n, i);
            for (int j = 0; j < width; j++) D.set(r * width + j, S.get(i * width + j));
        }
    }

    /** Row {@code v} of {@code n}, checked: an index that is not a whole row number is an error. */
    static int rowIndex(String op, double v, int n, int i) {
        int r = (int) v;
        if (r != v || r < 0 || r >= n) {
            throw new IllegalArgumentException(op + " index[" + i + "]: expected a row in [0, " + n + "), found " + v);
        }
        return r;
    }

    // ---- regularisation, loss, optimiser -----------------------------------------------------

    @Override
    public void dropout(long seed, long step, int salt, float rate, int n, Tensor in, Tensor out) {
        if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("dropout rate must be in [0, 1), found " + rate);
        DoubleTensor I = doubleTensor(in), O = doubleTensor(out);
        double scale = 1.0 / (1.0 - rate);
        for (int i = 0; i < n; i++) {
            boolean keep = Philox.uniform(seed, step, salt, i) >= rate;
            O.set(i, keep ? I.get(i) * scale : 0);
        }
    }

    @Override
    public void softmaxCrossEntropy(int batch, int classes, Tensor logits, Tensor labels,
                                    float gradScale, Tensor dLogits, Tensor stats) {
        DoubleTensor L = doubleTensor(logits), Y = doubleTensor(labels), st = doubleTensor(stats);
        DoubleTensor D = dLogits == null ? null : doubleTensor(dLogits);
        double lossSum = 0, correct = 0;
        for (int b = 0; b < batch; b++) {
            int label = (int) Y.get(b), base = b * classes;
            double max = Double.NEGATIVE_INFINITY;
            int argmax = 0;
            for (int c = 0; c < classes; c++) {
                if (L.get(base + c) > max) {
                    max = L.get(base + c);
                    argmax = c;
                }
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp(L.get(base + c) - max);
            double logSum = Math.log(sum) + max;
            lossSum += logSum - L.get(base + label);
            if (argmax == label) correct++;
            if (D != null) {
                for (int c = 0; c < classes; c++) {
                    double p = Math.exp(L.get(base + c) - logSum);
                    D.set(base + c, (p - (c == label ? 1 : 0)) * gradScale);
                }
            }
        }
        st.set(0, st.get(0) + lossSum);
        st.set(1, st.get(1) + correct);
    }

    @Override
    public void softmax(int rows, int cols, Tensor logits, Tensor probs) {
        DoubleTensor L = doubleTensor(logits), P = doubleTensor(probs);
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) max = Math.max(max, L.get(r * cols + c));
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.exp(L.get(r * cols + c) - max);
            for (int c = 0; c < cols; c++) P.set(r * cols + c, Math.exp(L.get(r * cols + c) - max) / sum);
        }
    }

    @Override
    public void adam(int n, Tensor params, Tensor grads, Tensor m, Tensor v,
                     float lr, float beta1, float beta2, float eps, long t) {
        if (t < 1) throw new IllegalArgumentException("adam step t is 1-based, found " + t);
        DoubleTensor P = doubleTensor(params), G = doubleTensor(grads), M = doubleTensor(m), V = doubleTensor(v);
        double b1 = beta1, b2 = beta2;
        double alpha = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
        for (int i = 0; i < n; i++) {
            double g = G.get(i);
            double mi = b1 * M.get(i) + (1 - b1) * g;
            double vi = b2 * V.get(i) + (1 - b2) * g * g;
            M.set(i, mi);
            V.set(i, vi);
            P.set(i, P.get(i) - alpha * mi / (Math.sqrt(vi) + eps));
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    static double activate(Activation act, double x) {
        return switch (act) {
            case LINEAR -> x;
            case RELU -> x < 0 ? 0 : x;             // NB: NaN propagates, as in PyTorch
            case TANH -> Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case SOFTMAX -> throw new IllegalArgumentException("softmax is not an element-wise activation");
        };
    }

    /** Derivative expressed through the activation's output {@code y = act(x)}. */
    static double derivative(Activation act, double y) {
        return switch (act) {
            case LINEAR -> 1;
            case RELU -> y > 0 ? 1 : 0;
            case TANH -> 1 - y * y;
            case SIGMOID -> y * (1 - y);
            case SOFTMAX -> throw new IllegalArgumentException("softmax is not an element-wise activation");
        };
    }

    /** A (B, H) state tensor, or null for none. */
    private static DoubleTensor state(Tensor t, int batch, int units, String what) {
        if (t == null) return null;
        DoubleTensor d = doubleTensor(t);
        if (d.size < (long) batch * units) {
            throw new IllegalArgumentException(what + " (B, H): expected at least " + (long) batch * units
                    + " values, found " + d.size);
        }
        return d;
    }

    private static void add(DoubleTensor t, int i, double v) {
        t.set(i, t.get(i) + v);
    }

    private static DoubleTensor doubleTensor(Tensor t) {
        if (t instanceof DoubleTensor d) return d;
        throw new IllegalArgumentException("the reference backend takes its own tensors, found "
                + (t == null ? "null" : t.getClass().getSimpleName()));
    }
}
