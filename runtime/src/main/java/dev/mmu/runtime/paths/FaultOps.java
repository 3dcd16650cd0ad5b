package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Spte;
import dev.mmu.runtime.model.TlbEntry;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.MmuOps.Access;
import java.util.List;

/**
 * The guest access and the vCPU fault path, op by op: TLB or hardware walk, fast_page_fault's
 * lockless fix, kvm_faultin_pfn, the map under mmu_lock, and the unlock.
 */
public final class FaultOps {
    /** A step of one vCPU's fault, which works in that vCPU's root: the same op for another vCPU is forVcpu. */
    public interface VcpuOp extends Op {
        int vcpu();

        VcpuOp forVcpu(int vcpu);
    }

    private FaultOps() {}

    /**
     * A guest access: TLB hit, or a hardware walk that fills the TLB; either way the access reaches a
     * host page. With no usable translation it is an EPT violation: fall through to the fault path.
     * The VM exit retakes kvm->srcu (vcpu_enter_guest(), x86.c:10673 v7.2 as v6.12: the vCPU holds it from exit
     * to the next entry), so the whole fault, fast_page_fault() included, is an srcu reader;
     * fault->slot is looked up here, inside it. A vCPU with KVM_REQ_MMU_FREE_OBSOLETE_ROOTS pending,
     * or without a root in the MMU the access runs on (guest_mmu for the L2 guest's), first runs vcpu_enter_guest()'s root handling (`enterGuest`, {@link VcpuRoots}).
     */
    public record GuestAccess(int vcpu, Access kind, Expr gpa, int done, boolean nested, int fastPf, int oldSpte,
                              int slotFlags, int enterGuest) implements Op {
        public void exec(Exec e, int choice) {
            VmState s = e.s;
            if (enterGuest >= 0 && VcpuRoots.mustReload(s, vcpu, nested)) {
                e.nextPc = enterGuest;
                return;
            }
            Tlbs.enter(e, vcpu, nested); // the vCPU runs on its root: entries parked under its page hit again
            long g = gpa.eval(s, e.thread);
            long gfn = g >>> 12;
            // Trace text only when rendering a trace: exploration does not pay for strings.
            String what = e.tracing() ? "vCPU " + vcpu + (nested ? " (L2)" : "") + " " + kind.word() + " 0x"
                    + Long.toHexString(g) : "";
            TlbEntry t = Tlbs.lookup(s, vcpu, gfn, nested);
            if (hits(s, t)) {
                if (e.tracing()) e.note(what + ": TLB hit -> pfn 0x" + Long.toHexString(t.pfnOf(gfn)));
                touch(e, t.pfnOf(gfn), gfn);
                checkAddressSpace(e, gfn);
                if (kind == Access.WRITE) checkLogged(e, gfn);
                e.nextPc = done;
                return;
            }
            if (s.sp(s.root(vcpu, nested)) == null) { // the EPT pointer still names the freed root
                e.violate(Invariant.freed_root_in_use, what + ": the hardware walk starts at root sp"
                        + s.root(vcpu, nested) + ", which was freed");
                e.nextPc = done;
                return;
            }
            Walk w = pscWalk(e, gfn, what);
            if (w == null) w = Walk.of(s, vcpu, gfn, nested);
            if (w != null && w.presentLeaf() && w.level() == Level.PG_LEVEL_4K) {
                Tlbs.pscFill(s, vcpu, new dev.mmu.runtime.model.PscEntry(Level.alignDown(gfn, Level.PG_LEVEL_2M),
                        w.spId(), s.sp(w.spId()).gfn, nested));
            }
            if (w != null && w.presentLeaf() && grants(Spte.writable(w.spte()), Spte.exec(w.spte()))) {
                long base = Level.alignDown(gfn, w.level());
                // The walker sets the EPT A bit, and D on a write (aging may have cleared A).
                long ad = Spte.ACCESSED | (kind == Access.WRITE ? Spte.DIRTY : 0);
                boolean pml = pml(s);
                Tlbs.fill(s, vcpu, new TlbEntry(base, w.level(), w.pfnOf(base), Spte.writable(w.spte()),
                        Spte.exec(w.spte()), nested, pml && ((w.spte() | ad) & Spte.DIRTY) != 0));
                if (e.tracing()) e.note(what + ": walk -> " + Level.size(w.level()) + " pfn 0x" + Long.toHexString(w.pfnOf(gfn))
                        + ", TLB filled");
                if ((w.spte() & ad) != ad) s.setSpte(w.spId(), w.index(), w.spte() | ad);
                // PML (vmx_flush_pml_buffer(), vmx.c, v7.2 as v6.12 for the model): the CPU logs the gpa when it sets D, and
                // KVM marks it dirty at the next exit (before the dirty log is read: abstracted as now).
                if (pml && (ad & ~w.spte() & Spte.DIRTY) != 0) Memslots.markDirty(e, gfn);
                touch(e, w.pfnOf(gfn), gfn);
                checkAddressSpace(e, gfn);
                if (kind == Access.WRITE) checkLogged(e, gfn);
                e.nextPc = done;
                return;
            }
            Tlbs.pscDrop(s, vcpu, gfn, nested);
            if (e.tracing()) e.note(what + ": EPT violation");
            Lock.acquire(e, dev.mmu.runtime.model.LockId.srcu, Lock.Mode.READ);
            e.self().locals[slotFlags] = Memslots.snapshot(s, gfn);
            if (fastPf >= 0 && canBeFast(w, e.self().locals[slotFlags])) {
                e.self().locals[oldSpte] = w.spte();
                e.nextPc = fastPf;
            }
        }

        /**
         * page_fault_can_be_fast() (a write; mmu.c, v7.2 as v6.12) and the first pass of fast_page_fault()'s
         * checks on the SPTE the walk read: {@link #fastPass} says the cmpxchg may fix it.
         */
        private boolean canBeFast(Walk w, long slot) {
            return kind == Access.WRITE && fastPass(w, slot) == RET_PF_CONTINUE;
        }

        /**
         * A walk that starts at the table the paging-structure cache remembers: fine while that table
         * is allocated (even unlinked, its cleared SPTEs make the walk fault), a read of freed memory
         * once it was freed. Null when the cache has nothing for gfn.
         */
        private Walk pscWalk(Exec e, long gfn, String what) {
            var p = Tlbs.pscLookup(e.s, vcpu, gfn, nested);
            if (p == null) return null;
            var sp = e.s.sp(p.spId());
            if (sp == null || sp.gfn != p.spGfn() || sp.level != Level.PG_LEVEL_4K) {
                e.violate(Invariant.freed_page_table_walk, what + " walks sp" + p.spId()
                        + " from its paging-structure cache after the table was freed");
                return null;
            }
            return Walk.to(e.s, p.spId(), gfn, Level.PG_LEVEL_4K);
        }

        /**
         * A usable TLB entry. With PML a write through an entry whose cached D is clear is not a
         * hit: the CPU re-walks and sets D in the SPTE by a locked update, as the walk below does
         * (SDM 29.3.5; the L2 guest's shadow EPT is write-protected instead, so its D is not tracked).
         */
        private boolean hits(VmState s, TlbEntry t) {
            if (t == null || !grants(t.writable(), t.exec())) return false;
            return !pml(s) || kind != Access.WRITE || t.dirty();
        }

        /** Whether the CPU logs this access's dirty bit: PML, and not the nested guest's shadow EPT. */
        private boolean pml(VmState s) {
            return s.config.pml() && !nested;
        }

        private boolean grants(boolean writable, boolean exec) {
            return switch (kind) {
                case READ -> true;
                case WRITE -> writable;
                case EXEC -> exec;
            };
        }

        /**
         * dirty_log_lost: a write that reached memory while its slot logs dirty pages must be in the
         * bitmap, unless a dirty-log ioctl on the slot is still in flight (its snapshot or
         * userspace's first full copy covers the write; the ioctl's flush ends the window).
         */
        private static void checkLogged(Exec e, long gfn) {
            VmState s = e.s;
            int p = Memslots.of(s, gfn);
            if (!Memslots.logging(s, p) || (s.dirtyLogBusy & (1 << p)) != 0) return;
            if (!s.dirty(p, gfn - Memslots.base(s, p))) {
                e.violate(Invariant.dirty_log_lost, "write to gfn 0x" + Long.toHexString(gfn)
                        + " while memslot " + Memslots.slot(s, p).id() + " logs dirty pages, bit not set");
            }
        }

        /** wrong_address_space: the page reached through a root of the other role where SMRAM differs. */
        private void checkAddressSpace(Exec e, long gfn) {
            if (nested || e.s.smramEnd == 0) return;
            String why = VcpuRoots.wrongAddressSpace(e.s, vcpu, gfn);
            if (why != null) e.violate(Invariant.wrong_address_space, why);
        }

        private static void touch(Exec e, long pfn, long gfn) {
            if (Host.freed(e.s, pfn, gfn)) {
                e.violate(Invariant.use_after_free, "pfn 0x" + Long.toHexString(pfn) + " was freed by the host");
            }
        }

        /**
         * Lockless: reads the tables, fills this vCPU's TLB, sets the D bit, checks host pages and
         * dirty logging; an EPT violation takes srcu and reads fault->slot.
         */
        /** It writes fault->slot (and the lockless SPTE) only on the way into the fault. */
        public int[] localsRead() {
            return gpa.locals();
        }

        public int[] localsWritten(int pc, int target) {
            if (target == done || target == enterGuest) return LiveLocals.NONE;
            if (target == fastPf) return new int[] {slotFlags, oldSpte};
            return new int[] {slotFlags};
        }

        /**
         * Its own vCPU's TLB only; the walk's A bit (aging clears it) and, on a write, D; of the
         * host, only whether the page was freed.
         */
        public Footprint footprint() {
            Footprint f = withoutPml();
            return kind == Access.WRITE && !nested ? f.andUpdates(Resource.DIRTY_BITMAP) : f;
        }

        /** Without PML a write only checks the dirty log; with it, a walk that sets D marks the page dirty. */
        public Footprint footprint(VmConfig config) {
            return config.pml() ? footprint() : withoutPml();
        }

        private Footprint withoutPml() {
            return gpa.footprint().andUpdatesTlb(vcpu).andUpdates(Resource.SRCU_SELF)
                    .andReads(Resource.SPTE, Resource.MEMSLOTS, Resource.DIRTY_BITMAP).andReadsRoots(vcpu)
                    .andUpdates(Resource.SPTE_ACCESS).union(Host.FREED).andUpdates(Resource.VIOLATIONS).naming(vcpu);
        }

        /** A TLB hit reads the vCPU's TLB, the host's freed pfns and, for a write, the dirty log: no SPTE. */
        public Footprint footprint(VmState s, int thread) {
            if (enterGuest >= 0 && VcpuRoots.mustReload(s, vcpu, nested)) return gpa.footprint().union(VcpuRoots.reads(vcpu)).naming(vcpu);
            // Parked entries: Tlbs.enter compares their page with the root's, and unparks or drops them.
            if (Tlbs.parked(s, vcpu, nested) >= 0) return footprint(s.config);
            TlbEntry t = Tlbs.lookup(s, vcpu, gpa.eval(s, thread) >>> 12, nested);
            if (!hits(s, t)) return footprint(s.config);
            Footprint hit = gpa.footprint().andReadsTlb(vcpu).union(Host.FREED).andUpdates(Resource.VIOLATIONS);
            if (enterGuest >= 0) hit = hit.union(VcpuRoots.reads(vcpu)); // no reload pending
            // wrong_address_space reads the root's role, HF_SMM_MASK and SMRAM (MEMSLOTS): where SMRAM is
            // declared, or the role is already wrong (SMRAM declared next would make the hit a violation).
            if (!nested && (s.smramEnd != 0 || VcpuRoots.roleMismatch(s, vcpu))) {
                hit = hit.union(VcpuRoots.reads(vcpu)).andReads(Resource.MEMSLOTS);
            }
            return (kind == Access.WRITE ? hit.andReads(Resource.MEMSLOTS, Resource.DIRTY_BITMAP) : hit).naming(vcpu);
        }

        public int[] targets(int pc) {
            int[] t = fastPf >= 0 ? new int[] {pc + 1, done, fastPf} : new int[] {pc + 1, done};
            if (enterGuest < 0) return t;
            t = java.util.Arrays.copyOf(t, t.length + 1);
            t[t.length - 1] = enterGuest;
            return t;
        }

        public String describe() {
            return "vcpu " + vcpu + " " + kind.word();
        }
    }

    /**
     * VM entry after vcpu_enter_guest()'s root handling (x86.c:10673, v7.2), in the step of its last
     * op: the guest runs on vcpu->arch.mmu->root.hpa as kvm_mmu_reload() left it. A request made
     * since cancels the entry (kvm_vcpu_exit_request()) and the handling runs again; without one, a
     * vCPU whose root is INVALID_PAGE here enters on the EPT pointer of the root it put (a copy
     * that frees obsolete roots after kvm_mmu_reload(): kvm_mmu_page_fault() WARNs, the hardware
     * walks a root the vCPU holds no reference on). Never with the prelude's order.
     */
    public record VmEntry(int vcpu, boolean nested, int access) implements VcpuOp {
        public VmEntry forVcpu(int other) {
            return new VmEntry(other, nested, access);
        }

        public void exec(Exec e, int choice) {
            VmState s = e.s;
            if ((s.freeObsoleteRootsRequests & (1L << vcpu)) == 0 && s.root(vcpu, nested) < 0) {
                e.violate(Invariant.freed_root_in_use, "vCPU " + vcpu + (nested ? " (L2)" : "")
                        + " enters the guest with root.hpa INVALID_PAGE: vcpu_enter_guest() freed its root after"
                        + " kvm_mmu_reload() (or loaded none); the EPT pointer still names the root it put");
            }
            e.nextPc = access;
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return VcpuRoots.reads(vcpu).andUpdates(Resource.VIOLATIONS).naming(vcpu);
        }

        public int[] targets(int pc) {
            return new int[] {access};
        }

        public String describe() {
            return "vcpu " + vcpu + " VM entry";
        }
    }

    /** A page fault handler's results: the anonymous enum in mmu_internal.h (v7.2 as v6.12), in its order. */
    public static final int RET_PF_CONTINUE = 0;
    public static final int RET_PF_RETRY = 1;
    public static final int RET_PF_EMULATE = 2;
    public static final int RET_PF_WRITE_PROTECTED = 3;
    public static final int RET_PF_INVALID = 4;
    public static final int RET_PF_FIXED = 5;
    public static final int RET_PF_SPURIOUS = 6;

    /** Their names in the enum's order, so a name's index is its value (the language reads them: `let ret = RET_PF_INVALID`). */
    public static final List<String> RET_PF = List.of("RET_PF_CONTINUE", "RET_PF_RETRY", "RET_PF_EMULATE",
            "RET_PF_WRITE_PROTECTED", "RET_PF_INVALID", "RET_PF_FIXED", "RET_PF_SPURIOUS");

    /**
     * One pass of fast_page_fault()'s checks (mmu.c:3726, v7.2 as v6.12 for the model) on the last SPTE of the lockless walk,
     * for a write with fault->slot's flags: not a present leaf, or not MMU-writable, or a huge SPTE
     * while the slot logs dirty pages -> RET_PF_INVALID (the slow path); already writable ->
     * RET_PF_SPURIOUS (is_access_allowed()); else RET_PF_CONTINUE: the cmpxchg may set W.
     */
    static int fastPass(Walk w, long slotFlags) {
        if (w == null || !w.presentLeaf()) return RET_PF_INVALID;
        if (Spte.writable(w.spte())) return RET_PF_SPURIOUS;
        if ((w.spte() & Spte.MMU_WRITABLE) == 0) return RET_PF_INVALID;
        boolean logging = (slotFlags & Memslots.LOGGING) != 0;
        return readsSlot(w) && logging ? RET_PF_INVALID : RET_PF_CONTINUE;
    }

    /**
     * Whether the pass reads fault->slot: `sp->role.level > PG_LEVEL_4K &&
     * kvm_slot_dirty_track_enabled(fault->slot)` (mmu.c:3813) dereferences it only for a huge,
     * MMU-writable leaf that the write would make writable.
     */
    static boolean readsSlot(Walk w) {
        return w != null && w.presentLeaf() && !Spte.writable(w.spte()) && (w.spte() & Spte.MMU_WRITABLE) != 0
                && w.level() > Level.PG_LEVEL_4K;
    }

    /**
     * kvm_tdp_mmu_fast_pf_get_last_sptep() / fast_pf_get_last_sptep() (tdp_mmu.c:1925, mmu.c:3709, v7.2 as v6.12) and
     * the pass's checks ({@link #fastPass}): the lockless walk from the vCPU's root to the gfn's
     * last SPTE, read into local spte (0 if none); the pass's RET_PF_* is its value ({@link Ops.ValueOp}).
     */
    public record FastPfGetLastSptep(int vcpu, Expr gpa, int spte, int slotFlags, int result, int unless, boolean negate)
            implements VcpuOp, Ops.ValueOp {
        public FastPfGetLastSptep(int vcpu, Expr gpa, int spte, int slotFlags, int result) {
            this(vcpu, gpa, spte, slotFlags, result, -1, false);
        }

        public FastPfGetLastSptep forVcpu(int v) {
            return new FastPfGetLastSptep(v, gpa, spte, slotFlags, result, unless, negate);
        }

        public FastPfGetLastSptep branch(int unless, boolean negate) {
            return new FastPfGetLastSptep(vcpu, gpa, spte, slotFlags, -1, unless, negate);
        }

        public void exec(Exec e, int choice) {
            long[] l = e.self().locals;
            Walk w = Walk.of(e.s, vcpu, gpa.eval(e.s, e.thread) >>> 12, false);
            l[spte] = w == null ? 0 : w.spte();
            int pass = fastPass(w, l[slotFlags]);
            // The guest access's first pass read the slot it had just looked up (the active struct); a
            // later pass reads it after the lost cmpxchg, when a swap without a wait may have freed it.
            if (readsSlot(w)) Memslots.use(e, l[slotFlags], "fast_page_fault(): kvm_slot_dirty_track_enabled()");
            if (e.tracing()) e.note("fast_page_fault: lockless walk, " + switch (pass) {
                case RET_PF_SPURIOUS -> "already writable -> RET_PF_SPURIOUS";
                case RET_PF_INVALID -> "cannot be fixed here -> RET_PF_INVALID";
                default -> "MMU-writable, retry the cmpxchg";
            });
            Ops.deliver(e, pass, result, unless, negate);
        }

        public int[] localsRead() {
            return TdpMap.with(gpa.locals(), slotFlags);
        }

        public int[] localsWritten(int pc, int target) {
            return TdpMap.with(Ops.written(result), spte);
        }

        public int[] targets(int pc) {
            return Ops.targets(pc, unless);
        }

        /**
         * With the return to the guest that may follow in its step (srcu_read_unlock()) and, for a
         * huge leaf, the read of fault->slot ({@link Memslots#USE}).
         */
        public Footprint footprint() {
            return gpa.footprint().andReads(Resource.SPTE, Resource.SPTE_ACCESS).andReadsRoots(vcpu)
                    .union(Ops.release(dev.mmu.runtime.model.LockId.srcu)).union(Memslots.USE);
        }

        public String describe() {
            return "fast_pf_get_last_sptep";
        }
    }

    /**
     * fast_pf_fix_direct_spte() (mmu.c:3675, v7.2 as v6.12): try_cmpxchg64(sptep, &spte, spte | PT_WRITABLE_MASK),
     * then mark_page_dirty_in_slot(fault->slot) (the memslot looked up at the exit: a newer one may
     * be active by now). No mmu_lock: inside the vCPU's srcu section. Its value ({@link Ops.ValueOp}):
     * 1 if it swapped, 0 if another task changed the SPTE since the lockless walk read it.
     */
    public record FastPfFixDirectSpte(int vcpu, Expr gpa, int spte, int slotFlags, int result, int unless, boolean negate)
            implements VcpuOp, Ops.ValueOp {
        public FastPfFixDirectSpte(int vcpu, Expr gpa, int spte, int slotFlags, int result) {
            this(vcpu, gpa, spte, slotFlags, result, -1, false);
        }

        public FastPfFixDirectSpte forVcpu(int v) {
            return new FastPfFixDirectSpte(v, gpa, spte, slotFlags, result, unless, negate);
        }

        public FastPfFixDirectSpte branch(int unless, boolean negate) {
            return new FastPfFixDirectSpte(vcpu, gpa, spte, slotFlags, -1, unless, negate);
        }

        public void exec(Exec e, int choice) {
            long gfn = gpa.eval(e.s, e.thread) >>> 12;
            long[] l = e.self().locals;
            Walk w = Walk.of(e.s, vcpu, gfn, false);
            if (w == null || w.spte() != l[spte]) {
                e.note("fast_pf_fix_direct_spte: cmpxchg lost the race (SPTE changed)");
                Ops.deliver(e, 0, result, unless, negate);
                return;
            }
            e.note("fast_pf_fix_direct_spte: cmpxchg succeeds");
            Memslots.use(e, l[slotFlags], "fast_pf_fix_direct_spte(): mark_page_dirty_in_slot()");
            TdpMmu.writeSpte(e, w.spId(), w.index(), w.spte() | Spte.WRITABLE); // try_cmpxchg64(): no handle_changed_spte()
            if ((l[slotFlags] & Memslots.LOGGING) != 0) Memslots.markDirty(e, gfn);
            Ops.deliver(e, 1, result, unless, negate);
        }

        public int[] localsRead() {
            return TdpMap.with(gpa.locals(), spte, slotFlags);
        }

        public int[] localsWritten(int pc, int target) {
            return Ops.written(result);
        }

        public int[] targets(int pc) {
            return Ops.targets(pc, unless);
        }

        /**
         * The cmpxchg flips only W of a present leaf, then marks the page dirty: no mmu_lock; with the
         * return to the guest that may follow in its step (srcu_read_unlock()).
         */
        public Footprint footprint() {
            return gpa.footprint().andUpdates(Resource.SPTE_ACCESS, Resource.DIRTY_BITMAP, Resource.METRICS)
                    .andReads(Resource.SPTE, Resource.MEMSLOTS).andReadsRoots(vcpu)
                    .union(Ops.release(dev.mmu.runtime.model.LockId.srcu)).union(Memslots.USE);
        }

        public String describe() {
            return "fast_pf_fix_direct_spte";
        }
    }

    /**
     * The return of fast_page_fault() to its caller (kvm_tdp_page_fault(), direct_page_fault(),
     * v7.2 as v6.12): RET_PF_INVALID goes on to the slow path (still inside srcu); any other result returns
     * to the guest (srcu_read_unlock() before VM entry). Run inside the step of the path's last op;
     * the path's locals are dead from here ({@link LiveLocals}): nothing after reads them.
     */
    public record FastPageFaultReturn(int ret, int access, int slowPath) implements Op {
        public void exec(Exec e, int choice) {
            if (e.self().locals[ret] == RET_PF_INVALID) e.nextPc = slowPath;
            else reenter(e, access);
        }

        public int[] localsRead() {
            return new int[] {ret};
        }

        public Footprint footprint() {
            return Ops.release(dev.mmu.runtime.model.LockId.srcu);
        }

        public int[] targets(int pc) {
            return new int[] {access, slowPath};
        }

        public String describe() {
            return "return from fast_page_fault";
        }
    }

    /** Back to the guest: srcu_read_unlock() before VM entry (vcpu_enter_guest(), x86.c v7.2 as v6.12). */
    private static void reenter(Exec e, int pc) {
        Lock.release(e, dev.mmu.runtime.model.LockId.srcu);
        e.nextPc = pc;
    }

    /**
     * kvm_faultin_pfn() (v6.x), inside the vCPU's srcu read section (taken at the exit), on
     * fault->slot as looked up at the exit (a swap since then does not change it): no slot -> emulated MMIO (the access ends); a slot marked
     * KVM_MEMSLOT_INVALID (being deleted or moved) -> RET_PF_RETRY; else mmu_seq =
     * kvm->mmu_invalidate_seq; smp_rmb(); pfn = __gfn_to_pfn_memslot(). A write to a
     * KVM_MEM_READONLY slot gets KVM_PFN_ERR_RO_FAULT, and kvm_handle_error_pfn() (mmu.c v6.x)
     * returns RET_PF_EMULATE: the emulated write exits to userspace as MMIO, no SPTE is made.
     * Abstracted: the two mmu_invalidate_retry_gfn_unsafe() pre-checks around __kvm_faultin_pfn()
     * (mmu.c @56ea38e4): read without mmu_lock they may miss an invalidation, and one that sees it
     * only returns RET_PF_RETRY earlier than is_page_fault_stale() would under the lock.
     *
     * <p>fault->map_writable: a read fault asks hva_to_pfn() to promote the page to writable
     * (get_user_page_fast_only(FOLL_WRITE), kvm_main.c:2885 and 2938 v7.2), which may fail for any
     * reason (a PTE not yet writable, its A bit toggled meanwhile: 386d69f9f29b); then the page is
     * mapped read-only. In a slot with gup_fast_may_fail on, choice 1 is that failure (the same pfn,
     * NO_MAP_WRITABLE in the fault's slot local); elsewhere a read fault always promotes.
     */
    public record FaultIn(Expr gpa, int seqSlot, int pfnSlot, int slotFlags, int retry, int done, boolean write)
            implements Op {
        /** A read fault in a writable slot whose fast GUP may fail: mapped writable (0) or not (1). */
        public int choices(VmState s, int thread) {
            if (write) return 1;
            long flags = s.threads[thread].locals[slotFlags];
            if ((flags & (Memslots.FOUND | Memslots.INVALID | Memslots.READONLY)) != Memslots.FOUND) return 1;
            return Memslots.ofFault(s, flags, gpa.eval(s, thread) >>> 12).gupFastMayFail() ? 2 : 1;
        }

        public void exec(Exec e, int choice) {
            long gfn = gpa.eval(e.s, e.thread) >>> 12;
            long[] l = e.self().locals;
            long flags = l[slotFlags];
            Memslots.use(e, flags, "kvm_mmu_faultin_pfn()"); // slot->flags, __kvm_faultin_pfn(slot, ...)
            if ((flags & Memslots.FOUND) == 0) {
                if (e.tracing()) e.note("no memslot for gfn 0x" + Long.toHexString(gfn) + ": emulated MMIO");
                reenter(e, done);
                return;
            }
            if ((flags & Memslots.INVALID) != 0) {
                e.note("kvm_faultin_pfn: memslot is KVM_MEMSLOT_INVALID -> RET_PF_RETRY");
                reenter(e, retry);
                return;
            }
            l[seqSlot] = e.s.mmuInvalidateSeq;
            if (write && (flags & Memslots.READONLY) != 0) {
                if (e.tracing()) e.note("kvm_faultin_pfn: write to a read-only memslot -> RET_PF_EMULATE, MMIO exit");
                reenter(e, done);
                return;
            }
            l[pfnSlot] = Host.gfnToPfn(e, gfn);
            l[slotFlags] = choice == 1 ? flags | Memslots.NO_MAP_WRITABLE : flags & ~Memslots.NO_MAP_WRITABLE;
            if (e.tracing()) e.note("kvm_faultin_pfn: mmu_seq=" + l[seqSlot] + ", pfn 0x" + Long.toHexString(l[pfnSlot])
                    + (choice == 1 ? ", map_writable false (fast GUP could not get the page writable)" : ""));
        }

        public int[] localsRead() {
            int[] g = gpa.locals();
            if (g == null) return null;
            int[] r = java.util.Arrays.copyOf(g, g.length + 1);
            r[g.length] = slotFlags;
            return r;
        }

        /** Going on to the map, it has taken mmu_seq, the pfn and map_writable (in the slot local). */
        public int[] localsWritten(int pc, int target) {
            return target == pc + 1 && target != retry && target != done ? new int[] {seqSlot, pfnSlot, slotFlags}
                    : LiveLocals.NONE;
        }

        public Footprint footprint() {
            return withHost(Host.GFN_TO_PFN);
        }

        /**
         * A page already behind the hva is only read: another vCPU's fault-in can fill only a missing
         * one (Resource#HOST_ALLOC), so the two commute.
         */
        public Footprint footprint(VmState s, int thread) {
            boolean found = (s.threads[thread].locals[slotFlags] & Memslots.FOUND) != 0;
            return found && Host.present(s, gpa.eval(s, thread) >>> 12) ? withHost(Host.GFN_TO_PRESENT_PFN) : footprint();
        }

        private Footprint withHost(Footprint host) {
            return gpa.footprint().union(host).union(Ops.release(dev.mmu.runtime.model.LockId.srcu))
                    .andReads(Resource.INVALIDATE).union(Memslots.USE);
        }

        public int[] targets(int pc) {
            return new int[] {pc + 1, retry, done};
        }

        public String describe() {
            return "kvm_faultin_pfn";
        }
    }

    /** The end of the fault: read_unlock (write_unlock on the shadow MMU), then srcu_read_unlock on guest entry. */
    public record FaultUnlock() implements Op {
        public void exec(Exec e, int choice) {
            Lock.release(e, dev.mmu.runtime.model.LockId.mmu_lock);
            Lock.release(e, dev.mmu.runtime.model.LockId.srcu);
        }

        public int[] localsRead() {
            return LiveLocals.NONE;
        }

        public Footprint footprint() {
            return Ops.release(dev.mmu.runtime.model.LockId.mmu_lock).union(Ops.release(dev.mmu.runtime.model.LockId.srcu));
        }

        public String describe() {
            return "unlock mmu_lock, srcu";
        }
    }

    /**
     * is_page_fault_stale() (mmu.c:4807 v7.2, as v6.12 @56ea38e4) under mmu_lock: the vCPU's root is obsolete
     * (is_obsolete_sp(): kvm_mmu_zap_all_fast() invalidated it since the vCPU entered the guest; the
     * fault would install SPTEs into a root whose zap may have passed them, a955cad84cda, v5.16),
     * or mmu_invalidate_retry_gfn(): an invalidation that ended since kvm_faultin_pfn() read
     * mmu_seq (mmu_invalidate_seq moved), or one in progress over the gfn (one that began since on
     * another range does not count).
     */
    static boolean stale(Exec e, int root, long gfn, long mmuSeq) {
        VmState s = e.s;
        if (FastZap.obsolete(s, s.sp(root))) {
            e.note("is_page_fault_stale: the root is obsolete -> RET_PF_RETRY");
            return true;
        }
        if (!invalidateRetryGfn(s, gfn, mmuSeq)) return false;
        e.note("is_page_fault_stale: mmu_invalidate_retry_gfn -> RET_PF_RETRY");
        return true;
    }

    /**
     * mmu_invalidate_retry_gfn() (kvm_host.h:2147, v7.2 as v6.12; mmu_notifier_retry_hva() before v6.0,
     * mmu_invalidate_retry_hva() before v6.8): an invalidation ended since kvm_faultin_pfn() read
     * mmu_seq (mmu_invalidate_seq moved), or one in progress covers the gfn. Before a955cad84cda
     * (v5.16) this was all the fault checked under mmu_lock. The kernel tests in_progress for
     * non-zero: an _end too many (negative, KVM_BUG_ON) keeps the last range's faults retrying.
     */
    static boolean invalidateRetryGfn(VmState s, long gfn, long mmuSeq) {
        boolean inRange = s.mmuInvalidateInProgress != 0 && gfn >= s.mmuInvalidateRangeStart
                && gfn < s.mmuInvalidateRangeEnd;
        return inRange || s.mmuInvalidateSeq != mmuSeq;
    }

    /**
     * is_page_fault_stale(vcpu, fault) in kvm_tdp_mmu_page_fault() and direct_page_fault() (nested:
     * the L2 guest's, whose root is the nested shadow root): its value ({@link Ops.ValueOp}) is 1 if
     * the fault must return RET_PF_RETRY. Without obsoleteRoot, mmu_invalidate_retry_gfn() alone:
     * the check before a955cad84cda.
     */
    public record PageFaultStale(int vcpu, Expr gpa, int seqSlot, int result, int unless, boolean negate,
                                 boolean obsoleteRoot, boolean nested) implements VcpuOp, Ops.ValueOp {
        /** is_page_fault_stale() of an L1 fault into local result. */
        public PageFaultStale(int vcpu, Expr gpa, int seqSlot, int result) {
            this(vcpu, gpa, seqSlot, result, -1, false, true, false);
        }

        public PageFaultStale forVcpu(int v) {
            return new PageFaultStale(v, gpa, seqSlot, result, unless, negate, obsoleteRoot, nested);
        }

        public PageFaultStale branch(int unless, boolean negate) {
            return new PageFaultStale(vcpu, gpa, seqSlot, -1, unless, negate, obsoleteRoot, nested);
        }

        public void exec(Exec e, int choice) {
            long gfn = gpa.eval(e.s, e.thread) >>> 12;
            long seq = e.self().locals[seqSlot];
            boolean stale = obsoleteRoot ? stale(e, e.s.root(vcpu, nested), gfn, seq) : invalidateRetryGfn(e.s, gfn, seq);
            if (stale && !obsoleteRoot) e.note("mmu_invalidate_retry_gfn -> RET_PF_RETRY");
            Ops.deliver(e, stale ? 1 : 0, result, unless, negate);
        }

        public int[] localsRead() {
            return TdpMap.with(gpa.locals(), seqSlot);
        }

        public int[] localsWritten(int pc, int target) {
            return Ops.written(result);
        }

        public Footprint footprint() {
            Footprint f = gpa.footprint().andReads(Resource.INVALIDATE);
            return obsoleteRoot ? f.andReads(Resource.INVALID_ROOTS).andReadsRoots(vcpu) : f;
        }

        public int[] targets(int pc) {
            return Ops.targets(pc, unless);
        }

        public String describe() {
            return obsoleteRoot ? "is_page_fault_stale" : "mmu_invalidate_retry_gfn";
        }
    }
}
