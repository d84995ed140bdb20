package dev.jrnn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.backend.Activation;
import dev.jrnn.backend.Backend;
import dev.jrnn.backend.Backends;
import dev.jrnn.backend.RnnSpec;
import dev.jrnn.backend.Tensor;
import dev.jrnn.nn.Dense;
import dev.jrnn.nn.Dropout;
import dev.jrnn.nn.GRU;
import dev.jrnn.nn.LSTM;
import dev.jrnn.nn.Layer;
import dev.jrnn.nn.Sequential;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * {@link Network} runs consecutive recurrent layers of one cell, width and activation as one
 * stacked op (cuDNN's {@code numLayers} on the GPU), and that gives the numbers the same layers
 * give one by one.
 */
class NetworkTest {
    private static final int T = 5, F = 6;

    @Test
    void consecutiveRecurrentLayersOfOneKindFormAStack() {
        Sequential m = Sequential.builder().input(T, F)
                .add(new LSTM(8, Activation.TANH, true)).add(new LSTM(8, Activation.TANH, true))
                .add(new GRU(8, Activation.TANH, true)).add(new LSTM(8, Activation.RELU, true))
                .add(new LSTM(6, Activation.RELU, true)).add(new LSTM(6, Activation.RELU, false))
                .add(new Dense(3, Activation.SOFTMAX)).build();
        assertEquals(2, Network.stackLength(m, 0));
        assertEquals(1, Network.stackLength(m, 2), "another cell");
        assertEquals(1, Network.stackLength(m, 3), "another width");
        assertEquals(2, Network.stackLength(m, 4));
    }

    /** The stacks of {@code layers} with a rate-0 Dropout between each pair: the same layers, one by one. */
    private static Sequential model(RnnSpec.Cell cell, boolean split) {
        Sequential.Builder b = Sequential.builder().input(T, F);
        for (int l = 0; l < 3; l++) {
            if (split && l > 0) b.add(new Dropout(0.0));
            b.add(cell == RnnSpec.Cell.LSTM ? new LSTM(8, Activation.TANH, l < 2) : new GRU(8, Activation.TANH, l < 2));
        }
        return b.add(new Dense(4, Activation.SOFTMAX)).build();
    }

    @ParameterizedTest
    @EnumSource(RnnSpec.Cell.class)
    void aStackGivesWhatItsLayersGiveOneByOne(RnnSpec.Cell cell) {
        Sequential stacked = model(cell, false), split = model(cell, true);
        assertEquals(stacked.paramCount(), split.paramCount());
        int batch = 4;
        SplittableRandom r = new SplittableRandom(cell.ordinal() + 3);
        float[] p = new float[stacked.paramCount()], x = new float[batch * T * F], dOut = new float[batch * 4];
        for (float[] a : List.of(p, x, dOut)) for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() - 0.5);
        for (Backend be : new Backend[] {Backends.reference(), Backends.cpu(2)}) {
            float[][] out = new float[2][], grads = new float[2][];
            Sequential[] models = {stacked, split};
            for (int k = 0; k < 2; k++) {
                try (Network n = new Network(models[k], be, batch)) {
                    n.setParameters(p);
                    be.fill(n.grads(), 0f);
                    Tensor X = be.allocate(x.length), D = be.allocate(dOut.length);
                    be.write(x, 0, X, x.length);
                    be.write(dOut, 0, D, dOut.length);
                    Tensor y = n.forward(batch, X, true, 7, 1);
                    out[k] = new float[batch * 4];
                    be.read(y, out[k], 0, out[k].length);
                    n.backward(batch, D);
                    grads[k] = new float[p.length];
                    be.read(n.grads(), grads[k], 0, p.length);
                }
            }
            assertArrayEquals(out[1], out[0], be + " " + cell + ": outputs");
            assertArrayEquals(grads[1], grads[0], be + " " + cell + ": gradients");
        }
        // the layers a split model has besides the stacked one's are parameter-free
        for (Layer l : split.layers()) if (l instanceof Dropout d) assertEquals(0.0, d.rate());
    }

    /**
     * Nothing a pass leaves in the network's buffers (final states, their gradients, gathered
     * rows) reaches a later pass: after a full fixed-length batch and a batch with lengths, a
     * smaller fixed-length batch gives a fresh network's gradients.
     */
    @ParameterizedTest
    @EnumSource(RnnSpec.Cell.class)
    void aFixedLengthPassAfterOthersGivesTheGradientsOfAFreshNetwork(RnnSpec.Cell cell) {
        Sequential m = Sequential.builder().input(T, F)
                .add(cell == RnnSpec.Cell.LSTM ? new LSTM(8, Activation.TANH, false) : new GRU(8, Activation.TANH, false))
                .add(new Dense(4, Activation.SOFTMAX)).build();
        int maxBatch = 4;
        SplittableRandom r = new SplittableRandom(cell.ordinal() + 11);
        float[] p = new float[m.paramCount()], x = new float[maxBatch * T * F];
        float[][] dOut = new float[3][maxBatch * 4];
        for (float[] a : List.of(p, x, dOut[0], dOut[1], dOut[2])) {
            for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() - 0.5);
        }
        for (Backend be : new Backend[] {Backends.reference(), Backends.cpu(2)}) {
            Tensor X = be.allocate(x.length), D = be.allocate(maxBatch * 4);
            be.write(x, 0, X, x.length);
            float[] fresh = new float[p.length], reused = new float[p.length];
            try (Network n = new Network(m, be, maxBatch)) {
                n.setParameters(p);
                be.fill(n.grads(), 0f);
                be.write(dOut[2], 0, D, 2 * 4);
                n.forward(2, X, null, true, 7, 3);
                n.backward(2, D);
                be.read(n.grads(), fresh, 0, p.length);
            }
            try (Network n = new Network(m, be, maxBatch)) {
                n.setParameters(p);
                be.write(dOut[0], 0, D, maxBatch * 4);               // a full fixed-length batch
                n.forward(maxBatch, X, null, true, 7, 1);
                n.backward(maxBatch, D);
                be.write(dOut[1], 0, D, 3 * 4);                      // 3 samples of lengths 2, 5, 4
                n.forward(3, X, new int[] {2, 5, 4}, true, 7, 2);
                n.backward(3, D);
                be.fill(n.grads(), 0f);
                be.write(dOut[2], 0, D, 2 * 4);                      // then the fresh network's batch
                n.forward(2, X, null, true, 7, 3);
                n.backward(2, D);
                be.read(n.grads(), reused, 0, p.length);
            }
            assertArrayEquals(fresh, reused, be + " " + cell + ": gradients");
            boolean nonZero = false;
            for (float v : fresh) nonZero |= v != 0f;
            assertEquals(true, nonZero, be + " " + cell + ": some gradient is non-zero");
        }
    }

    @Test
    void aStackIsOneRecurrentOpPerPass() {
        for (boolean split : new boolean[] {false, true}) {
            Sequential m = model(RnnSpec.Cell.GRU, split);
            Backend real = Backends.cpu(1);
            java.util.Map<String, Integer> calls = new java.util.HashMap<>();
            Backend counting = (Backend) java.lang.reflect.Proxy.newProxyInstance(Backend.class.getClassLoader(),
                    new Class<?>[] {Backend.class}, (proxy, method, args) -> {
                        calls.merge(method.getName(), 1, Integer::sum);
                        try {
                            return method.invoke(real, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            try (Network n = new Network(m, counting, 2)) {
                Tensor x = counting.allocate(2 * T * F), d = counting.allocate(2 * 4);
                n.forward(2, x, true, 1, 0);
                n.backward(2, d);
            }
            int expected = split ? 3 : 1;
            assertEquals(expected, calls.getOrDefault("rnnForward", 0), (split ? "split" : "stacked") + ": rnnForward calls");
            assertEquals(expected, calls.getOrDefault("rnnBackward", 0), (split ? "split" : "stacked") + ": rnnBackward calls");
        }
    }
}
