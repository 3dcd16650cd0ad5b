package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmConfig;
import org.junit.jupiter.api.Test;

/**
 * The Host-writable bit and check_spte_writable_invariants() (spte.h, v7.2): make_spte() sets
 * Host-writable only for a pfn the host maps writable, every change keeps it, and the check warns
 * (kernel_warning, in the kernel's words) where the kernel calls it, in handle_changed_spte() and
 * mmu_spte_update(), and nowhere else.
 */
class SpteWritableInvariantsTest {
    static final Memslot WRITABLE = InvariantsTest.HUGE;
    static final Memslot READ_ONLY = new Memslot(0, 0, 512, Level.PG_LEVEL_2M, false, true);

    /** vCPU 0 has read gpa 0x1000 (a 2M leaf: a read is no exec fault, NX leaves it huge) of `slot`; an op of an idle thread on that state. */
    static Exec afterRead(Mmu mmu, Memslot slot, StringBuilder trace) {
        VmConfig c = InvariantsTest.vm(mmu, true, 1, slot);
        Run r = Run.of(c, b -> TdpMmuTest.read(b, c, 0, 0x1000), b -> b.emit(new Ops.Note("idle")));
        return new Exec(r.system.program(), r.s.copy(), 0, trace);
    }

    static Walk leaf(Exec e) {
        Walk w = Walk.of(e.s, 0, 1, false);
        assertThat(w.presentLeaf()).isTrue();
        return w;
    }

    static boolean warned(Exec e) {
        return Invariants.violated(Invariant.kernel_warning, e.s);
    }

    @Test
    void makeSpteSetsHostWritableOnlyForAPfnTheHostMapsWritable() {
        long rw = Spte.makeSpte(0x1234, true, true);
        assertThat(Spte.hostWritable(rw) && Spte.writable(rw) && Spte.mmuWritable(rw)).isTrue();
        assertThat(rw).as("the common SPTE: no bit more than before").isEqualTo(Spte.leaf(0x1234, true, true));
        long ro = Spte.makeSpte(0x1234, false, true);
        assertThat(Spte.hostWritable(ro) || Spte.writable(ro) || Spte.mmuWritable(ro)).isFalse();
        assertThat(Spte.pfn(ro)).isEqualTo(0x1234);
        for (Mmu mmu : new Mmu[] {Mmu.TDP, Mmu.SHADOW}) {
            Exec e = afterRead(mmu, READ_ONLY, null);
            assertThat(Spte.hostWritable(leaf(e).spte())).as(mmu + ": a read-only slot's pfn").isFalse();
            assertThat(warned(e)).isFalse();
            assertThat(Spte.hostWritable(leaf(afterRead(mmu, WRITABLE, null)).spte())).isTrue();
        }
    }

    @Test
    void aWritableSpteThatIsNotMmuWritableWarnsInHandleChangedSpte() {
        StringBuilder trace = new StringBuilder();
        Exec e = afterRead(Mmu.TDP, WRITABLE, trace);
        Walk w = leaf(e);
        TdpMmu.setSpte(e, w.spId(), w.index(), w.spte() & ~Spte.MMU_WRITABLE);
        assertThat(warned(e)).isTrue();
        assertThat(trace.toString()).contains("!! kernel_warning: WARNING: kvm: Writable SPTE is not MMU-writable: 2M pfn 0x")
                .contains("(check_spte_writable_invariants(), spte.h, from handle_changed_spte())");
    }

    @Test
    void anMmuWritableSpteThatIsNotHostWritableWarnsInMmuSpteUpdate() {
        StringBuilder trace = new StringBuilder();
        Exec e = afterRead(Mmu.SHADOW, READ_ONLY, trace);
        Walk w = leaf(e);
        TdpMmu.setSpte(e, w.spId(), w.index(), w.spte() | Spte.MMU_WRITABLE);
        assertThat(warned(e)).isTrue();
        assertThat(trace.toString()).contains("!! kernel_warning: WARNING: kvm: MMU-writable SPTE is not Host-writable: 2M pfn 0x")
                .contains("r-- (mmu-writable) (not host-writable)").contains("from mmu_spte_update())");
    }

    /** The kernel's own changes keep the invariants: write-protection, a zap, a host read-only leaf's D. */
    @Test
    void theKernelsChangesHold() {
        for (Mmu mmu : new Mmu[] {Mmu.TDP, Mmu.SHADOW}) {
            Exec e = afterRead(mmu, WRITABLE, null);
            Walk w = leaf(e);
            TdpMmu.setSpte(e, w.spId(), w.index(), w.spte() & ~Spte.WRITABLE); // dirty logging keeps MMU-writable
            TdpMmu.setSpte(e, w.spId(), w.index(), w.spte() & ~(Spte.WRITABLE | Spte.MMU_WRITABLE)); // write tracking
            TdpMmu.setSpte(e, w.spId(), w.index(), 0);
            Exec ro = afterRead(mmu, READ_ONLY, null);
            Walk r = leaf(ro);
            TdpMmu.setSpte(ro, r.spId(), r.index(), r.spte() & ~Spte.ACCESSED);
            assertThat(warned(e) || warned(ro)).as(mmu.toString()).isFalse();
        }
    }

    /**
     * fast_pf_fix_direct_spte()'s try_cmpxchg64() calls no check, nor does a zap (the new SPTE is not
     * present); the next change that goes through handle_changed_spte(), clear_dirty_gfn_range()'s
     * tdp_mmu_set_spte_atomic() of the dirty leaf, reports the SPTE.
     */
    @Test
    void aBadBitFromTheFastPathShowsAtTheNextCheckedChange() {
        StringBuilder trace = new StringBuilder();
        Exec e = afterRead(Mmu.TDP, READ_ONLY, trace);
        Walk w = leaf(e);
        TdpMmu.writeSpte(e, w.spId(), w.index(), w.spte() | Spte.WRITABLE | Spte.DIRTY);
        assertThat(warned(e)).as("the cmpxchg").isFalse();
        Exec zap = new Exec(e.program, e.s.copy(), 0, null);
        TdpMmu.setSpte(zap, w.spId(), w.index(), 0);
        assertThat(warned(zap)).as("a zap").isFalse();
        SlotOps.clearDirtyGfnRange(e, 0, 512);
        assertThat(warned(e)).isTrue();
        assertThat(trace.toString()).contains("WARNING: kvm: Writable SPTE is not MMU-writable: 2M pfn 0x")
                .contains("rw- (not host-writable)").contains("from handle_changed_spte()");
    }

    /** make_small_spte() and make_huge_spte() start from the old SPTE: Host-writable stays as it was. */
    @Test
    void aSplitAndARecoveryKeepHostWritable() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 1, READ_ONLY);
        Run r = Run.of(c, b -> TdpMmuTest.read(b, c, 0, 0x1000), b -> b.emit(InvariantsTest.call("split_huge", 5)));
        Walk child = Walk.of(r.s, 0, 5, false);
        assertThat(child.level()).isEqualTo(Level.PG_LEVEL_4K);
        assertThat(Spte.hostWritable(child.spte())).isFalse();
        long huge = HugePageRecovery.makeHugeSpte(r.s, child.spId(), 0, false);
        assertThat(Spte.hostWritable(huge) || Spte.writable(huge)).isFalse();
        assertThat(r.violated(Invariant.kernel_warning)).isFalse();
    }
}
