package dev.jrnn.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 matrix product over row-major views of Java arrays, register-blocked for the Vector
 * API:
 * <pre>
 *   C(i, j) = alpha * sum_k A(i, k) B(k, j) + beta * C(i, j) + bias(j)      i &lt; m, j &lt; n, k &lt; K
 *   A(i, k) = a[aOff + i*lda + k]     B(k, j) = b[bOff + k*ldb + j]     C(i, j) = c[cOff + i*ldc + j]
 * </pre>
 * With {@code beta == 0} C is never read (NaN in it is ignored); {@code bias} may be null.
 * Callers transpose A first when it is stored the other way (see {@link #transpose}): a
 * k-contiguous A row lets the JIT hoist the range checks out of the k loop, which is worth
 * more than the copy.
 *
 * <p>Blocking: 6 rows x 64 columns of accumulators (24 registers of 16 floats) stream k; a
 * 32- or 16-column kernel with a masked last vector takes the remaining columns; a short last
 * row block re-reads its last row instead of a separate kernel. k is cut into blocks of
 * {@value #KC} so that the B rows a block reads stay in L2.
 *
 * <p>NB: every output element is accumulated with one {@code fma} per k, in k order, whichever
 * kernel (vector block, masked tail or scalar fallback) computes it, so results do not depend
 * on how rows are split between threads, nor on vectorisation being on.
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

    /** {@code C = A B + beta C + bias}. */
    static void gemm(boolean vector, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, float beta, float[] bias, int biasOff) {
        gemm(vector, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, 1f, beta, bias, biasOff);
    }

    /** The general form described in the class comment. */
    static void gemm(boolean vector, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, float alpha, float beta, float[] bias, int biasOff) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0) {                                          // C = beta C + bias
            scalar(m, n, 0, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, alpha, beta, bias, biasOff);
            return;
        }
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kb = Math.min(KC, k - k0);
            float be = k0 == 0 ? beta : 1f;
            float[] bi = k0 == 0 ? bias : null;
            if (vector) {
                block(m, n, kb, a, aOff + k0, lda, b, bOff + k0 * ldb, ldb, c, cOff, ldc, alpha, be, bi, biasOff);
            } else {
                scalar(m, n, kb, a, aOff + k0, lda, b, bOff + k0 * ldb, ldb, c, cOff, ldc, alpha, be, bi, biasOff);
            }
        }
    }

    private static void block(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc, float alpha, float beta, float[] bias, int biasOff) {
        int j = 0;
        for (; j + NR <= n; j += NR) {
            for (int i = 0; i < m; i += MR) {
                k6x4(k, a, aOff + i * lda, lda, Math.min(MR, m - i), b, bOff + j, ldb,
                        c, cOff + i * ldc + j, ldc, alpha, beta, bias, biasOff + j);
            }
        }
        while (j < n) {                                        // what is left: 32 columns, then 16
            int rem = n - j;
            if (rem > L) {
                VectorMask<Float> mask = S.indexInRange(0, rem - L);
                for (int i = 0; i < m; i += MR) {
                    k6x2(k, a, aOff + i * lda, lda, Math.min(MR, m - i), b, bOff + j, ldb,
                            c, cOff + i * ldc + j, ldc, alpha, beta, bias, biasOff + j, mask);
                }
                j += 2 * L;
            } else {
                VectorMask<Float> mask = S.indexInRange(0, rem);
                for (int i = 0; i < m; i += MR) {
                    k6x1(k, a, aOff + i * lda, lda, Math.min(MR, m - i), b, bOff + j, ldb,
                            c, cOff + i * ldc + j, ldc, alpha, beta, bias, biasOff + j, mask);
                }
                j += L;
            }
        }
    }

    /** Plain loops: the fallback when vectorisation is off. */
    static void scalar(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float[] c, int cOff, int ldc, float alpha, float beta, float[] bias, int biasOff) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int kk = 0, ap = aOff + i * lda, bp = bOff + j; kk < k; kk++, bp += ldb) {
                    acc = Math.fma(a[ap + kk], b[bp], acc);
                }
                int ci = cOff + i * ldc + j;
                float v = alpha == 1f ? acc : acc * alpha;
                if (beta != 0f) v = c[ci] * beta + v;
                if (bias != null) v = v + bias[biasOff + j];
                c[ci] = v;
            }
        }
    }

    /** {@code dst[dOff + j*ldd + i] = src[sOff + i*lds + j]} for i &lt; rows, j &lt; cols. */
    static void transpose(int rows, int cols, float[] src, int sOff, int lds, float[] dst, int dOff, int ldd) {
        final int tb = 16;                                     // tiles keep both sides in L1
        for (int i0 = 0; i0 < rows; i0 += tb) {
            int i1 = Math.min(rows, i0 + tb);
            for (int j0 = 0; j0 < cols; j0 += tb) {
                int j1 = Math.min(cols, j0 + tb);
                for (int i = i0; i < i1; i++) {
                    int s = sOff + i * lds;
                    for (int j = j0; j < j1; j++) dst[dOff + j * ldd + i] = src[s + j];
                }
            }
        }
    }

    private static void store(FloatVector acc, float[] c, int ci, float alpha, float beta,
                              float[] bias, int bi) {
        FloatVector v = alpha == 1f ? acc : acc.mul(alpha);
        if (beta != 0f) v = FloatVector.fromArray(S, c, ci).mul(beta).add(v);
        if (bias != null) v = v.add(FloatVector.fromArray(S, bias, bi));
        v.intoArray(c, ci);
    }

    private static void store(FloatVector acc, float[] c, int ci, float alpha, float beta,
                              float[] bias, int bi, VectorMask<Float> m) {
        FloatVector v = alpha == 1f ? acc : acc.mul(alpha);
        if (beta != 0f) v = FloatVector.fromArray(S, c, ci, m).mul(beta).add(v);
        if (bias != null) v = v.add(FloatVector.fromArray(S, bias, bi, m));
        v.intoArray(c, ci, m);
    }

    // ---- micro-kernels: (rows x vectors) accumulators held in registers over the k loop ----

    private static void k6x4(int k, float[] a, int aStart, int lda, int rv,
                             float[] b, int bStart, int ldb, float[] c, int ci, int ldc,
                             float alpha, float beta, float[] bias, int bi) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        FloatVector c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z;
        FloatVector c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z;
        FloatVector c50 = z, c51 = z, c52 = z, c53 = z;
        // rows past the valid ones re-read the last valid row; their results are not stored
        int a0 = aStart;
        int a1 = aStart + Math.min(1, rv - 1) * lda;
        int a2 = aStart + Math.min(2, rv - 1) * lda;
        int a3 = aStart + Math.min(3, rv - 1) * lda;
        int a4 = aStart + Math.min(4, rv - 1) * lda;
        int a5 = aStart + Math.min(5, rv - 1) * lda;
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
        store(c00, c, ci, alpha, beta, bias, bi);
        store(c01, c, ci + L, alpha, beta, bias, bi + L);
        store(c02, c, ci + 2 * L, alpha, beta, bias, bi + 2 * L);
        store(c03, c, ci + 3 * L, alpha, beta, bias, bi + 3 * L);
        if (rv > 1) {
            store(c10, c, ci + ldc, alpha, beta, bias, bi);
            store(c11, c, ci + ldc + L, alpha, beta, bias, bi + L);
            store(c12, c, ci + ldc + 2 * L, alpha, beta, bias, bi + 2 * L);
            store(c13, c, ci + ldc + 3 * L, alpha, beta, bias, bi + 3 * L);
        }
        if (rv > 2) {
            store(c20, c, ci + 2 * ldc, alpha, beta, bias, bi);
            store(c21, c, ci + 2 * ldc + L, alpha, beta, bias, bi + L);
            store(c22, c, ci + 2 * ldc + 2 * L, alpha, beta, bias, bi + 2 * L);
            store(c23, c, ci + 2 * ldc + 3 * L, alpha, beta, bias, bi + 3 * L);
        }
        if (rv > 3) {
            store(c30, c, ci + 3 * ldc, alpha, beta, bias, bi);
            store(c31, c, ci + 3 * ldc + L, alpha, beta, bias, bi + L);
            store(c32, c, ci + 3 * ldc + 2 * L, alpha, beta, bias, bi + 2 * L);
            store(c33, c, ci + 3 * ldc + 3 * L, alpha, beta, bias, bi + 3 * L);
        }
        if (rv > 4) {
            store(c40, c, ci + 4 * ldc, alpha, beta, bias, bi);
            store(c41, c, ci + 4 * ldc + L, alpha, beta, bias, bi + L);
            store(c42, c, ci + 4 * ldc + 2 * L, alpha, beta, bias, bi + 2 * L);
            store(c43, c, ci + 4 * ldc + 3 * L, alpha, beta, bias, bi + 3 * L);
        }
        if (rv > 5) {
            store(c50, c, ci + 5 * ldc, alpha, beta, bias, bi);
            store(c51, c, ci + 5 * ldc + L, alpha, beta, bias, bi + L);
            store(c52, c, ci + 5 * ldc + 2 * L, alpha, beta, bias, bi + 2 * L);
            store(c53, c, ci + 5 * ldc + 3 * L, alpha, beta, bias, bi + 3 * L);
        }
    }

    private static void k6x2(int k, float[] a, int aStart, int lda, int rv,
                             float[] b, int bStart, int ldb, float[] c, int ci, int ldc,
                             float alpha, float beta, float[] bias, int bi, VectorMask<Float> m) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z;
        FloatVector c10 = z, c11 = z;
        FloatVector c20 = z, c21 = z;
        FloatVector c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z;
        FloatVector c50 = z, c51 = z;
        // rows past the valid ones re-read the last valid row; their results are not stored
        int a0 = aStart;
        int a1 = aStart + Math.min(1, rv - 1) * lda;
        int a2 = aStart + Math.min(2, rv - 1) * lda;
        int a3 = aStart + Math.min(3, rv - 1) * lda;
        int a4 = aStart + Math.min(4, rv - 1) * lda;
        int a5 = aStart + Math.min(5, rv - 1) * lda;
        for (int kk = 0, bp = bStart; kk < k; kk++, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + L, m);
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
        store(c00, c, ci, alpha, beta, bias, bi);
        store(c01, c, ci + L, alpha, beta, bias, bi + L, m);
        if (rv > 1) {
            store(c10, c, ci + ldc, alpha, beta, bias, bi);
            store(c11, c, ci + ldc + L, alpha, beta, bias, bi + L, m);
        }
        if (rv > 2) {
            store(c20, c, ci + 2 * ldc, alpha, beta, bias, bi);
            store(c21, c, ci + 2 * ldc + L, alpha, beta, bias, bi + L, m);
        }
        if (rv > 3) {
            store(c30, c, ci + 3 * ldc, alpha, beta, bias, bi);
            store(c31, c, ci + 3 * ldc + L, alpha, beta, bias, bi + L, m);
        }
        if (rv > 4) {
            store(c40, c, ci + 4 * ldc, alpha, beta, bias, bi);
            store(c41, c, ci + 4 * ldc + L, alpha, beta, bias, bi + L, m);
        }
        if (rv > 5) {
            store(c50, c, ci + 5 * ldc, alpha, beta, bias, bi);
            store(c51, c, ci + 5 * ldc + L, alpha, beta, bias, bi + L, m);
        }
    }

    private static void k6x1(int k, float[] a, int aStart, int lda, int rv,
                             float[] b, int bStart, int ldb, float[] c, int ci, int ldc,
                             float alpha, float beta, float[] bias, int bi, VectorMask<Float> m) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z;
        FloatVector c10 = z;
        FloatVector c20 = z;
        FloatVector c30 = z;
        FloatVector c40 = z;
        FloatVector c50 = z;
        // rows past the valid ones re-read the last valid row; their results are not stored
        int a0 = aStart;
        int a1 = aStart + Math.min(1, rv - 1) * lda;
        int a2 = aStart + Math.min(2, rv - 1) * lda;
        int a3 = aStart + Math.min(3, rv - 1) * lda;
        int a4 = aStart + Math.min(4, rv - 1) * lda;
        int a5 = aStart + Math.min(5, rv - 1) * lda;
        for (int kk = 0, bp = bStart; kk < k; kk++, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp, m);
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
        store(c00, c, ci, alpha, beta, bias, bi, m);
        if (rv > 1) {
            store(c10, c, ci + ldc, alpha, beta, bias, bi, m);
        }
        if (rv > 2) {
            store(c20, c, ci + 2 * ldc, alpha, beta, bias, bi, m);
        }
        if (rv > 3) {
            store(c30, c, ci + 3 * ldc, alpha, beta, bias, bi, m);
        }
        if (rv > 4) {
            store(c40, c, ci + 4 * ldc, alpha, beta, bias, bi, m);
        }
        if (rv > 5) {
            store(c50, c, ci + 5 * ldc, alpha, beta, bias, bi, m);
        }
    }
}
