package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.MmuOps.Access;
import org.junit.jupiter.api.Test;

/**
 * Memslots as faults and notifiers see them: the dirty bitmap of a logging slot
 * (mark_page_dirty_in_slot), the hva that stays behind a moved slot, the hva ranges of a
 * notifier.
 */
class MemslotsTest {
    static final long SZ_2M = 0x200000L;
    /** Slot 0 at gpa 0, slot 1 at gpa 2M (4K pages each); slot 1 logs dirty pages. */
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL,
            new Memslot(1, 512, 512, 1, true, false));

    @Test
    void aWriteToALoggingSlotMarksItsPageDirtyOnce() {
        Run r = Run.of(VM, b -> {
            DirtyLogPaths.dirtyLogEnable(b, VM, 1);
            FaultPaths.guestAccess(b, VM, 0, Access.WRITE, Expr.constant(SZ_2M + 0x3000));
            FaultPaths.guestAccess(b, VM, 0, Access.WRITE, Expr.constant(0x3000));
            FaultPaths.guestAccess(b, VM, 0, Access.READ, Expr.constant(SZ_2M + 0x4000));
        });
        assertThat(Memslots.logging(r.s, 1)).isTrue();
        assertThat(Memslots.logging(r.s, 0)).isFalse();
        assertThat(Memslots.logging(r.s, -1)).as("no slot").isFalse();
        assertThat(r.s.dirty(1, 3)).isTrue();
        // make_spte() (v6.x) maps a read fault writable too, and marks the page of a logging slot.
        assertThat(r.s.dirty(1, 4)).isTrue();
        assertThat(r.s.dirty(1, 5)).isFalse();
        assertThat(r.s.dirty(0, 3)).as("slot 0 does not log").isFalse();
        assertThat(r.trace()).containsOnlyOnce("mark_page_dirty_in_slot gfn 0x203");
        assertThat(Memslots.snapshot(r.s, 512 + 3) & Memslots.LOGGING).isNotZero();
        assertThat(Memslots.snapshot(r.s, 3) & Memslots.LOGGING).isZero();
        assertThat(Memslots.snapshot(r.s, 2048)).as("no slot: emulated MMIO").isZero();
    }

    /**
     * kvm_for_each_memslot_in_gfn_range(): the slots a gfn range meets, in gfn order whatever their
     * ids and declaration order, from the one holding start (or the first after it); a deleted slot
     * is none.
     */
    @Test
    void theMemslotIteratorGoesThroughTheSlotsARangeMeetsInGfnOrder() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 1, new Memslot(7, 1024, 512, 1, false, false),
                new Memslot(3, 0, 512, 1, false, false), new Memslot(5, 512, 256, 1, false, false));
        var s = Run.of(c, b -> { }).s;
        assertThat(Memslots.iterStart(s, 0, 2048)).isEqualTo(3);
        assertThat(Memslots.iterStart(s, 511, 2048)).as("slot 3 ends at 512").isEqualTo(3);
        assertThat(Memslots.iterStart(s, 512, 2048)).isEqualTo(5);
        assertThat(Memslots.iterStart(s, 768, 2048)).as("past slot 5's end, the next slot").isEqualTo(7);
        assertThat(Memslots.iterStart(s, 768, 1024)).as("slot 7 begins at the range's end").isEqualTo(-1);
        assertThat(Memslots.iterStart(s, 768, 1025)).isEqualTo(7);
        assertThat(Memslots.iterStart(s, 1536, 4096)).as("past every slot").isEqualTo(-1);
        assertThat(Memslots.iterStart(Run.of(VM, b -> { }).s, 0, 1024)).as("the first position has the first gfn").isEqualTo(0);
        s.slotDeleted |= 1 << 2;
        assertThat(Memslots.iterStart(s, 512, 2048)).as("slot 5 deleted").isEqualTo(7);
    }
    /**
     * kvm_for_each_memslot_in_hva_range(): the slots an hva range (bytes) meets, in hva order; a
     * slot's hva is its configured gpa, which a move (a new base_gfn) keeps.
     */
    @Test
    void theHvaIteratorGoesThroughTheSlotsAnHvaRangeMeetsInHvaOrder() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 1, new Memslot(7, 1024, 512, 1, false, false),
                new Memslot(3, 0, 512, 1, false, false), new Memslot(5, 512, 256, 1, false, false));
        var s = Run.of(c, b -> { }).s;
        assertThat(Memslots.hvaIterStart(s, 0, 2048L << 12)).isEqualTo(3);
        assertThat(Memslots.hvaIterStart(s, (512L << 12) - 1, 2048L << 12)).as("slot 3's last byte").isEqualTo(3);
        assertThat(Memslots.hvaIterStart(s, 512L << 12, 2048L << 12)).isEqualTo(5);
        assertThat(Memslots.hvaIterStart(s, 768L << 12, 1024L << 12)).as("slot 7 begins at the range's end").isEqualTo(-1);
        assertThat(Memslots.hvaIterStart(s, 768L << 12, (1024L << 12) + 1)).isEqualTo(7);
        assertThat(Memslots.hvaIterStart(s, 1536L << 12, 4096L << 12)).as("past every slot").isEqualTo(-1);
        s.slotBase[1] = 4096; // slot 3 moved: its hvas stay at 0
        assertThat(Memslots.hvaIterStart(s, 0, 512L << 12)).as("a move keeps the hva").isEqualTo(3);
        assertThat(Memslots.hvaIterStart(s, 4096L << 12, 8192L << 12)).as("the new gfns are no hvas").isEqualTo(-1);
        s.slotDeleted |= 1 << 2;
        assertThat(Memslots.hvaIterStart(s, 512L << 12, 2048L << 12)).as("slot 5 deleted").isEqualTo(7);
    }
}
