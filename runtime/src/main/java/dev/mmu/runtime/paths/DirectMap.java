package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;

/**
 * The steps of the shadow MMU's direct_map() (mmu.c:3501, v7.2 as v6.12 for the model) that the prelude's source of it calls
 * (kernel/mmu.mmu), under mmu_lock held for write: for_each_shadow_entry()'s walk reads SPTEs, and
 * each link_shadow_page() and the mmu_set_spte() of the leaf is a store of its own, which other
 * vCPUs' lockless hardware walks and fast_page_fault() see as it happens. The L2 guest's faults
 * (mmu both) take the same steps from the nested shadow root.
 *
 * <p>The fault's locals are {@link TdpMap}'s block: fault->goal_level, fault->req_level, the table
 * and level of it.sptep, and the table just linked (it.sp).
 */
public final class DirectMap {
    private DirectMap() {}

    /**
     * kvm_mmu_hugepage_adjust() (mmu.c:3445, v7.2 as v6.12 for the model), which direct_map() runs first, then
     * shadow_walk_init() at the vCPU's root (the nested shadow root for the L2 guest). A root freed
     * under the fault (shadow_walk_okay() fails at once in the model; the kernel's vCPU holds
     * root_count) goes to exit: nothing is mapped, and the access reports the root on its retry.
     */
    public record Start(int vcpu, Expr gpa, int m, int slotFlags, boolean exec, boolean nested, int exit)
            implements FaultOps.VcpuOp {
        public Start forVcpu(int v) {
            return new Start(v, gpa, m, slotFlags, exec, nested, exit);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long gfn = gpa.eval(s, e.thread) >>> 12;
            long[] l = e.self().locals;
            Memslots.use(e, l[slotFlags], "kvm_mmu_hugepage_adjust()"); // the slot's lpage_info
            Memslot slot = Memslots.ofFault(s, l[slotFlags], gfn);
            boolean logging = (l[slotFlags] & Memslots.LOGGING) != 0;
            int req = logging ? Level.PG_LEVEL_4K : Math.min(slot.backingLevel(), Level.PG_LEVEL_1G);
            l[m + TdpMap.REQ] = req;
            l[m + TdpMap.GOAL] = TdpMap.hugePageDisallowed(s, exec) ? Level.PG_LEVEL_4K : req;
            int root = s.root(vcpu, nested);
            l[m + TdpMap.SP] = root;
            l[m + TdpMap.LEVEL] = s.sp(root) == null ? 0 : s.sp(root).level;
            if (s.sp(root) == null) {
                e.nextPc = exit;
                return;
            }
            if (e.tracing()) e.note("direct_map gfn 0x" + Long.toHexString(gfn));
        }

        public int[] localsRead() {
            return TdpMap.with(gpa.locals(), slotFlags);
        }

        public int[] localsWritten(int pc, int target) {
            return new int[] {m + TdpMap.GOAL, m + TdpMap.REQ, m + TdpMap.SP, m + TdpMap.LEVEL};
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, exit};
        }

        public Footprint footprint() {
            return gpa.footprint().andReads(Resource.MEMSLOTS, Resource.SPTE).andReadsRoots(vcpu).union(Memslots.USE);
        }

        public String describe() {
            return "kvm_mmu_hugepage_adjust, shadow_walk_init";
        }
    }

    /**
     * for_each_shadow_entry() up to the next SPTE the loop's body acts on: disallowed_hugepage_adjust()
     * (under the NX mitigation); stop at the goal level, or at an SPTE that is none or a huge page
     * (kvm_mmu_get_child_sp() makes a table for it); step down through a present table, the kernel's
     * `if (sp == ERR_PTR(-EEXIST)) continue` and shadow_walk_next(), in the same step. With
     * afterLink, first shadow_walk_next() into the table just linked (under the write lock it is
     * still there). Reads only which SPTEs are present tables or leaves, which lockless tasks do
     * not change (they set W, A and D). Only a path that does not hold the write lock (a user's
     * patch) can find the table it walks freed or the linked SPTE changed: the walk then ends, to
     * exit (the loop's end), with nothing mapped.
     */
    public record Walk(Expr gpa, int m, boolean afterLink, int exit) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long gfn = gpa.eval(s, e.thread) >>> 12;
            long[] l = e.self().locals;
            boolean nx = s.config.nxHugePages();
            boolean stepDown = afterLink;
            while (true) {
                ShadowPage sp = s.sp((int) l[m + TdpMap.SP]);
                int level = (int) l[m + TdpMap.LEVEL];
                long spte = sp == null ? 0 : sp.spte(Level.index(gfn, level));
                boolean table = Spte.present(spte) && !Spte.leaf(spte);
                if (sp != null && stepDown && Spte.present(spte) && Spte.leaf(spte) && level == Level.PG_LEVEL_4K) {
                    e.note("shadow_walk_next: a last-level SPTE ends the walk");
                    e.nextPc = exit;
                    return;
                }
                if (sp == null || (stepDown && !table)) {
                    e.note("for_each_shadow_entry: the table walked changed under the walk, which ends");
                    e.nextPc = exit;
                    return;
                }
                if (!stepDown) {
                    if (nx && level > Level.PG_LEVEL_4K && level == l[m + TdpMap.GOAL] && table
                            && s.sp(Spte.child(spte)).nxHugePageDisallowed) {
                        l[m + TdpMap.GOAL] = level - 1;
                        e.note("disallowed_hugepage_adjust: goal_level " + Level.size(level - 1));
                    }
                    if (level == l[m + TdpMap.GOAL] || !table) return;
                }
                stepDown = false;
                l[m + TdpMap.SP] = Spte.child(spte);
                l[m + TdpMap.LEVEL] = level - 1;
            }
        }

        public int[] localsRead() {
            return TdpMap.with(gpa.locals(), m + TdpMap.GOAL, m + TdpMap.SP, m + TdpMap.LEVEL);
        }

        public int[] localsWritten(int pc, int target) {
            return LiveLocals.NONE;
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, exit};
        }

        public Footprint footprint() {
            return gpa.footprint().andReads(Resource.SPTE, Resource.NX_LIST);
        }

        public String describe() {
            return afterLink ? "shadow_walk_next" : "for_each_shadow_entry: read SPTE";
        }
    }

    /** Whether it.sptep's table was freed (only without the write lock): a write to freed memory. */
    private static boolean freed(Exec e, int spId, String primitive) {
        if (e.s.sp(spId) != null) return false;
        e.violate(dev.mmu.runtime.model.Invariant.freed_page_table_walk, primitive + " writes sp" + spId + " after it was freed");
        return true;
    }

    /** mmu_lock held for write, as the primitive declares (direct_page_fault()'s write_lock()). */
    private static void assertHeld(Exec e, String primitive) {
        Lockdep l = Primitives.get(primitive).lockdep();
        if (!l.satisfied(e.s, e.thread)) e.violate(dev.mmu.runtime.model.Invariant.lockdep, primitive + "() needs " + l.describe());
    }

    /**
     * kvm_mmu_get_child_sp(vcpu, it.sptep, base_gfn, true, ACC_ALL), which makes a new direct
     * shadow page where the SPTE is none or huge, and link_shadow_page(vcpu, it.sptep, sp): the model
     * allocates sp in the link's step (an allocated page no SPTE points at would be a leak), into
     * it.sp. A huge SPTE in the way is split into the new table (the kernel's drop_large_spte() zaps
     * it and flushes, and the table fills by later faults; see docs/kernel-model.md). A table there
     * (linked by another thread since the walk read the SPTE, which only a wrong lock allows) is the
     * kernel's -EEXIST: no new page, the walk goes on into it (v7.2, mmu.c:2493; until trial11 the
     * model split the table as if it were a huge leaf). No NX flag: account_nx_huge_page() sets it
     * after the link.
     */
    public record Link(Expr gpa, int m) implements Op {
        public void exec(Exec e, int choice) {
            assertHeld(e, "link_shadow_page");
            long gfn = gpa.eval(e.s, e.thread) >>> 12;
            long[] l = e.self().locals;
            int spId = (int) l[m + TdpMap.SP];
            if (freed(e, spId, "link_shadow_page")) return;
            int level = (int) l[m + TdpMap.LEVEL];
            int i = Level.index(gfn, level);
            long old = e.s.sp(spId).spte(i);
            if (level == Level.PG_LEVEL_4K) {
                // Only a patch links at 4K (direct_map() without its break at goal_level): a 4K leaf
                // is not large, so kvm_mmu_get_child_sp() returns -EEXIST and shadow_walk_next() ends
                // the walk at it (trial13: the model split it as a huge page and crashed). Below a
                // huge goal_level the kernel's tables are new and empty (drop_large_spte() zapped the
                // leaf the model splits into them): its 4K link gets a page of role.level 0, a page
                // table the guest maps as memory.
                if (!Spte.present(old) || level < l[m + TdpMap.GOAL]) {
                    throw new ScenarioError("link_shadow_page() at a 4K SPTE: kvm_mmu_get_child_sp() would make a"
                            + " shadow page of role.level 0 and the guest would map it as memory");
                }
                e.note("kvm_mmu_get_child_sp: -EEXIST (a 4K leaf is not large)");
                return;
            }
            if (Spte.present(old) && !Spte.leaf(old)) {
                // kvm_mmu_get_child_sp() re-reads *sptep: a table another thread linked since the
                // walk read it is -EEXIST, and the walk descends into it (only under a wrong lock)
                e.note("kvm_mmu_get_child_sp: -EEXIST, sp" + Spte.child(old) + " already linked");
                l[m + TdpMap.CHILD] = Spte.child(old);
                return;
            }
            ShadowPage child = TdpMmu.linkChild(e, spId, i, false);
            if (Spte.present(old)) TdpMmu.splitHugePage(e, child, old);
            TdpMmu.setSpte(e, spId, i, Spte.table(child.id));
            l[m + TdpMap.CHILD] = child.id;
        }

        public int[] localsRead() {
            return TdpMap.with(gpa.locals(), m + TdpMap.SP, m + TdpMap.LEVEL, m + TdpMap.GOAL);
        }

        public int[] localsWritten(int pc, int target) {
            return new int[] {m + TdpMap.CHILD};
        }

        public Footprint footprint() {
            return gpa.footprint().union(TdpMmu.LINK_CHILD).andUpdates(Resource.VIOLATIONS);
        }

        public String describe() {
            return "link_shadow_page";
        }
    }

    /**
     * mmu_set_spte(vcpu, fault->slot, it.sptep, ACC_ALL, base_gfn, fault->pfn, fault) (v6.12; 7.2's role access, mmu.c:3095, the same for direct roots):
     * make_spte() (which marks the page dirty when it makes a writable SPTE in a dirty-logged slot);
     * the same value is RET_PF_SPURIOUS; replacing a table by a huge leaf flushes, and the legacy
     * table it removed is freed after that flush (kvm_mmu_remote_flush_or_zap).
     */
    public record SetSpte(Expr gpa, int m, int pfnSlot, int slotFlags) implements Op {
        public void exec(Exec e, int choice) {
            assertHeld(e, "mmu_set_spte");
            VmState s = e.s;
            long gfn = gpa.eval(s, e.thread) >>> 12;
            long[] l = e.self().locals;
            int level = (int) l[m + TdpMap.LEVEL];
            int spId = (int) l[m + TdpMap.SP];
            if (freed(e, spId, "mmu_set_spte")) return;
            int i = Level.index(gfn, level);
            long old = s.sp(spId).spte(i);
            Memslots.use(e, l[slotFlags], "mmu_set_spte()"); // make_spte(vcpu, sp, slot, ...)
            Memslot slot = Memslots.ofFault(s, l[slotFlags], gfn);
            long base = l[pfnSlot] - (gfn & (Level.pagesPerHpage(level) - 1));
            boolean writable = !slot.readonly();
            boolean x = !(s.config.nxHugePages() && level > Level.PG_LEVEL_4K); // huge SPTEs lose exec under NX
            long leaf = Spte.makeSpte(base, writable, x); // host_writable: a read-only slot's pfn is not
            if (old != leaf) TdpMmu.setSpte(e, spId, i, leaf);
            else e.note("mmu_set_spte: RET_PF_SPURIOUS");
            if (Spte.present(old) && !Spte.leaf(old)) ShadowMmu.remoteFlushOrZap(e, true);
            if (writable && (l[slotFlags] & Memslots.LOGGING) != 0) Memslots.markDirty(e, gfn);
        }

        public int[] localsRead() {
            return TdpMap.with(gpa.locals(), m + TdpMap.SP, m + TdpMap.LEVEL, pfnSlot, slotFlags);
        }

        public Footprint footprint() {
            return gpa.footprint().union(TdpMmu.LINK_CHILD).union(ShadowMmu.COMMIT_ZAP)
                    .andReads(Resource.MEMSLOTS).andUpdates(Resource.DIRTY_BITMAP, Resource.VIOLATIONS).union(Memslots.USE);
        }

        public String describe() {
            return "mmu_set_spte";
        }
    }
}
