package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import org.junit.jupiter.api.Test;

/** What a scenario's expressions read: spte(gpa).field, tlb(vcpu, gpa), sp.field, invalid_list.len. */
class QueriesTest {
    static final long SZ_2M = 0x200000L;
    /** nx_huge_pages on; 4M of 2M pages at gpa 0, 2M of read-only 4K pages at gpa 4M. */
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, true, 2,
            new Memslot(0, 0, 1024, Level.PG_LEVEL_2M, false, false),
            new Memslot(1, 1024, 512, Level.PG_LEVEL_4K, false, true));

    static VmState mapped() {
        return Run.of(VM, b -> {
            FaultPaths.guestAccess(b, VM, 0, Access.EXEC, Expr.constant(0x1000));
            FaultPaths.guestAccess(b, VM, 1, Access.READ, Expr.constant(SZ_2M + 0x5000));
            FaultPaths.guestAccess(b, VM, 1, Access.READ, Expr.constant(2 * SZ_2M + 0x3000));
        }).s;
    }

    @Test
    void spteFieldsDescribeTheLeafAHardwareWalkReaches() {
        VmState s = mapped();
        long nxBase = Queries.spte(s, 0x0, "pfn");
        // exec under nx_huge_pages: a 4K executable, writable leaf in a split 2M page
        assertThat(Queries.spte(s, 0x1000, "present")).isEqualTo(1);
        assertThat(Queries.spte(s, 0x1000, "level")).isEqualTo(1);
        assertThat(Queries.spte(s, 0x1000, "writable")).isEqualTo(1);
        assertThat(Queries.spte(s, 0x1000, "exec")).isEqualTo(1);
        assertThat(Queries.spte(s, 0x0, "present")).as("the fault mapped only 4K").isZero();
        // a read: a 2M leaf, not executable (NX huge pages)
        assertThat(Queries.spte(s, SZ_2M + 0x5000, "level")).isEqualTo(2);
        assertThat(Queries.spte(s, SZ_2M + 0x5000, "exec")).isZero();
        assertThat(Queries.spte(s, SZ_2M + 0x5000, "writable")).isEqualTo(1);
        long hugeBase = Queries.spte(s, SZ_2M, "pfn");
        assertThat(Queries.spte(s, SZ_2M + 0x5000, "pfn")).isEqualTo(hugeBase + 5);
        assertThat(Queries.spte(s, SZ_2M + 0x1ff000, "pfn")).isEqualTo(hugeBase + 0x1ff);
        assertThat(nxBase).isZero();
        // a read-only slot maps without W
        assertThat(Queries.spte(s, 2 * SZ_2M + 0x3000, "writable")).isZero();
        assertThat(Queries.spte(s, 2 * SZ_2M + 0x3000, "present")).isEqualTo(1);
        assertThat(Queries.spte(s, 2 * SZ_2M + 0x4000, "level")).as("nothing mapped there").isZero();
        assertThat(Queries.spte(s, 2 * SZ_2M + 0x4000, "writable")).isZero();
        assertThat(Queries.spte(s, 2 * SZ_2M + 0x4000, "exec")).isZero();
        assertThat(Queries.spte(s, 2 * SZ_2M + 0x4000, "pfn")).isZero();
        assertThatThrownBy(() -> Queries.spte(s, 0, "no_such_field")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tlbAnswersPerVcpuAndNoForAVcpuThatDoesNotExist() {
        VmState s = mapped();
        assertThat(Queries.tlb(s, 0, 0x1000)).isEqualTo(1);
        assertThat(Queries.tlb(s, 1, 0x1000)).isZero();
        assertThat(Queries.tlb(s, 1, SZ_2M + 0x7000)).as("vCPU 1 caches the whole 2M page").isEqualTo(1);
        assertThat(Queries.tlb(s, -1, 0x1000)).isZero();
        assertThat(Queries.tlb(s, 2, 0x1000)).isZero();
    }

    @Test
    void tlbFieldsDescribeTheTranslationAVcpuCaches() {
        VmState s = mapped();
        // vCPU 0 executed at 0x1000: a 4K, writable, executable translation
        assertThat(Queries.tlb(s, 0, 0x1000, "present")).isEqualTo(1);
        assertThat(Queries.tlb(s, 0, 0x1000, "level")).isEqualTo(1);
        assertThat(Queries.tlb(s, 0, 0x1000, "writable")).isEqualTo(1);
        assertThat(Queries.tlb(s, 0, 0x1000, "exec")).isEqualTo(1);
        assertThat(Queries.tlb(s, 0, 0x1000, "pfn")).isEqualTo(Queries.spte(s, 0x1000, "pfn"));
        // vCPU 1 read 2M + 0x5000: the whole 2M page, not executable; pfn follows the offset
        long hugeBase = Queries.spte(s, SZ_2M, "pfn");
        assertThat(Queries.tlb(s, 1, SZ_2M + 0x7000, "level")).isEqualTo(2);
        assertThat(Queries.tlb(s, 1, SZ_2M + 0x7000, "exec")).isZero();
        assertThat(Queries.tlb(s, 1, SZ_2M + 0x7000, "pfn")).isEqualTo(hugeBase + 7);
        // the read-only slot's translation is not writable
        assertThat(Queries.tlb(s, 1, 2 * SZ_2M + 0x3000, "present")).isEqualTo(1);
        assertThat(Queries.tlb(s, 1, 2 * SZ_2M + 0x3000, "writable")).isZero();
        // nothing cached: vCPU 1 never touched 0x1000; no vCPU 2 or -1
        for (long v : new long[] {1, 2, -1}) {
            assertThat(Queries.tlb(s, v, 0x1000, "present")).isZero();
            assertThat(Queries.tlb(s, v, 0x1000, "level")).isZero();
            assertThat(Queries.tlb(s, v, 0x1000, "writable")).isZero();
            assertThat(Queries.tlb(s, v, 0x1000, "exec")).isZero();
            assertThat(Queries.tlb(s, v, 0x1000, "pfn")).isZero();
        }
        assertThatThrownBy(() -> Queries.tlb(s, 0, 0x1000, "no_such_field")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLeafIsAccessedWhenInstalledAndDirtyOnlyAfterAWrite() {
        VmState s = Run.of(VM, b -> {
            FaultPaths.guestAccess(b, VM, 0, Access.READ, Expr.constant(SZ_2M));
            FaultPaths.guestAccess(b, VM, 0, Access.WRITE, Expr.constant(2 * SZ_2M - 0x1000));
        }).s;
        assertThat(Queries.spte(s, SZ_2M, "accessed")).isEqualTo(1);
        assertThat(Queries.spte(s, SZ_2M, "dirty")).as("only read so far").isZero();
        VmState written = Run.of(VM, b -> FaultPaths.guestAccess(b, VM, 0, Access.WRITE, Expr.constant(SZ_2M))).s;
        assertThat(Queries.spte(written, SZ_2M, "accessed")).isEqualTo(1);
        assertThat(Queries.spte(written, SZ_2M, "dirty")).isEqualTo(1);
        assertThat(Queries.spte(written, 0x1000, "accessed")).as("nothing mapped").isZero();
        assertThat(Queries.spte(written, 0x1000, "dirty")).isZero();
    }

    @Test
    void spFieldsOfAHandleAndOfAFreedPage() {
        VmState s = mapped();
        int table = Walk.of(s, 1).spId(); // the 4K table of the NX-split page
        assertThat(Queries.sp(s, table, "gfn")).isZero();
        assertThat(Queries.sp(s, table, "gfn_end")).isEqualTo(512);
        assertThat(Queries.sp(s, table, "level")).isEqualTo(1);
        assertThat(Queries.sp(s, table, "tdp")).isEqualTo(1);
        int l2 = Walk.to(s, s.root, 512, 2).spId();
        assertThat(Queries.sp(s, l2, "gfn_end")).isEqualTo(512L * 512);
        assertThat(Queries.sp(s, l2, "level")).isEqualTo(2);
        assertThat(Queries.sp(s, 999, "gfn_end")).as("no such page").isZero();
        assertThatThrownBy(() -> Queries.sp(s, table, "no_such_field")).isInstanceOf(IllegalArgumentException.class);
        VmConfig shadow = InvariantsTest.vm(Mmu.SHADOW, false, 1, InvariantsTest.SMALL);
        VmState legacy = Run.of(shadow, b -> FaultPaths.guestAccess(b, shadow, 0, Access.READ, Expr.constant(0x1000))).s;
        assertThat(Queries.sp(legacy, Walk.of(legacy, 1).spId(), "tdp")).isZero();
    }

    @Test
    void invalidListLengthIsPerThreadInAPathAndSummedInAnExpectation() {
        VmConfig shadow = InvariantsTest.vm(Mmu.SHADOW, false, 1, InvariantsTest.SMALL, InvariantsTest.SMALL_1);
        Expr leafTable = Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> Walk.of(s, 1).spId());
        Expr otherLeafTable = Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> Walk.of(s, 513).spId());
        Program p = InvariantsTest.program(shadow, b -> {
            FaultPaths.guestAccess(b, shadow, 0, Access.READ, Expr.constant(0x1000));
            FaultPaths.guestAccess(b, shadow, 0, Access.READ, Expr.constant(SZ_2M + 0x1000));
        }, InvariantsTest.thread("a", b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(new Ops.Call(Primitives.get("prepare_zap"), new Expr[] {leafTable}, -1));
            b.emit(new Ops.Release(LockId.mmu_lock));
        }), InvariantsTest.thread("b", b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(new Ops.Call(Primitives.get("prepare_zap"), new Expr[] {otherLeafTable}, -1));
            b.emit(new Ops.Call(Primitives.get("prepare_zap"), new Expr[] {Expr.constant(0)}, -1));
            b.emit(new Ops.Release(LockId.mmu_lock));
        }));
        VmState s = new Run(p).s;
        long a = Queries.invalidListLen(s, 0);
        long b = Queries.invalidListLen(s, 1);
        assertThat(a).isEqualTo(1);
        assertThat(b).as("the root's zap takes its whole tree").isGreaterThan(a);
        assertThat(Queries.invalidListLen(s, -1)).isEqualTo(a + b);
    }

    @Test
    void theNxListLengthCountsPagesSplitForExec() {
        VmState s = mapped();
        assertThat(Queries.NX_LENGTH.eval(s, 0)).isEqualTo(1);
    }
}
