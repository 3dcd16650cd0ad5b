package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * call_rcu callbacks and the grace periods that run them (preemption disabled by a held or
 * awaited rwlock or spinlock holds them off; slots_lock, a mutex, does not), and the NX huge page
 * list (account_nx_huge_page / unaccount_nx_huge_page).
 */
class RcuNxTest {
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, true, 1, InvariantsTest.SMALL);
    static final Program PROGRAM = InvariantsTest.program(VM, b -> { }, InvariantsTest.thread("t", b -> { }));

    static VmState state() {
        return new MmuSystem(PROGRAM).initial().copy();
    }

    static Exec exec(VmState s, StringBuilder trace) {
        return new Exec(PROGRAM, s, 0, trace);
    }

    /** Two TDP tables queued with call_rcu, the condition applied, then the end of a step. */
    static VmState afterStep(Consumer<VmState> condition, StringBuilder trace) {
        VmState s = state();
        ShadowPage a = s.allocSp(1, 0, true);
        ShadowPage b = s.allocSp(1, 512, true);
        Rcu.callRcu(s, a.id);
        Rcu.callRcu(s, b.id);
        condition.accept(s);
        Rcu.maybeEndGracePeriod(exec(s, trace));
        return s;
    }

    @Test
    void aGracePeriodFreesEveryQueuedTableOnceNothingHoldsItOff() {
        StringBuilder trace = new StringBuilder();
        VmState s = afterStep(x -> { }, trace);
        assertThat(s.rcuPending).isEmpty();
        assertThat(trace).hasToString("RCU grace period: tdp_mmu_free_sp_rcu_callback frees sp1, sp2");
        VmState slots = afterStep(x -> x.mutexOwner[0] = 0, new StringBuilder());
        assertThat(slots.rcuPending).as("slots_lock is a sleeping mutex").isEmpty();
    }

    @Test
    void eachThreadHoldsOffGracePeriodsOnItsOwnInsideRcuReadLockOrWithPreemptionDisabled() {
        for (Consumer<VmState> held : java.util.List.<Consumer<VmState>>of(
                x -> x.rcuReaders = 2, x -> x.mmuWriter = 1, x -> x.mmuReaders = 2, x -> x.mmuQueue = new int[] {0, 1},
                x -> x.mutexOwner[1] = 1, x -> x.mutexOwner[2] = 1)) {
            VmState s = state();
            assertThat(Rcu.holdsOffGracePeriods(s, 1)).isFalse();
            held.accept(s);
            assertThat(Rcu.holdsOffGracePeriods(s, 1)).as("thread 1").isTrue();
            if (s.mmuQueue.length == 0) assertThat(Rcu.holdsOffGracePeriods(s, 0)).as("thread 0").isFalse();
        }
        VmState slots = state();
        slots.mutexOwner[0] = 1;
        assertThat(Rcu.holdsOffGracePeriods(slots, 1)).as("slots_lock is a sleeping mutex").isFalse();
        VmState inside = state();
        inside.rcuReaders = 2;
        assertThat(Rcu.preemptionDisabled(inside, 1)).as("rcu_read_lock() alone leaves preemption on").isFalse();
    }

    @Test
    void readersAndDisabledPreemptionHoldTheGracePeriodOff() {
        for (Consumer<VmState> held : java.util.List.<Consumer<VmState>>of(
                x -> x.rcuReaders = 1, x -> x.mmuWriter = 0, x -> x.mmuReaders = 1, x -> x.mmuQueue = new int[] {0},
                x -> x.mutexOwner[1] = 0, x -> x.mutexOwner[2] = 0)) {
            StringBuilder trace = new StringBuilder();
            VmState s = afterStep(held, trace);
            assertThat(s.rcuPending).hasSize(2);
            assertThat(s.sp(1)).isNotNull();
            assertThat(trace).isEmpty();
        }
    }

    @Test
    void anNxPageIsListedAndCountedOnce() {
        VmState s = state();
        StringBuilder trace = new StringBuilder();
        Exec e = exec(s, trace);
        ShadowPage[] sps = {s.allocSp(1, 0, true), s.allocSp(1, 512, true), s.allocSp(1, 1024, true)};
        for (ShadowPage sp : sps) Nx.account(e, sp.id, true);
        Nx.account(e, sps[1].id, true);
        assertThat(s.lpageDisallowed).containsExactly(sps[0].id, sps[1].id, sps[2].id);
        assertThat(s.stat(Stat.nx_lpage_splits)).isEqualTo(3);
        assertThat(trace.toString()).contains("account_nx_huge_page(" + sps[2] + "): nx_lpage_splits=3");
        Nx.unaccount(e, sps[1].id);
        assertThat(s.lpageDisallowed).as("the others keep their order").containsExactly(sps[0].id, sps[2].id);
        assertThat(s.stat(Stat.nx_lpage_splits)).isEqualTo(2);
        assertThat(s.sp(sps[1].id).nxHugePageDisallowed).isFalse();
        assertThat(trace.toString()).contains("unaccount_nx_huge_page(").contains("nx_lpage_splits=2");
        Nx.unaccount(e, sps[1].id);
        Nx.unaccount(e, 99);
        assertThat(s.stat(Stat.nx_lpage_splits)).as("unaccounting twice or a freed page changes nothing").isEqualTo(2);
        Nx.unaccount(e, sps[0].id);
        assertThat(s.lpageDisallowed).containsExactly(sps[2].id);
        // A page flagged but no longer listed (the list was emptied under it) is only unflagged.
        s.spForWrite(sps[0].id).nxHugePageDisallowed = true;
        Nx.unaccount(e, sps[0].id);
        assertThat(s.lpageDisallowed).containsExactly(sps[2].id);
        assertThat(s.stat(Stat.nx_lpage_splits)).isEqualTo(1);
    }
}
