package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.ShadowPage;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.VmState;

/**
 * The steps of kvm_tdp_mmu_map() (tdp_mmu.c, v6.12) that the prelude's source of it calls
 * (kernel/tdp_mmu.mmu), under mmu_lock held for read and rcu_read_lock(): the walk reads SPTEs;
 * each link of a new table and the install of the leaf is a tdp_mmu_set_spte_atomic() of its own,
 * a cmpxchg against the value the walk read at iter->sptep, which fails if another task changed the
 * SPTE since (the fault then returns RET_PF_RETRY and the vCPU faults again).
 *
 * <p>The fault's locals ({@link #SLOTS} from the block's first): fault->goal_level,
 * fault->req_level, and the iterator: the table and level of iter->sptep, iter->old_spte, and the
 * table just linked. Abstracted: the walk's consecutive reads of present tables are
 * one step (a read racing a change there can only end in RET_PF_RETRY, which changes nothing shared),
 * but for a table another thread may unlink under the read lock ({@link Walk}).
 */
public final class TdpMap {
    static final int GOAL = 0;
    static final int REQ = 1;
    static final int SP = 2;
    static final int LEVEL = 3;
    static final int OLD = 4;
    static final int CHILD = 5;
    public static final int SLOTS = 6;

    private TdpMap() {}

    /**
     * One guest access's struct kvm_page_fault as the fault path's steps take it: the vCPU, the gpa,
     * whether it is an exec fault (fault->exec) or a write fault (fault->write), and the locals of
     * mmu_seq, fault->pfn, fault->slot's flags and the block of {@link #SLOTS} from m (the fault and
     * its walk's iterator; -1 for fast_page_fault's fault, which has none); nested: the L2 guest's
     * fault (mmu both), in the nested shadow root.
     */
    public record Fault(int vcpu, Expr gpa, boolean exec, boolean write, int seq, int pfn, int slotFlags, int m,
                        boolean nested) {
        /** The local of a field of the fault or of its walk's iterator, or -1 if it has none by that name. */
        public int slot(String field) {
            if (m < 0) return -1;
            return switch (field) {
                case "goal_level" -> m + GOAL;
                case "req_level" -> m + REQ;
                case "level" -> m + LEVEL;
                case "old_spte" -> m + OLD;
                case "sp" -> m + CHILD;
                default -> -1;
            };
        }
    }

    /**
     * The SPTE at iter->sptep: an entry of a table that handle_removed_pt() tore down reads as
     * FROZEN_SPTE (it freezes every entry; the model clears them and marks the table unlinked).
     */
    static long read(VmState s, int spId, int index) {
        ShadowPage sp = s.sp(spId);
        return sp == null || sp.status != ShadowPage.LIVE ? Spte.FROZEN : sp.spte(index);
    }

    private static int index(long gfn, long[] l, int m) {
        return Level.index(gfn, (int) l[m + LEVEL]);
    }

    /**
     * kvm_mmu_hugepage_adjust() (mmu.c, v6.12), then tdp_iter_start() at the root: req_level is
     * the host backing size (4K while fault->slot logs dirty pages); under the NX mitigation an
     * exec fault's goal is 4K (fault->huge_page_disallowed).
     */
    public record Start(int vcpu, Expr gpa, int m, int slotFlags, boolean exec) implements FaultOps.VcpuOp {
        public Start forVcpu(int v) {
            return new Start(v, gpa, m, slotFlags, exec);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long gfn = gpa.eval(s, e.thread) >>> 12;
            long[] l = e.self().locals;
            Memslots.use(e, l[slotFlags], "kvm_mmu_hugepage_adjust()"); // the slot's lpage_info
            Memslot slot = Memslots.ofFault(s, l[slotFlags], gfn);
            boolean logging = (l[slotFlags] & Memslots.LOGGING) != 0;
            int req = logging ? Level.PG_LEVEL_4K : Math.min(slot.backingLevel(), Level.PG_LEVEL_1G);
            l[m + REQ] = req;
            l[m + GOAL] = hugePageDisallowed(s, exec) ? Level.PG_LEVEL_4K : req;
            int root = root(s, vcpu);
            l[m + SP] = root; // a root freed under the fault reads as FROZEN_SPTE: the walk retries
            l[m + LEVEL] = s.sp(root) == null ? 0 : s.sp(root).level;
            if (e.tracing()) e.note("kvm_tdp_mmu_map gfn 0x" + Long.toHexString(gfn));
        }

        public int[] localsRead() {
            return with(gpa.locals(), slotFlags);
        }

        public int[] localsWritten(int pc, int target) {
            return new int[] {m + GOAL, m + REQ, m + SP, m + LEVEL};
        }

        public Footprint footprint() {
            return gpa.footprint().andReads(Resource.MEMSLOTS, Resource.SPTE).andReadsRoots(vcpu).union(Memslots.USE);
        }

        public String describe() {
            return "kvm_mmu_hugepage_adjust, tdp_iter_start";
        }
    }

    /**
     * The root the fault walks: vcpu->arch.mmu->root.hpa (tdp_mmu_for_each_pte), the vCPU's SMM
     * root while it is in SMM; the only place the fault path picks it.
     */
    static int root(VmState s, int vcpu) {
        return s.root(vcpu, false);
    }

    /** fault->huge_page_disallowed: an exec fault under kvm.nx_huge_pages. */
    static boolean hugePageDisallowed(VmState s, boolean exec) {
        return exec && s.config.nxHugePages();
    }

    /**
     * tdp_mmu_for_each_pte() up to the next SPTE the loop's body acts on: read iter.old_spte;
     * disallowed_hugepage_adjust() (under the NX mitigation); stop at a frozen SPTE, at the goal
     * level, or at an SPTE that is none or a huge page (to link or split); step down through a
     * present table (the body's `continue`, tdp_iter_next()'s try_step_down()). With afterLink,
     * first tdp_iter_next() after a link: try_step_down() re-reads the linked SPTE and steps into
     * the table it points at now; if it is no table any more, the walk ends: to exit (the loop's end).
     *
     * <p>Where another thread may unlink a table under mmu_lock held for read ({@link ReadLockRemovers}),
     * a step down ends the op, and the walk goes on at resume (the walk without afterLink): the
     * table's SPTE (tdp_iter_refresh_sptep()) is read by an op of its own, as the removal may come
     * in between, and handle_removed_pt() freezes the table's SPTEs for good (v7.2 tdp_mmu.c:411):
     * the walk reads FROZEN_SPTE there. Step merging runs that op in the same step where no other
     * thread may write SPTEs meanwhile ({@link StepMerging}). Elsewhere the walk reads on in the
     * op (a read racing any other change can only end in RET_PF_RETRY).
     */
    public record Walk(Expr gpa, int m, boolean afterLink, int exit, int resume) implements Op {
        private static final Lockdep RCU = Lockdep.NONE.andRcu();

        /** The walk without afterLink, at pc: after a step down it reads again at pc. */
        public static Walk at(Expr gpa, int m, int pc) {
            return new Walk(gpa, m, false, -1, pc);
        }

        /** tdp_iter_next() after a link, of the walk at walkPc: it ends at exit, or goes on there. */
        public static Walk afterLink(Expr gpa, int m, int exit, int walkPc) {
            return new Walk(gpa, m, true, exit, walkPc);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            // tdp_iter reads each SPTE with rcu_dereference(): CONFIG_PROVE_RCU reports it outside
            // kvm_tdp_mmu_map()'s rcu_read_lock(), mmu_lock held for read or not (trial7).
            if (!RCU.satisfied(s, e.thread)) e.violate(Invariant.lockdep, "tdp_mmu_for_each_pte() needs " + RCU.unmet(s, e.thread));
            long gfn = gpa.eval(s, e.thread) >>> 12;
            long[] l = e.self().locals;
            boolean nx = s.config.nxHugePages();
            boolean stepDown = afterLink;
            int beside = e.program == null ? ReadLockRemovers.ANY : ReadLockRemovers.beside(e.program, e.thread);
            while (true) {
                long old = read(s, (int) l[m + SP], index(gfn, l, m));
                l[m + OLD] = old;
                int level = (int) l[m + LEVEL];
                boolean table = Spte.present(old) && !Spte.leaf(old) && (old & Spte.FROZEN) == 0;
                if (stepDown && !table) {
                    e.note("tdp_iter_next: the linked SPTE changed meanwhile, the walk ends -> RET_PF_RETRY");
                    e.nextPc = exit;
                    return;
                }
                if (!stepDown) {
                    if (nx && level > Level.PG_LEVEL_4K && level == l[m + GOAL] && table
                            && s.sp(Spte.child(old)).nxHugePageDisallowed) {
                        l[m + GOAL] = level - 1;
                        e.note("disallowed_hugepage_adjust: goal_level " + Level.size(level - 1));
                    }
                    if ((old & Spte.FROZEN) != 0) {
                        e.note("tdp_mmu_for_each_pte: SPTE L" + level + " is FROZEN_SPTE: another task unlinked the table");
                        return;
                    }
                    if (level == l[m + GOAL] || !table) return; // map_target_level, or tdp_mmu_alloc_sp()
                }
                stepDown = false;
                l[m + SP] = Spte.child(old);
                l[m + LEVEL] = level - 1;
                if (ReadLockRemovers.standsIn(beside, level)) {
                    e.nextPc = resume; // the table's SPTE is the walk's next op to read
                    return;
                }
            }
        }

        public int[] localsRead() {
            return with(gpa.locals(), m + GOAL, m + SP, m + LEVEL);
        }

        public int[] localsWritten(int pc, int target) {
            return new int[] {m + OLD};
        }

        public int[] targets(int pc) {
            return afterLink ? new int[] {pc + 1, exit, resume} : new int[] {pc + 1, resume};
        }

        public Footprint footprint() {
            return gpa.footprint().andReads(Resource.SPTE, Resource.SPTE_ACCESS, Resource.NX_LIST)
                    .andUpdates(Resource.VIOLATIONS); // lockdep: this thread's holding
        }

        public String describe() {
            return afterLink ? "tdp_iter_next" : "tdp_mmu_for_each_pte: read SPTE";
        }
    }

    /**
     * tdp_mmu_link_sp(kvm, &iter, sp, shared = true), or tdp_mmu_split_huge_page() first filling
     * the new table from the huge SPTE: sp->nx_huge_page_disallowed is set before the SPTE is
     * (v6.2+); then tdp_mmu_set_spte_atomic(). Returns 0, or -EBUSY if the cmpxchg failed: the
     * thread then holds the unused sp ({@code ThreadState.unusedSp}) until the caller's
     * tdp_mmu_free_unused_sp(), and an allocation over it leaks it. Its value ({@link Ops.ValueOp}).
     */
    public record Link(Expr gpa, int m, boolean exec, int result, int unless, boolean negate) implements Ops.ValueOp {
        static final long EBUSY = 16;

        public Link(Expr gpa, int m, boolean exec, int result) {
            this(gpa, m, exec, result, -1, false);
        }

        public Link branch(int unless, boolean negate) {
            return new Link(gpa, m, exec, -1, unless, negate);
        }

        public void exec(Exec e, int choice) {
            long[] before = e.self().locals;
            if (before[m + LEVEL] == Level.PG_LEVEL_4K && Spte.present(before[m + OLD])) {
                // Only a copy without the kernel's step-down test (is_shadow_present_pte() &&
                // !is_large_pte(): continue) after a target level it went on from gets here: the
                // kernel would split a 4K page (the model crashed: "no leaf at level 0").
                throw new ScenarioError("tdp_mmu_link_sp() over a present 4K SPTE: kvm_tdp_mmu_map()'s"
                        + " `if (is_shadow_present_pte(iter.old_spte) && !is_large_pte(iter.old_spte)) continue;`"
                        + " is missing (mmu show kvm_tdp_mmu_map)");
            }
            // sp = tdp_mmu_alloc_sp(vcpu) overwrites the only pointer to a failed link's sp not freed
            if (e.self().unusedSp != 0) {
                e.violate(Invariant.page_table_leak, "kvm_tdp_mmu_map allocates sp while a failed tdp_mmu_link_sp's is not"
                        + " freed (tdp_mmu_free_unused_sp)");
            }
            int i = trySetSpteAtomic(e, gpa, m, result, unless, negate);
            if (i < 0) {
                e.self().unusedSp = 1;
                return;
            }
            VmState s = e.s;
            long[] l = e.self().locals;
            int spId = (int) l[m + SP];
            ShadowPage child = TdpMmu.linkChild(e, spId, i, true);
            child.nxHugePageDisallowed = hugePageDisallowed(s, exec);
            if (Spte.present(l[m + OLD])) TdpMmu.splitHugePage(e, child, l[m + OLD]);
            TdpMmu.setSpte(e, spId, i, Spte.table(child.id));
            l[m + CHILD] = child.id;
            Ops.deliver(e, 0, result, unless, negate);
        }

        public int[] localsRead() {
            return with(gpa.locals(), m + SP, m + LEVEL, m + OLD);
        }

        /** As a branch, sp on the way it takes when it linked (value 0); else it may have failed: sp unset. */
        public int[] localsWritten(int pc, int target) {
            int[] r = Ops.written(result);
            boolean linked = unless >= 0 && unless != pc + 1 && (target == unless) != negate;
            return linked ? with(r, m + CHILD) : r;
        }

        public int[] targets(int pc) {
            return Ops.targets(pc, unless);
        }

        /** Its lockdep check ({@link #cmpxchgAllowed}) reads only this thread's holding of mmu_lock: nothing shared. */
        public Footprint footprint() {
            return gpa.footprint().union(TdpMmu.LINK_CHILD).andUpdates(Resource.VIOLATIONS);
        }

        public String describe() {
            return "tdp_mmu_link_sp";
        }
    }

    /**
     * tdp_mmu_set_spte_atomic()'s cmpxchg at the walk's SPTE, which tdp_mmu_link_sp() goes through
     * too: the SPTE's index in iter.sp, or -1 once -EBUSY is delivered. __tdp_mmu_set_spte_atomic()
     * first warns of a frozen iter.old_spte (its callers must check is_frozen_spte()); the cmpxchg
     * against it then succeeds, into a table handle_removed_pt() froze (iter->yielded: the fault's
     * walk never yields).
     */
    private static int trySetSpteAtomic(Exec e, Expr gpa, int m, int result, int unless, boolean negate) {
        long[] l = e.self().locals;
        if ((l[m + OLD] & Spte.FROZEN) != 0) e.violate(Invariant.kernel_warning, WARN_FROZEN);
        int i = index(gpa.eval(e.s, e.thread) >>> 12, l, m);
        if (cmpxchgAllowed(e, (int) l[m + SP], i, l[m + OLD])) return i;
        Ops.deliver(e, -Link.EBUSY, result, unless, negate);
        return -1;
    }

    static final String WARN_FROZEN = "WARNING: at arch/x86/kvm/mmu/tdp_mmu.c:603 __tdp_mmu_set_spte_atomic():"
            + " WARN_ON_ONCE(iter->yielded || is_frozen_spte(iter->old_spte))";

    /**
     * __tdp_mmu_set_spte_atomic()'s try_cmpxchg64(iter->sptep, &iter->old_spte, new): whether the
     * SPTE still holds what the walk read; tdp_mmu_set_spte_atomic() asserts mmu_lock held for read.
     */
    static boolean cmpxchgAllowed(Exec e, int spId, int index, long old) {
        VmState s = e.s;
        if (!Lock.held(s, e.thread, dev.mmu.runtime.model.LockId.mmu_lock) || s.mmuWriter == e.thread) {
            e.violate(Invariant.lockdep, "tdp_mmu_set_spte_atomic without mmu_lock held for read");
        }
        if (read(s, spId, index) == old) return true;
        e.note("tdp_mmu_set_spte_atomic: cmpxchg failed, the SPTE changed since the walk read it -> RET_PF_RETRY");
        return false;
    }

    /**
     * make_spte(vcpu, sp, fault->slot, ACC_ALL, iter->gfn, fault->pfn, iter->old_spte, ...) (spte.c)
     * for the fault's leaf at iter.level: the pfn of the fault's page at that level, writable
     * (W and MMU-writable) if fault->map_writable (host_writable): unless fault->slot (the flags the
     * fault read) is read-only or the read fault got its page read-only, executable unless it is huge
     * under the NX mitigation; it
     * marks the page dirty (mark_page_dirty_in_slot()) when it makes a writable SPTE in a
     * dirty-logged slot, as the kernel's does, before the caller's cmpxchg. Its value (new_spte)
     * into local result; the kernel's return value (wrprot, for RET_PF_WRITE_PROTECTED's
     * emulation) has no use in the model.
     */
    public record MakeSpte(Expr gpa, int m, int pfnSlot, int slotFlags, int result, int unless, boolean negate)
            implements Ops.ValueOp {
        public MakeSpte(Fault f, int result) {
            this(f.gpa(), f.m(), f.pfn(), f.slotFlags(), result, -1, false);
        }

        public MakeSpte(Expr gpa, int m, int pfnSlot, int slotFlags, int result) {
            this(gpa, m, pfnSlot, slotFlags, result, -1, false);
        }

        public MakeSpte branch(int unless, boolean negate) {
            return new MakeSpte(gpa, m, pfnSlot, slotFlags, -1, unless, negate);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            long gfn = gpa.eval(s, e.thread) >>> 12;
            long[] l = e.self().locals;
            int level = (int) l[m + LEVEL];
            long base = l[pfnSlot] - (gfn & (Level.pagesPerHpage(level) - 1));
            boolean writable = (l[slotFlags] & (Memslots.READONLY | Memslots.NO_MAP_WRITABLE)) == 0; // host_writable
            boolean x = !(s.config.nxHugePages() && level > Level.PG_LEVEL_4K); // huge SPTEs lose exec under NX
            if (marks(l)) {
                Memslots.use(e, l[slotFlags], "make_spte(): mark_page_dirty_in_slot()");
                Memslots.markDirty(e, gfn);
            }
            Ops.deliver(e, Spte.makeSpte(base, writable, x), result, unless, negate);
        }

        /** Whether it makes a writable SPTE in a dirty-logged slot, as fault->slot's flags say. */
        private boolean marks(long[] l) {
            return (l[slotFlags] & (Memslots.READONLY | Memslots.NO_MAP_WRITABLE | Memslots.LOGGING)) == Memslots.LOGGING;
        }

        public int[] localsRead() {
            return with(gpa.locals(), m + LEVEL, pfnSlot, slotFlags);
        }

        public int[] localsWritten(int pc, int target) {
            return Ops.written(result);
        }

        public int[] targets(int pc) {
            return Ops.targets(pc, unless);
        }

        public Footprint footprint() {
            return gpa.footprint().andReads(Resource.MEMSLOTS).andUpdates(Resource.DIRTY_BITMAP).union(Memslots.USE);
        }

        /**
         * Outside a dirty-logged slot or in a read-only one (fault->slot's flags, a local) it reads
         * and writes nothing shared: the kernel's make_spte() then only computes a value from the
         * fault and its memslot snapshot.
         */
        public Footprint footprint(VmState s, int thread) {
            return marks(s.threads[thread].locals) ? footprint() : gpa.footprint();
        }

        public String describe() {
            return "make_spte";
        }
    }

    /**
     * tdp_mmu_set_spte_atomic(kvm, iter, new_spte) for the fault's leaf: the cmpxchg against
     * iter.old_spte ({@link #cmpxchgAllowed}), then handle_changed_spte() on the value replaced (a
     * table replaced by a huge leaf is freed after the grace period). Returns 0, or -EBUSY if the
     * cmpxchg failed: its value ({@link Ops.ValueOp}).
     */
    public record SetSpteAtomic(Expr gpa, int m, Expr newSpte, int result, int unless, boolean negate)
            implements Ops.ValueOp {
        public SetSpteAtomic(Fault f, Expr newSpte, int result) {
            this(f.gpa(), f.m(), newSpte, result, -1, false);
        }

        public SetSpteAtomic branch(int unless, boolean negate) {
            return new SetSpteAtomic(gpa, m, newSpte, -1, unless, negate);
        }

        /** A table it replaces may be NX-disallowed: it waits for tdp_mmu_pages_lock ({@link PagesLockWait}). */
        public int choices(VmState s, int thread) {
            return PagesLockWait.choices(this, s, thread);
        }

        public void exec(Exec e, int choice) {
            int i = trySetSpteAtomic(e, gpa, m, result, unless, negate);
            if (i < 0) return;
            TdpMmu.setSpte(e, (int) e.self().locals[m + SP], i, newSpte.eval(e.s, e.thread));
            Ops.deliver(e, 0, result, unless, negate);
        }

        public int[] localsRead() {
            return with(Expr.locals(gpa, newSpte), m + SP, m + LEVEL, m + OLD);
        }

        public int[] localsWritten(int pc, int target) {
            return Ops.written(result);
        }

        public int[] targets(int pc) {
            return Ops.targets(pc, unless);
        }

        /** Its lockdep check ({@link #cmpxchgAllowed}) reads only this thread's holding of mmu_lock: nothing shared. */
        public Footprint footprint() {
            return Footprint.of(gpa, newSpte).union(TdpMmu.LINK_CHILD).union(TdpMmu.SET_SPTE_SHARED)
                    .andUpdates(Resource.VIOLATIONS);
        }

        public String describe() {
            return "tdp_mmu_set_spte_atomic";
        }
    }

    /** base and more, or null (every local) if base is. */
    static int[] with(int[] base, int... more) {
        if (base == null) return null;
        int[] r = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, r, base.length, more.length);
        return r;
    }
}
