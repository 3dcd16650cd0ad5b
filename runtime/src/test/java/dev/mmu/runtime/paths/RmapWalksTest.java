package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rmap heads __walk_slot_rmaps() visits (slot_rmap_walk_next) and its handlers on one head, in
 * a slot that does not start at gfn 0 (slot 1, base gfn 0x200), where a head's index and its gfn
 * differ.
 */
class RmapWalksTest {
    /** The L2 guest read 0x203000, 0x201000 and 0x205000 of slot 1 (4K leaves, made in that order). */
    static VmState state() {
        VmConfig c = NestedSlotOpsTest.vm(false, false, Level.PG_LEVEL_4K);
        PathBuilder setup = new PathBuilder();
        for (long gpa : new long[] {0x203000, 0x201000, 0x205000}) {
            FaultPaths.guestAccess(setup, c, 0, Access.READ, Expr.constant(gpa), true);
        }
        return new MmuSystem(new Program(c, ThreadProgram.of("setup", -1, setup),
                List.of(ThreadProgram.of("t", -1, new PathBuilder())), false)).initial().copy();
    }

    @Test
    void slotRmapWalkNextGoesToTheNextHeadHoldingAnSpteInGfnOrder() {
        VmState s = state();
        int pos = 1;
        assertThat(RmapWalks.nextHead(s, pos, Level.PG_LEVEL_4K, 0x200)).as("from the level's first head").isEqualTo(0x201);
        assertThat(RmapWalks.nextHead(s, pos, Level.PG_LEVEL_4K, 0x201)).as("0x202 is empty").isEqualTo(0x203);
        assertThat(RmapWalks.nextHead(s, pos, Level.PG_LEVEL_4K, 0x203)).isEqualTo(0x205);
        assertThat(RmapWalks.nextHead(s, pos, Level.PG_LEVEL_4K, 0x205)).as("past the last").isEqualTo(-1);
        assertThat(RmapWalks.nextHead(s, pos, Level.PG_LEVEL_2M, 0x200)).as("no 2M leaf").isEqualTo(-1);
        assertThat(RmapWalks.nextHead(s, 0, Level.PG_LEVEL_4K, 0x0)).as("slot 0 has none").isEqualTo(-1);
    }

    @Test
    void aHeadHoldsTheLeavesOfItsGfnAtItsLevel() {
        VmState s = state();
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x203)).hasSize(1);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_4K, 0x202)).isEmpty();
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_2M, 0x200)).as("the 4K leaves are in no 2M head").isEmpty();
    }

    /** shadow_mmu_try_split_huge_pages() splits huge leaves only: on a 4K head it does nothing. */
    @Test
    void theSplitHandlerLeavesA4KLeafAlone() {
        VmState s = state();
        Program p = InvariantsTest.program(s.config, b -> { }, InvariantsTest.thread("t", b -> { }));
        Exec e = new Exec(p, s, 0, new StringBuilder());
        long pages = s.stat(Stat.pages_4k);
        assertThat(RmapWalks.handle(e, RmapWalks.Handler.SHADOW_MMU_TRY_SPLIT_HUGE_PAGES, 1, Level.PG_LEVEL_4K, 0x201)).isFalse();
        assertThat(s.stat(Stat.pages_4k)).isEqualTo(pages);
        assertThat(NestedSlotOpsTest.nested(s, 0x201).level()).isEqualTo(Level.PG_LEVEL_4K);
    }

    /** Slot 1 of 4M backed by 2M pages: the L2 guest read 0x401000 and 0x201000 (2M leaves at gfn 0x400, 0x200). */
    @Test
    void theHeadsOfA2MLevelAreItsHugePages() {
        VmConfig c = new VmConfig(dev.mmu.runtime.model.Mmu.BOTH, false, 0, false, 4, List.of(
                new dev.mmu.runtime.model.Memslot(0, 0, 512, Level.PG_LEVEL_4K, false, false),
                new dev.mmu.runtime.model.Memslot(1, 0x200, 1024, Level.PG_LEVEL_2M, false, false)), 1);
        PathBuilder setup = new PathBuilder();
        for (long gpa : new long[] {0x401000, 0x201000}) {
            FaultPaths.guestAccess(setup, c, 0, Access.READ, Expr.constant(gpa), true);
        }
        VmState s = new MmuSystem(new Program(c, ThreadProgram.of("setup", -1, setup),
                List.of(ThreadProgram.of("t", -1, new PathBuilder())), false)).initial();
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_2M, 0x200)).as("the second 2M head").isEqualTo(0x400);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_2M, 0x400)).isEqualTo(-1);
        assertThat(RmapWalks.nextHead(s, 1, Level.PG_LEVEL_4K, 0x200)).as("no 4K leaf").isEqualTo(-1);
        assertThat(RmapWalks.rmap(s, 1, Level.PG_LEVEL_2M, 0x5ff)).as("a 2M head by any of its gfns").hasSize(1);
    }
}
