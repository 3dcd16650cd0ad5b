package dev.mmu.runtime.model;

/** Page-table levels as the kernel numbers them: PG_LEVEL_4K = 1, PG_LEVEL_2M = 2, PG_LEVEL_1G = 3. */
public final class Level {
    public static final int PG_LEVEL_4K = 1;
    public static final int PG_LEVEL_2M = 2;
    public static final int PG_LEVEL_1G = 3;
    /** SPTEs per page table (PT64_ENT_PER_PAGE). */
    public static final int ENTRIES = 512;

    private Level() {}

    /** KVM_PAGES_PER_HPAGE(level): 4K pages mapped by one SPTE at this level. */
    public static long pagesPerHpage(int level) {
        return 1L << (9 * (level - 1));
    }

    /** Index of gfn's SPTE in a table whose entries are at this level (SPTE_INDEX). */
    public static int index(long gfn, int level) {
        return (int) ((gfn >>> (9 * (level - 1))) & (ENTRIES - 1));
    }

    /** First gfn of the region of this level containing gfn. */
    public static long alignDown(long gfn, int level) {
        return gfn & ~(pagesPerHpage(level) - 1);
    }

    public static String size(int level) {
        return switch (level) {
            case 1 -> "4K";
            case 2 -> "2M";
            case 3 -> "1G";
            case 4 -> "512G";
            default -> "256T";
        };
    }

    public static int ofSize(long bytes) {
        if (bytes == 4096) return PG_LEVEL_4K;
        if (bytes == 2L << 20) return PG_LEVEL_2M;
        if (bytes == 1L << 30) return PG_LEVEL_1G;
        throw new IllegalArgumentException("not a page size: " + bytes);
    }
}
