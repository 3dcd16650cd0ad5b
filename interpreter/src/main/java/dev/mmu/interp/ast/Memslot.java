package dev.mmu.interp.ast;

import java.util.List;
import java.util.Optional;

/** {@code memslot ID { gpa X size S backing B flags F gup_fast_may_fail on }}; absent settings are empty. */
public record Memslot(
        Pos pos,
        Expr id,                    // the slot id, as in kvm_userspace_memory_region.slot
        Optional<Expr> gpa,         // guest physical base address
        Optional<Expr> size,        // bytes
        Optional<Expr> backing,     // host page size backing the slot: 4K, 2M or 1G (default 4K)
        List<Flag> flags,
        Optional<OnOff> gupFastMayFail) { // a read fault's fast GUP may fail to get the page writable

    public Memslot(Pos pos, Expr id, Optional<Expr> gpa, Optional<Expr> size, Optional<Expr> backing, List<Flag> flags) {
        this(pos, id, gpa, size, backing, flags, Optional.empty());
    }

    /** Memslot flags, after KVM_MEM_LOG_DIRTY_PAGES and KVM_MEM_READONLY. */
    public enum Flag { DIRTY_LOG, READONLY }

    /** An on/off setting where it was written. */
    public record OnOff(Pos pos, boolean on) {}
}
