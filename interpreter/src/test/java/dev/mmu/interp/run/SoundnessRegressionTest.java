package dev.mmu.interp.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.diag.Severity;
import dev.mmu.interp.run.ScenarioResult.Status;
import dev.mmu.runtime.explore.Verdict;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Scenarios that passed wrongly (issue 11): each must fail, as it does when explored op by op
 * without any reduction; and a reduction asked for but not applied is reported, not silent.
 */
class SoundnessRegressionTest {
    private static final Path DIR = Path.of("src/test/resources/soundness");

    /** A TLB read was merged into a step under mmu_lock, though guest accesses fill TLBs without it. */
    @Test
    void aTlbReadIsNotMergedIntoAStepUnderMmuLock() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("merged-tlb-read.mmu"));
        assertThat(r.scenarios()).hasSize(2).allSatisfy(s -> assertThat(s.status()).as(s.name()).isEqualTo(Status.FAIL));
    }

    /**
     * A call on the right of && or || runs only when the left operand does not decide, as in C: the
     * call was hoisted before the test, so `can_yield && tdp_mmu_iter_cond_resched(flush)` yielded
     * (and flushed) with can_yield false at run time. The last two scenarios, where the call runs,
     * show the yield's flush is what the expectation sees.
     */
    @Test
    void aCallRightOfAndOrOrRunsOnlyWhenTheLeftOperandDoesNotDecide() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("short-circuit-call.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status)
                .containsExactly(Status.PASS, Status.PASS, Status.FAIL, Status.FAIL);
    }

    /**
     * A user's for_each_tdp_pte() outside rcu_read_lock() is suspicious RCU usage (its SPTE reads
     * are rcu_dereference()s), mmu_lock held or not: trial17's copy of tdp_mmu_zap_leafs() without
     * it passed. Not on 5.10 (no RCU in its iterator), not inside rcu_read_lock().
     */
    @Test
    void aTdpPteWalkOutsideRcuReadLockIsLockdep() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("tdp-pte-without-rcu.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status)
                .containsExactly(Status.FAIL, Status.FAIL, Status.PASS, Status.PASS);
        assertThat(r.scenarios().get(0).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never lockdep: FAIL");
        assertThat(String.join("\n", r.scenarios().get(0).outcomes().get(0).steps().stream()
                .map(ScenarioResult.Step::text).toList()))
                .contains("for_each_tdp_pte() needs rcu_read_lock() (CONFIG_PROVE_RCU");
    }

    /**
     * Patch trial 18: a silent loop that never ends (a cmpxchg retried against a stale value, once no
     * other thread can change the SPTE) stops after MAX_SILENT_RUN ops; it rested where the count ran
     * out, so a no-op `let` in the loop changed the states (884 -> 896) and the lasso. Now it rests
     * where its step started, whatever the loop's length.
     */
    @Test
    void aNoOpInASilentLoopChangesNeitherStatesNorTheLasso() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("silent-loop-rests-where-it-started.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.PASS);
        ScenarioResult plain = r.scenarios().get(0);
        ScenarioResult noOp = r.scenarios().get(1);
        assertThat(noOp.stats().statesStored()).isEqualTo(plain.stats().statesStored());
        assertThat(noOp.stats().transitions()).isEqualTo(plain.stats().transitions());
        assertThat(noOp.outcomes().get(0).schedule()).isEqualTo(plain.outcomes().get(0).schedule());
        assertThat(noOp.outcomes().get(0).cycleStart()).isEqualTo(plain.outcomes().get(0).cycleStart());
    }

    /**
     * Patch trial 17: undoing 386d69f9f29b (the early RET_PF_SPURIOUS) passed, as the model's host
     * promoted every read fault to a writable page. With gup_fast_may_fail a read fault may get its
     * page read-only and rebuild the writer's leaf read-only: the WARN at tdp_mmu.c:1153, as the
     * kernel splats (bugzilla 219588). The prelude holds; 6.12 leaves a stale writable translation.
     */
    @Test
    void aReadFaultMappedReadOnlyOverAWritableLeafWarnsWithoutTheEarlyReturn() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial17-spurious-return-dropped.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status)
                .containsExactly(Status.FAIL, Status.PASS, Status.FAIL);
        assertThat(r.scenarios().get(0).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never kernel_warning: FAIL", "never stale_tlb_at_unlock: PASS");
        assertThat(String.join("\n", r.scenarios().get(0).outcomes().get(0).steps().stream()
                .map(ScenarioResult.Step::text).toList()))
                .contains("map_writable false", "leaf_spte_change_needs_tlb_flush(iter.old_spte, new_spte)");
        assertThat(r.scenarios().get(2).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never kernel_warning: PASS", "never stale_tlb_at_unlock: FAIL");
    }

    /**
     * An atomic block is a step of its own: whether its opening may join the step before it (or run
     * before the race starts) is decided on the whole block's footprint, not on the opening note's.
     */
    @Test
    void anAtomicBlockIsAStepOfItsOwn() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("atomic-block-merged.mmu"));
        assertThat(r.scenarios()).hasSize(2).allSatisfy(s -> assertThat(s.status()).as(s.name()).isEqualTo(Status.PASS));
    }

    /**
     * An op that must wait inside atomic { } ends the step before it: an acquire of a lock another
     * thread holds re-queued itself inside one step until the budget (UNKNOWN), and
     * synchronize_srcu() returned with a reader left (a false FAIL).
     */
    @Test
    void anAtomicBlockWaitsForALockOrForSrcuReaders() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("atomic-block-waits.mmu"));
        assertThat(r.scenarios()).hasSize(5).allSatisfy(s -> assertThat(s.status()).as(s.name()).isEqualTo(Status.PASS));
    }

    /**
     * for_each_tdp_mmu_root_yield_safe() holds a reference on the root its body runs on, so a copy
     * of kvm_tdp_mmu_zap_invalidated_roots() that puts the TDP MMU's reference before the zap still
     * zaps a live root, and one without the put goes on to the next root (trial7).
     */
    @Test
    void theInvalidatedRootsWalkHoldsAReferenceOnEachRoot() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("invalidated-roots-iterator-reference.mmu"));
        assertThat(r.scenarios()).hasSize(2).allSatisfy(s -> assertThat(s.status()).as(s.name()).isEqualTo(Status.PASS));
    }

    /**
     * A root reference nobody puts is a page_table_leak once every thread has ended: the copy of
     * kvm_tdp_mmu_zap_invalidated_roots() without its put passed (trial7), as the kernel leaks the
     * root (kvm_mmu_uninit_tdp_mmu()'s WARN_ON(!list_empty(&kvm->arch.tdp_mmu_roots))).
     */
    @Test
    void aRootReferenceNeverPutIsAPageTableLeak() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("root-reference-never-put.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.FAIL, Status.PASS);
        assertThat(r.scenarios().get(0).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never page_table_leak: FAIL", "terminates: PASS");
    }

    /** The root zap's and the TDP fault's walks read SPTEs with rcu_dereference(): without rcu_read_lock() each is a lockdep splat (trial7). */
    @Test
    void theRootZapNeedsRcuReadLock() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("root-zap-needs-rcu.mmu"));
        assertThat(r.scenarios()).hasSize(2).allSatisfy(s -> {
            assertThat(s.status()).as(s.name()).isEqualTo(Status.FAIL);
            assertThat(s.outcomes()).extracting(ScenarioResult.OutcomeResult::text)
                    .containsExactly("never use_after_free", "never lockdep");
        });
        assertThat(dev.mmu.runtime.paths.Primitives.get("__tdp_mmu_zap_root").lockdep().describe())
                .isEqualTo("mmu_lock held and rcu_read_lock()");
    }

    /**
     * kvm_zap_gfn_range() of a range that ends inside a memslot (mmu both): the prelude's memslot
     * loop went on from the range's end, found the same slot and walked its rmaps forever under
     * mmu_lock, so nothing after it (the TDP MMU's zap, the flush, the unlock) was explored (trial8).
     */
    @Test
    void theZapOfARangeInsideASlotGoesOnToTheTdpMmu() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("zap-gfn-range-inside-a-slot.mmu"));
        assertThat(r.scenarios()).hasSize(2).allSatisfy(s -> assertThat(s.status()).as(s.name()).isEqualTo(Status.PASS));
    }

    /**
     * mmu shadow's legacy leaves are in rmaps (v7.2 kvm_memslots_have_rmaps()): the prelude's
     * kvm_zap_gfn_range() left them mapped (its rmap walk ran with mmu both only), and the dirty-log
     * walks took a one-step TDP MMU walk with no rmap yields, which also cleared huge leaves' D bit.
     */
    @Test
    void theRmapWalksRunOnMmuShadow() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("shadow-rmap-walks.mmu"));
        assertThat(r.scenarios()).hasSize(6).allSatisfy(s -> assertThat(s.status()).as(s.name()).isEqualTo(Status.PASS));
    }

    /**
     * Eager page splitting keeps the huge SPTE's A/D bits in its children (make_small_spte()). The
     * model's split dropped them, so with PML a write through a split child set D and was logged,
     * and a kvm_mmu_slot_apply_flags() without kvm_mmu_slot_leaf_clear_dirty() passed (trial9).
     */
    @Test
    void aSplitChildKeepsTheHugeSptesDirtyBit() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("pml-split-keeps-dirty.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.FAIL, Status.PASS);
    }

    /**
     * kvm_clear_dirty_log_protect()'s __kvm_memslots() is an srcu_dereference_check() that accepts
     * slots_lock: a copy of clear_dirty_log without slots_lock passed (trial9); now lockdep.
     */
    @Test
    void clearDirtyLogNeedsSlotsLockOrSrcu() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("clear-dirty-log-needs-slots-lock.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.FAIL, Status.PASS);
    }

    /**
     * A dirty-log ioctl's window ends when it returns (slots_lock's release), not at its first
     * flush: a copy of kvm_mmu_slot_apply_flags() with an extra flush before the write-protection
     * was a false dirty_log_lost (trial9); without the write-protection's flush it still fails.
     */
    @Test
    void aDirtyLogWindowEndsWhenTheIoctlReturns() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("enable-extra-early-flush.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.FAIL);
    }

    /**
     * Trial 10: a copy of vcpu_enter_guest() that frees obsolete roots after kvm_mmu_reload()
     * enters the guest without a root (it passed: the handling ran again for a vCPU without one),
     * and a kvm_mmu_reload() without its root.hpa check takes a reference at each entry (it
     * passed: the handling ran only for a vCPU with a request or no root). The copy passes.
     */
    @Test
    void aPastedRootHandlingRunsAtEachEntryAndTheGuestEntersOnTheRootItLeft() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial10-vm-entry.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.FAIL, Status.FAIL, Status.PASS);
        assertThat(r.scenarios().get(0).outcomes().get(0).verdict()).isEqualTo(Verdict.FAIL);
        assertThat(r.scenarios().get(1).outcomes().get(0).verdict()).isEqualTo(Verdict.FAIL);
    }

    /**
     * Trial 14: an invalidate_range_end() that ends twice leaves mmu_invalidate_in_progress at -1;
     * the kernel's non-zero test keeps the fault retrying (and KVM_BUG_ON()s the VM), the model's
     * "> 0" let it map.
     */
    @Test
    void anEndTooManyKeepsTheRangesFaultsRetrying() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial14-invalidate-end-twice.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.FAIL);
        assertThat(r.scenarios().get(1).outcomes()).extracting(o -> o.verdict())
                .containsExactly(Verdict.PASS, Verdict.PASS, Verdict.PASS, Verdict.PASS, Verdict.PASS, Verdict.FAIL);
    }

    /**
     * Trial 15: a huge page recovery while the slot still logs dirty pages (dirty_log_disable with
     * the flags change after kvm_mmu_slot_apply_flags()) is recover_huge_pages_range()'s
     * WARN_ON_ONCE(kvm_slot_dirty_track_enabled(slot)); the model recovered nothing and passed.
     */
    @Test
    void aRecoveryWhileTheSlotLogsDirtyPagesWarns() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial15-recover-while-logging.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.PASS);
    }

    /**
     * Trial 15: a copy of the OOM reaper's non-blockable _start passing .may_block = true yields in
     * its zap, where the kernel's __might_resched() splats (the mm wraps the callback in
     * non_block_start()); the model had no such notion and passed. A yield of the TDP zap, of the
     * rmap walk, and a mutex_lock() there now report kernel_warning; the prelude's, and a blockable
     * start that yields, stay silent.
     */
    @Test
    void aSleepInANonBlockableInvalidationSplats() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial15-nonblock-may-block.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status)
                .containsExactly(Status.PASS, Status.PASS, Status.PASS, Status.FAIL, Status.FAIL, Status.FAIL);
        List<String> sleeps = List.of("tdp_mmu_iter_cond_resched() -> cond_resched_rwlock_write",
                "kvm_handle_hva_range(): cond_resched_rwlock_write", "mutex_lock(&kvm->slots_lock)");
        for (int i = 0; i < 3; i++) {
            String sleep = sleeps.get(i);
            assertThat(r.scenarios().get(3 + i).outcomes()).anySatisfy(o -> {
                assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
                assertThat(o.text()).contains("kernel_warning");
                assertThat(String.valueOf(o.steps())).contains("BUG: sleeping function called from invalid context")
                        .contains(sleep).contains("of 0x0..0x200000");
            });
        }
    }

    /**
     * Trial 16: a walk the compiler expands checked mmu_lock only where it stored an SPTE, so one
     * that found nothing to change under the wrong lock (or none) passed. Each asserts its kernel
     * function's lock on entry now; the prelude's zap under write_lock() stays silent.
     */
    @Test
    void anExpandedWalkAssertsItsLockOnEntry() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial16-expanded-lockdep.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status)
                .containsExactly(Status.PASS, Status.FAIL, Status.FAIL, Status.FAIL, Status.FAIL);
        List<String> reports = List.of("zap_gfn_range() needs mmu_lock held for write", "wrprot_gfn_range() needs mmu_lock held",
                "recover_huge_pages_range() needs mmu_lock held for read", "tdp_mmu_split_huge_pages_root() needs mmu_lock held");
        for (int i = 0; i < reports.size(); i++) {
            String report = reports.get(i);
            assertThat(r.scenarios().get(1 + i).outcomes()).anySatisfy(o -> {
                assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
                assertThat(o.text()).contains("lockdep");
                assertThat(String.valueOf(o.steps())).contains("lockdep: " + report);
            });
        }
    }

    /**
     * User trial wrprot2: a pasted caller's rcu_read_lock() around a walk ended at the walk's own
     * rcu_read_unlock() (lock_balance at the caller's, no lockdep at a yield inside it); RCU read
     * sections nest now, and a walk that sleeps inside the caller's is rcu_sleep_check()'s lockdep.
     * The split took its lock mode from the path's lock statement; now from `shared`, asserting it
     * as kvm_lockdep_assert_mmu_lock_held(kvm, shared) does (tdp_mmu.c:1604, v7.2).
     */
    @Test
    void rcuSectionsNestAndTheSplitAssertsTheModeSharedNames() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("wrprot2-rcu-shared.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsOnly(Status.PASS).hasSize(7);
        assertThat(r.scenarios().get(1).outcomes()).anySatisfy(o -> assertThat(String.valueOf(o.steps()))
                .contains("Illegal context switch in RCU read-side critical section"));
        assertThat(r.scenarios().get(3).outcomes()).anySatisfy(o -> assertThat(String.valueOf(o.steps()))
                .contains("paste the caller"));
        assertThat(r.scenarios().get(4).outcomes()).anySatisfy(o -> assertThat(String.valueOf(o.steps()))
                .contains("needs mmu_lock held for write"));
    }

    /**
     * The walks the compiler expands in Java yield (and the eager split drops mmu_lock to allocate):
     * inside a non-blockable invalidate_range_start() that is __might_resched()'s splat, as a
     * user loop's yield is; the same walk in the blockable start is silent.
     */
    @Test
    void aJavaWalkThatSleepsInANonBlockableInvalidationSplats() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial16-nonblock-walks.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status)
                .containsExactly(Status.PASS, Status.FAIL, Status.FAIL, Status.FAIL);
        List<String> sleeps = List.of("wrprot_gfn_range() -> tdp_mmu_iter_cond_resched() -> cond_resched_rwlock_read",
                "recover_huge_pages_range() -> tdp_mmu_iter_cond_resched() -> cond_resched_rwlock_read",
                "tdp_mmu_split_huge_pages_root() -> tdp_mmu_alloc_sp_for_split() -> kmem_cache_zalloc(GFP_KERNEL_ACCOUNT)");
        for (int i = 0; i < sleeps.size(); i++) {
            String sleep = sleeps.get(i);
            assertThat(r.scenarios().get(1 + i).outcomes()).anySatisfy(o -> {
                assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
                assertThat(o.text()).contains("kernel_warning");
                assertThat(String.valueOf(o.steps())).contains("BUG: sleeping function called from invalid context")
                        .contains(sleep);
            });
        }
    }

    /**
     * Trial 15: a host path that calls the notifier's _start and never its _end (or an _end
     * without kvm_mmu_invalidate_end()) passed unless the scenario said `expect terminates`. The
     * thread now ends inside the invalidation it began: lock_balance, always on.
     */
    @Test
    void aThreadThatEndsInsideItsInvalidationBreaksLockBalance() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial15-start-without-end.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.FAIL, Status.FAIL);
        for (ScenarioResult s : r.scenarios().subList(1, 3)) {
            assertThat(s.outcomes()).anySatisfy(o -> {
                assertThat(o.verdict()).isEqualTo(Verdict.FAIL);
                assertThat(o.text()).contains("lock_balance");
                assertThat(String.valueOf(o.steps())).contains("thread ends inside the invalidation");
            });
        }
    }

    /**
     * Trial 14's known gap: kvm_tdp_mmu_map() as the kernel has it, the re-check and track under
     * tdp_mmu_pages_lock with no atomic block, failed accounted_after_zap against v6.12's collapse,
     * whose step unlinked the table between the two: tdp_mmu_unlink_sp() spins on that lock. The
     * step now waits (PagesLockWait); the pre-v6.2 track without the re-check still fails, and a zap
     * under the lock its own thread holds never returns.
     */
    @Test
    void aZapThatUnlinksAnNxTableWaitsForTdpMmuPagesLock() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("pages-lock-unlink-waits.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.PASS, Status.PASS);
    }

    /**
     * Trial 14: kvm_tdp_mmu_map() without is_frozen_spte() cmpxchg'd a table over the SPTE v6.12's
     * collapse had frozen; the model's un-freeze wrote only a still-frozen SPTE, so the edit passed.
     * The kernel's __kvm_tdp_mmu_write_spte() writes regardless and the linked table is lost.
     */
    @Test
    void aWriteOverAFrozenSpteIsLostWhenTheZapUnfreezesIt() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial14-tdp-map-frozen.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.FAIL);
        // and the cmpxchg against FROZEN_SPTE fires __tdp_mmu_set_spte_atomic()'s WARN (frozen branch)
        assertThat(r.scenarios().get(1).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never lost_spte_update: FAIL", "never kernel_warning: FAIL");
    }

    /**
     * kvm_tdp_mmu_map() without is_frozen_spte() under v7.2: the walk read every present table down
     * to the SPTE the body acts on in one step, so a read-lock removal (here the in-place huge page
     * recovery) never froze a table the fault stood in, and the patch passed. A step down now ends
     * the walk's op; the fault reads FROZEN_SPTE, and its cmpxchg over it fires the WARN_ON_ONCE of
     * __tdp_mmu_set_spte_atomic() (tdp_mmu.c:603) and counts a leaf no live table holds.
     */
    @Test
    void aRemovalBetweenTwoLevelsOfTheFaultWalkFreezesTheTableItEntered() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("frozen-walk-7.2.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.FAIL);
        assertThat(r.scenarios().get(1).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never kernel_warning: FAIL", "never stats_consistent: FAIL",
                        "never page_table_leak: PASS", "never freed_page_table_walk: PASS");
    }

    /**
     * Trial 14: the model allocated kvm_tdp_mmu_map()'s sp only when tdp_mmu_link_sp() succeeded, so a
     * copy without tdp_mmu_free_unused_sp(sp), or one that ignored the failure, passed; the kernel
     * leaks sp. A failed link now leaves sp to the thread until the free; freeing after a successful
     * link frees the table just installed.
     */
    @Test
    void aFailedLinksSpIsFreedOrLeaked() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("link-fail-frees-sp.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status)
                .containsExactly(Status.PASS, Status.FAIL, Status.FAIL, Status.FAIL);
        for (int i = 1; i < 3; i++) {
            assertThat(r.scenarios().get(i).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                    .containsExactly("never page_table_leak: FAIL", "never freed_page_table_walk: PASS");
        }
        assertThat(r.scenarios().get(3).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never page_table_leak: PASS", "never freed_page_table_walk: FAIL");
    }

    /**
     * Trial 13: a copy of kvm_flush_remote_tlbs() with its flush dropped passed a memslot delete with
     * the unedited copy's count, silently: the delete's flush was a primitive's, so the copy never
     * ran. The prelude's kvm_mmu_zap_memslot() now flushes through kvm_mmu_remote_flush_or_zap(), as
     * v7.2 does, so the delete runs the copy (stale_tlb_at_unlock), as the notifier does
     * (use_after_free); a pasted prelude path that nothing the scenario runs calls is a warning at
     * its name.
     */
    @Test
    void aPastedPathThatNothingRunsIsAWarning() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial13-unrun-paste.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.PASS, Status.PASS);
        assertThat(r.diagnostics()).singleElement().satisfies(d -> {
            assertThat(d.severity()).isEqualTo(Severity.WARNING);
            assertThat(d.pos().line()).isEqualTo(53);
            assertThat(d.message()).isEqualTo("path 'kvm_flush_remote_tlbs' replaces the prelude's, but nothing this"
                    + " scenario runs calls it: the edit is not checked (the prelude calls it from kvm_handle_hva_range,"
                    + " kvm_mmu_commit_zap_page, kvm_mmu_remote_flush_or_zap; the model's other"
                    + " callers' work is inside primitives)");
        });
    }

    /**
     * Trial 13: direct_map() without its break after mmu_set_spte() crashed the model ("no leaf at
     * level 0": the 4K leaf split as if huge). At 4K the kernel's kvm_mmu_get_child_sp() answers
     * -EEXIST and the walk ends (PASS); below a 2M goal_level it would link a page of role.level 0,
     * which the model now reports as a located error.
     */
    @Test
    void aDirectMapWithoutItsBreakEndsAtTheLeafOrSaysWhyNot() {
        FileResult small = new ScenarioRunner().runFile(DIR.resolve("trial13-direct-map-no-break.mmu"));
        assertThat(small.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS);
        FileResult huge = new ScenarioRunner().runFile(DIR.resolve("trial13-direct-map-no-break-huge.mmu"));
        assertThat(huge.scenarios()).isEmpty();
        assertThat(huge.diagnostics()).singleElement().satisfies(d -> {
            assertThat(d.severity()).isEqualTo(Severity.ERROR);
            assertThat(d.message()).isEqualTo("scenario \"a 2M fault without the break\" cannot run: link_shadow_page() at a"
                    + " 4K SPTE: kvm_mmu_get_child_sp() would make a shadow page of role.level 0 and the guest would map"
                    + " it as memory");
            // at the call that cannot run, not at the scenario's first line
            assertThat(d.pos().line() + ":" + d.pos().column()).isEqualTo("16:7");
        });
    }

    /**
     * Memslot struct generations are kept mod 4 (Memslots.GENS): four flag updates without
     * synchronize_srcu() while a fault held fault->slot gave the new struct the freed one's number,
     * and the fault's read passed. The swap now marks the fault's snapshot STALE; a wrap onto a struct
     * only retired (no free between) is a located error, never a silent PASS.
     */
    @Test
    void aFaultThatHoldsItsMemslotAcrossAGenerationWrapStillReadsFreedMemory() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("memslot-generation-wrap.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.PASS, Status.PASS);
        FileResult leak = new ScenarioRunner().runFile(DIR.resolve("memslot-generation-wrap-leak.mmu"));
        assertThat(leak.scenarios()).isEmpty();
        assertThat(leak.diagnostics()).singleElement().satisfies(d -> {
            assertThat(d.severity()).isEqualTo(Severity.ERROR);
            assertThat(d.message()).isEqualTo("scenario \"four swaps without a free while a fault holds fault->slot\" cannot run:"
                    + " thread vcpu 0 holds the struct kvm_memory_slot of slot id 0 that 4 swaps replaced with no free between;"
                    + " the model tells only 4 of a slot's structs apart (Memslots.GENS)");
            assertThat(d.pos().line() + ":" + d.pos().column()).isEqualTo("12:7"); // the swap that wraps
        });
    }

    /**
     * Trial 10: a memslot move without slots_lock passed (kvm_set_memory_region() asserts it), and
     * one whose KVM_MEMSLOT_INVALID swap does not wait for SRCU readers crashed the model: the
     * fault re-read its slot by gfn after the move instead of keeping fault->slot.
     */
    @Test
    void aMemslotSwapNeedsSlotsLockAndAFaultKeepsItsSlot() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial10-memslot-move.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.FAIL, Status.FAIL);
        assertThat(r.scenarios()).allSatisfy(s -> assertThat(s.outcomes()).singleElement()
                .satisfies(o -> assertThat(o.verdict()).isEqualTo(Verdict.FAIL)));
    }

    /**
     * kvm_mmu_reset_context() without kvm_mmu_unload(): a vCPU entering SMM keeps its address-space-0
     * root. It passed while address space 1 had address space 0's memslots (trial10); with SMRAM
     * (kvm_set_smram_region) the vCPU reads guest RAM where address space 1 maps SMRAM.
     */
    @Test
    void aVcpuEnteringSmmOnItsAddressSpace0RootReachesTheWrongPage() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial10-smm-reset-context.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.FAIL, Status.PASS);
    }

    /**
     * kvm_mmu_load() without flush_tlb_current(): the TDP MMU frees a root without a flush and the
     * new root may take its page, the EPTP its entries are tagged with. The model emptied the TLB
     * when the vCPU put its root, so the copy passed; the legacy MMU flushes before it frees a root.
     */
    @Test
    void aNewRootOnAFreedRootsPageNeedsTheLoadsFlush() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("mmu-load-needs-flush.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status)
                .containsExactly(Status.FAIL, Status.PASS, Status.PASS, Status.PASS);
        assertThat(r.scenarios().get(0).outcomes()).extracting(o -> o.text() + ": " + o.verdict())
                .containsExactly("never stale_tlb_at_unlock: FAIL", "never use_after_free: FAIL");
    }

    /**
     * kvm_mmu_get_child_sp() re-reads the SPTE: under a wrong lock a table another vCPU linked since
     * the walk's read is -EEXIST and the walk descends into it. The model split the table as a huge
     * leaf, mapping page-table pfns as guest memory (trial11).
     */
    @Test
    void aLinkOverAnotherVcpusTableDescendsIntoIt() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("direct-map-link-over-table.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS);
    }

    /**
     * kvm_mmu_commit_zap_page() asserts no lock and returns at once on an empty list: a no-op commit
     * after the unlock failed with lockdep (trial11); a commit that frees pages there still does.
     */
    @Test
    void aCommitOfAnEmptyListNeedsNoLock() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("commit-zap-outside-mmu-lock.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.PASS);
    }

    /**
     * kvm_mmu_prepare_zap_page()'s rmap_remove() looks the memslot up under kvm->srcu or slots_lock:
     * a copy of 5.10's NX recovery without srcu_read_lock() passed (trial11).
     */
    @Test
    void prepareZapOfALeafNeedsSrcuOrSlotsLock() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("nx-recovery-needs-srcu.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS);
    }

    /**
     * SRCU read sections nest: a recovery worker pasted inside its own srcu_read_lock() (the
     * kernel's pass takes kvm->srcu again) failed lock_balance at its outer unlock (trial12).
     */
    @Test
    void nestedSrcuReadSectionsAreCounted() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial12-nested-srcu.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS);
    }

    /**
     * With PML, the L2 guest's 4K SPTEs are write-protected by kvm_mmu_slot_leaf_clear_dirty()'s
     * rmap walk, not kvm_mmu_slot_remove_write_access()'s (from PG_LEVEL_2M). The prelude had no
     * such walk and protected them in the other, so a patch dropping it passed (trial12).
     */
    @Test
    void withPmlTheLeafClearDirtyRmapWalkProtectsL2Sptes() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial12-leaf-clear-dirty-rmaps.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS);
    }

    /**
     * kvm_flush_remote_tlbs_memslot() asserts slots_lock: a commit moved out of it was judged
     * dirty_log_lost at a write made before the ioctl returned, with no lockdep (trial12).
     */
    @Test
    void theMemslotFlushNeedsSlotsLock() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("trial12-flush-memslot-needs-slots-lock.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS);
        assertThat(steps(r.scenarios().get(0))).contains("kvm_flush_remote_tlbs_memslot() needs slots_lock held");
    }

    /** The fast zap's front half asserts slots_lock: a copy without the caller's passed (trial11). */
    @Test
    void theFastZapNeedsSlotsLock() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("zap-all-fast-needs-slots-lock.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS);
    }

    /**
     * mmu_alloc_root() asserts only lockdep_assert_held(); the L2 guest's root's account_shadowed()
     * asserts the write lock. Under read_lock() the trace named an assert the kernel lacks (trial11).
     */
    @Test
    void aRootAllocatedUnderTheReadLockNamesWhatTheKernelAsserts() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("alloc-direct-root-under-read-lock.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.PASS, Status.PASS);
        assertThat(steps(r.scenarios().get(0))).contains("the kernel asserts only lockdep_assert_held()")
                .doesNotContain("mmu_alloc_root() needs");
        assertThat(steps(r.scenarios().get(1))).contains("account_shadowed(): __kvm_write_track_add_gfn() needs mmu_lock held for write");
    }

    private static String steps(ScenarioResult s) {
        return String.join("\n", s.outcomes().get(0).steps().stream().map(ScenarioResult.Step::text).toList());
    }

    /** D01: an assert or expectation that names a vCPU keeps that vCPU out of symmetry, and says so. */
    @Test
    void symmetryLeavesOutVcpusThatSomethingNames() {
        for (String f : List.of("symmetry-thread-assert-names-vcpu.mmu", "symmetry-path-assert-names-vcpu.mmu",
                "symmetry-expectation-names-vcpu.mmu")) {
            FileResult r = new ScenarioRunner().runFile(DIR.resolve(f));
            assertThat(r.scenarios()).as(f).singleElement().satisfies(s -> assertThat(s.status()).isEqualTo(Status.FAIL));
            assertThat(r.diagnostics()).as(f).anySatisfy(d -> {
                assertThat(d.severity()).isEqualTo(Severity.WARNING);
                assertThat(d.message()).startsWith("symmetry vcpus leaves out vCPU 2 (thread vcpu 2): named by ");
            });
        }
    }

    /**
     * lockdep is always on: a primitive run without the lock it asserts, or an unlock of a lock not
     * held, fails a scenario whose expectations do not name lockdep (both passed before); a
     * scenario that expects the splat passes, and a lockdep that holds adds no verdict line.
     */
    @Test
    void lockdepIsAlwaysOn() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("lockdep-always-on.mmu"));
        assertThat(r.scenarios()).extracting(ScenarioResult::status).containsExactly(Status.FAIL, Status.FAIL, Status.PASS);
        assertThat(r.scenarios().get(0).outcomes()).extracting(ScenarioResult.OutcomeResult::text)
                .containsExactly("never use_after_free", "never lockdep");
        assertThat(r.scenarios().get(1).outcomes()).extracting(ScenarioResult.OutcomeResult::text)
                .containsExactly("never use_after_free", "never lock_balance");
        assertThat(r.scenarios().get(1).outcomes().get(1).note()).startsWith("not expected: lockdep is always on");
        assertThat(r.scenarios().get(2).outcomes()).extracting(ScenarioResult.OutcomeResult::text)
                .containsExactly("violation lockdep");
    }

    @Test
    void symmetryThatCannotApplySaysSo() {
        FileResult r = new ScenarioRunner().runFile(DIR.resolve("symmetry-nothing-to-interchange.mmu"));
        assertThat(r.scenarios()).singleElement().satisfies(s -> assertThat(s.status()).isEqualTo(Status.PASS));
        assertThat(r.diagnostics()).singleElement().satisfies(d -> assertThat(d.message())
                .isEqualTo("symmetry vcpus has nothing to interchange: no two vCPU threads run the same program"));
    }

    private static final String TWO_LOOPING_READERS = """
            scenario "two vCPUs reading in a loop" {
              memslot 0 { gpa 0x0 size 64K }
              vcpus 2
              thread vcpu 0 {
                repeat 2 {
                  read 0x1000
                }
              }
              thread vcpu 1 {
                repeat 2 {
                  read 0x1000
                }
              }
              explore { symmetry vcpus%s }
              expect never use_after_free%s
            }
            """;

    /**
     * `repeat` in a vCPU thread used to make its program unequal to its twin's (the count going
     * down was a lambda, without value equality), so symmetry had nothing to interchange: now it
     * applies, and stores fewer states.
     */
    @Test
    void symmetrySurvivesRepeat() {
        Loaded loaded = ScenarioLoader.load("repeat.mmu", TWO_LOOPING_READERS.formatted("", ""));
        assertThat(loaded.diagnostics()).isEmpty();
        var sc = loaded.scenarios().get(0);
        var system = new dev.mmu.runtime.paths.MmuSystem(sc.program());
        var with = dev.mmu.runtime.explore.Explorer.explore(system, List.of(), sc.options());
        var without = dev.mmu.runtime.explore.Explorer.explore(system, List.of(), sc.options().toBuilder().symmetry(false).build());
        assertThat(with.stats().statesStored()).isLessThan(without.stats().statesStored());
    }

    /**
     * `expect terminates` under symmetry (it was left out with a warning): the fair-cycle search
     * expands one state per orbit, with the verdict of the search without it.
     */
    @Test
    void symmetryAppliesToTerminates() {
        Loaded terminates = ScenarioLoader.load("t.mmu", TWO_LOOPING_READERS.formatted("", "\n  expect terminates"));
        assertThat(terminates.diagnostics()).isEmpty();
        var sc = terminates.scenarios().get(0);
        var system = new dev.mmu.runtime.paths.MmuSystem(sc.program());
        var with = dev.mmu.runtime.explore.Explorer.explore(system, sc.expectations(), sc.options());
        var without = dev.mmu.runtime.explore.Explorer.explore(system, sc.expectations(),
                sc.options().toBuilder().symmetry(false).build());
        assertThat(with.outcomes()).extracting(o -> o.text() + " " + o.verdict())
                .containsExactlyElementsOf(without.outcomes().stream().map(o -> o.text() + " " + o.verdict()).toList())
                .contains("terminates PASS");
        assertThat(with.stats().statesStored()).isLessThan(without.stats().statesStored());
    }

    /** Where the search cannot apply symmetry (random runs), it says so. */
    @Test
    void symmetryNotAppliedSaysWhy() {
        Loaded random = ScenarioLoader.load("r.mmu", TWO_LOOPING_READERS.formatted("\n  strategy random", ""));
        assertThat(random.diagnostics()).singleElement().satisfies(d -> {
            assertThat(d.severity()).isEqualTo(Severity.WARNING);
            assertThat(d.message()).startsWith("symmetry vcpus is not applied: random and PCT runs");
        });
    }

    /** Under preemption bounding symmetry applies (nodes keyed on the orbit and the mapped last thread). */
    @Test
    void symmetryAppliesUnderPreemptionBounding() {
        Loaded bounded = ScenarioLoader.load("b.mmu", TWO_LOOPING_READERS.formatted("\n  preemptions <= 1", ""));
        assertThat(bounded.diagnostics()).isEmpty();
        var sc = bounded.scenarios().get(0);
        var system = new dev.mmu.runtime.paths.MmuSystem(sc.program());
        var with = dev.mmu.runtime.explore.Explorer.explore(system, List.of(), sc.options());
        var without = dev.mmu.runtime.explore.Explorer.explore(system, List.of(),
                sc.options().toBuilder().symmetry(false).build());
        assertThat(with.stats().statesStored()).isLessThan(without.stats().statesStored());
    }
}
