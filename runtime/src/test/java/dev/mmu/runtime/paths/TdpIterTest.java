package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuOps.Access;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * struct tdp_iter (tdp_iter.c, v6.x): the pre-order walk of the present SPTEs of [start, end) a
 * for_each_tdp_pte loop sees, with min level, and the restart after a yield. Expected walks are
 * written out by hand from the tables built here.
 */
class TdpIterTest {
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL, InvariantsTest.SMALL_1);

    /** 4K leaves at gfns 1, 2 (L2 table at gfn 0) and 600 (L2 table at gfn 512), 4-level root. */
    static VmState tables() {
        return Run.of(VM, b -> {
            for (long gpa : new long[] {0x1000, 0x2000, 600L << 12}) {
                FaultPaths.guestAccess(b, VM, 0, Access.READ, Expr.constant(gpa));
            }
        }).s;
    }

    static String at(long[] l) {
        return l[TdpIter.GFN] + "@L" + l[TdpIter.LEVEL];
    }

    static List<String> walk(VmState s, long start, long end, int minLevel) {
        long[] l = new long[TdpIter.SLOTS];
        TdpIter.start(s, l, 0, start, end, minLevel);
        List<String> seen = new ArrayList<>();
        while (l[TdpIter.VALID] != 0) {
            seen.add(at(l));
            TdpIter.next(s, l, 0, end);
        }
        return seen;
    }

    @Test
    void theWalkVisitsPresentSptesInPreOrderWithinTheRange() {
        VmState s = tables();
        assertThat(walk(s, 0, 1024, 1)).containsExactly("0@L4", "0@L3", "0@L2", "1@L1", "2@L1", "512@L2", "600@L1");
        assertThat(walk(s, 2, 1024, 1)).containsExactly("0@L4", "0@L3", "0@L2", "2@L1", "512@L2", "600@L1");
        assertThat(walk(s, 0, 600, 1)).containsExactly("0@L4", "0@L3", "0@L2", "1@L1", "2@L1", "512@L2");
        assertThat(walk(s, 3, 512, 1)).containsExactly("0@L4", "0@L3", "0@L2");
        assertThat(walk(s, 0, 1024, 2)).as("min level 2").containsExactly("0@L4", "0@L3", "0@L2", "512@L2");
        long[] l = new long[TdpIter.SLOTS];
        TdpIter.start(s, l, 0, 0, 1024);
        assertThat(at(l)).isEqualTo("0@L4");
    }

    @Test
    void aRestartWalksAgainFromTheRootToWhereTheWalkHadGot() {
        VmState s = tables();
        long[] l = new long[TdpIter.SLOTS];
        TdpIter.start(s, l, 0, 0, 1024, 1);
        while (!at(l).equals("2@L1")) TdpIter.next(s, l, 0, 1024);
        assertThat(l[TdpIter.YIELDED_GFN]).as("no progress recorded before a yield").isZero();
        TdpIter.restart(s, l, 0, 1024);
        assertThat(l[TdpIter.YIELDED_GFN]).isEqualTo(2);
        assertThat(at(l)).isEqualTo("0@L4");
        List<String> seen = new ArrayList<>();
        TdpIter.next(s, l, 0, 1024);
        assertThat(at(l)).as("the first next() after a restart stays put").isEqualTo("0@L4");
        while (l[TdpIter.VALID] != 0) {
            seen.add(at(l));
            TdpIter.next(s, l, 0, 1024);
        }
        assertThat(seen).containsExactly("0@L4", "0@L3", "0@L2", "2@L1", "512@L2", "600@L1");
    }

    @Test
    void nextInSameTableStopsAtTheTablesLastLeaf() {
        VmState s = tables();
        long[] l = new long[TdpIter.SLOTS];
        TdpIter.start(s, l, 0, 0, 1024, 1);
        while (!at(l).equals("1@L1")) TdpIter.next(s, l, 0, 1024);
        assertThat(TdpIter.nextInSameTable(s, l, 0, 1024)).isTrue();
        assertThat(at(l)).isEqualTo("2@L1");
        assertThat(TdpIter.nextInSameTable(s, l, 0, 1024)).as("next is the L2 SPTE of gfn 512").isFalse();
        assertThat(at(l)).isEqualTo("512@L2");
        assertThat(TdpIter.nextInSameTable(s, l, 0, 1024)).as("a step down is no sibling").isFalse();
        assertThat(TdpIter.nextInSameTable(s, l, 0, 1024)).as("the walk ended").isFalse();
        assertThat(l[TdpIter.VALID]).isZero();
    }

    @Test
    void theSpteAtAPositionWhoseTableIsGoneReadsAsNonPresent() {
        VmState s = tables();
        long[] l = new long[TdpIter.SLOTS];
        TdpIter.start(s, l, 0, 0, 1024, 1);
        while (!at(l).equals("600@L1")) TdpIter.next(s, l, 0, 1024);
        assertThat(TdpIter.spte(s, l, 0)).isEqualTo(Walk.of(s, 600).spte()).isNotZero();
        VmState zapped = s.copy();
        Walk l2 = Walk.to(zapped, zapped.root, 600, 2);
        zapped.setSpte(l2.spId(), l2.index(), 0);
        assertThat(TdpIter.position(zapped, l, 0)).isNull();
        assertThat(TdpIter.spte(zapped, l, 0)).isZero();
    }
}
