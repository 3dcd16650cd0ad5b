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
    /**
     * The complement of shadow_host_writable_mask (spte.h; EPT_SPTE_HOST_WRITABLE): make_spte() of a
     * pfn the host mapped read-only (!fault->map_writable) sets it, and every change of a present
     * SPTE keeps it. Stored inverted, high above any pfn, so that the common host-writable SPTE keeps
     * the bits (and every state the bytes) it had before the bit was modelled.
     */
    public static final long HOST_READONLY = 1L << 62;
    private static final int SHIFT = 8;

    private Spte() {}

    public static long leaf(long pfn, boolean writable, boolean exec) {
        return (pfn << SHIFT) | PRESENT | LEAF | ACCESSED | (writable ? WRITABLE | MMU_WRITABLE : 0) | (exec ? EXEC : 0);
    }

    /** make_spte()'s leaf: W and MMU-writable only if host_writable (fault->map_writable), as the kernel's. */
    public static long makeSpte(long pfn, boolean hostWritable, boolean exec) {
        return leaf(pfn, hostWritable, exec) | (hostWritable ? 0 : HOST_READONLY);
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

    /** spte & shadow_mmu_writable_mask: fast_page_fault() may make it writable without mmu_lock. */
    public static boolean mmuWritable(long spte) {
        return (spte & MMU_WRITABLE) != 0;
    }

    /** spte & shadow_host_writable_mask. */
    public static boolean hostWritable(long spte) {
        return (spte & HOST_READONLY) == 0;
    }

    public static long pfn(long spte) {
        return (spte & ~HOST_READONLY) >>> SHIFT;
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
                + (!writable(spte) && (spte & MMU_WRITABLE) != 0 ? " (mmu-writable)" : "")
                // only a broken SPTE shows it: a host read-only one is neither W nor MMU-writable
                + (!hostWritable(spte) && (spte & (WRITABLE | MMU_WRITABLE)) != 0 ? " (not host-writable)" : "");
    }
}
