package dev.mmu.runtime.model;

/**
 * A cached guest-physical translation in one vCPU's TLB: the hardware walk's result, kept until a
 * flush. A huge entry covers pagesPerHpage(level) gfns. Entries of the nested guest (walked
 * through the shadow root) are tagged apart, as the EPTP/VPID tags keep them apart in hardware.
 * `dirty` is the D bit the walk saw, tracked only with PML (VmConfig.pml): a write through an
 * entry whose D is set does not touch the SPTE (SDM 29.3.5: the CPU sets D only from a clean entry).
 */
public record TlbEntry(long gfn, int level, long pfn, boolean writable, boolean exec, boolean nested, boolean dirty) {
    public TlbEntry(long gfn, int level, long pfn, boolean writable, boolean exec) {
        this(gfn, level, pfn, writable, exec, false);
    }

    public TlbEntry(long gfn, int level, long pfn, boolean writable, boolean exec, boolean nested) {
        this(gfn, level, pfn, writable, exec, nested, false);
    }

    public boolean covers(long g) {
        return Level.alignDown(g, level) == gfn;
    }

    public long pfnOf(long g) {
        return pfn + (g - gfn);
    }
}
