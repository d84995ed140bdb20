package dev.jrnn.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The weight-layout bookkeeping of {@link RnnPlan} that needs no device. */
class RnnPlanTest {

    @Test
    void gapsAreEveryFloatNoPieceCovers() {
        List<RnnPlan.Segment> pieces = List.of(new RnnPlan.Segment(3, 10, 2), new RnnPlan.Segment(0, 2, 3));
        List<long[]> gaps = RnnPlan.gaps(pieces, 15);
        assertEquals(3, gaps.size());
        assertArrayEquals(new long[] {0, 2}, gaps.get(0));
        assertArrayEquals(new long[] {5, 5}, gaps.get(1));
        assertArrayEquals(new long[] {12, 3}, gaps.get(2));
        assertTrue(RnnPlan.gaps(List.of(new RnnPlan.Segment(0, 0, 15)), 15).isEmpty(), "a covered space has no gap");
    }

    @Test
    void theCheckRefusesOverlapsAndIncompleteCoverage() {
        List<RnnPlan.Segment> none = List.of();
        RnnPlan.check(List.of(new RnnPlan.Segment(0, 4, 4), new RnnPlan.Segment(4, 0, 4)), none, 40, 8, "ok");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RnnPlan.check(List.of(new RnnPlan.Segment(0, 0, 4), new RnnPlan.Segment(4, 2, 4)), none, 40, 8, "k"));
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
        e = assertThrows(IllegalStateException.class,
                () -> RnnPlan.check(List.of(new RnnPlan.Segment(0, 0, 4)), List.of(new RnnPlan.Segment(-1, 2, 2)), 40, 4, "k"));
        assertTrue(e.getMessage().contains("overlap"), "an unmapped piece may not overlap a mapped one: " + e.getMessage());
        e = assertThrows(IllegalStateException.class,
                () -> RnnPlan.check(List.of(new RnnPlan.Segment(0, 0, 4)), none, 40, 8, "k"));
        assertTrue(e.getMessage().contains("8"), e.getMessage());
    }
}
