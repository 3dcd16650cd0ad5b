package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import java.util.Arrays;

/**
 * The host side of guest memory: the pages behind each memslot's userspace mapping. A backing page
 * (4K, or a 2M/1G hugetlb page) is faulted in on first use (hva_to_pfn) and can be freed by the host
 * after an MMU-notifier invalidation; the next fault then gets a new page.
 */
public final class Host {
    private Host() {}

    /** Number of backing pages of all memslots together. */
    public static int backingPages(VmConfig c) {
        int n = 0;
        for (Memslot m : c.memslots()) n += (int) (m.npages() / Level.pagesPerHpage(m.backingLevel()));
        return n;
    }

    /** Global index of the backing page holding gfn. */
    static int backingPage(VmConfig c, long gfn) {
        int n = 0;
        for (Memslot m : c.memslots()) {
            long per = Level.pagesPerHpage(m.backingLevel());
            if (m.contains(gfn)) return n + (int) ((gfn - m.baseGfn()) / per);
            n += (int) (m.npages() / per);
        }
        throw new ScenarioError("gpa 0x" + Long.toHexString(gfn << 12) + " is in no memslot");
    }

    static long pagesPerBacking(VmConfig c, long gfn) {
        return Level.pagesPerHpage(c.slotOf(gfn).backingLevel());
    }

    /** What {@link #gfnToPfn} touches: the slot's hva, the host page it may fault in (not the freed pfns). */
    static final Footprint GFN_TO_PFN = Footprint.reads(Resource.HOST_PFNS, Resource.MEMSLOTS).andUpdates(Resource.HOST_ALLOC);

    /** What {@link #gfnToPfn} touches when the page is already behind the hva: that entry only. */
    static final Footprint GFN_TO_PRESENT_PFN = Footprint.reads(Resource.HOST_PFNS, Resource.MEMSLOTS);

    /** Whether a page is behind gfn's hva, so that {@link #gfnToPfn} faults nothing in. */
    static boolean present(VmState s, long gfn) {
        long hva = Memslots.hvaGfn(s, gfn);
        for (Memslot m : s.config.memslots()) {
            if (m.contains(hva)) return s.hostPfn(backingPage(s.config, hva)) != 0;
        }
        return false;
    }

    /** __gfn_to_pfn_memslot(): the pfn now behind gfn, faulting the host page in if needed. */
    static long gfnToPfn(Exec e, long gfn) {
        VmState s = e.s;
        gfn = Memslots.hvaGfn(s, gfn);
        int page = backingPage(s.config, gfn);
        long per = pagesPerBacking(s.config, gfn);
        long base = s.hostPfn(page);
        if (base == 0) {
            base = s.nextPfn;
            s.nextPfn += per;
            s.setHostPfn(page, base);
            s.pfnOwners = Arrays.copyOf(s.pfnOwners, s.pfnOwners.length + 2);
            s.pfnOwners[s.pfnOwners.length - 2] = base;
            s.pfnOwners[s.pfnOwners.length - 1] = gfn - Math.floorMod(gfn, per);
            e.note("host faults in pfn 0x" + Long.toHexString(base));
        }
        return base + Math.floorMod(gfn, per);
    }

    /**
     * The host clears its PTEs for [start, end) (zap_page_range between the notifier's halves): the
     * pages stay allocated, waiting to be freed, and a new fault on the hva gets a new page.
     */
    static void unmap(Exec e, long start, long end) {
        VmState s = e.s;
        // The hva pages, gathered and merged into the sorted set once: one insert per 4K page of a
        // 2M range copied and sorted the set 512 times (megabytes of garbage per step; trial7).
        long[] added = new long[8];
        int n = 0;
        for (long gfn = start; gfn < end; gfn = next(s, gfn)) {
            int page = backingPage(s.config, gfn);
            if (Arrays.binarySearch(s.hvaUnmapped, page) < 0) {
                if (n == added.length) added = Arrays.copyOf(added, 2 * n);
                added[n++] = page;
            }
            long base = s.hostPfn(page);
            if (base != 0) {
                s.unmappedPfns = insert(s.unmappedPfns, base);
                s.setHostPfn(page, 0);
                if (e.tracing()) e.note("host unmaps " + pfns(base, pagesPerBacking(s.config, gfn)));
            }
        }
        if (n > 0) {
            long[] r = Arrays.copyOf(s.hvaUnmapped, s.hvaUnmapped.length + n);
            System.arraycopy(added, 0, r, s.hvaUnmapped.length, n);
            Arrays.sort(r);
            s.hvaUnmapped = r;
        }
    }

    /**
     * The host frees the pages of [start, end) (the end of munmap or MADV_DONTNEED): those an
     * invalidation unmapped; where no invalidation unmapped anything, the page still mapped at
     * the hva, as a host that skipped the MMU notifier would (whatever KVM still maps is then
     * freed memory). A page faulted in again after an invalidation is a new mapping and stays.
     */
    static void free(Exec e, long start, long end) {
        VmState s = e.s;
        long[] unmapped = s.hvaUnmapped; // each page is met once: removed from the set after the loop
        boolean[] drop = new boolean[unmapped.length];
        for (long gfn = start; gfn < end; gfn = next(s, gfn)) {
            int page = backingPage(s.config, gfn);
            long base = s.hostPfn(page);
            long per = pagesPerBacking(s.config, gfn);
            long pageGfn = gfn - Math.floorMod(gfn, per);
            // A page faulted in after the host unmapped its hva is a new mapping: the free leaves it.
            int at = Arrays.binarySearch(unmapped, page);
            boolean newMapping = at >= 0;
            if (newMapping) drop[at] = true;
            if (base == 0 || unmappedAt(s, pageGfn) || newMapping) continue;
            s.setHostPfn(page, 0);
            s.freedPfns = insert(s.freedPfns, base);
            if (e.tracing()) e.note("host frees " + pfns(base, per) + ", still mapped at the hva (no invalidation)");
        }
        int dropped = 0;
        for (boolean d : drop) if (d) dropped++;
        if (dropped > 0) { // a new array: the old one may be shared with other states
            long[] r = new long[unmapped.length - dropped];
            int k = 0;
            for (int i = 0; i < unmapped.length; i++) if (!drop[i]) r[k++] = unmapped[i];
            s.hvaUnmapped = r;
        }
        long[] keep = s.unmappedPfns;
        for (long base : s.unmappedPfns) {
            if (!inRange(s, base, start, end)) continue;
            keep = remove(keep, base);
            s.freedPfns = insert(s.freedPfns, base);
            if (e.tracing()) e.note("host frees " + pfns(base, pagesPerBacking(s.config, s.gfnOfPfn(base))));
        }
        s.unmappedPfns = keep; // an SPTE that still maps what was freed: StructuralNotes says which
    }

    /** "pfn 0x1000" for a 4K page, "pfns 0x1000..0x11ff" for a huge one. */
    private static String pfns(long base, long per) {
        return per == 1 ? "pfn 0x" + Long.toHexString(base)
                : "pfns 0x" + Long.toHexString(base) + "..0x" + Long.toHexString(base + per - 1);
    }

    /** Whether an invalidation unmapped a page of the backing page at hva gfn pageGfn, not yet freed. */
    private static boolean unmappedAt(VmState s, long pageGfn) {
        for (long base : s.unmappedPfns) {
            Long g = s.gfnOfPfn(base);
            if (g != null && g == pageGfn) return true;
        }
        return false;
    }

    /** Whether the page at pfn base was last mapped at a gfn in [start, end): pfns are handed out per gfn page. */
    private static boolean inRange(VmState s, long base, long start, long end) {
        Long gfn = s.gfnOfPfn(base);
        return gfn != null && gfn >= start && gfn < end;
    }

    private static long next(VmState s, long gfn) {
        long per = pagesPerBacking(s.config, gfn);
        return gfn - Math.floorMod(gfn, per) + per;
    }

    private static long[] insert(long[] a, long v) {
        long[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = v;
        Arrays.sort(r);
        return r;
    }

    private static long[] remove(long[] a, long v) {
        int i = Arrays.binarySearch(a, v);
        long[] r = new long[a.length - 1];
        System.arraycopy(a, 0, r, 0, i);
        System.arraycopy(a, i + 1, r, i, a.length - i - 1);
        return r;
    }

    /** What {@link #freed} reads. */
    static final Footprint FREED = Footprint.reads(Resource.FREED_PFNS, Resource.MEMSLOTS);

    /**
     * Whether a freed backing page meets pfns [pfn, pfn + n) (a leaf's): each freed page spans the
     * backing size of the hva it was faulted in at.
     */
    static boolean freedIn(VmState s, long pfn, long n) {
        for (long base : s.freedPfns) {
            Long hva = s.gfnOfPfn(base);
            long per = hva == null ? 1 : pagesPerBacking(s.config, hva);
            if (base < pfn + n && pfn < base + per) return true;
        }
        return false;
    }

    static boolean freed(VmState s, long pfn, long gfn) {
        long hva = Memslots.hvaGfn(s, gfn);
        if (s.config.slotOf(hva) == null) return false;
        return s.isFreedPfn(pfn, pagesPerBacking(s.config, hva));
    }
}
