package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import org.junit.jupiter.api.Test;

/**
 * kvm->arch.tdp_mmu_roots (TdpMmuRoots): a root joins at the head (kvm_tdp_mmu_alloc_root()'s
 * list_add_rcu()), leaves at its last put (list_del_rcu()), and every walk goes newest first.
 */
class TdpMmuRootsTest {
    static final VmConfig VM = Stepper.vm(Mmu.TDP, 2);

    /**
     * A step's context on the state after setup, for a thread with one local (a root loop's
     * variable): the setup's root (id 0) and two newer ones.
     */
    private static Exec threeRoots(VmConfig c) {
        PathBuilder t = new PathBuilder();
        t.local("root");
        MmuSystem m = new MmuSystem(Stepper.program(c, new PathBuilder(), ThreadProgram.of("t", -1, t)));
        Exec e = new Exec(m.program(), m.initial().copy(), 0, new StringBuilder());
        FastZap.allocRoot(e.s, c.tdpLevels(), c.mmu() != Mmu.SHADOW, 1);
        FastZap.allocRoot(e.s, c.tdpLevels(), c.mmu() != Mmu.SHADOW, 1);
        return e;
    }

    @Test
    void aNewRootGoesToTheHeadAndTheLastPutTakesItOff() {
        Exec e = threeRoots(VM);
        VmState s = e.s;
        assertThat(s.tdpMmuRoots).containsExactly(2, 1, 0);
        s.spForWrite(2).invalid = true; // only an invalidated root loses its last reference
        s.spForWrite(2).rootCount = 1;
        TdpMmu.putRoot(e, 2);
        assertThat(s.tdpMmuRoots).as("list_del_rcu() of the head").containsExactly(1, 0);
        TdpMmuRoots.remove(s, 7);
        assertThat(s.tdpMmuRoots).as("a root not on the list").containsExactly(1, 0);
        TdpMmuRoots.add(s, 2);
        TdpMmuRoots.remove(s, 1);
        assertThat(s.tdpMmuRoots).as("from the middle").containsExactly(2, 0);
        TdpMmuRoots.remove(s, 0);
        assertThat(s.tdpMmuRoots).containsExactly(2);
        TdpMmuRoots.remove(s, 2);
        assertThat(s.tdpMmuRoots).isEmpty();
        assertThat(FastZap.allocRoot(s, VM.tdpLevels(), false, 1)).as("a shadow root is not on the list").isNotNegative();
        assertThat(s.tdpMmuRoots).isEmpty();
    }

    @Test
    void theWalkStepGoesOnFromThePreviousRootSkippingWhatItMustSkip() {
        VmState s = threeRoots(VM).s;
        assertThat(TdpMmuRoots.next(s, -1, false, false)).isEqualTo(2);
        assertThat(TdpMmuRoots.next(s, 2, false, false)).isEqualTo(1);
        assertThat(TdpMmuRoots.next(s, 0, false, false)).as("the end of the list").isEqualTo(-1);
        assertThat(TdpMmuRoots.next(s, 9, false, false)).as("a root no longer on the list").isEqualTo(-1);
        s.spForWrite(1).invalid = true;
        assertThat(TdpMmuRoots.next(s, 2, true, false)).as("for_each_valid_*").isEqualTo(0);
        assertThat(TdpMmuRoots.next(s, 2, false, false)).isEqualTo(1);
        s.spForWrite(2).rootCount = 0;
        assertThat(TdpMmuRoots.next(s, -1, false, true)).as("refcount_inc_not_zero() fails").isEqualTo(1);
        assertThat(TdpMmuRoots.next(s, -1, false, false)).isEqualTo(2);
    }

    @Test
    void theBuiltInWalksStartAtTheHeadButAUsersTdpPteAndTheShadowMmuWalkTheirOneRoot() {
        VmState s = threeRoots(VM).s;
        assertThat(s.root).isZero();
        assertThat(TdpIter.firstRoot(s, TdpIter.Roots.ALL)).isEqualTo(2);
        s.spForWrite(2).invalid = true;
        assertThat(TdpIter.firstRoot(s, TdpIter.Roots.VALID)).isEqualTo(1);
        s.root = 1;
        assertThat(TdpIter.firstRoot(s, TdpIter.Roots.ROOT)).isEqualTo(1);
        long[] l = new long[TdpIter.SLOTS];
        l[TdpIter.ROOT] = 2;
        assertThat(TdpIter.nextRoot(s, l, 0, TdpIter.Roots.ALL)).isEqualTo(1);
        assertThat(TdpIter.nextRoot(s, l, 0, TdpIter.Roots.ROOT)).isEqualTo(-1);
        s.spForWrite(1).invalid = true;
        assertThat(TdpIter.nextRoot(s, l, 0, TdpIter.Roots.VALID)).isZero();
        assertThat(TdpIter.nextRoot(s, l, 0, TdpIter.Roots.ALL)).isEqualTo(1);

        VmState shadow = threeRoots(Stepper.vm(Mmu.SHADOW, 2)).s;
        assertThat(shadow.tdpMmuRoots).isEmpty();
        assertThat(TdpIter.firstRoot(shadow, TdpIter.Roots.ALL)).isEqualTo(shadow.root);
        assertThat(TdpIter.nextRoot(shadow, l, 0, TdpIter.Roots.ALL)).isEqualTo(-1);
    }

    /** kvm_tdp_mmu_invalidate_roots(): list_for_each_entry(), so the scheduled zaps go newest first too. */
    @Test
    void invalidationAndTheZapOfTheInvalidatedRootsGoNewestFirst() {
        Exec e = threeRoots(VM);
        VmState s = e.s;
        s.smmRoot = 2;
        s.spForWrite(1).invalid = true; // invalidated before, already zapped: not scheduled again
        FastZap.invalidateRoots(e, "kvm_tdp_mmu_invalidate_roots");
        assertThat(s.invalidRoots).containsExactly(2, 0);
        assertThat(s.root).isEqualTo(-1);
        assertThat(s.smmRoot).isEqualTo(-1);
        assertThat(s.sp(0).invalid && s.sp(2).invalid).isTrue();
        int root = 0;
        e.self().locals[root] = -1; // root = NULL
        int count2 = s.sp(2).rootCount;
        int count0 = s.sp(0).rootCount;
        new FastZap.NextInvalidRoot(root, 9).exec(e, 0);
        assertThat(e.self().locals[root]).isEqualTo(2);
        assertThat(s.sp(2).rootCount).as("tdp_mmu_next_root() takes a reference").isEqualTo(count2 + 1);
        assertThat(s.invalidRoots).as("tdp_mmu_scheduled_root_to_zap = false").containsExactly(0);
        new FastZap.NextInvalidRoot(root, 9).exec(e, 0);
        assertThat(e.self().locals[root]).isZero();
        assertThat(s.sp(0).rootCount).isEqualTo(count0 + 1);
        assertThat(s.sp(2).rootCount).as("and puts the previous root's").isEqualTo(count2);
        assertThat(s.invalidRoots).isEmpty();
        e.nextPc = -1;
        new FastZap.NextInvalidRoot(root, 9).exec(e, 0);
        assertThat(s.sp(0).rootCount).as("the last root's reference put at the end").isEqualTo(count0);
        assertThat(Invariant.lockdep.violatedIn(s)).as("for_each_tdp_mmu_root_yield_safe() without mmu_lock").isTrue();
        e.self().locals[root] = -1;
        e.nextPc = -1;
        new FastZap.NextInvalidRoot(root, 9).exec(e, 0);
        assertThat(e.nextPc).as("from the head again: no root is scheduled, root 0 neither").isEqualTo(9);
        assertThat(s.sp(0).rootCount).isEqualTo(count0);
        assertThat(e.nextPc).as("none left").isEqualTo(9);
    }

    /** The one-step walks (aging, the unmap, the dirty-log ones) take the same order. */
    @Test
    void theOneStepWalksListTheRootsNewestFirst() {
        VmState s = threeRoots(VM).s;
        s.smmRoot = 2;
        assertThat(s.validRoots()).containsExactly(2, 0);
        s.smmRoot = -1;
        s.root = 2;
        s.smmRoot = 0;
        assertThat(s.validRoots()).containsExactly(2, 0);
        s.smmRoot = -1;
        assertThat(s.validRoots()).containsExactly(2);
        assertThat(s.liveRoots()).containsExactly(2, 1, 0);

        VmState shadow = threeRoots(Stepper.vm(Mmu.SHADOW, 2)).s;
        shadow.invalidRoots = new int[] {1};
        assertThat(shadow.liveRoots()).as("the legacy root, then the obsolete ones").containsExactly(shadow.root, 1);
    }
}
