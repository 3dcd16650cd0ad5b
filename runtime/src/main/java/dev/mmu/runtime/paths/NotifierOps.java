package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.VmState;

/** The MMU notifier's halves and the host's own page-table actions, op by op. */
public final class NotifierOps {
    private NotifierOps() {}

    /** What the _start half touches, whatever its range. */
    static final Footprint START = TdpMmu.SET_SPTE.union(Tlbs.FLUSH)
            .andUpdates(Resource.INVALIDATE).andReads(Resource.MEMSLOTS, Resource.INVALID_ROOTS);

    /**
     * kvm_mmu_notifier_invalidate_range_start() -> kvm_handle_hva_range() (kvm_main.c:560, v7.2 as
     * v6.12), under mmu_lock held for write: kvm_mmu_invalidate_start() (6.12: _begin(); the trace
     * says 7.2's name here, as the op is the same for every version), kvm_unmap_gfn_range() (zap
     * leaf SPTEs), flush if anything was zapped. mn_active_invalidate_count++ (v7.2 as v6.12; the
     * kernel raises it just before, under mn_invalidate_lock): only memslot swaps read it, and they never take mmu_lock, so
     * raising it here admits only swaps the kernel could run just before the notifier.
     */
    public record InvalidateRangeStart(Expr start, Expr end) implements Op {
        public void exec(Exec e, int choice) {
            rangeStart(e, start.eval(e.s, e.thread), end.eval(e.s, e.thread));
        }

        public int[] localsRead() {
            return Expr.locals(start, end);
        }

        /** kvm_mmu_invalidate_start, zap of the leaves in every root (new tables: none), flush. */
        public Footprint footprint() {
            return Footprint.of(start, end).union(START);
        }

        public String describe() {
            return "invalidate_range_start";
        }
    }

    /** The _start half on a gpa range (the op's and the primitive's body). */
    static void rangeStart(Exec e, long startGpa, long endGpa) {
        long[] r = invalidateStart(e, startGpa, endGpa, "kvm_mmu_invalidate_start");
        boolean flush = false;
        for (int k = 0; k < r.length; k += 2) flush |= MmuOps.zapLeafs(e, r[k], r[k + 1]);
        if (flush) Tlbs.flushRemoteTlbs(e);
        else e.note("kvm_unmap_gfn_range: no leaf of a valid root zapped, no flush"); // invalid roots need none
    }

    /**
     * kvm_mmu_invalidate_start() (kvm_main.c:673, v7.2; 6.12's kvm_mmu_invalidate_begin()) and
     * kvm_mmu_invalidate_range_add() for a gpa range, in the trace by the name the caller used, with mn_active_invalidate_count++ (see InvalidateRangeStart); returns the gfn ranges
     * of the memslots the range meets (kvm_handle_hva_range(): the hva range, configured gpas,
     * through each memslot).
     */
    static long[] invalidateStart(Exec e, long startGpa, long endGpa, String name) {
        VmState s = e.s;
        long[] r = Memslots.gfnRangesOfHva(s, startGpa >>> 12, endGpa >>> 12);
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
            if (e.tracing()) e.note(name + " gfn 0x" + Long.toHexString(a) + "..0x" + Long.toHexString(b));
        }
        s.mmuInvalidateInProgress++;
        s.mnActiveInvalidateCount++;
        e.self().invalidating++; // this thread's to end (MmuSystem.finishThread)
        return r;
    }

    /** The _end half (the op's and the primitive's body). */
    static void rangeEnd(Exec e) {
        VmState s = e.s;
        s.mmuInvalidateSeq++;
        s.mmuInvalidateInProgress--;
        s.mnActiveInvalidateCount--;
        e.self().invalidating--;
        if (e.tracing()) e.note("kvm_mmu_invalidate_end: mmu_invalidate_seq=" + s.mmuInvalidateSeq);
        if (s.mmuInvalidateInProgress < 0) {
            e.note("KVM_BUG_ON(kvm->mmu_invalidate_in_progress < 0): an _end without its _start; the VM is bugged");
        }
    }

    /** Between the notifier's two halves the host clears its own PTEs: hva no longer maps the page. */
    public record HostUnmap(Expr start, Expr end) implements Op {
        public void exec(Exec e, int choice) {
            Host.unmap(e, start.eval(e.s, e.thread) >>> 12, end.eval(e.s, e.thread) >>> 12);
        }

        public int[] localsRead() {
            return Expr.locals(start, end);
        }

        public Footprint footprint() {
            return Footprint.of(start, end).andUpdates(Resource.HOST);
        }

        public String describe() {
            return "host unmaps";
        }
    }

    /**
     * kvm_mmu_notifier_invalidate_range_end() -> kvm_mmu_invalidate_end(): ++mmu_invalidate_seq,
     * --in_progress; then --mn_active_invalidate_count, which at 0 wakes a waiting memslot swap
     * (the kernel drops it just after write_unlock; see InvalidateRangeStart).
     */
    public record InvalidateRangeEnd() implements Op {
        public void exec(Exec e, int choice) {
            rangeEnd(e);
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return Footprint.updates(Resource.INVALIDATE);
        }

        public String describe() {
            return "invalidate_range_end";
        }
    }
}
