package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.MmuOps.Access;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The edges of the memslot paths: kvm_check_memslot_overlap()'s bounds for a move, the lock mode
 * of the slot walks per MMU, and eager page splitting when dirty logging starts (v6.x).
 */
class SlotPathsEdgesTest {
    /** Slot 0 at gfns 0..511, slot 1 at 0x400..0x5ff: a gap of 512 gfns between them. */
    static VmConfig gap(Mmu mmu, boolean eagerSplit) {
        return new VmConfig(mmu, false, 0, eagerSplit, 4, List.of(new Memslot(0, 0, 512, 2, false, false),
                new Memslot(1, 0x400, 512, 2, false, false)), 1);
    }

    static final VmConfig GAP = gap(Mmu.TDP, false);

    static long movedBase(int slotId, long newBase) {
        Run r = Run.of(GAP, b -> SlotPaths.memslotMove(b, GAP, slotId, newBase));
        assertThat(r.s.violations).isZero();
        return r.s.slotBase[slotId];
    }

    @Test
    void aMoveRightAfterOrRightBeforeAnotherSlotIsAllowed() {
        assertThat(movedBase(1, 0x200)).as("starts at slot 0's end").isEqualTo(0x200);
        assertThat(movedBase(0, 0x200)).as("ends at slot 1's base").isEqualTo(0x200);
    }

    @Test
    void aMoveOverlappingAnotherSlotByOneGfnFailsWithEexist() {
        assertThat(movedBase(1, 0x1ff)).as("-EEXIST: nothing changes").isEqualTo(0x400);
        assertThat(movedBase(0, 0x201)).isZero();
    }

    @Test
    void aMoveOverlappingOnlyItsOwnOldRangeOrADeletedSlotIsAllowed() {
        assertThat(movedBase(1, 0x500)).as("kvm_check_memslot_overlap() skips the slot itself").isEqualTo(0x500);
        Run r = Run.of(GAP, b -> {
            SlotPaths.memslotDelete(b, GAP, 0);
            SlotPaths.memslotMove(b, GAP, 1, 0x100);
        });
        assertThat(r.s.slotBase[1]).as("slot 0 is gone").isEqualTo(0x100);
        Run over1 = Run.of(GAP, b -> {
            SlotPaths.memslotDelete(b, GAP, 1);
            SlotPaths.memslotMove(b, GAP, 0, 0x400);
        });
        assertThat(over1.s.slotBase[0]).as("slot 1 is gone").isEqualTo(0x400);
    }

    @Test
    void theTdpMmuWalksASlotUnderReadLockTheShadowMmuUnderWriteLock() {
        for (Mmu mmu : new Mmu[] {Mmu.TDP, Mmu.SHADOW}) {
            VmConfig c = gap(mmu, false);
            Run r = Run.of(c, b -> SlotPaths.slotRemoveWriteAccess(b, c, c.slot(0)));
            assertThat(r.trace().contains("read_lock(mmu_lock)")).as("%s", mmu).isEqualTo(mmu == Mmu.TDP);
            assertThat(r.s.violations).isZero();
        }
    }

    @Test
    void enablingDirtyLoggingSplitsHugePagesOnlyWithEagerPageSplit() {
        for (boolean eager : new boolean[] {true, false}) {
            VmConfig c = gap(Mmu.TDP, eager);
            Run r = Run.of(c, s -> KernelPaths.guestAccess(s, c, 0, Access.WRITE, Expr.constant(0x1000)),
                    b -> SlotPaths.dirtyLogEnable(b, c, 0));
            assertThat(Walk.of(r.s, 1).level()).as("eager split %s", eager).isEqualTo(eager ? 1 : 2);
            assertThat(r.spte(0x1000, "writable")).isZero();
            assertThat(r.s.violations).isZero();
        }
    }
}
