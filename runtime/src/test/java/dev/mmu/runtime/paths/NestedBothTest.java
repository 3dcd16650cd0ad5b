package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * mmu both: the TDP MMU maps L1 while a nested L2 guest runs on legacy shadow pages; both kinds of
 * NX-split page sit on one possible_nx_huge_pages list, as in the seed thread's nested scenario.
 */
class NestedBothTest {
    static final VmConfig VM = new VmConfig(Mmu.BOTH, true, 1, false, 4,
            List.of(new Memslot(0, 0, 1024, 2, false, false)), 2);

    static Program program() {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 1, Access.EXEC, Expr.constant(0x200000), true); // L2: legacy NX page
        FaultPaths.guestAccess(setup, VM, 0, Access.EXEC, Expr.constant(0x1000));         // L1: TDP NX page
        PathBuilder recovery = new PathBuilder();
        KernelFixtures.recoverNxLpages(recovery, VM);
        PathBuilder host = new PathBuilder();
        KernelFixtures.mmuNotifierInvalidate(host, Expr.constant(0x200000), Expr.constant(0x400000));
        HostPaths.hostFree(host, Expr.constant(0x200000), Expr.constant(0x400000));
        PathBuilder l2 = new PathBuilder();
        FaultPaths.guestAccess(l2, VM, 1, Access.READ, Expr.constant(0x201000), true);
        return new Program(VM, ThreadProgram.of("setup", -1, setup), List.of(
                ThreadProgram.of("recovery", -1, recovery), ThreadProgram.of("host", -1, host),
                ThreadProgram.of("vcpu 1 (L2)", 1, l2)), false);
    }

    @Test
    void bothKindsOfPageShareTheNxList() {
        VmState s = new MmuSystem(program()).initial();
        assertThat(s.nestedRoot).isNotNegative();
        assertThat(s.lpageDisallowed).hasSize(2);
        assertThat(s.sp(s.lpageDisallowed[0]).tdp).as("the L2 fault built a legacy page").isFalse();
        assertThat(s.sp(s.lpageDisallowed[1]).tdp).isTrue();
        assertThat(s.stat(Stat.nx_lpage_splits)).isEqualTo(2);
        assertThat(Tlbs.lookup(s, 1, 0x200, true)).isNotNull();
        assertThat(Tlbs.lookup(s, 1, 0x200, false)).as("L1 and L2 translations are tagged apart").isNull();
    }

    @Test
    void fixedRecoveryKeepsBothMmusSafe() {
        Set<VmState> all = SeedModelTest.reachable(new MmuSystem(program()));
        assertThat(all).noneMatch(Invariant.use_after_free::violatedIn);
        assertThat(all).noneMatch(Invariant.stale_tlb_at_unlock::violatedIn);
        assertThat(all).noneMatch(s -> Invariants.violated(Invariant.page_table_leak, s));
        assertThat(all).noneMatch(s -> Invariants.violated(Invariant.stats_consistent, s));
        assertThat(all).anyMatch(s -> s.lpageDisallowed.length == 0 && s.threads[0].pc
                == program().threads().get(0).ops().length);
    }
}
