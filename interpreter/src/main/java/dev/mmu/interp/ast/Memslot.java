package dev.mmu.interp.ast;

import java.util.List;
import java.util.Optional;

/** {@code memslot ID { gpa X size S backing B flags F }}; absent settings are empty. */
public record Memslot(
        Pos pos,
        Expr id,                    // the slot id, as in kvm_userspace_memory_region.slot
        Optional<Expr> gpa,         // guest physical base address
        Optional<Expr> size,        // bytes
        Optional<Expr> backing,     // host page size backing the slot: 4K, 2M or 1G (default 4K)
        List<Flag> flags) {

    /** Memslot flags, after KVM_MEM_LOG_DIRTY_PAGES and KVM_MEM_READONLY. */
    public enum Flag { DIRTY_LOG, READONLY }
}
