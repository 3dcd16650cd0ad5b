package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.VmState;

/**
 * Ops of the memslot and dirty-logging paths (virt/kvm/kvm_main.c, arch/x86/kvm/x86.c,
 * mmu/mmu.c, mmu/tdp_mmu.c; v6.x unless an op says otherwise). Slots are named by position.
 */
public final class SlotOps {
    private SlotOps() {}

    /**
     * kvm_swap_active_memslots() (kvm_main.c, v7.2 as v6.12; since 52ac8b358b0c "KVM: Block memslot updates
     * across range_start() and range_end()"): the new memslots are published under
     * mn_invalidate_lock only once mn_active_invalidate_count is 0. The ops that swap wait here.
     */
    static int swapChoices(VmState s) {
        return s.mnActiveInvalidateCount == 0 ? 1 : 0;
    }

    /**
     * kvm_set_memory_region() asserts slots_lock (lockdep_assert_held(&kvm->slots_lock),
     * kvm_main.c:2005, v7.2): KVM_SET_USER_MEMORY_REGION takes it around every memslot swap. A
     * pasted memslot_move without it passed (trial10); now each swap checks it.
     */
    static void requireSlotsLock(Exec e, String swap) {
        if (!Lock.held(e.s, e.thread, LockId.slots_lock)) {
            e.violate(Invariant.lockdep, swap + " without slots_lock: kvm_set_memory_region() asserts"
                    + " lockdep_assert_held(&kvm->slots_lock)");
        }
    }

    /** What {@link #swapChoices} reads: mn_active_invalidate_count. */
    private static final Footprint SWAP = Footprint.reads(Resource.INVALIDATE);

    /**
     * What a swap's retiring of the struct it replaced writes (Memslots#retire), with the scan for
     * faults that still hold the struct whose number the new one takes ({@link Memslots#OUTLIVE}).
     */
    private static final Footprint RETIRE = Footprint.updates(Resource.MEMSLOT_STRUCTS).union(Memslots.OUTLIVE);

    /** {@link #RETIRE} in s: the scan only where the new struct's number may be held ({@link Memslots#outliveFootprint}). */
    private static Footprint retire(VmState s, int pos) {
        return Footprint.updates(Resource.MEMSLOT_STRUCTS).union(Memslots.outliveFootprint(s, pos));
    }

    /**
     * kvm_set_memslot(KVM_MR_FLAGS_ONLY) up to kvm_swap_active_memslots(): the new memslot with
     * KVM_MEM_LOG_DIRTY_PAGES toggled and a fresh (zeroed) dirty bitmap (kvm_prepare_memory_region)
     * becomes the active one. Enabling opens the ioctl's window (see VmState.dirtyLogBusy).
     */
    public record SetLogDirty(int pos, boolean on) implements Op {
        public int choices(VmState s, int thread) {
            return swapChoices(s);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            requireSlotsLock(e, "kvm_set_memslot(KVM_MR_FLAGS_ONLY)");
            Memslots.retire(e, pos); // old: kfree()d by kvm_commit_memory_region()
            if (on) {
                s.slotLogging |= 1 << pos;
                s.dirtyLogBusy |= 1 << pos;
            } else {
                s.slotLogging &= ~(1 << pos);
            }
            s.resetDirty(pos);
            e.note("kvm_set_memslot(KVM_MR_FLAGS_ONLY): memslot " + Memslots.slot(s, pos).id()
                    + (on ? " logs dirty pages" : " stops logging dirty pages"));
        }

        /** It reads no local: its slot is a constant. */
        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return rest().union(RETIRE);
        }

        /** The swap's scan of the faults' snapshots only where the new struct's number may be held. */
        public Footprint footprint(VmState s, int thread) {
            return rest().union(retire(s, pos));
        }

        private static Footprint rest() {
            return Footprint.updates(Resource.MEMSLOTS, Resource.DIRTY_BITMAP, Resource.VIOLATIONS).union(SWAP);
        }

        public String describe() {
            return "kvm_set_memslot(KVM_MR_FLAGS_ONLY)";
        }
    }

    /**
     * synchronize_srcu_expedited(&kvm->srcu) in kvm_swap_active_memslots(): waits until no other
     * thread is inside an srcu read section (vCPU faults hold one from kvm_faultin_pfn() to the end
     * of the fault). The model waits for every reader, not only those that started before.
     */
    public record SynchronizeSrcu() implements Op {
        public int choices(VmState s, int thread) {
            return (s.srcuReaders & ~(1L << thread)) == 0 ? 1 : 0;
        }

        public void exec(Exec e, int choice) {
            if (e.s.holdsMmuLock(e.thread)) e.violate(Invariant.lockdep, "synchronize_srcu under mmu_lock");
            e.note("synchronize_srcu: no srcu readers left");
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return Footprint.reads(Resource.SRCU).andUpdates(Resource.VIOLATIONS); // lockdep: this thread's holding
        }

        public String describe() {
            return "synchronize_srcu";
        }
    }

    /**
     * The lockdep check of an SPTE write by a slot walk: a TDP MMU page's is
     * tdp_mmu_set_spte_atomic() or tdp_mmu_zap_spte_atomic(), which lockdep_assert_held_read()
     * (mmu_lock held for write fails it too); with mmu shadow the walk stands for the rmap walk,
     * under the write lock its caller took.
     */
    static void assertAtomicWrite(Exec e, int spId, String walk, String atomic) {
        VmState s = e.s;
        if (!s.holdsMmuLock(e.thread)) {
            e.violate(Invariant.lockdep, walk + " without mmu_lock");
        } else if (s.mmuWriter == e.thread && s.sp(spId).tdp) {
            e.violate(Invariant.lockdep, atomic + "() needs mmu_lock held for read, not write");
        }
    }

    /**
     * One iteration of wrprot_gfn_range() (kvm_tdp_mmu_wrprot_slot, v6.x; mmu_lock held for read):
     * skip non-present, non-leaf and non-writable SPTEs; else clear PT_WRITABLE_MASK with
     * tdp_mmu_set_spte_atomic() (the MMU-writable bit stays, so fast_page_fault may restore W);
     * spte_set = true. Then tdp_iter_next(). The leaves of one table are done in one step.
     */
    public record WrprotStep(int it, int endSlot, int spteSet) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long[] l = e.self().locals;
            do {
                Walk w = TdpIter.position(s, l, it);
                if (w != null && w.presentLeaf() && Spte.writable(w.spte())) {
                    assertAtomicWrite(e, w.spId(), "wrprot_gfn_range", "wrprot_gfn_range: tdp_mmu_set_spte_atomic");
                    TdpMmu.setSpte(e, w.spId(), w.index(), w.spte() & ~Spte.WRITABLE);
                    l[spteSet] = 1;
                }
            } while (TdpIter.nextInSameTable(s, l, it, l[endSlot]));
        }

        public int[] localsRead() {
            return TdpIter.fields(it, TdpIter.NEXT, endSlot); // not spte_set, which it only sets
        }

        public Footprint footprint() {
            return Footprint.updates(Resource.SPTE_ACCESS, Resource.METRICS).andReads(Resource.SPTE) // lockdep: own holding
                    .andUpdates(Resource.VIOLATIONS);
        }

        public String describe() {
            return "wrprot_gfn_range step";
        }
    }

    /**
     * One iteration of tdp_mmu_split_huge_pages_root() (v6.x, shared = true): a huge leaf with no
     * preallocated page drops RCU and mmu_lock to allocate one (GFP_KERNEL_ACCOUNT; the next ops
     * retake the lock and restart the walk: iter.yielded = true); with one, tdp_mmu_split_huge_page()
     * replaces the leaf by a table of smaller SPTEs (same pfns and rights, no TLB flush: "No TLB
     * flush is necessary here"). Choice of the next op: falls through only to reacquire.
     */
    public record SplitStep(int it, int endSlot, int prealloc, int loop) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long[] l = e.self().locals;
            Walk w = TdpIter.position(s, l, it);
            if (w == null || !w.presentLeaf() || w.level() == Level.PG_LEVEL_4K) {
                TdpIter.next(s, l, it, l[endSlot]);
                e.nextPc = loop;
                return;
            }
            if (l[prealloc] == 0) {
                e.note("tdp_mmu_alloc_sp_for_split: drop mmu_lock to allocate");
                l[it + TdpIter.RCU_HELD] = Lock.held(s, e.thread, LockId.rcu) ? 1 : 0;
                if (l[it + TdpIter.RCU_HELD] != 0) Lock.release(e, LockId.rcu);
                Rcu.sleepCheck(e, "tdp_mmu_alloc_sp_for_split() -> kmem_cache_zalloc(GFP_KERNEL_ACCOUNT)");
                Lock.release(e, LockId.mmu_lock);
                Rcu.maybeEndGracePeriod(e);
                l[prealloc] = 1;
                return;
            }
            if (!s.holdsMmuLock(e.thread)) e.violate(Invariant.lockdep, "tdp_mmu_split_huge_page without mmu_lock");
            TdpMmu.splitInPlace(e, w.spId(), w.index());
            l[prealloc] = 0;
            TdpIter.next(s, l, it, l[endSlot]);
            e.nextPc = loop;
        }

        public int[] localsRead() {
            return TdpIter.fields(it, TdpIter.NEXT, endSlot, prealloc);
        }

        /** The drop to allocate (on to pc + 1) notes whether it held RCU and has the page. */
        public int[] localsWritten(int pc, int target) {
            return target == pc + 1 && loop != pc + 1 ? new int[] {prealloc, it + TdpIter.RCU_HELD} : LiveLocals.NONE;
        }

        public Footprint footprint() {
            return TdpMmu.LINK_CHILD.andUpdates(Resource.VIOLATIONS) // lockdep: this thread's holding
                    .union(Ops.release(LockId.rcu)).union(Ops.release(LockId.mmu_lock));
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, loop};
        }

        public String describe() {
            return "tdp_mmu_split_huge_pages_root step";
        }
    }

    /**
     * A present table at 2M or 1G whose range lies in the slot and that kvm_mmu_max_mapping_level()
     * allows as a huge page: what the collapsible zap (v6.12) zaps and the in-place recovery (v6.13+) replaces.
     */
    static boolean collapsible(VmState s, Walk w, int level, long gfn, int pos) {
        return w != null && level <= Level.PG_LEVEL_1G && Spte.present(w.spte()) && !Spte.leaf(w.spte())
                && gfn >= Memslots.base(s, pos) && gfn + Level.pagesPerHpage(level) <= Memslots.end(s, pos)
                && maxMappingLevel(s, pos) >= level;
    }

    /**
     * One iteration of zap_collapsible_spte_range() (since 5ba7c4c6d1c7, v5.19, "Zap non-leaf SPTEs
     * when disabling dirty logging"; mmu_lock held for read): a present non-leaf SPTE at 2M or 1G whose range lies in the
     * slot and could be mapped at its level (kvm_mmu_max_mapping_level) is zapped with
     * tdp_mmu_zap_spte_atomic(): freeze it (handle_changed_spte tears the table down) here, then
     * the next op flushes and writes the non-present value ("a successful atomic zap also does a
     * remote TLB flush"), then tdp_iter_next() (`goto retry` is only for a failed cmpxchg, which
     * this step's read-and-freeze cannot have). Anything else: tdp_iter_next() and back to the loop.
     */
    public record CollapsibleStep(int it, int endSlot, int pos, int loop) implements Op {
        /** The table it freezes may be NX-disallowed: it waits for tdp_mmu_pages_lock ({@link PagesLockWait}). */
        public int choices(VmState s, int thread) {
            return PagesLockWait.choices(this, s, thread);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long[] l = e.self().locals;
            Walk w = TdpIter.position(s, l, it);
            int level = (int) l[it + TdpIter.LEVEL];
            long gfn = l[it + TdpIter.GFN];
            boolean candidate = collapsible(s, w, level, gfn, pos);
            if (!candidate) {
                TdpIter.next(s, l, it, l[endSlot]);
                e.nextPc = loop;
                return;
            }
            assertAtomicWrite(e, w.spId(), "tdp_mmu_zap_spte_atomic", "tdp_mmu_zap_spte_atomic");
            e.note("tdp_mmu_zap_spte_atomic: freeze");
            TdpMmu.setSpte(e, w.spId(), w.index(), Spte.FROZEN);
        }

        public int[] localsRead() {
            return TdpIter.fields(it, TdpIter.NEXT, endSlot);
        }

        public Footprint footprint() {
            return TdpMmu.SET_SPTE_SHARED.andReads(Resource.MEMSLOTS).andUpdates(Resource.VIOLATIONS); // lockdep: own holding
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, loop};
        }

        public String describe() {
            return "zap_collapsible_spte_range step";
        }
    }

    /** kvm_mmu_max_mapping_level(): the host backing size, 4K while the slot logs dirty pages. */
    static int maxMappingLevel(VmState s, int pos) {
        if (Memslots.logging(s, pos)) return Level.PG_LEVEL_4K;
        return Math.min(Memslots.slot(s, pos).backingLevel(), Level.PG_LEVEL_1G);
    }

    /**
     * The second half of tdp_mmu_zap_spte_atomic() (v6.x): kvm_flush_remote_tlbs_gfn(), then
     * __kvm_tdp_mmu_write_spte(SHADOW_NONPRESENT_VALUE) un-freezes the SPTE; then the loop's
     * tdp_iter_next(), whose try_step_down() re-reads the SPTE: the walk moves on, and steps into a
     * table a fault linked there meanwhile only above the walk's min level (zap_collapsible_spte_range).
     */
    public record ZapAtomicFinish(int it, int endSlot, int loop) implements Op {
        public void exec(Exec e, int choice) {
            ShadowMmu.remoteFlushOrZap(e, true); // the flush; a legacy table the zap removed is freed after it
            long[] l = e.self().locals;
            Walk w = TdpIter.position(e.s, l, it);
            if (w != null && w.spte() != 0) unfreeze(e, w);
            TdpIter.next(e.s, l, it, l[endSlot]);
            e.nextPc = loop;
        }

        /**
         * __kvm_tdp_mmu_write_spte() is a plain write, not a cmpxchg: every other writer gives up at
         * a frozen SPTE (is_frozen_spte()), so a value a patch wrote over FROZEN_SPTE meanwhile is
         * overwritten with no handle_changed_spte() (trial14: kvm_tdp_mmu_map without the check).
         */
        private static void unfreeze(Exec e, Walk w) {
            if (w.spte() != Spte.FROZEN) {
                e.violate(Invariant.lost_spte_update, "tdp_mmu_zap_spte_atomic un-froze the SPTE at "
                        + Spte.describe(w.spte(), e.s.sp(w.spId()).level) + ": another task wrote over FROZEN_SPTE, and"
                        + " __kvm_tdp_mmu_write_spte(SHADOW_NONPRESENT_VALUE) loses its change");
            }
            e.s.setSpte(w.spId(), w.index(), 0);
        }

        public int[] localsRead() {
            return TdpIter.fields(it, TdpIter.NEXT, endSlot);
        }

        public Footprint footprint() {
            return ShadowMmu.COMMIT_ZAP.andUpdates(Resource.SPTE, Resource.SPTE_ACCESS, Resource.VIOLATIONS);
        }

        public int[] targets(int pc) {
            return new int[] {loop};
        }

        public String describe() {
            return "tdp_mmu_zap_spte_atomic: flush, unfreeze";
        }
    }

    /** What {@link #clearDirtyMasked} touches. */
    static final Footprint CLEAR_DIRTY_MASKED = Footprint.updates(Resource.MEMSLOTS, Resource.DIRTY_BITMAP,
            Resource.SPTE_ACCESS, Resource.METRICS, Resource.VIOLATIONS).andReads(Resource.SPTE);

    /**
     * The loop of kvm_clear_dirty_log_protect() (virt/kvm/kvm_main.c:2331, v7.2 as v6.12) with an all-ones user
     * mask, under KVM_MMU_LOCK (write_lock on x86): for each bitmap word with bits set, clear them
     * (atomic_long_fetch_andnot) and kvm_arch_mmu_enable_log_dirty_pt_masked() ->
     * kvm_tdp_mmu_clear_dirty_pt_masked(wrprot): clear W of the 4K leaf SPTEs of those gfns
     * (write-protection dirty logging: no PML), in the TDP root and, with mmu both, the nested
     * guest's legacy pages (the 4K rmaps); with PML, D instead of W of the L1 leaves. Returns
     * whether a bit was cleared (the caller's flush, after the unlock); a cleared bit opens the
     * ioctl's window (VmState.dirtyLogBusy).
     */
    static boolean clearDirtyMasked(Exec e, int pos) {
        VmState s = e.s;
        // kvm_clear_dirty_log_protect() found the slot with __kvm_memslots() (kvm_host.h:1079):
        // srcu_dereference_check(kvm->memslots[as_id], &kvm->srcu, lockdep_is_held(&kvm->slots_lock)),
        // a CONFIG_PROVE_RCU splat without either (and a memslot update could free the slot and its
        // bitmap meanwhile). A copy of clear_dirty_log without slots_lock passed (trial9).
        if (!Lock.held(s, e.thread, LockId.slots_lock) && !Lock.held(s, e.thread, LockId.srcu)) {
            e.violate(Invariant.lockdep, "kvm_clear_dirty_log_protect(): __kvm_memslots() needs slots_lock or"
                    + " kvm->srcu held (CONFIG_PROVE_RCU: srcu_dereference_check of kvm->memslots)");
        }
        long base = Memslots.base(s, pos);
        boolean flush = false;
        int n = 0;
        for (int word = 0; word < s.dirtyWords(pos); word++) {
            long mask = s.dirtyWord(pos, word);
            if (mask == 0) continue;
            s.clearDirty(pos, word, mask);
            s.dirtyLogBusy |= 1 << pos;
            flush = true;
            for (int bit = 0; bit < 64; bit++) {
                if ((mask & (1L << bit)) == 0) continue;
                n++;
                long gfn = base + word * 64L + bit;
                // kvm_tdp_mmu_clear_dirty_pt_masked(): every valid root (the SMM one too). With PML,
                // kvm_mmu_clear_dirty_pt_masked() (mmu.c v7.2 as v6.12) clears D instead of W:
                // tdp_mmu_clear_spte_bits() / __rmap_clear_dirty(), atomic against the CPU setting it.
                long dbit = s.config.pml() ? Spte.DIRTY : Spte.WRITABLE;
                for (int root : s.validRoots()) {
                    Walk w = Walk.to(s, root, gfn, 1);
                    if (w != null && w.presentLeaf() && w.level() == Level.PG_LEVEL_4K && (w.spte() & dbit) != 0) {
                        // the TDP MMU's tdp_mmu_clear_spte_bits() and __rmap_clear_dirty()'s bit clear
                        // check nothing; rmap_write_protect()'s mmu_spte_update() checks the SPTE
                        if (s.sp(w.spId()).tdp || s.config.pml()) TdpMmu.writeSpte(e, w.spId(), w.index(), w.spte() & ~dbit);
                        else TdpMmu.setSpte(e, w.spId(), w.index(), w.spte() & ~dbit);
                        if (s.config.pml()) e.note("kvm_mmu_clear_dirty_pt_masked: D of gfn 0x" + Long.toHexString(gfn) + " cleared");
                    }
                }
                // kvm_mmu_write_protect_pt_masked() (mmu.c v6.x): with rmaps (mmu both), also
                // rmap_write_protect() the gfn's 4K rmap: the nested guest's leaf. With PML too:
                // __rmap_clear_dirty() write-protects guest-mode SPTEs (spte_ad_need_write_protect).
                Walk nw = s.nestedRoot < 0 ? null : Walk.of(s, gfn, true);
                if (nw != null && nw.presentLeaf() && nw.level() == Level.PG_LEVEL_4K && Spte.writable(nw.spte())) {
                    TdpMmu.setSpte(e, nw.spId(), nw.index(), nw.spte() & ~Spte.WRITABLE);
                }
            }
        }
        e.note("kvm_clear_dirty_log_protect: " + n + " dirty page" + (n == 1 ? "" : "s") + " reported and cleared");
        return flush;
    }

    /** What {@link #clearDirtyGfnRange} touches: D bits only (and check_spte_writable_invariants()'s splat). */
    static final Footprint CLEAR_DIRTY_RANGE = Footprint.updates(Resource.SPTE_ACCESS, Resource.VIOLATIONS).andReads(Resource.SPTE);

    /**
     * clear_dirty_gfn_range(kvm, root, start, end) (tdp_mmu.c:1624 v7.2, which returns nothing; v6.12
     * the same walk), from kvm_tdp_mmu_clear_dirty_slot() under the read lock, with A/D bits (dbit = shadow_dirty_mask): clears D of every leaf in
     * [start, end) with tdp_mmu_set_spte_atomic(). Abstracted: the walk is one step (its
     * cond_resched and cmpxchg retries are not modelled). Returns spte_set.
     */
    static boolean clearDirtyGfnRange(Exec e, long start, long end) {
        boolean set = false;
        // for_each_valid_tdp_mmu_root_yield_safe(): the SMM root too.
        for (int root : e.s.validRoots()) {
            // The walk's rcu_read_unlock() before cond_resched_rwlock_read() ends only its own
            // section: inside a caller's rcu_read_lock() its yield sleeps in an RCU read-side
            // section (a copy wrapped in one passed before session 35's alloc2 trial).
            if (mayYield(e.s, root, start, end)) {
                Rcu.sleepCheck(e, "clear_dirty_gfn_range(): tdp_mmu_iter_cond_resched() may sleep (cond_resched_rwlock_read())");
            }
            set |= clearDirtyIn(e, root, start, end);
        }
        return set;
    }

    /**
     * Whether tdp_mmu_iter_cond_resched() may yield in a walk of [start, end) in root: its forward-progress
     * check (next_last_level_gfn != yielded_gfn, tdp_mmu.c:744 v7.2) refuses at every SPTE of start's own
     * descent, so it may yield only if the walk steps on to a gfn below end: past the entry where the
     * descent at start stops (a leaf, a non-present SPTE, or 4K).
     */
    static boolean mayYield(VmState s, int root, long start, long end) {
        int spId = root;
        while (true) {
            ShadowPage sp = s.sp(spId);
            long spte = sp.spte(Level.index(start, sp.level));
            if (sp.level == Level.PG_LEVEL_4K || !Spte.present(spte) || Spte.leaf(spte)) {
                return Level.alignDown(start, sp.level) + Level.pagesPerHpage(sp.level) < end;
            }
            spId = Spte.child(spte);
        }
    }

    private static boolean clearDirtyIn(Exec e, int root, long start, long end) {
        boolean set = false;
        for (long[] leaf : rmapLeaves(e.s, root, start, end)) {
            int spId = (int) leaf[0], i = (int) leaf[1];
            long spte = e.s.sp(spId).spte(i);
            if ((spte & Spte.DIRTY) == 0) continue;
            assertAtomicWrite(e, spId, "clear_dirty_gfn_range", "clear_dirty_gfn_range: tdp_mmu_set_spte_atomic");
            e.s.setSpte(spId, i, spte & ~Spte.DIRTY);
            // tdp_mmu_set_spte_atomic() -> handle_changed_spte(): D changed, nothing else to handle
            TdpMmu.checkSpteWritableInvariants(e, e.s.sp(spId).level, spte & ~Spte.DIRTY, "handle_changed_spte");
            set = true;
        }
        if (set && e.tracing()) e.note("clear_dirty_gfn_range: D cleared under " + e.s.sp(root));
        return set;
    }

    /** What {@link #flushRemoteTlbsMemslot} touches. */
    static final Footprint FLUSH_MEMSLOT = Tlbs.FLUSH.andReads(Resource.MEMSLOTS);

    /**
     * kvm_flush_remote_tlbs_memslot() (kvm_main.c:327, v7.2 as v6.12) as the dirty-log ioctls call it after
     * mmu_lock is dropped: kvm_flush_remote_tlbs_range(kvm, memslot->base_gfn, memslot->npages) (the
     * slot's gfns on Hyper-V, every TLB on bare metal). It does not end the ioctl's window on the
     * slot (VmState.dirtyLogBusy): the ioctl's return does, with slots_lock's release. Until trial9
     * it did, so a copy that flushed once more before write-protecting (correct, if wasteful) was a
     * false dirty_log_lost: a write between that flush and the write-protection, which userspace's
     * copy after the ioctl covers.
     */
    static void flushRemoteTlbsMemslot(Exec e, int pos) {
        Tlbs.flushRemoteTlbsRange(e, Memslots.base(e.s, pos), Memslots.end(e.s, pos) - Memslots.base(e.s, pos));
    }

    /**
     * kvm_invalidate_memslot() (kvm_main.c, v6.x) up to kvm_swap_active_memslots(): the active
     * memslot is replaced by a copy marked KVM_MEMSLOT_INVALID; faults on it now retry.
     */
    public record InvalidateSlot(int pos) implements Op {
        public int choices(VmState s, int thread) {
            return swapChoices(s);
        }

        public void exec(Exec e, int choice) {
            requireSlotsLock(e, "kvm_invalidate_memslot");
            Memslots.retire(e, pos); // old: kvm_free_memslot()d by kvm_commit_memory_region()
            e.s.slotInvalid |= 1 << pos;
            e.note("kvm_invalidate_memslot: memslot " + Memslots.slot(e.s, pos).id() + " KVM_MEMSLOT_INVALID");
        }

        /** It reads no local: its slot is a constant. */
        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return rest().union(RETIRE);
        }

        /** The swap's scan of the faults' snapshots only where the new struct's number may be held. */
        public Footprint footprint(VmState s, int thread) {
            return rest().union(retire(s, pos));
        }

        private static Footprint rest() {
            return Footprint.updates(Resource.MEMSLOTS, Resource.VIOLATIONS).union(SWAP);
        }

        public String describe() {
            return "kvm_invalidate_memslot";
        }
    }

    /** kvm_delete_memslot() (v6.x): the slot leaves the active memslots; faults now find no slot (MMIO). */
    public record DeleteSlot(int pos) implements Op {
        public int choices(VmState s, int thread) {
            return swapChoices(s);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            requireSlotsLock(e, "kvm_delete_memslot");
            Memslots.retire(e, pos); // invalid_slot: kfree()d by kvm_set_memslot()
            s.slotDeleted |= 1 << pos;
            s.slotInvalid &= ~(1 << pos);
            s.slotLogging &= ~(1 << pos);
            s.resetDirty(pos);
            addGone(s, Memslots.base(s, pos), Memslots.end(s, pos));
            e.note("kvm_delete_memslot: memslot " + Memslots.slot(s, pos).id() + " removed");
            String d = dangling(s);
            if (d != null) e.violate(Invariant.dangling_memslot, d);
        }

        /** It reads no local: its slot is a constant. */
        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return rest().union(RETIRE);
        }

        /** The swap's scan of the faults' snapshots only where the new struct's number may be held. */
        public Footprint footprint(VmState s, int thread) {
            return rest().union(retire(s, pos));
        }

        private static Footprint rest() {
            return Footprint.updates(Resource.MEMSLOTS, Resource.DIRTY_BITMAP).union(DANGLING).union(SWAP);
        }

        public String describe() {
            return "kvm_delete_memslot";
        }
    }

    /**
     * kvm_move_memslot() (kvm_main.c, v6.x): the invalid slot is replaced by the new one at the new
     * base gfn (same hva, same dirty bitmap) and kvm_swap_active_memslots() publishes it.
     */
    public record MoveSlot(int pos, long newBase) implements Op {
        public int choices(VmState s, int thread) {
            return swapChoices(s);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            requireSlotsLock(e, "kvm_move_memslot");
            Memslots.retire(e, pos); // invalid_slot: kfree()d by kvm_set_memslot()
            long oldBase = Memslots.base(s, pos);
            addGone(s, oldBase, Memslots.end(s, pos));
            s.slotBase = s.slotBase.clone();
            s.slotBase[pos] = newBase;
            s.slotInvalid &= ~(1 << pos);
            e.note("kvm_move_memslot: memslot " + Memslots.slot(s, pos).id() + " gfn 0x" + Long.toHexString(oldBase)
                    + " -> 0x" + Long.toHexString(newBase));
            String d = dangling(s);
            if (d != null) e.violate(Invariant.dangling_memslot, d);
        }

        /** It reads no local: its slot is a constant. */
        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return rest().union(RETIRE);
        }

        /** The swap's scan of the faults' snapshots only where the new struct's number may be held. */
        public Footprint footprint(VmState s, int thread) {
            return rest().union(retire(s, pos));
        }

        private static Footprint rest() {
            return Footprint.updates(Resource.MEMSLOTS).union(DANGLING).union(SWAP);
        }

        public String describe() {
            return "kvm_move_memslot";
        }
    }

    /** (spId, index) of every present leaf under table spId that maps a gfn in [start, end). */
    static java.util.List<long[]> rmapLeaves(VmState s, int spId, long start, long end) {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        if (spId < 0) return out;
        ShadowPage sp = s.sp(spId);
        for (int i : sp.usedIndexes()) {
            long spte = sp.spte(i);
            long g = sp.gfnOf(i);
            if (!Spte.present(spte) || g + Level.pagesPerHpage(sp.level) <= start || g >= end) continue;
            if (Spte.leaf(spte)) out.add(new long[] {spId, i});
            else out.addAll(rmapLeaves(s, Spte.child(spte), start, end));
        }
        return out;
    }

    private static void addGone(VmState s, long start, long end) {
        long[] g = java.util.Arrays.copyOf(s.goneRanges, s.goneRanges.length + 2);
        g[g.length - 2] = start;
        g[g.length - 1] = end;
        s.goneRanges = g;
    }

    /** What {@link #dangling} reads, and the violation it records. */
    private static final Footprint DANGLING = Footprint.reads(Resource.SPTE, Resource.TLB, Resource.MEMSLOTS)
            .andUpdates(Resource.VIOLATIONS);

    /**
     * An SPTE or TLB entry that still maps a gfn a deleted or moved memslot left (and no active
     * slot covers now), or null.
     */
    public static String dangling(VmState s) {
        if (s.goneRanges.length == 0) return null;
        for (int id = 0; id < s.spCapacity(); id++) {
            ShadowPage sp = s.sp(id);
            if (sp == null || sp.status != ShadowPage.LIVE) continue;
            for (int i : sp.usedIndexes()) {
                long spte = sp.spte(i);
                if (!Spte.present(spte) || !Spte.leaf(spte)) continue;
                long gfn = sp.gfnOf(i);
                long hit = deletedIn(s, gfn, gfn + Level.pagesPerHpage(sp.level));
                if (hit >= 0) return "SPTE L" + sp.level + "[" + i + "]" + left(gfn, hit);
            }
        }
        for (int v = 0; v < s.tlb.length; v++) {
            for (TlbEntry t : s.tlb[v]) {
                if (Tlbs.parked(s, v, t.nested()) >= 0) continue; // out of the guest until it flushes or runs on that page
                long hit = deletedIn(s, t.gfn(), t.gfn() + Level.pagesPerHpage(t.level()));
                if (hit >= 0) {
                    return "vCPU " + v + "'s TLB" + (t.level() > Level.PG_LEVEL_4K ? " (L" + t.level() + ")" : "")
                            + left(t.gfn(), hit);
                }
            }
        }
        return null;
    }

    /**
     * " maps gfn 0x203, which ..." where the mapping starts at the gone gfn (it said "gfn 0x203
     * maps gfn 0x203"), " at gfn 0x200 maps gfn 0x203, which ..." for a huge one that reaches it.
     */
    private static String left(long gfn, long hit) {
        return (hit == gfn ? "" : " at gfn 0x" + Long.toHexString(gfn)) + " maps gfn 0x" + Long.toHexString(hit)
                + ", which a deleted or moved memslot left";
    }

    /** The first gfn of [start, end) that no slot covers and a deleted or moved one left, or -1. */
    private static long deletedIn(VmState s, long start, long end) {
        for (long g = start; g < end; ) {
            int p = Memslots.of(s, g);
            if (p >= 0) {
                g = Memslots.end(s, p);
                continue;
            }
            for (int k = 0; k < s.goneRanges.length; k += 2) {
                if (g >= s.goneRanges[k] && g < s.goneRanges[k + 1]) {
                    return g;
                }
            }
            g = nextInteresting(s, g, end);
        }
        return -1;
    }

    /** The next gfn after g where a gone range or an active slot starts (or end). */
    private static long nextInteresting(VmState s, long g, long end) {
        long n = end;
        for (int k = 0; k < s.goneRanges.length; k += 2) {
            if (s.goneRanges[k] > g) n = Math.min(n, s.goneRanges[k]);
        }
        for (int p = 0; p < s.slotBase.length; p++) {
            if ((s.slotDeleted & (1 << p)) == 0 && Memslots.base(s, p) > g) n = Math.min(n, Memslots.base(s, p));
        }
        return n;
    }
}
