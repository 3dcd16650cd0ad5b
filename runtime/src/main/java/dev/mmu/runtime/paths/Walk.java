package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;

/**
 * A walk of the current root's tables down to one gfn, as the hardware page walker does: it stops
 * at the first non-present or leaf SPTE. Result: the table holding that SPTE and its index.
 */
public record Walk(int spId, int index, int level, long spte) {
    /** Walks from the root towards gfn; null when there is no root yet. */
    public static Walk of(VmState s, long gfn) {
        return to(s, s.root, gfn, 1);
    }

    /** A vCPU's hardware walk: from its root ({@link VmState#root(int, boolean)}). */
    public static Walk of(VmState s, int vcpu, long gfn, boolean nested) {
        return to(s, s.root(vcpu, nested), gfn, 1);
    }

    /** Walks the nested guest's shadow root (mmu both) or the TDP root of address space 0. */
    public static Walk of(VmState s, long gfn, boolean nested) {
        return to(s, nested ? s.nestedRoot : s.root, gfn, 1);
    }

    /** Walks from table `from` down to at most `minLevel`. */
    public static Walk to(VmState s, int from, long gfn, int minLevel) {
        ShadowPage sp = from < 0 ? null : s.sp(from);
        if (sp == null) return null; // no root yet, or a freed one (freed_root_in_use, TdpMmu.putRoot)
        while (true) {
            int i = dev.mmu.runtime.model.Level.index(gfn, sp.level);
            long spte = sp.spte(i);
            if (!Spte.present(spte) || Spte.leaf(spte) || sp.level <= minLevel) {
                return new Walk(sp.id, i, sp.level, spte);
            }
            sp = s.sp(Spte.child(spte));
        }
    }

    public boolean presentLeaf() {
        return Spte.present(spte) && Spte.leaf(spte);
    }

    /** The pfn this walk's leaf maps for gfn. */
    public long pfnOf(long gfn) {
        return Spte.pfn(spte) + (gfn & (dev.mmu.runtime.model.Level.pagesPerHpage(level) - 1));
    }
}
