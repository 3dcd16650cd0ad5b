package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;

/** The kinds of guest access, and the ops of a TDP MMU walk (struct tdp_iter and what steps it). */
public final class MmuOps {
    private MmuOps() {}

    public enum Access {
        READ, WRITE, EXEC;

        public String word() {
            return name().toLowerCase();
        }
    }

    /**
     * tdp_iter_next() of a user-written for_each_tdp_pte loop; afterRestart: the one the iterator
     * before 3a0f64de479c (v5.16) ran on a walk a yield had just restarted, which moves it on from
     * an SPTE the walk has not visited (the trace says which).
     */
    public record IterNext(int it, int endSlot, boolean afterRestart, boolean leafOnly) implements Op {
        public IterNext(int it, int endSlot) {
            this(it, endSlot, false, false);
        }

        public IterNext(int it, int endSlot, boolean afterRestart) {
            this(it, endSlot, afterRestart, false);
        }

        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            if (rootFreed(e, l, it)) return;
            long gfn = l[it + TdpIter.GFN];
            long level = l[it + TdpIter.LEVEL];
            TdpIter.next(e.s, l, it, l[endSlot]);
            if (leafOnly) toLeaf(e.s, l, it, l[endSlot]);
            if (afterRestart && e.tracing()) {
                e.note("tdp_iter_next: past the L" + level + " SPTE at gfn 0x" + Long.toHexString(gfn)
                        + ", not visited");
            }
        }

        /** Reads the tables; a freed root is a violation (rootFreed). */
        public int[] localsRead() {
            return TdpIter.fields(it, TdpIter.NEXT, endSlot);
        }

        public Footprint footprint() {
            return leafOnly ? LEAF_STEP : STEP;
        }

        public String describe() {
            return leafOnly ? "tdp_iter_next to the next present leaf" : "tdp_iter_next";
        }
    }

    /**
     * tdp_root_for_each_leaf_pte()'s `if (!is_shadow_present_pte(iter.old_spte) ||
     * !is_last_spte(iter.old_spte, iter.level)) continue;`: tdp_iter_next() until the iterator is at
     * a present leaf or done, in the step that got there.
     */
    static void toLeaf(VmState s, long[] l, int it, long end) {
        while (l[it + TdpIter.VALID] != 0) {
            long spte = TdpIter.spte(s, l, it);
            if (Spte.present(spte) && Spte.leaf(spte)) {
                l[it + TdpIter.OLD_SPTE] = spte; // iter.old_spte, read in this step as the iterator reads it
                return;
            }
            TdpIter.next(s, l, it, end);
        }
        l[it + TdpIter.OLD_SPTE] = 0;
    }

    /** A walk's step reads the SPTEs (built once: footprint() is asked at every state). */
    static final Footprint STEP = Footprint.reads(Resource.SPTE).andUpdates(Resource.VIOLATIONS);

    /** A leaf walk's step reads the SPTE's A/D/W bits too (iter.old_spte). */
    static final Footprint LEAF_STEP = Footprint.reads(Resource.SPTE, Resource.SPTE_ACCESS).andUpdates(Resource.VIOLATIONS);

    /**
     * A walk whose root was freed under it (an uncounted legacy root: TDP roots are held by
     * TdpMmu.getRoot) reads freed memory: freed_page_table_walk, and the walk ends.
     */
    static boolean rootFreed(Exec e, long[] l, int it) {
        int root = (int) l[it + TdpIter.ROOT];
        if (e.s.sp(root) != null) return false;
        e.violate(Invariant.freed_page_table_walk, "a tdp_iter walk reads its root sp" + root + " after it was freed");
        e.violate(Invariant.freed_root_in_use, "a tdp_iter walk is still in root sp" + root + " after it was freed");
        l[it + TdpIter.VALID] = 0;
        return true;
    }

    /** iter.present / iter.leaf of a user loop: the SPTE at the iterator, read now. */
    public static Expr iterSpte(int it, boolean leaf) {
        return Expr.of(Footprint.reads(Resource.SPTE), TdpIter.fields(it, TdpIter.POSITION), (s, t) -> {
            long spte = TdpIter.spte(s, s.threads[t].locals, it);
            return Spte.present(spte) && (!leaf || Spte.leaf(spte)) ? 1 : 0;
        });
    }

    public static int iterSlot(String field) {
        return switch (field) {
            case "gfn" -> TdpIter.GFN;
            case "level" -> TdpIter.LEVEL;
            case "old_spte" -> TdpIter.OLD_SPTE; // a leaf walk's (the checker allows it there only)
            default -> -1;
        };
    }

    /** tdp_iter_start() for a walk of [start, end) gfns, kept in locals from `it`. */
    public record IterStart(int it, Expr start, Expr end, int startSlot, int endSlot, int minLevel, TdpIter.Roots which)
            implements Op {
        public IterStart(int it, Expr start, Expr end, int startSlot, int endSlot, TdpIter.Roots which) {
            this(it, start, end, startSlot, endSlot, dev.mmu.runtime.model.Level.PG_LEVEL_4K, which);
        }

        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            // for_each_tdp_mmu_root_yield_safe() -> tdp_mmu_next_root() (v6.x): under mmu_lock, with a reference.
            if (!e.s.holdsMmuLock(e.thread)) e.violate(Invariant.lockdep, "for_each_tdp_pte without mmu_lock");
            if (which == TdpIter.Roots.ROOT) assertRcu(e); // a user's loop; the built-in walks' own are right
            l[startSlot] = start.eval(e.s, e.thread);
            l[endSlot] = end.eval(e.s, e.thread);
            int first = TdpIter.firstRoot(e.s, which);
            TdpIter.startIn(e.s, l, it, first, l[startSlot], l[endSlot], minLevel);
            if (first >= 0) TdpMmu.getRoot(e, first);
        }

        /** Reads the root, takes a reference on it (its root count), lockdep; no field of the iterator. */
        public int[] localsRead() {
            return Expr.locals(start, end);
        }

        public int[] localsWritten(int pc, int target) {
            return TdpIter.fields(it, TdpIter.START, startSlot, endSlot);
        }

        public Footprint footprint() {
            return Footprint.of(start, end).andUpdates(Resource.SPTE) // lockdep: this thread's holding
                    .andUpdates(Resource.VIOLATIONS);
        }

        public String describe() {
            return "tdp_iter_start";
        }
    }

    /**
     * tdp_iter_start() reads the root's SPTE with kvm_tdp_mmu_read_spte(), an rcu_dereference():
     * CONFIG_PROVE_RCU reports it outside rcu_read_lock(), mmu_lock held or not (trial17: a copy of
     * tdp_mmu_zap_leafs() without its rcu_read_lock() passed). 5.10's iterator had no RCU.
     */
    static void assertRcu(Exec e) {
        if (e.s.config.tdpIterRcu() && !Lock.held(e.s, e.thread, LockId.rcu)) {
            e.violate(Invariant.lockdep, "for_each_tdp_pte() needs rcu_read_lock() (CONFIG_PROVE_RCU: rcu_dereference of"
                    + " an SPTE pointer in kvm_tdp_mmu_read_spte())");
        }
    }

    /**
     * for_each_tdp_pte(iter, kvm, root, start, end) (tdp_iter.h, v7.2 as v6.12) in a root the caller chose
     * (a root loop's): no reference of its own, the caller holds one or mmu_lock for write. A root
     * already freed is a walk of freed memory (rootFreed).
     */
    public record IterStartIn(int it, Expr root, Expr start, Expr end, int startSlot, int endSlot, boolean lockless,
                              boolean leafOnly) implements Op {
        public IterStartIn(int it, Expr root, Expr start, Expr end, int startSlot, int endSlot) {
            this(it, root, start, end, startSlot, endSlot, false, false);
        }

        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            // lockless: in a root of for_each_tdp_mmu_root_rcu(), which RCU alone keeps (the aging walk)
            if (!lockless && !e.s.holdsMmuLock(e.thread)) e.violate(Invariant.lockdep, "for_each_tdp_pte without mmu_lock");
            assertRcu(e);
            l[startSlot] = start.eval(e.s, e.thread);
            l[endSlot] = end.eval(e.s, e.thread);
            l[it + TdpIter.YIELDED] = 0;
            l[it + TdpIter.ROOT] = root.eval(e.s, e.thread);
            if (rootFreed(e, l, it)) return;
            TdpIter.startIn(e.s, l, it, (int) l[it + TdpIter.ROOT], l[startSlot], l[endSlot], Level.PG_LEVEL_4K);
            if (leafOnly) toLeaf(e.s, l, it, l[endSlot]);
        }

        public int[] localsRead() {
            return Expr.locals(root, start, end);
        }

        /** All but what tdp_iter_start() writes, which a freed root skips (valid is cleared either way). */
        public int[] localsWritten(int pc, int target) {
            if (leafOnly) return TdpIter.fields(it, TdpIter.START, startSlot, endSlot, it + TdpIter.OLD_SPTE); // the skip moves it
            return new int[] {startSlot, endSlot, it + TdpIter.YIELDED, it + TdpIter.ROOT,
                    it + TdpIter.VALID};
        }

        public Footprint footprint() {
            // lockdep: this thread's holding
            Footprint f = Footprint.of(root, start, end).andReads(Resource.SPTE).andUpdates(Resource.VIOLATIONS);
            return leafOnly ? f.union(LEAF_STEP) : f;
        }

        public String describe() {
            return "tdp_iter_start";
        }
    }

    /**
     * tdp_mmu_iter_cond_resched() (v6.x): unless the walk has not moved since it last yielded
     * (next_last_level_gfn == yielded_gfn), need_resched() (a free choice) or rwlock_needbreak()
     * (Lock#rwlockNeedbreak, which leaves no choice) makes it flush if a flush is pending, drop RCU
     * and mmu_lock. Choice 0 = no yield (jump to `skip`). With a tableSlot (the prelude's own
     * walks, not a user's copy): a yield point only at the first SPTE the walk visits in each
     * last-level table, as the Java walks had it (docs/kernel-model.md, "Slot walks do one table's
     * leaves in one step"); tableSlot keeps that table.
     */
    public record IterCondResched(int it, int flushSlot, int skip, boolean guarded, int tableSlot) implements Op {
        public IterCondResched(int it, int flushSlot, int skip) {
            this(it, flushSlot, skip, true, -1);
        }

        public int choices(VmState s, int thread) {
            return mayYield(s, s.threads[thread].locals) && !Lock.rwlockNeedbreak(s) ? 2 : 1;
        }

        /** The forward-progress guard (5.12-rc on): no second yield before next_last_level_gfn moved. */
        private boolean mayYield(VmState s, long[] l) {
            return (!guarded || l[it + TdpIter.NEXT_LAST_LEVEL_GFN] != l[it + TdpIter.YIELDED_GFN])
                    && (tableSlot < 0 || table(s, l) == 0 || table(s, l) != l[tableSlot]);
        }

        /** The last-level table the walk is in (its id + 1), else 0. */
        private long table(VmState s, long[] l) {
            if (l[it + TdpIter.LEVEL] != dev.mmu.runtime.model.Level.PG_LEVEL_4K) return 0;
            Walk w = TdpIter.position(s, l, it);
            return w == null ? 0 : w.spId() + 1;
        }

        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            boolean needbreak = Lock.rwlockNeedbreak(e.s);
            boolean may = mayYield(e.s, l);
            if (tableSlot >= 0) l[tableSlot] = table(e.s, l);
            if (!may || (choice == 0 && !needbreak)) {
                e.nextPc = skip;
                e.invisible = true;
                if (e.tracing()) e.note(where(l) + "no yield" + (may || !guarded || l[it + TdpIter.NEXT_LAST_LEVEL_GFN]
                        != l[it + TdpIter.YIELDED_GFN] ? "" : " (next_last_level_gfn == yielded_gfn)"));
                return;
            }
            if (e.tracing()) e.note(where(l) + (needbreak ? "rwlock_needbreak" : "need_resched") + ", "
                    + (l[flushSlot] != 0 ? "flush owed" : "no flush owed") + ", yield");
            if (l[flushSlot] != 0) Tlbs.flushRemoteTlbs(e);
            l[flushSlot] = 0;
            boolean rcu = Lock.held(e.s, e.thread, LockId.rcu);
            l[it + TdpIter.RCU_HELD] = rcu ? 1 : 0;
            if (rcu) Lock.release(e, dev.mmu.runtime.model.LockId.rcu);
            Rcu.sleepCheck(e, "tdp_mmu_iter_cond_resched() -> cond_resched_rwlock_"
                    + (e.s.mmuWriter == e.thread ? "write()" : "read()"));
            Lock.release(e, dev.mmu.runtime.model.LockId.mmu_lock);
            Rcu.maybeEndGracePeriod(e);
        }

        /** Where the walk is, for the trace: a reader sees which gfn and level it yielded (or not) at. */
        private String where(long[] l) {
            return "tdp_mmu_iter_cond_resched at gfn 0x" + Long.toHexString(l[it + TdpIter.GFN]) + " level "
                    + l[it + TdpIter.LEVEL] + ": ";
        }

        /** The yield: flush if owed, rcu_read_unlock, unlock mmu_lock; or no yield, which reads the waiters. */
        public int[] localsRead() {
            int[] l = guarded ? TdpIter.fields(it, new int[] {TdpIter.NEXT_LAST_LEVEL_GFN, TdpIter.YIELDED_GFN}, flushSlot)
                    : new int[] {flushSlot};
            return tableSlot < 0 ? l : TdpIter.fields(it, TdpIter.POSITION, concat(l, tableSlot));
        }

        /** A yield (on to pc + 1) clears the flush it owed and notes whether it held RCU; the table is noted either way. */
        public int[] localsWritten(int pc, int target) {
            int[] w = target == pc + 1 && skip != pc + 1 ? new int[] {flushSlot, it + TdpIter.RCU_HELD} : LiveLocals.NONE;
            return tableSlot < 0 ? w : concat(w, tableSlot);
        }

        private static int[] concat(int[] a, int b) {
            int[] r = java.util.Arrays.copyOf(a, a.length + 1);
            r[a.length] = b;
            return r;
        }

        public Footprint footprint() {
            Footprint f = Footprint.reads(Resource.MMU_LOCK).union(Tlbs.FLUSH).andUpdates(Resource.VIOLATIONS)
                    .union(Ops.release(dev.mmu.runtime.model.LockId.rcu))
                    .union(Ops.release(dev.mmu.runtime.model.LockId.mmu_lock));
            return tableSlot < 0 ? f : f.andReads(Resource.SPTE); // the table the walk is in
        }

        /** No yield: the decision read need_resched and rwlock_needbreak (mmu_lock's queue). */
        public Footprint invisibleFootprint() {
            return tableSlot < 0 ? Footprint.reads(Resource.MMU_LOCK) : Footprint.reads(Resource.MMU_LOCK, Resource.SPTE);
        }

        public Footprint invisibleFootprint(dev.mmu.runtime.model.VmConfig config) {
            return tableSlot < 0 ? Lock.needbreak(config) : Lock.needbreak(config).andReads(Resource.SPTE);
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, skip};
        }

        public String describe() {
            return "tdp_mmu_iter_cond_resched";
        }
    }

    /**
     * The end of the walk in one root: for_each_*_tdp_mmu_root_yield_safe() -> tdp_mmu_next_root()
     * takes a reference on the next root the walk runs in (TdpIter.nextRoot) and puts the
     * previous one's; the walk starts again there (fall through), or ends (jump to `end`).
     */
    public record IterNextRoot(int it, int startSlot, int endSlot, TdpIter.Roots which, int end) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            int next = TdpIter.nextRoot(e.s, l, it, which);
            if (next >= 0) TdpMmu.getRoot(e, next);
            if (e.s.sp((int) l[it + TdpIter.ROOT]) != null) TdpMmu.putRoot(e, (int) l[it + TdpIter.ROOT]);
            if (next < 0) {
                e.nextPc = end;
                return;
            }
            TdpIter.startInNext(e.s, l, it, next, l[startSlot], l[endSlot]);
            e.note("tdp_mmu_next_root: " + e.s.sp(next));
        }

        public int[] localsRead() {
            return TdpIter.fields(it, new int[] {TdpIter.ROOT, TdpIter.MIN_LEVEL}, startSlot, endSlot);
        }

        /** On to the next root (pc + 1): tdp_iter_start() there. */
        public int[] localsWritten(int pc, int target) {
            return target == pc + 1 && end != pc + 1 ? TdpIter.fields(it, TdpIter.START) : LiveLocals.NONE;
        }

        public Footprint footprint() {
            return TdpMmu.PUT_ROOT;
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, end};
        }

        public String describe() {
            return "tdp_mmu_next_root";
        }
    }

    /** The end of a walk: for_each_tdp_mmu_root_yield_safe() puts the root's reference (TdpMmu.putRoot). */
    public record IterPutRoot(int it) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            if (e.s.sp((int) l[it + TdpIter.ROOT]) != null) TdpMmu.putRoot(e, (int) l[it + TdpIter.ROOT]);
        }

        public int[] localsRead() {
            return new int[] {it + TdpIter.ROOT};
        }

        public Footprint footprint() {
            return TdpMmu.PUT_ROOT;
        }

        public String describe() {
            return "kvm_tdp_mmu_put_root";
        }
    }

    /** After cond_resched_rwlock_*() got the lock back: rcu_read_lock(); tdp_iter_restart(). */
    public record IterRestart(int it, int endSlot, boolean keepYielded, int result) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            // rcu_read_lock() comes back before tdp_iter_restart() reads the root, freed or not
            if (l[it + TdpIter.RCU_HELD] != 0) Lock.acquire(e, dev.mmu.runtime.model.LockId.rcu, Lock.Mode.READ);
            if (rootFreed(e, l, it)) return;
            TdpIter.restart(e.s, l, it, l[endSlot]);
            if (!keepYielded) l[it + TdpIter.YIELDED] = 0;
            if (result >= 0) l[result] = 1;
            if (e.tracing()) e.note("tdp_iter_restart at gfn 0x" + Long.toHexString(l[it + TdpIter.NEXT_LAST_LEVEL_GFN]));
        }

        /** The root (freed?), whether to take RCU again, next_last_level_gfn; valid is written either way. */
        public int[] localsRead() {
            return TdpIter.fields(it, new int[] {TdpIter.ROOT, TdpIter.RCU_HELD, TdpIter.NEXT_LAST_LEVEL_GFN}, endSlot);
        }

        public int[] localsWritten(int pc, int target) {
            return new int[] {it + TdpIter.VALID};
        }

        public Footprint footprint() {
            return Footprint.updates(Resource.RCU_SELF, Resource.VIOLATIONS).andReads(Resource.SPTE);
        }

        public String describe() {
            return "tdp_iter_restart";
        }
    }

    /**
     * One iteration of zap_gfn_range() (v5.12-v5.19): skip a non-leaf SPTE that covers more than
     * [start, end), else clear the SPTE (mmu_lock held for write) and note that a flush is owed;
     * then tdp_iter_next(). With {@code teardownFlushes} (a v5.10-v5.17 kernel), clearing a table's
     * SPTE also flushes, as handle_changed_spte() did before freeing the table (tdp_mmu.c, v5.10:
     * kvm_flush_remote_tlbs_with_address(), every TLB without Hyper-V), until "KVM: x86/mmu: Defer
     * TLB flush to caller when freeing TDP MMU shadow pages" (bb95dfb9e2df, v5.18).
     */
    public record ZapStep(int it, int startSlot, int endSlot, int flushSlot, boolean teardownFlushes) implements Op {
        public ZapStep(int it, int startSlot, int endSlot, int flushSlot) {
            this(it, startSlot, endSlot, flushSlot, false);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long[] l = e.self().locals;
            Walk w = TdpIter.position(s, l, it);
            long gfn = l[it + TdpIter.GFN];
            int level = (int) l[it + TdpIter.LEVEL];
            if (w != null && Spte.present(w.spte())) {
                boolean coversMore = gfn < l[startSlot] || gfn + Level.pagesPerHpage(level) > l[endSlot];
                if (!Spte.leaf(w.spte()) && coversMore) {
                    if (e.tracing()) e.note("tdp_iter: L" + level + " gfn 0x" + Long.toHexString(gfn)
                            + " is a table covering more than the range: step down");
                    e.invisible = true;
                } else {
                    // __tdp_mmu_set_spte()'s lockdep_assert_held_write() (v5.12; v7.2's
                    // kvm_tdp_mmu_zap_leafs() asserts it on entry): this zap is not atomic.
                    if (e.s.mmuWriter != e.thread) e.violate(Invariant.lockdep,
                            "zap_gfn_range() needs mmu_lock held for write (tdp_mmu_set_spte is not atomic)");
                    TdpMmu.setSpte(e, w.spId(), w.index(), 0);
                    l[flushSlot] = 1;
                    e.note("flush pending");
                    if (teardownFlushes && !Spte.leaf(w.spte())) {
                        // The removed table's flush, before it is freed: a huge leaf's zap elsewhere stays owed.
                        e.note("handle_changed_spte: kvm_flush_remote_tlbs_with_address before free_page (v5.10-v5.17)");
                        Tlbs.flushRemoteTlbs(e);
                    }
                }
            }
            TdpIter.next(s, l, it, l[endSlot]);
        }

        /** Not the flush, which it only sets. */
        public int[] localsRead() {
            return TdpIter.fields(it, TdpIter.NEXT, startSlot, endSlot);
        }

        public Footprint footprint() {
            Footprint f = TdpMmu.SET_SPTE.andUpdates(Resource.VIOLATIONS); // lockdep: this thread's holding
            return teardownFlushes ? f.union(Tlbs.FLUSH) : f;
        }

        /** A step down into a table that covers more than the range: it read the SPTE's presence and level. */
        public Footprint invisibleFootprint() {
            return Footprint.reads(Resource.SPTE);
        }

        public String describe() {
            return "zap_gfn_range step";
        }
    }

    /** root->role.invalid of a TDP root: no vCPU runs on it once kvm_mmu_zap_all_fast()'s request is served. */
    private static boolean invalidTdpRoot(VmState s, int root) {
        var sp = s.sp(root);
        return sp != null && sp.tdp && sp.invalid;
    }

    /** tdp_mmu_zap_leafs() over [start, end) in one step (can_yield = false); true if a flush is owed. */
    static boolean zapLeafs(Exec e, long start, long end) {
        VmState s = e.s;
        boolean flush = false;
        // for_each_tdp_mmu_root_yield_safe(..., only_valid = false): invalidated roots too.
        for (int r : s.liveRoots()) flush |= zapLeafsIn(e, r, start, end);
        // kvm_unmap_gfn_range() also zaps the shadow MMU's rmaps (kvm_zap_rmap): the nested guest's pages.
        if (s.nestedRoot >= 0) flush |= zapRmapLeafs(e, s.nestedRoot, start, end);
        return flush;
    }

    /** kvm_zap_rmap() over [start, end): every leaf SPTE of the legacy tables under spId mapping those gfns. */
    private static boolean zapRmapLeafs(Exec e, int spId, long start, long end) {
        var leaves = SlotOps.rmapLeaves(e.s, spId, start, end);
        for (long[] leaf : leaves) TdpMmu.setSpte(e, (int) leaf[0], (int) leaf[1], 0);
        return !leaves.isEmpty();
    }

    private static boolean zapLeafsIn(Exec e, int root, long start, long end) {
        VmState s = e.s;
        long[] it = new long[TdpIter.SLOTS];
        TdpIter.startIn(s, it, 0, root, start, end, dev.mmu.runtime.model.Level.PG_LEVEL_4K);
        // tdp_mmu_zap_leafs() (tdp_mmu.c:933, v7.2 as v6.12): "Zappings SPTEs in invalid roots doesn't require a TLB flush".
        boolean invalid = invalidTdpRoot(s, root);
        boolean flush = false;
        while (it[TdpIter.VALID] != 0) {
            Walk w = TdpIter.position(s, it, 0);
            if (w != null && Spte.leaf(w.spte())) {
                TdpMmu.setSpte(e, w.spId(), w.index(), 0);
                flush = !invalid;
            }
            TdpIter.next(s, it, 0, end);
        }
        return flush;
    }

}
