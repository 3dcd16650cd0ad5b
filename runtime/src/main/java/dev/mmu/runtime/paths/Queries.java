package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;

/** Reads of the model state that scenarios use in expressions and expectations. */
public final class Queries {
    private Queries() {}

    /** The NX list's length (non-zero: !list_empty). */
    public static final Expr NX_LENGTH = Expr.of(Footprint.reads(Resource.NX_LIST), LiveLocals.NONE, (s, t) -> s.lpageDisallowed.length);

    /** possible_nx_huge_pages[mmu_type].pages: the length of that MMU's list (0: list_empty()). */
    public static Expr nxLength(Expr mmuType) {
        return Expr.of(Footprint.reads(Resource.NX_LIST).union(mmuType.footprint()), mmuType.locals(),
                (s, t) -> s.possibleNxHugePages((int) mmuType.eval(s, t)).length);
    }

    /**
     * possible_nx_huge_pages[mmu_type].nr_pages (v6.18): the u64 counter track/untrack keep, as its
     * bits (2^64 - 1 reads as -1); before v6.18 the one list's length, 0 for KVM_TDP_MMU.
     */
    public static Expr nxNrPages(Expr mmuType) {
        return Expr.of(Footprint.reads(Resource.NX_LIST).union(mmuType.footprint()), mmuType.locals(),
                (s, t) -> s.nxNrPages((int) mmuType.eval(s, t)));
    }

    /** spte(gpa).field in the valid root of address space 0. */
    public static long spte(VmState s, long gpa, String field) {
        return spte(s, s.root, gpa, field);
    }

    /** spte(gpa).field: the SPTE a hardware walk from root stops at for gpa (level 0 and not present if none). */
    public static long spte(VmState s, int root, long gpa, String field) {
        Walk w = Walk.to(s, root, gpa >>> 12, 1);
        boolean leaf = w != null && w.presentLeaf();
        return switch (field) {
            case "present" -> leaf ? 1 : 0;
            case "level" -> leaf ? w.level() : 0;
            case "writable" -> leaf && Spte.writable(w.spte()) ? 1 : 0;
            case "exec" -> leaf && Spte.exec(w.spte()) ? 1 : 0;
            case "pfn" -> leaf ? w.pfnOf(gpa >>> 12) : 0;
            // A is set when KVM installs the leaf (make_spte) and never aged here; D by the walker on a write.
            case "accessed" -> leaf && (w.spte() & Spte.ACCESSED) != 0 ? 1 : 0;
            case "dirty" -> leaf && (w.spte() & Spte.DIRTY) != 0 ? 1 : 0;
            // shadow_mmu_writable_mask and shadow_host_writable_mask (spte.h)
            case "mmu_writable" -> leaf && Spte.mmuWritable(w.spte()) ? 1 : 0;
            case "host_writable" -> leaf && Spte.hostWritable(w.spte()) ? 1 : 0;
            default -> throw new IllegalArgumentException(field);
        };
    }

    /** tlb(vcpu, gpa).field: the translation that vCPU caches for gpa (not present, level 0 if none). */
    public static long tlb(VmState s, long vcpu, long gpa, String field) {
        var t = vcpu >= 0 && vcpu < s.tlb.length ? Tlbs.lookup(s, (int) vcpu, gpa >>> 12) : null;
        return switch (field) {
            case "present" -> t != null ? 1 : 0;
            case "level" -> t != null ? t.level() : 0;
            case "writable" -> t != null && t.writable() ? 1 : 0;
            case "exec" -> t != null && t.exec() ? 1 : 0;
            case "pfn" -> t != null ? t.pfnOf(gpa >>> 12) : 0;
            default -> throw new IllegalArgumentException(field);
        };
    }

    /** tlb(vcpu, gpa): whether the vCPU caches a translation for gpa. */
    public static long tlb(VmState s, long vcpu, long gpa) {
        return vcpu >= 0 && vcpu < s.tlb.length && Tlbs.lookup(s, (int) vcpu, gpa >>> 12) != null ? 1 : 0;
    }

    /** host(gpa).freed: the pfn last behind gpa has been freed and nothing maps gpa now. */
    public static long hostFreed(VmState s, long gpa) {
        long gfn = Memslots.hvaGfn(s, gpa >>> 12);
        int page = Host.backingPage(s.config, gfn);
        if (s.hostPfn(page) != 0) return 0;
        long per = Host.pagesPerBacking(s.config, gfn);
        long pageGfn = gfn - Math.floorMod(gfn, per);
        for (int i = 0; i < s.pfnOwners.length; i += 2) {
            if (s.pfnOwners[i + 1] == pageGfn && s.isFreedPfn(s.pfnOwners[i], per)) return 1;
        }
        return 0;
    }

    /** sp.field for a shadow-page handle. */
    public static long sp(VmState s, long id, String field) {
        ShadowPage sp = s.sp((int) id);
        if (sp == null) return 0;
        return switch (field) {
            case "gfn" -> sp.gfn;
            case "gfn_end" -> sp.gfn + Level.pagesPerHpage(sp.level + 1);
            case "level" -> sp.level;
            case "tdp" -> sp.tdp ? 1 : 0;
            case "invalid" -> sp.invalid ? 1 : 0; // sp->role.invalid
            default -> throw new IllegalArgumentException(field);
        };
    }

    /**
     * invalid_list.len in a path: the running thread's own list, which no other thread writes, so
     * it reads no resource (see {@link ShadowMmu}).
     */
    public static final Expr OWN_INVALID_LIST_LEN = Expr.of(Footprint.LOCAL, LiveLocals.NONE,
            (s, t) -> s.threads[t].invalidList.length);

    /** invalid_list.len in an expectation: every thread's list, summed (the resource every queue and free writes). */
    public static final Expr EVERY_INVALID_LIST_LEN = Expr.of(Footprint.reads(Resource.INVALID_LIST), LiveLocals.NONE,
            Queries::invalidListLen);

    /** invalid_list.len: the thread's own list, or all threads' lists together in an expectation. */
    public static long invalidListLen(VmState s, int thread) {
        if (thread >= 0) return s.threads[thread].invalidList.length;
        long n = 0;
        for (var t : s.threads) n += t.invalidList.length;
        return n;
    }
}
