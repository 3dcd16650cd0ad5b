package dev.mmu.runtime.model;

/**
 * A paging-structure cache entry of one vCPU: the last-level page table (by id, and the gfn it
 * maps, as the hardware caches its physical address) for a 2M region, so a later TLB miss starts
 * its walk there. A flush empties it; until then the table must not be freed (RCU, INV-T2).
 */
public record PscEntry(long regionGfn, int spId, long spGfn, boolean nested) {}
