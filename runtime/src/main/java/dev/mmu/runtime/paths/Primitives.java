package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.paths.Primitive.Param;
import dev.mmu.runtime.paths.Primitive.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registry of primitives: the kernel helpers a path can call. Built-in paths call the same
 * ones, so a user's rewrite of a kernel routine and the routine itself share every step. Shadow
 * pages are passed as ids ("sp" handles). Everything else (the checker, the compiler, the language
 * server, the editor grammar, docs/language.md) is derived from this table or tested against it.
 *
 * <p>To add a primitive, add one declaration to a static block of this class (one block per kernel
 * source file is fine; a declaration in another class would only register once that class loads):
 * <pre>{@code
 * declare("tdp_zap_sp(sp: sp) -> bool")              // signature as the language writes it
 *         .lockdep(Lockdep.MMU_WRITE)                 // what the kernel function asserts
 *         .mirrors("kvm_tdp_mmu_zap_sp", "v6.12")    // the kernel function, the version read
 *         .doc("zaps the SPTE that points at a TDP shadow page; returns whether a flush is pending")
 *         .step(TdpMmu.SET_SPTE, (e, a) -> TdpMmu.zapSp(e, (int) a[0]) ? 1 : 0);
 * }</pre>
 * Parameter types are {@code int}, {@code bool} and {@code sp} ({@code fault} and {@code iter} for the
 * fault path's expanded primitives); a default ({@code can_yield: bool = true})
 * lets a call leave the argument out. {@code step(footprint, body)} runs the call as one atomic step
 * with those effects (the body gets the arguments in parameter order, bools as 0/1); a primitive
 * the compiler expands into several steps ends with {@code expanded()} instead and needs a case in
 * the interpreter's BodyCompiler. A parameter {@code vcpu_id: int} names a vCPU, which the compiler
 * knows (Ops.VcpuCall): such a primitive declares {@code stepOnVcpu(v -> footprint on vCPU v, body)}.
 * {@code lockdep} defaults to {@link Lockdep#NONE}; the others are
 * {@link Lockdep#MMU_READ}, {@link Lockdep#MMU_WRITE}, {@link Lockdep#MMU_HELD} (either mode) and
 * {@code Lockdep.held(LockId.tdp_mmu_pages_lock)} for a spinlock. Then docs/language.md §6 needs its
 * row, the editor grammar its name, and the LSP test its entry: tests fail until they agree.
 */
public final class Primitives {
    private static final Map<String, Primitive> ALL = new LinkedHashMap<>();
    private static final Map<String, String> ALIASES = new LinkedHashMap<>();

    static {
        // can_yield defaults to what every caller passes since v6.0 (kvm_tdp_mmu_zap_leafs); the
        // flush stays explicit, as forgetting it is the bug this tool looks for.
        declare("tdp_zap_range(start_gfn: int, end_gfn: int, flush: bool, can_yield: bool = true) -> bool")
                .lockdep(Lockdep.MMU_WRITE).mirrors("zap_gfn_range", "v5.12")
                .doc("zaps leaf and non-leaf SPTEs in [start, end); returns whether a TLB flush is pending")
                .expanded();
        // kvm_tdp_mmu_zap_sp() until v6.18, which has tdp_mmu_zap_possible_nx_huge_page() instead:
        // 5.10-6.12's text calls this one, 6.18's and 7.2's the other.
        declare("tdp_zap_sp(sp: sp) -> bool")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_tdp_mmu_zap_sp", "v6.12")
                .doc("zaps the SPTE that points at a TDP shadow page; returns whether a flush is pending")
                .step(TdpMmu.SET_SPTE, (e, a) -> TdpMmu.zapSp(e, (int) a[0]) ? 1 : 0);
        declare("prepare_zap(sp: sp)")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_mmu_prepare_zap_page", "v7.2, v7.3")
                .doc("unlinks a shadow-MMU page and queues it on invalid_list")
                .step(ShadowMmu.PREPARE_ZAP, (e, a) -> {
                    ShadowPage sp = e.s.sp((int) a[0]);
                    if (sp != null && sp.tdp) {
                        e.note("kvm_mmu_prepare_zap_page on a TDP MMU page: ignored (WARN)");
                        return 0;
                    }
                    ShadowMmu.assertMemslotsReadable(e, (int) a[0]);
                    ShadowMmu.prepareZapPage(e, (int) a[0]);
                    return 0;
                });
        // kvm_mmu_commit_zap_page() and kvm_mmu_remote_flush_or_zap() assert no lock: an empty list
        // returns at once, and only freeing the list's pages needs mmu_lock (ShadowMmu.freeUnlocked).
        declare("commit_zap()")
                .mirrors("kvm_mmu_commit_zap_page", "v7.2, v7.3")
                .doc("flushes remote TLBs if invalid_list is not empty, then frees its pages (those under mmu_lock held for write)")
                .step(ShadowMmu.COMMIT_ZAP_CHECKED, (e, a) -> {
                    ShadowMmu.freeUnlocked(e, "kvm_mmu_commit_zap_page");
                    ShadowMmu.commitZapPage(e);
                    return 0;
                });
        // One page of kvm_mmu_commit_zap_page()'s walk, for the prelude's path (commit_zap above is
        // the whole commit in one step, kept for pasted copies of older preludes).
        declare("kvm_mmu_free_shadow_page(sp: sp)")
                .mirrors("kvm_mmu_free_shadow_page", "v7.2, v7.3")
                .doc("frees a page kvm_mmu_prepare_zap_page() queued, off invalid_list (under mmu_lock held for write)")
                .step(Footprint.updates(Resource.INVALID_LIST, Resource.SPTE, Resource.VIOLATIONS), (e, a) -> {
                    ShadowMmu.freeShadowPage(e, (int) a[0]);
                    return 0;
                });
        declare("remote_flush_or_zap(flush: bool) -> bool")
                .mirrors("kvm_mmu_remote_flush_or_zap", "v7.2, v7.3")
                .doc("commits invalid_list, or flushes remote TLBs if the list is empty and flush is set")
                .step(ShadowMmu.COMMIT_ZAP_CHECKED, (e, a) -> {
                    ShadowMmu.freeUnlocked(e, "kvm_mmu_remote_flush_or_zap");
                    return ShadowMmu.remoteFlushOrZap(e, a[0] != 0) ? 1 : 0;
                });
        declare("flush_remote_tlbs()")
                .mirrors("kvm_flush_remote_tlbs", "v7.2, v7.3")
                .doc("flushes every vCPU's TLB")
                .step(Tlbs.FLUSH, (e, a) -> {
                    Tlbs.flushRemoteTlbs(e);
                    return 0;
                });
        // kvm_flush_remote_tlbs_gfn() (kvm_host.h): the ranged flush of the pages one SPTE at level maps.
        declare("kvm_flush_remote_tlbs_gfn(gfn: int, level: int)")
                .mirrors("kvm_flush_remote_tlbs_gfn", "v7.2, v7.3")
                .doc("kvm_flush_remote_tlbs_range(gfn_round_for_level(gfn, level), KVM_PAGES_PER_HPAGE(level)): the"
                        + " TLB entries of the pages an SPTE at level maps with flush_remote_tlbs_range on, else every vCPU's TLB")
                .step(Tlbs.FLUSH, (e, a) -> {
                    int level = (int) Math.max(a[1], 1);
                    Tlbs.flushRemoteTlbsRange(e, dev.mmu.runtime.model.Level.alignDown(a[0], level),
                            dev.mmu.runtime.model.Level.pagesPerHpage(level));
                    return 0;
                });
        // The ranged flush: only `vm { flush_remote_tlbs_range on }` (KVM on Hyper-V) narrows it.
        declare("kvm_flush_remote_tlbs_range(start_gfn: int, nr_pages: int)")
                .mirrors("kvm_flush_remote_tlbs_range", "v7.2, v7.3")
                .doc("flushes every vCPU's TLB entries of [start_gfn, start_gfn + nr_pages) with flush_remote_tlbs_range on"
                        + " (KVM on Hyper-V); otherwise every vCPU's whole TLB, as kvm_flush_remote_tlbs()")
                .step(Tlbs.FLUSH, (e, a) -> {
                    Tlbs.flushRemoteTlbsRange(e, a[0], a[1]);
                    return 0;
                });
        // unaccount_nx_huge_page() and untrack_possible_nx_huge_page() assert no lock themselves: the
        // lists are mmu_lock's held for write (the shadow MMU's callers), or tdp_mmu_pages_lock's
        // (the TDP MMU's, and v6.18's read-lock TDP recovery).
        declare("unaccount_nx_huge_page(sp: sp)")
                .lockdep(Lockdep.mmuWriteOr(LockId.tdp_mmu_pages_lock)).mirrors("unaccount_nx_huge_page", "v6.18")
                .doc("clears sp->nx_huge_page_disallowed and untracks the page with KVM_SHADOW_MMU (whichever MMU's page it"
                        + " is): off its NX list, --nx_lpage_splits, --possible_nx_huge_pages[KVM_SHADOW_MMU].nr_pages")
                .step(Nx.ACCOUNTING,
                        (e, a) -> {
                            if (freed(e, a[0], "unaccount_nx_huge_page")) return 0;
                            Nx.unaccount(e, (int) a[0]);
                            return 0;
                        });
        alias("unaccount_nx", "unaccount_nx_huge_page"); // the model's name before it had the kernel's
        declare("untrack_possible_nx_huge_page(sp: sp, mmu_type: int)")
                .lockdep(Lockdep.mmuWriteOr(LockId.tdp_mmu_pages_lock)).mirrors("untrack_possible_nx_huge_page", "v6.18")
                .doc("if the page is on an NX list: off it (list_del_init), --nx_lpage_splits and"
                        + " --possible_nx_huge_pages[mmu_type].nr_pages (u64); leaves sp->nx_huge_page_disallowed")
                .step(Nx.ACCOUNTING,
                        (e, a) -> {
                            if (freed(e, a[0], "untrack_possible_nx_huge_page")) return 0;
                            Nx.untrack(e, (int) a[0], (int) a[1], "untrack_possible_nx_huge_page");
                            return 0;
                        });
        // Reads the page's role, and whether the page still exists.
        declare("is_tdp_mmu_page(sp: sp) -> bool")
                .mirrors("is_tdp_mmu_page", "v7.2, v7.3")
                .doc("whether a shadow page belongs to the TDP MMU")
                .step(Footprint.reads(Resource.SPTE), (e, a) -> {
                    ShadowPage sp = e.s.sp((int) a[0]);
                    return sp != null && sp.tdp ? 1 : 0;
                });
        // split_huge, set_spte and cmpxchg_spte name their SPTE by gfn in the walk's root: inside a
        // tdp_pte loop or a root loop that loop's root, which the compiler passes as a last argument
        // (VolatileBits.root), else the valid root of address space 0.
        declare("split_huge(gfn: int)")
                .lockdep(Lockdep.MMU_HELD).mirrors("tdp_mmu_split_huge_page", "v7.2, v7.3")
                .doc("replaces the huge SPTE covering gfn with a table of smaller SPTEs")
                .step(TdpMmu.LINK_CHILD, (e, a) -> TdpMmu.splitHuge(e, VolatileBits.root(e, a, 1), a[0]) ? 1 : 0);
        declare("set_spte(gfn: int, level: int, present: bool, writable: bool, exec: bool)")
                .lockdep(Lockdep.MMU_WRITE).mirrors("tdp_mmu_set_spte", "v7.2, v7.3")
                .doc("writes the SPTE mapping gfn at level")
                .step(TdpMmu.SET_SPTE.union(Host.GFN_TO_PFN), (e, a) -> {
                    TdpMmu.setSpteAt(e, VolatileBits.root(e, a, 5), a[0], (int) a[1], a[2] != 0, a[3] != 0, a[4] != 0);
                    return 0;
                });
        // The lockless cmpxchg of fast_page_fault() on the leaf SPTE of gfn: flips only the W bit of
        // a present leaf (no stats, no table torn down). Unlike fast_pf_fix_direct_spte() it does not
        // call mark_page_dirty_in_slot(); a path that adds W must mark the page itself.
        declare("cmpxchg_spte(gfn: int, writable: bool) -> bool")
                .mirrors("fast_pf_fix_direct_spte", "v7.2, v7.3")
                .doc("lockless cmpxchg of a leaf SPTE's writable bit, as the fast page fault path does")
                .step(Footprint.updates(Resource.SPTE_ACCESS, Resource.METRICS).andReads(Resource.SPTE), (e, a) -> {
                    Walk w = Walk.to(e.s, VolatileBits.root(e, a, 2), a[0], 1);
                    if (w == null || !w.presentLeaf()) return 0;
                    long spte = a[1] != 0 ? w.spte() | Spte.WRITABLE : w.spte() & ~Spte.WRITABLE;
                    if (spte == w.spte()) return 0;
                    TdpMmu.writeSpte(e, w.spId(), w.index(), spte); // no handle_changed_spte(), so no check
                    return 1;
                });
        declare("tdp_mmu_iter_cond_resched(flush: bool) -> bool")
                .lockdep(Lockdep.MMU_HELD).mirrors("tdp_mmu_iter_cond_resched", "v7.2, v7.3")
                .doc("if contended: flushes if asked, drops and retakes mmu_lock, restarts the walk at the root")
                .expanded();
        declare("tdp_mmu_iter_cond_resched_unguarded(flush: bool) -> bool")
                .lockdep(Lockdep.MMU_HELD).mirrors("tdp_mmu_iter_cond_resched", "v5.11")
                .doc("as tdp_mmu_iter_cond_resched before 'Ensure forward progress when yielding in TDP MMU iter'"
                        + " (5.12-rc): it may yield again before the walk made progress")
                .expanded();
        declare("try_cmpxchg(ptr: int, old: int, new: int) -> bool")
                .mirrors("try_cmpxchg", "v7.2")
                .doc("on a global: stores new if it still holds old, else loads its value into old; returns success"
                        + " (as try_cmpxchg64 on an SPTE in tdp_mmu_set_spte_atomic)")
                .expanded();
        declare("rcu_read_lock()")
                .mirrors("rcu_read_lock", "v7.2")
                .doc("enters an RCU read-side section: freed page tables stay readable")
                .expanded();
        declare("rcu_read_unlock()")
                .mirrors("rcu_read_unlock", "v7.2")
                .doc("leaves the RCU read-side section")
                .expanded();
    }

    static {
        // The asserts at the top of kernel functions (lockdep.h, v7.2): a violation at entry, not
        // only at the first SPTE the function changes. Thread-local (LockAsserts): no step of their own.
        lockAssert("lockdep_assert_held", LockAsserts.Mode.HELD,
                "WARN_ON(!lockdep_is_held(lock)): lockdep unless this thread holds the lock, in either mode");
        lockAssert("lockdep_assert_held_read", LockAsserts.Mode.READ,
                "WARN_ON(!lockdep_is_held_type(lock, 1)): lockdep unless this thread holds the lock for read"
                        + " (read_lock(), srcu_read_lock())");
        lockAssert("lockdep_assert_held_write", LockAsserts.Mode.WRITE,
                "WARN_ON(!lockdep_is_held_type(lock, 0)): lockdep unless this thread holds the lock for write"
                        + " (write_lock(), a mutex or spinlock)");
        lockAssert("lockdep_assert_not_held", LockAsserts.Mode.NOT_HELD,
                "WARN_ON(lockdep_is_held(lock) == LOCK_STATE_HELD): lockdep if this thread holds the lock, in"
                        + " either mode (a caller that must not hold it, e.g. one that will take it itself)");
        // tdp_mmu.c:22 (v7.2): static, returns true for use in a for_each macro's condition.
        declare("kvm_lockdep_assert_mmu_lock_held(shared: bool)")
                .mirrors("kvm_lockdep_assert_mmu_lock_held", "v7.2, v7.3")
                .doc("lockdep_assert_held_read(&kvm->mmu_lock) if shared, else lockdep_assert_held_write(&kvm->mmu_lock)")
                .step(LockAsserts.FOOTPRINT, (e, a) -> {
                    boolean shared = a[0] != 0;
                    LockAsserts.check(e, shared ? "lockdep_assert_held_read" : "lockdep_assert_held_write", LockId.mmu_lock,
                            shared ? LockAsserts.Mode.READ : LockAsserts.Mode.WRITE);
                    return 0;
                });
    }

    static {
        // gfn_to_memslot(sp->gfn) && kvm_slot_dirty_track_enabled(slot) (mmu.c, v6.2+; a helper of
        // its own since v6.18): one step, as the memslots cannot change under the caller's SRCU.
        declare("kvm_mmu_sp_dirty_logging_enabled(sp: sp) -> bool")
                .mirrors("kvm_mmu_sp_dirty_logging_enabled", "v6.18")
                .doc("whether the memslot of a shadow page's gfn logs dirty pages (gfn_to_memslot + kvm_slot_dirty_track_enabled)")
                .step(Footprint.reads(Resource.SPTE, Resource.MEMSLOTS), (e, a) -> {
                    var p = e.s.sp((int) a[0]);
                    return p != null && Memslots.logging(e.s, Memslots.of(e.s, p.gfn)) ? 1 : 0;
                });
        // Under the read lock, zaps the SPTE pointing at sp with tdp_mmu_set_spte_atomic(); false if
        // another task changed it first. handle_removed_pt()'s freezing of each child SPTE is folded
        // into this one step: a fault's cmpxchg on an entry of the removed table then fails, as the
        // entries of an unlinked table read as FROZEN_SPTE (TdpMap.read). It reads sp->ptep with
        // kvm_tdp_mmu_read_spte(), an rcu_dereference(): PROVE_RCU wants rcu_read_lock() held.
        declare("tdp_mmu_zap_possible_nx_huge_page(sp: sp) -> bool")
                .lockdep(Lockdep.MMU_READ.andRcu()).mirrors("kvm_tdp_mmu_zap_possible_nx_huge_page", "v6.18")
                .doc("under the read lock, zaps the SPTE pointing at a TDP shadow page by cmpxchg; false if it changed")
                .step(TdpMmu.SET_SPTE_SHARED, (e, a) -> TdpMmu.zapSp(e, (int) a[0]) ? 1 : 0);
        // kvm_mmu_notifier_invalidate_range_start() -> kvm_handle_hva_range() (v7.2, kvm_main.c:560;
        // 6.12's __kvm_handle_hva_range() the same for the model) with .on_lock =
        // kvm_mmu_invalidate_start (6.12: _begin), .handler = kvm_mmu_unmap_gfn_range and
        // .flush_on_ret: one step under the caller's write lock (see NotifierOps.InvalidateRangeStart).
        declare("kvm_handle_hva_range_unmap(start: int, end: int)")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_handle_hva_range", "v7.2, v7.3")
                .doc("kvm_mmu_invalidate_start (6.12: _begin), kvm_mmu_unmap_gfn_range and the flush for a gpa range, as the"
                        + " notifier's _start")
                .step(NotifierOps.START, (e, a) -> {
                    NotifierOps.rangeStart(e, a[0], a[1]);
                    return 0;
                });
        // The .on_lock half alone, for a path that writes the unmap itself (an older kernel's).
        // 7.2's name (kvm_main.c:673); 5.10-6.12 call it kvm_mmu_invalidate_begin (Prelude.PRIMITIVE_RENAMES).
        declare("kvm_mmu_invalidate_start(start: int, end: int)")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_mmu_invalidate_start", "v7.2, v7.3")
                .olderName("kvm_mmu_invalidate_begin", "v6.12")
                .doc("++mmu_invalidate_in_progress and the gfn range of a gpa range, as the notifier's _start before it unmaps:"
                        + " faults in the range retry until kvm_mmu_invalidate_end()")
                .stepNamed(Footprint.updates(Resource.INVALIDATE).andReads(Resource.MEMSLOTS), (name, e, a) -> {
                    NotifierOps.invalidateStart(e, a[0], a[1], name); // the trace says the version's name
                    return 0;
                });
        declare("kvm_mmu_invalidate_end()")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_mmu_invalidate_end", "v7.2, v7.3")
                .doc("++mmu_invalidate_seq, --mmu_invalidate_in_progress, as the notifier's _end")
                .step(Footprint.updates(Resource.INVALIDATE), (e, a) -> {
                    NotifierOps.rangeEnd(e);
                    return 0;
                });
        // The host mm clears its own PTEs for a gpa range (the hva range of the notifier): not KVM.
        // Read in v6.12's mm/; not re-read for 7.2 (the trees on disk hold KVM's directories only).
        declare("host_unmap(start: int, end: int)")
                .mirrors("zap_page_range_single", "v6.12")
                .doc("the host clears its own PTEs for a gpa range: the hva maps nothing")
                .step(Footprint.updates(Resource.HOST), (e, a) -> {
                    Host.unmap(e, a[0] >>> 12, a[1] >>> 12);
                    return 0;
                });
        // The host mm dropping the last reference of the pages behind a gpa range once the notifier
        // returned (tlb_finish_mmu() -> free_pages_and_swap_cache() at the end of an unmap): not KVM.
        // v6.12's mm/, as host_unmap.
        declare("host_free_pages(start: int, end: int)")
                .mirrors("free_pages_and_swap_cache", "v6.12")
                .doc("the host frees the pages backing a gpa range: valid only after an invalidation")
                .step(Footprint.updates(Resource.HOST), (e, a) -> {
                    Host.free(e, a[0] >>> 12, a[1] >>> 12);
                    return 0;
                });
    }

    static {
        // fast_page_fault() (v7.2, mmu.c:3726; 6.12's the same for the model), which the prelude
        // writes out: FaultOps' lockless steps, over
        // the access's fault and the pass's spte (a local of fast_page_fault that the compiler binds).
        declare("fast_pf_fix_direct_spte(fault: fault) -> bool")
                .mirrors("fast_pf_fix_direct_spte", "v7.2, v7.3")
                .doc("try_cmpxchg64 of the SPTE the lockless walk read to itself | PT_WRITABLE_MASK, then"
                        + " mark_page_dirty_in_slot(fault->slot); false if another task changed the SPTE since")
                .expanded();
        declare("kvm_tdp_mmu_fast_pf_get_last_sptep(fault: fault) -> int")
                .mirrors("kvm_tdp_mmu_fast_pf_get_last_sptep", "v7.2, v7.3")
                .doc("the lockless walk to the fault's last SPTE, and fast_page_fault's checks of it: RET_PF_CONTINUE (0)"
                        + " if the cmpxchg may fix it, RET_PF_SPURIOUS (6) if writable (is_access_allowed(); spte_permission_fault() in"
                        + " v7.3), else RET_PF_INVALID (4)")
                .expanded();
        declare("fast_pf_get_last_sptep(fault: fault) -> int")
                .mirrors("fast_pf_get_last_sptep", "v7.2, v7.3")
                .doc("kvm_tdp_mmu_fast_pf_get_last_sptep's twin for the shadow MMU (for_each_shadow_entry_lockless)")
                .expanded();
    }

    static {
        // The TDP fault (kvm_tdp_mmu_page_fault() in mmu.c:4931, kvm_tdp_mmu_map() in tdp_mmu.c:1216, v7.2),
        // which the prelude writes out: TdpMap's steps, over the access's fault and its walk's iter.
        declare("is_page_fault_stale(fault: fault) -> bool")
                .mirrors("is_page_fault_stale", "v7.2, v7.3")
                .doc("whether the vCPU's root is obsolete, or an invalidation ended since the fault read mmu_seq (the sequence"
                        + " moved), or one in progress covers its gfn (mmu_invalidate_retry_gfn)")
                .expanded();
        // Its second half alone: the whole check under mmu_lock before a955cad84cda (v5.16).
        declare("mmu_invalidate_retry_gfn(fault: fault) -> bool")
                .mirrors("mmu_invalidate_retry_gfn", "v7.2, v7.3")
                .doc("whether an invalidation ended since the fault read mmu_seq (the sequence moved), or one in progress covers"
                        + " its gfn; is_page_fault_stale without its obsolete-root check")
                .expanded();
        declare("tdp_mmu_link_sp(fault: fault, iter: iter) -> int")
                .lockdep(Lockdep.MMU_READ).mirrors("tdp_mmu_link_sp", "v7.2, v7.3")
                .doc("links a new table at iter.sptep with tdp_mmu_set_spte_atomic (split from iter.old_spte if that is a huge"
                        + " page); 0, or -EBUSY if the cmpxchg failed (the thread then holds the unused sp)")
                .expanded();
        // The failed link's sp, which only this thread's stack points to: a thread-local step, merged
        // into the step of the link that failed.
        declare("tdp_mmu_free_unused_sp()")
                .mirrors("tdp_mmu_free_unused_sp", "v7.2")
                .doc("frees the sp a failed tdp_mmu_link_sp left this thread (sp and its external_spt); a thread that has"
                        + " none would free a linked table")
                .step(Footprint.LOCAL.andUpdates(Resource.VIOLATIONS), (e, a) -> {
                    if (e.self().unusedSp == 0) {
                        e.violate(Invariant.freed_page_table_walk, "tdp_mmu_free_unused_sp without a failed link's sp:"
                                + " it frees the table the link installed, which walks still reach");
                    }
                    e.self().unusedSp = 0;
                    return 0;
                });
        // tdp_mmu_map_handle_target_level() is prelude source (kernel/tdp_mmu.mmu) over these two and
        // the SPTE queries (is_shadow_present_pte, is_last_spte, is_access_allowed).
        declare("make_spte(fault: fault, iter: iter) -> int")
                .mirrors("make_spte", "v7.2, v7.3")
                .doc("the fault's leaf SPTE at iter.level (new_spte): its pfn, writable (W, MMU-writable) if fault->map_writable:"
                        + " unless the memslot is read-only or the read fault got its page read-only (gup_fast_may_fail),"
                        + " executable unless huge under nx_huge_pages; marks the page dirty (mark_page_dirty_in_slot) if it"
                        + " makes a writable SPTE in a dirty-logged slot")
                .expanded();
        declare("tdp_mmu_set_spte_atomic(iter: iter, new_spte: int) -> int")
                .lockdep(Lockdep.MMU_READ).mirrors("tdp_mmu_set_spte_atomic", "v7.2, v7.3")
                .doc("cmpxchg of new_spte at iter.sptep against iter.old_spte, then handle_changed_spte(); 0, or -EBUSY if"
                        + " the SPTE changed since the walk read it")
                .expanded();
        // The NX tracking of kvm_tdp_mmu_map() after a link.
        declare("nx_huge_page_disallowed(sp: sp) -> bool")
                .mirrors("nx_huge_page_disallowed", "v7.2, v7.3")
                .doc("sp->nx_huge_page_disallowed: set before a TDP table is linked, cleared by tdp_mmu_unlink_sp() when it is zapped")
                .step(Footprint.reads(Resource.SPTE, Resource.NX_LIST), (e, a) -> {
                    ShadowPage sp = e.s.sp((int) a[0]);
                    return sp != null && sp.nxHugePageDisallowed ? 1 : 0;
                });
        declare("track_possible_nx_huge_page(sp: sp)")
                .lockdep(Lockdep.mmuWriteOr(LockId.tdp_mmu_pages_lock)).mirrors("track_possible_nx_huge_page", "v6.12, v7.2, v7.3")
                .doc("puts a page on possible_nx_huge_pages and increments nx_lpage_splits (nothing if it is on the list)")
                .step(Nx.ACCOUNTING, (e, a) -> {
                    Nx.track(e, (int) a[0]);
                    return 0;
                });
    }

    static {
        // The shadow MMU's fault (direct_page_fault() and direct_map() in mmu.c:4836, 3501, v7.2), which the
        // prelude writes out: DirectMap's steps, over the access's fault and its for_each_shadow_entry()
        // iterator, all under mmu_lock held for write (direct_page_fault()'s write_lock()).
        declare("link_shadow_page(fault: fault, iter: shadow_iter)")
                .lockdep(Lockdep.MMU_WRITE).mirrors("link_shadow_page", "v7.2, v7.3")
                .doc("kvm_mmu_get_child_sp() and link_shadow_page(): a new direct shadow page linked at it.sptep (split from"
                        + " the huge SPTE there), as it.sp")
                .expanded();
        declare("mmu_set_spte(fault: fault, iter: shadow_iter)")
                .lockdep(Lockdep.MMU_WRITE).mirrors("mmu_set_spte", "v7.2, v7.3")
                .doc("installs the fault's leaf at it.sptep (not if already there); flushes, and frees the table, if it replaced"
                        + " a table")
                .expanded();
        declare("account_nx_huge_page(sp: sp, nx_huge_page_possible: bool)")
                .lockdep(Lockdep.MMU_WRITE).mirrors("account_nx_huge_page", "v6.12, v7.2, v7.3")
                .doc("sets sp->nx_huge_page_disallowed and, if nx_huge_page_possible, puts the page on possible_nx_huge_pages"
                        + " (track_possible_nx_huge_page)")
                .step(Nx.ACCOUNTING, (e, a) -> {
                    if (e.s.sp((int) a[0]) == null) { // freed memory
                        e.violate(Invariant.freed_page_table_walk, "account_nx_huge_page reads sp" + a[0] + " after it was freed");
                        return 0;
                    }
                    Nx.account(e, (int) a[0], a[1] != 0);
                    return 0;
                });
    }

    static {
        // kvm_mmu_zap_all_fast() (mmu.c:7044, its halves 6975 on) and kvm_tdp_mmu_zap_invalidated_roots()
        // (tdp_mmu.c:1017), v7.2 (6.12's one function, the same steps): the steps of the fast zap; the
        // prelude's kernel/mmu.mmu (6.12: kernel/6.12/mmu.mmu) and kernel/tdp_mmu.mmu combine them.
        declare("kvm_mmu_toggle_valid_gen()")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_mmu_zap_all_fast", "v7.2, v7.3")
                .doc("kvm->arch.mmu_valid_gen ^= 1: every shadow page made before is obsolete")
                .step(Footprint.updates(Resource.INVALID_ROOTS), (e, a) -> { // mmu_valid_gen is an INVALID_ROOTS resource
                    // __kvm_mmu_zap_all_fast_front_half() also asserts slots_lock (v7.2 mmu.c:6977;
                    // kvm_zap_obsolete_pages() in 5.10-6.12): two fast zaps at once would leave two
                    // invalid generations. A copy without it passed (trial11).
                    if (!Lock.held(e.s, e.thread, LockId.slots_lock)) {
                        e.violate(Invariant.lockdep,
                                "__kvm_mmu_zap_all_fast_front_half() needs slots_lock held (lockdep_assert_held(&kvm->slots_lock))");
                    }
                    e.s.mmuValidGen ^= 1;
                    // said in the trace: a shadow page's obsolescence is by generation (trial7)
                    if (e.tracing()) e.note("kvm->arch.mmu_valid_gen = " + e.s.mmuValidGen + ": every shadow page made before is obsolete");
                    return 0;
                });
        // 7.2's kvm_tdp_mmu_invalidate_roots(kvm, KVM_DIRECT_ROOTS) (tdp_mmu.c:1068): the model's roots
        // are all direct; 5.10-6.12 call it kvm_tdp_mmu_invalidate_all_roots (Prelude.PRIMITIVE_RENAMES).
        declare("kvm_tdp_mmu_invalidate_roots()")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_tdp_mmu_invalidate_roots", "v7.2, v7.3")
                .olderName("kvm_tdp_mmu_invalidate_all_roots", "v6.12")
                .doc("marks the TDP root invalid; the TDP MMU's own reference passes to its scheduled zap")
                .stepNamed(Footprint.updates(Resource.SPTE, Resource.INVALID_ROOTS), (name, e, a) -> {
                    FastZap.invalidateRoots(e, name);
                    return 0;
                });
        // kvm_make_all_cpus_request() kicks every vCPU out of the guest and waits for that: each
        // serves the request at its own next entry (VcpuRoots).
        declare("kvm_make_all_cpus_request_free_obsolete_roots()")
                .mirrors("kvm_make_all_cpus_request", "v7.2, v7.3")
                .doc("KVM_REQ_MMU_FREE_OBSOLETE_ROOTS: every vCPU frees an obsolete root and loads a new one before it enters the guest again")
                .step(Footprint.updates(Resource.SPTE, Resource.INVALID_ROOTS, Resource.TLB, Resource.VCPU_ROOTS), (e, a) -> {
                    FastZap.freeObsoleteRoots(e);
                    return 0;
                });
        // The kernel's out-parameter nr_zapped as the result; its `unstable` restart is the walk's own
        // (for sp in obsolete_pages starts from the list's head each time).
        declare("__kvm_mmu_prepare_zap_page(sp: sp) -> int")
                .lockdep(Lockdep.MMU_WRITE).mirrors("__kvm_mmu_prepare_zap_page", "v7.2, v7.3")
                .doc("unlinks an obsolete shadow page onto invalid_list (zapped_obsolete_pages); returns nr_zapped")
                .step(ShadowMmu.PREPARE_ZAP.andUpdates(Resource.INVALID_ROOTS), (e, a) -> FastZap.prepareObsolete(e, (int) a[0]));
        // for_each_tdp_pte_min_level(iter, kvm, root, zap_level, 0, tdp_mmu_max_gfn_exclusive()):
        // yields without a flush (no vCPU can use an invalid root). The iterator reads each SPTE
        // with rcu_dereference() (kvm_tdp_mmu_read_spte()): CONFIG_PROVE_RCU reports it outside
        // tdp_mmu_zap_root()'s rcu_read_lock(), which a held mmu_lock does not stand for.
        declare("__tdp_mmu_zap_root(root: sp, zap_level: int)")
                .lockdep(Lockdep.MMU_HELD.andRcu()).mirrors("__tdp_mmu_zap_root", "v7.2, v7.3")
                .doc("clears every present SPTE at zap_level in a root with tdp_mmu_set_spte_atomic, yielding without a flush")
                .expanded();
        // The same walk with the TDP iterator before "KVM: x86/mmu: Don't advance iterator after
        // restart due to yielding" (3a0f64de479c, v5.16).
        declare("__tdp_mmu_zap_root_advancing(root: sp, zap_level: int)")
                .lockdep(Lockdep.MMU_HELD.andRcu()).mirrors("__tdp_mmu_zap_root", "v5.15")
                .doc("__tdp_mmu_zap_root whose walk, restarted at the root after a yield, is advanced by tdp_iter_next():"
                        + " at the root's level it skips the SPTE it had not zapped yet")
                .expanded();
        // tdp_mmu_scheduled_root_to_zap is cleared by `for root in invalidated_roots`, as the
        // kernel's loop body does before its zap, not by a put.
        declare("kvm_tdp_mmu_put_root(root: sp)")
                .mirrors("kvm_tdp_mmu_put_root", "v7.2, v7.3")
                .doc("drops a reference to a TDP root; the last one frees it by call_rcu")
                .step(TdpMmu.PUT_ROOT, (e, a) -> {
                    TdpMmu.putRoot(e, (int) a[0]);
                    return 0;
                });
        // refcount_inc_not_zero(&root->tdp_mmu_root_count) (v7.2, tdp_mmu.h:15, as v6.12; v5.10's
        // kvm_mmu_get_root() is a plain ++).
        declare("kvm_tdp_mmu_get_root(root: sp) -> bool")
                .mirrors("kvm_tdp_mmu_get_root", "v7.2, v7.3")
                .doc("takes a reference to a TDP root unless its count already dropped to zero")
                .step(Footprint.updates(Resource.SPTE), (e, a) -> TdpMmu.tryGetRoot(e, (int) a[0]) ? 1 : 0);
        // v5.10 (mmu_internal.h): --sp->root_count; return !sp->root_count. Its TDP MMU callers did
        // not free the root at zero until a889ea54b3da (v5.11, "KVM: x86/mmu: Ensure TDP MMU roots
        // are freed after yield").
        declare("kvm_mmu_put_root(root: sp) -> bool")
                .lockdep(Lockdep.MMU_HELD).mirrors("kvm_mmu_put_root", "v5.10")
                .doc("drops a reference to a root without freeing it; true if it was the last")
                .step(Footprint.updates(Resource.SPTE, Resource.INVALID_ROOTS, Resource.VIOLATIONS).andReads(Resource.VCPU_ROOTS),
                        (e, a) -> TdpMmu.putRootV510(e, (int) a[0]) ? 1 : 0);
        // The prelude's kvm_smm_changed() (x86.mmu), vcpu_enter_guest()'s root handling (x86.mmu,
        // mmu.mmu, tdp_mmu.mmu) and kvm_mmu_free_roots() (mmu.mmu), v7.2 (as 6.12): a vCPU's own root, request
        // and SMM bits (VcpuRoots), each call on the vCPU it names (vCPU symmetry permutes it).
        // QEMU's SMRAM: a memslot of address space 1 (KVM_SET_USER_MEMORY_REGION, slot | 1 << 16,
        // kvm_main.c v7.2) over guest RAM, so that address space 1 differs from 0 there (VmState.smramStart).
        declare("kvm_set_smram_region(gpa: int, size: int)")
                .mirrors("kvm_set_memory_region", "v7.2, v7.3")
                .doc("address space 1 maps SMRAM over [gpa, gpa + size): a vCPU in SMM and one outside reach different"
                        + " pages there (wrong_address_space); while no vCPU is in SMM, mmu tdp only")
                // It reads HF_SMM_MASK of every vCPU to refuse SMRAM under a vCPU in SMM.
                .step(Footprint.updates(Resource.MEMSLOTS).andReads(Resource.VCPU_ROOTS), (e, a) -> {
                    VcpuRoots.setSmram(e, a[0], a[1]);
                    return 0;
                });
        declare("kvm_vcpu_set_smm(vcpu_id: int, smm: bool)")
                .mirrors("kvm_smm_changed", "v7.2, v7.3")
                .doc("sets or clears HF_SMM_MASK in a vCPU's hflags: its next root is of address space 1 (or 0); mmu tdp only")
                .stepOnVcpu(v -> Footprint.LOCAL.andUpdatesRoots(v), (e, a) -> {
                    VcpuRoots.setSmm(e, (int) a[0], a[1] != 0);
                    return 0;
                });
        declare("kvm_check_request_free_obsolete_roots(vcpu_id: int) -> bool")
                .mirrors("kvm_check_request", "v7.2, v7.3")
                .doc("test-and-clears the vCPU's KVM_REQ_MMU_FREE_OBSOLETE_ROOTS: whether it was pending")
                .stepOnVcpu(v -> Footprint.LOCAL.andUpdatesRoots(v), (e, a) -> VcpuRoots.checkRequest(e, VcpuRoots.vcpu(e, a[0])) ? 1 : 0);
        // Reads role.invalid and mmu_valid_gen of the root, without mmu_lock.
        // guest_mmu: vcpu->arch.guest_mmu (mmu both: the L2 guest's shadow root), else root_mmu.
        declare("is_obsolete_root(vcpu_id: int, guest_mmu: bool = false) -> bool")
                .mirrors("is_obsolete_root", "v7.2, v7.3")
                .doc("whether the vCPU's current root (of guest_mmu if asked) is invalid or of an old generation (no root: false)")
                .stepOnVcpu(v -> Footprint.reads(Resource.INVALID_ROOTS).andReadsRoots(v),
                        (e, a) -> VcpuRoots.obsoleteRoot(e, VcpuRoots.vcpu(e, a[0]), guestMmu(a)) ? 1 : 0);
        // The read lock for a TDP root, the write lock for a legacy one (checked in VcpuRoots).
        declare("mmu_free_root_page(vcpu_id: int, guest_mmu: bool = false)")
                .lockdep(Lockdep.MMU_HELD).mirrors("mmu_free_root_page", "v7.2, v7.3")
                .doc("puts a vCPU's reference to its root (kvm_tdp_mmu_put_root, or --root_count: the last on a zapped"
                        + " legacy root queues it on invalid_list) and leaves it without a root")
                .stepOnVcpu(v -> TdpMmu.PUT_ROOT.andUpdates(Resource.INVALID_LIST).andUpdatesRoots(v).andUpdatesTlb(v), (e, a) -> {
                    VcpuRoots.freeRoot(e, VcpuRoots.vcpu(e, a[0]), guestMmu(a));
                    return 0;
                });
        declare("root_hpa_valid(vcpu_id: int, guest_mmu: bool = false) -> bool")
                .mirrors("kvm_mmu_reload", "v7.2, v7.3")
                .doc("whether the vCPU has a root: vcpu->arch.mmu->root.hpa != INVALID_PAGE (guest_mmu's in guest mode)")
                .stepOnVcpu(v -> Footprint.LOCAL.andReadsRoots(v), (e, a) -> e.s.root(VcpuRoots.vcpu(e, a[0]), guestMmu(a)) >= 0 ? 1 : 0);
        // The valid root of the role (for_each_valid_tdp_mmu_root_yield_safe keeps the reference it
        // took), else the recheck under tdp_mmu_pages_lock and the new root, in one step. The walk
        // asserts only lockdep_assert_held() (tdp_mmu_next_root(), the macro's own check): a patch
        // taking the write lock is correct, was a false lockdep before (session 35, alloc2 trial).
        declare("tdp_mmu_get_or_alloc_root(vcpu_id: int)")
                .lockdep(Lockdep.MMU_HELD).mirrors("kvm_tdp_mmu_alloc_root", "v7.2, v7.3")
                .doc("gives the vCPU a reference to the valid root of its role (address space 1 in SMM), else a new root (count 2)")
                .stepOnVcpu(v -> Footprint.updates(Resource.SPTE).andReads(Resource.INVALID_ROOTS).andUpdatesRoots(v),
                        (e, a) -> {
                            VcpuRoots.loadRoot(e, VcpuRoots.vcpu(e, a[0]));
                            return 0;
                        });
        // kvm_mmu_get_shadow_page(vcpu, gfn, root_role) and ++sp->root_count, in one step: root_mmu's
        // direct root (mmu shadow), or guest_mmu's L2 root from mmu_alloc_shadow_roots() (mmu both).
        // mmu_alloc_root() asserts only lockdep_assert_held() (kvm_get_mmu_page_hash()); the guest_mmu
        // root shadows L1's EPT root (role.direct = 0), so account_shadowed()'s write tracking asserts
        // the write lock. A direct root under read_lock() races (list_add(), ++root_count) unasserted:
        // the model said "mmu_alloc_root() needs mmu_lock held for write" for both (trial11).
        declare("mmu_alloc_root(vcpu_id: int, guest_mmu: bool = false)")
                .lockdep(Lockdep.MMU_HELD).mirrors("mmu_alloc_root", "v7.2, v7.3")
                .doc("gives the vCPU a reference to the legacy root of the current generation (guest_mmu's: the L2 guest's), else a new root")
                .stepOnVcpu(v -> Footprint.updates(Resource.SPTE).andReads(Resource.INVALID_ROOTS).andUpdatesRoots(v),
                        (e, a) -> {
                            int v = VcpuRoots.vcpu(e, a[0]);
                            if (guestMmu(a) ? e.s.config.mmu() != Mmu.BOTH : e.s.config.mmu() != Mmu.SHADOW) {
                                throw new ScenarioError("mmu_alloc_root: legacy roots are modelled with mmu shadow (root_mmu) and mmu both (guest_mmu)");
                            }
                            if (e.s.holdsMmuLock(e.thread) && e.s.mmuWriter != e.thread) {
                                e.violate(Invariant.lockdep, guestMmu(a)
                                        ? "account_shadowed(): __kvm_write_track_add_gfn() needs mmu_lock held for write"
                                        : "mmu_alloc_root() under mmu_lock held for read (the kernel asserts only"
                                                + " lockdep_assert_held(), but kvm_mmu_alloc_shadow_page()'s list_add() and"
                                                + " ++root_count would race)");
                            }
                            if (guestMmu(a)) VcpuRoots.loadNestedRoot(e, v);
                            else VcpuRoots.loadRoot(e, v);
                            return 0;
                        });
        declare("flush_tlb_current(vcpu_id: int)")
                .mirrors("vmx_flush_tlb_current", "v7.2, v7.3")
                .doc("flushes the vCPU's TLB and paging-structure caches for its current root")
                .stepOnVcpu(v -> Footprint.LOCAL.andUpdatesTlb(v), (e, a) -> {
                    Tlbs.flushCurrent(e.s, VcpuRoots.vcpu(e, a[0]));
                    return 0;
                });
    }

    static {
        // kvm_set_memslot() (kvm_main.c) deleting or moving a slot, and its kvm_arch_flush_shadow_memslot()
        // (mmu.c), v7.2 (kvm_main.c:1798-1890; 6.12 the same): the prelude's kernel/kvm_main.mmu and
        // kernel/mmu.mmu combine these. A slot
        // is named by its id, a constant (or a path parameter passed one). The three swaps are
        // kvm_replace_memslot() + kvm_swap_active_memslots() without its synchronize_srcu, written
        // after them; each waits while an MMU-notifier invalidation is in progress.
        declare("memslot_set_invalid(slot: int)")
                .mirrors("kvm_invalidate_memslot", "v7.2, v7.3")
                .doc("publishes a copy of the memslot flagged KVM_MEMSLOT_INVALID: faults on it retry")
                .expanded();
        declare("memslot_remove(slot: int)")
                .mirrors("kvm_delete_memslot", "v7.2, v7.3")
                .doc("publishes the memslots without the slot: faults on it are emulated MMIO")
                .expanded();
        declare("memslot_set_base(slot: int, base_gpa: int)")
                .mirrors("kvm_move_memslot", "v7.2, v7.3")
                .doc("publishes the slot at its new base gpa (a constant aligned to its backing size), same hva and bitmap")
                .expanded();
        declare("synchronize_srcu()")
                .mirrors("synchronize_srcu_expedited", "v7.2")
                .doc("waits until no other thread holds kvm->srcu for read; never under mmu_lock")
                .expanded();
        // The end of kvm_set_memslot() (kvm_main.c:1969, v7.2): kfree(invalid_slot) for DELETE and MOVE,
        // then kvm_commit_memory_region() frees old (kvm_free_memslot() for DELETE, kfree() for MOVE and
        // FLAGS_ONLY, kvm_main.c:1726, 1757): one step for both, after the last swap's synchronize_srcu().
        declare("kfree_memslot(slot: int)")
                .mirrors("kvm_set_memslot", "v7.2, v7.3")
                .doc("frees the struct kvm_memory_slot copies the slot's swaps replaced (kfree(invalid_slot), kvm_free_memslot(old)"
                        + " or kfree(old)): a fault that looked one up before its swap and reads fault->slot after is a use_after_free")
                .step(Footprint.updates(Resource.MEMSLOT_STRUCTS), (e, a) -> {
                    int pos = slot(e, a[0]);
                    int n = Memslots.free(e.s, pos);
                    if (e.tracing()) {
                        e.note(n == 0 ? "kfree_memslot: memslot " + a[0] + " has no replaced struct kvm_memory_slot"
                                : "kfree_memslot: " + n + " replaced struct kvm_memory_slot" + (n == 1 ? "" : "s")
                                        + " of memslot " + a[0] + " freed");
                    }
                    return 0;
                });
        declare("kvm_check_memslot_overlap(slot: int, base_gpa: int) -> bool")
                .mirrors("kvm_check_memslot_overlap", "v7.2, v7.3")
                .doc("whether the slot moved to base_gpa would overlap another active slot (-EEXIST)")
                .step(Footprint.reads(Resource.MEMSLOTS), (e, a) -> {
                    int pos = slot(e, a[0]);
                    return Memslots.overlaps(e.s, pos, a[1] >>> 12, e.s.config.memslots().get(pos).npages()) ? 1 : 0;
                });
    }

    static {
        // SPTE writes under the write lock from the caller's snapshot (iter.old_spte), while the CPU
        // sets A/D and fast_page_fault() sets W without mmu_lock (VolatileBits; SPTE values are
        // opaque ints: a snapshot, or 0 to zap). (gfn, level) name iter->sptep: inside a tdp_pte loop
        // in the loop's root, which the compiler passes as a last argument (VolatileBits.root).
        declare("kvm_tdp_mmu_read_spte(gfn: int, level: int) -> int")
                .mirrors("kvm_tdp_mmu_read_spte", "v7.2, v7.3")
                .doc("the SPTE mapping gfn at level (READ_ONCE, as the TDP iterator's iter.old_spte); 0 if none")
                .step(Footprint.reads(Resource.SPTE, Resource.SPTE_ACCESS),
                        (e, a) -> VolatileBits.read(e, VolatileBits.root(e, a, 2), a[0], (int) a[1]));
        declare("tdp_mmu_set_spte(gfn: int, level: int, old_spte: int, new_spte: int) -> int")
                .lockdep(Lockdep.MMU_WRITE).mirrors("tdp_mmu_set_spte", "v6.12, v7.2, v7.3")
                .doc("writes the SPTE, by xchg if old_spte has volatile bits, then handle_changed_spte() on the value replaced"
                        + " (kvm_set_pfn_dirty for a dirty leaf); returns that value. From kernel 6.18 a clear A bit is not"
                        + " volatile (v6.15) and there is no kvm_set_pfn_dirty (v6.13)")
                .step(VolatileBits.WRITE,
                        (e, a) -> VolatileBits.setSpte(e, VolatileBits.root(e, a, 4), a[0], (int) a[1], a[2], a[3], true));
        // tdp_mmu_iter_set_spte(kvm, &iter, new_spte): tdp_mmu_set_spte() from iter.old_spte. Under the
        // write lock the snapshot differs from memory in volatile bits only, which the xchg of a
        // snapshot with volatile bits picks up: the value handled is memory's, in one step.
        declare("tdp_mmu_iter_set_spte(gfn: int, level: int, new_spte: int)")
                .lockdep(Lockdep.MMU_WRITE).mirrors("tdp_mmu_iter_set_spte", "v6.12, v7.2, v7.3")
                .doc("tdp_mmu_set_spte() at iter.sptep from iter.old_spte, then handle_changed_spte(); new_spte is 0"
                        + " (SHADOW_NONPRESENT_VALUE) or a leaf snapshot")
                .step(VolatileBits.WRITE, (e, a) -> {
                    int root = VolatileBits.root(e, a, 3);
                    VolatileBits.setSpte(e, root, a[0], (int) a[1], VolatileBits.read(e, root, a[0], (int) a[1]), a[2], true);
                    return 0;
                });
        declare("__tdp_mmu_set_spte(gfn: int, level: int, old_spte: int, new_spte: int) -> int")
                .lockdep(Lockdep.MMU_WRITE).mirrors("__tdp_mmu_set_spte", "v5.17")
                .doc("as tdp_mmu_set_spte before 'Use atomic XCHG to write TDP MMU SPTEs with volatile bits' (v5.18):"
                        + " WRITE_ONCE, then handle_changed_spte() on old_spte")
                .step(VolatileBits.WRITE,
                        (e, a) -> VolatileBits.setSpte(e, VolatileBits.root(e, a, 4), a[0], (int) a[1], a[2], a[3], false));
        // The MMU notifier's aging handlers under mmu_lock (kvm_handle_hva_range() holds it for write in
        // v6.12; lockless TDP MMU aging came in v6.15). The range is in gpa, as the notifier's. 6.12's
        // kvm_age_gfn() and kvm_test_age_gfn() (kernel/6.12/mmu.mmu; 5.10's, 5.12's) call these: its
        // kvm_age_rmap half and the TDP MMU's walk of every root, in one step under the write lock.
        // 7.2's kvm_age_gfn() is prelude source (kernel/mmu.mmu, tdp_mmu.mmu), which does not define
        // these names (it calls __kvm_tdp_mmu_age_gfn_range() itself).
        declare("kvm_tdp_mmu_age_gfn_range(start: int, end: int) -> bool")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_tdp_mmu_age_gfn_range", "v6.12")
                .doc("clears the A bit of the leaf SPTEs mapping a gpa range in every TDP root (age_gfn_range:"
                        + " tdp_mmu_clear_spte_bits, atomic where the CPU may set A/D meanwhile) and, as 6.12's kvm_age_gfn()"
                        + " runs first, in the rmaps (kvm_age_rmap); returns whether one was set")
                .step(Aging.AGE, (e, a) -> Aging.age(e, a[0], a[1], false) ? 1 : 0);
        declare("kvm_tdp_mmu_test_age_gfn(start: int, end: int) -> bool")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_tdp_mmu_test_age_gfn", "v6.12")
                .doc("whether a leaf SPTE mapping a gpa range has its A bit set, in every TDP root (test_age_gfn) and,"
                        + " as 6.12's kvm_test_age_gfn() runs first, the rmaps (kvm_test_age_rmap)")
                .step(Footprint.reads(Resource.SPTE, Resource.SPTE_ACCESS, Resource.MEMSLOTS, Resource.INVALID_ROOTS),
                        (e, a) -> Aging.age(e, a[0], a[1], true) ? 1 : 0);
        // v7.2's kvm_age_gfn() with range->lockless (kernel/mmu.mmu): the rmap half stays one step
        // (kvm_rmap_age_gfn_range() takes each rmap's own bit lock, kvm_rmap_lock_readonly; its
        // per-SPTE cmpxchg is not split out: docs/kernel-model.md, "Aging with mmu both").
        declare("kvm_rmap_age_gfn_range(start: int, end: int, test_only: bool) -> bool")
                .mirrors("kvm_rmap_age_gfn_range", "v7.2, v7.3")
                .doc("the rmap half of kvm_age_gfn() / kvm_test_age_gfn() over a memslot's gfns [start, end), without mmu_lock: the shadow"
                        + " MMU's leaves (mmu shadow: every root's; mmu both: the nested guest's); clears A unless test_only;"
                        + " returns whether one was set")
                .step(Aging.AGE_RMAPS, (e, a) -> Aging.ageRmaps(e, a[0], a[1], a[2] != 0) ? 1 : 0);
        // __tdp_mmu_set_spte_atomic(kvm, iter, new_spte) (tdp_mmu.c:573, v7.2): try_cmpxchg64 at
        // iter->sptep (an rcu_dereference) against iter->old_spte, no handle_changed_spte(). The aging
        // walk's own write (kvm_tdp_mmu_age_spte): new_spte differs from old_spte in A/D only.
        declare("__tdp_mmu_set_spte_atomic(gfn: int, level: int, old_spte: int, new_spte: int) -> int")
                .lockdep(Lockdep.NONE.andRcu()).mirrors("__tdp_mmu_set_spte_atomic", "v7.2, v7.3")
                .doc("try_cmpxchg64 of new_spte at the SPTE mapping gfn at level against old_spte (the walk's iter.old_spte),"
                        + " without handle_changed_spte(); 0, or -EBUSY if the SPTE changed since. new_spte may differ from"
                        + " old_spte in its A/D bits only (the aging walk's)")
                .step(Aging.CMPXCHG, (e, a) -> Aging.cmpxchg(e, VolatileBits.root(e, a, 4), a[0], (int) a[1], a[2], a[3]));
        // kvm_tdp_mmu_write_spte(sptep, old_spte, new_spte, level) (tdp_iter.h, v7.2): xchg if
        // spte_needs_atomic_update(old_spte), else WRITE_ONCE; asserts no lock. For a patch that
        // writes where the kernel cmpxchgs: the value in memory is replaced whatever it is now.
        declare("kvm_tdp_mmu_write_spte(gfn: int, level: int, old_spte: int, new_spte: int) -> int")
                .mirrors("kvm_tdp_mmu_write_spte", "v7.2, v7.3")
                .doc("stores new_spte at the SPTE mapping gfn at level (xchg or WRITE_ONCE by old_spte), no"
                        + " handle_changed_spte(); returns the value replaced. A value other than old_spte (but for its"
                        + " A/D/W bits) replaced is lost_spte_update")
                .step(Aging.WRITE, (e, a) -> Aging.writeSpte(e, VolatileBits.root(e, a, 4), a[0], (int) a[1], a[2], a[3]));
    }

    static {
        // Dirty logging (kvm_main.c, x86.c, mmu.c, tdp_mmu.c; v7.2, as 6.12 for the model): the prelude's kvm_main.mmu,
        // x86.mmu, mmu.mmu and tdp_mmu.mmu combine these. A slot is named by its id, a constant.
        declare("memslot_set_flags(slot: int, log_dirty_pages: bool)")
                .mirrors("kvm_update_flags_memslot", "v7.2, v7.3")
                .doc("publishes the slot with KVM_MEM_LOG_DIRTY_PAGES set or cleared and a zeroed dirty bitmap;"
                        + " waits while an MMU-notifier invalidation is in progress")
                .expanded();
        // The dirty-log ioctls' flush after mmu_lock is dropped (the window, VmState.dirtyLogBusy, ends with slots_lock).
        // It asserts lockdep_assert_held(&kvm->slots_lock) (kvm_main.c:337, v7.2): a commit moved out of
        // slots_lock was a dirty_log_lost at a write the ioctl had not returned from (trial12).
        declare("kvm_flush_remote_tlbs_memslot(slot: int)")
                .lockdep(Lockdep.held(LockId.slots_lock))
                .mirrors("kvm_flush_remote_tlbs_memslot", "v7.2, v7.3")
                .doc("kvm_flush_remote_tlbs_range() of the memslot's gfns: every vCPU's whole TLB unless flush_remote_tlbs_range is on")
                .step(SlotOps.FLUSH_MEMSLOT, (e, a) -> {
                    SlotOps.flushRemoteTlbsMemslot(e, slot(e, a[0]));
                    return 0;
                });
        // kvm_clear_dirty_log_protect()'s loop over the bitmap words, under KVM_MMU_LOCK: one step.
        declare("kvm_arch_mmu_enable_log_dirty_pt_masked(slot: int) -> bool")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_arch_mmu_enable_log_dirty_pt_masked", "v7.2, v7.3")
                .doc("clears every dirty bit of a memslot (atomic_long_fetch_andnot) and write-protects those pages'"
                        + " 4K SPTEs; returns whether a bit was cleared (a flush is owed)")
                .step(SlotOps.CLEAR_DIRTY_MASKED, (e, a) ->
                        SlotOps.clearDirtyMasked(e, slot(e, a[0])) ? 1 : 0);
        // The shadow MMU's halves (kvm_memslots_have_rmaps(): mmu shadow and mmu both): the prelude writes
        // __walk_slot_rmaps()'s loop out in each caller (kernel/mmu.mmu), with its yield point and
        // flush on yield; these are its steps. The model's rmaps are the legacy leaves (RmapWalks.leaves);
        // (slot, level, gfn) names the rmap head of gfn at that level (iterator.rmap), and a step
        // visits it and the heads after it in its group (one last-level table's: RmapWalks).
        declare("slot_rmap_write_protect(slot: int, level: int, gfn: int) -> bool")
                .lockdep(Lockdep.MMU_WRITE).mirrors("slot_rmap_write_protect", "v7.2, v7.3")
                .doc("rmap_write_protect(rmap_head, false) of an rmap head and the rest of its group: clears W of their leaves"
                        + " (MMU-writable kept);"
                        + " returns whether one changed")
                .step(RmapWalks.VISIT, (e, a) -> rmap(e, RmapWalks.Handler.SLOT_RMAP_WRITE_PROTECT, a));
        declare("__rmap_clear_dirty(slot: int, level: int, gfn: int) -> bool")
                .lockdep(Lockdep.MMU_WRITE).mirrors("__rmap_clear_dirty", "v7.2, v7.3")
                .doc("__rmap_clear_dirty() of an rmap head and the rest of its group: clears D of their leaves, or W where"
                        + " spte_ad_need_write_protect() (the L2 guest's with mmu both); returns whether one changed")
                .step(RmapWalks.CLEAR_DIRTY, (e, a) -> rmap(e, RmapWalks.Handler.RMAP_CLEAR_DIRTY, a));
        // end_gfn is __walk_slot_rmaps()'s (inclusive); -1 is the slot's last gfn, what walk_slot_rmaps() passes.
        declare("kvm_zap_rmap(slot: int, level: int, gfn: int, end_gfn: int = -1) -> bool")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_zap_rmap", "v7.2, v7.3")
                .doc("kvm_zap_all_rmap_sptes() of an rmap head and the rest of its group up to end_gfn's head: zaps their"
                        + " leaves; returns whether one held an SPTE (a flush is owed)")
                .step(RmapWalks.VISIT, (e, a) -> rmap(e, RmapWalks.Handler.KVM_ZAP_RMAP, a));
        declare("shadow_mmu_try_split_huge_pages(slot: int, level: int, gfn: int) -> bool")
                .lockdep(Lockdep.MMU_WRITE).mirrors("shadow_mmu_try_split_huge_pages", "v7.2, v7.3")
                .doc("splits each huge leaf of an rmap head and the rest of its group one level down (same pfns and rights);"
                        + " returns false: no flush is owed")
                .step(RmapWalks.VISIT, (e, a) -> rmap(e, RmapWalks.Handler.SHADOW_MMU_TRY_SPLIT_HUGE_PAGES, a));
        declare("kvm_mmu_zap_collapsible_spte(slot: int, level: int, gfn: int) -> bool")
                .lockdep(Lockdep.MMU_WRITE).mirrors("kvm_mmu_zap_collapsible_spte", "v7.2, v7.3")
                .doc("zaps the leaves of an rmap head and the rest of its group below kvm_mmu_max_mapping_level(); returns"
                        + " whether one went (a flush is owed); with flush_remote_tlbs_range on it flushes each one's gfns"
                        + " instead (kvm_flush_remote_tlbs_sptep) and returns false")
                .step(RmapWalks.VISIT_AND_FLUSH, (e, a) -> rmap(e, RmapWalks.Handler.KVM_MMU_ZAP_COLLAPSIBLE_SPTE, a));
        declare("slot_rmap_walk_next(slot: int, level: int, gfn: int, end_gfn: int = -1) -> int")
                .mirrors("slot_rmap_walk_next", "v7.2, v7.3")
                .doc("iterator.gfn at the first rmap head of the level past gfn's group, up to end_gfn's, that holds an SPTE"
                        + " (empty heads are skipped); -1 if none is left at that level")
                .step(RmapWalks.NEXT, (e, a) -> RmapWalks.nextHead(e.s, slot(e, a[0]), (int) a[1], a[2], a[3]));
        // The model's step visits a group of heads at once; a yield after it stands where the kernel's
        // iterator stands after the group's last head holding an SPTE, which the zap then empties.
        declare("slot_rmap_walk_last(slot: int, level: int, gfn: int, end_gfn: int = -1) -> int")
                .mirrors("slot_rmap_walk_next", "v7.2, v7.3")
                .doc("iterator.gfn after a step's heads: that of the last head of gfn's group, up to end_gfn's, holding an SPTE,"
                        + " or gfn; read before the handler, for the range a yield flushes")
                .step(RmapWalks.NEXT, (e, a) -> RmapWalks.lastHead(e.s, slot(e, a[0]), (int) a[1], a[2], a[3]));
        // kvm_for_each_memslot_in_gfn_range() of address space 0 (the model's memslots), for
        // kvm_rmap_zap_gfn_range()'s loop in the prelude's kvm_zap_gfn_range.
        declare("kvm_memslot_iter_start(start_gfn: int, end_gfn: int) -> int")
                .mirrors("kvm_memslot_iter_start", "v7.2, v7.3")
                .doc("the id of the first memslot in gfn order that ends after start_gfn and begins before end_gfn, or -1;"
                        + " from the previous slot's end, kvm_memslot_iter_next()")
                .step(Footprint.reads(Resource.MEMSLOTS), (e, a) -> Memslots.iterStart(e.s, a[0], a[1]));
        // kvm_for_each_memslot_in_hva_range() of address space 0, for kvm_handle_hva_range()'s loop in
        // the prelude's MMU notifier: the model's hva of a slot is its configured gpa (a move keeps it).
        declare("kvm_memslot_hva_iter_start(start: int, end: int) -> int")
                .mirrors("kvm_for_each_memslot_in_hva_range", "v7.2, v7.3")
                .doc("the id of the first memslot in hva order whose hvas meet [start, end), or -1; from the previous slot's"
                        + " userspace_addr + npages * 4K for the next")
                .step(Footprint.reads(Resource.MEMSLOTS), (e, a) -> Memslots.hvaIterStart(e.s, a[0], a[1]));
        // The TDP MMU's slot walks (tdp_mmu.c), from valid root to valid root (MmuOps.IterNextRoot),
        // yielding without a flush (tdp_mmu_iter_cond_resched(flush = false)); lockdep is checked at
        // each SPTE change.
        // min_level is PG_LEVEL_4K for write protection without PML, PG_LEVEL_2M with it (a constant).
        declare("wrprot_gfn_range(start_gfn: int, end_gfn: int, min_level: int = 1) -> bool")
                .lockdep(Lockdep.MMU_HELD).mirrors("wrprot_gfn_range", "v7.2, v7.3")
                .doc("clears W of the writable leaf SPTEs in [start, end) from min_level up with tdp_mmu_set_spte_atomic;"
                        + " returns whether one changed")
                .expanded();
        declare("clear_dirty_gfn_range(start_gfn: int, end_gfn: int) -> bool")
                .lockdep(Lockdep.MMU_HELD).mirrors("clear_dirty_gfn_range", "v7.2, v7.3")
                .doc("clears D of the leaf SPTEs in [start, end) with tdp_mmu_set_spte_atomic (dirty logging with PML),"
                        + " in one step; returns whether one changed")
                .step(SlotOps.CLEAR_DIRTY_RANGE, (e, a) -> SlotOps.clearDirtyGfnRange(e, a[0], a[1]) ? 1 : 0);
        // shared: kvm_tdp_mmu_try_split_huge_pages()'s, passed on to the walk (v7.2, tdp_mmu.c:1596): it asserts
        // kvm_lockdep_assert_mmu_lock_held(kvm, shared) on entry and drops and retakes mmu_lock in that mode.
        declare("tdp_mmu_split_huge_pages_root(start_gfn: int, end_gfn: int, shared: bool)")
                .lockdep(Lockdep.MMU_HELD).mirrors("tdp_mmu_split_huge_pages_root", "v7.2, v7.3")
                .doc("splits every huge leaf SPTE in [start, end) down to 4K, dropping mmu_lock to allocate each table;"
                        + " no flush; mmu_lock held for read if shared, for write if not")
                .expanded();
        // 6.12's TDP walk (gone in 7.2): 5.10-6.12's text calls it, 6.18's and 7.2's
        // recover_huge_pages_range. 7.2's text keeps it for mmu shadow only, as the model's
        // kvm_rmap_zap_collapsible_sptes() over the one shadow tree: 6.12's steps under 7.2 there.
        declare("zap_collapsible_spte_range(slot: int)")
                .lockdep(Lockdep.MMU_HELD).mirrors("zap_collapsible_spte_range", "v6.12")
                .doc("zaps each table of a memslot that could be a huge page again with tdp_mmu_zap_spte_atomic"
                        + " (freeze, flush, clear)")
                .expanded();
        // Its v6.13+ replacement (6.18's and 7.2's prelude): HugePageRecovery.
        declare("recover_huge_pages_range(slot: int)")
                .lockdep(Lockdep.MMU_READ).mirrors("recover_huge_pages_range", "v7.2, v7.3")
                .doc("replaces each table of a memslot that could be a huge page again by a huge leaf made from a leaf"
                        + " under it (tdp_mmu_set_spte_atomic); the flush is owed: at the next yield, or after the root")
                .expanded();
    }

    /** A handler of __walk_slot_rmaps() on the head of (level, gfn) of the slot with id a[0]; 1 if it owes a flush. */
    /** The handler on (slot, level, gfn) up to end_gfn (-1: the slot's last gfn, walk_slot_rmaps()'s). */
    private static long rmap(Exec e, RmapWalks.Handler fn, long[] a) {
        return RmapWalks.handle(e, fn, slot(e, a[0]), (int) a[1], a[2], a.length > 3 ? a[3] : -1) ? 1 : 0;
    }

    /**
     * The position of the memslot a step's `slot` argument names. A constant is checked when the
     * path compiles; one computed while running (kvm_memslot_iter_start()) is checked here.
     */
    private static int slot(Exec e, long id) {
        int pos = Memslots.position(e.s.config, id);
        if (pos < 0) throw new ScenarioError("no memslot has id " + id);
        return pos;
    }

    private Primitives() {}

    /** The primitive of that name or alias, or null. */
    public static Primitive get(String name) {
        return ALL.get(ALIASES.getOrDefault(name, name));
    }

    /** Other names of primitives (alias to name): a file written with the old name still checks. */
    public static Map<String, String> aliases() {
        return Collections.unmodifiableMap(ALIASES);
    }

    private static void alias(String alias, String name) {
        ALIASES.put(alias, name);
    }

    /** A page gone with its RCU callback or commit: reading it is a walk of freed memory. */
    private static boolean freed(Exec e, long spId, String function) {
        if (e.s.sp((int) spId) != null) return false;
        e.violate(Invariant.freed_page_table_walk, function + " reads sp" + spId + " after it was freed");
        return true;
    }

    /** Every primitive, in declaration order. */
    public static Map<String, Primitive> all() {
        return Collections.unmodifiableMap(ALL);
    }

    /** Starts a declaration from its signature, e.g. {@code "remote_flush_or_zap(flush: bool) -> bool"}. */
    /** lockdep.h's name(lock), asserting mode: the kernel's function, one thread-local check. */
    private static void lockAssert(String name, LockAsserts.Mode mode, String doc) {
        declare(name + "(lock: lock)").mirrors(name, "v7.2, v7.3").doc(doc).step(LockAsserts.FOOTPRINT, (e, a) -> {
            LockAsserts.check(e, name, LockId.values()[(int) a[0]], mode);
            return 0;
        });
    }

    static Declaration declare(String signature) {
        return new Declaration(signature);
    }

    /** One primitive being declared: see the class comment. */
    static final class Declaration {
        private static final Pattern SIGNATURE =
                Pattern.compile("(\\w+)\\(([^)]*)\\)(?:\\s*->\\s*(\\w+))?");
        private static final Pattern PARAM = Pattern.compile("(\\w+):\\s*(\\w+)(?:\\s*=\\s*(-?\\w+))?");

        private final String name;
        private final List<Param> params = new ArrayList<>();
        private final Type returns;
        private Lockdep lockdep = Lockdep.NONE;
        private String kernel;
        private String version;
        private String doc;
        private String older;
        private String olderVersion;

        private Declaration(String signature) {
            Matcher m = SIGNATURE.matcher(signature.trim());
            if (!m.matches()) throw new IllegalArgumentException("not a signature: " + signature);
            name = m.group(1);
            returns = m.group(3) == null ? Type.VOID : type(m.group(3), signature);
            for (String p : m.group(2).isBlank() ? new String[0] : m.group(2).split(",")) {
                Matcher pm = PARAM.matcher(p.trim());
                if (!pm.matches()) throw new IllegalArgumentException("not a parameter: '" + p + "' in " + signature);
                Type type = type(pm.group(2), signature);
                params.add(new Param(pm.group(1), type,
                        pm.group(3) == null ? OptionalLong.empty() : OptionalLong.of(value(type, pm.group(3)))));
            }
        }

        Declaration lockdep(Lockdep l) {
            lockdep = l;
            return this;
        }

        /**
         * The kernel function it mirrors and the version whose code it follows: "v7.2" where 7.2 has
         * the steps the model keeps, "v7.2, v7.3" where v7.3-rc7 was read to keep them too,
         * "v6.12, v7.2" where it runs each version's (a flag of Prelude's), "v6.12" for one only
         * older versions call (docs/kernel-model.md, "The primitives say 7.2", "Kernel 7.3").
         */
        Declaration mirrors(String kernelFunction, String kernelVersion) {
            kernel = kernelFunction;
            version = kernelVersion;
            return this;
        }

        /**
         * Registers the same step under the name older versions of the prelude call it by (the
         * version whose code that name follows): {@link Prelude#PRIMITIVE_RENAMES} says which
         * version calls which, and the checker holds each version to its own.
         */
        Declaration olderName(String older, String olderVersion) {
            this.older = older;
            this.olderVersion = olderVersion;
            return this;
        }

        /** One line: what it does, lower case, no final period. */
        Declaration doc(String line) {
            doc = line;
            return this;
        }

        /** A body that is told the name it was called by: a renamed primitive's trace says the caller's kernel's. */
        @FunctionalInterface
        interface NamedBody {
            long call(String name, Exec e, long[] args);
        }

        /** Registers it, and its {@link #olderName}, as one atomic step whose body gets the name called. */
        Primitive stepNamed(Footprint effects, NamedBody body) {
            Objects.requireNonNull(body);
            return register(Objects.requireNonNull(effects), null, n -> (e, a) -> body.call(n, e, a));
        }

        /** Registers it as one atomic step with these effects. */
        Primitive step(Footprint effects, Primitive.Body body) {
            return register(Objects.requireNonNull(effects), Objects.requireNonNull(body));
        }

        /**
         * Registers a primitive with a {@code vcpu_id} parameter as one atomic step: its effects on
         * the vCPU it is passed ({@link Resource#vcpuRootsOf}, {@link Resource#tlbOf}); of -1, on any.
         */
        Primitive stepOnVcpu(java.util.function.IntFunction<Footprint> effects, Primitive.Body body) {
            if (params.stream().noneMatch(p -> p.name().equals(Primitive.VCPU_ID))) {
                throw new IllegalStateException(name + ": stepOnVcpu without a vcpu_id parameter");
            }
            Objects.requireNonNull(body);
            return register(effects.apply(-1), effects, n -> body);
        }

        /** Registers it as expanded in place by the compiler. */
        Primitive expanded() {
            return register(Footprint.LOCAL, null);
        }

        private Primitive register(Footprint effects, Primitive.Body body) {
            if (params.stream().anyMatch(p -> p.name().equals(Primitive.VCPU_ID))) {
                throw new IllegalStateException(name + ": a vcpu_id parameter needs stepOnVcpu");
            }
            return register(effects, null, n -> body);
        }

        /** Registers it (and its older name, if any) with the body for each name. */
        private Primitive register(Footprint effects, java.util.function.IntFunction<Footprint> onVcpu,
                                   java.util.function.Function<String, Primitive.Body> bodyFor) {
            Primitive p = new Primitive(name, List.copyOf(params), returns, lockdep,
                    Objects.requireNonNull(kernel, name + ": mirrors(...) missing"), version,
                    Objects.requireNonNull(doc, name + ": doc(...) missing"), effects, onVcpu, bodyFor.apply(name));
            if (ALL.putIfAbsent(name, p) != null) throw new IllegalStateException(name + " declared twice");
            if (older != null) {
                Prelude.PrimitiveRename r = Prelude.primitiveRename(name)
                        .filter(x -> x.newer().equals(name) && x.older().equals(older))
                        .orElseThrow(() -> new IllegalStateException(name + ": olderName " + older + " is no Prelude.PRIMITIVE_RENAMES entry"));
                Primitive o = new Primitive(older, p.params(), returns, lockdep, older, olderVersion,
                        doc + " (kernel " + r.versionsOf(older) + "'s name; " + r.versionsOf(name) + " calls it " + name + ")",
                        effects, onVcpu, bodyFor.apply(older));
                if (ALL.putIfAbsent(older, o) != null) throw new IllegalStateException(older + " declared twice");
            }
            return p;
        }

        private static Type type(String word, String signature) {
            for (Type t : Type.values()) if (t.word.equals(word) && t != Type.VOID) return t;
            throw new IllegalArgumentException("unknown type '" + word + "' in " + signature + ": use int, bool, sp, lock, fault or iter");
        }

        private static long value(Type type, String literal) {
            if (type != Type.BOOL) return Long.decode(literal);
            if (!literal.equals("true") && !literal.equals("false")) {
                throw new IllegalArgumentException("a bool default is true or false, not " + literal);
            }
            return literal.equals("true") ? 1 : 0;
        }
    }

    /** A root primitive's guest_mmu argument (false when a caller compiled without it passes none). */
    private static boolean guestMmu(long[] a) {
        return a.length > 1 && a[1] != 0;
    }
}
