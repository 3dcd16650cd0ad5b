package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Transition;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every built-in invariant fires: for each, a program (a buggy kernel path as a KVM developer would
 * write it) where some interleaving breaks it, and the correct path where none does. The
 * structural checkers that no expressible path can break (every SPTE write goes through
 * tdp_mmu_set_spte / handle_changed_spte, which keep stats and tables consistent) are checked on
 * states broken by hand, one condition at a time. examples/invariants/*.mmu has the same cases in
 * the scenario language.
 */
class InvariantsTest {
    static final long SZ_2M = 0x200000L;

    /** One 2M-backed slot at gpa 0 (gfns 0..511), nx_huge_pages as given. */
    static VmConfig vm(Mmu mmu, boolean nx, int vcpus, Memslot... slots) {
        return new VmConfig(mmu, nx, 1, true, 4, List.of(slots), vcpus);
    }

    static final Memslot HUGE = new Memslot(0, 0, 512, Level.PG_LEVEL_2M, false, false);
    static final Memslot SMALL = new Memslot(0, 0, 512, Level.PG_LEVEL_4K, false, false);
    static final Memslot SMALL_1 = new Memslot(1, 512, 512, Level.PG_LEVEL_4K, false, false);

    static PathBuilder path(Consumer<PathBuilder> body) {
        PathBuilder b = new PathBuilder();
        body.accept(b);
        return b;
    }

    static ThreadProgram thread(String name, Consumer<PathBuilder> body) {
        return ThreadProgram.of(name, -1, path(body));
    }

    static ThreadProgram vcpu(VmConfig c, int v, Access kind, long gpa) {
        return ThreadProgram.of("vcpu " + v, v, path(b -> FaultPaths.guestAccess(b, c, v, kind, Expr.constant(gpa))));
    }

    static Program program(VmConfig c, Consumer<PathBuilder> setup, ThreadProgram... threads) {
        return new Program(c, ThreadProgram.of("setup", -1, path(setup)), List.of(threads), false);
    }

    static Ops.Call call(String primitive, long... args) {
        Expr[] a = new Expr[args.length];
        for (int i = 0; i < args.length; i++) a[i] = Expr.constant(args[i]);
        return new Ops.Call(Primitives.get(primitive), a, -1);
    }

    /** The head of possible_nx_huge_pages, as `for sp in lpage_disallowed` hands it to a path. */
    static Ops.Call callOnFirstNxPage(String primitive) {
        return new Ops.Call(Primitives.get(primitive), new Expr[] {Expr.of(Footprint.reads(Resource.NX_LIST), (s, t) -> s.lpageDisallowed[0])}, -1);
    }

    /** Every invariant broken in some reachable state (deadlock: a stuck terminal state). */
    static Set<Invariant> broken(Program p) {
        MmuSystem m = new MmuSystem(p);
        Set<Invariant> found = EnumSet.noneOf(Invariant.class);
        List<Transition<VmState>> out = new ArrayList<>();
        for (VmState s : SeedModelTest.reachable(m)) {
            for (Invariant inv : Invariant.values()) if (Invariants.violated(inv, s)) found.add(inv);
            out.clear();
            m.successors(s, out);
            if (out.isEmpty() && !m.finished(s)) found.add(Invariant.deadlock);
        }
        return found;
    }

    // ---- event invariants, through paths ----

    @Test
    void useAfterFreeAndStaleTlbFireOnlyWhenTheRecoveryDropsItsFlush() {
        assertThat(broken(Seeds.seed(false))).contains(Invariant.use_after_free, Invariant.stale_tlb_at_unlock);
        assertThat(broken(Seeds.seed(true))).doesNotContain(Invariant.use_after_free, Invariant.stale_tlb_at_unlock);
    }

    /** zap, then unlock with (or without) the flush tdp_mmu_zap_leafs asked for; vCPU 0's TLB is warm. */
    static Program zapRange(boolean flush) {
        VmConfig c = vm(Mmu.TDP, false, 1, SMALL);
        return program(c, s -> FaultPaths.guestAccess(s, c, 0, Access.READ, Expr.constant(0x1000)),
                thread("zap", b -> {
                    int f = b.local("flush");
                    b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
                    KernelPaths.zapGfnRange(b, Expr.constant(0), Expr.constant(512), f, false);
                    if (flush) b.emit(call("flush_remote_tlbs"));
                    b.emit(new Ops.Release(LockId.mmu_lock));
                }),
                thread("host", b -> {
                    KernelFixtures.mmuNotifierInvalidate(b, Expr.constant(0), Expr.constant(SZ_2M));
                    HostPaths.hostFree(b, Expr.constant(0), Expr.constant(SZ_2M));
                }),
                vcpu(c, 0, Access.READ, 0x1000));
    }

    @Test
    void aZapThatUnlocksWithoutItsFlushLeavesAStaleTlbAndAUseAfterFree() {
        assertThat(broken(zapRange(false))).contains(Invariant.stale_tlb_at_unlock, Invariant.use_after_free);
        assertThat(broken(zapRange(true))).doesNotContain(Invariant.stale_tlb_at_unlock, Invariant.use_after_free);
    }

    /**
     * vCPU 0 maps gpa 0x1000 (a 4K leaf, or a 2M one on the 2M-backed slot), the root invalidated
     * or not; the host frees the region, after the notifier's invalidation or without it.
     */
    static Program hostFree(Memslot slot, boolean invalidated, boolean notifier) {
        VmConfig c = vm(Mmu.TDP, false, 1, slot);
        return program(c, s -> {
            FaultPaths.guestAccess(s, c, 0, Access.WRITE, Expr.constant(0x1000));
            if (invalidated) {
                s.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
                s.emit(call("kvm_tdp_mmu_invalidate_roots"));
                s.emit(new Ops.Release(LockId.mmu_lock));
            }
        }, thread("host", b -> {
            if (notifier) KernelFixtures.mmuNotifierInvalidate(b, Expr.constant(0), Expr.constant(SZ_2M));
            HostPaths.hostFree(b, Expr.constant(0), Expr.constant(SZ_2M));
        }));
    }

    /**
     * The step that frees a page an SPTE still maps says which SPTE (freed_page_mapped is
     * structural: no step records it), once, and only in the trace; with the notifier first it
     * says nothing.
     */
    @Test
    void theHostsFreeNamesTheSpteThatStillMapsThePage() {
        Run r = new Run(hostFree(SMALL, false, false));
        assertThat(Invariants.why(Invariant.freed_page_mapped, r.s)).isEqualTo("SPTE L1[1] gfn 0x1 maps pfn 0x1000, which the host freed");
        assertThat(r.trace()).containsOnlyOnce("!! freed_page_mapped: SPTE L1[1] gfn 0x1 maps pfn 0x1000, which the host freed");
        Run huge = new Run(hostFree(HUGE, true, false));
        assertThat(Invariants.why(Invariant.freed_page_mapped, huge.s)).matches("SPTE L2\\[0\\] gfn 0x0 maps pfn 0x[0-9a-f]+, which the host freed");
        Run safe = new Run(hostFree(SMALL, false, true));
        assertThat(Invariants.why(Invariant.freed_page_mapped, safe.s)).isNull();
        assertThat(safe.trace()).doesNotContain("freed_page_mapped");
    }

    @Test
    void aPageTheHostFreesWhileAnSpteOfAnyRootMapsItIsFreedPageMapped() {
        for (Memslot slot : List.of(SMALL, HUGE)) {
            for (boolean invalidated : List.of(false, true)) {
                assertThat(broken(hostFree(slot, invalidated, false))).as("%s, invalidated %s", slot, invalidated)
                        .contains(Invariant.freed_page_mapped);
                assertThat(broken(hostFree(slot, invalidated, true))).as("%s, invalidated %s", slot, invalidated)
                        .doesNotContain(Invariant.freed_page_mapped);
            }
        }
    }

    /** kvm_tdp_mmu_zap_sp on the NX-split table inside rcu_read_lock; vCPU 0 caches that table. */
    static Program zapSplitTable(boolean flush) {
        VmConfig c = vm(Mmu.TDP, true, 1, HUGE);
        return program(c, s -> FaultPaths.guestAccess(s, c, 0, Access.EXEC, Expr.constant(0x1000)),
                thread("zap", b -> {
                    b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
                    b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
                    b.emit(callOnFirstNxPage("tdp_zap_sp"));
                    if (flush) b.emit(call("flush_remote_tlbs"));
                    b.emit(new Ops.Release(LockId.rcu));
                    b.emit(new Ops.Release(LockId.mmu_lock));
                }),
                vcpu(c, 0, Access.READ, 0x2000));
    }

    @Test
    void aWalkFromThePagingStructureCacheReachesATableFreedWithoutAFlush() {
        assertThat(broken(zapSplitTable(false))).contains(Invariant.freed_page_table_walk);
        assertThat(broken(zapSplitTable(true))).doesNotContain(Invariant.freed_page_table_walk);
    }

    /** fast_page_fault's cmpxchg restoring W after dirty logging was enabled, with or without the kernel's fault. */
    @Test
    void aLocklessWritableRestoreWithoutMarkPageDirtyLosesTheWrite() {
        VmConfig c = vm(Mmu.TDP, false, 1, SMALL);
        Consumer<PathBuilder> setup = s -> {
            FaultPaths.guestAccess(s, c, 0, Access.WRITE, Expr.constant(0x1000));
            DirtyLogPaths.dirtyLogEnable(s, c, 0);
        };
        Program buggy = program(c, setup, ThreadProgram.of("vcpu 0", 0, path(b -> {
            b.emit(call("cmpxchg_spte", 1, 1));
            FaultPaths.guestAccess(b, c, 0, Access.WRITE, Expr.constant(0x1000));
        })));
        assertThat(broken(buggy)).contains(Invariant.dirty_log_lost);
        Program kernel = program(c, s -> FaultPaths.guestAccess(s, c, 0, Access.WRITE, Expr.constant(0x1000)),
                thread("ioctl", b -> DirtyLogPaths.dirtyLogEnable(b, c, 0)), vcpu(c, 0, Access.WRITE, 0x1000));
        assertThat(broken(kernel)).doesNotContain(Invariant.dirty_log_lost);
    }

    /**
     * A zap under the write lock from the SPTE it read earlier, racing a guest write that sets D:
     * WRITE_ONCE (before ba3a6120a4e7) drops the D bit; tdp_mmu_set_spte()'s xchg hands it to
     * kvm_set_pfn_dirty().
     */
    @Test
    void aWriteOnceZapDropsTheDirtyBitTheCpuSetAfterTheSnapshot() {
        VmConfig c = vm(Mmu.TDP, false, 2, SMALL);
        assertThat(broken(zapRacingAWrite(c, "__tdp_mmu_set_spte"))).contains(Invariant.dirty_bit_lost);
        assertThat(broken(zapRacingAWrite(c, "tdp_mmu_set_spte"))).doesNotContain(Invariant.dirty_bit_lost);
    }

    /**
     * The same WRITE_ONCE on a kernel whose handle_changed_spte() no longer calls kvm_set_pfn_dirty()
     * (v6.13+: the fault marked the folio dirty when it made the SPTE writable): the contract
     * dirty_bit_lost checks is gone, so nothing is recorded (the checker refuses the name there).
     */
    @Test
    void withoutKvmSetPfnDirtyAtTheZapADroppedDirtyBitIsNoViolation() {
        VmConfig c = withSpteFacts(vm(Mmu.TDP, false, 2, SMALL), true, false);
        assertThat(broken(zapRacingAWrite(c, "__tdp_mmu_set_spte"))).doesNotContain(Invariant.dirty_bit_lost);
    }

    /** A machine like c with the SPTE-write facts of another kernel version ({@link Prelude}). */
    static VmConfig withSpteFacts(VmConfig c, boolean accessedBitVolatile, boolean setsPfnDirtyOnZap) {
        return new VmConfig(c.mmu(), c.nxHugePages(), c.nxRecoveryRatio(), c.eagerPageSplit(), c.tdpLevels(),
                c.memslots(), c.vcpus(), c.preempt(), c.pml(), c.nxListPerMmu(), accessedBitVolatile, setsPfnDirtyOnZap,
                c.flushRemoteTlbsRange());
    }

    /** vCPU 1 read gfn 1 (a writable, clean SPTE); a zap writes it with `write` from its snapshot while vCPU 0 writes it. */
    private static Program zapRacingAWrite(VmConfig c, String write) {
        Consumer<PathBuilder> setup = s -> FaultPaths.guestAccess(s, c, 1, Access.READ, Expr.constant(0x1000));
        return program(c, setup, thread("zap", b -> {
            int old = b.local("old");
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(new Ops.Call(Primitives.get("kvm_tdp_mmu_read_spte"), new Expr[] {Expr.constant(1), Expr.constant(1)}, old));
            b.emit(new Ops.Call(Primitives.get(write),
                    new Expr[] {Expr.constant(1), Expr.constant(1), Expr.local(old), Expr.constant(0)}, -1));
            b.emit(call("flush_remote_tlbs"));
            b.emit(new Ops.Release(LockId.mmu_lock));
        }), vcpu(c, 0, Access.WRITE, 0x1000));
    }

    /**
     * A zap from the SPTE it read, a non-present 4K SPTE (so tdp_mmu_set_spte writes with
     * WRITE_ONCE), racing a write fault that installs the leaf with tdp_mmu_set_spte_atomic: under
     * the read lock the zap's plain write wipes the fault's leaf; under the write lock the fault
     * cannot run in between.
     */
    @Test
    void aPlainWriteUnderTheReadLockLosesTheLeafAFaultInstalledAtomically() {
        VmConfig c = vm(Mmu.TDP, false, 2, SMALL);
        Consumer<PathBuilder> setup = s -> FaultPaths.guestAccess(s, c, 1, Access.READ, Expr.constant(0x2000));
        for (Mode mode : Mode.values()) {
            Program p = program(c, setup, thread("zap", b -> {
                int old = b.local("old");
                b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
                b.emit(new Ops.Call(Primitives.get("kvm_tdp_mmu_read_spte"), new Expr[] {Expr.constant(1), Expr.constant(1)}, old));
                b.emit(new Ops.Call(Primitives.get("tdp_mmu_set_spte"),
                        new Expr[] {Expr.constant(1), Expr.constant(1), Expr.local(old), Expr.constant(0)}, -1));
                b.emit(call("flush_remote_tlbs"));
                b.emit(new Ops.Release(LockId.mmu_lock));
            }), vcpu(c, 0, Access.WRITE, 0x1000));
            if (mode == Mode.READ) assertThat(broken(p)).contains(Invariant.lost_spte_update, Invariant.lockdep);
            else assertThat(broken(p)).doesNotContain(Invariant.lost_spte_update, Invariant.lockdep);
        }
    }

    /**
     * An exec fault under NX links a table and tracks it after the link, while a read-lock
     * collapsible zap unlinks it in between: tracking it without the v6.2 re-check of
     * sp->nx_huge_page_disallowed accounts a page the zap already unlinked; the kernel's re-check
     * (kvm_tdp_mmu_map) does not.
     */
    @Test
    void trackingATableAZapUnlinkedAfterItsLinkAccountsItAfterTheZap() {
        VmConfig c = vm(Mmu.TDP, true, 1, HUGE);
        for (boolean recheck : new boolean[] {false, true}) {
            Program p = program(c, s -> { }, thread("zapper", b -> DirtyLogPaths.zapCollapsibleSptes(b, c, 0)),
                    ThreadProgram.of("vcpu 0", 0, path(b -> KernelPaths.guestAccess(b, c, 0, Access.EXEC,
                            Expr.constant(0x1000), false, (q, f) -> FaultPaths.kvmTdpMmuPageFault(q, c, f, recheck),
                            (q, f) -> FaultPaths.directPageFault(q, c, f), FaultPaths::fastPageFault,
                            (q, v, g) -> FaultPaths.vcpuEnterGuest(q, c, v, g)))));
            if (!recheck) assertThat(broken(p)).contains(Invariant.accounted_after_zap, Invariant.stats_consistent);
            else assertThat(broken(p)).doesNotContain(Invariant.accounted_after_zap, Invariant.stats_consistent);
        }
    }

    static Program setSpteUnder(Mode mode, boolean unlock) {
        VmConfig c = vm(Mmu.TDP, false, 1, SMALL);
        return program(c, s -> FaultPaths.guestAccess(s, c, 0, Access.WRITE, Expr.constant(0x1000)),
                thread("wrprot", b -> {
                    b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
                    b.emit(call("set_spte", 1, 1, 1, 0, 0));
                    b.emit(call("flush_remote_tlbs"));
                    if (unlock) b.emit(new Ops.Release(LockId.mmu_lock));
                }));
    }

    @Test
    void tdpMmuSetSpteAssertsTheWriteLock() {
        assertThat(broken(setSpteUnder(Mode.READ, true))).contains(Invariant.lockdep);
        assertThat(broken(setSpteUnder(Mode.WRITE, true))).isEmpty();
    }

    @Test
    void aPathThatReturnsHoldingMmuLockOrReleasesOneItDoesNotHoldIsUnbalanced() {
        assertThat(broken(setSpteUnder(Mode.WRITE, false))).containsExactly(Invariant.lock_balance);
        VmConfig c = vm(Mmu.TDP, false, 1, SMALL);
        Program extraUnlock = program(c, s -> {}, thread("t", b -> b.emit(new Ops.Release(LockId.slots_lock))));
        assertThat(broken(extraUnlock)).contains(Invariant.lock_balance);
    }

    /**
     * Shadow MMU: kvm_mmu_prepare_zap_page on the NX page, with or without kvm_mmu_commit_zap_page,
     * under kvm->srcu as NX recovery holds it (rmap_remove()'s memslot lookup needs it).
     */
    static Program prepareZap(boolean commit) {
        VmConfig c = vm(Mmu.SHADOW, true, 1, HUGE);
        return program(c, s -> FaultPaths.guestAccess(s, c, 0, Access.EXEC, Expr.constant(0x1000)),
                thread("zap", b -> {
                    b.emit(new Ops.Acquire(LockId.srcu, Mode.READ));
                    b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
                    b.emit(callOnFirstNxPage("prepare_zap"));
                    if (commit) b.emit(call("commit_zap"));
                    b.emit(new Ops.Release(LockId.mmu_lock));
                    b.emit(new Ops.Release(LockId.srcu));
                }),
                vcpu(c, 0, Access.EXEC, 0x2000));
    }

    @Test
    void aPreparedPageNeverCommittedLeaks() {
        assertThat(broken(prepareZap(false))).contains(Invariant.page_table_leak);
        assertThat(broken(prepareZap(true))).isEmpty();
    }

    /** A user collapse of the NX-split region into one 2M leaf, with the given exec bit (flush inside RCU). */
    static Program collapse(boolean nx, boolean exec) {
        VmConfig c = vm(Mmu.TDP, nx, 1, HUGE);
        return program(c, s -> FaultPaths.guestAccess(s, c, 0, Access.EXEC, Expr.constant(0x1000)),
                thread("collapse", b -> {
                    b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
                    b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
                    b.emit(call("set_spte", 1, 2, 1, 1, exec ? 1 : 0));
                    b.emit(call("flush_remote_tlbs"));
                    b.emit(new Ops.Release(LockId.rcu));
                    b.emit(new Ops.Release(LockId.mmu_lock));
                }),
                vcpu(c, 0, Access.EXEC, 0x3000));
    }

    @Test
    void anExecutableHugeSpteBreaksNxOnlyWithNxHugePagesOn() {
        assertThat(broken(collapse(true, true))).containsExactly(Invariant.nx_exec_huge);
        assertThat(broken(collapse(true, false))).isEmpty(); // 4K exec leaves exist throughout: only huge ones count
        assertThat(broken(collapse(false, true))).isEmpty();
        for (VmState s : SeedModelTest.reachable(new MmuSystem(collapse(false, true)))) {
            assertThat(Invariants.why(Invariant.nx_exec_huge, s)).as("nx_huge_pages off: nothing to say").isNull();
        }
        assertThat(SeedModelTest.reachable(new MmuSystem(collapse(true, true))))
                .anyMatch(s -> "SPTE L2[0] gfn 0x0 maps pfn 0x1000 as an executable huge page".equals(Invariants.why(Invariant.nx_exec_huge, s)));
    }

    // ---- structural checkers on hand-broken states: no expressible path breaks them ----

    /** After an exec fault under NX on a 2M-backed slot: root, L3, L2 tables and an NX-accounted L1 table. */
    static VmState splitState() {
        VmConfig c = vm(Mmu.TDP, true, 1, HUGE);
        VmState s = new MmuSystem(program(c, b -> {
            FaultPaths.guestAccess(b, c, 0, Access.READ, Expr.constant(0x1000));
            FaultPaths.guestAccess(b, c, 0, Access.EXEC, Expr.constant(0x1000));
        }, thread("idle", b -> b.emit(new Ops.Note("idle"))))).initial().copy();
        assertThat(s.stat(Stat.pages_4k)).isEqualTo(512);
        assertThat(s.stat(Stat.nx_lpage_splits)).isEqualTo(1);
        for (Invariant inv : Invariant.values()) assertThat(Invariants.violated(inv, s)).as("%s", inv).isFalse();
        return s;
    }

    /** The NX-split 4K table. */
    static ShadowPage l1(VmState s) {
        return s.sp(Walk.to(s, s.root, 1, 1).spId());
    }

    @Test
    void aHugeLeafBesideALiveChildTableIsHugeAndChild() {
        VmState s = splitState();
        ShadowPage l1 = l1(s);
        s.setSpte(l1.parent, l1.parentIndex, Spte.leaf(0x1000, true, false)); // the table stays LIVE
        assertThat(Invariants.violated(Invariant.huge_and_child, s)).isTrue();
        assertThat(Invariants.why(Invariant.huge_and_child, s))
                .isEqualTo(l1 + " is still live under SPTE L2[0] gfn 0x0, now a huge leaf");
        s.spForWrite(l1.id).status = ShadowPage.UNLINKED; // an unlinked table beside the leaf is fine
        assertThat(Invariants.violated(Invariant.huge_and_child, s)).isFalse();
    }

    /** Only live tables count: a zapped table waiting for its grace period maps nothing the invariant sees. */
    @Test
    void aFreedPageUnderAZappedTableIsNotFreedPageMapped() {
        VmState s = splitState();
        ShadowPage l1 = l1(s);
        s.freedPfns = new long[] {Spte.pfn(l1.spte(1))};
        assertThat(Invariants.why(Invariant.freed_page_mapped, s)).startsWith("SPTE L1[1] gfn 0x1 maps pfn 0x");
        s.setSpte(l1.parent, l1.parentIndex, 0);
        s.spForWrite(l1.id).status = ShadowPage.UNLINKED;
        s.rcuPending = new int[] {l1.id};
        assertThat(Invariants.why(Invariant.freed_page_mapped, s)).isNull();
        assertThat(Invariants.violated(Invariant.freed_page_mapped, s)).isFalse();
    }

    @Test
    void aTableWhoseParentSpteIsGoneIsNotHugeAndChildButLeaks() {
        VmState s = splitState();
        ShadowPage l1 = l1(s);
        s.setSpte(l1.parent, l1.parentIndex, 0);
        assertThat(Invariants.violated(Invariant.huge_and_child, s)).isFalse();
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isTrue();
        assertThat(Invariants.why(Invariant.page_table_leak, s)).isEqualTo(l1 + " is live but no root or walker reaches it");
    }

    @Test
    void eachPageCounterAndTheNxCounterAreCheckedAgainstTheTables() {
        for (Stat stat : List.of(Stat.pages_4k, Stat.pages_2m, Stat.pages_1g, Stat.nx_lpage_splits)) {
            for (int delta : new int[] {1, -1}) {
                VmState s = splitState();
                s.addStat(stat, delta);
                assertThat(Invariants.violated(Invariant.stats_consistent, s)).as("%s %+d", stat, delta).isTrue();
                assertThat(Invariants.why(Invariant.stats_consistent, s)).startsWith("stat." + stat + " is " + s.stat(stat) + " but ");
            }
        }
        VmState s = splitState();
        s.addStat(Stat.remote_tlb_flush, 5); // not a page counter
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
    }

    /**
     * Partial-order reduction and step merging let a step that writes a counter an invariant does not
     * declare go unseen: each counter whose change flips a verdict must be in the invariant's reads,
     * and (so that a flush still commutes with it) a counter that flips none is not.
     */
    @Test
    void anInvariantDeclaresExactlyTheCountersItsVerdictDependsOn() {
        for (Invariant inv : Invariant.values()) {
            long reads = Invariants.reads(inv).reads();
            for (Stat stat : Stat.values()) {
                VmState s = splitState();
                s.addStat(stat, 1);
                boolean depends = Invariants.violated(inv, s);
                assertThat((reads & Resource.of(stat).bit()) != 0).as("%s reads %s", inv, stat).isEqualTo(depends);
            }
        }
    }

    @Test
    void statsCountLeavesOfLiveTablesAtTheirLevel() {
        VmState s = splitState();
        ShadowPage l1 = l1(s);
        // The 2M region as one huge leaf instead of 512 4K leaves, counters moved by hand.
        s.setSpte(l1.parent, l1.parentIndex, Spte.leaf(0x1000, true, false));
        s.addStat(Stat.pages_4k, -512);
        s.addStat(Stat.pages_2m, 1);
        s.spForWrite(l1.id).status = ShadowPage.UNLINKED; // its 512 leaves no longer count
        s.lpageDisallowed = new int[0];                    // nor does it as an NX-split page
        s.addStat(Stat.nx_lpage_splits, -1);
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
        s.spForWrite(l1.id).status = ShadowPage.LIVE;
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isTrue();
    }

    @Test
    void anNxListedPageNoLongerInTheTablesIsInconsistent() {
        VmState s = splitState();
        ShadowPage l1 = l1(s);
        assertThat(s.lpageDisallowed).containsExactly(l1.id);
        // Unlinked but left on the list, as a fault that tracked a table a zap had unlinked.
        s.setSpte(l1.parent, l1.parentIndex, 0);
        s.addStat(Stat.pages_4k, -512);
        s.spForWrite(l1.id).status = ShadowPage.UNLINKED;
        assertThat(s.stat(Stat.nx_lpage_splits)).as("the list and the counter agree").isEqualTo(1);
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isTrue();
        assertThat(Invariants.why(Invariant.stats_consistent, s))
                .isEqualTo(l1 + " is on possible_nx_huge_pages but no longer a live table");
        s.lpageDisallowed = new int[0];
        s.addStat(Stat.nx_lpage_splits, -1);
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
    }

    /** A read fault on a 1G-backed slot: one 1G leaf in the root's child table (level 3). */
    static VmState gigabyteLeafState() {
        Memslot gig = new Memslot(0, 0, 1L << 18, Level.PG_LEVEL_1G, false, false);
        VmConfig c = vm(Mmu.TDP, false, 1, gig);
        VmState s = new MmuSystem(program(c, b -> FaultPaths.guestAccess(b, c, 0, Access.READ, Expr.constant(0x1000)),
                thread("idle", b -> b.emit(new Ops.Note("idle"))))).initial().copy();
        assertThat(s.stat(Stat.pages_1g)).isEqualTo(1);
        return s;
    }

    @Test
    void aGigabyteLeafCountsAsPages1g() {
        VmState s = gigabyteLeafState();
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
        s.addStat(Stat.pages_1g, -1);
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isTrue();
    }

    @Test
    void aHugeLeafInTheRootBesideItsLiveChildIsHugeAndChild() {
        VmState s = gigabyteLeafState();
        Walk l3 = Walk.to(s, s.root, 0, 3);
        ShadowPage table = s.sp(l3.spId());
        assertThat(table.parent).isEqualTo(s.root);
        s.setSpte(table.parent, table.parentIndex, Spte.leaf(0x1000, true, false));
        assertThat(Invariants.violated(Invariant.huge_and_child, s)).isTrue();
    }

    @Test
    void anNxListEntryWithoutItsCounterIsInconsistent() {
        VmState s = splitState();
        s.lpageDisallowed = new int[0];
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isTrue();
    }

    @Test
    void anUnlinkedTableIsALeakUnlessRcuOrAnInvalidListWillFreeIt() {
        VmState s = splitState();
        ShadowPage l1 = l1(s);
        s.setSpte(l1.parent, l1.parentIndex, 0);
        s.spForWrite(l1.id).status = ShadowPage.UNLINKED;
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).as("unlinked, queued nowhere").isTrue();
        assertThat(Invariants.why(Invariant.page_table_leak, s))
                .isEqualTo(l1 + " is unlinked but queued on neither call_rcu nor an invalid_list");
        VmState rcu = s.copy();
        rcu.rcuPending = new int[] {l1.id};
        assertThat(Invariants.violated(Invariant.page_table_leak, rcu)).as("waiting for call_rcu").isFalse();
        VmState listed = s.copy();
        listed.threads[0].invalidList = new int[] {l1.id};
        assertThat(Invariants.violated(Invariant.page_table_leak, listed)).as("on an invalid_list").isFalse();
    }

    @Test
    void tablesUnderAnInvalidatedRootAreNotLeaked() {
        VmState s = splitState();
        int old = s.root;
        s.root = s.allocSp(4, 0, true).id; // kvm_mmu_zap_all_fast: a new root, the old one obsolete
        s.spForWrite(old).rootCount = 0; // and no walker or vCPU holds it any more
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).as("old root not tracked").isTrue();
        s.invalidRoots = new int[] {old};
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isFalse();
    }

    @Test
    void tablesUnderTheNestedRootAreReachable() {
        VmState s = splitState();
        s.nestedRoot = s.root;
        s.spForWrite(s.nestedRoot).rootCount = 0; // reachable as the nested root, not as a held root
        s.root = s.allocSp(4, 0, true).id;
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isFalse();
    }

    @Test
    void aRootAWalkerStillHoldsIsNoLeakUntilItsLastReference() {
        VmState s = splitState();
        int old = s.root;
        s.root = s.allocSp(4, 0, true).id;
        s.spForWrite(old).rootCount = 1; // for_each_tdp_mmu_root_yield_safe() holds it (kvm_tdp_mmu_get_root)
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isFalse();
        s.spForWrite(old).rootCount = 0;
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isTrue();
        s.spForWrite(old).rootCount = 1;
        s.spForWrite(old).status = ShadowPage.UNLINKED; // put on its way out, but queued nowhere
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isTrue();
    }

    @Test
    void aZappedLegacyRootAVcpuStillHoldsIsNoLeakUntilItsLastPut() {
        VmState s = splitState();
        int old = s.allocSp(4, 0, false).id;
        ShadowPage p = s.spForWrite(old);
        p.invalid = true;
        p.status = ShadowPage.UNLINKED; // kvm_zap_obsolete_pages() prepared it, root_count 1: kept off invalid_list
        p.rootCount = 1;
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isFalse();
        p.rootCount = 0; // the last mmu_free_root_page() must queue it
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isTrue();
    }

    /** A thread that takes a reference on the root (kvm_tdp_mmu_get_root), and puts it if asked. */
    static ThreadProgram getRoot(boolean put) {
        return thread("walk", b -> {
            b.emit(call("kvm_tdp_mmu_get_root", 0));
            if (put) b.emit(call("kvm_tdp_mmu_put_root", 0));
        });
    }

    @Test
    void aRootReferenceTakenAndNeverPutLeaksOnceEveryThreadHasEnded() {
        VmConfig c = vm(Mmu.TDP, false, 1, SMALL);
        assertThat(broken(program(c, b -> {}, getRoot(false)))).containsExactly(Invariant.page_table_leak);
        assertThat(broken(program(c, b -> {}, getRoot(true)))).isEmpty();
        // The last thread to end checks, whichever it is.
        assertThat(broken(program(c, b -> {}, getRoot(false), thread("idle", b -> b.emit(new Ops.Note("idle"))))))
                .containsExactly(Invariant.page_table_leak);
        // One thread takes the reference another puts: whichever ends first leaves the count off
        // by one; only the state after the last thread is checked. (A put before the get is a put
        // too many, below the holders' two: freed_root_in_use, but no leak.)
        assertThat(broken(program(c, b -> {}, thread("get", b -> b.emit(call("kvm_tdp_mmu_get_root", 0))),
                thread("put", b -> b.emit(call("kvm_tdp_mmu_put_root", 0)))))).containsExactly(Invariant.freed_root_in_use);
    }

    @Test
    void aTdpRootsReferencesAreItsVcpusTheTdpMmusOrTheScheduledZaps() {
        VmState s = splitState(); // one vCPU: the root's count is 2, vCPU 0's and the TDP MMU's
        int root = s.root;
        String sp = s.sp(root).toString();
        assertThat(Invariants.leakedRootReference(s)).isNull();
        s.spForWrite(root).rootCount = 3; // a walk's kvm_tdp_mmu_get_root() never put
        assertThat(Invariants.leakedRootReference(s)).isEqualTo(sp + " has tdp_mmu_root_count 3, held by vCPU 0, the TDP MMU:"
                + " 1 reference is never put, the root never freed (kvm_mmu_uninit_tdp_mmu(): WARN_ON(!list_empty(&kvm->arch.tdp_mmu_roots)))");
        ShadowPage p = s.spForWrite(root);
        p.rootCount = 2;
        p.invalid = true; // kvm_tdp_mmu_invalidate_roots(): the TDP MMU's reference goes to the zap
        s.root = -1;
        s.invalidRoots = new int[] {root};
        assertThat(Invariants.leakedRootReference(s)).isNull();
        s.invalidRoots = new int[0]; // the zap took it, and did not put it
        assertThat(Invariants.leakedRootReference(s)).startsWith(sp + " (invalid) has tdp_mmu_root_count 2, held by vCPU 0: 1 reference is");
        s.vcpuRoots[0] = -1; // vCPU 0's mmu_free_root_page(), with no put either
        assertThat(Invariants.leakedRootReference(s)).startsWith(sp + " (invalid) has tdp_mmu_root_count 2, held by none: 2 references are");
        p.rootCount = 0;
        assertThat(Invariants.leakedRootReference(s)).isNull();
        p.rootCount = 1;
        p.invalid = false; // a valid root off the list is no TDP MMU root: nothing holds it
        TdpMmuRoots.remove(s, root);
        assertThat(Invariants.leakedRootReference(s)).startsWith(sp + " has tdp_mmu_root_count 1, held by none");
    }

    @Test
    void aLegacyRootsReferencesAreItsVcpusOnly() {
        VmState s = splitState();
        int table = l1(s).id;
        ShadowPage p = s.allocSp(4, 0, false); // the L2 guest's root (guest_mmu), no TDP MMU reference
        s.freeSp(table); // a freed table before the root in id order is skipped
        p.rootCount = 1;
        String sp = p.toString();
        assertThat(Invariants.leakedRootReference(s)).startsWith(sp + " has root_count 1, held by none: 1 reference is never put,"
                + " the root never freed (kvm_mmu_prepare_zap_page() keeps it off invalid_list)");
        s.vcpuNestedRoots[0] = p.id;
        assertThat(Invariants.leakedRootReference(s)).isNull();
        p.invalid = true;
        s.invalidRoots = new int[] {p.id}; // obsolete, waiting for kvm_zap_obsolete_pages(): no reference of its own
        p.rootCount = 2;
        assertThat(Invariants.leakedRootReference(s)).startsWith(sp + " (invalid) has root_count 2, held by vCPU 0 (guest_mmu): 1 reference");
    }

    /** A thread of vCPU `vcpu` (a path of its own) running body under mmu_lock in `mode`. */
    static ThreadProgram onVcpu(int vcpu, Mode mode, Consumer<PathBuilder> body) {
        return ThreadProgram.of("vcpu " + vcpu, vcpu, path(b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, mode));
            body.accept(b);
            b.emit(new Ops.Release(LockId.mmu_lock));
        }));
    }

    /**
     * A vCPU's own put too many: a patch that calls kvm_tdp_mmu_put_root() on its root before
     * mmu_free_root_page() puts it again. Nobody touches the root afterwards, so the last put no
     * longer finds a vCPU on it; the count went below its holders (vCPU 0's, the TDP MMU's) at the
     * first put, and the second frees a valid root the TDP MMU still holds.
     */
    @Test
    void aVcpusOwnPutTooManyIsFreedRootInUseThoughNobodyTouchesTheRootAgain() {
        VmConfig c = vm(Mmu.TDP, false, 1, SMALL);
        Consumer<PathBuilder> free = b -> b.emit(FaultPaths.vcpuCall("mmu_free_root_page", 0, -1));
        assertThat(broken(program(c, b -> {}, onVcpu(0, Mode.READ, free)))).as("the kernel's put: vCPU 0's own").isEmpty();
        assertThat(broken(program(c, b -> {}, onVcpu(0, Mode.READ, b -> {
            b.emit(call("kvm_tdp_mmu_put_root", 0));
            free.accept(b);
        })))).containsExactly(Invariant.freed_root_in_use);
        // v5.10's kvm_mmu_put_root(), which never frees: the count is below its holders all the same.
        assertThat(broken(program(c, b -> {}, onVcpu(0, Mode.WRITE, b -> b.emit(call("kvm_mmu_put_root", 0))))))
                .containsExactly(Invariant.freed_root_in_use);
        // A legacy root (mmu shadow): root_count counts the vCPUs only.
        VmConfig shadow = vm(Mmu.SHADOW, false, 1, SMALL);
        assertThat(broken(program(shadow, b -> {}, onVcpu(0, Mode.WRITE, free)))).isEmpty();
        assertThat(broken(program(shadow, b -> {}, onVcpu(0, Mode.WRITE, b -> {
            b.emit(call("kvm_mmu_put_root", 0));
            free.accept(b);
        })))).containsExactly(Invariant.freed_root_in_use);
    }

    /**
     * for_each_valid_tdp_mmu_root_yield_safe() whose body puts the root: the iterator puts the
     * reference it took as well, and the root keeps one less than its holders.
     */
    static ThreadProgram yieldSafeLoop(boolean bodyPuts) {
        return thread("walk", b -> {
            int root = b.local("root");
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
            b.emit(new Ops.Assign(root, Expr.constant(-1), "root = NULL"));
            int next = b.placeholder();
            if (bodyPuts) b.emit(new Ops.Call(Primitives.get("kvm_tdp_mmu_put_root"), new Expr[] {Expr.local(root)}, -1));
            b.emit(new Ops.Jump(next));
            b.patch(next, new FastZap.NextRoot(root, b.here(), true, true));
            b.emit(new Ops.Release(LockId.mmu_lock));
        });
    }

    @Test
    void aYieldSafeLoopWhoseBodyPutsItsRootPutsOneTooMany() {
        VmConfig c = vm(Mmu.TDP, false, 1, SMALL);
        assertThat(broken(program(c, b -> {}, yieldSafeLoop(false)))).isEmpty();
        assertThat(broken(program(c, b -> {}, yieldSafeLoop(true)))).containsExactly(Invariant.freed_root_in_use);
        // Against a vCPU that re-enters the guest: it ends on the root either way.
        assertThat(broken(program(c, b -> {}, yieldSafeLoop(false), vcpu(c, 0, Access.READ, 0x1000)))).isEmpty();
    }

    @Test
    void aRootsCountBelowItsHoldersIsAPutTooMany() {
        VmState s = splitState(); // one vCPU: the root's count is 2, vCPU 0's and the TDP MMU's
        int root = s.root;
        String sp = s.sp(root).toString();
        assertThat(Invariants.rootPutTooMany(s, root)).isNull();
        s.spForWrite(root).rootCount = 3; // a walk's: more is no put too many
        assertThat(Invariants.rootPutTooMany(s, root)).isNull();
        s.spForWrite(root).rootCount = 1;
        assertThat(Invariants.rootPutTooMany(s, root)).isEqualTo(sp + " has tdp_mmu_root_count 1, held by vCPU 0, the TDP MMU:"
                + " one of them frees the root (call_rcu) while another still holds it, whose put then underflows"
                + " (refcount_t: underflow, use-after-free)");
        s.spForWrite(root).rootCount = 0;
        assertThat(Invariants.rootPutTooMany(s, root)).endsWith("tdp_mmu_root_count 0, held by vCPU 0, the TDP MMU: the root is"
                + " freed (call_rcu) while they still hold it, whose put then underflows (refcount_t: underflow, use-after-free)"
                + " (KVM_BUG_ON: the root is valid)");
        ShadowPage p = s.spForWrite(root);
        p.invalid = true; // invalidated: the zap holds the TDP MMU's reference while it is scheduled
        s.root = -1;
        s.invalidRoots = new int[] {root};
        assertThat(Invariants.rootPutTooMany(s, root)).isEqualTo(sp + " (invalid) has tdp_mmu_root_count 0, held by vCPU 0, the"
                + " scheduled zap: the root is freed (call_rcu) while they still hold it, whose put then underflows"
                + " (refcount_t: underflow, use-after-free)");
        p.rootCount = 2;
        assertThat(Invariants.rootPutTooMany(s, root)).isNull();
        s.invalidRoots = new int[0]; // the zap took it: vCPU 0 alone
        p.rootCount = 1;
        assertThat(Invariants.rootPutTooMany(s, root)).isNull();
        s.vcpuRoots[0] = -1;
        p.rootCount = 0;
        assertThat(Invariants.rootPutTooMany(s, root)).as("the last put, nobody holds it").isNull();
        p.rootCount = -1;
        assertThat(Invariants.rootPutTooMany(s, root)).isEqualTo(sp + " (invalid) has tdp_mmu_root_count -1, held by none: a put below zero");
        ShadowPage l2 = s.allocSp(4, 0, false); // a legacy root (guest_mmu's): its vCPUs only
        s.vcpuNestedRoots[0] = l2.id;
        assertThat(Invariants.rootPutTooMany(s, l2.id)).isEqualTo(l2 + " has root_count 0, held by vCPU 0 (guest_mmu): the zapped"
                + " root is freed at root_count 0 (kvm_mmu_prepare_zap_page() queues it on invalid_list) while they still hold it");
        l2.rootCount = 1;
        assertThat(Invariants.rootPutTooMany(s, l2.id)).isNull();
        s.vcpuRoots[0] = l2.id; // (a state no path makes: two holders)
        assertThat(Invariants.rootPutTooMany(s, l2.id)).endsWith("held by vCPU 0, vCPU 0 (guest_mmu): the zapped root is freed at"
                + " root_count 0 (kvm_mmu_prepare_zap_page() queues it on invalid_list) while one of them still holds it");
    }

    /** An op of one idle thread on a one-vCPU TDP VM's initial state (its root loaded), tracing into trace. */
    private static Exec idleTdpVcpu(StringBuilder trace) {
        MmuSystem m = new MmuSystem(program(vm(Mmu.TDP, false, 1, SMALL), b -> {}, thread("t", b -> b.emit(new Ops.Note("idle")))));
        return new Exec(m.program(), m.initial().copy(), 0, trace);
    }

    /**
     * kvm_tdp_mmu_put_root() of a count already 0 (the root waits for call_rcu): refcount_t
     * saturates and WARNs; nothing is freed twice. Of a root already freed: the same WARN.
     */
    @Test
    void aPutOfARootWhoseCountIsZeroFreesNothingMore() {
        StringBuilder trace = new StringBuilder();
        Exec e = idleTdpVcpu(trace);
        VmState s = e.s;
        int root = s.root;
        ShadowPage p = s.spForWrite(root);
        p.invalid = true;
        s.vcpuRoots[0] = -1;
        p.rootCount = 1;
        TdpMmu.putRoot(e, root);
        assertThat(s.rcuPending).containsExactly(root);
        assertThat(s.violations).as("the last put, nobody holds it").isZero();
        TdpMmu.putRoot(e, root);
        assertThat(s.sp(root).rootCount).isZero();
        assertThat(s.rcuPending).as("call_rcu() once").containsExactly(root);
        assertThat(Invariant.freed_root_in_use.violatedIn(s)).isTrue();
        assertThat(trace.toString()).endsWith("!! freed_root_in_use: kvm_tdp_mmu_put_root(" + p + "): tdp_mmu_root_count is already 0,"
                + " the root freed by the put that took it there (refcount_t: underflow, use-after-free)");
        s.freeSp(root);
        s.violations = 0;
        TdpMmu.putRoot(e, root);
        assertThat(trace.toString()).endsWith("!! freed_root_in_use: kvm_tdp_mmu_put_root(sp" + root + "): the root was freed"
                + " (refcount_t: underflow, use-after-free)");
    }

    /** v5.10's kvm_mmu_put_root(): whether the put was the last, and a put too many below the root's holders. */
    @Test
    void v510sPutSaysWhetherItWasTheLastAndChecksTheHolders() {
        StringBuilder trace = new StringBuilder();
        Exec e = idleTdpVcpu(trace);
        int root = e.s.root;
        e.s.spForWrite(root).rootCount = 3; // a walk's kvm_mmu_get_root()
        assertThat(TdpMmu.putRootV510(e, root)).isFalse();
        assertThat(e.s.violations).isZero();
        e.s.vcpuRoots[0] = -1;
        e.s.spForWrite(root).invalid = true; // nothing holds it now
        assertThat(TdpMmu.putRootV510(e, root)).isFalse();
        assertThat(TdpMmu.putRootV510(e, root)).as("the last: v5.10 does not free it").isTrue();
        assertThat(e.s.sp(root).status).isEqualTo(ShadowPage.LIVE);
        assertThat(e.s.violations).isZero();
        assertThat(TdpMmu.putRootV510(e, root)).isFalse();
        assertThat(trace.toString()).endsWith("!! freed_root_in_use: kvm_mmu_put_root(): a put too many: " + e.s.sp(root)
                + " (invalid) has tdp_mmu_root_count -1, held by none: a put below zero");
    }

    @Test
    void aRecordedEventIsViolatedWhateverTheTables() {
        for (Invariant inv : Invariant.values()) {
            VmState s = splitState();
            s.violate(inv.ordinal());
            assertThat(Invariants.violated(inv, s)).as("%s", inv).isTrue();
        }
    }
}
