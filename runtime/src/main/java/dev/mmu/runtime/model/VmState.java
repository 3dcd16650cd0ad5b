package dev.mmu.runtime.model;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Everything that can differ between two interleavings: page tables, TLBs, host pages, locks, the
 * NX list, stats and the threads. The explorer stores millions, so it is flat, copied cheaply
 * (page tables are shared copy-on-write) and hashed structurally. Treat a state as immutable once
 * it has been handed to the explorer; {@link #copy()} gives a writable successor.
 */
public final class VmState implements Cloneable {
    public final VmConfig config;
    /** Page tables by id; null = free id. */
    ShadowPage[] sps;
    /** Which sps this copy owns (may write in place); transient, not part of equality. */
    private boolean[] owned;
    /**
     * The valid root of address space 0 (TDP MMU root or legacy root shadow page) that
     * kvm_tdp_mmu_alloc_root() finds; -1 while none is valid (invalidated, no vCPU has loaded a new one).
     */
    public int root = -1;
    /** With mmu both: the legacy shadow root of the nested (L2) guest; -1 otherwise. */
    public int nestedRoot = -1;
    /** The valid TDP root of role.smm (address space 1) that vCPUs in SMM load; -1 while none is valid. */
    public int smmRoot = -1;
    /** vCPUs in System Management Mode (HF_SMM_MASK), as a bitmask: they load {@link #smmRoot}. */
    public long smmVcpus;
    /**
     * SMRAM: gfns [smramStart, smramEnd) that address space 1 maps to memory of its own (QEMU's
     * SMRAM memslot, KVM_SET_USER_MEMORY_REGION with as_id 1), so a root of role.smm and one of
     * address space 0 reach different pages there; empty (0, 0) while both spaces are the same.
     */
    public long smramStart, smramEnd;
    /**
     * Each vCPU's vcpu->arch.root_mmu.root.hpa: the root it runs on and holds a reference to, until
     * it frees it at its own next guest entry; -1 = INVALID_PAGE (kvm_mmu_reload() loads one).
     */
    public int[] vcpuRoots;
    /**
     * With mmu both: each vCPU's vcpu->arch.guest_mmu.root.hpa, the L2 guest's shadow root it runs
     * on and holds a reference to (-1 = INVALID_PAGE), freed and reloaded as {@link #vcpuRoots}.
     */
    public int[] vcpuNestedRoots;
    /**
     * Per vCPU, the root page (sp id: its hpa, the EPTP's tag) its TLB and paging-structure cache
     * entries of L1 were cached under once the vCPU left that root (put it, or was kicked off it as
     * obsolete), or -1: they are under its current root. A page the allocator hands out again as a
     * root tags them anew: they hit unless kvm_mmu_load()'s flush_tlb_current() dropped them.
     */
    public int[] parkedTlbRoots;
    /** As {@link #parkedTlbRoots}, for the L2 guest's entries (guest_mmu's root, mmu both). */
    public int[] parkedNestedTlbRoots;
    /** vCPUs with KVM_REQ_MMU_FREE_OBSOLETE_ROOTS pending, as a bitmask. */
    public long freeObsoleteRootsRequests;
    /**
     * kvm->arch.possible_nx_huge_pages (old: lpage_disallowed_mmu_pages), oldest first; since v6.18
     * possible_nx_huge_pages[KVM_SHADOW_MMU], the shadow MMU's pages only ({@link VmConfig#nxListPerMmu}).
     */
    public int[] lpageDisallowed = new int[0];
    /** kvm->arch.possible_nx_huge_pages[KVM_TDP_MMU] (v6.18), oldest first; empty before v6.18. */
    public int[] tdpMmuNxHugePages = new int[0];

    /** enum kvm_mmu_type (v6.18): the index of possible_nx_huge_pages. */
    public static final int KVM_SHADOW_MMU = 0;
    public static final int KVM_TDP_MMU = 1;

    /**
     * possible_nx_huge_pages[KVM_SHADOW_MMU/KVM_TDP_MMU].nr_pages (v6.18): u64 counters that
     * track_possible_nx_huge_page() and untrack_possible_nx_huge_page() keep beside the lists, by
     * the mmu_type the caller passes, so they may differ from the lists' lengths (a long here, read
     * as unsigned: below 0 it wraps). Before v6.18 [KVM_SHADOW_MMU] is the one list's length.
     */
    public long shadowMmuNxNrPages;
    public long tdpMmuNxNrPages;

    /** possible_nx_huge_pages[mmu_type].pages; .nr_pages is {@link #nxNrPages}. */
    public int[] possibleNxHugePages(int mmuType) {
        return mmuType == KVM_TDP_MMU ? tdpMmuNxHugePages : lpageDisallowed;
    }

    public void setPossibleNxHugePages(int mmuType, int[] pages) {
        if (mmuType == KVM_TDP_MMU) tdpMmuNxHugePages = pages;
        else lpageDisallowed = pages;
    }

    /** possible_nx_huge_pages[mmu_type].nr_pages, as u64 bits. */
    public long nxNrPages(int mmuType) {
        return mmuType == KVM_TDP_MMU ? tdpMmuNxNrPages : shadowMmuNxNrPages;
    }

    /** ++ or -- possible_nx_huge_pages[mmu_type].nr_pages (u64: wraps, as a long's bits do). */
    public void addNxNrPages(int mmuType, long delta) {
        if (mmuType == KVM_TDP_MMU) tdpMmuNxNrPages += delta;
        else shadowMmuNxNrPages += delta;
    }
    /** Per-vCPU TLB, sorted by gfn. */
    public TlbEntry[][] tlb;
    /** Per-vCPU paging-structure caches (last-level tables), emptied with the TLB. */
    public PscEntry[][] psc;
    /** Host pfn base of each backing page (by global backing-page index); 0 = not faulted in. */
    long[] hostPfn;
    private boolean hostOwned;
    /** Host pfn bases freed by host_free, sorted. */
    public long[] freedPfns = new long[0];
    /** Host pfn bases unmapped from the hva (notifier ran) but not yet freed, sorted. */
    public long[] unmappedPfns = new long[0];
    /**
     * Backing pages (by global index) whose hva range the host unmapped and has not freed yet: a
     * page faulted in there since is a new mapping, which the pending free leaves alone.
     */
    public long[] hvaUnmapped = new long[0];
    /** Pairs (pfn base, gfn of the backing page) for every host page handed out, for host_free ranges. */
    public long[] pfnOwners = new long[0];
    /** Next host pfn the host allocator hands out. */
    public long nextPfn = 0x1000;
    /** mmu_lock: the writer's thread (-1 none) and the readers as a bitmask. */
    public int mmuWriter = -1;
    public long mmuReaders;
    /** Threads queued on mmu_lock, oldest first (qrwlock's wait queue): only the head may take it. */
    public int[] mmuQueue = new int[0];
    /** Owners of the mutex/spinlocks (slots_lock, tdp_mmu_pages_lock, mmu_unsync_pages_lock); -1 free. */
    public int[] mutexOwner = {-1, -1, -1};
    /** srcu and rcu readers as bitmasks of threads. */
    public long srcuReaders;
    public long rcuReaders;
    /** Page tables unlinked and waiting for an RCU grace period (call_rcu). */
    public int[] rcuPending = new int[0];
    /** kvm->mmu_invalidate_seq, kvm->mmu_invalidate_in_progress and its gfn range. */
    public long mmuInvalidateSeq;
    public int mmuInvalidateInProgress;
    public long mmuInvalidateRangeStart;
    public long mmuInvalidateRangeEnd;
    /** kvm->mn_active_invalidate_count: notifier invalidations between _start and _end; memslot swaps wait for 0. */
    public int mnActiveInvalidateCount;
    /** kvm->stat, indexed by Stat.ordinal(). */
    public long[] stats = new long[Stat.values().length];
    /** Largest number of pages freed by one kvm_mmu_commit_zap_page so far (the commit_batch metric). */
    public long commitBatch;
    /** Largest lock_hold_work so far. */
    public long lockHoldWork;
    /** Built-in invariants violated on the way here (sticky bits, by Invariant.ordinal()). */
    public int violations;
    /** An `assert` in a path or setup evaluated to false. */
    public boolean assertFailed;
    /**
     * Per-memslot dirty bitmap (memslot->dirty_bitmap), by position in config.memslots: one bit per
     * 4K page. Shared between states; {@link #markDirty} copies the one slot it writes.
     */
    long[][] dirtyBitmap;
    /** Memslots (by position) with KVM_MEM_LOG_DIRTY_PAGES set now. */
    public int slotLogging;
    /** Memslots (by position) marked KVM_MEMSLOT_INVALID by a delete or move in progress. */
    public int slotInvalid;
    /** Memslots (by position) deleted: no longer in the active memslots. */
    public int slotDeleted;
    /** Current base gfn of each memslot (by position): the configured one until a KVM_MR_MOVE. */
    public long[] slotBase;
    /**
     * Per memslot position, its struct kvm_memory_slot copies (paths.Memslots#retire): the current
     * one's generation, the retired ones, the freed ones, packed; empty (every position 0) until a
     * swap, so a scenario without one keeps its encoding. Replaced when written.
     */
    public int[] slotStructs = new int[0];
    /** Gfn ranges [start, end) (pairs) that a deleted or moved memslot left: nothing may map them. */
    public long[] goneRanges = new long[0];
    /**
     * Memslots (by position) with a dirty-log ioctl in flight (enable / KVM_CLEAR_DIRTY_LOG, from the
     * flag change or a cleared bit until the ioctl returns, releasing slots_lock): a write in that
     * window is reported by the ioctl's snapshot or by userspace's first full copy, which comes
     * after the ioctl, so it is not a lost write.
     */
    public int dirtyLogBusy;
    /** kvm->arch.mmu_valid_gen, toggled by kvm_mmu_zap_all_fast(). */
    public int mmuValidGen;
    /** Roots replaced by kvm_mmu_zap_all_fast() and not yet zapped and freed (role.invalid / obsolete). */
    public int[] invalidRoots = new int[0];
    /**
     * kvm->arch.tdp_mmu_roots: the TDP roots on the list, newest first. kvm_tdp_mmu_alloc_root()
     * (v5.10's get_tdp_mmu_vcpu_root()) adds a root at the head, the last kvm_tdp_mmu_put_root()
     * takes it off; every walk of the list visits the roots in this order (TdpMmuRoots).
     */
    public int[] tdpMmuRoots = new int[0];
    /** The scenario's `global` variables, by index; shared with the parent state until written. */
    public long[] globals = new long[0];
    /** Threads, by index in the program; shared with the parent state until written ({@link #threadForWrite}). */
    public ThreadState[] threads;
    /** Which threads this copy owns (may write in place), as a bitmask; transient, not part of equality. */
    private long threadsOwned;

    private int hash;

    public VmState(VmConfig config, int nthreads, int[] nlocals, int hostPages) {
        this.config = config;
        this.sps = new ShadowPage[0];
        this.owned = new boolean[0];
        this.tlb = new TlbEntry[config.vcpus()][];
        Arrays.fill(tlb, new TlbEntry[0]);
        this.psc = new PscEntry[config.vcpus()][];
        Arrays.fill(psc, new PscEntry[0]);
        this.vcpuRoots = new int[config.vcpus()];
        Arrays.fill(vcpuRoots, -1);
        this.vcpuNestedRoots = vcpuRoots.clone();
        this.parkedTlbRoots = vcpuRoots.clone();
        this.parkedNestedTlbRoots = vcpuRoots.clone();
        this.hostPfn = new long[hostPages];
        this.hostOwned = true;
        this.threads = new ThreadState[nthreads];
        for (int i = 0; i < nthreads; i++) threads[i] = new ThreadState(nlocals[i]);
        this.threadsOwned = -1L;
        this.slotBase = new long[config.memslots().size()];
        for (int i = 0; i < slotBase.length; i++) slotBase[i] = config.memslots().get(i).baseGfn();
        this.dirtyBitmap = new long[config.memslots().size()][];
        for (int i = 0; i < dirtyBitmap.length; i++) {
            Memslot m = config.memslots().get(i);
            dirtyBitmap[i] = new long[(int) ((m.npages() + 63) / 64)];
            if (m.dirtyLog()) slotLogging |= 1 << i;
        }
    }

    /** A writable successor; page tables are copied only when written. */
    public VmState copy() {
        VmState c;
        try {
            c = (VmState) super.clone(); // every field as is, without running the field initialisers again
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
        // The arrays a step writes in place; the others are replaced when written, so shared.
        c.sps = sps.clone();
        c.owned = new boolean[sps.length];
        c.vcpuRoots = vcpuRoots.clone();
        c.vcpuNestedRoots = vcpuNestedRoots.clone();
        c.parkedTlbRoots = parkedTlbRoots.clone();
        c.parkedNestedTlbRoots = parkedNestedTlbRoots.clone();
        c.tlb = tlb.clone();
        c.psc = psc.clone();
        c.hostOwned = false;
        c.mutexOwner = mutexOwner.clone();
        c.stats = stats.clone();
        c.threads = threads.clone(); // a step writes one thread: it copies that one (threadForWrite)
        c.threadsOwned = 0;
        c.hash = 0;
        return c;
    }

    /**
     * vcpu->arch.mmu->root.hpa: the root a vCPU's walks and faults use (vcpu->arch.guest_mmu's for the
     * nested L2 guest); -1 (INVALID_PAGE) until kvm_mmu_reload() loads one. vCPUs of one role share
     * a root (kvm_tdp_mmu_alloc_root() and kvm_mmu_get_shadow_page() reuse it).
     */
    public int root(int vcpu, boolean nested) {
        if (vcpu < 0 || vcpu >= vcpuRoots.length) return nested ? nestedRoot : root;
        return nested ? vcpuNestedRoots[vcpu] : vcpuRoots[vcpu];
    }

    /** Whether a vCPU is in SMM (HF_SMM_MASK): its root's role is role.smm, address space 1. */
    public boolean inSmm(int vcpu) {
        return vcpu >= 0 && vcpu < 64 && (smmVcpus & (1L << vcpu)) != 0;
    }

    /**
     * for_each_valid_tdp_mmu_root(): the address-space-0 root and the SMM root, where they exist,
     * in the list's order (newest first, {@link #tdpMmuRoots}); the legacy root with mmu shadow.
     */
    public int[] validRoots() {
        if (root < 0) return smmRoot < 0 ? new int[0] : new int[] {smmRoot};
        if (smmRoot < 0) return new int[] {root};
        for (int id : tdpMmuRoots) {
            if (id == smmRoot) return new int[] {smmRoot, root};
            if (id == root) break;
        }
        return new int[] {root, smmRoot};
    }

    /**
     * for_each_tdp_mmu_root(only_valid = false): every TDP root on kvm->arch.tdp_mmu_roots, newest
     * first (valid, invalidated and not yet zapped, zapped but still held by a vCPU or a walk);
     * then the legacy roots: mmu shadow's own, and those kvm_mmu_zap_all_fast() left obsolete.
     */
    public int[] liveRoots() {
        int[] r = Arrays.copyOf(tdpMmuRoots, tdpMmuRoots.length + 1 + invalidRoots.length);
        int n = tdpMmuRoots.length;
        ShadowPage legacy = sp(root);
        if (legacy != null && !legacy.tdp) r[n++] = root;
        for (int id : invalidRoots) {
            ShadowPage p = sp(id);
            if (p != null && !p.tdp && p.status == ShadowPage.LIVE) r[n++] = id;
        }
        return Arrays.copyOf(r, n);
    }

    /** Thread t, copied into this state first if still shared with the parent. */
    public ThreadState threadForWrite(int t) {
        if (t >= 64 || (threadsOwned & (1L << t)) == 0) {
            threads[t] = threads[t].copy();
            if (t < 64) threadsOwned |= 1L << t;
        }
        return threads[t];
    }

    public ShadowPage sp(int id) {
        return id >= 0 && id < sps.length ? sps[id] : null;
    }

    /** The page table with this id, copied into this state first if still shared with the parent. */
    public ShadowPage spForWrite(int id) {
        if (!owned[id]) {
            sps[id] = sps[id].copy();
            owned[id] = true;
        }
        return sps[id];
    }

    public void setSpte(int spId, int index, long value) {
        spForWrite(spId).setSpte(index, value);
    }

    /** Allocates a page table at the lowest free id (so equal trees get equal ids more often). */
    public ShadowPage allocSp(int level, long gfn, boolean tdp) {
        int id = 0;
        while (id < sps.length && sps[id] != null) id++;
        if (id == sps.length) {
            sps = Arrays.copyOf(sps, id + 1);
            owned = Arrays.copyOf(owned, id + 1);
        }
        ShadowPage sp = new ShadowPage(id, level, gfn, tdp);
        sp.gen = mmuValidGen;
        sps[id] = sp;
        owned[id] = true;
        return sp;
    }

    /** Returns the page table's memory to the allocator (free_page / kmem_cache_free). */
    public void freeSp(int id) {
        sps[id] = null;
        owned[id] = false;
    }

    public int spCapacity() {
        return sps.length;
    }

    public long hostPfn(int backingPage) {
        return hostPfn[backingPage];
    }

    public void setHostPfn(int backingPage, long pfn) {
        if (!hostOwned) {
            hostPfn = hostPfn.clone();
            hostOwned = true;
        }
        hostPfn[backingPage] = pfn;
    }

    /** A copy of this VM with fresh threads: the state after setup, ready for the race. */
    public VmState withThreads(int[] nlocals) {
        VmState c = copy();
        c.threads = new ThreadState[nlocals.length];
        for (int i = 0; i < nlocals.length; i++) c.threads[i] = new ThreadState(nlocals[i]);
        c.threadsOwned = -1L;
        return c;
    }

    /** Whether the bit for page `offset` of memslot `slot` (by position) is set in its dirty bitmap. */
    public boolean dirty(int slot, long offset) {
        return (dirtyBitmap[slot][(int) (offset >>> 6)] & (1L << (offset & 63))) != 0;
    }

    /** mark_page_dirty_in_slot(): sets the bit, copying that slot's bitmap first. */
    public void markDirty(int slot, long offset) {
        if (dirty(slot, offset)) return;
        dirtyBitmap = dirtyBitmap.clone();
        long[] words = dirtyBitmap[slot].clone();
        words[(int) (offset >>> 6)] |= 1L << (offset & 63);
        dirtyBitmap[slot] = words;
    }

    /** The bitmap word `word` of a slot (read-only). */
    public long dirtyWord(int slot, int word) {
        return dirtyBitmap[slot][word];
    }

    public int dirtyWords(int slot) {
        return dirtyBitmap[slot].length;
    }

    /** Clears the bits of `mask` in word `word` of a slot's bitmap (atomic_long_fetch_andnot / xchg). */
    public void clearDirty(int slot, int word, long mask) {
        if ((dirtyBitmap[slot][word] & mask) == 0) return;
        dirtyBitmap = dirtyBitmap.clone();
        long[] words = dirtyBitmap[slot].clone();
        words[word] &= ~mask;
        dirtyBitmap[slot] = words;
    }

    /** A zeroed bitmap for a slot (the new memslot's bitmap when KVM_MEM_LOG_DIRTY_PAGES toggles). */
    public void resetDirty(int slot) {
        dirtyBitmap = dirtyBitmap.clone();
        dirtyBitmap[slot] = new long[dirtyBitmap[slot].length];
    }

    /** Stores a global, copying the array first (the setup's first store of a global grows it). */
    public void setGlobal(int index, long value) {
        globals = Arrays.copyOf(globals, Math.max(globals.length, index + 1));
        globals[index] = value;
    }

    public long stat(Stat s) {
        return stats[s.ordinal()];
    }

    public void addStat(Stat s, long delta) {
        stats[s.ordinal()] += delta;
    }

    public void violate(int invariantBit) {
        violations |= 1 << invariantBit;
    }

    public boolean holdsMmuLock(int thread) {
        return mmuWriter == thread || (mmuReaders & (1L << thread)) != 0;
    }

    /** The gfn whose backing page got pfn base `base`, or null. */
    public Long gfnOfPfn(long base) {
        for (int i = 0; i < pfnOwners.length; i += 2) {
            if (pfnOwners[i] == base) return pfnOwners[i + 1];
        }
        return null;
    }

    public boolean isFreedPfn(long pfn, long pagesPerBacking) {
        long base = pfn - Math.floorMod(pfn, pagesPerBacking);
        return Arrays.binarySearch(freedPfns, base) >= 0;
    }

    /**
     * A compact exact encoding: two states of one system (same config) are equal iff their
     * encodings are. The explorer's visited set stores this instead of the object graph.
     * A field added to {@link #equals} must be added here too (VmStateEncodeTest checks the list).
     */
    public byte[] encode() {
        return encode(0);
    }

    /** The encoding with the stats whose bit is set in {@code ignoredStats} written as 0. */
    public byte[] encode(long ignoredStats) {
        return encode(ignoredStats, null);
    }

    /**
     * And with each thread's locals that are not in {@code live[thread][pc]} written as 0 (dead:
     * no path reads them before writing them); live null, or a null entry: every local is live.
     */
    public byte[] encode(long ignoredStats, BitSet[][] live) {
        StateWriter w = new StateWriter();
        encode(w, ignoredStats, live);
        return w.toBytes();
    }

    /**
     * The same into {@code w}, cut into parts ({@link StateWriter#cut}) that many states share:
     * each page table, each vCPU's TLB and caches, the host pages, the locks, the stats, the
     * memslots and globals, each thread.
     */
    public void encode(StateWriter w, long ignoredStats, BitSet[][] live) {
        w.value(sps.length);
        for (int i = 0; i < sps.length; i++) {
            ShadowPage sp = sps[i];
            w.flag(sp != null);
            if (sp == null) continue;
            if (owned[i]) {
                sp.encode(w); // written by the step that made this state: may still change
            } else {
                // Shared copy-on-write with the parent: frozen, so its bytes can be kept.
                if (sp.encoded == null) {
                    StateWriter own = StateWriter.detached();
                    sp.encode(own);
                    sp.encoded = own.toBytes();
                }
                w.raw(sp.encoded);
            }
            w.cut();
        }
        w.value(root).value(nestedRoot).value(smmRoot).value(smmVcpus).value(smramStart).value(smramEnd).values(vcpuRoots).values(vcpuNestedRoots)
                .values(parkedTlbRoots).values(parkedNestedTlbRoots).value(freeObsoleteRootsRequests)
                .values(lpageDisallowed);
        // nr_pages as its difference from the list's length: 0, one byte, while they agree. Before
        // v6.18 the one counter is the list's length and the TDP MMU's list stays empty: neither is written.
        if (config.nxListPerMmu()) {
            w.value(shadowMmuNxNrPages - lpageDisallowed.length).cut();
            w.values(tdpMmuNxHugePages).value(tdpMmuNxNrPages - tdpMmuNxHugePages.length);
        }
        w.cut();
        for (TlbEntry[] entries : tlb) {
            w.value(entries.length);
            for (TlbEntry e : entries) {
                w.value(e.gfn()).value(e.level()).value(e.pfn()).flag(e.writable()).flag(e.exec()).flag(e.nested()).flag(e.dirty());
            }
            w.cut();
        }
        for (PscEntry[] entries : psc) {
            w.value(entries.length);
            for (PscEntry e : entries) w.value(e.regionGfn()).value(e.spId()).value(e.spGfn()).flag(e.nested());
            w.cut();
        }
        w.sparse(hostPfn).deltas(freedPfns).deltas(unmappedPfns).deltas(hvaUnmapped).deltas(pfnOwners).value(nextPfn).cut();
        w.value(mmuWriter).value(mmuReaders).values(mmuQueue).values(mutexOwner).value(srcuReaders).value(rcuReaders).values(rcuPending);
        w.value(mmuInvalidateSeq).value(mmuInvalidateInProgress).value(mmuInvalidateRangeStart)
                .value(mmuInvalidateRangeEnd).value(mnActiveInvalidateCount).cut();
        w.value(stats.length);
        int last = -1;
        for (int i = 0; i < stats.length; i++) { // sparse: (gap, value) per non-zero stat kept, then 0
            long v = (ignoredStats & (1L << i)) != 0 ? 0 : stats[i];
            if (v != 0) {
                w.value(i - last).value(v);
                last = i;
            }
        }
        w.value(0);
        w.value(commitBatch).value(lockHoldWork).value(violations).flag(assertFailed).cut();
        for (long[] bitmap : dirtyBitmap) w.sparse(bitmap); // a bit per 4K page, most words 0
        // Bit 32 above slotDeleted's (an int's) says slotStructs follows: a state before any swap keeps its bytes.
        w.value(slotLogging).value(slotInvalid).value((slotDeleted & 0xffffffffL) | (slotStructs.length == 0 ? 0 : 1L << 32));
        if (slotStructs.length != 0) w.values(slotStructs);
        w.value(dirtyLogBusy).values(slotBase)
                .values(goneRanges).value(mmuValidGen).values(invalidRoots).values(tdpMmuRoots).values(globals).cut();
        for (int i = 0; i < threads.length; i++) {
            ThreadState t = threads[i];
            w.value(t.pc);
            BitSet l = live == null ? null : live[i][t.pc];
            w.value(t.locals.length);
            last = -1;
            // Sparse, as the stats: most locals are 0 or dead (only the live ones visited)
            for (int j = l == null ? 0 : l.nextSetBit(0); j >= 0 && j < t.locals.length; j = l == null ? j + 1 : l.nextSetBit(j + 1)) {
                long v = t.locals[j];
                if (v != 0) {
                    w.value(j - last).value(v);
                    last = j;
                }
            }
            w.value(0);
            // srcuDepth (8 bits), rcuDepth and mmuReadDepth (4 bits each: Lock.nest() bounds them), unusedSp and
            // invalidating in holdWork's high half: the same bytes as before while no section nests, no failed
            // link holds its sp and no invalidation is open.
            w.values(t.invalidList).value(t.holdWork | (long) (t.srcuDepth | t.rcuDepth << 8 | t.mmuReadDepth << 12) << 32 | (long) t.unusedSp << 48
                    | (long) (t.invalidating & 0xff) << 56).cut();
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof VmState s)) return false;
        // Hashes only where already computed: two successors of one state (MmuSystem's choices)
        // share most arrays and differ most often in the thread that ran, compared first.
        if (hash != 0 && s.hash != 0 && hash != s.hash) return false;
        return Arrays.equals(threads, s.threads) && root == s.root && nestedRoot == s.nestedRoot && smmRoot == s.smmRoot
                && smmVcpus == s.smmVcpus && smramStart == s.smramStart && smramEnd == s.smramEnd && Arrays.equals(vcpuRoots, s.vcpuRoots)
                && Arrays.equals(vcpuNestedRoots, s.vcpuNestedRoots) && Arrays.equals(parkedTlbRoots, s.parkedTlbRoots)
                && Arrays.equals(parkedNestedTlbRoots, s.parkedNestedTlbRoots)
                && freeObsoleteRootsRequests == s.freeObsoleteRootsRequests && mmuWriter == s.mmuWriter
                && mmuReaders == s.mmuReaders && Arrays.equals(mmuQueue, s.mmuQueue) && srcuReaders == s.srcuReaders && rcuReaders == s.rcuReaders
                && nextPfn == s.nextPfn && mmuInvalidateSeq == s.mmuInvalidateSeq
                && mmuInvalidateInProgress == s.mmuInvalidateInProgress
                && mmuInvalidateRangeStart == s.mmuInvalidateRangeStart
                && mmuInvalidateRangeEnd == s.mmuInvalidateRangeEnd
                && mnActiveInvalidateCount == s.mnActiveInvalidateCount && commitBatch == s.commitBatch
                && lockHoldWork == s.lockHoldWork && violations == s.violations && assertFailed == s.assertFailed
                && slotLogging == s.slotLogging && slotInvalid == s.slotInvalid && slotDeleted == s.slotDeleted
                && dirtyLogBusy == s.dirtyLogBusy && Arrays.deepEquals(dirtyBitmap, s.dirtyBitmap)
                && Arrays.equals(slotBase, s.slotBase) && Arrays.equals(goneRanges, s.goneRanges)
                && Arrays.equals(slotStructs, s.slotStructs)
                && mmuValidGen == s.mmuValidGen && Arrays.equals(invalidRoots, s.invalidRoots)
                && Arrays.equals(tdpMmuRoots, s.tdpMmuRoots)
                && Arrays.equals(sps, s.sps) && Arrays.equals(lpageDisallowed, s.lpageDisallowed)
                && Arrays.equals(tdpMmuNxHugePages, s.tdpMmuNxHugePages)
                && shadowMmuNxNrPages == s.shadowMmuNxNrPages && tdpMmuNxNrPages == s.tdpMmuNxNrPages
                && Arrays.deepEquals(tlb, s.tlb) && Arrays.deepEquals(psc, s.psc) && Arrays.equals(hostPfn, s.hostPfn)
                && Arrays.equals(freedPfns, s.freedPfns) && Arrays.equals(unmappedPfns, s.unmappedPfns)
                && Arrays.equals(hvaUnmapped, s.hvaUnmapped)
                && Arrays.equals(pfnOwners, s.pfnOwners) && Arrays.equals(mutexOwner, s.mutexOwner)
                && Arrays.equals(rcuPending, s.rcuPending) && Arrays.equals(stats, s.stats)
                && Arrays.equals(globals, s.globals);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = Arrays.hashCode(sps);
            h = 31 * h + root * 7 + nestedRoot + 13 * smmRoot + Long.hashCode(smmVcpus) * 17 + Long.hashCode(smramEnd) * 23;
            h = 31 * h + Arrays.hashCode(vcpuRoots) + 7 * Arrays.hashCode(vcpuNestedRoots) + 19 * Long.hashCode(freeObsoleteRootsRequests)
                    + 11 * Arrays.hashCode(parkedTlbRoots) + 5 * Arrays.hashCode(parkedNestedTlbRoots);
            h = 31 * h + Arrays.hashCode(lpageDisallowed) + 7 * Arrays.hashCode(tdpMmuNxHugePages)
                    + Long.hashCode(shadowMmuNxNrPages * 3 + tdpMmuNxNrPages * 5); // before v6.18: the one list's length
            h = 31 * h + Arrays.deepHashCode(tlb) + 7 * Arrays.deepHashCode(psc);
            h = 31 * h + Arrays.hashCode(hostPfn);
            h = 31 * h + Arrays.hashCode(freedPfns) + 7 * Arrays.hashCode(unmappedPfns) + Arrays.hashCode(pfnOwners)
                    + 11 * Arrays.hashCode(hvaUnmapped);
            h = 31 * h + Long.hashCode(nextPfn);
            h = 31 * h + mmuWriter;
            h = 31 * h + Long.hashCode(mmuReaders * 7 + srcuReaders * 13 + rcuReaders * 17) + 19 * Arrays.hashCode(mmuQueue);
            h = 31 * h + Arrays.hashCode(mutexOwner);
            h = 31 * h + Arrays.hashCode(rcuPending);
            h = 31 * h + Long.hashCode(mmuInvalidateSeq * 3 + mmuInvalidateInProgress + mmuInvalidateRangeStart * 5
                    + mmuInvalidateRangeEnd * 11 + mnActiveInvalidateCount * 13L);
            h = 31 * h + Arrays.hashCode(stats);
            h = 31 * h + Long.hashCode(commitBatch * 31 + lockHoldWork);
            h = 31 * h + violations + (assertFailed ? 1 << 30 : 0);
            h = 31 * h + Arrays.deepHashCode(dirtyBitmap);
            h = 31 * h + slotLogging + 3 * slotInvalid + 7 * slotDeleted + 11 * dirtyLogBusy;
            h = 31 * h + Arrays.hashCode(slotBase) + 13 * Arrays.hashCode(goneRanges) + 17 * Arrays.hashCode(slotStructs);
            h = 31 * h + mmuValidGen + 17 * Arrays.hashCode(invalidRoots) + 23 * Arrays.hashCode(tdpMmuRoots);
            h = 31 * h + Arrays.hashCode(globals);
            h = 31 * h + Arrays.hashCode(threads);
            if (h == 0) h = 1;
            hash = h;
        }
        return h;
    }
}
