package dev.mmu.interp.compile;

import dev.mmu.interp.ast.Arg;
import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.PathDecl.Param;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.ast.Returns;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.check.CheckedScenario;
import dev.mmu.interp.check.KernelPrelude;
import dev.mmu.interp.explain.Explainer;
import dev.mmu.interp.fmt.Formatter;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.paths.DirectMap;
import dev.mmu.runtime.paths.FastZap;
import dev.mmu.runtime.paths.FaultOps;
import dev.mmu.runtime.paths.HugePageRecovery;
import dev.mmu.runtime.paths.Footprint;
import dev.mmu.runtime.paths.KernelPaths;
import dev.mmu.runtime.paths.Memslots;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.Lockdep;
import dev.mmu.runtime.paths.MmuOps.Access;
import dev.mmu.runtime.paths.Nx;
import dev.mmu.runtime.paths.Ops;
import dev.mmu.runtime.paths.PathBuilder;
import dev.mmu.runtime.paths.Prelude;
import dev.mmu.runtime.paths.Primitive;
import dev.mmu.runtime.paths.Primitives;
import dev.mmu.runtime.paths.ShadowMmu;
import dev.mmu.runtime.paths.Queries;
import dev.mmu.runtime.paths.SlotOps;
import dev.mmu.runtime.paths.SlotPaths;
import dev.mmu.runtime.paths.TdpMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Compiles the statements of one thread (or of the setup) onto a PathBuilder. Built-in kernel
 * paths are emitted by the runtime's KernelPaths; user paths are inlined with their parameters
 * bound to fresh locals, so every call gets its own C-stack variables.
 */
final class BodyCompiler {
    private final CheckedScenario scenario;
    private final VmConfig config;
    private final ExprCompiler exprs;
    private final PathBuilder b = new PathBuilder();
    /** The vCPU a thread's bare accesses run on; -1 for kernel threads and setup. */
    private final int vcpu;
    /** The innermost loop first: the jumps a `break` must patch to its end, a `continue` to its next pass. */
    private final Deque<Exits> exits = new ArrayDeque<>();
    /** The mmu_lock mode last taken, so `yield` retakes the same mode. */
    private Mode held = Mode.WRITE;
    /** Enclosing for_each_tdp_pte loops, innermost first: tdp_mmu_iter_cond_resched acts on the top one. */
    private final Deque<KernelPaths.TdpLoop> loops = new ArrayDeque<>();
    /** The locals of the enclosing for_each_tdp_mmu_root_rcu() loops: a tdp_pte walk in one of their roots takes no mmu_lock. */
    private final java.util.Set<Integer> rcuRoots = new java.util.HashSet<>();
    /** The statement each op came from, for errors the runtime finds in the setup; and the current one. */
    private final List<Pos> where = new ArrayList<>();
    private Pos at;
    /** Open atomic { } blocks: they take no scheduler choice, so no choose inside. */
    private int atomicDepth;
    /**
     * The range's locals while a non-blockable invalidate_range_start() is being inlined (the mm
     * wraps the callback in non_block_start()/non_block_end(), mm/mmu_notifier.c:596), else -1: a
     * sleep compiled there reports __might_resched()'s splat ({@link Ops.MightResched}).
     */
    private int nonBlockRange = -1;
    /** How many `if need_resched { }` branches enclose the statement: an unlock there is cond_resched_rwlock_*(). */
    private int needReschedDepth;
    /** User paths being inlined, to refuse recursion. */
    private final Deque<String> inlining = new ArrayDeque<>();
    /** Every path this body inlined, at any depth: a pasted path none runs is an edit left unchecked. */
    private final Set<String> inlined = new HashSet<>();
    /** The local each path being inlined returns its value into (the caller's temporary; -1: called as a statement). */
    private final Deque<Integer> returnSlots = new ArrayDeque<>();
    /** Per path being inlined, innermost first: the jumps its early returns make to its end. */
    private final Deque<PathExit> pathExits = new ArrayDeque<>();
    /**
     * Whether the statement being compiled is the last thing its path runs: a `return` there needs
     * no jump (one at the body's end, or at the end of the last if's branch, runs into the path's end
     * as the if's own jump does), so that early returns give the ops the else-shaped code gave.
     */
    private boolean tail;
    /** The labels control runs into right after the statement being compiled (a goto to one needs no jump). */
    private java.util.Set<String> fallsTo = java.util.Set.of();
    /** Per path being inlined, innermost first: the labels of its open blocks, each with the jumps to it. */
    private final Deque<java.util.Map<String, Target>> labels = new ArrayDeque<>();
    /** While fast_page_fault() is compiled, the local of its lockless spte (its primitives read it); else -1. */
    private int fastPfSpte = -1;

    BodyCompiler(CheckedScenario scenario, VmConfig config, ExprCompiler exprs, int vcpu) {
        this.scenario = scenario;
        this.config = config;
        this.exprs = exprs;
        this.vcpu = vcpu;
    }

    PathBuilder builder() {
        return b;
    }

    /** The statement each op was compiled from (the innermost one), by op index. */
    List<Pos> positions() {
        mark();
        return List.copyOf(where);
    }

    /** Ops emitted since the last mark belong to the statement being compiled. */
    private void mark() {
        while (where.size() < b.here()) where.add(at);
    }

    /** {@code global x = v}: the setup's first store, so that every scenario starts from v. */
    void initGlobal(dev.mmu.interp.ast.GlobalDecl g) {
        mark();
        at = g.pos();
        b.emit(new Ops.SetGlobal(exprs.globals.get(g.name().name()), exprs.compile(g.value(), null),
                "global " + g.name().name() + " = " + text(g.value())));
        mark();
        at = null;
    }

    void block(Block block, Env env) {
        statements(block.statements(), new Env(env));
    }

    /**
     * A block's statements in scope inner; a `return` among them is in tail position if the block is
     * and only labels follow it, a goto needs no jump to the labels right after it.
     */
    private void statements(List<Stmt> statements, Env inner) {
        boolean blockTail = tail;
        java.util.Set<String> blockFalls = fallsTo;
        for (Stmt s : statements) {
            if (s instanceof Stmt.Label l) {
                labels.peek().put(l.name().name(), new Target(exits.size(), loops.size(), atomicDepth, new ArrayList<>(), -1));
            }
        }
        for (int i = 0; i < statements.size(); i++) {
            Stmt s = statements.get(i);
            // `if (!tdp_mmu_enabled) return;` with the answer known: nothing after it runs up to the
            // next label (no op, as the else-shaped code had), and the branch it takes stands there.
            boolean rest = !(s instanceof Stmt.If f && known(f.cond(), inner) != null
                    && (known(f.cond(), inner) != 0 ? Optional.of(f.then()) : f.orElse()).map(Returns::always).orElse(false));
            int next = i + 1;
            while (!rest && next < statements.size() && !(statements.get(next) instanceof Stmt.Label)) next++;
            fallsTo = new java.util.HashSet<>();
            int j = next;
            for (; j < statements.size() && statements.get(j) instanceof Stmt.Label l; j++) fallsTo.add(l.name().name());
            tail = blockTail && j == statements.size();
            if (j == statements.size()) fallsTo.addAll(blockFalls);
            stmt(s, inner);
            i = next - 1;
        }
        for (Stmt s : statements) if (s instanceof Stmt.Label l) labels.peek().remove(l.name().name()); // the block is closed
        tail = blockTail;
        fallsTo = blockFalls;
    }

    /**
     * A label of an open block: the loops, tdp_pte walks and atomic blocks around it, the forward
     * jumps to patch to it, and its op index once compiled (-1 before), where backward jumps go.
     */
    private record Target(int exits, int loops, int atomicDepth, List<Jump> jumps, int pc) {
    }

    /** A jump to a label, at op `at`: the op it is once the label's index is known. */
    private record Jump(int at, IntFunction<Op> op) {
    }

    /**
     * goto L: the walks it leaves put their root references (as a return's), then a jump to L, an
     * atomic op out of an atomic block; none when L follows anyway (docs/kernel-model.md, "Goto").
     */
    private void gotoStatement(Stmt.Goto g) {
        if (fallsTo.contains(g.label().name())) return;
        Target t = target(g);
        var it = loops.iterator();
        for (int n = loops.size() - t.loops(); n > 0; n--) KernelPaths.putTdpPteLoopRoot(b, it.next());
        jump(t, Ops.Jump::new);
    }

    /**
     * The jump op to t: back to its index if compiled (an atomic block it is in wraps it at the
     * block's end, as the jump back of a while in the block), else patched when t is reached.
     */
    private void jump(Target t, IntFunction<Op> op) {
        if (t.pc() >= 0) {
            b.emit(op.apply(t.pc()));
            return;
        }
        boolean out = leavesAtomic(t);
        t.jumps().add(new Jump(b.placeholder(), to -> leaving(out, op.apply(to))));
    }

    /** A jump out of an atomic block runs in its step, as falling off the block's end does. */
    private static Op leaving(boolean atomic, Op jump) {
        return atomic ? new Ops.Atomic(jump) : jump;
    }

    /** Whether a jump to t leaves every atomic block (one to a label inside one is wrapped at its block's end). */
    private boolean leavesAtomic(Target t) {
        return atomicDepth > 0 && t.atomicDepth() == 0;
    }

    private Target target(Stmt.Goto g) {
        Target t = labels.isEmpty() ? null : labels.peek().get(g.label().name());
        if (t == null) throw new CompileError(g.pos(), "no label '" + g.label().name() + "' to jump to");
        return t;
    }

    /**
     * `if c { goto L }`: the if's own test, of !c, jumping to L, as `if !c { rest }` tests and
     * jumps past the rest; null (compile it as an if) when the goto needs more than that jump, or
     * leaves a loop (there it is the test and jump of `if c { break }`, whose ops it keeps).
     */
    private Target fusedGoto(Stmt.If i) {
        if (i.then().statements().size() != 1 || !(i.then().statements().get(0) instanceof Stmt.Goto g)) return null;
        if (fallsTo.contains(g.label().name())) return null;
        Target t = target(g);
        return t.exits() == exits.size() ? t : null;
    }

    /** The label l: the forward jumps to it land here, the backward ones will jump here. */
    private void label(Stmt.Label l) {
        Target t = labels.peek().get(l.name().name());
        land(t.jumps());
        labels.peek().put(l.name().name(), new Target(t.exits(), t.loops(), t.atomicDepth(), List.of(), b.here()));
    }

    /** Patches each jump to land here. */
    private void land(List<Jump> jumps) {
        for (Jump j : jumps) b.patch(j.at(), j.op().apply(b.here()));
    }

    /** !c, as a reader writes it: `x == y` for `x != y`, c for `!c`. */
    private static Expr negation(Expr c) {
        if (c instanceof Expr.Unary u && u.op() == Expr.UnaryOp.NOT) return u.operand();
        if (c instanceof Expr.Binary bin && (bin.op() == Expr.BinaryOp.EQ || bin.op() == Expr.BinaryOp.NE)) {
            return new Expr.Binary(bin.pos(), bin.op() == Expr.BinaryOp.EQ ? Expr.BinaryOp.NE : Expr.BinaryOp.EQ, bin.left(), bin.right());
        }
        return new Expr.Unary(c.pos(), Expr.UnaryOp.NOT, c);
    }

    private void stmt(Stmt s, Env env) {
        mark();
        Pos outer = at;
        // Inside the prelude, errors stay at the scenario's statement that called the kernel path.
        if (at == null || !KernelPrelude.isPrelude(s.pos().file())) at = s.pos();
        compile(s, env);
        mark();
        at = outer;
    }

    private void compile(Stmt s, Env env) {
        if (s instanceof Stmt.CallStmt c && dev.mmu.interp.check.Builtins.isWarn(c.call())) warn(c.call(), env);
        else if (s instanceof Stmt.If i && dev.mmu.interp.check.Builtins.isWarn(i.cond())) {
            // if (WARN_ON_ONCE(c)) ...: the warning, then the if on c (the macro's value is c's)
            Expr.Call w = (Expr.Call) i.cond();
            warn(w, env);
            compile(new Stmt.If(i.pos(), w.args().get(0).value(), i.then(), i.orElse()), env);
        } else if (s instanceof Stmt.Access a) access(a, env);
        else if (s instanceof Stmt.Lock l) {
            if (lock(l.lock()) == LockId.slots_lock) mightResched(l.pos(), "mutex_lock(&kvm->slots_lock)");
            Mode mode = l.mode() == Stmt.LockMode.READ ? Mode.READ : Mode.WRITE;
            if (lock(l.lock()) == LockId.mmu_lock) held = mode;
            b.emit(new Ops.Acquire(lock(l.lock()), mode));
        } else if (s instanceof Stmt.Unlock u) {
            // the kernel's yield written out: `if need_resched { unlock; lock write }`
            if (needReschedDepth > 0 && lock(u.lock()) == LockId.mmu_lock) mightResched(u.pos(), condResched());
            b.emit(new Ops.Release(lock(u.lock())));
        } else if (s instanceof Stmt.Yield) {
            int check = b.placeholder();
            mightResched(s.pos(), condResched());
            b.emit(new Ops.Release(LockId.mmu_lock));
            b.emit(new Ops.Acquire(LockId.mmu_lock, held));
            b.patch(check, new Ops.NeedResched(b.here()));
        } else if (s instanceof Stmt.IfNeedResched r) {
            int check = b.placeholder();
            needReschedDepth++;
            block(r.then(), env);
            needReschedDepth--;
            branchEnd(check, r.orElse(), env);
        } else if (s instanceof Stmt.If i && known(i.cond(), env) != null) {
            // A condition known when compiling (vm.tdp_mmu, a parameter passed a constant): only
            // the branch taken, so no op of its own (a thread's first op cannot merge into a step
            // before it).
            if (known(i.cond(), env) != 0) block(i.then(), env);
            else i.orElse().ifPresent(e -> block(e, env));
        } else if (s instanceof Stmt.If i && fusedGoto(i) != null) {
            jump(fusedGoto(i), test(negation(i.cond()), env));
            i.orElse().ifPresent(e -> block(e, env));
        } else if (s instanceof Stmt.If i) {
            IntFunction<Op> cond = test(i.cond(), env);
            int test = b.placeholder();
            block(i.then(), env);
            int skipElse = i.orElse().isPresent() ? b.placeholder() : -1;
            b.patch(test, cond.apply(b.here()));
            if (i.orElse().isPresent()) {
                block(i.orElse().get(), env);
                b.patch(skipElse, new Ops.Jump(b.here()));
            }
        } else if (s instanceof Stmt.Let l) {
            int slot = b.local(l.name().name());
            b.emit(new Ops.Assign(slot, value(l.value(), env), l.name().name() + " = " + text(l.value())));
            env.bind(l.name().name(), slot);
        } else if (s instanceof Stmt.Assign a) assign(a, env);
        else if (s instanceof Stmt.While w) {
            int top = b.here();
            IntFunction<Op> cond = test(w.cond(), env);
            int test = b.placeholder();
            loopBody(w.body(), env, top, test, cond);
        } else if (s instanceof Stmt.Repeat r) {
            int n = b.local("repeat");
            b.emit(new Ops.Assign(n, value(r.count(), env), "repeat"));
            int top = b.here();
            int test = b.placeholder();
            loopBlock(r.body(), env);
            b.emit(new Ops.Assign(n, minusOne(n), "repeat--"));
            b.emit(new Ops.Jump(top));
            b.patch(test, new Ops.JumpUnless(dev.mmu.runtime.paths.Expr.local(n), b.here(), "repeat"));
            patchBreaks();
        } else if (s instanceof Stmt.ForLpageDisallowed f) forLpageDisallowed(f, env);
        else if (s instanceof Stmt.ForList f) forList(f, env);
        else if (s instanceof Stmt.Assert a) {
            // One known to hold when compiling is no op, as a known if is: it checks nothing, so it
            // must change no step and add no expectation (NoOpStatementsTest).
            Long known = known(a.cond(), env);
            if (known == null || known == 0) {
                b.emit(new Ops.Assert(value(a.cond(), env), text(a.cond()) + " (" + a.pos() + ")"));
            }
        }
        else if (s instanceof Stmt.Return r) returnStatement(r, env);
        else if (s instanceof Stmt.Goto g) gotoStatement(g);
        else if (s instanceof Stmt.Label l) label(l);
        else if (s instanceof Stmt.Break br) {
            if (exits.isEmpty()) throw new CompileError(br.pos(), br.word() + " outside a loop");
            (br.isContinue() ? exits.peek().continues() : exits.peek().breaks()).add(b.placeholder());
        } else if (s instanceof Stmt.CallStmt c) call(c.call(), env, -1);
        else if (s instanceof Stmt.ForTdpPte f) forTdpPte(f, env);
        else if (s instanceof Stmt.ForFaultWalk f && f.walk().name().equals("for_each_shadow_entry")) forShadowEntry(f, env);
        else if (s instanceof Stmt.ForFaultWalk f) forTdpMmuPte(f, env);
        else if (s instanceof Stmt.Atomic a) {
            b.emit(new Ops.Note("atomic {"));
            int from = b.here();
            atomicDepth++;
            block(a.body(), env);
            atomicDepth--;
            b.atomic(from);
        } else if (s instanceof Stmt.Choose c) {
            choose(c, env);
        } else {
            throw new CompileError(s.pos(), "statement not supported");
        }
    }

    /**
     * WARN_ON_ONCE(c): an op that reports kernel_warning when c holds, with the kernel's "WARNING:
     * at FILE:LINE FUNCTION" (the .mmu source and the path it is in). One whose c is known false
     * when compiling is no op, as a known assert is (NoOpStatementsTest).
     */
    /** A sleep at pos: in a non-blockable invalidate_range_start(), __might_resched()'s splat. */
    private void mightResched(Pos pos, String sleep) {
        Op op = mightReschedOp(pos, sleep);
        if (op != null) b.emit(op);
    }

    private Op mightReschedOp(Pos pos, String sleep) {
        if (nonBlockRange < 0) return null;
        String function = inlining.isEmpty() ? "" : " " + inlining.peek() + "()";
        return new Ops.MightResched(nonBlockRange, "at " + pos + function + ": " + sleep);
    }

    /** A Java-emitted walk's yield, tdp_mmu_iter_cond_resched(): a sleep, as a user loop's is. */
    private Op walkYield(Expr.Call c, String name) {
        return mightReschedOp(c.pos(), name + "() -> tdp_mmu_iter_cond_resched() -> " + condResched());
    }

    /**
     * The lockdep_assert_held*() of an expanded walk's kernel function (or its caller's, which the
     * prelude writes as a thin path), before the walk: its ops check the lock only where they
     * store, so a walk that found nothing to change reported nothing (trial 16).
     */
    private void lockdepOnEntry(String name) {
        Primitive p = Primitives.get(name);
        if (p.lockdep().asserts()) b.emit(new Ops.LockdepAssert(p.lockdep(), p.kernel()));
    }

    private String condResched() {
        return held == Mode.READ ? "cond_resched_rwlock_read(&kvm->mmu_lock)" : "cond_resched_rwlock_write(&kvm->mmu_lock)";
    }

    private void warn(Expr.Call w, Env env) {
        Expr cond = w.args().get(0).value();
        Long known = known(cond, env);
        if (known != null && known == 0) return;
        String function = inlining.isEmpty() ? "" : " " + inlining.peek() + "()";
        b.emit(new Ops.Warn(value(cond, env), "at " + w.pos() + function + ": " + w.name().name() + "(" + text(cond) + ")"));
    }

    /**
     * return [e]: the value into the caller's temporary, then (unless the path ends here anyway) the
     * walks it leaves put their own root references, as a break does (a root loop's reference stays
     * the body's to put, as the kernel's), and a jump to the path's end: no op of its own a step
     * could end at (docs/kernel-model.md, "Early return").
     */
    private void returnStatement(Stmt.Return r, Env env) {
        if (r.value().isPresent()) {
            Integer into = returnSlots.peek();
            int slot = into != null && into >= 0 ? into : b.local("return");
            b.emit(new Ops.Assign(slot, value(r.value().get(), env), "return " + text(r.value().get())));
        }
        if (tail) return;
        PathExit exit = pathExits.peek();
        if (exit == null) throw new CompileError(r.pos(), "return outside a path");
        var it = loops.iterator();
        for (int n = loops.size() - exit.loops(); n > 0; n--) KernelPaths.putTdpPteLoopRoot(b, it.next());
        boolean out = atomicDepth > 0;
        exit.jumps().add(new Jump(b.placeholder(), to -> leaving(out, new Ops.Jump(to))));
    }

    /** A path being inlined: how many tdp_pte walks enclose its call, and its returns' jumps to its end. */
    private record PathExit(int loops, List<Jump> jumps) {
    }

    /** Compiles a path's body in place, its top-level names bound in scope; its early returns land after it. */
    private void pathBody(List<Stmt> body, Env scope) {
        boolean outerTail = tail;
        pathExits.push(new PathExit(loops.size(), new ArrayList<>()));
        labels.push(new java.util.HashMap<>());
        java.util.Set<String> outerFalls = fallsTo;
        fallsTo = java.util.Set.of(); // the caller's labels are not the path's
        tail = true;
        statements(body, scope);
        tail = outerTail;
        fallsTo = outerFalls;
        labels.pop();
        land(pathExits.pop().jumps());
    }

    /** choose { } or { }: one Choose op, each branch but the last jumping past the others at its end. */
    private void choose(Stmt.Choose c, Env env) {
        if (atomicDepth > 0) {
            throw new CompileError(c.pos(), "choose inside atomic: an atomic block takes no scheduler choice");
        }
        int choose = b.placeholder();
        List<Integer> starts = new ArrayList<>();
        List<Integer> exits = new ArrayList<>();
        for (Block branch : c.branches()) {
            starts.add(b.here());
            block(branch, env);
            if (starts.size() < c.branches().size()) exits.add(b.placeholder());
        }
        for (int exit : exits) b.patch(exit, new Ops.Jump(b.here()));
        b.patch(choose, new Ops.Choose(starts));
    }

    private void branchEnd(int check, Optional<Block> orElse, Env env) {
        int skipElse = orElse.isPresent() ? b.placeholder() : -1;
        b.patch(check, new Ops.NeedResched(b.here()));
        if (orElse.isPresent()) {
            block(orElse.get(), env);
            b.patch(skipElse, new Ops.Jump(b.here()));
        }
    }

    private void loopBody(Block body, Env env, int top, int test, IntFunction<Op> cond) {
        loopBlock(body, env);
        b.emit(new Ops.Jump(top));
        b.patch(test, cond.apply(b.here()));
        patchBreaks();
    }

    private record Exits(List<Integer> breaks, List<Integer> continues) {
    }

    /** A loop's body: a `continue` in it goes to what follows it, the loop's step to its next pass. */
    private void loopBlock(Block body, Env env) {
        exits.push(new Exits(new ArrayList<>(), new ArrayList<>()));
        boolean outerTail = tail;
        java.util.Set<String> outerFalls = fallsTo;
        tail = false; // the loop's next pass follows its body
        fallsTo = java.util.Set.of();
        block(body, env);
        tail = outerTail;
        fallsTo = outerFalls;
        for (int at : exits.peek().continues()) b.patch(at, new Ops.Jump(b.here()));
    }

    /** The end of the loop whose body {@link #loopBlock} compiled: its breaks land here. */
    private void patchBreaks() {
        for (int at : exits.pop().breaks()) b.patch(at, new Ops.Jump(b.here()));
    }

    /** for sp in lpage_disallowed take N: list_first_entry() each time, at most N times, stop when empty. */
    private void forLpageDisallowed(Stmt.ForLpageDisallowed f, Env env) {
        int n = b.local("take");
        b.emit(new Ops.Assign(n, value(f.take(), env), "take " + text(f.take())));
        int sp = b.local(f.var().name());
        Env inner = new Env(env);
        inner.bind(f.var().name(), sp);
        int top = b.here();
        int exitCount = b.placeholder();
        int exitEmpty = b.placeholder();
        var mmuType = f.list() == null ? null : value(f.list().args().get(0).value(), env);
        String list = f.list() == null ? "lpage_disallowed" : "possible_nx_huge_pages[" + text(f.list().args().get(0).value()) + "]";
        b.emit(mmuType == null ? new Nx.FirstEntry(sp, f.var().name() + " = list_first_entry(lpage_disallowed)")
                : new Nx.FirstEntry(sp, mmuType, f.var().name() + " = list_first_entry(" + list + ")"));
        loopBlock(f.body(), inner);
        b.emit(new Ops.Assign(n, minusOne(n), "--take"));
        b.emit(new Ops.Jump(top));
        b.patch(exitCount, new Ops.JumpUnless(dev.mmu.runtime.paths.Expr.local(n), b.here(), "take"));
        b.patch(exitEmpty, new Ops.JumpUnless(mmuType == null ? Queries.NX_LENGTH : Queries.nxLength(mmuType), b.here(),
                "!list_empty(" + list + ")"));
        patchBreaks();
    }

    /**
     * for sp in obsolete_pages: each time round, the first entry still on the list (the body takes
     * it off: a zap), none left ends the loop. for root in invalidated_roots and for root in
     * [valid_]tdp_mmu_roots[_yield_safe]: the root after the previous one (the variable starts before
     * the first).
     */
    private void forList(Stmt.ForList f, Env env) {
        int var = b.local(f.var().name());
        String list = f.list().name();
        if (list.equals("invalid_list")) {
            forInvalidList(f, var, env);
            return;
        }
        boolean roots = Stmt.ForList.isRootWalk(list);
        boolean rootVar = !list.equals("obsolete_pages");
        // the root walks start before the list's head (the iterator then takes a reference on each)
        if (rootVar) b.emit(new Ops.Assign(var, dev.mmu.runtime.paths.Expr.constant(-1), "root = NULL"));
        Env inner = new Env(env);
        inner.bind(f.var().name(), var);
        int top = b.here();
        int next = b.placeholder();
        boolean rcu = Stmt.ForList.isRcuRootWalk(list);
        if (rootVar) exprs.walkRoots.push(dev.mmu.runtime.paths.Expr.local(var));
        if (rcu) rcuRoots.add(var);
        loopBlock(f.body(), inner);
        if (rcu) rcuRoots.remove(var);
        if (rootVar) exprs.walkRoots.pop();
        b.emit(new Ops.Jump(top));
        b.patch(next, list.equals("obsolete_pages") ? new FastZap.NextObsolete(var, b.here())
                : roots ? new FastZap.NextRoot(var, b.here(), list.startsWith("valid_"), list.endsWith("_yield_safe"), rcu)
                : new FastZap.NextInvalidRoot(var, b.here()));
        patchBreaks();
    }

    /** for sp in invalid_list: list_for_each_entry_safe(sp, nsp, invalid_list, link), nsp read before the body. */
    private void forInvalidList(Stmt.ForList f, int var, Env env) {
        int nsp = b.local("nsp");
        b.emit(new ShadowMmu.InvalidListHead(nsp));
        Env inner = new Env(env);
        inner.bind(f.var().name(), var);
        int top = b.here();
        int next = b.placeholder();
        loopBlock(f.body(), inner);
        b.emit(new Ops.Jump(top));
        b.patch(next, new ShadowMmu.NextInvalid(var, nsp, b.here()));
        patchBreaks();
    }

    /**
     * for iter in tdp_pte(root, start .. end): the kernel's for_each_tdp_pte over gfns, in the valid
     * root of address space 0 (the builtin `root`) or in the root the expression names.
     */
    private void forTdpPte(Stmt.ForTdpPte f, Env env) {
        boolean builtin = f.root() instanceof Expr.Name n && n.name().equals("root") && env.slot("root") == null;
        // a root of for_each_tdp_mmu_root_rcu(): for_each_tdp_pte() under RCU alone (the lockless aging walk)
        boolean lockless = !builtin && f.root() instanceof Expr.Name n && env.slot(n.name()) != null
                && rcuRoots.contains(env.slot(n.name()));
        var loop = KernelPaths.beginTdpPteLoop(b, builtin ? null : value(f.root(), env), value(f.range().start(), env),
                value(f.range().end(), env), lockless, f.leafOnly());
        Env inner = new Env(env);
        inner.bindIter(f.var().name(), loop);
        loops.push(loop);
        exprs.walkRoots.push(loop.root());
        loopBlock(f.body(), inner);
        KernelPaths.endTdpPteLoop(b, loop);
        exprs.walkRoots.pop();
        loops.pop();
        patchBreaks();
        KernelPaths.putTdpPteLoopRoot(b, loop);
    }

    /**
     * for iter in tdp_mmu_for_each_pte(fault): kvm_mmu_hugepage_adjust() and tdp_iter_start() at the
     * vCPU's root, then the walk down to the first SPTE the body acts on; the body's end is
     * tdp_iter_next() after a link, which ends the loop if the walk cannot go on (iter.valid). The
     * iterator shares the fault's locals.
     */
    private void forTdpMmuPte(Stmt.ForFaultWalk f, Env env) {
        TdpMap.Fault fault = fault(f.fault(), env);
        b.emit(new TdpMap.Start(fault.vcpu(), fault.gpa(), fault.m(), fault.slotFlags(), fault.exec()));
        int walk = b.here();
        b.emit(TdpMap.Walk.at(fault.gpa(), fault.m(), walk));
        int next = faultWalkBody(f, env, fault);
        b.patch(next, TdpMap.Walk.afterLink(fault.gpa(), fault.m(), b.here(), walk));
        env.bindFault(f.var().name(), fault); // C's iter outlives the loop: where the walk ended
    }

    /**
     * for it in for_each_shadow_entry(fault): kvm_mmu_hugepage_adjust() and shadow_walk_init() at the
     * vCPU's root (the loop ends at once if that root is gone), then the walk down to the first
     * SPTE the body acts on; the body's end is shadow_walk_next() into the table just linked. The
     * iterator shares the fault's locals.
     */
    private void forShadowEntry(Stmt.ForFaultWalk f, Env env) {
        TdpMap.Fault fault = fault(f.fault(), env);
        int start = b.placeholder();
        int walk = b.placeholder();
        int next = faultWalkBody(f, env, fault);
        b.patch(start, new DirectMap.Start(fault.vcpu(), fault.gpa(), fault.m(), fault.slotFlags(), fault.exec(),
                fault.nested(), b.here()));
        b.patch(walk, new DirectMap.Walk(fault.gpa(), fault.m(), false, b.here()));
        b.patch(next, new DirectMap.Walk(fault.gpa(), fault.m(), true, b.here()));
    }

    /**
     * A fault walk's body, its iterator bound to the fault, then the jump back to its top; returns
     * the placeholder of the step to the next SPTE, which the caller fills (its breaks land after it).
     */
    private int faultWalkBody(Stmt.ForFaultWalk f, Env env, TdpMap.Fault fault) {
        int top = b.here();
        Env inner = new Env(env);
        inner.bindFault(f.var().name(), fault);
        loopBlock(f.body(), inner);
        int next = b.placeholder();
        b.emit(new Ops.Jump(top));
        patchBreaks();
        return next;
    }

    /**
     * The test of an if or while: the op that goes on when the condition holds and jumps to its
     * argument when not. A primitive's value as the whole condition ({@code p(..)}, {@code !p(..)},
     * {@code p(..) != 0}, {@code p(..) == 0}, {@code == false}) is tested by the call's own op ({@link Ops.ValueOp}),
     * whatever the primitive: its value is kept in no local. Else the condition's value, its calls
     * run first into locals ({@link #hoist}).
     */
    private IntFunction<Op> test(Expr cond, Env env) {
        boolean negate = cond instanceof Expr.Unary u && u.op() == Expr.UnaryOp.NOT;
        Expr e = negate ? ((Expr.Unary) cond).operand() : cond;
        if (e instanceof Expr.Binary bin && (bin.op() == Expr.BinaryOp.NE || bin.op() == Expr.BinaryOp.EQ)
                && (bin.right() instanceof Expr.IntLit z && z.value() == 0
                        || bin.right() instanceof Expr.BoolLit f && !f.value())) {
            negate = negate != (bin.op() == Expr.BinaryOp.EQ); // !(p() == 0) is p()
            e = bin.left();
        }
        Ops.ValueOp op = e instanceof Expr.Call c && !scenario.paths().containsKey(c.name().name())
                ? valueCall(c, env, -1) : null;
        if (op != null) {
            boolean not = negate;
            return unless -> op.branch(unless, not);
        }
        var value = value(cond, env);
        String text = text(cond);
        return unless -> new Ops.JumpUnless(value, unless, text);
    }

    /** The fault (or its walk's iterator) an argument names. */
    private static TdpMap.Fault fault(Expr e, Env env) {
        TdpMap.Fault f = e instanceof Expr.Name n ? env.fault(n.name()) : null;
        if (f == null) throw new CompileError(e.pos(), "a fault here is the parameter of fast_page_fault, kvm_tdp_mmu_page_fault or direct_page_fault, or its walk's iter");
        return f;
    }

    private void assign(Stmt.Assign a, Env env) {
        Integer slot = env.slot(a.name().name());
        Integer global = exprs.globals.get(a.name().name());
        if (slot == null && global != null) {
            // A load (for |=) and a store, each an op of its own, as C's x |= e on a shared variable.
            Expr stored = a.orAssign()
                    ? new Expr.Binary(a.pos(), Expr.BinaryOp.OR, new Expr.Name(a.name().pos(), a.name().name()), a.value())
                    : a.value();
            b.emit(new Ops.SetGlobal(global, value(stored, env), a.name().name() + (a.orAssign() ? " |= " : " = ")
                    + text(a.value())));
            return;
        }
        if (slot == null) throw new CompileError(a.name().pos(), "'" + a.name().name() + "' is not a variable");
        var v = value(a.value(), env);
        if (a.orAssign()) {
            int s0 = slot;
            var old = dev.mmu.runtime.paths.Expr.local(s0);
            b.emit(new Ops.Assign(s0, orOf(old, v), a.name().name() + " |= " + text(a.value())));
        } else {
            b.emit(new Ops.Assign(slot, v, a.name().name() + " = " + text(a.value())));
        }
    }

    private void access(Stmt.Access a, Env env) {
        int v = vcpu;
        if (a.vcpu().isPresent()) v = (int) constant(a.vcpu().get(), env);
        if (v < 0) throw new CompileError(a.pos(), "a guest access needs a vCPU: write `vcpu N " + kind(a.kind()).word() + " ...`");
        KernelPaths.guestAccess(b, config, v, kind(a.kind()), value(a.gpa(), env), a.nested(), this::tdpPageFault,
                this::directPageFault, this::fastPageFault, this::vcpuEnterGuest, pastesEntry("vcpu_enter_guest", new HashSet<>()));
    }

    /**
     * Whether the scenario pastes a path that the named one runs (or the path itself): then every
     * guest entry runs vcpu_enter_guest()'s root handling, since only the prelude's is known to do
     * nothing for a vCPU with a root and no request (a copy of kvm_mmu_reload() without its
     * root.hpa check takes a reference at each entry).
     */
    private boolean pastesEntry(String name, Set<String> seen) {
        PathDecl p = scenario.paths().get(name);
        if (p == null || !seen.add(name)) return false;
        if (!KernelPrelude.isPrelude(p.pos().file())) return true;
        for (Expr.Call c : Explainer.callsIn(p.body())) {
            if (pastesEntry(c.name().name(), seen)) return true;
        }
        return false;
    }

    /** The paths this body ran (inlined), at any depth. */
    Set<String> inlined() {
        return inlined;
    }

    /**
     * vcpu_enter_guest()'s root handling: the prelude's (or the user's) path, its vcpu_id the access's
     * vCPU, its guest_mode (if it declares one) whether the access is the L2 guest's, a constant.
     */
    private void vcpuEnterGuest(PathBuilder builder, int v, boolean guestMode) {
        inlinePath("vcpu_enter_guest", (callee, params) -> {
            callee.bindVcpu(params.get(0).name(), v);
            if (params.size() < 2) return;
            String name = params.get(1).name();
            int slot = b.local(name);
            b.emit(new Ops.Assign(slot, dev.mmu.runtime.paths.Expr.constant(guestMode ? 1 : 0), name + " = " + guestMode));
            callee.bind(name, slot);
            callee.bindConstant(name, guestMode ? 1 : 0);
        });
    }

    /**
     * fast_page_fault(): the prelude's (or the user's) source, its fault bound; returns the local of
     * its `ret` (paths return no value: the caller reads the path's own `ret`).
     */
    private int fastPageFault(PathBuilder builder, TdpMap.Fault fault, int spte) {
        fastPfSpte = spte;
        Integer ret = inlinePath("fast_page_fault", (callee, params) -> callee.bindFault(params.get(0).name(), fault)).slot("ret");
        fastPfSpte = -1;
        if (ret == null) {
            throw new CompileError(scenario.paths().get("fast_page_fault").name().pos(),
                    "fast_page_fault must declare `let ret` (its RET_PF_*)");
        }
        return ret;
    }

    /** The TDP fault from read_lock(): the prelude's (or the user's) kvm_tdp_mmu_page_fault, its fault bound. */
    private void tdpPageFault(PathBuilder builder, TdpMap.Fault fault) {
        inlinePath("kvm_tdp_mmu_page_fault", (callee, params) -> callee.bindFault(params.get(0).name(), fault));
    }

    /** The shadow MMU's fault from write_lock(): the prelude's (or the user's) direct_page_fault, its fault bound. */
    private void directPageFault(PathBuilder builder, TdpMap.Fault fault) {
        inlinePath("direct_page_fault", (callee, params) -> callee.bindFault(params.get(0).name(), fault));
    }

    /**
     * Inlines the path `name` the guest access runs (the prelude's or the user's), its parameters
     * bound by `bind`; returns the path's scope (its top-level `let`s stay readable).
     */
    private Env inlinePath(String name, java.util.function.BiConsumer<Env, List<Param>> bind) {
        PathDecl path = scenario.paths().get(name);
        Env callee = new Env(null);
        bind.accept(callee, path.params());
        inlining.push(name);
        inlined.add(name);
        pathBody(path.body().statements(), callee);
        inlining.pop();
        return callee;
    }

    /**
     * A value; primitive calls inside it are run first into a temporary local, in their own
     * step, as the C code evaluates a call before the expression that uses its result.
     */
    private dev.mmu.runtime.paths.Expr value(Expr e, Env env) {
        return exprs.compile(hoist(e, env), env);
    }

    private Expr hoist(Expr e, Env env) {
        if (e instanceof Expr.Name n && n.name().equals("need_resched")) return needResched(n, env);
        if (e instanceof Expr.Name n && env.slot(n.name()) == null && exprs.globals.containsKey(n.name())) {
            return load(n, env);
        }
        if (e instanceof Expr.Call c && isCallable(c.name().name())) {
            int tmp = b.local(c.name().name() + "()");
            call(c, env, tmp);
            String name = "$" + tmp;
            env.bind(name, tmp);
            return new Expr.Name(c.pos(), name);
        }
        if (e instanceof Expr.Binary bin) {
            Long known = bin.op() == Expr.BinaryOp.AND || bin.op() == Expr.BinaryOp.OR ? known(bin, env) : null;
            if (known != null) return new Expr.BoolLit(bin.pos(), known != 0); // C's short circuit (known())
            boolean and = bin.op() == Expr.BinaryOp.AND;
            if ((and || bin.op() == Expr.BinaryOp.OR) && emits(bin.right(), env)) return shortCircuit(bin, and, env);
            return new Expr.Binary(bin.pos(), bin.op(), hoist(bin.left(), env), hoist(bin.right(), env));
        }
        if (e instanceof Expr.Unary u) return new Expr.Unary(u.pos(), u.op(), hoist(u.operand(), env));
        return e;
    }

    /**
     * {@code a && f()} as C runs it: f() only when a holds ({@code ||}: when it does not), so its
     * ops (a yield, a choice) are jumped over, not run before the test and their value ignored.
     */
    private Expr shortCircuit(Expr.Binary bin, boolean and, Env env) {
        int tmp = b.local(text(bin));
        String name = "$" + tmp;
        b.emit(new Ops.Assign(tmp, exprs.compile(hoist(bin.left(), env), env), text(bin.left())));
        env.bind(name, tmp);
        Expr.Name value = new Expr.Name(bin.pos(), name);
        int skip = b.placeholder();
        b.emit(new Ops.Assign(tmp, exprs.compile(hoist(bin.right(), env), env), text(bin.right())));
        Expr goOn = and ? value : new Expr.Unary(bin.pos(), Expr.UnaryOp.NOT, value);
        b.patch(skip, new Ops.JumpUnless(exprs.compile(goOn, env), b.here(), (and ? "" : "!") + text(bin.left())));
        return value;
    }

    /** Whether hoisting an expression emits ops of its own: a call, need_resched, a global's load. */
    private boolean emits(Expr e, Env env) {
        if (e instanceof Expr.Name n) {
            return n.name().equals("need_resched") || env.slot(n.name()) == null && exprs.globals.containsKey(n.name());
        }
        if (e instanceof Expr.Call c) return isCallable(c.name().name());
        if (e instanceof Expr.Binary bin) return emits(bin.left(), env) || emits(bin.right(), env);
        if (e instanceof Expr.Unary u) return emits(u.operand(), env);
        return false;
    }

    /** Reading a global: a load into a temporary local, an op of its own (C's plain load). */
    private Expr load(Expr.Name n, Env env) {
        int tmp = b.local(n.name());
        b.emit(new Ops.Assign(tmp, Ops.global(exprs.globals.get(n.name())), "load " + n.name()));
        String name = "$" + tmp;
        env.bind(name, tmp);
        return new Expr.Name(n.pos(), name);
    }

    /**
     * need_resched in an expression: the statement's choice op (both answers, only yes while
     * rwlock_needbreak()), setting a temporary local that the expression reads.
     */
    private Expr needResched(Expr.Name n, Env env) {
        int tmp = b.local("need_resched");
        int check = b.placeholder();
        b.emit(new Ops.Assign(tmp, dev.mmu.runtime.paths.Expr.constant(1), "need_resched"));
        int skip = b.placeholder();
        b.patch(check, new Ops.NeedResched(b.here()));
        b.emit(new Ops.Assign(tmp, dev.mmu.runtime.paths.Expr.constant(0), "!need_resched"));
        b.patch(skip, new Ops.Jump(b.here()));
        String name = "$" + tmp;
        env.bind(name, tmp);
        return new Expr.Name(n.pos(), name);
    }

    private boolean isCallable(String name) {
        return Primitives.get(name) != null || scenario.paths().containsKey(name);
    }

    /** A call statement or a hoisted call: kernel path, user path, or primitive. */
    private void call(Expr.Call c, Env env, int result) {
        String name = c.name().name();
        List<Arg> args = c.args();
        PathDecl path = scenario.paths().get(name); // the user's, or the prelude's kernel path
        if (path != null) {
            inline(path, c, env, result);
            return;
        }
        if (name.equals("tdp_zap_sp") && teardownFlushes()) {
            // 5.10/5.12's kvm_tdp_mmu_zap_sp(): a range zap of every root, flushing each table it removes.
            int flush = result >= 0 ? result : b.local("flush");
            KernelPaths.zapSpByRange(b, value(named(c, "sp", 0), env), flush, scenario.machine().kernel().equals("5.12"));
            return;
        }
        if (name.equals("synchronize_srcu")) mightResched(c.pos(), "synchronize_srcu_expedited(&kvm->srcu)");
        Ops.ValueOp op = valueCall(c, env, result);
        if (op != null) {
            b.emit(op);
            return;
        }
        switch (name) {
            case "rcu_read_lock" -> b.emit(new Ops.Acquire(LockId.rcu, Mode.READ));
            case "rcu_read_unlock" -> b.emit(new Ops.Release(LockId.rcu));
            case "tdp_zap_range" -> {
                lockdepOnEntry(name);
                tdpZapRange(c, env, result);
            }
            case "__tdp_mmu_zap_root", "__tdp_mmu_zap_root_advancing" -> {
                lockdepOnEntry(name);
                int root = b.local("root");
                Expr rootArg = named(c, "root", 0);
                b.emit(new Ops.Assign(root, value(rootArg, env), "root = " + text(rootArg)));
                int level = b.local("zap_level");
                Expr levelArg = named(c, "zap_level", 1);
                b.emit(new Ops.Assign(level, value(levelArg, env), "zap_level = " + text(levelArg)));
                FastZap.zapRoot(b, root, level, held, name.equals("__tdp_mmu_zap_root_advancing"),
                        mightReschedOp(c.pos(), name + "() -> tdp_mmu_iter_cond_resched() -> " + condResched()));
            }
            case "link_shadow_page" -> {
                TdpMap.Fault f = walk(c, env);
                b.emit(new DirectMap.Link(f.gpa(), f.m()));
            }
            case "mmu_set_spte" -> {
                TdpMap.Fault f = walk(c, env);
                b.emit(new DirectMap.SetSpte(f.gpa(), f.m(), f.pfn(), f.slotFlags()));
            }
            case "tdp_mmu_iter_cond_resched", "tdp_mmu_iter_cond_resched_unguarded" -> {
                if (loops.isEmpty()) {
                    throw new CompileError(c.pos(), name + "() belongs inside for ... in tdp_pte");
                }
                int r = result >= 0 ? result : b.local("yielded");
                // The prelude's own walks yield between tables only, as its Java walks did (a user's
                // copy yields at every SPTE, as the kernel): docs/kernel-model.md, "Slot walks".
                KernelPaths.iterCondResched(b, loops.peek(), value(named(c, "flush", 0), env), r, held,
                        name.equals("tdp_mmu_iter_cond_resched"), KernelPrelude.isPrelude(c.pos().file()),
                        mightReschedOp(c.pos(), name + "() -> " + condResched()));
            }
            case "memslot_set_flags" -> b.emit(new SlotOps.SetLogDirty(slotPosition(c, env),
                    constant(named(c, "log_dirty_pages", 1), env) != 0));
            case "wrprot_gfn_range" -> {
                lockdepOnEntry(name);
                SlotPaths.wrprotGfnRange(b, value(named(c, "start_gfn", 0), env), value(named(c, "end_gfn", 1), env),
                        (int) constant(named(c, "min_level", 2), env), held, result, walkYield(c, name));
            }
            case "tdp_mmu_split_huge_pages_root" -> {
                // kvm_lockdep_assert_mmu_lock_held(kvm, shared) (tdp_mmu.c:1604, v7.2): the read lock if
                // shared, the write lock if not; the walk drops and retakes mmu_lock in that mode.
                boolean shared = constant(named(c, "shared", 2), env) != 0;
                b.emit(new Ops.LockdepAssert(shared ? Lockdep.MMU_READ : Lockdep.MMU_WRITE, name));
                Mode was = held;
                held = shared ? Mode.READ : Mode.WRITE;
                SlotPaths.splitHugePagesRoot(b, value(named(c, "start_gfn", 0), env), value(named(c, "end_gfn", 1), env),
                        held, walkYield(c, name), mightReschedOp(c.pos(), name
                                + "() -> tdp_mmu_alloc_sp_for_split() -> kmem_cache_zalloc(GFP_KERNEL_ACCOUNT)"));
                held = was;
            }
            case "zap_collapsible_spte_range" -> {
                lockdepOnEntry(name);
                SlotPaths.zapCollapsibleSpteRange(b, slotPosition(c, env), held, walkYield(c, name));
            }
            case "recover_huge_pages_range" -> {
                lockdepOnEntry(name);
                HugePageRecovery.recoverHugePagesRange(b, slotPosition(c, env), held, walkYield(c, name));
            }
            case "memslot_set_invalid" -> b.emit(new SlotOps.InvalidateSlot(slotPosition(c, env)));
            case "memslot_remove" -> b.emit(new SlotOps.DeleteSlot(slotPosition(c, env)));
            case "memslot_set_base" -> memslotSetBase(c, env);
            case "synchronize_srcu" -> b.emit(new SlotOps.SynchronizeSrcu());
            default -> throw new CompileError(c.name().pos(), "'" + name + "' is not modelled by the runtime yet");
        }
    }

    /**
     * A primitive call that is one op computing the primitive's value into local result (-1: none),
     * not emitted yet; null for a primitive the compiler expands into several ops.
     */
    private Ops.ValueOp valueCall(Expr.Call c, Env env, int result) {
        String name = c.name().name();
        Primitive p = Primitives.get(name);
        return switch (name) {
            case "try_cmpxchg" -> tryCmpxchg(c, env, result);
            // gfn (and level) name iter->sptep: in the walk's root, the innermost tdp_pte loop's or root
            // loop's (VolatileBits.root)
            case "kvm_tdp_mmu_read_spte", "tdp_mmu_set_spte", "__tdp_mmu_set_spte", "tdp_mmu_iter_set_spte", "set_spte",
                 "cmpxchg_spte", "split_huge" ->
                    primitive(p, c, env, result, exprs.walkRoots.peek());
            case "is_page_fault_stale", "mmu_invalidate_retry_gfn" -> {
                TdpMap.Fault f = fault(named(c, "fault", 0), env);
                yield new FaultOps.PageFaultStale(f.vcpu(), f.gpa(), f.seq(), result, -1, false,
                        name.equals("is_page_fault_stale"), f.nested());
            }
            case "tdp_mmu_link_sp" -> {
                TdpMap.Fault f = walk(c, env);
                yield new TdpMap.Link(f.gpa(), f.m(), f.exec(), result);
            }
            case "make_spte" -> new TdpMap.MakeSpte(walk(c, env), result);
            case "tdp_mmu_set_spte_atomic" -> {
                TdpMap.Fault f = fault(named(c, "iter", 0), env);
                yield new TdpMap.SetSpteAtomic(f, value(named(c, "new_spte", 1), env), result);
            }
            case "fast_pf_fix_direct_spte" -> {
                TdpMap.Fault f = fastFault(c, env);
                yield new FaultOps.FastPfFixDirectSpte(f.vcpu(), f.gpa(), fastPfSpte, f.slotFlags(), result);
            }
            case "kvm_tdp_mmu_fast_pf_get_last_sptep", "fast_pf_get_last_sptep" -> {
                TdpMap.Fault f = fastFault(c, env);
                yield new FaultOps.FastPfGetLastSptep(f.vcpu(), f.gpa(), fastPfSpte, f.slotFlags(), result);
            }
            default -> p == null ? null
                    : p.vcpuParam() >= 0 ? vcpuCall(p, c, env, result)
                    : p.isStep() ? primitive(p, c, env, result, null) : null;
        };
    }

    /** A primitive called on a vCPU: the vCPU is the op's, the other arguments are values. */
    private Ops.VcpuCall vcpuCall(Primitive p, Expr.Call c, Env env, int result) {
        int at = p.vcpuParam();
        int v = vcpuArg(named(c, Primitive.VCPU_ID, at), env);
        dev.mmu.runtime.paths.Expr[] args = new dev.mmu.runtime.paths.Expr[p.params().size() - 1];
        for (int i = 0, j = 0; i < p.params().size(); i++) {
            if (i != at) args[j++] = value(named(c, p.params().get(i).name(), i), env);
        }
        return new Ops.VcpuCall(p, v, args, result);
    }

    /** A vcpu_id argument: a vcpu_id parameter, or a constant naming one of the machine's vCPUs. */
    private int vcpuArg(Expr e, Env env) {
        if (e instanceof Expr.Name n && env.vcpu(n.name()) != null) return env.vcpu(n.name());
        Long v = constantOrNull(e, env);
        if (v == null) throw new CompileError(e.pos(), "a vCPU here is a constant (vcpu_id): the model compiles each vCPU's calls apart");
        if (v < 0 || v >= config.vcpus()) {
            throw new CompileError(e.pos(), "no vCPU " + v + ": the machine has vcpus " + config.vcpus());
        }
        return v.intValue();
    }

    /** A primitive that runs as one step; `extra`, if not null, is passed after its declared arguments. */
    private Ops.Call primitive(Primitive p, Expr.Call c, Env env, int result, dev.mmu.runtime.paths.Expr extra) {
        // A constant slot must be a declared id; one computed while running (a memslot loop's) is
        // checked when the step runs.
        if (p.params().stream().anyMatch(q -> q.name().equals("slot")) && !c.args().isEmpty()
                && constantOrNull(c.args().get(0).value(), env) != null) {
            slotArg(c, env);
        }
        int n = p.params().size();
        dev.mmu.runtime.paths.Expr[] v = new dev.mmu.runtime.paths.Expr[extra == null ? n : n + 1];
        for (int i = 0; i < n; i++) {
            Expr arg = named(c, p.params().get(i).name(), i);
            // a lock (lockdep_assert_held(mmu_lock)): its LockId, which the checker made sure it names
            v[i] = p.params().get(i).type() == Primitive.Type.LOCK
                    ? dev.mmu.runtime.paths.Expr.constant(dev.mmu.runtime.model.LockId.valueOf(((Expr.Name) arg).name()).ordinal())
                    : value(arg, env);
        }
        if (extra != null) v[n] = extra;
        return new Ops.Call(p, v, result);
    }

    /** The fault of a fast_page_fault() primitive: only that path's source calls them. */
    private TdpMap.Fault fastFault(Expr.Call c, Env env) {
        if (fastPfSpte < 0) throw new CompileError(c.pos(), "'" + c.name().name() + "' belongs in fast_page_fault");
        return fault(named(c, "fault", 0), env);
    }

    /** The fault of a (fault, iter) call: iter must be that fault's walk. */
    private TdpMap.Fault walk(Expr.Call c, Env env) {
        TdpMap.Fault f = fault(named(c, "fault", 0), env);
        Expr iter = named(c, "iter", 1);
        if (!(iter instanceof Expr.Name n) || env.fault(n.name()) != f || env.iter(n.name()) != null) {
            throw new CompileError(iter.pos(), "'" + c.name().name() + "' takes the iter of the fault's walk (tdp_mmu_for_each_pte, for_each_shadow_entry)");
        }
        return f;
    }

    /** try_cmpxchg(x, old, new) on a global: old is the caller's local, updated when the exchange fails. */
    private Ops.TryCmpxchg tryCmpxchg(Expr.Call c, Env env, int result) {
        String global = ((Expr.Name) named(c, "ptr", 0)).name();
        Expr old = named(c, "old", 1);
        Integer oldSlot = env.slot(((Expr.Name) old).name());
        if (oldSlot == null) throw new CompileError(old.pos(), "try_cmpxchg needs a local variable as 'old'");
        return new Ops.TryCmpxchg(exprs.globals.get(global), oldSlot, value(named(c, "new", 2), env), result, text(c));
    }

    /** tdp_zap_range(start, end, flush: f, can_yield: y): zap_gfn_range with its yield points; returns the flush. */
    private void tdpZapRange(Expr.Call c, Env env, int result) {
        int flush = result >= 0 ? result : b.local("flush");
        Expr flushArg = named(c, "flush", 2);
        Expr yieldArg = named(c, "can_yield", 3);
        b.emit(new Ops.Assign(flush, value(flushArg, env), "flush = " + text(flushArg)));
        boolean canYield = constant(yieldArg, env) != 0;
        KernelPaths.zapGfnRange(b, value(named(c, "start_gfn", 0), env), value(named(c, "end_gfn", 1), env), flush,
                canYield, teardownFlushes(), mightReschedOp(c.pos(), "tdp_zap_range() -> " + condResched()), held);
    }

    /** Whether the scenario's kernel flushes a removed TDP table before freeing it ({@link Prelude#teardownFlushes}). */
    private boolean teardownFlushes() {
        return Prelude.teardownFlushes(scenario.machine().kernel());
    }

    /** The mm's non-blockable start, whose body (KVM's callback, the prelude's or a copy) must not sleep. */
    static final String NON_BLOCK_START = "mmu_notifier_invalidate_range_start_nonblock";

    private void inline(PathDecl path, Expr.Call c, Env env, int result) {
        if (inlining.contains(path.name().name())) {
            throw new CompileError(c.pos(), "path '" + path.name().name() + "' calls itself");
        }
        Env callee = new Env(null);
        for (int i = 0; i < path.params().size(); i++) {
            var p = path.params().get(i);
            Expr arg = named(c, p.name(), i);
            if (arg instanceof Expr.Range r) { // a range parameter: start and end in two locals
                int start = b.locals(p.name(), 2);
                b.emit(new Ops.Assign(start, value(r.start(), env), p.name() + ".start = " + text(r.start())));
                b.emit(new Ops.Assign(start + 1, value(r.end(), env), p.name() + ".end = " + text(r.end())));
                callee.bindRange(p.name(), start);
                continue;
            }
            if (arg instanceof Expr.Name n && env.fault(n.name()) != null) { // a struct kvm_page_fault *: no copy
                callee.bindFault(p.name(), env.fault(n.name()));
                continue;
            }
            if (p.name().equals(Primitive.VCPU_ID)) { // a struct kvm_vcpu *: no copy either
                callee.bindVcpu(p.name(), vcpuArg(arg, env));
                continue;
            }
            int slot = b.local(p.name());
            b.emit(new Ops.Assign(slot, value(arg, env), p.name()));
            callee.bind(p.name(), slot);
            Long known = constantOrNull(arg, env);
            if (known != null && !assigns(path.body(), p.name())) callee.bindConstant(p.name(), known);
        }
        int outerNonBlock = nonBlockRange;
        if (path.name().name().equals(NON_BLOCK_START) && nonBlockRange < 0 && !path.params().isEmpty()
                && callee.range(path.params().get(0).name()) != null) {
            nonBlockRange = callee.range(path.params().get(0).name());
        }
        inlining.push(path.name().name());
        inlined.add(path.name().name());
        returnSlots.push(result);
        pathBody(path.body().statements(), new Env(callee));
        returnSlots.pop();
        inlining.pop();
        nonBlockRange = outerNonBlock;
    }

    /** The argument for a parameter: by name, by position, or a primitive's default. */
    private Expr named(Expr.Call c, String name, int position) {
        for (Arg a : c.args()) {
            if (a.name().isPresent() && a.name().get().name().equals(name)) return a.value();
        }
        if (c.args().size() > position && c.args().get(position).name().isEmpty()) return c.args().get(position).value();
        Primitive p = Primitives.get(c.name().name());
        var param = p == null ? null : p.params().stream().filter(q -> q.name().equals(name)).findFirst().orElse(null);
        if (param != null && param.defaultValue().isPresent()) {
            long v = param.defaultValue().getAsLong();
            return param.type() == Primitive.Type.BOOL ? new Expr.BoolLit(c.pos(), v != 0) : new Expr.IntLit(c.pos(), v);
        }
        throw new CompileError(c.pos(), "missing argument '" + name + "'");
    }

    /**
     * memslot_set_base(slot, base_gpa): the new gpa must keep the slot's host alignment (the model
     * maps huge pages only where gfn and hva agree).
     */
    private void memslotSetBase(Expr.Call c, Env env) {
        int id = slotArg(c, env);
        Expr gpaArg = named(c, "base_gpa", 1);
        long gpa = constant(gpaArg, env);
        var slot = config.slot(id);
        long align = 4096L << (9 * (slot.backingLevel() - 1));
        if (gpa % align != 0) {
            throw new CompileError(gpaArg.pos(), "memslot " + id + " moves to 0x" + Long.toHexString(gpa)
                    + ": must be aligned to its backing size (0x" + Long.toHexString(align) + ")");
        }
        b.emit(new SlotOps.MoveSlot(Memslots.position(config, id), gpa >>> 12));
    }

    /** The configured position of a memslot id argument. */
    private int slotPosition(Expr.Call c, Env env) {
        return Memslots.position(config, slotArg(c, env));
    }

    /** A memslot id argument: a constant naming a declared slot. */
    private int slotArg(Expr.Call c, Env env) {
        if (c.args().isEmpty()) throw new CompileError(c.pos(), "'" + c.name().name() + "' takes a memslot id");
        int id = (int) constant(c.args().get(0).value(), env);
        if (config.slot(id) == null) throw new CompileError(c.pos(), "unknown memslot " + id);
        return id;
    }

    private long constant(Expr e, Env env) {
        Long v = constantOrNull(e, env);
        if (v == null) throw new CompileError(e.pos(), "must be a constant");
        return v;
    }

    /** The value of a constant expression (a parameter passed one included), or null. */
    private Long constantOrNull(Expr e, Env env) {
        if (e instanceof Expr.Name n && env != null && env.constant(n.name()) != null) return env.constant(n.name());
        if (e instanceof Expr.Range || e instanceof Expr.Call) return null;
        var v = exprs.compile(e, env);
        try {
            if (v.footprint().equals(Footprint.LOCAL)) return v.eval(null, 0);
        } catch (NullPointerException notConstant) {
            // a local variable: only known while running
        }
        return null;
    }

    /**
     * The value of a condition known when compiling: literals and the vm { } settings, a parameter
     * passed a constant, and their negation; else null.
     */
    private Long known(Expr e, Env env) {
        if (e instanceof Expr.Name n) return env.constant(n.name());
        // C's short circuit: `can_yield && tdp_mmu_iter_cond_resched(flush)` with can_yield passed
        // false never calls (never yields); hoisting would run the call before the test.
        if (e instanceof Expr.Unary u && u.op() == Expr.UnaryOp.NOT && !ofTheMachine(u)) {
            Long v = known(u.operand(), env);
            return v == null ? null : v == 0 ? 1L : 0L;
        }
        if (e instanceof Expr.Binary bin && (bin.op() == Expr.BinaryOp.AND || bin.op() == Expr.BinaryOp.OR)) {
            Long left = known(bin.left(), env);
            boolean and = bin.op() == Expr.BinaryOp.AND;
            if (left != null && (left != 0) != and) return and ? 0L : 1L;
        }
        return ofTheMachine(e) ? constantOrNull(e, env) : null;
    }

    /** Whether an expression reads only literals and the vm { } settings (vm.tdp_mmu). */
    private static boolean ofTheMachine(Expr e) {
        if (e instanceof Expr.IntLit || e instanceof Expr.BoolLit) return true;
        if (e instanceof Expr.Field f) return f.target() instanceof Expr.Name n && n.name().equals("vm");
        if (e instanceof Expr.Unary u) return ofTheMachine(u.operand());
        if (e instanceof Expr.Binary bin) return ofTheMachine(bin.left()) && ofTheMachine(bin.right());
        return false;
    }

    /** Whether a block assigns a name anywhere (an inner `let` of the same name counts too). */
    private static boolean assigns(Block block, String name) {
        for (Stmt s : block.statements()) {
            if (s instanceof Stmt.Assign a && a.name().name().equals(name)) return true;
            for (Block inner : Stmt.blocks(s)) if (assigns(inner, name)) return true;
        }
        return false;
    }

    private static LockId lock(Stmt.LockName n) {
        return LockId.valueOf(n.kernelName);
    }

    private static Access kind(Stmt.AccessKind k) {
        return Access.valueOf(k.name());
    }

    private static dev.mmu.runtime.paths.Expr minusOne(int slot) {
        return new dev.mmu.runtime.paths.Expr.Decrement(slot);
    }

    private static dev.mmu.runtime.paths.Expr orOf(dev.mmu.runtime.paths.Expr a, dev.mmu.runtime.paths.Expr v) {
        return dev.mmu.runtime.paths.Expr.of(Footprint.of(a, v), dev.mmu.runtime.paths.Expr.locals(a, v),
                (s, t) -> a.eval(s, t) != 0 || v.eval(s, t) != 0 ? 1 : 0);
    }

    static String text(Expr e) {
        return Formatter.expr(e);
    }
}
