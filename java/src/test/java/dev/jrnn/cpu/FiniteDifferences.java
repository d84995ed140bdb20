package dev.jrnn.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.Supplier;

/** Central finite differences against analytic gradients, for the float64 reference backend's tests. */
final class FiniteDifferences {
    /** The step of the central difference. */
    static final double EPS = 1e-6;
    /** The largest error allowed, relative to max(1, |numeric|). */
    static final double TOL = 1e-6;

    private FiniteDifferences() {}

    /** {@code n} values uniform in [-scale, scale). */
    static double[] random(SplittableRandom rnd, int n, double scale) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextDouble() * 2 - 1) * scale;
        return a;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Checks d(loss)/d(v[i]) for every i against {@code analytic}, perturbing v in place. */
    static void check(String what, double[] v, double[] analytic, Supplier<Double> loss) {
        double largest = 0;
        for (int i = 0; i < v.length; i++) {
            double old = v[i];
            v[i] = old + EPS;
            double lp = loss.get();
            v[i] = old - EPS;
            double lm = loss.get();
            v[i] = old;
            double numeric = (lp - lm) / (2 * EPS);
            double err = Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric));
            largest = Math.max(largest, Math.abs(numeric));
            assertTrue(err < TOL, what + "[" + i + "]: numeric " + numeric + " vs analytic " + analytic[i]);
        }
        // NB: all-zero gradients on both sides would pass the loop while checking nothing
        assertTrue(largest > 1e-3, what + ": the largest finite-difference gradient is " + largest);
    }
}
