package dev.jrnn.nn;

import java.util.Locale;

/** Helpers the layers share. */
final class Layers {
    private Layers() {}

    /**
     * {@code n} as an int parameter count.
     *
     * @throws IllegalArgumentException when {@code n} exceeds what one float array holds (2^31 - 1)
     */
    static int checkedCount(long n, Layer layer) {
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s would have %,d parameters; jrnn holds at"
                    + " most %,d per layer (one float array): use fewer units", layer, n, Integer.MAX_VALUE));
        }
        return (int) n;
    }
}
