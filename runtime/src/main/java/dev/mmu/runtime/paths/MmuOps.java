package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.VmState;

/** Ops with MMU semantics: the guest access, the fault path's steps, the TDP walk, the notifier. */
public final class MmuOps {
    private MmuOps() {}

    public enum Access {
        READ, WRITE, EXEC;

        public String word() {
            return name().toLowerCase();
        }
    }

    /**
     * A guest access: TLB hit, or a hardware walk that fills the TLB; either way the access reaches a
     * host page. With no usable translation it is an EPT violation: fall through to the fault path.
     */
    public record GuestAccess(int vcpu, Access kind, Expr gpa, int done, boolean nested, int fastPf, int oldSpte)
            implements Op {
        public GuestAccess(int vcpu, Access kind, Expr gpa, int done) {
            this(vcpu, kind, gpa, done, false, -1, -1);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long g = gpa.eval(s, e.thread);
            long gfn = g >>> 12;
            // Trace text only when rendering a trace: exploration does not pay for strings.
            String what = e.tracing() ? "vCPU " + vcpu + (nested ? " (L2)" : "") + " " + kind.word() + " 0x"
                    + Long.toHexString(g) : "";
            TlbEntry t = Tlbs.lookup(s, vcpu, gfn, nested);
            if (t != null && grants(t.writable(), t.exec())) {
                if (e.tracing()) e.note(what + ": TLB hit -> pfn 0x" + Long.toHexString(t.pfnOf(gfn)));
                touch(e, t.pfnOf(gfn), gfn);
                if (kind == Access.WRITE) checkLogged(e, gfn);
                e.nextPc = done;
                return;
            }
            Walk w = pscWalk(e, gfn, what);
            if (w == null) w = Walk.of(s, gfn, nested);
            if (w != null && w.presentLeaf() && w.level() == Level.PG_LEVEL_4K) {
                Tlbs.pscFill(s, vcpu, new dev.mmu.runtime.model.PscEntry(Level.alignDown(gfn, Level.PG_LEVEL_2M),
                        w.spId(), s.sp(w.spId()).gfn, nested));
            }
            if (w != null && w.presentLeaf() && grants(Spte.writable(w.spte()), Spte.exec(w.spte()))) {
                long base = Level.alignDown(gfn, w.level());
                Tlbs.fill(s, vcpu, new TlbEntry(base, w.level(), w.pfnOf(base), Spte.writable(w.spte()),
                        Spte.exec(w.spte()), nested));
                if (e.tracing()) e.note(what + ": walk -> " + Level.size(w.level()) + " pfn 0x" + Long.toHexString(w.pfnOf(gfn))
                        + ", TLB filled");
                if (kind == Access.WRITE && (w.spte() & Spte.DIRTY) == 0) {
                    s.setSpte(w.spId(), w.index(), w.spte() | Spte.DIRTY); // the walker sets the EPT D bit
                }
                touch(e, w.pfnOf(gfn), gfn);
                if (kind == Access.WRITE) checkLogged(e, gfn);
                e.nextPc = done;
                return;
            }
            Tlbs.pscDrop(s, vcpu, gfn, nested);
            if (e.tracing()) e.note(what + ": EPT violation");
            if (fastPf >= 0 && canBeFast(s, w, gfn)) {
                e.self().locals[oldSpte] = w.spte();
                e.nextPc = fastPf;
            }
        }

        /**
         * page_fault_can_be_fast() and the checks of fast_page_fault() (mmu.c, v6.x): a write to a
         * present leaf that lacks only PT_WRITABLE_MASK but is MMU-writable (write-protected for
         * dirty logging), at 4K if the slot logs dirty pages.
         */
        private boolean canBeFast(VmState s, Walk w, long gfn) {
            if (kind != Access.WRITE || w == null || !w.presentLeaf() || Spte.writable(w.spte())
                    || (w.spte() & Spte.MMU_WRITABLE) == 0) {
                return false;
            }
            return w.level() == Level.PG_LEVEL_4K || (Memslots.snapshot(s, gfn) & Memslots.LOGGING) == 0;
        }

        /**
         * A walk that starts at the table the paging-structure cache remembers: fine while that table
         * is allocated (even unlinked, its cleared SPTEs make the walk fault), a read of freed memory
         * once it was freed. Null when the cache has nothing for gfn.
         */
        private Walk pscWalk(Exec e, long gfn, String what) {
            var p = Tlbs.pscLookup(e.s, vcpu, gfn, nested);
            if (p == null) return null;
            var sp = e.s.sp(p.spId());
            if (sp == null || sp.gfn != p.spGfn() || sp.level != Level.PG_LEVEL_4K) {
                e.violate(Invariant.freed_page_table_walk, what + " walks sp" + p.spId()
                        + " from its paging-structure cache after the table was freed");
                return null;
            }
            return Walk.to(e.s, p.spId(), gfn, Level.PG_LEVEL_4K);
        }

        private boolean grants(boolean writable, boolean exec) {
            return switch (kind) {
                case READ -> true;
                case WRITE -> writable;
                case EXEC -> exec;
            };
        }

        /**
         * dirty_log_lost: a write that reached memory while its slot logs dirty pages must be in the
         * bitmap, unless a dirty-log ioctl on the slot is still in flight (its snapshot or
         * userspace's first full copy covers the write; the ioctl's flush ends the window).
         */
        private static void checkLogged(Exec e, long gfn) {
            VmState s = e.s;
            int p = Memslots.of(s, gfn);
            if (!Memslots.logging(s, p) || (s.dirtyLogBusy & (1 << p)) != 0) return;
            if (!s.dirty(p, gfn - Memslots.base(s, p))) {
                e.violate(Invariant.dirty_log_lost, "write to gfn 0x" + Long.toHexString(gfn)
                        + " while memslot " + Memslots.slot(s, p).id() + " logs dirty pages, bit not set");
            }
        }

        private static void touch(Exec e, long pfn, long gfn) {
            if (Host.freed(e.s, pfn, gfn)) {
                e.violate(Invariant.use_after_free, "pfn 0x" + Long.toHexString(pfn) + " was freed by the host");
            }
        }

        public String describe() {
            return "vcpu " + vcpu + " " + kind.word();
        }
    }

    /**
     * fast_page_fault() (mmu.c, v6.x) after the lockless walk read the SPTE into `oldSpte`:
     * fast_pf_fix_direct_spte() is a cmpxchg that sets PT_WRITABLE_MASK only if nobody changed the
     * SPTE since, then mark_page_dirty_in_slot(). No mmu_lock. On a lost race it retries (at most
     * 4 times, then the slow path).
     */
    public record FastPageFault(Expr gpa, int oldSpte, int retries, int access, int slowPath) implements Op {
        public void exec(Exec e, int choice) {
            long gfn = gpa.eval(e.s, e.thread) >>> 12;
            long[] l = e.self().locals;
            Walk w = Walk.of(e.s, gfn);
            if (w != null && w.spte() == l[oldSpte]) {
                e.note("fast_page_fault: fast_pf_fix_direct_spte cmpxchg succeeds");
                TdpMmu.setSpte(e, w.spId(), w.index(), w.spte() | Spte.WRITABLE);
                Memslots.markDirty(e, gfn);
                l[retries] = 0;
                e.nextPc = access;
                return;
            }
            e.note("fast_page_fault: cmpxchg lost the race (SPTE changed)");
            e.nextPc = ++l[retries] > 4 ? slowPath : access;
        }

        public String describe() {
            return "fast_page_fault";
        }
    }

    /**
     * kvm_faultin_pfn() (v6.x), inside the vCPU's srcu read section (kvm_vcpu_srcu_read_lock):
     * fault->slot = the gfn's memslot; no slot -> emulated MMIO (the access ends); a slot marked
     * KVM_MEMSLOT_INVALID (being deleted or moved) -> RET_PF_RETRY; else mmu_seq =
     * kvm->mmu_invalidate_seq; smp_rmb(); pfn = __gfn_to_pfn_memslot().
     */
    public record FaultIn(Expr gpa, int seqSlot, int pfnSlot, int slotFlags, int retry, int done) implements Op {
        public void exec(Exec e, int choice) {
            long gfn = gpa.eval(e.s, e.thread) >>> 12;
            long[] l = e.self().locals;
            long flags = Memslots.snapshot(e.s, gfn);
            l[slotFlags] = flags;
            if ((flags & Memslots.FOUND) == 0) {
                if (e.tracing()) e.note("no memslot for gfn 0x" + Long.toHexString(gfn) + ": emulated MMIO");
                e.nextPc = done;
                return;
            }
            if ((flags & Memslots.INVALID) != 0) {
                e.note("kvm_faultin_pfn: memslot is KVM_MEMSLOT_INVALID -> RET_PF_RETRY");
                e.nextPc = retry;
                return;
            }
            Lock.acquire(e, dev.mmu.runtime.model.LockId.srcu, Lock.Mode.READ);
            l[seqSlot] = e.s.mmuInvalidateSeq;
            l[pfnSlot] = Host.gfnToPfn(e, gfn);
            if (e.tracing()) e.note("kvm_faultin_pfn: mmu_seq=" + l[seqSlot] + ", pfn 0x" + Long.toHexString(l[pfnSlot]));
        }

        public String describe() {
            return "kvm_faultin_pfn";
        }
    }

    /** The end of the fault: read_unlock (write_unlock on the shadow MMU), then srcu_read_unlock on guest entry. */
    public record FaultUnlock() implements Op {
        public void exec(Exec e, int choice) {
            Lock.release(e, dev.mmu.runtime.model.LockId.mmu_lock);
            Lock.release(e, dev.mmu.runtime.model.LockId.srcu);
        }

        public String describe() {
            return "unlock mmu_lock, srcu";
        }
    }

    /**
     * Under mmu_lock: is_page_fault_stale() (mmu_invalidate_retry_gfn) sends the fault back to the
     * guest; otherwise kvm_tdp_mmu_map() / direct_map() installs the mapping.
     */
    public record FaultMap(Access kind, Expr gpa, int seqSlot, int pfnSlot, boolean tdp, int slotFlags,
                           boolean nested) implements Op {
        public FaultMap(Access kind, Expr gpa, int seqSlot, int pfnSlot, boolean tdp, int slotFlags) {
            this(kind, gpa, seqSlot, pfnSlot, tdp, slotFlags, false);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long gfn = gpa.eval(s, e.thread) >>> 12;
            long[] l = e.self().locals;
            boolean inRange = s.mmuInvalidateInProgress > 0 && gfn >= s.mmuInvalidateRangeStart
                    && gfn < s.mmuInvalidateRangeEnd;
            if (inRange || s.mmuInvalidateSeq != l[seqSlot]) {
                e.note("is_page_fault_stale: mmu_invalidate_retry_gfn -> RET_PF_RETRY");
                return;
            }
            if (e.tracing()) e.note(tdp ? "kvm_tdp_mmu_map gfn 0x" + Long.toHexString(gfn) : "direct_map gfn 0x" + Long.toHexString(gfn));
            boolean logging = (l[slotFlags] & Memslots.LOGGING) != 0;
            if (!TdpMmu.map(e, gfn, kind == Access.EXEC, kind == Access.WRITE, l[pfnSlot], tdp, logging,
                    nested ? s.nestedRoot : s.root)) {
                e.note("SPTE frozen by another thread -> RET_PF_RETRY");
            }
        }

        public String describe() {
            return tdp ? "kvm_tdp_mmu_map" : "direct_map";
        }
    }

    /** tdp_iter_next() of a user-written for_each_tdp_pte loop. */
    public record IterNext(int it, int endSlot) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            TdpIter.next(e.s, l, it, l[endSlot]);
        }

        public boolean silent(VmState s, int thread) {
            return s.mmuWriter == thread;
        }

        public String describe() {
            return "tdp_iter_next";
        }
    }

    /** iter.present / iter.leaf of a user loop: the SPTE at the iterator, read now. */
    public static Expr iterSpte(int it, boolean leaf) {
        return (s, t) -> {
            long spte = TdpIter.spte(s, s.threads[t].locals, it);
            return Spte.present(spte) && (!leaf || Spte.leaf(spte)) ? 1 : 0;
        };
    }

    public static int iterSlot(String field) {
        return switch (field) {
            case "gfn" -> TdpIter.GFN;
            case "level" -> TdpIter.LEVEL;
            default -> -1;
        };
    }

    /** tdp_iter_start() for a walk of [start, end) gfns, kept in locals from `it`. */
    public record IterStart(int it, Expr start, Expr end, int startSlot, int endSlot, int minLevel) implements Op {
        public IterStart(int it, Expr start, Expr end, int startSlot, int endSlot) {
            this(it, start, end, startSlot, endSlot, dev.mmu.runtime.model.Level.PG_LEVEL_4K);
        }

        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            l[startSlot] = start.eval(e.s, e.thread);
            l[endSlot] = end.eval(e.s, e.thread);
            TdpIter.start(e.s, l, it, l[startSlot], l[endSlot], minLevel);
            l[it + TdpIter.YIELDED] = 0;
        }

        public boolean silent(VmState s, int thread) {
            return true;
        }

        public String describe() {
            return "tdp_iter_start";
        }
    }

    /**
     * tdp_mmu_iter_cond_resched() (v6.x): unless the walk has not moved since it last yielded
     * (next_last_level_gfn == yielded_gfn), a need_resched or a waiter makes it flush if a flush is
     * pending, drop RCU and mmu_lock. Choice 0 = no yield (jump to `skip`).
     */
    public record IterCondResched(int it, int flushSlot, int skip) implements Op {
        public int choices(VmState s, int thread) {
            long[] l = s.threads[thread].locals;
            return l[it + TdpIter.NEXT_LAST_LEVEL_GFN] == l[it + TdpIter.YIELDED_GFN] ? 1 : 2;
        }

        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            boolean contended = e.program.waitsForMmuLock(e.s, e.thread);
            boolean mayYield = l[it + TdpIter.NEXT_LAST_LEVEL_GFN] != l[it + TdpIter.YIELDED_GFN];
            if (!mayYield || (choice == 0 && !contended)) {
                e.nextPc = skip;
                e.invisible = true;
                return;
            }
            if (e.tracing()) e.note("tdp_mmu_iter_cond_resched: " + (contended ? "rwlock_needbreak" : "need_resched"));
            if (l[flushSlot] != 0) Tlbs.flushRemoteTlbs(e);
            l[flushSlot] = 0;
            boolean rcu = Lock.held(e.s, e.thread, dev.mmu.runtime.model.LockId.rcu);
            l[it + TdpIter.RCU_HELD] = rcu ? 1 : 0;
            if (rcu) Lock.release(e, dev.mmu.runtime.model.LockId.rcu);
            Lock.release(e, dev.mmu.runtime.model.LockId.mmu_lock);
            Rcu.maybeEndGracePeriod(e);
        }

        public String describe() {
            return "tdp_mmu_iter_cond_resched";
        }
    }

    /** After cond_resched_rwlock_*() got the lock back: rcu_read_lock(); tdp_iter_restart(). */
    public record IterRestart(int it, int endSlot, boolean keepYielded, int result) implements Op {
        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            if (l[it + TdpIter.RCU_HELD] != 0) Lock.acquire(e, dev.mmu.runtime.model.LockId.rcu, Lock.Mode.READ);
            TdpIter.restart(e.s, l, it, l[endSlot]);
            if (!keepYielded) l[it + TdpIter.YIELDED] = 0;
            if (result >= 0) l[result] = 1;
            if (e.tracing()) e.note("tdp_iter_restart at gfn 0x" + Long.toHexString(l[it + TdpIter.NEXT_LAST_LEVEL_GFN]));
        }

        public String describe() {
            return "tdp_iter_restart";
        }
    }

    /**
     * One iteration of zap_gfn_range() (v5.12-v5.19; tdp_mmu_zap_leafs() since v6.0): skip a
     * non-leaf SPTE that covers more than [start, end), else clear the SPTE (mmu_lock held for
     * write) and note that a flush is owed; then tdp_iter_next().
     */
    public record ZapStep(int it, int startSlot, int endSlot, int flushSlot, boolean leafsOnly) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long[] l = e.self().locals;
            do {
                Walk w = TdpIter.position(s, l, it);
                long gfn = l[it + TdpIter.GFN];
                int level = (int) l[it + TdpIter.LEVEL];
                if (w != null && Spte.present(w.spte())) {
                    boolean coversMore = gfn < l[startSlot] || gfn + Level.pagesPerHpage(level) > l[endSlot];
                    if (!Spte.leaf(w.spte()) && coversMore) {
                        if (e.tracing()) e.note("tdp_iter: L" + level + " gfn 0x" + Long.toHexString(gfn)
                                + " is a table covering more than the range: step down");
                        e.invisible = true;
                    }
                    if (Spte.leaf(w.spte()) || (!leafsOnly && !coversMore)) {
                        if (!e.s.holdsMmuLock(e.thread)) e.violate(Invariant.lockdep, "tdp_mmu_set_spte without mmu_lock");
                        TdpMmu.setSpte(e, w.spId(), w.index(), 0);
                        l[flushSlot] = 1;
                        e.note("flush pending");
                        e.invisible = false;
                    }
                }
                // tdp_mmu_zap_leafs() (leafsOnly): the leaves of one table go in one step.
            } while (leafsOnly ? TdpIter.nextInSameTable(s, l, it, l[endSlot]) : next(s, l));
        }

        private boolean next(VmState s, long[] l) {
            TdpIter.next(s, l, it, l[endSlot]);
            return false;
        }

        public String describe() {
            return "zap_gfn_range step";
        }
    }

    /**
     * kvm_mmu_notifier_invalidate_range_start() -> kvm_handle_hva_range() (v6.x), under mmu_lock
     * held for write: kvm_mmu_invalidate_begin(), kvm_unmap_gfn_range() (zap leaf SPTEs), flush if
     * anything was zapped.
     */
    public record InvalidateRangeStart(Expr start, Expr end) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            // kvm_handle_hva_range(): the hva range (configured gpas) through each memslot.
            long[] r = Memslots.gfnRangesOfHva(s, start.eval(s, e.thread) >>> 12, end.eval(s, e.thread) >>> 12);
            boolean flush = false;
            if (r.length == 0 && s.mmuInvalidateInProgress == 0) {
                s.mmuInvalidateRangeStart = 0;
                s.mmuInvalidateRangeEnd = 0;
            }
            for (int k = 0; k < r.length; k += 2) {
                long a = r[k];
                long b = r[k + 1];
                if (s.mmuInvalidateInProgress == 0 && k == 0) {
                    s.mmuInvalidateRangeStart = a;
                    s.mmuInvalidateRangeEnd = b;
                } else {
                    s.mmuInvalidateRangeStart = Math.min(a, s.mmuInvalidateRangeStart);
                    s.mmuInvalidateRangeEnd = Math.max(b, s.mmuInvalidateRangeEnd);
                }
                if (e.tracing()) e.note("kvm_mmu_invalidate_begin gfn 0x" + Long.toHexString(a) + "..0x" + Long.toHexString(b));
                flush |= zapLeafs(e, a, b);
            }
            s.mmuInvalidateInProgress++;
            if (flush) Tlbs.flushRemoteTlbs(e);
            else e.note("kvm_unmap_gfn_range: nothing present, no flush");
        }

        public String describe() {
            return "invalidate_range_start";
        }
    }

    /** kvm_mmu_notifier_invalidate_range_end() -> kvm_mmu_invalidate_end(): ++mmu_invalidate_seq, --in_progress. */
    /** Between the notifier's two halves the host clears its own PTEs: hva no longer maps the page. */
    public record HostUnmap(Expr start, Expr end) implements Op {
        public void exec(Exec e, int choice) {
            Host.unmap(e, start.eval(e.s, e.thread) >>> 12, end.eval(e.s, e.thread) >>> 12);
        }

        public String describe() {
            return "host unmaps";
        }
    }

    public record InvalidateRangeEnd() implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            s.mmuInvalidateSeq++;
            s.mmuInvalidateInProgress--;
            if (e.tracing()) e.note("kvm_mmu_invalidate_end: mmu_invalidate_seq=" + s.mmuInvalidateSeq);
        }

        public String describe() {
            return "invalidate_range_end";
        }
    }

    /** The host frees the pages behind a gpa range once the notifier returned. */
    public record HostFree(Expr start, Expr end) implements Op {
        public void exec(Exec e, int choice) {
            Host.free(e, start.eval(e.s, e.thread) >>> 12, end.eval(e.s, e.thread) >>> 12);
        }

        public String describe() {
            return "host_free";
        }
    }

    /** tdp_mmu_zap_leafs() over [start, end) in one step (can_yield = false); true if a flush is owed. */
    static boolean zapLeafs(Exec e, long start, long end) {
        VmState s = e.s;
        if (s.root < 0) return false;
        boolean flush = zapLeafsIn(e, s.root, start, end);
        // for_each_tdp_mmu_root_yield_safe(..., only_valid = false): invalidated roots too.
        for (int r : s.invalidRoots) {
            var p = s.sp(r);
            if (p != null && p.status == dev.mmu.runtime.model.ShadowPage.LIVE) flush |= zapLeafsIn(e, r, start, end);
        }
        // kvm_unmap_gfn_range() also zaps the shadow MMU's rmaps (kvm_zap_rmap): the nested guest's pages.
        if (s.nestedRoot >= 0) flush |= zapRmapLeafs(e, s.nestedRoot, start, end);
        return flush;
    }

    /** kvm_zap_rmap() over [start, end): every leaf SPTE of the legacy tables under spId mapping those gfns. */
    private static boolean zapRmapLeafs(Exec e, int spId, long start, long end) {
        var sp = e.s.sp(spId);
        boolean flush = false;
        for (int i : sp.usedIndexes()) {
            long spte = sp.spte(i);
            long g = sp.gfnOf(i);
            if (g + Level.pagesPerHpage(sp.level) <= start || g >= end || !Spte.present(spte)) continue;
            if (Spte.leaf(spte)) {
                TdpMmu.setSpte(e, spId, i, 0);
                flush = true;
            } else {
                flush |= zapRmapLeafs(e, Spte.child(spte), start, end);
            }
        }
        return flush;
    }

    private static boolean zapLeafsIn(Exec e, int root, long start, long end) {
        VmState s = e.s;
        long[] it = new long[TdpIter.SLOTS];
        TdpIter.startIn(s, it, 0, root, start, end, dev.mmu.runtime.model.Level.PG_LEVEL_4K);
        boolean flush = false;
        while (it[TdpIter.VALID] != 0) {
            Walk w = TdpIter.position(s, it, 0);
            if (w != null && Spte.leaf(w.spte())) {
                TdpMmu.setSpte(e, w.spId(), w.index(), 0);
                flush = true;
            }
            TdpIter.next(s, it, 0, end);
        }
        return flush;
    }

}
