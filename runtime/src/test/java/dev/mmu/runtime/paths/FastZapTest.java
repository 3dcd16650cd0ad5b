package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuOps.Access;
import org.junit.jupiter.api.Test;

/**
 * kvm_mmu_zap_all_fast() (mmu.c, v6.x) run to its end: a new generation, new roots for every MMU,
 * the obsolete roots zapped and freed, and guest accesses mapping in the new root.
 */
class FastZapTest {
    static Run zapAllFast(Mmu mmu, boolean nestedAccess) {
        VmConfig c = InvariantsTest.vm(mmu, false, 2, InvariantsTest.SMALL, InvariantsTest.SMALL_1);
        return Run.of(c, s -> {
            KernelPaths.guestAccess(s, c, 0, Access.READ, Expr.constant(0x1000));
            KernelPaths.guestAccess(s, c, 1, Access.WRITE, Expr.constant(0x201000));
            if (nestedAccess) KernelPaths.guestAccess(s, c, 1, Access.READ, Expr.constant(0x3000), true);
        }, b -> {
            SlotPaths.zapAllFast(b, c);
            KernelPaths.guestAccess(b, c, 0, Access.READ, Expr.constant(0x5000));
        });
    }

    /** Live tables that are roots (no parent SPTE). Page ids are reused once freed. */
    static int roots(VmState s) {
        int n = 0;
        for (int id = 0; id < s.spCapacity(); id++) {
            var sp = s.sp(id);
            if (sp != null && sp.parent < 0) n++;
        }
        return n;
    }

    static boolean clean(VmState s) {
        for (Invariant inv : Invariant.values()) if (Invariants.violated(inv, s)) return false;
        return true;
    }

    @Test
    void theTdpMmuGetsANewRootAndTheObsoleteOneIsFreed() {
        VmConfig c = InvariantsTest.vm(Mmu.TDP, false, 2, InvariantsTest.SMALL, InvariantsTest.SMALL_1);
        int oldRoot = new MmuSystem(InvariantsTest.program(c, s -> { })).initial().root;
        Run r = zapAllFast(Mmu.TDP, false);
        assertThat(r.s.root).isNotEqualTo(oldRoot);
        assertThat(r.s.sp(r.s.root).tdp).isTrue();
        assertThat(r.s.sp(r.s.root).rootCount).as("every vCPU loaded it").isEqualTo(2);
        assertThat(roots(r.s)).as("the obsolete root was zapped, put and freed").isEqualTo(1);
        assertThat(r.s.invalidRoots).isEmpty();
        assertThat(r.s.mmuValidGen).isEqualTo(1);
        assertThat(r.spte(0x1000, "present")).isZero();
        assertThat(r.spte(0x201000, "present")).isZero();
        assertThat(r.spte(0x5000, "present")).as("mapped in the new root").isEqualTo(1);
        assertThat(r.s.stat(Stat.pages_4k)).isEqualTo(1);
        assertThat(r.trace()).contains("mmu_valid_gen=1; kvm_tdp_mmu_invalidate_all_roots: ");
        assertThat(clean(r.s)).isTrue();
    }

    @Test
    void theShadowMmuGetsALegacyRoot() {
        Run r = zapAllFast(Mmu.SHADOW, false);
        assertThat(r.s.sp(r.s.root).tdp).isFalse();
        assertThat(r.spte(0x1000, "present")).isZero();
        assertThat(r.spte(0x5000, "present")).isEqualTo(1);
        assertThat(r.trace()).doesNotContain("kvm_tdp_mmu_invalidate_all_roots");
        assertThat(clean(r.s)).isTrue();
    }

    @Test
    void withMmuBothTheL2RootIsReloadedToo() {
        VmConfig c = InvariantsTest.vm(Mmu.BOTH, false, 2, InvariantsTest.SMALL, InvariantsTest.SMALL_1);
        int oldNested = new MmuSystem(InvariantsTest.program(c, s -> { })).initial().nestedRoot;
        Run r = zapAllFast(Mmu.BOTH, true);
        assertThat(r.s.nestedRoot).isNotEqualTo(oldNested);
        assertThat(r.s.sp(r.s.nestedRoot).tdp).isFalse();
        assertThat(Walk.of(r.s, 3, true).presentLeaf()).as("the L2 mapping went with the old shadow root").isFalse();
        assertThat(roots(r.s)).as("the new TDP and L2 roots only").isEqualTo(2);
        assertThat(clean(r.s)).isTrue();
    }
}
