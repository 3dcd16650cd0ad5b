package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import org.junit.jupiter.api.Test;

/** The ops of a tdp_iter walk: a user loop's fields, a root freed under the walk, the zap step. */
class TdpLoopOpsTest {
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL);

    @Test
    void iterGfnAndLevelAreTheIteratorsLocalsTheOtherFieldsAreReadFromTheSpte() {
        KernelPaths.TdpLoop loop = new KernelPaths.TdpLoop(10, 20, 0, 0, true);
        assertThat(loop.slot("gfn")).isEqualTo(10 + TdpIter.GFN);
        assertThat(loop.slot("level")).isEqualTo(10 + TdpIter.LEVEL);
        assertThat(loop.slot("present")).isEqualTo(-1);
        assertThat(loop.slot("leaf")).isEqualTo(-1);
    }

    /** A state whose only thread is inside a walk (iterator at local 0, its end right after it). */
    static Exec walking() {
        Program p = InvariantsTest.program(VM, b -> { }, InvariantsTest.thread("t", b -> {
            int it = b.locals("iter", TdpIter.SLOTS);
            b.emit(new MmuOps.IterNext(it, b.local("end")));
        }));
        VmState w = new MmuSystem(p).initial().copy();
        w.threads[0].locals[TdpIter.VALID] = 1;
        w.threads[0].locals[TdpIter.LEVEL] = 4;
        w.threads[0].locals[TdpIter.SLOTS] = 512;
        return new Exec(p, w, 0, new StringBuilder());
    }

    @Test
    void aWalkWhoseRootWasFreedUnderItReadsFreedMemoryAndEnds() {
        Exec e = walking();
        int legacy = e.s.allocSp(4, 0, false).id;
        e.s.threads[0].locals[TdpIter.ROOT] = legacy;
        e.s.freeSp(legacy);
        new MmuOps.IterNext(0, TdpIter.SLOTS).exec(e, 0);
        assertThat(Invariant.freed_page_table_walk.violatedIn(e.s)).isTrue();
        assertThat(Invariant.freed_root_in_use.violatedIn(e.s)).as("the walk still stands in the root").isTrue();
        assertThat(e.s.threads[0].locals[TdpIter.VALID]).as("the walk ends").isZero();

        Exec live = walking();
        live.s.threads[0].locals[TdpIter.ROOT] = live.s.root;
        new MmuOps.IterNext(0, TdpIter.SLOTS).exec(live, 0);
        assertThat(Invariant.freed_page_table_walk.violatedIn(live.s)).isFalse();
        assertThat(Invariant.freed_root_in_use.violatedIn(live.s)).isFalse();
    }

    /**
     * kvm_unmap_gfn_range()'s rmap half (kvm_zap_rmap) on mmu both: the nested guest's legacy root
     * may sit at id 0 (a fast zap frees the TDP root and the next root takes the lowest free id),
     * and a range it does not map owes no flush.
     */
    @Test
    void theRmapZapReachesANestedRootAtIdZeroAndOwesAFlushOnlyForALeaf() {
        Exec e = walking();
        VmState s = e.s;
        int tdpRoot = s.root;
        s.freeSp(tdpRoot);
        s.root = -1;
        s.tdpMmuRoots = new int[0];
        int nested = s.allocSp(1, 0, false).id;
        assertThat(nested).as("the lowest free id").isZero();
        s.nestedRoot = nested;
        s.setSpte(nested, 0x10, dev.mmu.runtime.model.Spte.makeSpte(0x1234, true, true));

        assertThat(MmuOps.zapLeafs(e, 0x20, 0x30)).as("no leaf in the range: no flush").isFalse();
        assertThat(s.sp(nested).spte(0x10)).isNotZero();
        assertThat(MmuOps.zapLeafs(e, 0x10, 0x11)).as("a leaf zapped: a flush is owed").isTrue();
        assertThat(s.sp(nested).spte(0x10)).isZero();
    }

    @Test
    void aZapStepsDownTablesCoveringMoreThanItsRangeAndOwesAFlushForEachLeaf() {
        Run r = ZapAndDirtyLogTest.afterZap(b -> KernelFixtures.tdpMmuZapGfnRange(b, Expr.constant(0x2000), Expr.constant(0x3000)));
        assertThat(r.trace()).contains("tdp_iter: L2 gfn 0x0 is a table covering more than the range: step down")
                .contains("flush pending");
        assertThat(r.spte(0x2000, "present")).isZero();
        assertThat(r.spte(0x1000, "present")).isEqualTo(1);
    }

    @Test
    void aZapWithoutMmuLockIsALockdepViolation() {
        String report = "!! lockdep: zap_gfn_range() needs mmu_lock held for write";
        assertThat(SlotOpsTest.withoutMmuLock(ZapAndDirtyLogTest.VM, s -> FaultPaths.guestAccess(s, ZapAndDirtyLogTest.VM, 0,
                MmuOps.Access.READ, Expr.constant(0x1000)),
                b -> KernelFixtures.tdpMmuZapGfnRange(b, Expr.constant(0), Expr.constant(0x200000)), report)).contains(report);
    }

    /** trial16: a copy of kvm_tdp_mmu_zap_gfn_range under read_lock() passed (ZapStep asked for either mode). */
    @Test
    void aZapUnderTheReadLockIsALockdepViolation() {
        MmuSystem m = new MmuSystem(InvariantsTest.program(ZapAndDirtyLogTest.VM,
                s -> FaultPaths.guestAccess(s, ZapAndDirtyLogTest.VM, 0, MmuOps.Access.READ, Expr.constant(0x1000)),
                InvariantsTest.thread("t", b -> KernelFixtures.tdpMmuZapGfnRange(b, Expr.constant(0), Expr.constant(0x200000)))));
        int end = m.program().threads().get(0).ops().length;
        VmState s = m.initial();
        String found = "";
        for (int i = 0; i < 300 && s.threads[0].pc < end && found.isEmpty(); i++) {
            VmState reading = s.copy();
            reading.mmuWriter = -1;
            reading.mmuReaders = 1L; // thread 0 holds mmu_lock for read
            StringBuilder trace = new StringBuilder();
            m.step(reading, 0, 0, trace);
            if (trace.toString().contains("!! lockdep: zap_gfn_range() needs mmu_lock held for write")) found = trace.toString();
            s = m.step(s, 0, 0, null);
        }
        assertThat(found).isNotEmpty();
    }
}
