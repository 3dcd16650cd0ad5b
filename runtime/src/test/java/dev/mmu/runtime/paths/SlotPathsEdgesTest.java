package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
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

    /** kvm_check_memslot_overlap() (the prelude's memslot_move asks it first): -EEXIST if true. */
    static boolean overlaps(VmState s, int slotId, long newBase) {
        int pos = Memslots.position(s.config, slotId);
        return Memslots.overlaps(s, pos, newBase, s.config.memslots().get(pos).npages());
    }

    static VmState initial() {
        return Run.of(GAP, b -> {}).s;
    }

    @Test
    void aMoveRightAfterOrRightBeforeAnotherSlotIsAllowed() {
        assertThat(overlaps(initial(), 1, 0x200)).as("starts at slot 0's end").isFalse();
        assertThat(overlaps(initial(), 0, 0x200)).as("ends at slot 1's base").isFalse();
    }

    @Test
    void aMoveOverlappingAnotherSlotByOneGfnFailsWithEexist() {
        assertThat(overlaps(initial(), 1, 0x1ff)).isTrue();
        assertThat(overlaps(initial(), 0, 0x201)).isTrue();
    }

    @Test
    void aMoveOverlappingOnlyItsOwnOldRangeOrADeletedSlotIsAllowed() {
        assertThat(overlaps(initial(), 1, 0x500)).as("kvm_check_memslot_overlap() skips the slot itself").isFalse();
        for (int gone : new int[] {0, 1}) {
            VmState s = Run.of(GAP, b -> {
                b.emit(new SlotOps.InvalidateSlot(gone));
                b.emit(new SlotOps.DeleteSlot(gone));
            }).s;
            assertThat(overlaps(s, 1 - gone, gone == 0 ? 0x100 : 0x400)).as("slot %d is gone", gone).isFalse();
        }
    }

    @Test
    void theTdpMmuWalksASlotUnderReadLockTheShadowMmuUnderWriteLock() {
        for (Mmu mmu : new Mmu[] {Mmu.TDP, Mmu.SHADOW}) {
            VmConfig c = gap(mmu, false);
            Run r = Run.of(c, b -> DirtyLogPaths.slotRemoveWriteAccess(b, c, 0));
            assertThat(r.trace().contains("read_lock(mmu_lock)")).as("%s", mmu).isEqualTo(mmu == Mmu.TDP);
            assertThat(r.s.violations).isZero();
        }
    }

    @Test
    void enablingDirtyLoggingSplitsHugePagesOnlyWithEagerPageSplit() {
        for (boolean eager : new boolean[] {true, false}) {
            VmConfig c = gap(Mmu.TDP, eager);
            Run r = Run.of(c, s -> FaultPaths.guestAccess(s, c, 0, Access.WRITE, Expr.constant(0x1000)),
                    b -> DirtyLogPaths.dirtyLogEnable(b, c, 0));
            assertThat(Walk.of(r.s, 1).level()).as("eager split %s", eager).isEqualTo(eager ? 1 : 2);
            assertThat(r.spte(0x1000, "writable")).isZero();
            assertThat(r.s.violations).isZero();
        }
    }
}
