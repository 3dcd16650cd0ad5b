package dev.mmu.runtime.model;

/**
 * A memslot (struct kvm_memory_slot): a gfn range backed by host pages of one size.
 *
 * @param id           slot id
 * @param baseGfn      first gfn (base_gfn)
 * @param npages       number of 4K pages
 * @param backingLevel host page size as a level: bounds the mapping level (host_pfn_mapping_level)
 * @param dirtyLog     KVM_MEM_LOG_DIRTY_PAGES set at creation
 * @param readonly     KVM_MEM_READONLY
 * @param gupFastMayFail a read fault's __kvm_faultin_pfn() may get the page without write access
 *                     (fault->map_writable false: the fast GUP that would promote it failed)
 */
public record Memslot(int id, long baseGfn, long npages, int backingLevel, boolean dirtyLog, boolean readonly,
                      boolean gupFastMayFail) {
    public Memslot(int id, long baseGfn, long npages, int backingLevel, boolean dirtyLog, boolean readonly) {
        this(id, baseGfn, npages, backingLevel, dirtyLog, readonly, false);
    }

    public boolean contains(long gfn) {
        return gfn >= baseGfn && gfn < baseGfn + npages;
    }

    public long endGfn() {
        return baseGfn + npages;
    }
}
