package dev.jrnn.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PhiloxTest {

    /** Random123's kat_vectors for philox4x32 with 10 rounds: counter[4] key[2] -> output[4]. */
    @Test
    void random123KnownAnswers() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                Philox.block(0, 0, 0, 0, 0, 0));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                Philox.block(-1, -1, -1, -1, -1, -1));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    @Test
    void elementWordsFollowTheDocumentedCounterLayout() {
        long seed = 0x1234_5678_9abc_def0L, step = 0x0000_0002_0000_0007L;
        int[] block = Philox.block(5, 3, 7, 2, 0x9abcdef0, 0x12345678);
        for (int lane = 0; lane < 4; lane++) {
            assertEquals(block[lane], Philox.word(seed, step, 3, 20 + lane));
        }
    }

    @Test
    void uniformsAreInRangeAndBalanced() {
        int n = 100_000, below = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float u = Philox.uniform(42, 1, 0, i);
            assertTrue(u >= 0f && u < 1f, "u=" + u);
            sum += u;
            if (u < 0.2f) below++;
        }
        assertEquals(0.5, sum / n, 0.01);
        assertEquals(0.2, below / (double) n, 0.01);
        assertTrue(Philox.uniform(42, 1, 0, 0) != Philox.uniform(42, 2, 0, 0)
                || Philox.uniform(42, 1, 0, 1) != Philox.uniform(42, 2, 0, 1), "step must change the stream");
    }
}
