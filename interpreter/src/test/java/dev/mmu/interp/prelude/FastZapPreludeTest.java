package dev.mmu.interp.prelude;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.mmu.interp.prelude.PreludeStepper.finish;
import static dev.mmu.interp.prelude.PreludeStepper.step;
import static dev.mmu.interp.prelude.PreludeStepper.until;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Invariants;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Queries;
import dev.mmu.runtime.paths.Tlbs;
import dev.mmu.runtime.paths.Walk;
import org.junit.jupiter.api.Test;

/**
 * The prelude's kvm_mmu_zap_all_fast() (kernel/mmu.mmu) and kvm_tdp_mmu_zap_invalidated_roots()
 * (kernel/tdp_mmu.mmu), v6.12, stepped one atomic step at a time: a new generation, new roots for
 * every MMU, the obsolete roots zapped and freed, and guest accesses mapping in the new root.
 */
class FastZapPreludeTest {
    /** Two 2M slots of 4K pages; setup maps gpa 0x1000 (vCPU 0) and 0x201000 (vCPU 1, a write). */
    private static MmuSystem system(String mmu, String setupExtra, String threads) {
        String text = """
                scenario "fast zap" {
                  vm {
                    mmu %s
                    nx_huge_pages off
                  }
                  memslot 0 { gpa 0x0 size 2M }
                  memslot 1 { gpa 0x200000 size 2M }
                  vcpus 2
                  setup {
                    vcpu 0 read 0x1000
                    vcpu 1 write 0x201000
                    %s
                  }
                  %s
                }
                """.formatted(mmu, setupExtra, threads);
        Loaded loaded = ScenarioLoader.load("fast-zap.mmu", text);
        assertThat(loaded.diagnostics()).isEmpty();
        return new MmuSystem(loaded.scenarios().get(0).program().readByAnyExpectation()); // op by op
    }

    /** Live tables that are roots (no parent SPTE). Page ids are reused once freed. */
    private static int roots(VmState s) {
        int n = 0;
        for (int id = 0; id < s.spCapacity(); id++) {
            var sp = s.sp(id);
            if (sp != null && sp.parent < 0) n++;
        }
        return n;
    }

    private static boolean clean(VmState s) {
        for (Invariant inv : Invariant.values()) if (Invariants.violated(inv, s)) return false;
        return true;
    }

    /** The zap, then a vCPU 0 access, in one kernel thread run to its end. */
    private static VmState zapThenRead(String mmu, String setupExtra) {
        MmuSystem m = system(mmu, setupExtra, "thread t { kvm_mmu_zap_all_fast; vcpu 0 read 0x5000 }");
        return finish(m, m.initial(), 0);
    }

    /**
     * kvm_smm_changed(): vCPU 1 puts its reference on the address-space-0 root and, at its next
     * entry, loads a new SMM root (count 2: its own and the TDP MMU's); leaving SMM it puts that one
     * and, at its next entry, takes one on the valid root of address space 0 again. The zap then
     * invalidates both roots: each vCPU frees its own at its next entry and loads a new one.
     */
    @Test
    void aVcpuInSmmRunsOnTheSmmRootAndBothAreReplacedByTheZap() {
        MmuSystem m = system("tdp", "kvm_smm_changed(1, true)\n    vcpu 1 read 0x3000",
                "thread t { kvm_smm_changed(1, false) }");
        VmState s = m.initial();
        assertThat(s.root(1, false)).isEqualTo(s.smmRoot).isNotEqualTo(s.root(0, false));
        assertThat(s.sp(s.root).rootCount).as("vCPU 0 and the TDP MMU").isEqualTo(2);
        assertThat(s.sp(s.smmRoot).rootCount).as("vCPU 1 and the TDP MMU").isEqualTo(2);
        assertThat(Walk.of(s, 0, 0x201, false).presentLeaf()).as("vCPU 1 wrote 0x201000 before it entered SMM").isTrue();
        assertThat(Walk.of(s, 1, 0x201, false).presentLeaf()).as("the SMM root maps only what vCPU 1 read in SMM").isFalse();
        assertThat(Walk.of(s, 1, 0x3, false).presentLeaf()).isTrue();
        VmState out = finish(m, s, 0);
        assertThat(out.root(1, false)).as("INVALID_PAGE until its next kvm_mmu_reload()").isEqualTo(-1);
        assertThat(out.sp(out.root).rootCount).isEqualTo(2);
        assertThat(out.sp(out.smmRoot).rootCount).as("the TDP MMU's reference keeps it").isEqualTo(1);
        assertThat(out.tlb[1]).as("kept, unflushed, until its next kvm_mmu_load()").hasSize(1);
        assertThat(Tlbs.parked(out, 1, false)).as("its entries are tagged with the root it dropped").isEqualTo(out.smmRoot);
        assertThat(Tlbs.lookup(out, 1, 0x3)).as("out of the guest: no hit").isNull();

        MmuSystem back = system("tdp", "kvm_smm_changed(1, true)\n    vcpu 1 read 0x3000",
                "thread t { kvm_smm_changed(1, false); vcpu 1 read 0x1000 }");
        VmState reloaded = finish(back, back.initial(), 0);
        assertThat(reloaded.root(1, false)).isEqualTo(reloaded.root);
        assertThat(reloaded.sp(reloaded.root).rootCount).isEqualTo(3);
        assertThat(Tlbs.parked(reloaded, 1, false)).as("kvm_mmu_load()'s flush_tlb_current() dropped them").isEqualTo(-1);
        assertThat(Tlbs.lookup(reloaded, 1, 0x3)).isNull();

        MmuSystem z = system("tdp", "kvm_smm_changed(1, true)\n    vcpu 1 read 0x3000", "thread t { kvm_mmu_zap_all_fast }");
        VmState zapped = finish(z, z.initial(), 0);
        assertThat(zapped.root).as("no valid root until a vCPU loads one").isEqualTo(-1);
        assertThat(zapped.smmRoot).isEqualTo(-1);
        assertThat(zapped.root(1, false)).as("vCPU 1 has not entered the guest since").isEqualTo(s.smmRoot);
        assertThat(zapped.sp(s.smmRoot).rootCount).as("the TDP MMU's reference went with the zap").isEqualTo(1);
        assertThat(zapped.sp(s.smmRoot).usedCount()).isZero();
        assertThat(zapped.freeObsoleteRootsRequests).isEqualTo(0b11);
        assertThat(clean(zapped)).isTrue();

        MmuSystem zr = system("tdp", "kvm_smm_changed(1, true)\n    vcpu 1 read 0x3000",
                "thread t { kvm_mmu_zap_all_fast; vcpu 0 read 0x1000; vcpu 1 read 0x1000 }");
        VmState rz = finish(zr, zr.initial(), 0);
        assertThat(rz.root(1, false)).isEqualTo(rz.smmRoot);
        assertThat(rz.root(0, false)).isEqualTo(rz.root);
        assertThat(rz.sp(rz.root).invalid || rz.sp(rz.smmRoot).invalid).as("new roots (freed ids are reused)").isFalse();
        assertThat(rz.sp(rz.smmRoot).rootCount).isEqualTo(2);
        assertThat(roots(rz)).as("the two old roots were zapped, put by their vCPUs and freed").isEqualTo(2);
        assertThat(rz.freeObsoleteRootsRequests).isZero();
        assertThat(clean(rz)).isTrue();
    }

    /**
     * kvm_mmu_free_roots() (v6.12) returns before taking mmu_lock when the vCPU has no root
     * ("Before acquiring the MMU lock, see if we need to do any real work"): vCPU 1 left its root
     * entering SMM and leaves SMM before its next entry. Failed before: the prelude took the read
     * lock for nothing.
     */
    @Test
    void freeingTheRootsOfAVcpuWithoutARootTakesNoLock() {
        MmuSystem m = system("tdp", "kvm_smm_changed(1, true)", "thread t { kvm_smm_changed(1, false) }");
        VmState s = m.initial();
        assertThat(s.root(1, false)).as("no root until vCPU 1's next entry").isEqualTo(-1);
        while (s.threads[0].pc < m.program().threads().get(0).ops().length) {
            s = step(m, s, 0);
            assertThat(s.mmuReaders).as("read_lock").isZero();
            assertThat(s.mmuWriter).as("write_lock").isEqualTo(-1);
        }
        assertThat(clean(s)).isTrue();
    }

    /** vCPU 0 reloads at its access after the zap; vCPU 1, which has not entered since, still holds the old root. */
    @Test
    void theTdpMmuGetsANewRootAndTheObsoleteOneIsFreed() {
        int oldRoot = system("tdp", "", "thread t { }").initial().root;
        VmState s = zapThenRead("tdp", "");
        assertThat(s.root).isNotEqualTo(oldRoot);
        assertThat(s.sp(s.root).tdp).isTrue();
        assertThat(s.sp(s.root).rootCount).as("vCPU 0 loaded it, and the TDP MMU holds its own").isEqualTo(2);
        assertThat(s.root(1, false)).isEqualTo(oldRoot);
        assertThat(s.sp(oldRoot).rootCount).as("vCPU 1's reference").isEqualTo(1);
        assertThat(s.sp(oldRoot).usedCount()).as("zapped").isZero();
        assertThat(s.freeObsoleteRootsRequests).isEqualTo(0b10);
        assertThat(roots(s)).isEqualTo(2);
        assertThat(s.invalidRoots).isEmpty();
        assertThat(s.mmuValidGen).isEqualTo(1);
        assertThat(Queries.spte(s, 0x1000, "present")).isZero();
        assertThat(Queries.spte(s, 0x201000, "present")).isZero();
        assertThat(Queries.spte(s, 0x5000, "present")).as("mapped in the new root").isEqualTo(1);
        assertThat(s.stat(Stat.pages_4k)).isEqualTo(1);
        assertThat(clean(s)).isTrue();
    }

    @Test
    void theShadowMmuGetsALegacyRoot() {
        MmuSystem m = system("shadow", "", "thread t { kvm_mmu_zap_all_fast; vcpu 0 read 0x5000 }");
        StringBuilder trace = new StringBuilder();
        VmState s = m.initial();
        while (s.threads[0].pc < m.program().threads().get(0).ops().length) s = m.step(s, 0, 0, trace);
        assertThat(s.sp(s.root).tdp).isFalse();
        assertThat(Queries.spte(s, 0x1000, "present")).isZero();
        assertThat(Queries.spte(s, 0x5000, "present")).isEqualTo(1);
        assertThat(trace.toString()).doesNotContain("kvm_tdp_mmu_invalidate_roots");
        assertThat(clean(s)).isTrue();
    }

    /**
     * mmu shadow: vCPU 0 reloads at its access after the zap (mmu_alloc_root() of the new generation);
     * vCPU 1 has not entered since and still holds the old root, which kvm_zap_obsolete_pages()
     * zapped but could not free (root_count 1: kept invalid off invalid_list). vCPU 1's own entry
     * puts the last reference, and its kvm_mmu_free_roots() commits the root.
     */
    @Test
    void eachVcpuReloadsItsShadowRootAndTheLastPutFreesTheOldOne() {
        MmuSystem m = system("shadow", "", "thread t { kvm_mmu_zap_all_fast; vcpu 0 read 0x5000 }\n  thread vcpu 1 { read 0x201000 }");
        int oldRoot = m.initial().root;
        VmState s = finish(m, m.initial(), 0);
        assertThat(s.root(0, false)).as("vCPU 0 loaded a root of the new generation").isEqualTo(s.root).isNotEqualTo(oldRoot);
        assertThat(s.sp(s.root).gen).isEqualTo(s.mmuValidGen);
        assertThat(s.sp(s.root).rootCount).isOne();
        assertThat(s.root(1, false)).as("vCPU 1 still holds the obsolete root").isEqualTo(oldRoot);
        ShadowPage old = s.sp(oldRoot);
        assertThat(old.invalid).isTrue();
        assertThat(old.status).as("zapped, not freed").isEqualTo(ShadowPage.UNLINKED);
        assertThat(old.usedCount()).isZero();
        assertThat(old.rootCount).isOne();
        assertThat(s.freeObsoleteRootsRequests).isEqualTo(0b10);
        assertThat(clean(s)).isTrue();
        s = until(m, s, 1, x -> x.root(1, false) != oldRoot); // mmu_free_root_page(): the last put queues it
        assertThat(s.sp(oldRoot)).as("on invalid_list until the commit").isNotNull();
        assertThat(s.threads[1].invalidList).containsExactly(oldRoot);
        s = until(m, s, 1, x -> x.threads[1].invalidList.length == 0);
        assertThat(s.sp(oldRoot)).as("freed by kvm_mmu_free_roots()'s kvm_mmu_commit_zap_page()").isNull();
        assertThat(s.mmuWriter).as("under the write lock").isEqualTo(1);
        s = finish(m, s, 1);
        assertThat(s.root(1, false)).isEqualTo(s.root);
        assertThat(s.sp(s.root).rootCount).isEqualTo(2);
        assertThat(Queries.spte(s, 0x201000, "present")).as("vCPU 1 faulted into the new root").isEqualTo(1);
        assertThat(clean(s)).isTrue();
    }

    /**
     * mmu both: vCPU 0's entry after the zap frees its obsolete L2 root too (__kvm_mmu_free_obsolete_roots()
     * of guest_mmu) but loads none (its access is L1's); vCPU 1 still holds the old L2 root, zapped.
     */
    @Test
    void withMmuBothEachVcpuFreesItsObsoleteL2Root() {
        int oldNested = system("both", "vcpu 1 nested read 0x3000", "thread t { }").initial().nestedRoot;
        VmState s = zapThenRead("both", "vcpu 1 nested read 0x3000");
        assertThat(s.root(0, true)).as("vCPU 0 freed guest_mmu's obsolete root").isEqualTo(-1);
        assertThat(s.root(1, true)).as("vCPU 1 has not entered since").isEqualTo(oldNested);
        assertThat(s.nestedRoot).as("no vCPU has entered L2 since: no L2 root of the new generation").isEqualTo(-1);
        assertThat(s.sp(oldNested).invalid).isTrue();
        assertThat(s.sp(oldNested).usedCount()).as("zapped by kvm_zap_obsolete_pages()").isZero();
        assertThat(s.sp(oldNested).rootCount).isOne();
        assertThat(roots(s)).as("the new TDP root, and the old TDP and L2 roots vCPU 1 still holds").isEqualTo(3);
        assertThat(clean(s)).isTrue();
    }

    @Test
    void zapAllFastSwitchesRootsUnderTheWriteLockAndZapsTheOldRootUnderTheReadLock() {
        MmuSystem m = system("tdp", "", "thread t { kvm_mmu_zap_all_fast }\n  thread vcpu 1 { read 0x1000 }");
        VmState s = m.initial();
        int oldRoot = s.root;
        assertThat(Tlbs.lookup(s, 0, 1)).isNotNull();
        s = step(m, s, 0); // slots_lock
        s = step(m, s, 0); // write_lock
        assertThat(s.mmuWriter).isEqualTo(0);
        s = until(m, s, 0, x -> x.root != oldRoot); // new generation, root invalidated, the request made
        assertThat(s.root).as("no valid root until a vCPU loads one").isEqualTo(-1);
        assertThat(s.mmuValidGen).isEqualTo(1);
        assertThat(s.sp(oldRoot).invalid).isTrue();
        assertThat(s.root(0, false)).as("each vCPU keeps its root until its next entry").isEqualTo(oldRoot);
        assertThat(s.freeObsoleteRootsRequests).isEqualTo(0b11);
        assertThat(s.invalidRoots).containsExactly(oldRoot);
        assertThat(Tlbs.lookup(s, 0, 1)).as("kicked: nothing uses the TLB before kvm_mmu_load() flushes it").isNull();
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).as("the old root is still accounted").isFalse();
        s = until(m, s, 0, x -> x.mmuWriter == -1);
        assertThat(s.sp(oldRoot).usedCount()).as("TDP pages are not on the obsolete legacy list").isOne();
        s = step(m, s, 0); // the back half's lockdep_assert_held(&kvm->slots_lock): a step op by op only
        s = step(m, s, 0); // and its lockdep_assert_not_held(&kvm->mmu_lock)
        assertThat(Invariants.violated(Invariant.lockdep, s)).as("slots_lock held, mmu_lock not").isFalse();
        s = step(m, s, 0); // read_lock
        assertThat(s.mmuReaders).isEqualTo(1L);
        long flushes = s.stat(Stat.remote_tlb_flush);
        s = until(m, s, 0, x -> x.invalidRoots.length == 0); // the walk takes the root (and a reference)
        assertThat(s.sp(oldRoot).rootCount).isEqualTo(4);
        s = until(m, s, 0, x -> x.mmuReaders == 0); // zapped, put, and the walk's reference put
        assertThat(s.sp(oldRoot).usedCount()).isZero();
        assertThat(s.sp(oldRoot).status).as("both vCPUs still hold it").isEqualTo(ShadowPage.LIVE);
        assertThat(s.sp(oldRoot).rootCount).isEqualTo(2);
        assertThat(s.stat(Stat.remote_tlb_flush)).as("invalid roots are zapped without a flush").isEqualTo(flushes);
        s = finish(m, s, 0);
        s = finish(m, s, 1);
        assertThat(s.root(1, false)).as("vCPU 1 freed the old root and loaded a new one").isEqualTo(s.root);
        assertThat(s.sp(oldRoot).rootCount).as("vCPU 0 has not entered the guest since").isEqualTo(1);
        assertThat(Walk.of(s, 1).presentLeaf()).as("the vCPU faults into the new root").isTrue();
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isFalse();
        assertThat(s.violations).isZero();
    }

    /** kvm_tdp_mmu_unmap_gfn_range() zaps invalid roots too, but tdp_mmu_zap_leafs() (v6.12) asks no flush for them. */
    @Test
    void theNotifierZapsAnInvalidRootWithoutAFlush() {
        MmuSystem m = system("tdp", "",
                "thread t { kvm_mmu_zap_all_fast }\n  thread host { mmu_notifier_invalidate 0x0 .. 0x200000 }");
        VmState s = m.initial();
        int oldRoot = s.root;
        s = until(m, s, 0, x -> x.mmuValidGen == 1 && x.mmuWriter == -1); // new generation; write_unlock
        assertThat(s.invalidRoots).containsExactly(oldRoot);
        assertThat(s.root).as("no valid root: no vCPU has loaded a new one").isEqualTo(-1);
        assertThat(Walk.to(s, oldRoot, 1, 1).presentLeaf()).as("the invalid root still maps gfn 1").isTrue();
        long flushes = s.stat(Stat.remote_tlb_flush);
        s = until(m, s, 1, x -> x.mmuInvalidateInProgress == 1 && x.mmuWriter == -1); // invalidate_range_start
        assertThat(Walk.to(s, oldRoot, 1, 1).presentLeaf()).as("zapped in the invalid root").isFalse();
        assertThat(s.stat(Stat.remote_tlb_flush)).as("no vCPU can use an invalid root: no flush").isEqualTo(flushes);
        s = finish(m, s, 1);
        s = finish(m, s, 0);
        assertThat(s.violations).isZero();
    }

    /**
     * tdp_mmu_zap_leafs() (v6.12, prelude source) asks no flush for the leaves it zaps in an invalid
     * root, as the notifier's unmap does not (the test above), and keeps their table (leaves only).
     * Failed before the ninth session: the walk owed a flush for every leaf, as v5.12's
     * zap_gfn_range() did.
     */
    @Test
    void tdpMmuZapLeafsOwesNoFlushForAnInvalidRoot() {
        MmuSystem m = system("tdp", "", """
                path zap_leafs() {
                    lock write
                    let flush = kvm_tdp_mmu_unmap_gfn_range(0x0 .. 0x200, true, false)
                    if flush {
                      flush_remote_tlbs()
                    }
                    unlock
                  }
                  thread t { kvm_mmu_zap_all_fast }
                  thread z { zap_leafs }""");
        VmState s = m.initial();
        int oldRoot = s.root;
        s = until(m, s, 0, x -> x.mmuValidGen == 1 && x.mmuWriter == -1); // roots invalidated; write_unlock
        assertThat(Walk.to(s, oldRoot, 1, 1).presentLeaf()).as("the invalid root still maps gfn 1").isTrue();
        long flushes = s.stat(Stat.remote_tlb_flush);
        s = finish(m, s, 1);
        assertThat(Walk.to(s, oldRoot, 1, 1).presentLeaf()).as("zapped in the invalid root").isFalse();
        assertThat(Walk.to(s, oldRoot, 1, 1).level()).as("tdp_mmu_zap_leafs keeps the table").isEqualTo(1);
        assertThat(s.stat(Stat.remote_tlb_flush)).as("no vCPU can use an invalid root: no flush").isEqualTo(flushes);
        s = finish(m, s, 0);
        assertThat(s.violations).isZero();
    }

    /** With the L2 guest's shadow pages: the old L2 root is zapped but kept while vCPUs hold it; each reloads its own. */
    @Test
    void zapAllFastReloadsTheNestedRoot() {
        MmuSystem m = system("both", "vcpu 1 nested read 0x201000",
                "thread zap { kvm_mmu_zap_all_fast }\n  thread vcpu 1 { nested read 0x201000 }");
        VmState s = m.initial();
        int oldNested = s.nestedRoot;
        assertThat(s.root(0, true)).isEqualTo(oldNested);
        assertThat(Walk.of(s, 0x201, true).presentLeaf()).isTrue();
        s = finish(m, s, 0);
        assertThat(s.nestedRoot).as("no valid L2 root until a vCPU loads one").isEqualTo(-1);
        assertThat(s.sp(oldNested).status).as("zapped, but both vCPUs still hold it").isEqualTo(ShadowPage.UNLINKED);
        assertThat(s.sp(oldNested).rootCount).isEqualTo(2);
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isFalse();
        s = finish(m, s, 1);
        assertThat(s.root(1, true)).as("vCPU 1 loaded an L2 root of the new generation").isEqualTo(s.nestedRoot);
        assertThat(s.sp(s.nestedRoot).gen).isEqualTo(s.mmuValidGen);
        assertThat(s.sp(oldNested).rootCount).as("vCPU 0's reference").isOne();
        assertThat(s.root(0, true)).isEqualTo(oldNested);
        assertThat(Walk.of(s, 0x201, true).presentLeaf()).as("L2 faults into its new root").isTrue();
        assertThat(Invariants.violated(Invariant.page_table_leak, s)).isFalse();
        assertThat(Invariants.violated(Invariant.stats_consistent, s)).isFalse();
        assertThat(s.violations).isZero();
    }

    /**
     * __tdp_mmu_zap_root_advancing(), the walk before 3a0f64de479c (v5.16): a zap at the root's
     * level that yields at every chance skips the root's second entry, which the tdp_iter_next()
     * after the restart steps past; __tdp_mmu_zap_root() zaps it.
     */
    @Test
    void aRootLevelZapThatAdvancesAfterARestartSkipsTheNextEntry() {
        assertThat(secondEntryAfterYieldingZap("__tdp_mmu_zap_root_advancing")).as("skipped").isNotZero();
        assertThat(secondEntryAfterYieldingZap("__tdp_mmu_zap_root")).as("zapped").isZero();
    }

    /** The old root's SPTE for gpa 512G after kvm_mmu_zap_all_fast() with one pass of `zap`, yielding whenever it can. */
    private static long secondEntryAfterYieldingZap(String zap) {
        String text = """
                scenario "root zap" {
                  path tdp_mmu_zap_root(root: sp) {
                    rcu_read_lock()
                    %s(root, vm.tdp_levels)
                    rcu_read_unlock()
                  }
                  memslot 0 { gpa 0x0 size 2M }
                  memslot 1 { gpa 0x8000000000 size 2M }
                  vcpus 1
                  setup {
                    vcpu 0 read 0x1000
                    vcpu 0 read 0x8000001000
                  }
                  thread zap { kvm_mmu_zap_all_fast }
                }
                """.formatted(zap);
        Loaded loaded = ScenarioLoader.load("root-zap.mmu", text);
        assertThat(loaded.diagnostics()).isEmpty();
        MmuSystem m = new MmuSystem(loaded.scenarios().get(0).program());
        VmState s = m.initial();
        int oldRoot = s.root;
        assertThat(s.sp(oldRoot).spte(1)).as("the setup mapped 512G").isNotZero();
        var ops = m.program().threads().get(0).ops();
        for (int i = 0; i < 300 && s.threads[0].pc < ops.length; i++) {
            s = m.step(s, 0, ops[s.threads[0].pc].choices(s, 0) - 1, null); // yield whenever it may
        }
        assertThat(s.threads[0].pc).as("the zap ended").isGreaterThanOrEqualTo(ops.length);
        return s.sp(oldRoot).spte(1);
    }
}
