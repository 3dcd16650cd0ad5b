package dev.mmu.runtime.model;

import java.util.Arrays;

/**
 * One page table (struct kvm_mmu_page): a TDP MMU page or a legacy shadow page. Its 512 SPTEs are
 * kept sparse (only non-zero entries), because a scenario touches a handful of them. Mutable, but
 * only through {@link VmState#spForWrite}, which copies it first (copy-on-write between states).
 */
public final class ShadowPage {
    /** Lifecycle: linked in a tree, unlinked and waiting (RCU grace period or invalid_list commit), freed. */
    public static final byte LIVE = 0;
    public static final byte UNLINKED = 1;

    /** Index into VmState's page array; stands for the table's host address. */
    public final int id;
    /** role.level: the level of the SPTEs this table holds (1 = 4K PTEs). */
    public final int level;
    /** sp->gfn: first gfn this table maps. */
    public final long gfn;
    /** is_tdp_mmu_page(sp). */
    public final boolean tdp;
    /** role.smm (as_id 1): a root kvm_tdp_mmu_alloc_root() made for a vCPU in SMM; set once, at allocation. */
    public boolean smm;
    /** role.invalid: zapped (legacy) or an invalidated root. */
    public boolean invalid;
    /** sp->nx_huge_page_disallowed (old name lpage_disallowed). */
    public boolean nxHugePageDisallowed;
    /** LIVE or UNLINKED. */
    public byte status;
    /** sp->root_count (legacy) / tdp_mmu_root_count: references held by vCPUs as their root. */
    public int rootCount;
    /** sp->mmu_valid_gen: kvm->arch.mmu_valid_gen when the page was created (is_obsolete_sp). */
    public int gen;
    /** Parent table id and the index of the SPTE that points here (sp->ptep); -1 for a root. */
    public int parent;
    public int parentIndex;
    private int[] index;
    private long[] sptes;
    /** Cached hashCode: a page is written only in the step that copied it (copy-on-write), before any hash. */
    private int hash;

    public ShadowPage(int id, int level, long gfn, boolean tdp) {
        this.id = id;
        this.level = level;
        this.gfn = gfn;
        this.tdp = tdp;
        this.parent = -1;
        this.index = new int[0];
        this.sptes = new long[0];
    }

    private ShadowPage(ShadowPage o) {
        this(o.id, o.level, o.gfn, o.tdp);
        smm = o.smm;
        invalid = o.invalid;
        nxHugePageDisallowed = o.nxHugePageDisallowed;
        status = o.status;
        rootCount = o.rootCount;
        gen = o.gen;
        parent = o.parent;
        parentIndex = o.parentIndex;
        index = o.index.clone();
        sptes = o.sptes.clone();
    }

    ShadowPage copy() {
        return new ShadowPage(this);
    }

    public long spte(int i) {
        int k = Arrays.binarySearch(index, i);
        return k >= 0 ? sptes[k] : 0;
    }

    void setSpte(int i, long value) {
        hash = 0;
        int k = Arrays.binarySearch(index, i);
        if (k >= 0) {
            if (value != 0) {
                sptes[k] = value;
                return;
            }
            int n = index.length;
            int[] ni = new int[n - 1];
            long[] ns = new long[n - 1];
            System.arraycopy(index, 0, ni, 0, k);
            System.arraycopy(index, k + 1, ni, k, n - k - 1);
            System.arraycopy(sptes, 0, ns, 0, k);
            System.arraycopy(sptes, k + 1, ns, k, n - k - 1);
            index = ni;
            sptes = ns;
        } else if (value != 0) {
            int at = -k - 1;
            int n = index.length;
            int[] ni = new int[n + 1];
            long[] ns = new long[n + 1];
            System.arraycopy(index, 0, ni, 0, at);
            System.arraycopy(sptes, 0, ns, 0, at);
            ni[at] = i;
            ns[at] = value;
            System.arraycopy(index, at, ni, at + 1, n - at);
            System.arraycopy(sptes, at, ns, at + 1, n - at);
            index = ni;
            sptes = ns;
        }
    }

    /** Indexes of the non-zero SPTEs, ascending. */
    public int[] usedIndexes() {
        return index.clone();
    }

    public int usedCount() {
        return index.length;
    }

    /** The gfn mapped by SPTE i of this table. */
    public long gfnOf(int i) {
        return gfn + i * Level.pagesPerHpage(level);
    }

    /** KVM_PAGES_PER_HPAGE(level + 1): gfns covered by this whole table. */
    public long span() {
        return Level.pagesPerHpage(level + 1);
    }

    /**
     * This page's encoding, kept once computed for a page that no state will write again (see
     * {@link VmState#encode()}); never copied. Not part of equality. Volatile so that two
     * threads exploring states that share this page never see a half-published array.
     */
    volatile byte[] encoded;

    /** Appends every field that {@link #equals} compares, for {@link VmState#encode()}. */
    void encode(StateWriter w) {
        w.value(id).value(level).value(gfn).flag(tdp).flag(smm).flag(invalid).flag(nxHugePageDisallowed).value(status)
                .value(rootCount).value(gen).value(parent).value(parentIndex);
        w.value(index.length);
        int prevIndex = -1;
        long prevSpte = 0;
        for (int k = 0; k < index.length; k++) {
            w.value(index[k] - prevIndex).value(sptes[k] - prevSpte);
            prevIndex = index[k];
            prevSpte = sptes[k];
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ShadowPage p)) return false;
        return hashCode() == p.hashCode() && id == p.id && level == p.level && gfn == p.gfn && tdp == p.tdp && smm == p.smm && invalid == p.invalid
                && nxHugePageDisallowed == p.nxHugePageDisallowed && status == p.status
                && rootCount == p.rootCount && gen == p.gen && parent == p.parent && parentIndex == p.parentIndex
                && Arrays.equals(index, p.index) && Arrays.equals(sptes, p.sptes);
    }

    @Override
    public int hashCode() {
        if (hash != 0) return hash;
        int h = id;
        h = 31 * h + level;
        h = 31 * h + Long.hashCode(gfn);
        h = 31 * h + (tdp ? 1 : 0) + (invalid ? 2 : 0) + (nxHugePageDisallowed ? 4 : 0) + status * 8 + (smm ? 1024 : 0);
        h = 31 * h + rootCount + 977 * gen;
        h = 31 * h + parent * 1024 + parentIndex;
        h = 31 * h + Arrays.hashCode(index);
        h = 31 * h + Arrays.hashCode(sptes);
        hash = h == 0 ? 1 : h;
        return hash;
    }

    @Override
    public String toString() {
        return "sp" + id + "(L" + level + " gfn 0x" + Long.toHexString(gfn) + ")";
    }
}
