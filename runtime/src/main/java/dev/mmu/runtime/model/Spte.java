package dev.mmu.runtime.model;

/**
 * An SPTE packed in a long, as the hardware and KVM see it: permission bits and a pfn (leaf) or a
 * child page table (non-leaf). The child is named by its shadow-page id rather than a host address.
 */
public final class Spte {
    public static final long PRESENT = 1;
    public static final long WRITABLE = 1 << 1;
    public static final long EXEC = 1 << 2;
    /** is_last_spte(): a leaf, 4K or huge. */
    public static final long LEAF = 1 << 3;
    public static final long ACCESSED = 1 << 4;
    public static final long DIRTY = 1 << 5;
    /** REMOVED_SPTE / FROZEN_SPTE: being torn down by another thread, not present. */
    public static final long FROZEN = 1 << 6;
    /** shadow_mmu_writable_mask: KVM may make the SPTE writable without mmu_lock (fast_page_fault). */
    public static final long MMU_WRITABLE = 1 << 7;
    private static final int SHIFT = 8;

    private Spte() {}

    public static long leaf(long pfn, boolean writable, boolean exec) {
        return (pfn << SHIFT) | PRESENT | LEAF | ACCESSED | (writable ? WRITABLE | MMU_WRITABLE : 0) | (exec ? EXEC : 0);
    }

    /** A non-leaf SPTE: KVM makes them RWX and lets the leaf decide. */
    public static long table(int childId) {
        return ((long) childId << SHIFT) | PRESENT | WRITABLE | EXEC;
    }

    public static boolean present(long spte) {
        return (spte & PRESENT) != 0;
    }

    public static boolean leaf(long spte) {
        return (spte & LEAF) != 0;
    }

    public static boolean writable(long spte) {
        return (spte & WRITABLE) != 0;
    }

    public static boolean exec(long spte) {
        return (spte & EXEC) != 0;
    }

    public static long pfn(long spte) {
        return spte >>> SHIFT;
    }

    public static int child(long spte) {
        return (int) (spte >>> SHIFT);
    }

    public static String describe(long spte, int level) {
        if ((spte & FROZEN) != 0) return "REMOVED";
        if (!present(spte)) return "non-present";
        if (!leaf(spte)) return "table sp" + child(spte);
        return Level.size(level) + " pfn 0x" + Long.toHexString(pfn(spte)) + " "
                + "r" + (writable(spte) ? "w" : "-") + (exec(spte) ? "x" : "-")
                + (!writable(spte) && (spte & MMU_WRITABLE) != 0 ? " (mmu-writable)" : "");
    }
}
