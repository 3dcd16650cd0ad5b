package dev.mmu.runtime.paths;

import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;

import java.util.List;
import java.util.function.IntToLongFunction;

/**
 * The active memslots of a state (kvm->memslots): the configured slots minus deleted ones, with
 * the flags that change at run time (KVM_MEM_LOG_DIRTY_PAGES, KVM_MEMSLOT_INVALID). Slots are
 * named by their position in the configuration; bit i of the state's masks is slot position i.
 */
public final class Memslots {
    /** Flags a fault snapshots from its memslot (fault->slot), kept in a local. */
    static final long FOUND = 1;
    static final long LOGGING = 2;
    static final long INVALID = 4;
    static final long READONLY = 8;
    /** Where {@link #snapshot} keeps the generation of the struct it names ({@link #GENS} values). */
    static final int GEN_SHIFT = 4;
    /**
     * Set in a fault's snapshot by the swap whose new struct took its struct's generation while the
     * struct was freed ({@link #retire(Exec, int)}): it stays freed, whatever the masks say later.
     */
    static final long STALE = 1L << 6;
    /**
     * Not a slot flag: set by kvm_faultin_pfn() when the read fault got its page without write
     * access (fault->map_writable false, which the kernel starts from the slot's KVM_MEM_READONLY),
     * so that make_spte() builds the leaf without W and MMU-writable ({@link FaultOps.FaultIn}).
     */
    static final long NO_MAP_WRITABLE = 1L << 7;
    /** Where {@link #snapshot} keeps the slot's position. */
    static final int POSITION_SHIFT = 8;

    /**
     * The struct kvm_memory_slot copies of one position: each swap (kvm_swap_active_memslots())
     * publishes a new one and retires the one it replaced, kfree_memslot frees the retired ones.
     * A struct is named by its generation mod GENS, packed per position into VmState.slotStructs:
     * the current one's in bits 0-1, the retired ones as a mask from RETIRED_SHIFT, the freed ones
     * from FREED_SHIFT. Generations wrap after GENS swaps (the new struct's number leaves both
     * masks): the swap marks a fault that still holds the freed struct of that number STALE
     * (docs/kernel-model.md, "Memslot structs are freed").
     */
    static final int GENS = 4;
    private static final int GEN_MASK = GENS - 1;
    /** A mask with one bit per generation (the retired and the freed masks). */
    private static final int EVERY_GEN = (1 << GENS) - 1;
    private static final int RETIRED_SHIFT = 4;
    private static final int FREED_SHIFT = 8;

    /** The memslot a fault's snapshot names (fault->slot), or the gfn's now if it found none. */
    static Memslot ofFault(VmState s, long flags, long gfn) {
        return (flags & FOUND) != 0 ? slot(s, (int) (flags >>> POSITION_SHIFT)) : slot(s, of(s, gfn));
    }

    private Memslots() {}

    /** __gfn_to_memslot(): position of the active slot holding gfn, or -1 (no slot: emulated MMIO). */
    public static int of(VmState s, long gfn) {
        var l = s.config.memslots();
        for (int i = 0; i < l.size(); i++) {
            if ((s.slotDeleted & (1 << i)) == 0 && gfn >= s.slotBase[i] && gfn < s.slotBase[i] + l.get(i).npages()) {
                return i;
            }
        }
        return -1;
    }

    /** The position of the configured memslot with this id (id_to_memslot()), or -1. */
    public static int position(VmConfig c, long id) {
        for (int i = 0; i < c.memslots().size(); i++) if (c.memslots().get(i).id() == id) return i;
        return -1;
    }

    /**
     * kvm_check_memslot_overlap(): whether [base, base + npages) meets an active slot other than
     * the one at position `self` (__kvm_set_memory_region() then fails with -EEXIST).
     */
    public static boolean overlaps(VmState s, int self, long base, long npages) {
        for (int p = 0; p < s.config.memslots().size(); p++) {
            if (p == self || (s.slotDeleted & (1 << p)) != 0) continue;
            if (base < end(s, p) && base(s, p) < base + npages) return true;
        }
        return false;
    }

    /**
     * kvm_memslot_iter_start(iter, slots, start, end) and kvm_memslot_iter_is_valid()
     * (kvm_host.h): the id of the first memslot in gfn order that ends after start and begins
     * before end, or -1. Called again from a slot's end it is kvm_memslot_iter_next().
     */
    static long iterStart(VmState s, long start, long end) {
        return first(s, start, end, i -> base(s, i), i -> end(s, i));
    }

    /**
     * kvm_for_each_memslot_in_hva_range(): the id of the first live memslot in hva order (the
     * model's hva is the configured gpa, which a move keeps) whose [userspace_addr, + npages pages)
     * meets [start, end), or -1.
     */
    static long hvaIterStart(VmState s, long start, long end) {
        var l = s.config.memslots();
        return first(s, start, end, i -> l.get(i).baseGfn() << 12, i -> l.get(i).endGfn() << 12);
    }

    /** The id of the live slot with the lowest lo among those whose [lo, hi) meets [start, end), or -1. */
    private static long first(VmState s, long start, long end, IntToLongFunction lo, IntToLongFunction hi) {
        int best = -1;
        for (int i = 0; i < s.config.memslots().size(); i++) {
            if ((s.slotDeleted & (1 << i)) != 0 || hi.applyAsLong(i) <= start || lo.applyAsLong(i) >= end) continue;
            if (best < 0 || lo.applyAsLong(i) < lo.applyAsLong(best)) best = i;
        }
        return best < 0 ? -1 : s.config.memslots().get(best).id();
    }

    /** slot->base_gfn now (it changes with KVM_MR_MOVE). */
    public static long base(VmState s, int position) {
        return s.slotBase[position];
    }

    /** The slot's current first gfn and end gfn, as expressions (a move changes them). */
    static Expr baseGfn(int position) {
        return Expr.of(Footprint.reads(Resource.MEMSLOTS), LiveLocals.NONE, (s, t) -> base(s, position));
    }

    static Expr endGfn(int position) {
        return Expr.of(Footprint.reads(Resource.MEMSLOTS), LiveLocals.NONE, (s, t) -> end(s, position));
    }

    public static long end(VmState s, int position) {
        return s.slotBase[position] + slot(s, position).npages();
    }

    /**
     * The gfn's host address in configured coordinates: the gfn the configuration gives to the same
     * offset of the same memslot (the hva does not move with KVM_MR_MOVE). Host pages are indexed by it.
     */
    public static long hvaGfn(VmState s, long gfn) {
        int p = of(s, gfn);
        return p < 0 ? gfn : slot(s, p).baseGfn() + (gfn - base(s, p));
    }

    /**
     * The gfn ranges (pairs, current coordinates) that an hva range given in configured gpas covers,
     * slot by slot, as kvm_handle_hva_range() finds them through each memslot's hva interval.
     */
    public static long[] gfnRangesOfHva(VmState s, long start, long end) {
        var l = s.config.memslots();
        long[] out = new long[0];
        for (int i = 0; i < l.size(); i++) {
            if ((s.slotDeleted & (1 << i)) != 0) continue;
            Memslot m = l.get(i);
            long a = Math.max(start, m.baseGfn());
            long b = Math.min(end, m.endGfn());
            if (a >= b) continue;
            out = java.util.Arrays.copyOf(out, out.length + 2);
            out[out.length - 2] = a - m.baseGfn() + base(s, i);
            out[out.length - 1] = b - m.baseGfn() + base(s, i);
        }
        return out;
    }

    public static Memslot slot(VmState s, int position) {
        return s.config.memslots().get(position);
    }

    /** kvm_slot_dirty_track_enabled(slot). */
    public static boolean logging(VmState s, int position) {
        return position >= 0 && (s.slotLogging & (1 << position)) != 0;
    }

    /**
     * The fault's view of its slot (what fault->slot points at): FOUND, LOGGING, INVALID, READONLY
     * bits, and the slot's position from {@link #POSITION_SHIFT}: the fault keeps using that slot
     * (kvm_mmu_hugepage_adjust() reads fault->slot) even if a memslot update moved or removed it
     * since, which only a swap without synchronize_srcu() lets happen.
     */
    static long snapshot(VmState s, long gfn) {
        int p = of(s, gfn);
        if (p < 0) return 0;
        long f = (slot(s, p).readonly() ? FOUND | READONLY : FOUND) | (long) p << POSITION_SHIFT
                | (long) generation(s, p) << GEN_SHIFT;
        if (logging(s, p)) f |= LOGGING;
        if ((s.slotInvalid & (1 << p)) != 0) f |= INVALID;
        return f;
    }

    /** The generation of the position's current struct kvm_memory_slot: part of {@link Resource#MEMSLOTS}. */
    public static int generation(VmState s, int position) {
        return structs(s, position) & GEN_MASK;
    }

    /** The position's retired and freed structs (a mask each, packed): {@link Resource#MEMSLOT_STRUCTS}. */
    public static int retiredAndFreed(VmState s, int position) {
        return structs(s, position) & ~GEN_MASK;
    }

    private static int structs(VmState s, int position) {
        return position < s.slotStructs.length ? s.slotStructs[position] : 0;
    }

    /**
     * Only ever a non-zero value (a swap retires a struct, nothing clears the masks), so the array
     * ends at the highest position swapped: equal contents, equal arrays.
     */
    private static void setStructs(VmState s, int position, int packed) {
        int[] a = java.util.Arrays.copyOf(s.slotStructs, Math.max(s.slotStructs.length, position + 1));
        a[position] = packed;
        s.slotStructs = a;
    }

    /**
     * {@link #retire(VmState, int)} in a step: where the new struct's generation comes round to one
     * a fault (a thread inside kvm->srcu) still holds, the fault's snapshot is marked {@link #STALE}
     * if that struct was freed, so its next read is still a use_after_free; if it was only retired
     * (GENS swaps with no kfree_memslot between: a copy that never frees), the model cannot tell
     * when it is freed and stops with an error. Only a swap without synchronize_srcu() lets a fault
     * hold a struct across GENS swaps, so scenarios that keep the wait never reach either.
     */
    static void retire(Exec e, int position) {
        outlive(e, position, (generation(e.s, position) + 1) & GEN_MASK);
        retire(e.s, position);
    }

    /**
     * Marks the snapshots of the position's struct `gen` that faults inside kvm->srcu still hold.
     * A fault can hold only a struct it found active, so one held here is retired or freed: the
     * new struct is about to take its number.
     */
    private static void outlive(Exec e, int position, int gen) {
        VmState s = e.s;
        for (int t = 0; t < s.threads.length; t++) {
            if (!Lock.held(s, t, LockId.srcu)) continue;
            List<String> names = e.program.threads().get(t).localNames();
            for (int i = 0; i < names.size(); i++) {
                long f = s.threads[t].locals[i];
                if (!names.get(i).equals(FAULT_SLOT) || (f & (FOUND | STALE)) != FOUND || (int) (f >>> POSITION_SHIFT) != position
                        || (int) (f >>> GEN_SHIFT & GEN_MASK) != gen) {
                    continue;
                }
                if ((structs(s, position) >>> FREED_SHIFT & 1 << gen) == 0) {
                    // (no "memslot" in the text: ScenarioRunner would call it an address computed while exploring)
                    throw new ScenarioError("thread " + e.program.threads().get(t).name() + " holds the struct kvm_memory_slot of slot id "
                            + slot(s, position).id() + " that " + GENS + " swaps replaced with no free between; the model tells only "
                            + GENS + " of a slot's structs apart (Memslots.GENS)");
                }
                s.threadForWrite(t).locals[i] = f | STALE;
            }
        }
    }

    /** The name of the local that holds a fault's snapshot (KernelPaths.guestAccess). */
    public static final String FAULT_SLOT = "fault->slot";

    /**
     * What {@link #outlive} reads and writes: every thread's srcu read side, which holds the
     * thread's fault->slot (the struct a fault holds is held under kvm->srcu; only the thread
     * itself writes the local otherwise, taking srcu as it does, GuestAccess). A footprint cannot
     * name another thread's locals, so the scan of a thread's snapshot reads its srcu unit and the
     * mark writes it; every read of the mark reads the reader's own unit ({@link #USE}).
     */
    static final Footprint OUTLIVE = Footprint.updates(Resource.SRCU);

    /**
     * {@link #OUTLIVE} where the swap of the position may mark a snapshot in s: the new struct's
     * number names a retired or freed struct (a held one is one of these; only from the 4th swap
     * of a position on). Else the scan finds nothing whatever the threads hold: nothing.
     */
    static Footprint outliveFootprint(VmState s, int position) {
        int gen = (generation(s, position) + 1) & GEN_MASK;
        int v = structs(s, position);
        return ((v >>> RETIRED_SHIFT | v >>> FREED_SHIFT) & 1 << gen) != 0 ? OUTLIVE : Footprint.LOCAL;
    }

    /** flags with the {@link #STALE} mark flipped if they name a struct (what the footprint tests perturb). */
    public static long markFlipped(long flags) {
        return (flags & FOUND) != 0 ? flags ^ STALE : flags;
    }

    /**
     * kvm_swap_active_memslots() replacing the position's struct: the new one gets the next
     * generation, the old one is retired (still allocated: kvm_set_memslot() frees it after the
     * swap's synchronize_srcu_expedited()).
     */
    static void retire(VmState s, int position) {
        int v = structs(s, position);
        int old = v & GEN_MASK, gen = (old + 1) & GEN_MASK;
        int retired = ((v >>> RETIRED_SHIFT) | 1 << old) & ~(1 << gen) & EVERY_GEN;
        int freed = (v >>> FREED_SHIFT) & ~(1 << gen) & EVERY_GEN;
        setStructs(s, position, gen | retired << RETIRED_SHIFT | freed << FREED_SHIFT);
    }

    /**
     * kfree(invalid_slot) in kvm_set_memslot() and kvm_free_memslot(old) / kfree(old) in
     * kvm_commit_memory_region() (kvm_main.c:1969, 1726, 1757, v7.2): every retired struct of the
     * position is freed. Returns how many.
     */
    static int free(VmState s, int position) {
        int v = structs(s, position);
        int retired = (v >>> RETIRED_SHIFT) & EVERY_GEN;
        if (retired == 0) return 0;
        setStructs(s, position, (v & GEN_MASK) | (((v >>> FREED_SHIFT) | retired) & EVERY_GEN) << FREED_SHIFT);
        return Integer.bitCount(retired);
    }

    /** Whether the struct a fault's snapshot names was freed (what {@link #use} checks). */
    static boolean freed(VmState s, long flags) {
        if ((flags & FOUND) == 0) return false;
        if ((flags & STALE) != 0) return true;
        int p = (int) (flags >>> POSITION_SHIFT);
        int gen = (int) (flags >>> GEN_SHIFT) & GEN_MASK;
        return (structs(s, p) >>> FREED_SHIFT & 1 << gen) != 0;
    }

    /**
     * A read of fault->slot (the struct kvm_vcpu_gfn_to_memslot() returned at the exit, under
     * kvm->srcu): use_after_free if kfree_memslot freed it since, which only a swap without
     * synchronize_srcu() before the free lets happen.
     */
    static void use(Exec e, long flags, String where) {
        if (!freed(e.s, flags)) return;
        int p = (int) (flags >>> POSITION_SHIFT);
        e.violate(Invariant.use_after_free, where + " reads fault->slot, memslot " + slot(e.s, p).id()
                + "'s struct kvm_memory_slot, which kvm_set_memslot() freed: the vCPU looked it up under kvm->srcu"
                + " before a kvm_swap_active_memslots() replaced it, and no synchronize_srcu() waited for it");
    }

    /**
     * What {@link #use} reads (and the violation it may record): the masks, and its own srcu read
     * side, which holds its fault->slot and so the {@link #STALE} mark another thread's swap sets
     * ({@link #OUTLIVE}).
     */
    static final Footprint USE = Footprint.reads(Resource.MEMSLOT_STRUCTS, Resource.SRCU_SELF).andUpdates(Resource.VIOLATIONS);

    /** mark_page_dirty_in_slot(kvm, slot, gfn): only while the slot logs dirty pages. */
    static void markDirty(Exec e, long gfn) {
        int p = of(e.s, gfn);
        if (!logging(e.s, p)) return;
        long off = gfn - base(e.s, p);
        if (!e.s.dirty(p, off)) {
            e.s.markDirty(p, off);
            e.note("mark_page_dirty_in_slot gfn 0x" + Long.toHexString(gfn));
        }
    }
}
