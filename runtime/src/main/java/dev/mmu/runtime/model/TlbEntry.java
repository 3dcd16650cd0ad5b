package dev.mmu.runtime.model;

/**
 * A cached guest-physical translation in one vCPU's TLB: the hardware walk's result, kept until a
 * flush. A huge entry covers pagesPerHpage(level) gfns.
 */
public record TlbEntry(long gfn, int level, long pfn, boolean writable, boolean exec) {
    public boolean covers(long g) {
        return Level.alignDown(g, level) == gfn;
    }

    public long pfnOf(long g) {
        return pfn + (g - gfn);
    }
}
