package dev.mmu.interp.check;

/** The checker's value types. Handles (SP, ITER, ...) only exist inside paths and expressions. */
public enum Type {
    INT("int"),             // integers: addresses, gfns, counts, sizes
    BOOL("bool"),
    RANGE("range"),         // start .. end, half-open: an argument, or a path parameter with .start, .end
    SP("shadow page"),      // a struct kvm_mmu_page handle
    ROOT("root"),           // a TDP root: the builtin root, a root loop's variable, a root parameter; also an SP
    ITER("iter"),           // a struct tdp_iter, inside for iter in tdp_pte(...)
    // the tdp_iter inside for iter in tdp_root_for_each_leaf_pte(...): with the old_spte its step read
    LEAF_ITER("tdp_root_for_each_leaf_pte's iter"),
    FAULT("fault"),         // a guest access's struct kvm_page_fault (kvm_tdp_mmu_page_fault's parameter)
    FAULT_ITER("tdp_mmu_for_each_pte's iter"), // the tdp_iter inside for iter in tdp_mmu_for_each_pte(fault)
    // struct kvm_shadow_walk_iterator inside for it in for_each_shadow_entry(fault): no old_spte
    SHADOW_ITER("for_each_shadow_entry's iterator"),
    LOCK("lock"),           // a lock the language names (mmu_lock, slots_lock, ...): lockdep_assert_held*()'s argument
    SPTE("spte"),           // what spte(gpa) returns: the leaf or lowest present SPTE
    HOST_PAGE("host page"), // what host(gpa) returns
    MEMSLOT("memslot"),     // what id_to_memslot(id) returns
    TLB_ENTRY("tlb entry"), // tlb(vcpu, gpa) followed by a field; tlb(vcpu, gpa) alone is a bool
    LIST("list"),           // invalid_list, lpage_disallowed
    NX_LIST("NX list"),     // what possible_nx_huge_pages(mmu_type) returns (v6.18's list per MMU)
    STATS("stats"),         // stat.NAME
    VM("vm"),               // vm.KNOB
    VOID("nothing");        // what a statement-only call returns

    public final String display;

    /**
     * Whether a value of type `got` may stand where `want` is expected: a root is a shadow page too.
     * The fault walks' iterators do not mix: a TDP primitive's tdp_iter is no shadow walk's iterator.
     */
    public static boolean fits(Type got, Type want) {
        return got == want || (got == ROOT && want == SP);
    }

    Type(String display) {
        this.display = display;
    }

    /** The parameter type a path may declare: {@code x: int}, {@code b: bool}, {@code sp: sp}, {@code r: root}. */
    public static Type ofParam(String name) {
        return switch (name) {
            case "int" -> INT;
            case "bool" -> BOOL;
            case "sp" -> SP;
            case "root" -> ROOT;
            case "range" -> RANGE;
            case "fault" -> FAULT;
            case "iter" -> FAULT_ITER; // a struct tdp_iter * of the fault's walk, passed on with it
            default -> null;
        };
    }
}
