package dev.mmu.interp.compile;

import dev.mmu.interp.ast.Arg;
import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.check.Machine;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Expr.Computed;
import dev.mmu.runtime.paths.Expr.Operator;
import dev.mmu.runtime.paths.FaultOps;
import dev.mmu.runtime.paths.Footprint;
import dev.mmu.runtime.paths.Memslots;
import dev.mmu.runtime.paths.Queries;
import dev.mmu.runtime.paths.Resource;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongBiFunction;

/**
 * Turns a checked expression into a runtime expression. Booleans are 0/1; a call of a primitive
 * inside an expression is not handled here: the body compiler hoists it into a local first.
 */
final class ExprCompiler {
    private final Machine machine;
    private final Map<String, Long> row;
    /** Each global's index in the state's globals. */
    final Map<String, Integer> globals;

    /** Every stat some compiled expression reads (the others may be left out of state keys). */
    final java.util.Set<Stat> statsRead = java.util.EnumSet.noneOf(Stat.class);

    /**
     * The roots of the enclosing walks, innermost first (a tdp_pte loop's, a root loop's variable),
     * pushed by the body compiler: spte(gpa) and the SPTE primitives act in the top one.
     */
    final java.util.Deque<dev.mmu.runtime.paths.Expr> walkRoots = new java.util.ArrayDeque<>();

    ExprCompiler(Machine machine, Map<String, Long> row, Map<String, Integer> globals) {
        this.machine = machine;
        this.row = row;
        this.globals = globals;
    }

    dev.mmu.runtime.paths.Expr compile(Expr e, Env env) {
        if (e instanceof Expr.IntLit i) return dev.mmu.runtime.paths.Expr.constant(i.value());
        if (e instanceof Expr.BoolLit b) return dev.mmu.runtime.paths.Expr.constant(b.value() ? 1 : 0);
        if (e instanceof Expr.Name n) return name(n, env);
        if (e instanceof Expr.Field f) return field(f, env);
        if (e instanceof Expr.Call c) return query(c, env);
        if (e instanceof Expr.Unary u) return unary(u, env);
        if (e instanceof Expr.Binary b) return binary(b, env);
        throw new CompileError(e.pos(), "a range is only allowed as an argument");
    }

    private dev.mmu.runtime.paths.Expr name(Expr.Name n, Env env) {
        Integer slot = env == null ? null : env.slot(n.name());
        if (slot != null) return dev.mmu.runtime.paths.Expr.local(slot);
        Integer vcpu = env == null ? null : env.vcpu(n.name());
        if (vcpu != null) return dev.mmu.runtime.paths.Expr.constant(vcpu);
        if (row.containsKey(n.name())) return dev.mmu.runtime.paths.Expr.constant(row.get(n.name()));
        if (globals.containsKey(n.name())) return dev.mmu.runtime.paths.Ops.global(globals.get(n.name()));
        if (n.name().equals("vcpus")) return dev.mmu.runtime.paths.Expr.constant(machine.vcpus());
        if (n.name().equals("KVM_SHADOW_MMU")) return dev.mmu.runtime.paths.Expr.constant(VmState.KVM_SHADOW_MMU);
        if (n.name().equals("KVM_TDP_MMU")) return dev.mmu.runtime.paths.Expr.constant(VmState.KVM_TDP_MMU);
        if (n.name().equals("shadow_accessed_mask")) return dev.mmu.runtime.paths.Expr.constant(dev.mmu.runtime.model.Spte.ACCESSED);
        if (FaultOps.RET_PF.contains(n.name())) return dev.mmu.runtime.paths.Expr.constant(FaultOps.RET_PF.indexOf(n.name()));
        throw new CompileError(n.pos(), "'" + n.name() + "' has no value here");
    }

    private dev.mmu.runtime.paths.Expr field(Expr.Field f, Env env) {
        String field = f.field().name();
        if (f.target() instanceof Expr.Name n && env != null && env.iter(n.name()) != null) {
            var loop = env.iter(n.name());
            int slot = loop.slot(field);
            return slot >= 0 ? dev.mmu.runtime.paths.Expr.local(slot) : loop.spteField(field);
        }
        if (f.target() instanceof Expr.Name n && env != null && env.fault(n.name()) != null) {
            var fault = env.fault(n.name());
            if (field.equals("huge_page_disallowed")) return dev.mmu.runtime.paths.Expr.constant(fault.exec() && machine.nxHugePages() ? 1 : 0);
            if (field.equals("gfn")) { // iter->gfn: the fault's gfn rounded down to iter.level
                var gfn = new Computed(Operator.DIV, fault.gpa(), dev.mmu.runtime.paths.Expr.constant(4096));
                return new Computed(Operator.GFN_ROUND_FOR_LEVEL, gfn, dev.mmu.runtime.paths.Expr.local(fault.slot("level")));
            }
            if (field.equals("pfn")) { // fault->pfn, which kvm_mmu_hugepage_adjust() aligns to goal_level
                if (fault.slot("goal_level") < 0) {
                    throw new CompileError(f.pos(), "fast_page_fault()'s fault has no pfn: kvm_faultin_pfn() runs after it");
                }
                var gfn = new Computed(Operator.DIV, fault.gpa(), dev.mmu.runtime.paths.Expr.constant(4096));
                var offset = new Computed(Operator.SUB, gfn, new Computed(Operator.GFN_ROUND_FOR_LEVEL, gfn,
                        dev.mmu.runtime.paths.Expr.local(fault.slot("goal_level"))));
                return new Computed(Operator.SUB, dev.mmu.runtime.paths.Expr.local(fault.pfn()), offset);
            }
            return dev.mmu.runtime.paths.Expr.local(fault.slot(field)); // a field the checker knows

        }
        if (f.target() instanceof Expr.Name n && env != null && env.range(n.name()) != null) {
            return dev.mmu.runtime.paths.Expr.local(env.range(n.name()) + (field.equals("end") ? 1 : 0));
        }
        if (f.target() instanceof Expr.Name n && (env == null || env.slot(n.name()) == null)) {
            switch (n.name()) {
                case "stat" -> {
                    Stat st = Stat.valueOf(field);
                    statsRead.add(st);
                    return reading(Footprint.reads(Resource.of(st)), (s, t) -> s.stat(st));
                }
                case "vm" -> {
                    return dev.mmu.runtime.paths.Expr.constant(vmKnob(f));
                }
                case "invalid_list" -> { // in a path (env), the thread's own list: thread-local
                    return env != null ? Queries.OWN_INVALID_LIST_LEN : Queries.EVERY_INVALID_LIST_LEN;
                }
                case "lpage_disallowed" -> {
                    return Queries.NX_LENGTH;
                }
                default -> { }
            }
        }
        if (f.target() instanceof Expr.Call c) {
            String q = c.name().name();
            if (q.equals("spte")) {
                var gpa = compile(arg(c, 0), env);
                // The W, A and D bits change without mmu_lock (fast_page_fault, the walker); the mapping does not.
                Footprint read = field.equals("writable") || field.equals("accessed") || field.equals("dirty")
                        ? Footprint.reads(Resource.SPTE, Resource.SPTE_ACCESS) : Footprint.reads(Resource.SPTE);
                var root = walkRoots.peek(); // none: the valid root of address space 0
                if (root == null) return reading(read.union(gpa.footprint()), (s, t) -> Queries.spte(s, gpa.eval(s, t), field), gpa);
                return reading(read.union(gpa.footprint()).union(root.footprint()),
                        (s, t) -> Queries.spte(s, (int) root.eval(s, t), gpa.eval(s, t), field), root, gpa);
            }
            if (q.equals("tlb")) {
                var vcpu = compile(arg(c, 0), env);
                var gpa = compile(arg(c, 1), env);
                return reading(tlbFootprint(vcpu, gpa), (s, t) -> Queries.tlb(s, vcpu.eval(s, t), gpa.eval(s, t), field), vcpu, gpa);
            }
            if (q.equals("possible_nx_huge_pages")) { // .len: the list's; .nr_pages: the counter kept beside it
                var mmuType = compile(arg(c, 0), env);
                return field.equals("len") ? Queries.nxLength(mmuType) : Queries.nxNrPages(mmuType);
            }
            if (q.equals("id_to_memslot")) { // an id no slot has reads as an empty slot at gfn 0
                var id = compile(arg(c, 0), env);
                if (field.equals("userspace_addr")) { // the model's hva is the slot's configured gpa; a move keeps it
                    return reading(id.footprint(), (s, t) -> {
                        int pos = Memslots.position(s.config, id.eval(s, t));
                        return pos < 0 ? 0 : s.config.memslots().get(pos).baseGfn() << 12;
                    }, id);
                }
                return field.equals("npages")
                        ? reading(id.footprint(), (s, t) -> {
                            int pos = Memslots.position(s.config, id.eval(s, t));
                            return pos < 0 ? 0 : s.config.memslots().get(pos).npages();
                        }, id)
                        : reading(Footprint.reads(Resource.MEMSLOTS).union(id.footprint()), (s, t) -> {
                            int pos = Memslots.position(s.config, id.eval(s, t));
                            return pos < 0 ? 0 : Memslots.base(s, pos);
                        }, id);
            }
            if (q.equals("host")) {
                var gpa = compile(arg(c, 0), env);
                return reading(Footprint.reads(Resource.HOST, Resource.MEMSLOTS).union(gpa.footprint()),
                        (s, t) -> Queries.hostFreed(s, gpa.eval(s, t)), gpa);
            }
        }
        var handle = compile(f.target(), env);
        // role.invalid of a TDP root is kvm_tdp_mmu_invalidate_roots()'s (the invalid roots)
        Footprint read = field.equals("invalid") ? Footprint.reads(Resource.SPTE, Resource.INVALID_ROOTS)
                : Footprint.reads(Resource.SPTE);
        return reading(read.union(handle.footprint()), (s, t) -> Queries.sp(s, handle.eval(s, t), field), handle);
    }

    private long vmKnob(Expr.Field f) {
        return switch (f.field().name()) {
            case "nx_huge_pages" -> machine.nxHugePages() ? 1 : 0;
            case "nx_recovery_ratio" -> machine.nxRecoveryRatio();
            case "eager_page_split" -> machine.eagerPageSplit() ? 1 : 0;
            case "pml" -> machine.pml() ? 1 : 0;
            case "flush_remote_tlbs_range" -> machine.flushRemoteTlbsRange() ? 1 : 0;
            case "slot_zap_all" -> machine.slotZapAll() ? 1 : 0;
            case "tdp_levels" -> machine.tdpLevels();
            case "tdp_mmu" -> machine.mmu() != dev.mmu.interp.ast.VmSetting.Flavour.SHADOW ? 1 : 0;
            case "nested_mmu" -> machine.mmu() == dev.mmu.interp.ast.VmSetting.Flavour.BOTH ? 1 : 0;
            // kvm_memslots_have_rmaps(): the shadow MMU's leaves are in rmaps with mmu shadow and mmu both
            case "has_rmaps" -> machine.mmu() != dev.mmu.interp.ast.VmSetting.Flavour.TDP ? 1 : 0;
            case "vcpus" -> machine.vcpus();
            default -> throw new CompileError(f.field().pos(), "unknown vm setting '" + f.field().name() + "'");
        };
    }

    private dev.mmu.runtime.paths.Expr query(Expr.Call c, Env env) {
        if (c.name().name().equals("tlb")) {
            var vcpu = compile(arg(c, 0), env);
            var gpa = compile(arg(c, 1), env);
            return reading(tlbFootprint(vcpu, gpa), (s, t) -> Queries.tlb(s, vcpu.eval(s, t), gpa.eval(s, t)), vcpu, gpa);
        }
        if (c.name().name().equals("is_frozen_spte")) {
            return new Computed(Operator.FROZEN, compile(arg(c, 0), env), null);
        }
        switch (c.name().name()) {
            case "is_shadow_present_pte" -> {
                return new Computed(Operator.SHADOW_PRESENT, compile(arg(c, 0), env), null);
            }
            case "is_accessed_spte" -> {
                return new Computed(Operator.ACCESSED_SPTE, compile(arg(c, 0), env), null);
            }
            case "is_last_spte" -> {
                return new Computed(Operator.LAST_SPTE, compile(arg(c, 0), env), compile(arg(c, 1), env));
            }
            case "spte_to_pfn" -> {
                return new Computed(Operator.SPTE_TO_PFN, compile(arg(c, 0), env), null);
            }
            case "leaf_spte_change_needs_tlb_flush" -> {
                return new Computed(Operator.LEAF_CHANGE_NEEDS_FLUSH, compile(arg(c, 0), env), compile(arg(c, 1), env));
            }
            case "is_access_allowed" -> {
                return accessAllowed(faultArg(arg(c, 0), env), compile(arg(c, 1), env));
            }
            case "spte_permission_fault" -> { // v7.3: !is_access_allowed() for the model's SPTEs, true if not present
                return new Computed(Operator.NOT, accessAllowed(faultArg(arg(c, 1), env), compile(arg(c, 0), env)), null);
            }
            default -> { }
        }
        if (c.name().name().equals("DIV_ROUND_UP")) {
            return new Computed(Operator.DIV_ROUND_UP, compile(arg(c, 0), env), compile(arg(c, 1), env));
        }
        throw new CompileError(c.pos(), "'" + c.name().name() + "' cannot be used as a value here");
    }

    /** is_access_allowed(fault, spte): the fault's access is a constant of its code. */
    private static dev.mmu.runtime.paths.Expr accessAllowed(dev.mmu.runtime.paths.TdpMap.Fault f, dev.mmu.runtime.paths.Expr spte) {
        return new Computed(Operator.ACCESS_ALLOWED, spte, dev.mmu.runtime.paths.Expr.constant(Operator.access(f.exec(), f.write())));
    }

    /** The fault an argument names (the checker typed it). */
    private static dev.mmu.runtime.paths.TdpMap.Fault faultArg(Expr e, Env env) {
        var f = e instanceof Expr.Name n && env != null ? env.fault(n.name()) : null;
        if (f == null) throw new CompileError(e.pos(), "a fault here is the fault path's fault parameter");
        return f;
    }

    /** tlb(vcpu, gpa) names a vCPU: symmetry must not permute that one (-1: known only at run time). */
    private static Footprint tlbFootprint(dev.mmu.runtime.paths.Expr vcpu, dev.mmu.runtime.paths.Expr gpa) {
        int named = vcpu instanceof dev.mmu.runtime.paths.Expr.Constant k && k.v() >= 0 && k.v() < 64 ? (int) k.v() : -1;
        return Footprint.reads(Resource.TLB).naming(named).union(Footprint.of(vcpu, gpa));
    }

    private dev.mmu.runtime.paths.Expr unary(Expr.Unary u, Env env) {
        var x = compile(u.operand(), env);
        return new Computed(switch (u.op()) {
            case NOT -> Operator.NOT;
            case NEG -> Operator.NEG;
        }, x, null);
    }

    private dev.mmu.runtime.paths.Expr binary(Expr.Binary b, Env env) {
        return new Computed(Operator.valueOf(b.op().name()), compile(b.left(), env), compile(b.right(), env));
    }

    static Expr arg(Expr.Call c, int i) {
        List<Arg> args = c.args();
        return args.get(i).value();
    }

    /** A value read from the state, and from the thread's locals only through {@code from}. */
    private static dev.mmu.runtime.paths.Expr reading(Footprint footprint, ToLongBiFunction<VmState, Integer> f,
                                                      dev.mmu.runtime.paths.Expr... from) {
        return dev.mmu.runtime.paths.Expr.of(footprint, dev.mmu.runtime.paths.Expr.locals(from), f::applyAsLong);
    }
}
