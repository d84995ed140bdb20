package dev.jrnn.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Gemm}'s {@code after} row: added to every sum once its k terms are in, bit for bit what
 * one more k step with an A column of ones and {@code after} as B's last row gives, on every
 * kernel (64-, 32- and 16-column blocks, the zero-padded ragged tail), across k blocks, for k = 0,
 * starting from C or from 0, vectorised or not.
 */
class GemmTest {

    @ParameterizedTest(name = "m={0} n={1} k={2} beta={3}")
    @CsvSource({"6, 128, 28, 0", "13, 64, 5, 1", "7, 32, 9, 0", "5, 16, 3, 1", "11, 7, 4, 0", "6, 40, 31, 1",
                "3, 100, 600, 0", "9, 23, 0, 0", "4, 48, 0, 1", "1, 1, 1, 0"})
    void afterIsOneMoreStepOfOnes(int m, int n, int k, float beta) {
        SplittableRandom rnd = new SplittableRandom(31L * m + 7L * n + k);
        int lda = k + 3, ldb = n + 2, ldc = n + 5;                  // strided views, as the RNN step's
        float[] a = random(rnd, m * lda), b = random(rnd, k * ldb), c0 = random(rnd, m * ldc), after = random(rnd, n + 4);
        // the reference: A with a column of ones appended, B with after (from offset 4) as its last row
        int k1 = k + 1;
        float[] a1 = new float[m * k1], b1 = new float[k1 * n];
        for (int i = 0; i < m; i++) {
            System.arraycopy(a, i * lda, a1, i * k1, k);
            a1[i * k1 + k] = 1f;
        }
        for (int kk = 0; kk < k; kk++) System.arraycopy(b, kk * ldb, b1, kk * n, n);
        System.arraycopy(after, 4, b1, k * n, n);
        for (boolean vector : new boolean[] {true, false}) {
            float[] want = c0.clone(), got = c0.clone();
            Gemm.gemm(vector, m, n, k1, a1, 0, k1, b1, 0, n, want, 0, ldc, beta, null, 0);
            Gemm.gemm(vector, m, n, k, a, 0, lda, b, 0, ldb, got, 0, ldc, beta, null, 0, after, 4);
            assertArrayEquals(want, got, "vector=" + vector);
        }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }
}
