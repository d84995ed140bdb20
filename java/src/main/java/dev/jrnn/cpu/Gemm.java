package dev.jrnn.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 matrix product over row-major views of Java arrays, register-blocked for the Vector
 * API:
 * <pre>
 *   C(i, j) = beta * C(i, j) + bias(j) + sum_k A(i, k) B(k, j) + after(j)     i &lt; m, j &lt; n, k &lt; K
 *   A(i, k) = a[aOff + i*lda + k]     B(k, j) = b[bOff + k*ldb + j]     C(i, j) = c[cOff + i*ldc + j]
 * </pre>
 * With {@code beta == 0} C is never read (NaN in it is ignored); {@code bias} and {@code after}
 * may be null. {@code after} is added once the k terms are in, as one more k step would be.
 * Callers transpose A first when it is stored the other way (see {@link #transpose}): a
 * k-contiguous A row lets the JIT hoist the range checks out of the k loop, which is worth
 * more than the copy.
 *
 * <p>Blocking: 6 rows x 64 columns of accumulators (24 registers of 16 floats) stream k; 32-
 * and 16-column kernels take the remaining columns, a ragged end goes through zero-padded
 * copies; a short last row block re-reads its last row instead of a separate kernel. k is cut into blocks of
 * {@value #KC} so that the B rows a block reads stay in L2.
 *
 * <p>NB: the kernels only ever start from 0 or from C and end with an optional add of
 * {@code after} and a plain store; {@code beta} and {@code bias} are applied to C beforehand.
 * Keeping the kernels this small matters: C2
 * stops inlining Vector API calls once a method grows past its node budget, and a call that
 * is not inlined runs the API's slow Java fallback.
 *
 * <p>NB: every output element is accumulated with one {@code fma} per k, in k order, starting
 * from the same value, whichever kernel (vector block, masked tail or scalar fallback)
 * computes it, so results do not depend on how rows are split between threads, nor on
 * vectorisation being on.
 */
final class Gemm {
    private static final VectorSpecies<Float> S = VectorMath.SPECIES;
    private static final int L = S.length();
    /** Rows per register block. */
    static final int MR = 6;
    /** Columns of the widest register block. */
    private static final int NR = 4 * L;
    /** k per block. */
    static final int KC = 512;

    private Gemm() {}

    /** {@code C = beta C + bias + A B}, as described in the class comment. */
    static void gemm(boolean vector, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, float beta, float[] bias, int biasOff) {
        gemm(vector, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta, bias, biasOff, null, 0);
    }

    /**
     * {@code C = beta C + bias + A B + after}: {@code after} (a row of n floats from
     * {@code after[afterOff]}, or null) is added to each sum once its k terms are in, as one more
     * k step whose A column is all 1 would add it, bit for bit. NB: the RNN step's input bias goes
     * in this way between x W^T and h R^T without a separate pass over the gates.
     */
    static void gemm(boolean vector, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, float beta, float[] bias, int biasOff, float[] after, int afterOff) {
        if (m <= 0 || n <= 0) return;
        boolean add = true;                                    // start the sums from C
        if (bias != null) {
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc;
                if (beta == 0f) {
                    System.arraycopy(bias, biasOff, c, ci, n);
                } else {
                    for (int j = 0; j < n; j++) c[ci + j] = beta * c[ci + j] + bias[biasOff + j];
                }
            }
        } else if (beta == 0f) {
            add = false;
        } else if (beta != 1f) {
            for (int i = 0; i < m; i++) {
                int ci = cOff + i * ldc;
                for (int j = 0; j < n; j++) c[ci + j] *= beta;
            }
        }
        if (k <= 0) {
            if (!add) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            if (after != null) {
                for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[cOff + i * ldc + j] += after[afterOff + j];
            }
        }
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kb = Math.min(KC, k - k0);
            boolean addBlock = add || k0 > 0;
            float[] tail = k0 + kb == k ? after : null;             // after the last k block only
            if (vector) {
                block(m, n, kb, a, aOff + k0, lda, b, bOff + k0 * ldb, ldb, c, cOff, ldc, addBlock, tail, afterOff);
            } else {
                scalar(m, n, kb, a, aOff + k0, lda, b, bOff + k0 * ldb, ldb, c, cOff, ldc, addBlock, tail, afterOff);
            }
        }
    }

    private static void block(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc, boolean add, float[] after, int afterOff) {
        int j = 0;
        for (; j + NR <= n; j += NR) {
            for (int i = 0; i < m; i += MR) {
                k6x4(k, a, aOff + i * lda, lda, Math.min(MR, m - i), b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, add,
                        after, afterOff + j);
            }
        }
        if (j + 2 * L <= n) {
            for (int i = 0; i < m; i += MR) {
                k6x2(k, a, aOff + i * lda, lda, Math.min(MR, m - i), b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, add,
                        after, afterOff + j);
            }
            j += 2 * L;
        }
        if (j + L == n) {
            for (int i = 0; i < m; i += MR) {
                k6x1(k, a, aOff + i * lda, lda, Math.min(MR, m - i), b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, add,
                        after, afterOff + j);
            }
        } else if (j < n) {
            paddedTail(m, n - j, k, a, aOff, lda, b, bOff + j, ldb, c, cOff + j, ldc, add, after, afterOff + j);
        }
    }

    /** Scratch for {@link #paddedTail}, per thread. */
    private static final ThreadLocal<float[][]> PAD = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

    /**
     * The last {@code w < 2L} columns (not exactly L): B's and C's columns are copied into
     * zero-padded buffers one or two vectors wide, computed with a full-vector kernel, and C's
     * copied back. NB: this keeps masked loads and stores out of the kernels; with them the
     * kernels grow too big for C1, which then leaves them unprofiled and slow for seconds.
     */
    private static void paddedTail(int m, int w, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                   float[] c, int cOff, int ldc, boolean add, float[] after, int afterOff) {
        int wp = w <= L ? L : 2 * L;
        float[][] pad = PAD.get();
        if (pad[0].length < k * wp) pad[0] = new float[k * wp];
        if (pad[1].length < m * wp) pad[1] = new float[m * wp];
        float[] bp = pad[0], cp = pad[1];
        for (int kk = 0; kk < k; kk++) {
            System.arraycopy(b, bOff + kk * ldb, bp, kk * wp, w);
            java.util.Arrays.fill(bp, kk * wp + w, kk * wp + wp, 0f);
        }
        if (add) {
            for (int i = 0; i < m; i++) System.arraycopy(c, cOff + i * ldc, cp, i * wp, w);
        }
        for (int i = 0; i < m; i += MR) {
            if (wp == L) {
                k6x1(k, a, aOff + i * lda, lda, Math.min(MR, m - i), bp, 0, wp, cp, i * wp, wp, add, null, 0);
            } else {
                k6x2(k, a, aOff + i * lda, lda, Math.min(MR, m - i), bp, 0, wp, cp, i * wp, wp, add, null, 0);
            }
        }
        if (after != null) {                                       // a plain float add, as a kernel's lane does
            for (int i = 0; i < m; i++) for (int jj = 0; jj < w; jj++) cp[i * wp + jj] += after[afterOff + jj];
        }
        for (int i = 0; i < m; i++) System.arraycopy(cp, i * wp, c, cOff + i * ldc, w);
    }

    /** Plain loops: the fallback when vectorisation is off. */
    static void scalar(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, boolean add, float[] after, int afterOff) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int ci = cOff + i * ldc + j;
                float acc = add ? c[ci] : 0f;
                for (int kk = 0, ap = aOff + i * lda, bp = bOff + j; kk < k; kk++, bp += ldb) {
                    acc = Math.fma(a[ap + kk], b[bp], acc);
                }
                if (after != null) acc += after[afterOff + j];
                c[ci] = acc;
            }
        }
    }

    /**
     * {@code dst[dOff + j*ldd + i] = src[sOff + i*lds + j]} for i &lt; rows, j &lt; cols. The
     * vector path gathers one column of L source rows and stores it as one contiguous run.
     */
    static void transpose(boolean vector, int rows, int cols, float[] src, int sOff, int lds,
                          float[] dst, int dOff, int ldd) {
        int i0 = 0;
        if (vector && rows >= L) {
            int[] rowStarts = new int[L];
            for (int l = 0; l < L; l++) rowStarts[l] = l * lds;
            for (; i0 <= rows - L; i0 += L) {
                int s = sOff + i0 * lds, d = dOff + i0;
                for (int j = 0; j < cols; j++) {
                    FloatVector.fromArray(S, src, s + j, rowStarts, 0).intoArray(dst, d + j * ldd);
                }
            }
        }
        for (int i = i0; i < rows; i++) {
            int s = sOff + i * lds;
            for (int j = 0; j < cols; j++) dst[dOff + j * ldd + i] = src[s + j];
        }
    }

    // ---- micro-kernels: (rows x vectors) accumulators held in registers over the k loop ----

    private static void k6x4(int k, float[] a, int aStart, int lda, int rv,
                             float[] b, int bStart, int ldb, float[] c, int ci, int ldc, boolean add,
                             float[] after, int afterOff) {
        // rows past the valid ones re-read the last valid row of A and C; they are not stored
        int a0 = aStart, r0 = ci;
        int a1 = aStart + Math.min(1, rv - 1) * lda, r1 = ci + Math.min(1, rv - 1) * ldc;
        int a2 = aStart + Math.min(2, rv - 1) * lda, r2 = ci + Math.min(2, rv - 1) * ldc;
        int a3 = aStart + Math.min(3, rv - 1) * lda, r3 = ci + Math.min(3, rv - 1) * ldc;
        int a4 = aStart + Math.min(4, rv - 1) * lda, r4 = ci + Math.min(4, rv - 1) * ldc;
        int a5 = aStart + Math.min(5, rv - 1) * lda, r5 = ci + Math.min(5, rv - 1) * ldc;
        FloatVector c00, c01, c02, c03;
        FloatVector c10, c11, c12, c13;
        FloatVector c20, c21, c22, c23;
        FloatVector c30, c31, c32, c33;
        FloatVector c40, c41, c42, c43;
        FloatVector c50, c51, c52, c53;
        if (add) {
            c00 = FloatVector.fromArray(S, c, r0); c01 = FloatVector.fromArray(S, c, r0 + L);
            c02 = FloatVector.fromArray(S, c, r0 + 2 * L); c03 = FloatVector.fromArray(S, c, r0 + 3 * L);
            c10 = FloatVector.fromArray(S, c, r1); c11 = FloatVector.fromArray(S, c, r1 + L);
            c12 = FloatVector.fromArray(S, c, r1 + 2 * L); c13 = FloatVector.fromArray(S, c, r1 + 3 * L);
            c20 = FloatVector.fromArray(S, c, r2); c21 = FloatVector.fromArray(S, c, r2 + L);
            c22 = FloatVector.fromArray(S, c, r2 + 2 * L); c23 = FloatVector.fromArray(S, c, r2 + 3 * L);
            c30 = FloatVector.fromArray(S, c, r3); c31 = FloatVector.fromArray(S, c, r3 + L);
            c32 = FloatVector.fromArray(S, c, r3 + 2 * L); c33 = FloatVector.fromArray(S, c, r3 + 3 * L);
            c40 = FloatVector.fromArray(S, c, r4); c41 = FloatVector.fromArray(S, c, r4 + L);
            c42 = FloatVector.fromArray(S, c, r4 + 2 * L); c43 = FloatVector.fromArray(S, c, r4 + 3 * L);
            c50 = FloatVector.fromArray(S, c, r5); c51 = FloatVector.fromArray(S, c, r5 + L);
            c52 = FloatVector.fromArray(S, c, r5 + 2 * L); c53 = FloatVector.fromArray(S, c, r5 + 3 * L);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z; c02 = z; c03 = z;
            c10 = z; c11 = z; c12 = z; c13 = z;
            c20 = z; c21 = z; c22 = z; c23 = z;
            c30 = z; c31 = z; c32 = z; c33 = z;
            c40 = z; c41 = z; c42 = z; c43 = z;
            c50 = z; c51 = z; c52 = z; c53 = z;
        }
        for (int kk = 0, bp = bStart; kk < k; kk++, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bp + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bp + 3 * L);
            FloatVector av = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01); c02 = av.fma(b2, c02); c03 = av.fma(b3, c03);
            av = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11); c12 = av.fma(b2, c12); c13 = av.fma(b3, c13);
            av = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21); c22 = av.fma(b2, c22); c23 = av.fma(b3, c23);
            av = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31); c32 = av.fma(b2, c32); c33 = av.fma(b3, c33);
            av = FloatVector.broadcast(S, a[a4 + kk]);
            c40 = av.fma(b0, c40); c41 = av.fma(b1, c41); c42 = av.fma(b2, c42); c43 = av.fma(b3, c43);
            av = FloatVector.broadcast(S, a[a5 + kk]);
            c50 = av.fma(b0, c50); c51 = av.fma(b1, c51); c52 = av.fma(b2, c52); c53 = av.fma(b3, c53);
        }
        if (after != null) {                                       // one more k step of 1 x after
            FloatVector t0 = FloatVector.fromArray(S, after, afterOff);
            FloatVector t1 = FloatVector.fromArray(S, after, afterOff + L);
            FloatVector t2 = FloatVector.fromArray(S, after, afterOff + 2 * L);
            FloatVector t3 = FloatVector.fromArray(S, after, afterOff + 3 * L);
            c00 = c00.add(t0); c01 = c01.add(t1); c02 = c02.add(t2); c03 = c03.add(t3);
            c10 = c10.add(t0); c11 = c11.add(t1); c12 = c12.add(t2); c13 = c13.add(t3);
            c20 = c20.add(t0); c21 = c21.add(t1); c22 = c22.add(t2); c23 = c23.add(t3);
            c30 = c30.add(t0); c31 = c31.add(t1); c32 = c32.add(t2); c33 = c33.add(t3);
            c40 = c40.add(t0); c41 = c41.add(t1); c42 = c42.add(t2); c43 = c43.add(t3);
            c50 = c50.add(t0); c51 = c51.add(t1); c52 = c52.add(t2); c53 = c53.add(t3);
        }
        c00.intoArray(c, r0);
        c01.intoArray(c, r0 + L);
        c02.intoArray(c, r0 + 2 * L);
        c03.intoArray(c, r0 + 3 * L);
        if (rv > 1) {
            c10.intoArray(c, r1);
            c11.intoArray(c, r1 + L);
            c12.intoArray(c, r1 + 2 * L);
            c13.intoArray(c, r1 + 3 * L);
        }
        if (rv > 2) {
            c20.intoArray(c, r2);
            c21.intoArray(c, r2 + L);
            c22.intoArray(c, r2 + 2 * L);
            c23.intoArray(c, r2 + 3 * L);
        }
        if (rv > 3) {
            c30.intoArray(c, r3);
            c31.intoArray(c, r3 + L);
            c32.intoArray(c, r3 + 2 * L);
            c33.intoArray(c, r3 + 3 * L);
        }
        if (rv > 4) {
            c40.intoArray(c, r4);
            c41.intoArray(c, r4 + L);
            c42.intoArray(c, r4 + 2 * L);
            c43.intoArray(c, r4 + 3 * L);
        }
        if (rv > 5) {
            c50.intoArray(c, r5);
            c51.intoArray(c, r5 + L);
            c52.intoArray(c, r5 + 2 * L);
            c53.intoArray(c, r5 + 3 * L);
        }
    }

    private static void k6x2(int k, float[] a, int aStart, int lda, int rv,
                             float[] b, int bStart, int ldb, float[] c, int ci, int ldc, boolean add,
                             float[] after, int afterOff) {
        // rows past the valid ones re-read the last valid row of A and C; they are not stored
        int a0 = aStart, r0 = ci;
        int a1 = aStart + Math.min(1, rv - 1) * lda, r1 = ci + Math.min(1, rv - 1) * ldc;
        int a2 = aStart + Math.min(2, rv - 1) * lda, r2 = ci + Math.min(2, rv - 1) * ldc;
        int a3 = aStart + Math.min(3, rv - 1) * lda, r3 = ci + Math.min(3, rv - 1) * ldc;
        int a4 = aStart + Math.min(4, rv - 1) * lda, r4 = ci + Math.min(4, rv - 1) * ldc;
        int a5 = aStart + Math.min(5, rv - 1) * lda, r5 = ci + Math.min(5, rv - 1) * ldc;
        FloatVector c00, c01;
        FloatVector c10, c11;
        FloatVector c20, c21;
        FloatVector c30, c31;
        FloatVector c40, c41;
        FloatVector c50, c51;
        if (add) {
            c00 = FloatVector.fromArray(S, c, r0); c01 = FloatVector.fromArray(S, c, r0 + L);
            c10 = FloatVector.fromArray(S, c, r1); c11 = FloatVector.fromArray(S, c, r1 + L);
            c20 = FloatVector.fromArray(S, c, r2); c21 = FloatVector.fromArray(S, c, r2 + L);
            c30 = FloatVector.fromArray(S, c, r3); c31 = FloatVector.fromArray(S, c, r3 + L);
            c40 = FloatVector.fromArray(S, c, r4); c41 = FloatVector.fromArray(S, c, r4 + L);
            c50 = FloatVector.fromArray(S, c, r5); c51 = FloatVector.fromArray(S, c, r5 + L);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z; c01 = z;
            c10 = z; c11 = z;
            c20 = z; c21 = z;
            c30 = z; c31 = z;
            c40 = z; c41 = z;
            c50 = z; c51 = z;
        }
        for (int kk = 0, bp = bStart; kk < k; kk++, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector av = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[a4 + kk]);
            c40 = av.fma(b0, c40); c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[a5 + kk]);
            c50 = av.fma(b0, c50); c51 = av.fma(b1, c51);
        }
        if (after != null) {                                       // one more k step of 1 x after
            FloatVector t0 = FloatVector.fromArray(S, after, afterOff);
            FloatVector t1 = FloatVector.fromArray(S, after, afterOff + L);
            c00 = c00.add(t0); c01 = c01.add(t1);
            c10 = c10.add(t0); c11 = c11.add(t1);
            c20 = c20.add(t0); c21 = c21.add(t1);
            c30 = c30.add(t0); c31 = c31.add(t1);
            c40 = c40.add(t0); c41 = c41.add(t1);
            c50 = c50.add(t0); c51 = c51.add(t1);
        }
        c00.intoArray(c, r0);
        c01.intoArray(c, r0 + L);
        if (rv > 1) {
            c10.intoArray(c, r1);
            c11.intoArray(c, r1 + L);
        }
        if (rv > 2) {
            c20.intoArray(c, r2);
            c21.intoArray(c, r2 + L);
        }
        if (rv > 3) {
            c30.intoArray(c, r3);
            c31.intoArray(c, r3 + L);
        }
        if (rv > 4) {
            c40.intoArray(c, r4);
            c41.intoArray(c, r4 + L);
        }
        if (rv > 5) {
            c50.intoArray(c, r5);
            c51.intoArray(c, r5 + L);
        }
    }

    private static void k6x1(int k, float[] a, int aStart, int lda, int rv,
                             float[] b, int bStart, int ldb, float[] c, int ci, int ldc, boolean add,
                             float[] after, int afterOff) {
        // rows past the valid ones re-read the last valid row of A and C; they are not stored
        int a0 = aStart, r0 = ci;
        int a1 = aStart + Math.min(1, rv - 1) * lda, r1 = ci + Math.min(1, rv - 1) * ldc;
        int a2 = aStart + Math.min(2, rv - 1) * lda, r2 = ci + Math.min(2, rv - 1) * ldc;
        int a3 = aStart + Math.min(3, rv - 1) * lda, r3 = ci + Math.min(3, rv - 1) * ldc;
        int a4 = aStart + Math.min(4, rv - 1) * lda, r4 = ci + Math.min(4, rv - 1) * ldc;
        int a5 = aStart + Math.min(5, rv - 1) * lda, r5 = ci + Math.min(5, rv - 1) * ldc;
        FloatVector c00;
        FloatVector c10;
        FloatVector c20;
        FloatVector c30;
        FloatVector c40;
        FloatVector c50;
        if (add) {
            c00 = FloatVector.fromArray(S, c, r0);
            c10 = FloatVector.fromArray(S, c, r1);
            c20 = FloatVector.fromArray(S, c, r2);
            c30 = FloatVector.fromArray(S, c, r3);
            c40 = FloatVector.fromArray(S, c, r4);
            c50 = FloatVector.fromArray(S, c, r5);
        } else {
            FloatVector z = FloatVector.zero(S);
            c00 = z;
            c10 = z;
            c20 = z;
            c30 = z;
            c40 = z;
            c50 = z;
        }
        for (int kk = 0, bp = bStart; kk < k; kk++, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector av = FloatVector.broadcast(S, a[a0 + kk]);
            c00 = av.fma(b0, c00);
            av = FloatVector.broadcast(S, a[a1 + kk]);
            c10 = av.fma(b0, c10);
            av = FloatVector.broadcast(S, a[a2 + kk]);
            c20 = av.fma(b0, c20);
            av = FloatVector.broadcast(S, a[a3 + kk]);
            c30 = av.fma(b0, c30);
            av = FloatVector.broadcast(S, a[a4 + kk]);
            c40 = av.fma(b0, c40);
            av = FloatVector.broadcast(S, a[a5 + kk]);
            c50 = av.fma(b0, c50);
        }
        if (after != null) {                                       // one more k step of 1 x after
            FloatVector t0 = FloatVector.fromArray(S, after, afterOff);
            c00 = c00.add(t0);
            c10 = c10.add(t0);
            c20 = c20.add(t0);
            c30 = c30.add(t0);
            c40 = c40.add(t0);
            c50 = c50.add(t0);
        }
        c00.intoArray(c, r0);
        if (rv > 1) {
            c10.intoArray(c, r1);
        }
        if (rv > 2) {
            c20.intoArray(c, r2);
        }
        if (rv > 3) {
            c30.intoArray(c, r3);
        }
        if (rv > 4) {
            c40.intoArray(c, r4);
        }
        if (rv > 5) {
            c50.intoArray(c, r5);
        }
    }
}
