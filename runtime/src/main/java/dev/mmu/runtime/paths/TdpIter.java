package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;

/**
 * struct tdp_iter (tdp_iter.c, v6.x) kept in five locals of the walking thread, so a walk can be
 * interrupted by a yield: {@code next_last_level_gfn}, {@code gfn}, {@code level},
 * {@code yielded_gfn} and {@code valid}. The SPTE at the position is re-read from the root on every
 * step (tables are sparse maps, not host pages). Non-present SPTEs are skipped in the same step:
 * the model does not offer a yield point at every empty slot of a table.
 */
public final class TdpIter {
    static final int NEXT_LAST_LEVEL_GFN = 0;
    static final int GFN = 1;
    static final int LEVEL = 2;
    static final int YIELDED_GFN = 3;
    static final int VALID = 4;
    /** Whether the walker held rcu_read_lock() when it yielded (v5.13+ walkers do, v5.10 had no RCU). */
    static final int RCU_HELD = 5;
    /** for_each_tdp_pte_min_level(): the walk does not step below this level. */
    static final int MIN_LEVEL = 6;
    /** The root the walk runs in (kvm->arch.tdp_mmu_roots entry): the current root unless given. */
    static final int ROOT = 7;
    /** iter->yielded: the walk yielded and restarted; the next tdp_iter_next() does not advance. */
    static final int YIELDED = 8;
    /** iter->old_spte of a tdp_root_for_each_leaf_pte() walk: the leaf its step stopped at (else unused, 0). */
    static final int OLD_SPTE = 9;
    public static final int SLOTS = 10;

    /** What position() and spte() read: where iter.sptep points. */
    static final int[] POSITION = {ROOT, GFN, LEVEL};
    /**
     * What next() reads: iter->yielded, the position, try_step_down()'s min level and
     * next_last_level_gfn, and valid (skipping empty SPTEs tests it).
     */
    static final int[] NEXT = {YIELDED, ROOT, GFN, LEVEL, MIN_LEVEL, NEXT_LAST_LEVEL_GFN, VALID};
    /** What startIn() always writes: every field but rcu_held. */
    static final int[] START = {ROOT, MIN_LEVEL, NEXT_LAST_LEVEL_GFN, YIELDED_GFN, GFN, LEVEL, VALID, YIELDED};

    /**
     * The locals of the given fields of the iterator at `at`, then more: what an iterator op
     * declares it reads or writes (dead-locals analysis, {@link LiveLocals}).
     */
    static int[] fields(int at, int[] fields, int... more) {
        int[] r = new int[fields.length + more.length];
        for (int i = 0; i < fields.length; i++) r[i] = at + fields[i];
        System.arraycopy(more, 0, r, fields.length, more.length);
        return r;
    }

    /** Which roots a walk runs in: the one of address space 0 (a user's tdp_pte), the valid ones, or all. */
    public enum Roots { ROOT, VALID, ALL }

    private TdpIter() {}

    /**
     * tdp_iter_start() -> tdp_iter_restart(): at the root; yielded_gfn = next_last_level_gfn, so the
     * walk cannot yield before it has made progress. Then skip to the first present SPTE.
     */
    static void start(VmState s, long[] l, int at, long start, long end) {
        start(s, l, at, start, end, Level.PG_LEVEL_4K);
    }

    /** for_each_tdp_pte_min_level(iter, root, minLevel, start, end). */
    static void start(VmState s, long[] l, int at, long start, long end, int minLevel) {
        startIn(s, l, at, s.root, start, end, minLevel);
    }

    /**
     * The root a walk of several (for_each_*_tdp_mmu_root_yield_safe) starts in: the list's first
     * ({@link TdpMmuRoots}, newest first), the valid ones only for {@code VALID}; the one of address
     * space 0 for {@code ROOT} (a user's tdp_pte), and on the shadow MMU the one legacy root.
     */
    static int firstRoot(VmState s, Roots which) {
        if (which == Roots.ROOT || s.config.mmu() == dev.mmu.runtime.model.Mmu.SHADOW) return s.root;
        return TdpMmuRoots.next(s, -1, which == Roots.VALID, false);
    }

    /**
     * tdp_mmu_next_root() (tdp_mmu.c:127, v7.2 as v6.12; 5.10's list_next_entry()) for a walk of several roots: the root
     * after the one the walk is in, in the list's order, not invalidated for {@code VALID}, or -1.
     * The walk holds a reference on the root it is in, so that root is still on the list. On the
     * shadow MMU the one legacy root is the only one.
     */
    static int nextRoot(VmState s, long[] l, int at, Roots which) {
        if (which == Roots.ROOT || s.config.mmu() == dev.mmu.runtime.model.Mmu.SHADOW) return -1;
        return TdpMmuRoots.next(s, (int) l[at + ROOT], which == Roots.VALID, false);
    }

    /** Starts the walk again, over the same gfns, in root `root`. */
    static void startInNext(VmState s, long[] l, int at, int root, long start, long end) {
        startIn(s, l, at, root, start, end, (int) l[at + MIN_LEVEL]);
    }

    /**
     * for_each_tdp_pte_min_level() in a given root: tdp_iter_start(), whose tdp_iter_restart()
     * clears iter->yielded. Writes every field of {@link #START}, with or without a root.
     */
    static void startIn(VmState s, long[] l, int at, int root, long start, long end, int minLevel) {
        l[at + ROOT] = root;
        l[at + MIN_LEVEL] = minLevel;
        l[at + NEXT_LAST_LEVEL_GFN] = start;
        l[at + YIELDED_GFN] = start;
        l[at + YIELDED] = 0;
        if (root < 0) { // no root to walk
            l[at + VALID] = 0;
            l[at + GFN] = 0;
            l[at + LEVEL] = 0;
            return;
        }
        toRoot(s, l, at);
        skipNonPresent(s, l, at, end);
    }

    private static void toRoot(VmState s, long[] l, int at) {
        int rootLevel = s.sp((int) l[at + ROOT]).level;
        l[at + LEVEL] = rootLevel;
        l[at + GFN] = Level.alignDown(l[at + NEXT_LAST_LEVEL_GFN], rootLevel);
        l[at + VALID] = 1;
    }

    /** tdp_iter_restart(): after a yield, walk again from the root at next_last_level_gfn. */
    static void restart(VmState s, long[] l, int at, long end) {
        l[at + YIELDED] = 1;
        l[at + YIELDED_GFN] = l[at + NEXT_LAST_LEVEL_GFN];
        toRoot(s, l, at);
        skipNonPresent(s, l, at, end);
    }

    /** Where the iterator points: the table and index of its SPTE, or null if that table is gone. */
    static Walk position(VmState s, long[] l, int at) {
        Walk w = Walk.to(s, (int) l[at + ROOT], l[at + GFN], (int) l[at + LEVEL]);
        return w != null && w.level() == l[at + LEVEL] ? w : null;
    }

    static long spte(VmState s, long[] l, int at) {
        Walk w = position(s, l, at);
        return w == null ? 0 : w.spte();
    }

    /**
     * tdp_iter_next() over the rest of the current table's leaf SPTEs: whether the iterator, after
     * next(), is still at a sibling SPTE of the table it was in (same level, same parent region).
     * Slot walks visit the leaves of one table in one step (see docs: yield points per table).
     */
    static boolean nextInSameTable(VmState s, long[] l, int at, long end) {
        int level = (int) l[at + LEVEL];
        long table = Level.alignDown(l[at + GFN], level + 1);
        next(s, l, at, end);
        return l[at + VALID] != 0 && l[at + LEVEL] == level && Level.alignDown(l[at + GFN], level + 1) == table
                && Spte.leaf(spte(s, l, at));
    }

    /** tdp_iter_next(): try_step_down, else try_step_side, else try_step_up then side; skip empty SPTEs. */
    static void next(VmState s, long[] l, int at, long end) {
        if (l[at + YIELDED] != 0) {
            l[at + YIELDED] = 0;
            return;
        }
        advance(s, l, at, true);
        skipNonPresent(s, l, at, end);
    }

    private static void skipNonPresent(VmState s, long[] l, int at, long end) {
        while (l[at + VALID] != 0 && l[at + GFN] < end && !Spte.present(spte(s, l, at))) {
            advance(s, l, at, false);
        }
        if (l[at + GFN] >= end) l[at + VALID] = 0;
    }

    private static void advance(VmState s, long[] l, int at, boolean mayStepDown) {
        int level = (int) l[at + LEVEL];
        long spte = spte(s, l, at);
        if (mayStepDown && level > Math.max(Level.PG_LEVEL_4K, l[at + MIN_LEVEL]) && Spte.present(spte)
                && !Spte.leaf(spte)) {
            l[at + LEVEL] = level - 1;
            l[at + GFN] = Level.alignDown(l[at + NEXT_LAST_LEVEL_GFN], level - 1);
            return;
        }
        int rootLevel = s.sp((int) l[at + ROOT]).level;
        long gfn = l[at + GFN];
        while (Level.index(gfn, level) == Level.ENTRIES - 1) {
            if (level == rootLevel) {
                l[at + VALID] = 0;
                return;
            }
            level++;
            gfn = Level.alignDown(gfn, level);
        }
        gfn += Level.pagesPerHpage(level);
        l[at + GFN] = gfn;
        l[at + LEVEL] = level;
        l[at + NEXT_LAST_LEVEL_GFN] = gfn;
    }
}
