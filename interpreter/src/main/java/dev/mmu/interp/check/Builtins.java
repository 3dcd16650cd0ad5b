package dev.mmu.interp.check;

import dev.mmu.runtime.paths.FaultOps;
import dev.mmu.runtime.paths.Lockdep;
import dev.mmu.runtime.paths.Primitive;
import dev.mmu.runtime.paths.Primitives;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Every name the language knows without a declaration, in one table: kernel paths, primitives,
 * queries, globals, invariants, stats and metrics. The primitives come from the runtime's registry
 * ({@link Primitives}); the rest are declared here. The checker resolves against it, the compiler
 * maps each entry to the runtime, the language server completes and explains it, and tests keep
 * the docs and the editor grammar in agreement with it.
 */
public final class Builtins {

    /** What a built-in name denotes. */
    public enum Kind {
        KERNEL_PATH,  // a whole kernel routine with its own locking: command or call form
        PRIMITIVE,    // a step a user path composes: needs the caller to hold the right lock
        QUERY,        // reads model state in expressions: spte(gpa), tlb(vcpu, gpa), host(gpa)
        GLOBAL,       // a name in expressions: stat, vm, root, invalid_list, lpage_disallowed
        INVARIANT,    // expect never / expect violation
        STAT,         // stat.NAME, as in kvm->stat
        METRIC        // expect max NAME <= N
    }

    /**
     * A parameter; every parameter may be passed positionally or by name, and one with a default
     * may be left out.
     */
    public record Param(String name, Type type, OptionalLong defaultValue) {
        Param(String name, Type type) {
            this(name, type, OptionalLong.empty());
        }

        /** As a signature shows it: {@code can_yield: bool = true}. */
        public String text() {
            String shown = name + ": " + (type == null ? "?" : type.display);
            if (defaultValue.isEmpty()) {
                return shown;
            }
            long v = defaultValue.getAsLong();
            return shown + " = " + (type == Type.BOOL ? Boolean.toString(v != 0) : Long.toString(v));
        }
    }

    /**
     * One built-in name. {@code kernelFunction} is what it models, {@code kernelVersion} the version
     * followed ("" where it is not recorded), {@code doc} one line on why, {@code lock} what a
     * primitive asserts (lockdep).
     */
    public record Builtin(String name, Kind kind, List<Param> params, Type returns,
                          Lockdep lock, String kernelFunction, String kernelVersion, String doc) {
    }

    /** The kernel's WARN macros a path may write: a statement, or an if's whole condition. */
    public static final List<String> WARNS = List.of("WARN_ON_ONCE", "WARN_ON");

    private static final Map<String, Builtin> TABLE = new LinkedHashMap<>();
    private static final Map<String, String> ALIASES = new LinkedHashMap<>();

    private static final Map<Type, Map<String, Type>> FIELDS = Map.ofEntries(
            Map.entry(Type.SP, ordered("gfn", Type.INT, "gfn_end", Type.INT, "level", Type.INT, "tdp", Type.BOOL, "invalid", Type.BOOL)),
            Map.entry(Type.ITER, ordered("gfn", Type.INT, "level", Type.INT, "present", Type.BOOL, "leaf", Type.BOOL)),
            Map.entry(Type.LEAF_ITER, ordered("gfn", Type.INT, "level", Type.INT, "old_spte", Type.INT, "present", Type.BOOL,
                    "leaf", Type.BOOL)),
            Map.entry(Type.FAULT_ITER, ordered("level", Type.INT, "old_spte", Type.INT, "sp", Type.SP, "gfn", Type.INT)),
            Map.entry(Type.SHADOW_ITER, ordered("level", Type.INT, "sp", Type.SP)),
            Map.entry(Type.FAULT, ordered("goal_level", Type.INT, "req_level", Type.INT, "huge_page_disallowed", Type.BOOL,
                    "pfn", Type.INT)),
            Map.entry(Type.SPTE, ordered("level", Type.INT, "present", Type.BOOL, "writable", Type.BOOL,
                    "exec", Type.BOOL, "pfn", Type.INT, "accessed", Type.BOOL, "dirty", Type.BOOL,
                    "mmu_writable", Type.BOOL, "host_writable", Type.BOOL)),
            Map.entry(Type.TLB_ENTRY, ordered("present", Type.BOOL, "writable", Type.BOOL, "exec", Type.BOOL,
                    "level", Type.INT, "pfn", Type.INT)),
            Map.entry(Type.HOST_PAGE, ordered("freed", Type.BOOL)),
            Map.entry(Type.MEMSLOT, ordered("base_gfn", Type.INT, "npages", Type.INT, "userspace_addr", Type.INT)),
            Map.entry(Type.RANGE, ordered("start", Type.INT, "end", Type.INT)),
            Map.entry(Type.LIST, ordered("len", Type.INT)),
            Map.entry(Type.NX_LIST, ordered("nr_pages", Type.INT, "len", Type.INT)),
            Map.entry(Type.VM, ordered("nx_huge_pages", Type.BOOL, "nx_recovery_ratio", Type.INT,
                    "eager_page_split", Type.BOOL, "pml", Type.BOOL, "flush_remote_tlbs_range", Type.BOOL,
                    "slot_zap_all", Type.BOOL, "tdp_levels", Type.INT, "vcpus", Type.INT, "tdp_mmu", Type.BOOL,
                    "nested_mmu", Type.BOOL, "has_rmaps", Type.BOOL)));

    static {
        kernelPath("kvm_recover_nx_lpages", List.of(), "kvm_recover_nx_lpages",
                "NX huge page recovery worker: zaps 1/ratio of lpage_disallowed, yielding mmu_lock (after the 2021 flush fix)");
        alias("kvm_recover_nx_huge_pages", "kvm_recover_nx_lpages"); // its name since v6.0
        kernelPath("kvm_nx_huge_page_recovery_worker", List.of(), "kvm_nx_huge_page_recovery_worker",
                "NX huge page recovery worker's pass: kvm_recover_nx_huge_pages, once per MMU's list since 6.18 (shadow MMU first)");
        kernelPath("kvm_tdp_mmu_zap_gfn_range", List.of(range()), "kvm_tdp_mmu_zap_gfn_range",
                "zaps a gpa range in every TDP root under mmu_lock, may yield");
        kernelPath("kvm_mmu_notifier_invalidate_range", List.of(range()), "kvm_mmu_notifier_invalidate_range_start",
                "host MMU notifier: unmaps a gpa range and flushes before the host may free it");
        alias("mmu_notifier_invalidate", "kvm_mmu_notifier_invalidate_range");
        kernelPath("kvm_mmu_notifier_invalidate_range_nonblock", List.of(range()),
                "kvm_mmu_notifier_invalidate_range_start",
                "host MMU notifier from the OOM reaper (may_block false): unmaps a gpa range without yielding, flushes");
        alias("mmu_notifier_invalidate_nonblock", "kvm_mmu_notifier_invalidate_range_nonblock");
        kernelPath("kvm_mmu_notifier_clear_flush_young", List.of(range()), "kvm_mmu_notifier_clear_flush_young",
                "host MMU notifier (page reclaim): clears the A bits of a gpa range, flushes if one was set");
        kernelPath("kvm_mmu_notifier_clear_young", List.of(range()), "kvm_mmu_notifier_clear_young",
                "host MMU notifier (page aging): clears the A bits of a gpa range without a flush");
        kernelPath("kvm_mmu_notifier_test_young", List.of(range()), "kvm_mmu_notifier_test_young",
                "host MMU notifier: whether an SPTE of a gpa range has its A bit set");
        kernelPath("host_free", List.of(range()), "free_pages_and_swap_cache (host mm)",
                "the host frees the pages backing a gpa range; valid only after an invalidation");
        kernelPath("kvm_mmu_zap_all_fast", List.of(), "kvm_mmu_zap_all_fast",
                "invalidates every root by generation and zaps obsolete pages, yielding");
        kernelPath("kvm_flush_remote_tlbs", List.of(), "kvm_flush_remote_tlbs",
                "flushes every vCPU's TLB and waits for the IPIs");
        kernelPath("kvm_smm_changed", List.of(integer("vcpu"), new Param("entering_smm", Type.BOOL)), "kvm_smm_changed",
                "a vCPU enters or leaves SMM: it drops its root and loads one of address space 1 (or 0) at its next entry");
        kernelPath("dirty_log_enable", List.of(slot()), "kvm_set_memslot (KVM_MR_FLAGS_ONLY)",
                "turns dirty logging on for a memslot: eager split, write protection, TLB flush");
        kernelPath("kvm_mmu_slot_remove_write_access", List.of(slot()), "kvm_mmu_slot_remove_write_access",
                "write-protects a memslot's SPTEs (no flush: the caller flushes)");
        kernelPath("dirty_log_disable", List.of(slot()), "kvm_set_memslot (KVM_MR_FLAGS_ONLY)",
                "turns dirty logging off for a memslot and lets huge pages come back");
        kernelPath("clear_dirty_log", List.of(slot()), "kvm_clear_dirty_log_protect",
                "KVM_CLEAR_DIRTY_LOG: clears dirty bits and write-protects those pages again");
        kernelPath("kvm_mmu_recover_huge_pages", List.of(slot()), "kvm_mmu_recover_huge_pages",
                "recovers huge mappings after dirty logging stops: the TDP MMU's in place (since v6.13; 6.18, 7.2)");
        kernelPath("kvm_mmu_zap_collapsible_sptes", List.of(slot()), "kvm_mmu_zap_collapsible_sptes",
                "zaps 4K SPTEs that could be mapped huge again after dirty logging stops (until v6.13; 5.10-6.12)");
        kernelPath("memslot_delete", List.of(slot()), "kvm_set_memslot (KVM_MR_DELETE)",
                "deletes a memslot: invalidates it, waits for SRCU readers, zaps every root (quirk slot_zap_all, the"
                        + " default) or only the slot's SPTEs (quirk slot_zap_all off)");
        kernelPath("memslot_move", List.of(slot(), new Param("base_gpa", Type.INT)), "kvm_set_memslot (KVM_MR_MOVE)",
                "moves a memslot to a new base gpa");
        kernelPath("eager_split", List.of(slot()), "kvm_mmu_slot_try_split_huge_pages",
                "eager page split: splits huge SPTEs of a memslot under mmu_lock held for read");
        alias("kvm_mmu_slot_try_split_huge_pages", "eager_split");

        Primitives.all().values().forEach(Builtins::primitive);
        Primitives.aliases().forEach(Builtins::alias);

        add("spte", Kind.QUERY, List.of(integer("gpa")), Type.SPTE, "(model state)",
                "the SPTE mapping gpa: level, present, writable, exec, pfn, accessed, dirty");
        add("tlb", Kind.QUERY, List.of(integer("vcpu"), integer("gpa")), Type.BOOL, "(model state)",
                "whether the vCPU's TLB caches a translation for gpa; .present, .writable, .exec, .level, .pfn");
        add("host", Kind.QUERY, List.of(integer("gpa")), Type.HOST_PAGE, "(model state)",
                "the host page backing gpa: freed");
        add("is_frozen_spte", Kind.QUERY, List.of(integer("spte")), Type.BOOL, "is_frozen_spte",
                "whether an SPTE value is FROZEN_SPTE: another task is changing it (iter.old_spte)");
        // The SPTE-value helpers of spte.h that tdp_mmu_map_handle_target_level() tests iter.old_spte with.
        add("is_shadow_present_pte", Kind.QUERY, List.of(integer("spte")), Type.BOOL, "is_shadow_present_pte",
                "whether an SPTE value is present (FROZEN_SPTE and 0 are not)");
        // include/asm-generic/bug.h: a statement, or an if's whole condition (`if WARN_ON_ONCE(c) { return }`).
        for (String warn : WARNS) {
            add(warn, Kind.QUERY, List.of(new Param("condition", Type.BOOL)), Type.BOOL, warn,
                    "the kernel's warning: its condition's value; when it holds, a kernel_warning violation"
                            + " (always checked: a WARN splat is a bug). A statement or an if's whole condition");
        }
        add("is_accessed_spte", Kind.QUERY, List.of(integer("spte")), Type.BOOL, "is_accessed_spte",
                "whether an SPTE value has its A bit set (shadow_accessed_mask: the model's SPTEs have A/D bits)");
        add("is_last_spte", Kind.QUERY, List.of(integer("spte"), integer("level")), Type.BOOL, "is_last_spte",
                "whether an SPTE value at level maps a page: level is 4K, or it is a huge leaf");
        add("is_access_allowed", Kind.QUERY, List.of(new Param("fault", Type.FAULT), integer("spte")), Type.BOOL,
                "is_access_allowed", "whether an SPTE value allows the fault's access: X for an exec fault, W for a write,"
                        + " present for a read (v6.13-v7.2)");
        add("spte_permission_fault", Kind.QUERY, List.of(integer("spte"), new Param("fault", Type.FAULT)), Type.BOOL,
                "spte_permission_fault", "whether an SPTE value forbids the fault's access: not present, or no X for an"
                        + " exec fault, no W for a write (v7.3; the kernel's first argument, vcpu->arch.mmu, is left out:"
                        + " the model's SPTEs have no user or SMAP bits)");
        add("spte_to_pfn", Kind.QUERY, List.of(integer("spte")), Type.INT, "spte_to_pfn",
                "the pfn a leaf SPTE value maps (its first page's, for a huge leaf)");
        add("leaf_spte_change_needs_tlb_flush", Kind.QUERY, List.of(integer("old_spte"), integer("new_spte")), Type.BOOL,
                "leaf_spte_change_needs_tlb_flush", "whether replacing a leaf SPTE value by another drops its MMU-writable bit");
        add("possible_nx_huge_pages", Kind.QUERY, List.of(integer("mmu_type")), Type.NX_LIST,
                "kvm->arch.possible_nx_huge_pages[mmu_type]", "v6.18's NX list of one MMU (KVM_SHADOW_MMU, KVM_TDP_MMU): "
                        + ".nr_pages (the u64 counter track/untrack keep), .len (the list's length: 0 is list_empty()), or"
                        + " 'for sp in possible_nx_huge_pages(t) take N'; before 6.18 every page is on KVM_SHADOW_MMU's");
        add("DIV_ROUND_UP", Kind.QUERY, List.of(integer("n"), integer("d")), Type.INT, "DIV_ROUND_UP",
                "(n + d - 1) / d in unsigned 64-bit arithmetic, as the kernel's macro on a u64 (wraps; 0 if d is 0)");
        add("id_to_memslot", Kind.QUERY, List.of(integer("id")), Type.MEMSLOT, "id_to_memslot",
                "the memslot with that id: base_gfn (it moves with KVM_MR_MOVE), npages, userspace_addr (its hva: the configured gpa)");

        add("stat", Kind.GLOBAL, List.of(), Type.STATS, "kvm->stat", "the VM's statistics");
        add("vm", Kind.GLOBAL, List.of(), Type.VM, "kvm->arch", "the vm { } settings");
        add("root", Kind.GLOBAL, List.of(), Type.ROOT, "kvm->arch.tdp_mmu_roots", "the current TDP root");
        add("invalid_list", Kind.GLOBAL, List.of(), Type.LIST, "invalid_list",
                "shadow pages prepared for zapping, not yet committed");
        add("lpage_disallowed", Kind.GLOBAL, List.of(), Type.LIST, "kvm->arch.lpage_disallowed_mmu_pages",
                "pages split because of NX huge pages, oldest first");
        add("KVM_SHADOW_MMU", Kind.GLOBAL, List.of(), Type.INT, "enum kvm_mmu_type",
                "0: the shadow MMU's index of possible_nx_huge_pages (v6.18)");
        add("KVM_TDP_MMU", Kind.GLOBAL, List.of(), Type.INT, "enum kvm_mmu_type",
                "1: the TDP MMU's index of possible_nx_huge_pages (v6.18)");
        add("vcpus", Kind.GLOBAL, List.of(), Type.INT, "kvm->online_vcpus", "the number of vCPUs");
        add("shadow_accessed_mask", Kind.GLOBAL, List.of(), Type.INT, "shadow_accessed_mask (spte.c)",
                "the SPTE's A bit (A/D bits enabled: VMX_EPT_ACCESS_BIT); a value, as iter.old_spte is");
        FaultOps.RET_PF.forEach(name -> add(name, Kind.GLOBAL, List.of(), Type.INT, "enum in mmu_internal.h",
                FaultOps.RET_PF.indexOf(name) + ": a page fault handler's result (fast_page_fault's ret)"));

        invariant("use_after_free", "a guest access reaches a host page after the host freed it");
        invariant("stale_tlb_at_unlock", "mmu_lock released while a vCPU TLB holds a translation its SPTE no longer grants");
        invariant("freed_page_table_walk", "a hardware walk reaches a freed page table (RCU protects them)");
        invariant("nx_exec_huge", "an executable huge mapping while nx_huge_pages is on (iTLB multihit)");
        invariant("dirty_log_lost", "a guest write while dirty logging is on that the dirty bitmap missed");
        invariant("huge_and_child", "a huge leaf SPTE and a child table for the same range");
        invariant("stats_consistent", "pages_4k/2m/1g and nx_lpage_splits equal what the tables hold");
        invariant("page_table_leak", "a page table neither reachable from a root nor freed");
        invariant("dangling_memslot", "an SPTE still maps a deleted memslot after the delete returned");
        invariant("lockdep", "a primitive run without its lock mode, or locks taken out of order");
        invariant("lock_balance", "a thread finished holding a lock");
        invariant("deadlock", "threads that cannot make progress");
        invariant("dirty_bit_lost", "a guest write's dirty bit dropped from an SPTE before the host page was marked dirty"
                + " (kernel 6.12 and older: since v6.13 the fault marks the page dirty)");
        invariant("freed_root_in_use", "a root's last reference put while a vCPU or a walk still uses it");
        invariant("lost_spte_update", "a plain SPTE write overwrote a change another thread made since the writer's snapshot");
        invariant("accounted_after_zap", "a page table accounted as a possible NX huge page after a zap unlinked it");
        invariant("freed_page_mapped", "an SPTE, in any root, still maps a page the host freed (the notifier returned too early)");
        invariant("nx_pages_counted", "possible_nx_huge_pages[t].nr_pages differs from the length of its list (v6.18)");
        invariant("kernel_warning", "a WARN_ON_ONCE() or WARN_ON() in a kernel path fired (always checked, as syzbot's"
                + " panic_on_warn)");
        invariant("wrong_address_space", "a vCPU reached SMRAM's gfns through a root of the other address space"
                + " (role.smm != is_smm(vcpu), kvm_set_smram_region)");

        stat("pages_4k", "kvm->stat.pages[PG_LEVEL_4K]: 4K leaf SPTEs");
        stat("pages_2m", "kvm->stat.pages[PG_LEVEL_2M]: 2M leaf SPTEs");
        stat("pages_1g", "kvm->stat.pages[PG_LEVEL_1G]: 1G leaf SPTEs");
        stat("nx_lpage_splits", "kvm->stat.nx_lpage_splits: huge pages split for NX");
        stat("remote_tlb_flush", "kvm->stat.generic.remote_tlb_flush: remote TLB flushes");
        stat("mmu_shadow_zapped", "kvm->stat.mmu_shadow_zapped: shadow pages zapped");

        add("commit_batch", Kind.METRIC, List.of(), Type.INT, "kvm_mmu_commit_zap_page",
                "pages freed by one commit: grows with what was queued before a yield");
        add("lock_hold_work", Kind.METRIC, List.of(), Type.INT, "mmu_lock",
                "work done between taking and releasing mmu_lock");
    }

    private Builtins() {
    }

    /** The entry for a name or an alias. */
    public static Optional<Builtin> lookup(String name) {
        return Optional.ofNullable(TABLE.get(ALIASES.getOrDefault(name, name)));
    }

    /** Every name of the built-in called {@code name}, itself and its aliases; just the name if it is none. */
    public static List<String> namesOfSame(String name) {
        String target = ALIASES.getOrDefault(name, name);
        if (!TABLE.containsKey(target)) {
            return List.of(name);
        }
        List<String> names = new java.util.ArrayList<>(List.of(target));
        ALIASES.forEach((alias, t) -> {
            if (t.equals(target)) {
                names.add(alias);
            }
        });
        return names;
    }

    /**
     * The kernel paths and primitives that model a kernel function under another name
     * ({@code kvm_tdp_mmu_zap_sp} is {@code tdp_zap_sp}), for an unknown call of that function.
     */
    public static List<Builtin> modelling(String kernelFunction) {
        return TABLE.values().stream()
                .filter(b -> b.kind() == Kind.PRIMITIVE || b.kind() == Kind.KERNEL_PATH)
                .filter(b -> !b.name().equals(kernelFunction) && b.kernelFunction().equals(kernelFunction))
                .toList();
    }

    /** Entries of one kind, in table order. */
    public static List<Builtin> ofKind(Kind kind) {
        return TABLE.values().stream().filter(b -> b.kind() == kind).toList();
    }

    /** Names (aliases included) of one kind, the candidates for "did you mean". */
    public static List<String> namesOf(Kind kind) {
        List<String> names = new java.util.ArrayList<>(ofKind(kind).stream().map(Builtin::name).toList());
        ALIASES.forEach((alias, target) -> {
            if (TABLE.get(target).kind() == kind) {
                names.add(alias);
            }
        });
        return names;
    }

    /** The fields of a handle type; stats are the fields of {@code stat}. */
    public static Map<String, Type> fieldsOf(Type type) {
        if (type == Type.STATS) {
            Map<String, Type> stats = new LinkedHashMap<>();
            ofKind(Kind.STAT).forEach(s -> stats.put(s.name(), Type.INT));
            return stats;
        }
        return FIELDS.getOrDefault(type == Type.ROOT ? Type.SP : type, Map.of()); // a root is a shadow page
    }

    private static void kernelPath(String name, List<Param> params, String function, String doc) {
        TABLE.put(name, new Builtin(name, Kind.KERNEL_PATH, params, Type.VOID, Lockdep.NONE, function, "", doc));
    }

    private static void primitive(Primitive p) {
        List<Param> params = p.params().stream().map(q -> new Param(q.name(), type(q.type()), q.defaultValue())).toList();
        TABLE.put(p.name(), new Builtin(p.name(), Kind.PRIMITIVE, params, type(p.returns()), p.lockdep(), p.kernel(),
                p.version(), p.doc()));
    }

    private static Type type(Primitive.Type t) {
        return switch (t) {
            case INT -> Type.INT;
            case BOOL -> Type.BOOL;
            case SP -> Type.SP;
            case FAULT -> Type.FAULT;
            case ITER -> Type.FAULT_ITER;
            case SHADOW_ITER -> Type.SHADOW_ITER;
            case LOCK -> Type.LOCK;
            case VOID -> Type.VOID;
        };
    }

    /** Whether e is a WARN_ON_ONCE(..)/WARN_ON(..) call. */
    public static boolean isWarn(dev.mmu.interp.ast.Expr e) {
        return e instanceof dev.mmu.interp.ast.Expr.Call c && WARNS.contains(c.name().name());
    }

    private static void invariant(String name, String doc) {
        add(name, Kind.INVARIANT, List.of(), Type.BOOL, "(invariant)", doc);
    }

    private static void stat(String name, String doc) {
        add(name, Kind.STAT, List.of(), Type.INT, "kvm->stat", doc);
    }

    private static void add(String name, Kind kind, List<Param> params, Type returns, String function, String doc) {
        TABLE.put(name, new Builtin(name, kind, params, returns, Lockdep.NONE, function, "", doc));
    }

    private static void alias(String alias, String target) {
        ALIASES.put(alias, target);
    }

    private static Param range() {
        return new Param("range", Type.RANGE);
    }

    private static Param slot() {
        return new Param("slot", Type.INT);
    }

    private static Param integer(String name) {
        return new Param(name, Type.INT);
    }

    private static Map<String, Type> ordered(Object... pairs) {
        Map<String, Type> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], (Type) pairs[i + 1]);
        }
        return map;
    }
}
