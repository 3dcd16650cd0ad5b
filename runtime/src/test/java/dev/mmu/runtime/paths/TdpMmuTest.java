package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.InvariantsTest.call;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The TDP MMU's SPTE bookkeeping as the primitives a path calls reach it (tdp_mmu_set_spte,
 * tdp_mmu_split_huge_page, kvm_tdp_mmu_zap_sp) and as the fault path's map step uses it: the
 * resulting tables, page stats, teardown of removed tables and flushes.
 */
class TdpMmuTest {
    static final long SZ_2M = 0x200000L;
    static final Memslot HUGE_4M = new Memslot(0, 0, 1024, Level.PG_LEVEL_2M, false, false);
    static final Memslot GIGA = new Memslot(0, 0, 512 * 512, Level.PG_LEVEL_1G, false, false);

    static void read(PathBuilder b, VmConfig c, int vcpu, long gpa) {
        FaultPaths.guestAccess(b, c, vcpu, Access.READ, Expr.constant(gpa));
    }

    /** Under mmu_lock for write: `body`, then (as the kernel's callers do) a flush before the unlock. */
    static Consumer<PathBuilder> locked(Consumer<PathBuilder> body) {
        return b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            body.accept(b);
            b.emit(call("flush_remote_tlbs"));
            b.emit(new Ops.Release(LockId.mmu_lock));
        };
    }

    static boolean consistent(VmState s) {
        return !Invariants.violated(Invariant.stats_consistent, s) && !Invariants.violated(Invariant.huge_and_child, s)
                && !Invariants.violated(Invariant.page_table_leak, s);
    }

    @Test
    void splitHugeReplacesA2mLeafBy512SmallLeavesOfTheSamePages() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, true, 1, HUGE_4M);
        int[] r = new int[3];
        Run run = Run.of(c, s -> read(s, c, 0, 0x0), locked(b -> {
            r[0] = b.local("split");
            r[1] = b.local("again");
            r[2] = b.local("unmapped");
            b.emit(new Ops.Call(Primitives.get("split_huge"), new Expr[] {Expr.constant(5)}, r[0]));
            b.emit(new Ops.Call(Primitives.get("split_huge"), new Expr[] {Expr.constant(5)}, r[1]));
            b.emit(new Ops.Call(Primitives.get("split_huge"), new Expr[] {Expr.constant(700)}, r[2]));
        }));
        assertThat(run.local(r[0])).isEqualTo(1);
        assertThat(run.local(r[1])).as("already 4K").isZero();
        assertThat(run.local(r[2])).as("nothing mapped").isZero();
        long base = run.spte(0x0, "pfn");
        assertThat(base).isNotZero();
        assertThat(run.spte(0x5000, "level")).isEqualTo(1);
        assertThat(run.spte(0x5000, "pfn")).isEqualTo(base + 5);
        assertThat(run.spte(0x1ff000, "pfn")).isEqualTo(base + 0x1ff);
        assertThat(run.spte(0x1ff000, "writable")).isEqualTo(1);
        assertThat(run.spte(0x1ff000, "exec")).as("4K leaves get exec back under NX").isEqualTo(1);
        assertThat(run.s.stat(Stat.pages_2m)).isZero();
        assertThat(run.s.stat(Stat.pages_4k)).isEqualTo(512);
        assertThat(run.trace()).contains("tdp_mmu_split_huge_page: 2M -> 512 x 4K in");
        assertThat(consistent(run.s)).isTrue();
    }

    /** make_small_spte(): child_spte = huge_spte, A/D included; the children were built accessed and clean (trial9). */
    @Test
    void aSplitKeepsTheHugeLeafsAccessedAndDirtyBits() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, true, 1, HUGE_4M);
        Run run = Run.of(c, s -> {
            read(s, c, 0, 0x0);                                                    // 2M leaf: A set, D clear
            FaultPaths.guestAccess(s, c, 0, Access.WRITE, Expr.constant(SZ_2M));  // 2M leaf: A and D set
        }, locked(b -> {
            b.emit(call("kvm_tdp_mmu_age_gfn_range", 0x0, 0x1000));               // the first one's A cleared
            b.emit(call("split_huge", 5));
            b.emit(call("split_huge", 0x205));
        }));
        assertThat(run.spte(0x5000, "level")).isEqualTo(1);
        assertThat(run.spte(0x5000, "accessed")).as("an old huge leaf's children are old").isZero();
        assertThat(run.spte(0x5000, "dirty")).isZero();
        assertThat(run.spte(SZ_2M + 0x5000, "level")).isEqualTo(1);
        assertThat(run.spte(SZ_2M + 0x5000, "accessed")).isEqualTo(1);
        assertThat(run.spte(SZ_2M + 0x5000, "dirty")).as("a dirty huge leaf's children are dirty").isEqualTo(1);
        assertThat(run.spte(SZ_2M + 0x5000, "writable")).isEqualTo(1);
    }

    @Test
    void splittingA1gLeafUnderNxKeeps2mLeavesNonExecutable() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, true, 1, GIGA);
        Run run = Run.of(c, s -> read(s, c, 0, 0x0), locked(b -> b.emit(call("split_huge", 0))));
        long base = run.spte(0x0, "pfn");
        assertThat(run.spte(3 * SZ_2M, "level")).isEqualTo(2);
        assertThat(run.spte(3 * SZ_2M + 0x4000, "pfn")).isEqualTo(base + 3 * 512 + 4);
        assertThat(run.spte(3 * SZ_2M, "exec")).isZero();
        assertThat(run.s.stat(Stat.pages_1g)).isZero();
        assertThat(run.s.stat(Stat.pages_2m)).isEqualTo(512);
        assertThat(run.trace()).contains("tdp_mmu_split_huge_page: 1G -> 512 x 2M in");
        assertThat(consistent(run.s)).isTrue();
    }

    @Test
    void withoutNxASplitKeepsTheHugeLeafsExecBit() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 1, GIGA);
        Run run = Run.of(c, s -> read(s, c, 0, 0x0), locked(b -> b.emit(call("split_huge", 0))));
        assertThat(run.spte(SZ_2M, "exec")).isEqualTo(1);
        assertThat(run.spte(SZ_2M, "level")).isEqualTo(2);
    }

    @Test
    void splitLeavesOfAReadOnlyHugePageAreNotMmuWritable() {
        for (boolean readonly : new boolean[] {true, false}) {
            VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 1, new Memslot(0, 0, 512, Level.PG_LEVEL_2M, false, readonly));
            Run run = Run.of(c, s -> read(s, c, 0, 0x0), locked(b -> b.emit(call("split_huge", 0))));
            long leaf = Walk.of(run.s, 7).spte();
            assertThat(Walk.of(run.s, 7).level()).isEqualTo(1);
            assertThat(Spte.writable(leaf)).as("readonly %s", readonly).isEqualTo(!readonly);
            assertThat((leaf & Spte.MMU_WRITABLE) != 0).as("readonly %s", readonly).isEqualTo(!readonly);
        }
    }

    @Test
    void setSpteMapsTheHostPageOfTheGfnAtTheGivenLevel() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 1, HUGE_4M);
        Run run = Run.of(c, s -> read(s, c, 0, SZ_2M), locked(b -> {
            b.emit(call("set_spte", 512 + 5, 2, 1, 0, 1));
            b.emit(call("set_spte", 512 + 5, 1, 1, 1, 1));
        }));
        long base = run.s.hostPfn(1);
        assertThat(run.spte(SZ_2M + 0x7000, "pfn")).isEqualTo(base + 7);
        assertThat(run.spte(SZ_2M, "writable")).isZero();
        assertThat(run.spte(SZ_2M, "exec")).isEqualTo(1);
        assertThat(run.trace()).contains("SPTE L2[1] gfn 0x200 2M pfn 0x" + Long.toHexString(base) + " rwx -> 2M pfn");
        assertThat(run.trace()).as("no 4K table under a 2M leaf").contains("set_spte: no table at L1 for gfn 0x205");
    }

    @Test
    void aHugeLeafSetOverATableTearsTheTableDown() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL);
        Run run = Run.of(c, s -> {
            read(s, c, 0, 0x1000);
            read(s, c, 0, 0x2000);
        }, locked(b -> b.emit(call("set_spte", 0, 2, 1, 1, 0))));
        assertThat(run.s.stat(Stat.pages_4k)).isZero();
        assertThat(run.s.stat(Stat.pages_2m)).isEqualTo(1);
        assertThat(run.spte(0x2000, "level")).isEqualTo(2);
        assertThat(run.trace()).contains("handle_removed_pt(").contains("RCU grace period: tdp_mmu_free_sp_rcu_callback frees");
        assertThat(consistent(run.s)).isTrue();
    }

    @Test
    void zapSpClearsTheOneSpteThatPointsAtALiveChildTable() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL);
        Expr l3 = Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> Walk.to(s, s.root, 0, 3).spId());
        int[] r = new int[4];
        Run run = Run.of(c, s -> read(s, c, 0, 0x1000), locked(b -> {
            r[3] = b.local("l3");
            b.emit(new Ops.Assign(r[3], l3, "l3"));
            for (int i = 0; i < 3; i++) r[i] = b.local("r" + i);
            b.emit(new Ops.Call(Primitives.get("tdp_zap_sp"), new Expr[] {Expr.constant(0)}, r[0]));
            b.emit(new Ops.Call(Primitives.get("tdp_zap_sp"), new Expr[] {Expr.local(r[3])}, r[1]));
            b.emit(new Ops.Call(Primitives.get("tdp_zap_sp"), new Expr[] {Expr.local(r[3])}, r[2]));
        }));
        assertThat(run.local(r[0])).as("the root has no parent SPTE").isZero();
        assertThat(run.local(r[1])).as("a flush is needed").isEqualTo(1);
        assertThat(run.local(r[2])).as("already unlinked, not yet freed (mmu_lock blocks the grace period)").isZero();
        assertThat(run.spte(0x1000, "present")).isZero();
        assertThat(run.s.stat(Stat.pages_4k)).isZero();
        assertThat(run.s.sp((int) run.local(r[3]))).as("freed after the unlock").isNull();
        assertThat(consistent(run.s)).isTrue();
    }

    @Test
    void aFaultThatReplacesATableByAHugeLeafFlushesTheOldSmallTranslations() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 2, HUGE_4M);
        Program p = InvariantsTest.program(c, s -> {
            read(s, c, 0, 0x0);
            locked(b -> {
                b.emit(call("split_huge", 0));
                b.emit(call("set_spte", 1, 1, 0, 0, 0));
            }).accept(s);
            read(s, c, 1, 0x2000);
        }, InvariantsTest.vcpu(c, 0, Access.READ, 0x1000));
        VmState before = new MmuSystem(p).initial();
        assertThat(Tlbs.lookup(before, 1, 2).level()).isEqualTo(1);
        int table = Walk.of(before, 2).spId();
        long flushes = before.stat(Stat.remote_tlb_flush);
        Run run = new Run(p);
        assertThat(run.spte(0x1000, "level")).isEqualTo(2);
        assertThat(run.trace()).as("the map installed its leaf at once").doesNotContain("RET_PF_RETRY");
        assertThat(Tlbs.lookup(run.s, 1, 2)).as("vCPU 1's 4K translation was flushed").isNull();
        assertThat(run.s.stat(Stat.remote_tlb_flush)).isEqualTo(flushes + 1);
        assertThat(run.s.sp(table)).isNull();
        assertThat(consistent(run.s)).isTrue();
    }

    @Test
    void aLegacyTableRemovedBySetSpteWaitsOnTheInvalidListForItsCommit() {
        VmConfig c = InvariantsTest.vm(Mmu.SHADOW, false, 1, InvariantsTest.SMALL);
        Program p = InvariantsTest.program(c, s -> read(s, c, 0, 0x1000), InvariantsTest.thread("zap", b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(call("set_spte", 0, 2, 0, 0, 0));
            b.emit(new Ops.Release(LockId.mmu_lock));
        }));
        VmState setup = new MmuSystem(p).initial();
        int table = Walk.of(setup, 1).spId();
        Run run = new Run(p);
        ShadowPage sp = run.s.sp(table);
        assertThat(sp).as("a legacy page is freed only by kvm_mmu_commit_zap_page").isNotNull();
        assertThat(sp.invalid).isTrue();
        assertThat(Queries.invalidListLen(run.s, 0)).isEqualTo(1);
        assertThat(run.trace()).contains("unlinked: invalid_list=1");
        assertThat(run.violated(Invariant.page_table_leak)).as("the thread ended without the commit").isTrue();
    }
}
