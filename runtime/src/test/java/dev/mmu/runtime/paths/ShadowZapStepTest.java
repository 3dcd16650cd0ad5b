package dev.mmu.runtime.paths;

import static dev.mmu.runtime.paths.Stepper.HPAGE_GFN;
import static dev.mmu.runtime.paths.Stepper.HPAGE_GPA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The shadow MMU's two-phase zap (kernel-notes §5, §11 E), driven by a user-style path that calls
 * the primitives: __kvm_mmu_prepare_zap_page() unlinks the page and queues it on the caller's
 * invalid_list (role.invalid, no flush, no free); kvm_mmu_commit_zap_page() flushes, then frees;
 * kvm_mmu_remote_flush_or_zap(false) with an empty list does nothing.
 */
class ShadowZapStepTest {
    static final VmConfig VM = Stepper.vm(Mmu.SHADOW, 1);
    static final int RESULT = 0;

    /** The legacy L1 page under the NX-split region, found at run time. */
    static final Expr L1 = Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> Walk.to(s, s.root, HPAGE_GFN, 1).spId());

    static Stepper user(Consumer<PathBuilder> body) {
        return user(body, false);
    }

    /** With {@code metrics}, commit_batch and lock_hold_work are kept (an expectation reads them). */
    static Stepper user(Consumer<PathBuilder> body, boolean metrics) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.EXEC, Expr.constant(HPAGE_GPA));
        PathBuilder b = new PathBuilder();
        b.local("r");
        // kvm->srcu, as NX recovery holds it: prepare_zap's rmap_remove() looks the memslot up
        b.emit(new Ops.Acquire(LockId.srcu, Mode.READ));
        b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
        body.accept(b);
        b.emit(new Ops.Release(LockId.mmu_lock));
        b.emit(new Ops.Release(LockId.srcu));
        return new Stepper(new Program(VM, ThreadProgram.of("setup", -1, setup), java.util.List.of(ThreadProgram.of("zapper", -1, b)),
                metrics));
    }

    static Ops.Call call(String name, Expr... args) {
        return new Ops.Call(Primitives.get(name), args, RESULT);
    }

    /** Checks the setup and takes write_lock; returns the L1 page. */
    static ShadowPage lock(Stepper st) {
        ShadowPage l1 = st.tableAt(HPAGE_GFN, 1);
        assertThat(l1.tdp).as("legacy shadow page").isFalse();
        assertThat(st.s.lpageDisallowed).containsExactly(l1.id);
        assertThat(st.s.stat(Stat.pages_4k)).isEqualTo(1);
        assertThat(Tlbs.lookup(st.s, 0, HPAGE_GFN)).isNotNull();
        st.step(0, st.next(0)); // srcu_read_lock
        st.step(0, "write_lock(mmu_lock)");
        assertThat(st.s.mmuWriter).isEqualTo(0);
        return l1;
    }

    static void checkPrepared(Stepper st, ShadowPage l1) {
        ShadowPage p = st.s.sp(l1.id);
        assertThat(p).as("prepare_zap does not free").isNotNull();
        assertThat(p.invalid).as("role.invalid").isTrue();
        assertThat(p.status).isEqualTo(ShadowPage.UNLINKED);
        assertThat(p.usedCount()).as("kvm_mmu_page_unlink_children").isZero();
        assertThat(st.s.sp(l1.parent).spte(l1.parentIndex)).as("kvm_mmu_unlink_parents").isZero();
        assertThat(st.s.threads[0].invalidList).containsExactly(l1.id);
        assertThat(st.s.lpageDisallowed).as("unaccount_nx_huge_page").isEmpty();
        assertThat(st.s.stat(Stat.nx_lpage_splits)).isZero();
        assertThat(st.s.stat(Stat.pages_4k)).isZero();
        assertThat(st.s.stat(Stat.mmu_shadow_zapped)).isEqualTo(1);
        assertThat(st.s.stat(Stat.remote_tlb_flush)).as("no flush in prepare").isZero();
        assertThat(Tlbs.lookup(st.s, 0, HPAGE_GFN)).as("TLB still stale").isNotNull();
        assertThat(st.s.mmuWriter).isEqualTo(0);
    }

    static void checkCommitted(Stepper st, ShadowPage l1) {
        assertThat(st.s.stat(Stat.remote_tlb_flush)).isEqualTo(1);
        assertThat(st.s.tlb[0]).isEmpty();
        assertThat(st.s.sp(l1.id)).as("freed after the flush").isNull();
        assertThat(st.s.threads[0].invalidList).isEmpty();
        assertThat(st.s.mmuWriter).as("inside the same lock hold").isEqualTo(0);
    }

    @Test
    void prepareQueuesCommitFlushesThenFrees() {
        Stepper st = user(b -> {
            b.emit(call("prepare_zap", L1));
            b.emit(call("commit_zap"));
        });
        ShadowPage l1 = lock(st);
        st.step(0, "prepare_zap()");
        checkPrepared(st, l1);
        st.step(0, "commit_zap()");
        checkCommitted(st, l1);
        st.step(0, "release mmu_lock");
        st.step(0, st.next(0)); // srcu_read_unlock
        assertThat(st.done(0)).isTrue();
        assertThat(st.s.violations).isZero();
    }

    @Test
    void remoteFlushOrZapWithoutFlushAndEmptyListDoesNothing() {
        Stepper st = user(b -> b.emit(call("remote_flush_or_zap", Expr.constant(0))));
        lock(st);
        VmState before = st.s;
        st.s.threads[0].locals[RESULT] = 7; // the call must overwrite it with false
        st.step(0, "remote_flush_or_zap()");
        assertThat(st.s.threads[0].locals[RESULT]).isZero();
        assertThat(st.s.stats).isEqualTo(before.stats);
        assertThat(st.s.tlb).isDeepEqualTo(before.tlb);
        assertThat(st.liveTables()).isEqualTo(4);
        assertThat(Queries.spte(st.s, HPAGE_GPA, "present")).isEqualTo(1);
        st.step(0, "release mmu_lock");
        st.step(0, st.next(0)); // srcu_read_unlock
        assertThat(st.s.violations).isZero();
    }

    @Test
    void remoteFlushOrZapWithAPendingListCommitsIt() {
        Stepper st = user(b -> {
            b.emit(call("prepare_zap", L1));
            b.emit(call("remote_flush_or_zap", Expr.constant(0)));
        });
        ShadowPage l1 = lock(st);
        st.step(0, "prepare_zap()");
        checkPrepared(st, l1);
        st.step(0, "remote_flush_or_zap()");
        assertThat(st.s.threads[0].locals[RESULT]).isEqualTo(1);
        checkCommitted(st, l1);
        st.step(0, "release mmu_lock");
        st.step(0, st.next(0)); // srcu_read_unlock
        assertThat(st.s.violations).isZero();
    }

    @Test
    void unlockWithoutCommitIsCaught() {
        Stepper st = user(b -> b.emit(call("prepare_zap", L1)));
        ShadowPage l1 = lock(st);
        st.step(0, "prepare_zap()");
        checkPrepared(st, l1);
        st.step(0, "release mmu_lock");
        st.step(0, st.next(0)); // srcu_read_unlock
        assertThat(Invariant.stale_tlb_at_unlock.violatedIn(st.s)).isTrue();
        assertThat(st.done(0)).isTrue();
        assertThat(Invariant.page_table_leak.violatedIn(st.s)).as("thread ends with a non-empty invalid_list").isTrue();
    }

    /**
     * The prelude's kvm_mmu_commit_zap_page() (v7.2) page by page: list_for_each_entry_safe() over
     * invalid_list freeing each page with kvm_mmu_free_shadow_page(), every page once, in the
     * list's order (the walk reads the next entry before the body frees sp); its start records
     * commit_batch.
     */
    @Test
    void theInvalidListWalkFreesEachPageInOrder() {
        Stepper st = user(b -> {
            b.emit(call("prepare_zap", L1));
            freeEachQueued(b);
        }, true);
        ShadowPage l1 = lock(st);
        // a page queued before l1, by hand: the walk must free it first, then l1
        ShadowPage other = st.s.allocSp(1, 0x400, false);
        other.invalid = true;
        st.s.threads[0].invalidList = new int[] {other.id};
        java.util.List<Integer> freed = new java.util.ArrayList<>();
        while (!st.next(0).equals("release mmu_lock")) {
            boolean isFree = st.next(0).equals("kvm_mmu_free_shadow_page()");
            int[] before = st.s.threads[0].invalidList.clone();
            st.step(0, st.next(0));
            if (isFree) {
                assertThat(before).as("each free takes the list's head").isNotEmpty();
                assertThat(st.s.sp(before[0])).isNull();
                freed.add(before[0]);
            }
        }
        assertThat(freed).containsExactly(other.id, l1.id);
        assertThat(st.s.threads[0].invalidList).isEmpty();
        assertThat(st.s.commitBatch).as("two pages in one commit").isEqualTo(2);
        assertThat(st.s.violations).isZero();
    }

    /** A page freed twice is a use-after-free; a free outside mmu_lock held for write is lockdep. */
    @Test
    void kvmMmuFreeShadowPageChecksItsPageAndTheLock() {
        Stepper twice = user(b -> {
            b.local("saved");
            b.emit(call("prepare_zap", L1));
            b.emit(free(L1SAVED));
            b.emit(free(L1SAVED));
        });
        ShadowPage l1 = lock(twice);
        twice.s.threads[0].locals[SAVED] = l1.id;
        twice.step(0, "prepare_zap()");
        twice.step(0, "kvm_mmu_free_shadow_page()");
        assertThat(twice.s.violations).isZero();
        assertThat(twice.s.sp(l1.id)).isNull();
        assertThat(twice.s.threads[0].invalidList).isEmpty();
        twice.step(0, "kvm_mmu_free_shadow_page()");
        assertThat(Invariant.use_after_free.violatedIn(twice.s)).isTrue();
        assertThat(Invariant.lockdep.violatedIn(twice.s)).isFalse();

        Stepper unlocked = bare(b -> {
            b.local("saved");
            b.emit(new Ops.Acquire(LockId.srcu, Mode.READ));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(call("prepare_zap", L1));
            b.emit(new Ops.Release(LockId.mmu_lock));
            b.emit(free(L1SAVED));
        });
        unlocked.s.threads[0].locals[SAVED] = unlocked.tableAt(HPAGE_GFN, 1).id;
        for (int i = 0; i < 4; i++) unlocked.step(0, unlocked.next(0));
        assertThat(Invariant.lockdep.violatedIn(unlocked.s)).isFalse();
        unlocked.step(0, "kvm_mmu_free_shadow_page()");
        assertThat(Invariant.lockdep.violatedIn(unlocked.s)).isTrue();
        assertThat(Invariant.use_after_free.violatedIn(unlocked.s)).isFalse();
        assertThat(unlocked.s.threads[0].invalidList).as("the free still happens").isEmpty();
    }

    /**
     * A patch may free out of the list's order: the page leaves the list wherever it is, the others
     * stay in order. An empty list ends the walk at once, freeing nothing.
     */
    @Test
    void aFreeTakesThePageFromAnywhereInTheList() {
        Stepper st = user(b -> {
            b.emit(free(Expr.local(RESULT)));
            freeEachQueued(b);
        });
        lock(st);
        ShadowPage[] queued = new ShadowPage[3];
        for (int i = 0; i < 3; i++) {
            queued[i] = st.s.allocSp(1, 0x400 + 0x200L * i, false);
            queued[i].invalid = true;
        }
        st.s.threads[0].invalidList = new int[] {queued[0].id, queued[1].id, queued[2].id};
        st.s.threads[0].locals[RESULT] = queued[1].id;
        st.step(0, "kvm_mmu_free_shadow_page()");
        assertThat(st.s.threads[0].invalidList).containsExactly(queued[0].id, queued[2].id);
        assertThat(st.s.sp(queued[1].id)).isNull();
        while (!st.next(0).equals("release mmu_lock")) st.step(0, st.next(0));
        assertThat(st.s.sp(queued[0].id)).isNull();
        assertThat(st.s.sp(queued[2].id)).isNull();
        assertThat(st.s.violations).isZero();

        Stepper empty = user(b -> {
            freeEachQueued(b);
        });
        lock(empty);
        // first, the page of id 0 (a zapped root's last put queues the root): walked and freed like any
        Stepper root = user(b -> {
            freeEachQueued(b);
        });
        assertThat(root.s.sp(0)).isNotNull();
        root.s.spForWrite(0).invalid = true;
        root.s.threads[0].invalidList = new int[] {0}; // before the lock: the walk's head runs in its step
        lock(root);
        while (!root.next(0).equals("release mmu_lock")) root.step(0, root.next(0));
        assertThat(root.s.sp(0)).isNull();
        assertThat(root.s.threads[0].invalidList).isEmpty();
        assertThat(root.s.violations).isZero();

        int live = empty.liveTables();
        while (!empty.next(0).equals("release mmu_lock")) {
            assertThat(empty.next(0)).isNotEqualTo("kvm_mmu_free_shadow_page()");
            empty.step(0, empty.next(0));
        }
        assertThat(empty.liveTables()).isEqualTo(live);
        assertThat(empty.s.violations).isZero();
    }

    /** The locals of the walk below (after the result local). */
    static final int SP = 1;
    static final int NSP = 2;

    /** for sp in invalid_list { kvm_mmu_free_shadow_page(sp) }: the prelude's kvm_mmu_commit_zap_page() walk. */
    static void freeEachQueued(PathBuilder b) {
        b.local("sp");
        b.local("nsp");
        b.emit(new ShadowMmu.InvalidListHead(NSP));
        int top = b.here();
        int next = b.placeholder();
        b.emit(free(Expr.local(SP)));
        b.emit(new Ops.Jump(top));
        b.patch(next, new ShadowMmu.NextInvalid(SP, NSP, b.here()));
    }

    /** The local that keeps the L1 page's id from before the zap (the walk cannot find it after). */
    static final int SAVED = 1;
    static final Expr L1SAVED = Expr.local(SAVED);

    /** kvm_mmu_free_shadow_page(sp), returning nothing into any local. */
    static Ops.Call free(Expr sp) {
        return new Ops.Call(Primitives.get("kvm_mmu_free_shadow_page"), new Expr[] {sp}, -1);
    }

    /** A thread of its own locks: no srcu, mmu_lock taken and dropped where the body says. */
    static Stepper bare(Consumer<PathBuilder> body) {
        PathBuilder setup = new PathBuilder();
        FaultPaths.guestAccess(setup, VM, 0, Access.EXEC, Expr.constant(HPAGE_GPA));
        PathBuilder b = new PathBuilder();
        b.local("r");
        body.accept(b);
        return new Stepper(Stepper.program(VM, setup, ThreadProgram.of("zapper", -1, b)));
    }

    /** kvm_mmu_commit_zap_page() returns at once on an empty list: no lock needed (trial11). */
    @Test
    void aCommitOfAnEmptyListOutsideMmuLockIsNoViolation() {
        Stepper st = bare(b -> {
            b.emit(call("commit_zap"));
            b.emit(call("remote_flush_or_zap", Expr.constant(1)));
        });
        st.step(0, "commit_zap()");
        st.step(0, "remote_flush_or_zap()");
        assertThat(st.s.violations).isZero();
    }

    /** Freeing a queued page outside mmu_lock is recorded, and names the kernel function. */
    @Test
    void aCommitThatFreesOutsideMmuLockIsLockdep() {
        for (String commit : new String[] {"commit_zap", "remote_flush_or_zap"}) {
            Stepper st = bare(b -> {
                b.emit(new Ops.Acquire(LockId.srcu, Mode.READ));
                b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
                b.emit(call("prepare_zap", L1));
                b.emit(new Ops.Release(LockId.mmu_lock));
                b.emit(commit.equals("commit_zap") ? call(commit) : call(commit, Expr.constant(0)));
            });
            for (int i = 0; i < 4; i++) st.step(0, st.next(0));
            assertThat(Invariant.lockdep.violatedIn(st.s)).as(commit + ": the prepare under the locks").isFalse();
            st.step(0, commit + "()");
            assertThat(Invariant.lockdep.violatedIn(st.s)).as(commit).isTrue();
            assertThat(st.s.threads[0].invalidList).as(commit + ": the frees still happen").isEmpty();
        }
    }

    /** prepare_zap of a page with a leaf needs kvm->srcu or slots_lock (rmap_remove()'s memslot lookup). */
    @Test
    void aPrepareOfALeafPageNeedsSrcuOrSlotsLock() {
        for (LockId held : new LockId[] {null, LockId.srcu, LockId.slots_lock}) {
            Stepper st = bare(b -> {
                if (held != null) b.emit(new Ops.Acquire(held, held == LockId.srcu ? Mode.READ : Mode.WRITE));
                b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
                b.emit(call("prepare_zap", L1));
            });
            for (int i = 0; i < (held == null ? 1 : 2); i++) st.step(0, st.next(0));
            st.step(0, "prepare_zap()");
            assertThat(Invariant.lockdep.violatedIn(st.s)).as(String.valueOf(held)).isEqualTo(held == null);
        }
    }

    /** The L2 table above L1: its leaf is one level down. */
    static final Expr L2 = Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> Walk.to(s, s.root, HPAGE_GFN, 2).spId());

    /** The rule looks through tables to the leaves under them, and not into a page already zapped. */
    @Test
    void theSrcuRuleLooksForLeavesUnderThePage() {
        Stepper above = bare(b -> {
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(call("prepare_zap", L2));
        });
        above.step(0, above.next(0));
        above.step(0, "prepare_zap()");
        assertThat(Invariant.lockdep.violatedIn(above.s)).as("a leaf under the L1 table").isTrue();

        Stepper again = bare(b -> {
            b.emit(new Ops.Acquire(LockId.srcu, Mode.READ));
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.emit(call("prepare_zap", L1));
            b.emit(new Ops.Release(LockId.srcu));
            b.emit(call("prepare_zap", Expr.of(Footprint.reads(Resource.SPTE), (s, t) -> s.threads[0].invalidList[0])));
        });
        for (int i = 0; i < 4; i++) again.step(0, again.next(0));
        again.step(0, "prepare_zap()");
        assertThat(Invariant.lockdep.violatedIn(again.s)).as("a page already zapped has no leaf left").isFalse();
    }
}
