package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.Stepper.HPAGE_GFN;
import static dev.mmu.runtime.paths.Stepper.HPAGE_GPA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import org.junit.jupiter.api.Test;

/**
 * kvm_recover_nx_huge_pages() (v6.x, kernel-notes §1b and §11 A''), one step at a time: srcu,
 * write_lock, rcu_read_lock, kvm_tdp_mmu_zap_sp() on the NX-split table (its parent SPTE cleared,
 * handle_removed_pt: children cleared, unaccounted, call_rcu), then kvm_mmu_remote_flush_or_zap()
 * before rcu_read_unlock and write_unlock; the RCU callback frees the table after rcu_read_unlock.
 */
class RecoverNxStepTest {
    static final VmConfig VM = Stepper.vm(Mmu.TDP, 2);
    static final int TO_ZAP = 0;
    static final int FLUSH = 1;
    static final int SP = 2;

    /** vCPU 0 exec-faults the first 2M region (NX split to 4K), vCPU 1 reads it: both TLBs cache it. */
    static Stepper recovery() {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.EXEC, Expr.constant(HPAGE_GPA));
        FaultPaths.guestAccess(setup, VM, 1, Access.READ, Expr.constant(HPAGE_GPA));
        PathBuilder r = new PathBuilder();
        KernelFixtures.recoverNxLpages(r, VM);
        return new Stepper(Stepper.program(VM, setup, ThreadProgram.of("recovery", -1, r)));
    }

    /** The steps up to and including kvm_tdp_mmu_zap_sp(); returns the zapped table's id. */
    static int upToZap(Stepper st) {
        ShadowPage l1 = st.tableAt(HPAGE_GFN, 1);
        ShadowPage l2 = st.tableAt(HPAGE_GFN, 2);
        assertThat(st.s.lpageDisallowed).containsExactly(l1.id);
        assertThat(st.s.stat(Stat.nx_lpage_splits)).isEqualTo(1);
        assertThat(st.s.stat(Stat.pages_4k)).isEqualTo(1);
        assertThat(Tlbs.lookup(st.s, 0, HPAGE_GFN)).isNotNull();
        assertThat(Tlbs.lookup(st.s, 1, HPAGE_GFN)).isNotNull();

        // Alone, the thread's reads of shared state cannot be told apart from the step before them.
        st.step(0, "srcu_read_lock(&kvm->srcu)");
        assertThat(st.s.srcuReaders).isEqualTo(1L);
        assertThat(st.s.threads[0].locals[TO_ZAP]).as("DIV_ROUND_UP(1, 1)").isEqualTo(1);
        st.step(0, "write_lock(mmu_lock)");
        assertThat(st.s.mmuWriter).isEqualTo(0);
        st.step(0, "rcu_read_lock()");
        assertThat(st.s.rcuReaders).isEqualTo(1L);
        // A step of its own: its footprint records a lockdep violation (a reader without mmu_lock for write).
        st.step(0, "sp = list_first_entry(possible_nx_huge_pages)");
        assertThat(st.s.threads[0].locals[SP]).as("sp = first of possible_nx_huge_pages").isEqualTo(l1.id);

        st.step(0, "tdp_zap_sp()");
        // kvm_tdp_mmu_zap_sp: only sp->ptep (the L2 SPTE) is cleared ...
        assertThat(st.s.sp(l2.id).spte(l1.parentIndex)).isZero();
        assertThat(Queries.spte(st.s, HPAGE_GPA, "present")).isZero();
        // ... handle_removed_pt: children cleared, unaccounted, queued for call_rcu, not freed.
        ShadowPage gone = st.s.sp(l1.id);
        assertThat(gone).as("not freed before the grace period").isNotNull();
        assertThat(gone.status).isEqualTo(ShadowPage.UNLINKED);
        assertThat(gone.usedCount()).isZero();
        assertThat(gone.nxHugePageDisallowed).isFalse();
        assertThat(st.s.rcuPending).containsExactly(l1.id);
        assertThat(st.s.lpageDisallowed).isEmpty();
        assertThat(st.s.stat(Stat.nx_lpage_splits)).isZero();
        assertThat(st.s.stat(Stat.pages_4k)).isZero();
        // v5.18+: handle_removed_pt does not flush; the caller owes it.
        assertThat(st.s.stat(Stat.remote_tlb_flush)).isZero();
        assertThat(Tlbs.lookup(st.s, 0, HPAGE_GFN)).as("stale until the flush").isNotNull();
        assertThat(Tlbs.lookup(st.s, 1, HPAGE_GFN)).isNotNull();
        assertThat(st.s.threads[0].locals[FLUSH]).as("flush |= kvm_tdp_mmu_zap_sp()").isEqualTo(1);
        assertThat(st.s.mmuWriter).isEqualTo(0);
        return l1.id;
    }

    @Test
    void zapThenFlushBeforeUnlockThenRcuFrees() {
        Stepper st = recovery();
        int l1 = upToZap(st);

        st.step(0, "if need_resched", 0); // no (invisible): --to_zap, loop ends, kvm_mmu_remote_flush_or_zap() in the same step
        assertThat(st.s.threads[0].locals[TO_ZAP]).isZero();

        assertThat(st.s.stat(Stat.remote_tlb_flush)).isEqualTo(1);
        assertThat(st.s.tlb[0]).isEmpty();
        assertThat(st.s.tlb[1]).isEmpty();
        assertThat(st.s.mmuWriter).as("flushed while still holding mmu_lock").isEqualTo(0);
        assertThat(st.s.rcuReaders).as("and inside the RCU read section").isEqualTo(1L);
        assertThat(st.s.sp(l1)).as("still waiting for the grace period").isNotNull();

        st.step(0, "release rcu");
        assertThat(st.s.rcuReaders).isZero();
        assertThat(st.s.mmuWriter).isEqualTo(0);
        assertThat(st.s.sp(l1)).as("write_lock disables preemption: no grace period yet").isNotNull();

        st.step(0, "release mmu_lock");
        assertThat(st.s.mmuWriter).isEqualTo(-1);
        assertThat(st.s.sp(l1)).as("tdp_mmu_free_sp_rcu_callback ran").isNull();
        assertThat(st.s.rcuPending).isEmpty();
        st.step(0, "release srcu");
        assertThat(st.s.srcuReaders).isZero();
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.stat(Stat.remote_tlb_flush)).as("exactly one flush").isEqualTo(1);
        assertThat(st.s.violations).isZero();
    }

    @Test
    void yieldFlushesBeforeDroppingTheLockAndTheEndDoesNotFlushAgain() {
        Stepper st = recovery();
        int l1 = upToZap(st);

        st.step(0, "if need_resched", 1); // yes: kvm_mmu_remote_flush_or_zap() runs in the same step
        assertThat(st.s.stat(Stat.remote_tlb_flush)).isEqualTo(1);
        assertThat(st.s.tlb[0]).isEmpty();
        assertThat(st.s.tlb[1]).isEmpty();
        assertThat(st.s.mmuWriter).isEqualTo(0);

        st.step(0, "release rcu");
        assertThat(st.s.sp(l1)).as("held off by write_lock").isNotNull();
        st.step(0, "release mmu_lock");
        assertThat(st.s.mmuWriter).isEqualTo(-1);
        assertThat(st.s.sp(l1)).isNull();
        assertThat(Invariant.stale_tlb_at_unlock.violatedIn(st.s)).isFalse();
        st.step(0, "write_lock(mmu_lock)");
        assertThat(st.s.mmuWriter).isEqualTo(0);
        assertThat(st.s.threads[0].locals[FLUSH]).as("flush = false after the yield").isZero();
        st.step(0, "rcu_read_lock()");
        assertThat(st.s.threads[0].locals[TO_ZAP]).isZero();

        st.step(0, "remote_flush_or_zap()");
        assertThat(st.s.stat(Stat.remote_tlb_flush)).as("nothing pending: no second flush").isEqualTo(1);
        st.step(0, "release rcu");
        st.step(0, "release mmu_lock");
        st.step(0, "release srcu");
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.violations).isZero();
    }
}
