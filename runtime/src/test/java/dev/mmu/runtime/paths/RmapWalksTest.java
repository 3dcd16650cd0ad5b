package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Preempt;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rmap heads __walk_slot_rmaps() visits (slot_rmap_walk_next) and its handlers, in a slot that
 * does not start at gfn 0 (slot 1, base gfn 0x200), where a head's index and its gfn differ. A step
 * visits the heads of one group (one last-level table's: 512 heads) from its first.
 */
class RmapWalksTest {
    /** Slot 1 of 6M at gfn 0x200, backed by `backing`; the L2 guest read each gpa (in that order). */
    static VmState state(int backing, long... gpas) {
        return state(Mmu.BOTH, true, backing, gpas);
    }

    /** The same with `mmu` as the VM's MMU, the gpas read by L1 (nested false) or by L2. */
    static VmState state(Mmu mmu, boolean nested, int backing, long... gpas) {
        return state(mmu, nested, false, backing, gpas);
    }

    /** The same, with PML (`pml on`) or not. */
    static VmState state(Mmu mmu, boolean nested, boolean pml, int backing, long... gpas) {
        VmConfig c = new VmConfig(mmu, false, 0, false, 4, List.of(
                new Memslot(0, 0, 512, Level.PG_LEVEL_4K, false, false),
                new Memslot(1, 0x200, 1536, backing, false, false)), 1, Preempt.FULL, pml);
        PathBuilder setup = new PathBuilder();
        for (long gpa : gpas) FaultPaths.guestAccess(setup, c, 0, Access.READ, Expr.constant(gpa), nested);
        return new MmuSystem(new Program(c, ThreadProgram.of("setup", -1, setup),
                List.of(ThreadProgram.of("t", -1, new PathBuilder())), false)).initial().copy();
    }

    /**
     * 4K leaves at gfn 0x203 and 0x201 (group 0x200-0x3ff), 0x405 and 0x400 (0x400-0x5ff, the last at
     * the group's first gfn) and 0x601 (0x600-0x7ff).
     */
    static VmState fourK() {
        return state(Level.PG_LEVEL_4K, 0x203000, 0x201000, 0x405000, 0x601000, 0x400000);
    }

    @Test
    void slotRmapWalkNextGoesToTheFirstHeadHoldingAnSpteInALaterGroup() {
        VmState s = fourK();
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).as("the next group's first gfn").isEqualTo(0x400);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_4K, 0x400, -1)).as("0x405 is in the same group").isEqualTo(0x601);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_4K, 0x405, -1)).isEqualTo(0x601);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_4K, 0x601, -1)).as("past the last").isEqualTo(-1);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_2M, 0x200, -1)).as("no 2M leaf").isEqualTo(-1);
        assertThat(RmapWalks.nextHead(s, 0, Level.PG_LEVEL_4K, 0x0, -1)).as("slot 0 has none").isEqualTo(-1);
    }

    @Test
    void aStepVisitsTheHeadsOfItsGroupFromItsFirst() {
        VmState s = fourK();
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).as("0x201 and 0x203, not 0x400").hasSize(2);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x202, -1)).as("0x203 only").hasSize(1);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x400, -1)).as("0x400 and 0x405").hasSize(2);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x405, -1)).hasSize(1);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_2M, 0x200, -1)).as("the 4K leaves are in no 2M head").isEmpty();
    }

    /** shadow_mmu_try_split_huge_pages() splits huge leaves only: on 4K heads it does nothing. */
    @Test
    void theSplitHandlerLeaves4KLeavesAlone() {
        VmState s = fourK();
        Program p = InvariantsTest.program(s.config, b -> { }, InvariantsTest.thread("t", b -> { }));
        Exec e = new Exec(p, s, 0, new StringBuilder());
        long pages = s.stat(Stat.pages_4k);
        assertThat(RmapWalks.handle(e, RmapWalks.Handler.SHADOW_MMU_TRY_SPLIT_HUGE_PAGES, 1, Level.PG_LEVEL_4K, 0x200, -1)).isFalse();
        assertThat(s.stat(Stat.pages_4k)).isEqualTo(pages);
        assertThat(NestedSlotOpsTest.nested(s, 0x201).level()).isEqualTo(Level.PG_LEVEL_4K);
    }

    /** 2M leaves at gfn 0x400 and 0x200: one group at 2M (a 1G range); at 4K there are none. */
    @Test
    void theHeadsOfA2MLevelAreItsHugePages() {
        VmState s = state(Level.PG_LEVEL_2M, 0x401000, 0x201000);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_2M, 0x200, -1)).as("both").hasSize(2);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_2M, 0x5ff, -1)).as("the head of 0x400 by any of its gfns").hasSize(1);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_2M, 0x200, -1)).as("one group").isEqualTo(-1);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).as("no 4K leaf").isEqualTo(-1);
    }

    /** 2M leaves at gfn 0x200 and 0x40200 of a 1G+ slot 1: one per 1G range. */
    private static VmState twoGigRanges() {
        VmConfig c = new VmConfig(Mmu.BOTH, false, 0, false, 4, List.of(
                new Memslot(0, 0, 512, Level.PG_LEVEL_4K, false, false),
                new Memslot(1, 0x200, 0x40400, Level.PG_LEVEL_2M, false, false)), 1);
        PathBuilder setup = new PathBuilder();
        for (long gpa : new long[] {0x201000L, 0x40201000L}) {
            FaultPaths.guestAccess(setup, c, 0, Access.READ, Expr.constant(gpa), true);
        }
        return new MmuSystem(new Program(c, ThreadProgram.of("setup", -1, setup),
                List.of(ThreadProgram.of("t", -1, new PathBuilder())), false)).initial().copy();
    }

    /**
     * 2M leaves at gfn 0x200 and 0x40200, a 1G range apart: two groups at 2M, so the walk's next
     * head is the second's gfn (index 0x200 past slot 1's base, times 512 pages a head).
     */
    @Test
    void theNextHeadOfA2MLevelIsInTheNext1GRange() {
        VmState s = twoGigRanges();
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_2M, 0x200, -1)).isEqualTo(0x40200);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_2M, 0x40200, -1)).as("past the last").isEqualTo(-1);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_2M, 0x40200, -1)).hasSize(1);
    }

    /** __walk_slot_rmaps()'s end_gfn (inclusive): the walk visits no head past its head. */
    @Test
    void aWalkEndsAtTheHeadOfItsEndGfn() {
        VmState s = fourK();
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, 0x202)).as("0x201, not 0x203").hasSize(1);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, 0x203)).as("both").hasSize(2);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_4K, 0x200, 0x5ff)).isEqualTo(0x400);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_4K, 0x400, 0x600)).as("0x601 is past the end").isEqualTo(-1);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_4K, 0x400, 0x601)).isEqualTo(0x601);
        VmState huge = state(Level.PG_LEVEL_2M, 0x401000, 0x201000);
        assertThat(RmapWalks.rmap(huge, 1, Level.PG_LEVEL_2M, 0x200, 0x3ff)).as("the head of 0x200").hasSize(1);
        assertThat(RmapWalks.rmap(huge, 1, Level.PG_LEVEL_2M, 0x200, 0x400)).as("0x400's head by its first gfn").hasSize(2);
        VmState first = state(Level.PG_LEVEL_4K, 0x1000);
        assertThat(RmapWalks.rmap(first, 0, Level.PG_LEVEL_4K, 0x0, 0x0)).as("a walk of gfn 0 alone").isEmpty();
        assertThat(RmapWalks.rmap(first, 0, Level.PG_LEVEL_4K, 0x0, -1)).as("-1: to the slot's end").hasSize(1);
    }

    /**
     * iterator.gfn moves by the level's pages from the walk's start: from a start inside a 2M head
     * it keeps that offset into the next (slot_rmap_walk_next(), iterator->gfn +=
     * KVM_PAGES_PER_HPAGE(level)).
     */
    @Test
    void theIteratorKeepsTheStartsOffsetIntoEachHead() {
        VmState s = twoGigRanges();
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_2M, 0x2a0, -1)).isEqualTo(0x402a0);
    }

    /**
     * Where the iterator stands after a step's heads: the last of the group holding an SPTE (up to
     * end_gfn's head), or the step's own head; above 4K at the start's offset into it.
     */
    @Test
    void afterAStepTheIteratorStandsAtTheGroupsLastHeadHoldingAnSpte() {
        VmState s = fourK();
        assertThat(RmapWalks.lastHead(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).isEqualTo(0x203);
        assertThat(RmapWalks.lastHead(s, 1, Level.PG_LEVEL_4K, 0x400, -1)).isEqualTo(0x405);
        assertThat(RmapWalks.lastHead(s, 1, Level.PG_LEVEL_4K, 0x200, 0x202)).as("0x203 is past the end").isEqualTo(0x201);
        assertThat(RmapWalks.lastHead(s, 1, Level.PG_LEVEL_2M, 0x200, -1)).as("no 2M leaf: the step's head").isEqualTo(0x200);
        VmState huge = state(Level.PG_LEVEL_2M, 0x401000, 0x201000);
        assertThat(RmapWalks.lastHead(huge, 1, Level.PG_LEVEL_2M, 0x200, -1)).isEqualTo(0x400);
        assertThat(RmapWalks.lastHead(huge, 1, Level.PG_LEVEL_2M, 0x2a0, -1)).isEqualTo(0x4a0);
    }

    /**
     * With mmu shadow every legacy leaf is in an rmap (mmu_set_spte()'s rmap_add(), v7.2), L1's own:
     * kvm_memslots_have_rmaps() is true and the walk finds them; with mmu both L1's TDP leaves are in none.
     */
    @Test
    void withMmuShadowTheLegacyLeavesAreInTheRmaps() {
        VmState s = state(Mmu.SHADOW, false, Level.PG_LEVEL_4K, 0x203000, 0x201000, 0x405000);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).as("0x201 and 0x203, each once").hasSize(2);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).isEqualTo(0x405);
        assertThat(RmapWalks.lastHead(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).isEqualTo(0x203);
        VmState two = state(Mmu.SHADOW, false, Level.PG_LEVEL_4K, 0x201000, 0x401000);
        assertThat(RmapWalks.leaves(two, 1)).as("index 1 of two tables: two leaves").hasSize(2);
        VmState both = state(Mmu.BOTH, false, Level.PG_LEVEL_4K, 0x203000, 0x201000);
        assertThat(RmapWalks.rmap(both, 1, Level.PG_LEVEL_4K, 0x200, -1)).as("L1's TDP leaves").isEmpty();
    }

    /**
     * An obsolete root a vCPU still holds keeps its leaves in the rmaps until it is zapped; so does
     * the SMM root (address space 1's rmaps, which the model's slots stand for too); an unlinked one none.
     */
    @Test
    void withMmuShadowTheRmapsHoldTheLeavesOfEveryLiveRoot() {
        VmState s = state(Mmu.SHADOW, false, Level.PG_LEVEL_4K, 0x201000);
        int root = s.root;
        assertThat(root).isNotNegative();
        s.vcpuRoots[0] = root;
        s.root = -1;
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).as("the vCPU's obsolete root").hasSize(1);
        s.vcpuRoots[0] = -1;
        s.root = root;
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).as("the VM's root").hasSize(1);
        s.root = -1;
        s.smmRoot = root;
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).as("the SMM root").hasSize(1);
        s.smmRoot = -1;
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).as("no root").isEmpty();
        s.vcpuRoots[0] = root;
        s.spForWrite(root).status = ShadowPage.UNLINKED;
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, -1)).as("an unlinked root (on invalid_list)").isEmpty();
    }

    /** The rmap leaves of slot 1's 4K heads from gfn 0x200, each made writable and dirty first. */
    private static Exec dirtyAndWritable(VmState s) {
        for (long[] leaf : RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, -1)) {
            long spte = s.sp((int) leaf[0]).spte((int) leaf[1]);
            s.spForWrite((int) leaf[0]);
            s.setSpte((int) leaf[0], (int) leaf[1], spte | Spte.DIRTY | Spte.WRITABLE);
        }
        Program p = InvariantsTest.program(s.config, b -> { }, InvariantsTest.thread("t", b -> { }));
        return new Exec(p, s, 0, new StringBuilder());
    }

    /** Every rmap leaf of slot 1's 4K heads from gfn 0x200 has `bit` set (or, with set false, clear). */
    private static boolean all(VmState s, long bit, boolean set) {
        var leaves = RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x200, -1);
        assertThat(leaves).hasSize(2);
        return leaves.stream().allMatch(l -> ((s.sp((int) l[0]).spte((int) l[1]) & bit) != 0) == set);
    }

    /**
     * __rmap_clear_dirty() (v7.2): D cleared on mmu shadow's A/D-enabled leaves, W kept; a flush is
     * owed only if a bit went.
     */
    @Test
    void clearDirtyClearsTheDBitOfLegacyLeaves() {
        VmState s = state(Mmu.SHADOW, false, true, Level.PG_LEVEL_4K, 0x203000, 0x201000);
        Exec e = dirtyAndWritable(s);
        assertThat(RmapWalks.handle(e, RmapWalks.Handler.RMAP_CLEAR_DIRTY, 1, Level.PG_LEVEL_4K, 0x200, -1)).isTrue();
        assertThat(all(s, Spte.DIRTY, false)).as("D cleared").isTrue();
        assertThat(all(s, Spte.WRITABLE, true)).as("W kept").isTrue();
        assertThat(RmapWalks.handle(e, RmapWalks.Handler.RMAP_CLEAR_DIRTY, 1, Level.PG_LEVEL_4K, 0x200, -1))
                .as("nothing left to clear").isFalse();
    }

    /**
     * The L2 guest's leaves under PML need write protection (kvm_mmu_page_ad_need_write_protect():
     * cpu_dirty_log_size && role.guest_mode): W cleared, D kept; without PML D as any other.
     */
    @Test
    void clearDirtyWriteProtectsTheL2GuestsLeavesUnderPml() {
        VmState s = state(Mmu.BOTH, true, true, Level.PG_LEVEL_4K, 0x203000, 0x201000);
        Exec e = dirtyAndWritable(s);
        assertThat(RmapWalks.handle(e, RmapWalks.Handler.RMAP_CLEAR_DIRTY, 1, Level.PG_LEVEL_4K, 0x200, -1)).isTrue();
        assertThat(all(s, Spte.WRITABLE, false)).as("W cleared").isTrue();
        assertThat(all(s, Spte.DIRTY, true)).as("D kept").isTrue();
        assertThat(RmapWalks.handle(e, RmapWalks.Handler.RMAP_CLEAR_DIRTY, 1, Level.PG_LEVEL_4K, 0x200, -1)).isFalse();
        VmState noPml = state(Mmu.BOTH, true, false, Level.PG_LEVEL_4K, 0x203000, 0x201000);
        Exec e2 = dirtyAndWritable(noPml);
        assertThat(RmapWalks.handle(e2, RmapWalks.Handler.RMAP_CLEAR_DIRTY, 1, Level.PG_LEVEL_4K, 0x200, -1)).isTrue();
        assertThat(all(noPml, Spte.DIRTY, false)).isTrue();
        assertThat(all(noPml, Spte.WRITABLE, true)).isTrue();
    }
}
