package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Expectation.Terminates;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.explore.Explorer;
import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.explore.Verdict;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.KernelPaths.TdpLoop;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A TDP MMU walk that yields: tdp_mmu_iter_cond_resched() flushes what the walk owes, drops RCU
 * and mmu_lock, and tdp_iter_restart() walks again from the root at next_last_level_gfn; it does
 * not yield twice before the walk moved (the 5.12-rc forward-progress fix). Checked on outcomes:
 * what every interleaving leaves in the tables and TLBs, whether a vCPU got in between, whether
 * two walkers can livelock.
 */
class TdpWalkYieldTest {
    /** 2M of 4K pages at gpa 0: one 4K table. */
    static final VmConfig VM = new VmConfig(Mmu.TDP, false, 1, false, 4,
            List.of(new Memslot(0, 0, 512, Level.PG_LEVEL_4K, false, false)), 1);
    static final long[] MAPPED = {0x1000, 0x2000};

    static PathBuilder warm() {
        PathBuilder setup = new PathBuilder();
        for (long gpa : MAPPED) FaultPaths.guestAccess(setup, VM, 0, Access.READ, Expr.constant(gpa));
        return setup;
    }

    static ThreadProgram vcpuRead(long gpa) {
        PathBuilder b = new PathBuilder();
        FaultPaths.guestAccess(b, VM, 0, Access.READ, Expr.constant(gpa));
        return ThreadProgram.of("vcpu 0", 0, b);
    }

    static long spte(VmState s, long gpa) {
        Walk w = Walk.of(s, gpa >>> 12);
        return w == null ? 0 : w.spte();
    }

    static List<VmState> terminal(MmuSystem m, Set<VmState> all) {
        List<VmState> out = new ArrayList<>();
        List<Transition<VmState>> next = new ArrayList<>();
        for (VmState s : all) {
            next.clear();
            m.successors(s, next);
            if (next.isEmpty()) out.add(s);
        }
        return out;
    }

    /** kvm_tdp_mmu_zap_gfn_range over the two mapped pages (can_yield), racing a vCPU fault that needs mmu_lock. */
    static MmuSystem zapRacingFault() {
        PathBuilder zap = new PathBuilder();
        KernelFixtures.tdpMmuZapGfnRange(zap, Expr.constant(0x1000), Expr.constant(0x3000));
        return new MmuSystem(Stepper.program(VM, warm(), ThreadProgram.of("zap", -1, zap), vcpuRead(0x3000)));
    }

    @Test
    void theZapYieldsToTheVcpuMidWalkAndStillZapsEverythingItWasAskedTo() {
        MmuSystem m = zapRacingFault();
        Set<VmState> all = SeedModelTest.reachable(m);
        // The vCPU holds mmu_lock between the zap of the first page and that of the second.
        assertThat(all).anyMatch(s -> (s.mmuReaders & (1L << 1)) != 0 && s.threads[0].pc > 0
                && !Spte.present(spte(s, 0x1000)) && Spte.present(spte(s, 0x2000)));
        List<VmState> ends = terminal(m, all);
        assertThat(ends).isNotEmpty();
        for (VmState s : ends) {
            assertThat(m.finished(s)).isTrue();
            for (long gpa : MAPPED) assertThat(Spte.present(spte(s, gpa))).as("0x%x zapped", gpa).isFalse();
        }
    }

    @Test
    void aYieldFlushesWhatTheWalkOwesBeforeDroppingTheLock() {
        Set<VmState> all = SeedModelTest.reachable(zapRacingFault());
        assertThat(all).noneMatch(s -> Invariants.violated(Invariant.stale_tlb_at_unlock, s));
        assertThat(all).noneMatch(s -> Invariants.violated(Invariant.freed_page_table_walk, s));
        assertThat(all).as("RCU and mmu_lock retaken after the yield, released once")
                .noneMatch(s -> Invariants.violated(Invariant.lock_balance, s));
    }

    @Test
    void withoutContentionTheWalkMayKeepTheLockAcrossEntries() {
        // need_resched() may answer no: one stretch under mmu_lock zaps both pages (lock_hold_work 2).
        PathBuilder zap = new PathBuilder();
        KernelFixtures.tdpMmuZapGfnRange(zap, Expr.constant(0x1000), Expr.constant(0x3000));
        Program metered = new Program(VM, ThreadProgram.of("setup", -1, warm()),
                List.of(ThreadProgram.of("zap", -1, zap), vcpuRead(0x3000)), true);
        assertThat(SeedModelTest.reachable(new MmuSystem(metered)))
                .anyMatch(s -> s.mmuWriter == 0 && s.threads[0].holdWork >= 2);
    }

    /** Two 2M regions of 4K pages: zapping [0, 4M) unlinks one 4K table per step. */
    static final VmConfig VM_4M = new VmConfig(Mmu.TDP, false, 1, false, 4,
            List.of(new Memslot(0, 0, 1024, Level.PG_LEVEL_4K, false, false)), 1);

    @Test
    void aYieldLeavesTheRcuReadSideSoUnlinkedTablesAreFreedMeanwhile() {
        PathBuilder setup = new PathBuilder();
        for (long gpa : new long[] {0x1000, 0x201000}) {
            FaultPaths.guestAccess(setup, VM_4M, 0, Access.READ, Expr.constant(gpa));
        }
        PathBuilder zap = new PathBuilder();
        KernelFixtures.tdpMmuZapGfnRange(zap, Expr.constant(0), Expr.constant(0x400000));
        PathBuilder vcpu = new PathBuilder();
        FaultPaths.guestAccess(vcpu, VM_4M, 0, Access.READ, Expr.constant(0x3000));
        MmuSystem m = new MmuSystem(Stepper.program(VM_4M, setup, ThreadProgram.of("zap", -1, zap),
                ThreadProgram.of("vcpu 0", 0, vcpu)));
        VmState start = m.initial();
        int tables = liveTables(start);
        int zapLength = m.program().threads().get(0).ops().length;
        // Yielded mid-walk (neither mmu_lock nor RCU held), one 4K table already unlinked and freed.
        assertThat(SeedModelTest.reachable(m)).anyMatch(s -> s.threads[0].pc > 0 && s.threads[0].pc < zapLength
                && !s.holdsMmuLock(0) && (s.rcuReaders & 1) == 0 && s.rcuPending.length == 0
                && Spte.present(spte(s, 0x201000)) && liveTables(s) < tables);
    }

    static int liveTables(VmState s) {
        int n = 0;
        for (int i = 0; i < s.spCapacity(); i++) if (s.sp(i) != null) n++;
        return n;
    }

    /**
     * wrprot_gfn_range() as a user loop over gfns 0-511 (examples/tdp/forward-progress.mmu):
     * {@code if (tdp_mmu_iter_cond_resched(flush)) flush = false; else if leaf { clear W; flush = true }},
     * then flush after the walk if owed.
     */
    static ThreadProgram wrprot(String name, boolean guarded) {
        PathBuilder b = new PathBuilder();
        int flush = b.local("flush");
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        TdpLoop loop = KernelPaths.beginTdpPteLoop(b, null, Expr.constant(0), Expr.constant(512));
        int yielded = b.local("yielded");
        KernelPaths.iterCondResched(b, loop, Expr.local(flush), yielded, Mode.WRITE, guarded, false);
        int ifYielded = b.placeholder();
        int ifLeaf = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("set_spte"), new Expr[] {Expr.local(loop.slot("gfn")),
                Expr.local(loop.slot("level")), Expr.constant(1), Expr.constant(0), Expr.constant(0)}, -1));
        b.emit(new Ops.Assign(flush, Expr.constant(1), "flush = true"));
        int toNext = b.placeholder();
        int clear = b.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
        int next = b.here();
        KernelPaths.endTdpPteLoop(b, loop);
        b.patch(ifYielded, new Ops.JumpUnless(Expr.of(Footprint.LOCAL, (s, t) -> s.threads[t].locals[yielded] == 0 ? 1 : 0), clear, "!yielded"));
        b.patch(ifLeaf, new Ops.JumpUnless(loop.spteField("leaf"), next, "iter.leaf"));
        b.patch(toNext, new Ops.Jump(next));
        int ifFlush = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("flush_remote_tlbs"), new Expr[0], -1));
        b.patch(ifFlush, new Ops.JumpUnless(Expr.local(flush), b.here(), "flush"));
        b.emit(new Ops.Release(LockId.mmu_lock));
        return ThreadProgram.of(name, -1, b);
    }

    static MmuSystem twoWalkers(boolean guarded) {
        return new MmuSystem(Stepper.program(VM, warm(), wrprot("a", guarded), wrprot("b", guarded)));
    }

    static Verdict terminates(MmuSystem m) {
        return Explorer.explore(m, List.of(new Terminates<VmState>("terminates")), ExploreOptions.builder().build())
                .outcomes().get(0).verdict();
    }

    @Test
    void withTheForwardProgressGuardTwoYieldingWalksFinishAndProtectEveryLeaf() {
        MmuSystem m = twoWalkers(true);
        assertThat(terminates(m)).isEqualTo(Verdict.PASS);
        Set<VmState> all = SeedModelTest.reachable(m);
        int aLength = m.program().threads().get(0).ops().length;
        assertThat(all).as("b holds mmu_lock while a is inside its walk: a yielded")
                .anyMatch(s -> s.mmuWriter == 1 && s.threads[0].pc > 0 && s.threads[0].pc < aLength);
        for (VmState s : terminal(m, all)) {
            for (long gpa : MAPPED) {
                long spte = spte(s, gpa);
                assertThat(Spte.present(spte) && !Spte.writable(spte)).as("0x%x write-protected", gpa).isTrue();
            }
        }
        assertThat(all).noneMatch(s -> Invariants.violated(Invariant.stale_tlb_at_unlock, s));
    }

    @Test
    void withoutTheGuardTwoWalksRestartEachOtherForever() {
        assertThat(terminates(twoWalkers(false))).isEqualTo(Verdict.FAIL);
    }

    @Test
    void aLoneWalkerFinishesAndProtectsEveryLeaf() {
        // Whatever the scheduler answers at each tdp_mmu_iter_cond_resched(), the walk finishes.
        MmuSystem m = new MmuSystem(Stepper.program(VM, warm(), wrprot("a", true)));
        assertThat(terminates(m)).isEqualTo(Verdict.PASS);
        for (VmState s : terminal(m, SeedModelTest.reachable(m))) {
            for (long gpa : MAPPED) assertThat(Spte.writable(spte(s, gpa))).isFalse();
        }
    }
}
