package example;

import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import dev.jrnn.ops.Rnn;
import java.util.Random;

/**
 * An LSTM forward and backward pass on plain Java arrays, then a finite-difference check of the
 * gradients it returned. Exits with an exception when a gradient is off.
 */
public final class LstmExample {
    private LstmExample() {}

    /**
     * Runs the example.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        // README:lstm
        int batch = 4, steps = 5, features = 3, units = 8;
        Random rnd = new Random(7);
        float[] x = new float[batch * steps * features];          // (B, T, F), row-major
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] y = new float[batch * steps * units];             // (B, T, H): h after every step
        float[] hy = new float[batch * units], cy = new float[batch * units];   // final states (B, H)

        float[] w = new float[y.length];                          // loss = sum(w * y), so dLoss/dy = w
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        float[] dx = new float[x.length];                         // receives dLoss/dx (B, T, F)
        float[] dParams;                                          // dLoss/d(W, R, b), canonical layout

        try (Backend cpu = Backends.cpu();                        // Vector API, all cores
             Rnn lstm = Rnn.lstm(cpu, features, units);           // Keras init, seed 0
             Rnn.Saved saved = lstm.forward(batch, steps, x, null, null, y, hy, cy)) {
            lstm.backward(saved, w, null, null, dx, null, null); // w is not modified
            dParams = lstm.getGradients();
        }
        // README:end
        int checked = checkAgainstFiniteDifferences(batch, steps, features, units, x, w, dx, dParams);
        System.out.println("LSTM(" + units + ") on (" + batch + ", " + steps + ", " + features + "): y[0] = " + y[0]
                + ", hy[0] = " + hy[0] + ", cy[0] = " + cy[0]);
        System.out.println("gradients match finite differences (" + checked + " checked)");
    }

    /**
     * Compares {@code dx} and {@code dParams} with central differences of {@code sum(w * y)} computed
     * by the float64 reference backend; returns how many values were checked.
     */
    static int checkAgainstFiniteDifferences(int batch, int steps, int features, int units, float[] x, float[] w,
                                             float[] dx, float[] dParams) {
        int checked = 0;
        try (Backend ref = Backends.reference(); Rnn lstm = Rnn.lstm(ref, features, units)) {
            float[] p = lstm.getParameters();
            double eps = 1e-2;
            for (int i = 0; i < x.length; i += 7) {                 // every 7th input
                float keep = x[i];
                x[i] = (float) (keep + eps);
                double up = loss(lstm, batch, steps, x, w);
                x[i] = (float) (keep - eps);
                double down = loss(lstm, batch, steps, x, w);
                x[i] = keep;
                expectClose("dx[" + i + "]", (up - down) / (2 * eps), dx[i]);
                checked++;
            }
            for (int i = 0; i < p.length; i += 13) {                // every 13th parameter: W, R and b
                float keep = p[i];
                p[i] = (float) (keep + eps);
                lstm.setParameters(p);
                double up = loss(lstm, batch, steps, x, w);
                p[i] = (float) (keep - eps);
                lstm.setParameters(p);
                double down = loss(lstm, batch, steps, x, w);
                p[i] = keep;
                lstm.setParameters(p);
                expectClose("dParams[" + i + "]", (up - down) / (2 * eps), dParams[i]);
                checked++;
            }
        }
        return checked;
    }

    private static double loss(Rnn lstm, int batch, int steps, float[] x, float[] w) {
        float[] y = new float[w.length];
        try (Rnn.Saved ignored = lstm.forward(batch, steps, x, null, null, y, null, null)) {
            double sum = 0;
            for (int i = 0; i < y.length; i++) sum += (double) w[i] * y[i];
            return sum;
        }
    }

    private static void expectClose(String what, double expected, float actual) {
        double tol = 2e-3 + 2e-2 * Math.abs(expected);
        if (!(Math.abs(actual - expected) <= tol)) {
            throw new IllegalStateException(what + ": backward gave " + actual + ", finite differences " + expected);
        }
    }
}
