package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Lock.Mode;

/**
 * The shadow MMU's rmap walks over a memslot with mmu both (kvm_memslots_have_rmaps(), mmu.c v6.12;
 * v7.2 reads the same): __walk_slot_rmaps() as the kernel loops it, one rmap head per pass, with its
 * yield point after each: {@code if (need_resched() || rwlock_needbreak(&kvm->mmu_lock))}, the
 * flush_on_yield flush of what the walk owes, and cond_resched_rwlock_write(), which drops
 * mmu_lock and takes it again, so that other threads run in between. The model's rmaps are the
 * nested guest's legacy leaves, found from its root (they hold exactly its leaf SPTEs).
 */
public final class RmapWalks {
    private RmapWalks() {}

    /** The walk's fn (slot_rmaps_handler): what it does to the SPTEs of one rmap head. */
    public enum Handler {
        /** rmap_write_protect(rmap_head, false) (spte_write_protect, pt_protect = false): W only. */
        SLOT_RMAP_WRITE_PROTECT("slot_rmap_write_protect"),
        /** kvm_zap_all_rmap_sptes(): every SPTE of the head; a flush is owed if there was one. */
        KVM_ZAP_RMAP("kvm_zap_rmap"),
        /**
         * shadow_mmu_try_split_huge_page() of each huge SPTE (same pfns and rights, one level down);
         * never owes a flush. Its need_topup_split_caches_or_resched() drop of mmu_lock is not modelled.
         */
        SHADOW_MMU_TRY_SPLIT_HUGE_PAGES("shadow_mmu_try_split_huge_pages"),
        /** kvm_zap_one_rmap_spte() of a leaf below kvm_mmu_max_mapping_level(); a flush is owed. */
        KVM_MMU_ZAP_COLLAPSIBLE_SPTE("kvm_mmu_zap_collapsible_spte");

        final String kernel;

        Handler(String kernel) {
            this.kernel = kernel;
        }
    }

    /** The iterator's locals: struct slot_rmap_walk_iterator's level and gfn (its rmap head). */
    static final int LEVEL = 0;
    static final int GFN = 1;
    private static final int SLOTS = 2;

    /**
     * kvm_mmu_slot_remove_write_access()'s walk: walk_slot_rmaps(kvm, memslot,
     * slot_rmap_write_protect, start_level, KVM_MAX_HUGEPAGE_LEVEL, flush_on_yield = false) from
     * 4K; its result is unused (the caller flushes after the unlock).
     */
    public static void writeProtect(PathBuilder b, int pos, boolean flushOnYield, String caller) {
        int flush = b.local("flush");
        b.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
        walk(b, Handler.SLOT_RMAP_WRITE_PROTECT, pos, Level.PG_LEVEL_4K, Level.PG_LEVEL_1G, true, flushOnYield, flush, caller);
    }

    /**
     * __kvm_rmap_zap_gfn_range(kvm, slot, start, end, can_yield, flush) over the whole slot:
     * __walk_slot_rmaps(kvm_zap_rmap, PG_LEVEL_4K, KVM_MAX_HUGEPAGE_LEVEL, can_yield,
     * flush_on_yield = true in the kernel, flush); the flush still owed ends in local `result`.
     */
    public static void zapGfnRange(PathBuilder b, int pos, boolean canYield, boolean flushOnYield, Expr flushIn, int result,
                                   String caller) {
        int flush = result >= 0 ? result : b.local("flush");
        b.emit(new Ops.Assign(flush, flushIn, "flush"));
        walk(b, Handler.KVM_ZAP_RMAP, pos, Level.PG_LEVEL_4K, Level.PG_LEVEL_1G, canYield, flushOnYield, flush, caller);
    }

    /**
     * kvm_shadow_mmu_try_split_huge_pages(kvm, slot, start, end, PG_LEVEL_4K): for (level =
     * KVM_MAX_HUGEPAGE_LEVEL; level > target_level; level--) __walk_slot_rmaps(kvm, slot,
     * shadow_mmu_try_split_huge_pages, level, level, start, end - 1, true, true, false).
     */
    public static void trySplitHugePages(PathBuilder b, int pos, String caller) {
        int flush = b.local("flush");
        for (int level = Level.PG_LEVEL_1G; level > Level.PG_LEVEL_4K; level--) {
            b.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
            walk(b, Handler.SHADOW_MMU_TRY_SPLIT_HUGE_PAGES, pos, level, level, true, true, flush, caller);
        }
    }

    /**
     * kvm_rmap_zap_collapsible_sptes(kvm, slot): if (walk_slot_rmaps(kvm, slot,
     * kvm_mmu_zap_collapsible_spte, PG_LEVEL_4K, KVM_MAX_HUGEPAGE_LEVEL - 1, flush_on_yield = true))
     * kvm_flush_remote_tlbs_memslot(kvm, slot), before the caller's write_unlock.
     */
    public static void zapCollapsibleSptes(PathBuilder b, int pos, boolean flushOnYield, String caller) {
        int flush = b.local("flush");
        b.emit(new Ops.Assign(flush, Expr.constant(0), "flush = false"));
        walk(b, Handler.KVM_MMU_ZAP_COLLAPSIBLE_SPTE, pos, Level.PG_LEVEL_4K, Level.PG_LEVEL_2M, true, flushOnYield, flush,
                caller);
        int skip = b.placeholder();
        b.emit(new Ops.Call(Primitives.get("flush_remote_tlbs"), new Expr[0], -1)); // kvm_flush_remote_tlbs_memslot
        b.patch(skip, new Ops.JumpUnless(Expr.local(flush), b.here(), "flush"));
    }

    /**
     * __walk_slot_rmaps(kvm, slot, fn, start_level, end_level, slot->base_gfn, end_gfn, can_yield,
     * flush_on_yield, flush), the flush in local `flush` (set by the caller): for_each_slot_rmap_range
     * { flush |= fn(kvm, iterator.rmap, slot); if (!can_yield) continue; if (need_resched() ||
     * rwlock_needbreak(&kvm->mmu_lock)) { if (flush && flush_on_yield) { kvm_flush_remote_tlbs_range();
     * flush = false; } cond_resched_rwlock_write(&kvm->mmu_lock); } }. `caller` names the walk in a
     * lockdep report.
     */
    static void walk(PathBuilder b, Handler fn, int pos, int startLevel, int endLevel, boolean canYield,
                     boolean flushOnYield, int flush, String caller) {
        int it = b.locals("rmap iterator", SLOTS);
        // slot_rmap_walk_init(): the first head of start_level, visited whether it holds an SPTE or not
        b.emit(new Ops.Assign(it + LEVEL, Expr.constant(startLevel), "iterator.level = " + startLevel));
        b.emit(new Ops.Assign(it + GFN, Memslots.baseGfn(pos), "iterator.gfn = slot->base_gfn"));
        int loop = b.emit(new Visit(fn, pos, it, flush, caller));
        if (canYield) {
            int check = b.placeholder();
            b.emit(new Ops.Release(LockId.mmu_lock)); // cond_resched_rwlock_write(&kvm->mmu_lock)
            b.emit(new Ops.Acquire(LockId.mmu_lock, Mode.WRITE));
            b.patch(check, new CondResched(flushOnYield, flush, it, b.here()));
        }
        b.emit(new Next(pos, it, endLevel, loop));
    }

    /** What {@link Visit} may touch: splits and zaps; the lockdep check reads only this thread's holding. */
    static final Footprint VISIT = TdpMmu.LINK_CHILD.andReads(Resource.MEMSLOTS).andUpdates(Resource.VIOLATIONS);

    /**
     * {@code flush |= fn(kvm, iterator.rmap, slot)} on the head at (iterator.level, iterator.gfn),
     * with __walk_slot_rmaps()'s lockdep_assert_held_write(&kvm->mmu_lock).
     */
    public record Visit(Handler fn, int pos, int it, int flush, String caller) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            if (!Lockdep.MMU_WRITE.satisfied(e.s, e.thread)) {
                e.violate(Invariant.lockdep, caller + "() needs " + Lockdep.MMU_WRITE.unmet(e.s, e.thread));
            }
            if (handle(e, fn, pos, (int) l[it + LEVEL], l[it + GFN])) l[flush] = 1;
        }

        /** The head it handles; `flush` it only sets. */
        public int[] localsRead() {
            return new int[] {it + LEVEL, it + GFN};
        }

        public Footprint footprint() {
            return VISIT;
        }

        public String describe() {
            return fn.kernel;
        }
    }

    /**
     * The yield point: need_resched() (the scheduler's free choice) || rwlock_needbreak() (a waiter
     * on mmu_lock, under full preemption: then only yes); on yes, the flush_on_yield flush of what
     * the walk owes (kvm_flush_remote_tlbs_range(kvm, start_gfn, iterator.gfn - start_gfn + 1): the
     * model flushes every TLB), then on to cond_resched_rwlock_write()'s unlock and lock. Choice 0 =
     * no (on to {@code skip}, slot_rmap_walk_next), 1 = yes.
     */
    public record CondResched(boolean flushOnYield, int flush, int it, int skip) implements Op {
        public int choices(VmState s, int thread) {
            return Lock.rwlockNeedbreak(s) ? 1 : 2;
        }

        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            boolean needbreak = Lock.rwlockNeedbreak(e.s);
            if (choice == 0 && !needbreak) {
                e.nextPc = skip;
                e.invisible = true;
                return;
            }
            if (e.tracing()) e.note("__walk_slot_rmaps: " + (needbreak ? "rwlock_needbreak(mmu_lock)" : "need_resched()")
                    + " at gfn 0x" + Long.toHexString(l[it + GFN]));
            if (!flushOnYield || l[flush] == 0) {
                e.invisible = true; // nothing owed, or not flushed here: only where the thread goes
            } else {
                e.note("__walk_slot_rmaps: kvm_flush_remote_tlbs_range() before the yield");
                Tlbs.flushRemoteTlbs(e);
            }
            if (flushOnYield) l[flush] = 0;
        }

        public int[] localsRead() {
            return new int[] {flush, it + GFN};
        }

        /** A yield with flush_on_yield leaves flush false. */
        public int[] localsWritten(int pc, int target) {
            return flushOnYield && target == pc + 1 && skip != pc + 1 ? new int[] {flush} : LiveLocals.NONE;
        }

        /** rwlock_needbreak() reads mmu_lock's queue; the flush on yield. */
        public Footprint footprint() {
            Footprint f = Footprint.reads(Resource.MMU_LOCK);
            return flushOnYield ? f.union(Tlbs.FLUSH) : f;
        }

        public Footprint footprint(VmConfig config) {
            return flushOnYield ? Lock.needbreak(config).union(Tlbs.FLUSH) : Lock.needbreak(config);
        }

        /** No yield, or one with nothing to flush: the decision read need_resched and rwlock_needbreak. */
        public Footprint invisibleFootprint() {
            return Footprint.reads(Resource.MMU_LOCK);
        }

        public Footprint invisibleFootprint(VmConfig config) {
            return Lock.needbreak(config);
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, skip};
        }

        public String describe() {
            return "__walk_slot_rmaps: if need_resched";
        }
    }

    /**
     * slot_rmap_walk_next(): the next head of this level that holds an SPTE (`if
     * (iterator->rmap->val) return;`: empty heads are skipped without a yield point), else the first
     * head of the next level (rmap_walk_init_level(), visited even if empty), else the walk ends
     * (falls through). Then back to the loop.
     */
    public record Next(int pos, int it, int endLevel, int loop) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long[] l = e.self().locals;
            int level = (int) l[it + LEVEL];
            long next = nextHead(s, pos, level, l[it + GFN]);
            if (next >= 0) {
                l[it + GFN] = next;
                e.nextPc = loop;
            } else if (level < endLevel) {
                l[it + LEVEL] = level + 1;
                l[it + GFN] = Memslots.base(s, pos);
                e.nextPc = loop;
            }
        }

        public int[] localsRead() {
            return new int[] {it + LEVEL, it + GFN};
        }

        public int[] localsWritten(int pc, int target) {
            return target == loop ? new int[] {it + GFN} : LiveLocals.NONE;
        }

        /** Which heads hold an SPTE, and where the slot lies. */
        public Footprint footprint() {
            return Footprint.reads(Resource.SPTE, Resource.MEMSLOTS);
        }

        public int[] targets(int pc) {
            return new int[] {loop, pc + 1};
        }

        public String describe() {
            return "slot_rmap_walk_next";
        }
    }

    /**
     * The rmap head of gfn at `level` in the slot at `pos` (gfn_to_index(): (gfn >> shift) -
     * (base_gfn >> shift)), as its index: a leaf of that level is in the head of its first gfn in
     * the slot.
     */
    private static long index(VmState s, int pos, int level, long gfn) {
        long per = Level.pagesPerHpage(level);
        return Math.max(gfn, Memslots.base(s, pos)) / per - Memslots.base(s, pos) / per;
    }

    /** The leaves (spId, index) of the nested guest's tables in the rmap head of (level, gfn). */
    static java.util.List<long[]> rmap(VmState s, int pos, int level, long gfn) {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        long head = index(s, pos, level, gfn);
        for (long[] leaf : SlotOps.rmapLeaves(s, s.nestedRoot, Memslots.base(s, pos), Memslots.end(s, pos))) {
            var sp = s.sp((int) leaf[0]);
            if (sp.level == level && index(s, pos, level, sp.gfnOf((int) leaf[1])) == head) out.add(leaf);
        }
        return out;
    }

    /** The iterator gfn of the first head of `level` after the one of gfn that holds an SPTE, or -1. */
    static long nextHead(VmState s, int pos, int level, long gfn) {
        long base = Memslots.base(s, pos);
        long head = index(s, pos, level, gfn);
        long best = -1;
        for (long[] leaf : SlotOps.rmapLeaves(s, s.nestedRoot, base, Memslots.end(s, pos))) {
            var sp = s.sp((int) leaf[0]);
            if (sp.level != level) continue;
            long i = index(s, pos, level, sp.gfnOf((int) leaf[1]));
            if (i > head && (best < 0 || i < best)) best = i;
        }
        return best < 0 ? -1 : base + best * Level.pagesPerHpage(level);
    }

    /** fn on the head of (level, gfn); returns whether it owes a TLB flush. */
    static boolean handle(Exec e, Handler fn, int pos, int level, long gfn) {
        VmState s = e.s;
        boolean flush = false;
        for (long[] leaf : rmap(s, pos, level, gfn)) {
            int spId = (int) leaf[0];
            int i = (int) leaf[1];
            long spte = s.sp(spId).spte(i);
            switch (fn) {
                case SLOT_RMAP_WRITE_PROTECT -> {
                    if (Spte.writable(spte)) {
                        TdpMmu.setSpte(e, spId, i, spte & ~Spte.WRITABLE);
                        flush = true;
                    }
                }
                case KVM_ZAP_RMAP -> {
                    TdpMmu.setSpte(e, spId, i, 0);
                    flush = true;
                }
                case SHADOW_MMU_TRY_SPLIT_HUGE_PAGES -> {
                    if (level > Level.PG_LEVEL_4K) TdpMmu.splitInPlace(e, spId, i);
                }
                case KVM_MMU_ZAP_COLLAPSIBLE_SPTE -> {
                    if (level < SlotOps.maxMappingLevel(s, pos)) {
                        TdpMmu.setSpte(e, spId, i, 0);
                        flush = true;
                    }
                }
            }
        }
        return flush;
    }
}
