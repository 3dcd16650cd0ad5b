package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.Stepper.HPAGE_GPA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Dependencies.Expansion;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A thread's invalid_list is its own (LIST_HEAD on the caller's stack, v7.2 mmu.c): its owner's
 * reads of it are thread-local, while what other threads see of a queued page, its SPTEs and
 * role.invalid, stays shared, and so does every thread's list as the page_table_leak check and an
 * expectation read them all ({@link ShadowMmu}).
 */
class OwnInvalidListTest {
    static final Expr L1 = ShadowZapStepTest.L1;

    /** The owner's list_empty(), the walk's head and each of its passes read no resource. */
    @Test
    void theOwnersReadsOfItsListAreThreadLocal() {
        assertThat(Queries.OWN_INVALID_LIST_LEN.footprint()).isEqualTo(Footprint.LOCAL);
        assertThat(new ShadowMmu.NextInvalid(1, 2, 9).footprint()).isEqualTo(Footprint.LOCAL);
        Footprint head = new ShadowMmu.InvalidListHead(2).footprint();
        assertThat(Resource.in(head.reads())).as("only commit_batch").containsExactly(Resource.METRICS);
        assertThat(Resource.in(head.writes())).containsExactly(Resource.METRICS);
    }

    /**
     * Queueing and freeing write the pages' shared state and every thread's lists as a whole; the
     * leak check and an expectation's sum read them all. Fails if the whole list, or the pages,
     * were taken as thread-local.
     */
    @Test
    void thePagesAndEveryThreadsListsStayShared() {
        for (String p : List.of("prepare_zap", "kvm_mmu_free_shadow_page", "commit_zap", "remote_flush_or_zap",
                "mmu_free_root_page")) {
            assertThat(Resource.in(Primitives.get(p).footprint().writes())).as(p)
                    .contains(Resource.SPTE, Resource.INVALID_LIST);
        }
        assertThat(Resource.in(TdpMmu.SET_SPTE.writes())).as("a TDP op that meets a legacy table queues it")
                .contains(Resource.SPTE, Resource.INVALID_LIST);
        assertThat(Resource.in(Queries.EVERY_INVALID_LIST_LEN.footprint().reads())).containsExactly(Resource.INVALID_LIST);
        assertThat(Resource.in(Invariants.reads(Invariant.page_table_leak).reads()))
                .contains(Resource.SPTE, Resource.INVALID_LIST);
    }

    /** The values: the owner's length, and the sum over every thread in an expectation (thread -1). */
    @Test
    void theOwnLengthIsTheThreadsAndTheExpectationsIsTheSum() {
        VmState s = new Stepper(program(-1L, thread("a", new Ops.Note("a")), thread("b", new Ops.Note("b")))).s;
        s.threadForWrite(0).invalidList = new int[] {3, 4};
        s.threadForWrite(1).invalidList = new int[] {5};
        assertThat(Queries.OWN_INVALID_LIST_LEN.eval(s, 0)).isEqualTo(2);
        assertThat(Queries.OWN_INVALID_LIST_LEN.eval(s, 1)).isEqualTo(1);
        assertThat(Queries.EVERY_INVALID_LIST_LEN.eval(s, -1)).isEqualTo(3);
    }

    /**
     * Partial-order reduction: one thread's walk head commutes with another's prepare_zap (which
     * writes that other thread's list), but a free of a page does not (both write the pages), and
     * with an expectation over every list the queueing step is visible.
     */
    @Test
    void theWalkCommutesWithAnotherThreadsQueueingButNotWithItsPages() {
        // the walk's head and list_empty(), which can reach nothing shared after them (the whole walk
        // could reach a free: its step would put that out of reach of the queuer's merging decisions)
        ThreadProgram walker = thread("owner", new ShadowMmu.InvalidListHead(NSP),
                new Ops.JumpUnless(Queries.OWN_INVALID_LIST_LEN, 3, "if (!list_empty(invalid_list))"),
                new Ops.Note("not empty"), new Ops.Note("end"));
        ThreadProgram queuer = thread("queuer", new Ops.Acquire(LockId.srcu, Mode.READ),
                new Ops.Acquire(LockId.mmu_lock, Mode.WRITE), ShadowZapStepTest.call("prepare_zap", L1),
                ShadowZapStepTest.call("commit_zap"), new Ops.Release(LockId.mmu_lock), new Ops.Release(LockId.srcu));
        Expansion<VmState> x = IndependenceTest.expand(new Stepper(program(0, walker, queuer)));
        VmState queued = x.transitions().stream().filter(tr -> tr.thread() == 1).findFirst().orElseThrow().target();
        assertThat(queued.stat(Stat.mmu_shadow_zapped)).as("the queuer's step runs its prepare_zap").isPositive();
        assertThat(queued.violations).isZero();
        assertThat(x.independent(0, 1)).as("the walk reads its own list only").isTrue();
        assertThat(x.visible(1)).as("no expectation reads the lists").isFalse();

        Expansion<VmState> summed = IndependenceTest.expand(atPrepare(program(Resource.INVALID_LIST.bit(), walker, queuer)));
        assertThat(summed.visible(1)).as("an expectation's invalid_list.len sees the queueing").isTrue();

        ThreadProgram freer = thread("freer", ShadowZapStepTest.call("kvm_mmu_free_shadow_page", L1), new Ops.Note("end"));
        Expansion<VmState> pages = IndependenceTest.expand(new Stepper(program(0, freer, queuer)));
        assertThat(pages.independent(0, 1)).as("both write the page's shared state").isFalse();
    }

    /** Another thread's list changes neither what the walk reads nor is it written by the walk's free. */
    @Test
    void theWalkAndItsFreeTouchTheirOwnThreadsListOnly() {
        Stepper st = new Stepper(program(0, walker(), thread("other", new Ops.Note("other"))));
        ShadowPage mine = st.s.allocSp(1, 0x400, false);
        mine.invalid = true;
        ShadowPage theirs = st.s.allocSp(1, 0x600, false);
        theirs.invalid = true;
        st.s.threadForWrite(0).invalidList = new int[] {mine.id};
        st.s.threadForWrite(1).invalidList = new int[] {theirs.id, mine.id};
        while (!st.done(0)) st.step(0, st.next(0));
        assertThat(st.s.threads[0].invalidList).isEmpty();
        assertThat(st.s.sp(mine.id)).as("freed").isNull();
        assertThat(st.s.threads[1].invalidList).as("the other thread's list").containsExactly(theirs.id, mine.id);
    }

    /** The queuer (thread 1) stepped up to its prepare_zap, under srcu and mmu_lock for write (a visible op is a step). */
    static Stepper atPrepare(Program p) {
        Stepper st = new Stepper(p);
        while (!st.next(1).equals("prepare_zap()")) st.step(1, st.next(1));
        assertThat(st.s.violations).isZero();
        return st;
    }

    static final int SP = 1;
    static final int NSP = 2;

    /** for sp in invalid_list { kvm_mmu_free_shadow_page(sp) }, on its own (no lock: lockdep, which nothing here reads). */
    static ThreadProgram walker() {
        PathBuilder b = new PathBuilder();
        b.local("r");
        b.local("sp");
        b.local("nsp");
        b.emit(new ShadowMmu.InvalidListHead(NSP));
        int top = b.here();
        int next = b.placeholder();
        b.emit(ShadowZapStepTest.call("kvm_mmu_free_shadow_page", Expr.local(SP)));
        b.emit(new Ops.Jump(top));
        b.patch(next, new ShadowMmu.NextInvalid(SP, NSP, b.here()));
        b.emit(new Ops.Note("end"));
        return ThreadProgram.of("walker", -1, b);
    }

    static ThreadProgram thread(String name, Op... ops) {
        PathBuilder b = new PathBuilder();
        b.local("r");
        b.local("sp");
        b.local("nsp");
        for (Op op : ops) b.emit(op);
        return ThreadProgram.of(name, -1, b);
    }

    /** The shadow VM with the NX-split region mapped (ShadowZapStepTest's), and expectations reading expectationReads. */
    static Program program(long expectationReads, ThreadProgram... threads) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, ShadowZapStepTest.VM, 0, Access.EXEC, Expr.constant(HPAGE_GPA));
        return new Program(ShadowZapStepTest.VM, ThreadProgram.of("setup", -1, setup), List.of(threads), false,
                EnumSet.allOf(Stat.class), 0, expectationReads);
    }
}
