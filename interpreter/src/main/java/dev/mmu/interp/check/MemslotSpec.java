package dev.mmu.interp.check;

import dev.mmu.interp.ast.Pos;

/** A checked memslot with its values computed: what the compiler hands to the runtime. */
public record MemslotSpec(
        Pos pos,
        int id,
        long gpa,            // base guest physical address, aligned to backing
        long size,           // bytes, non-zero, a multiple of backing
        long backing,        // host page size: 4K, 2M or 1G; bounds the mapping level
        boolean dirtyLog,    // KVM_MEM_LOG_DIRTY_PAGES
        boolean readonly,    // KVM_MEM_READONLY
        boolean gupFastMayFail) { // a read fault may get the page without write access (fault->map_writable false)

    /** One past the last byte. */
    public long end() {
        return gpa + size;
    }

    public boolean contains(long address) {
        return address >= gpa && address < end();
    }
}
