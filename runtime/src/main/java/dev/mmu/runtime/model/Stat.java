package dev.mmu.runtime.model;

/** kvm->stat counters the model keeps, by their kernel names. */
public enum Stat {
    pages_4k, pages_2m, pages_1g, nx_lpage_splits, remote_tlb_flush, mmu_shadow_zapped;

    /** The pages_* counter for leaf SPTEs at this level (kvm_update_page_stats). */
    public static Stat pagesAt(int level) {
        return switch (level) {
            case 1 -> pages_4k;
            case 2 -> pages_2m;
            case 3 -> pages_1g;
            default -> throw new IllegalArgumentException("no leaf at level " + level);
        };
    }
}
