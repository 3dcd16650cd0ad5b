package dev.mmu.interp.check;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.interp.ast.Arg;
import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.GlobalDecl;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Returns;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.check.Builtins.Builtin;
import dev.mmu.interp.check.Builtins.Kind;
import dev.mmu.interp.check.Builtins.Param;
import dev.mmu.interp.diag.Diagnostics;
import dev.mmu.interp.diag.Suggestions;
import dev.mmu.runtime.paths.Prelude;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;
import org.antlr.v4.runtime.Vocabulary;

/**
 * Checks the statements of one setup, thread or path, and expressions anywhere: names resolve,
 * calls have the right arguments, types fit, constant vCPU indexes and addresses exist in the
 * machine, and {@code unlock}/{@code yield} only occur where a lock may be held.
 *
 * <p>Lock tracking is a may-analysis: a lock counts as held after a branch if either branch
 * takes it, so the checker never rejects a correct program; the explorer finds the rest. It counts
 * each lock's open sections ({@link HeldLocks}): a nested read_lock() needs its own unlock. A branch
 * that returns goes on nowhere: what it held is not held after the branch (a return holding a lock
 * the path took is the explorer's {@code lock_balance}, as the kernel's missing {@code goto out_unlock}).
 */
final class BodyChecker {

    /** Where errors go; a throwaway one during the passes before a backward goto's fixed point. */
    private Diagnostics diagnostics;
    private final Map<String, PathDecl> paths;   // user paths visible here
    private final Map<String, Long> row;         // outline values
    private final Machine machine;               // null when checking a file-level path
    private final String kernel;                 // the version whose names calls have: the scenario's, or the file's
    private final ConstEval eval;
    private final String unit;                   // "thread", "path", "setup": for messages
    private final boolean inVcpuThread;          // guest accesses may omit "vcpu N"
    private final Map<String, GlobalDecl> globals; // `global x = ...` visible here

    private final Deque<Map<String, Type>> scopes = new ArrayDeque<>(); // a null type: unknown, already reported
    private final Set<String> untypedParams = new HashSet<>(); // `path p(flush)`: ints by default
    private HeldLocks held = new HeldLocks();
    /** The loops around the statement being checked, innermost first: what their breaks and continues hold. */
    private final Deque<LoopEdges> loops = new ArrayDeque<>();
    private int atomicDepth;
    /** In a path: what it returns (VOID for none; null if that is wrong, already reported). */
    private Type returns;
    private boolean inPath;
    /** Whether control reaches the statement being checked: false after a `return` or `goto` (see {@link Returns}). */
    private boolean live = true;
    /** Per label of the path, what the gotos to it may hold: joined with what falls into it. */
    private final Map<String, HeldLocks> atLabel = new HashMap<>();
    /** Which statements end their way through: the path's, whose labels say where a goto out of a loop lands. */
    private Returns endings = Returns.ANY;

    /** What may be held where a loop's body leaves it: at its breaks, and back at its head by a continue. */
    private static final class LoopEdges {
        final HeldLocks breaks = new HeldLocks();
        final HeldLocks continues = new HeldLocks();
        boolean broke; // some break is reached: an endless loop is left

        void jump(Stmt.Break b, HeldLocks held) {
            (b.isContinue() ? continues : breaks).addAll(held);
            broke |= !b.isContinue();
        }
    }

    BodyChecker(Diagnostics diagnostics, Map<String, PathDecl> paths, Map<String, Long> row, Machine machine,
                String unit, boolean inVcpuThread, Map<String, GlobalDecl> globals) {
        this(diagnostics, paths, row, machine, unit, inVcpuThread, globals, machine == null ? null : machine.kernel());
    }

    /** The same, for a path outside a scenario checked against {@code kernel}'s prelude (null: none). */
    BodyChecker(Diagnostics diagnostics, Map<String, PathDecl> paths, Map<String, Long> row, Machine machine,
                String unit, boolean inVcpuThread, Map<String, GlobalDecl> globals, String kernel) {
        this.kernel = kernel;
        this.globals = globals;
        this.diagnostics = diagnostics;
        this.paths = paths;
        this.row = row;
        this.machine = machine;
        this.eval = new ConstEval(row);
        this.unit = unit;
        this.inVcpuThread = inVcpuThread;
        scopes.push(new HashMap<>());
    }

    /** Checks a path body with its parameters in scope. */
    void path(PathDecl path) {
        for (PathDecl.Param p : path.params()) {
            Type type = p.type().isEmpty() ? Type.INT : Type.ofParam(p.type());
            if (p.type().isEmpty()) {
                untypedParams.add(p.name());
            }
            if (type == null) {
                diagnostics.error(p.pos(), "unknown parameter type '" + p.type() + "': use int, bool, sp, root or range");
            }
            scopes.peek().put(p.name(), type);
        }
        returns = path.returns().map(t -> Type.ofParam(t.name())).orElse(Type.VOID);
        if (returns != Type.VOID && returns != Type.INT && returns != Type.BOOL) {
            diagnostics.error(path.returns().get().pos(), "a path returns an int or a bool, not '" + path.returns().get().name() + "'");
            returns = null;
        }
        inPath = true;
        endings = Returns.of(path.body());
        boolean backward = Gotos.check(path.body(), diagnostics);
        Runnable pass = () -> {
            held = new HeldLocks();
            live = true;
            block(path.body());
        };
        if (backward) {
            // A goto back brings what it holds to a label control passed already.
            lockFixedPoint(() -> copy(atLabel), pass);
        } else {
            pass.run();
        }
        if (path.returns().isPresent() && !endings.ends(path.body())) {
            // C's "control reaches end of non-void function": some way through the body returns nothing.
            diagnostics.error(path.name().pos(), "path '" + path.name().name() + "' returns " + path.returns().get().name()
                    + ", but control can reach its end: end every way through it with 'return VALUE'");
        }
    }

    /**
     * Repeats pass, its errors held back, until state (what a way back may hold: the gotos' at their
     * labels, a loop's at its head) stops growing, then reports the last pass's errors: that pass
     * started from the fixed point, so it misses no lock a way back brings. Monotone on a finite set
     * of locks, so it ends. A goto back (for the path) and a loop's back edges (for its body) share it.
     */
    private <T> void lockFixedPoint(Supplier<T> state, Runnable pass) {
        Diagnostics reporting = diagnostics;
        T before;
        do {
            before = state.get();
            diagnostics = new Diagnostics();
            pass.run();
        } while (!before.equals(state.get()));
        Diagnostics last = diagnostics;
        diagnostics = reporting;
        last.sorted().forEach(reporting::add);
    }

    private static Map<String, HeldLocks> copy(Map<String, HeldLocks> atLabel) {
        Map<String, HeldLocks> copy = new HashMap<>();
        atLabel.forEach((k, v) -> copy.put(k, new HeldLocks(v)));
        return copy;
    }

    void block(Block block) {
        scopes.push(new HashMap<>());
        List<Stmt> statements = block.statements();
        for (int i = 0; i < statements.size(); i++) {
            if (i > 0 && endings.ends(statements.get(i - 1)) && !(statements.get(i) instanceof Stmt.Label)) {
                // A no-op a reviewer would read as code that runs (a label is a goto's way in).
                Stmt before = statements.get(i - 1);
                diagnostics.error(statements.get(i).pos(), "unreachable statement: the one before it "
                        + (before instanceof Stmt.Return ? "returns"
                                : before instanceof Stmt.Goto g ? "jumps to '" + g.label().name() + "'"
                                : jumps(before) ? "returns or jumps on every way through it" : "returns on every way through it"));
            }
            if (i + 1 < statements.size() && cDeclaration(statements.get(i), statements.get(i + 1))) {
                i++; // the assignment is read as the let it means, so its later uses are not errors too
            } else {
                statement(statements.get(i));
            }
        }
        scopes.pop();
    }

    /**
     * {@code bool flush = false} parses as a command {@code bool} and an assignment to an undeclared
     * {@code flush}: one error with the fix instead of one per use of the variable.
     */
    private boolean cDeclaration(Stmt type, Stmt next) {
        java.util.Optional<Stmt.Assign> declared = CDeclarations.of(type, next, paths::containsKey);
        if (declared.isEmpty()) {
            return false;
        }
        Stmt.Assign a = declared.get();
        Stmt.CallStmt c = (Stmt.CallStmt) type;
        diagnostics.error(c.call().name().pos(), "'" + c.call().name().name() + " " + a.name().name()
                + " = ...' is a C declaration: write 'let " + a.name().name() + " = ...' (a variable's type is its value's)");
        statement(new Stmt.Let(a.pos(), a.name(), a.value()));
        return true;
    }

    /** Checks a boolean expression: an assert, an if, an expectation. */
    void condition(Expr e) {
        expect(e, Type.BOOL, "a condition");
    }

    /**
     * WARN_ON_ONCE(c) or WARN_ON(c), as a statement or an if's whole condition: one condition, a
     * bool (the kernel's takes any scalar; the model's conditions are bools).
     */
    private void warn(Expr.Call c) {
        String name = c.name().name();
        if (c.args().size() != 1 || c.args().get(0).name().isPresent()) {
            diagnostics.error(c.args().size() == 1 ? c.args().get(0).pos() : c.name().pos(), name
                    + "() takes one condition, unnamed: " + name + "(iter.level == fault.goal_level)");
            c.args().forEach(a -> expr(a.value()));
            return;
        }
        expect(c.args().get(0).value(), Type.BOOL, name + "()'s condition");
    }

    /** Checks an integer expression: a bound, a count. */
    void number(Expr e, String what) {
        expect(e, Type.INT, what);
    }

    private void statement(Stmt s) {
        if (s instanceof Stmt.Access a) {
            access(a);
        } else if (s instanceof Stmt.Lock l) {
            lockMode(l);
            held.add(l.lock(), l.mode());
        } else if (s instanceof Stmt.Unlock u) {
            if (!held.remove(u.lock())) {
                diagnostics.error(u.pos(), "unlock of " + u.lock().kernelName + " without a matching 'lock' in this " + unit);
            }
        } else if (s instanceof Stmt.Yield y) {
            if (!held.contains(Stmt.LockName.MMU_LOCK)) {
                diagnostics.error(y.pos(), "yield outside a region holding mmu_lock: cond_resched_rwlock_*() drops and "
                        + "retakes a held lock");
            }
        } else if (s instanceof Stmt.IfNeedResched n) {
            branches(n.then(), n.orElse());
        } else if (s instanceof Stmt.If i) {
            if (Builtins.isWarn(i.cond())) warn((Expr.Call) i.cond());
            else condition(i.cond());
            branches(i.then(), i.orElse());
        } else if (s instanceof Stmt.Let l) {
            scopes.peek().put(l.name().name(), expr(l.value()));
        } else if (s instanceof Stmt.Assign a) {
            assign(a);
        } else if (s instanceof Stmt.While w) {
            condition(w.cond());
            loop(w.body(), null, null, w.cond() instanceof Expr.BoolLit b && b.value());
        } else if (s instanceof Stmt.ForLpageDisallowed f) {
            if (f.list() != null && expr(f.list()) != Type.NX_LIST) {
                diagnostics.error(f.list().pos(), "'take N' walks 'lpage_disallowed' or one MMU's NX list, "
                        + "'possible_nx_huge_pages(KVM_TDP_MMU)'");
            }
            expect(f.take(), Type.INT, "the number of pages to take");
            loop(f.body(), f.var().name(), Type.SP, false);
        } else if (s instanceof Stmt.ForList f) {
            loop(f.body(), f.var().name(), Stmt.ForList.ofPages(f.list().name()) ? Type.SP : Type.ROOT, false);
        } else if (s instanceof Stmt.ForTdpPte f) {
            if (f.leafOnly() && builtinRoot(f.root())) {
                diagnostics.error(f.root().pos(), "'" + Stmt.ForTdpPte.LEAF_WALK + "' walks a root a root loop gave or a 'root'"
                        + " parameter ('for r in valid_tdp_mmu_roots_rcu { for iter in " + Stmt.ForTdpPte.LEAF_WALK
                        + "(r, start, end) { } }'), not the builtin 'root'");
            }
            Type root = builtinRoot(f.root()) ? Type.ROOT : expr(f.root());
            if (root != null && root != Type.ROOT) {
                diagnostics.error(f.root().pos(), "the root to walk must be 'root' (the valid root of address space 0), "
                        + "a root loop's variable ('for r in tdp_mmu_roots { for iter in tdp_pte(r, ..) { } }') or a "
                        + "'root' parameter, found " + article(root));
            }
            expect(f.range().start(), Type.INT, "the start gfn");
            expect(f.range().end(), Type.INT, "the end gfn");
            loop(f.body(), f.var().name(), f.leafOnly() ? Type.LEAF_ITER : Type.ITER, false);
        } else if (s instanceof Stmt.ForFaultWalk f) {
            expect(f.fault(), Type.FAULT, "the fault whose gfn the walk goes to");
            Type iter = f.walk().name().equals("for_each_shadow_entry") ? Type.SHADOW_ITER : Type.FAULT_ITER;
            loop(f.body(), f.var().name(), iter, false);
            // C declares the iterator at the function's top: after the loop it is where the walk
            // ended (kvm_tdp_mmu_map()'s WARN_ON_ONCE(iter.level == fault->goal_level)).
            if (iter == Type.FAULT_ITER) scopes.peek().put(f.var().name(), iter);
        } else if (s instanceof Stmt.Repeat r) {
            expect(r.count(), Type.INT, "the repeat count");
            loop(r.body(), null, null, false);
        } else if (s instanceof Stmt.Atomic a) {
            atomicDepth++;
            block(a.body());
            atomicDepth--;
        } else if (s instanceof Stmt.Choose c) {
            choose(c);
        } else if (s instanceof Stmt.Assert a) {
            condition(a.cond());
        } else if (s instanceof Stmt.Break b) {
            if (loops.isEmpty()) {
                diagnostics.error(b.pos(), b.word() + " outside a loop");
            } else if (live) {
                loops.peek().jump(b, held);
            }
            live = false;
        } else if (s instanceof Stmt.Return r) {
            returnStatement(r);
        } else if (s instanceof Stmt.Goto g) {
            if (!inPath) {
                diagnostics.error(g.pos(), "goto outside a path: a " + unit + " has no labels to jump to");
            } else if (live) {
                atLabel.computeIfAbsent(g.label().name(), k -> new HeldLocks()).addAll(held);
            }
            live = false;
        } else if (s instanceof Stmt.Label l) {
            label(l);
        } else if (s instanceof Stmt.CallStmt c && Builtins.isWarn(c.call())) {
            warn(c.call());
        } else if (s instanceof Stmt.CallStmt c) {
            call(c.call(), true, c.command());
        }
    }

    /**
     * Only mmu_lock is an rwlock: `lock read` of a mutex or spinlock would be taken exclusively
     * without a word, and kvm->srcu has no write side to take (synchronize_srcu() waits, holds nothing).
     */
    private void lockMode(Stmt.Lock l) {
        Stmt.LockName lock = l.lock();
        if (lock.onlyMode == null || l.mode() == lock.onlyMode) {
            return;
        }
        diagnostics.error(l.modePos(), switch (lock) {
            case SRCU -> "srcu has a read side only: srcu_read_lock(&kvm->srcu) is 'lock read srcu' "
                    + "(the writer's synchronize_srcu() waits for readers, it takes no lock)";
            case SLOTS_LOCK -> "slots_lock is a mutex: mutex_lock() has no read mode; write 'lock write slots_lock'";
            default -> lock.kernelName + " is a spinlock: spin_lock() has no read mode (only mmu_lock is an rwlock); "
                    + "write 'lock write " + lock.kernelName + "'";
        });
    }

    /**
     * `return [e]`, anywhere in a path: the path ends there and its caller gets the value, typed as
     * declared. Nothing goes on from it ({@link #live}).
     */
    private void returnStatement(Stmt.Return r) {
        if (!inPath) {
            diagnostics.error(r.pos(), "return outside a path: a " + unit + " ends at its last statement");
            return;
        }
        live = false;
        if (r.value().isEmpty()) {
            if (returns != Type.VOID && returns != null) {
                diagnostics.error(r.pos(), "this path returns " + returns.display + ": write 'return VALUE'");
            }
            return;
        }
        if (returns == Type.VOID) {
            diagnostics.error(r.pos(), "this path returns no value: declare what it returns, 'path NAME(...) -> bool'");
            expr(r.value().get());
        } else if (returns != null) {
            expect(r.value().get(), returns, "the value returned");
        }
    }

    /**
     * A label: what its gotos may hold joins what falls into it (nothing, after a return or a goto);
     * a forward goto has been seen, a backward one in the passes before ({@link #lockFixedPoint}).
     */
    private void label(Stmt.Label l) {
        if (!inPath) {
            diagnostics.error(l.pos(), "a label outside a path: gotos and their labels belong in a path");
            return;
        }
        HeldLocks jumped = atLabel.get(l.name().name());
        if (jumped == null) return;
        if (!live) held = new HeldLocks();
        held.addAll(jumped);
        live = true;
    }

    /** Whether a goto stands anywhere in s. */
    private static boolean jumps(Stmt s) {
        if (s instanceof Stmt.Goto) return true;
        for (Block b : Stmt.blocks(s)) if (b.statements().stream().anyMatch(BodyChecker::jumps)) return true;
        return false;
    }

    private void access(Stmt.Access a) {
        if (a.vcpu().isPresent()) {
            Expr vcpu = a.vcpu().get();
            Type type = expr(vcpu);
            if (type != null && type != Type.INT) {
                diagnostics.error(vcpu.pos(), "a vCPU index must be an int, found " + article(type));
            } else if (type != null && eval.eval(vcpu).isEmpty()) {
                diagnostics.error(vcpu.pos(), "the vCPU of a guest access must be a constant (a number or an outline "
                        + "value): each access is compiled for one vCPU; to pick one at run time, write "
                        + "'choose { vcpu 0 read ... } or { vcpu 1 read ... }'");
            }
            vcpuIndex(a.vcpu().get());
        } else if (!inVcpuThread) {
            diagnostics.error(a.pos(), "a guest access outside 'thread vcpu N' names its vCPU: 'vcpu 0 "
                    + a.kind().name().toLowerCase(java.util.Locale.ROOT) + " ...'");
        }
        if (a.nested() && machine != null && machine.mmu() != dev.mmu.interp.ast.VmSetting.Flavour.BOTH) {
            diagnostics.error(a.pos(), "a nested access runs the L2 guest on shadow pages: it needs 'vm { mmu both }'");
        }
        expect(a.gpa(), Type.INT, "a guest physical address");
        address(a.gpa());
    }

    private void assign(Stmt.Assign a) {
        Optional<Map<String, Type>> scope = scopes.stream().filter(m -> m.containsKey(a.name().name())).findFirst();
        GlobalDecl global = globals.get(a.name().name());
        if (scope.isEmpty() && global == null) {
            Set<String> candidates = new LinkedHashSet<>(locals());
            candidates.addAll(globals.keySet());
            diagnostics.error(a.name().pos(), "unknown variable '" + a.name().name() + "': declare it with 'let'"
                    + Suggestions.hint(a.name().name(), candidates));
            expr(a.value());
            return;
        }
        Type type = scope.isPresent() ? scope.get().get(a.name().name()) : typeOf(global);
        if (a.orAssign() && type != null && type != Type.BOOL && type != Type.INT) {
            diagnostics.error(a.pos(), "'|=' needs a bool or int variable, '" + a.name().name() + "' is " + type.display);
        }
        if (type != null) {
            expect(a.value(), type, "the value of '" + a.name().name() + "'", a.name().name());
        }
    }

    /** Each branch is explored; the setup and atomic blocks take no scheduler choice, so none there. */
    private void choose(Stmt.Choose c) {
        if (unit.equals("setup")) {
            diagnostics.error(c.pos(), "choose in the setup: the setup runs once, deterministically; "
                    + "put the choice in a thread");
        } else if (atomicDepth > 0) {
            diagnostics.error(c.pos(), "choose inside atomic: an atomic block takes no scheduler choice; "
                    + "put the atomic blocks inside the branches");
        }
        HeldLocks before = new HeldLocks(held);
        HeldLocks after = new HeldLocks();
        boolean anyLive = false;
        for (Block b : c.branches()) {
            held = new HeldLocks(before);
            live = true;
            block(b);
            anyLive |= join(after);
        }
        held = after;
        live = anyLive;
    }

    private void branches(Block then, Optional<Block> orElse) {
        HeldLocks before = new HeldLocks(held);
        HeldLocks after = new HeldLocks();
        block(then);
        boolean anyLive = join(after);
        held = before;
        live = true;
        orElse.ifPresent(this::block);
        anyLive |= join(after);
        held = after;
        live = anyLive;
    }

    /** Adds what a branch holds at its end to after, if control goes on from there; whether it does. */
    private boolean join(HeldLocks after) {
        if (live) after.addAll(held);
        return live;
    }

    /**
     * A loop: what may be held at its head is what enters it joined with its back edges (the body's
     * end and its continues), found by {@link #lockFixedPoint} as for a goto back, so a loop and its
     * goto spelling ({@code again: if c { body; goto again }}) get the same errors. It is left at
     * its head (the test fails: not an endless {@code while true}) or by a break.
     */
    private void loop(Block body, String var, Type varType, boolean endless) {
        HeldLocks head = new HeldLocks(held);
        LoopEdges[] last = new LoopEdges[1];
        lockFixedPoint(() -> new HeldLocks(head), () -> {
            last[0] = new LoopEdges();
            loops.push(last[0]);
            held = new HeldLocks(head);
            live = true;
            scopes.push(new HashMap<>());
            if (var != null) {
                scopes.peek().put(var, varType);
            }
            block(body);
            scopes.pop();
            loops.pop();
            if (live) head.addAll(held);
            head.addAll(last[0].continues);
        });
        live = !endless || last[0].broke;
        held = last[0].breaks;
        // Dead code after an endless loop sees its head, as code after a return sees what it held.
        if (!endless || !live) held.addAll(head);
    }

    // ------------------------------------------------------------------ expressions

    /** The expression's type, or null if it is wrong (already reported). */
    Type expr(Expr e) {
        if (e instanceof Expr.IntLit) {
            return Type.INT;
        }
        if (e instanceof Expr.BoolLit) {
            return Type.BOOL;
        }
        if (e instanceof Expr.Name n) {
            return name(n);
        }
        if (e instanceof Expr.Field f) {
            return field(f);
        }
        if (e instanceof Expr.Call c && Builtins.isWarn(c)) {
            diagnostics.error(c.name().pos(), c.name().name() + "() stands as a statement or as an if's whole condition"
                    + " (`if " + c.name().name() + "(c) { .. }`), not inside a larger expression");
            return null;
        }
        if (e instanceof Expr.Call c) {
            return call(c, false, false);
        }
        if (e instanceof Expr.Range r) {
            diagnostics.error(r.pos(), "a range 'a .. b' is only allowed as an argument");
            return null;
        }
        if (e instanceof Expr.Unary u) {
            Type want = u.op() == Expr.UnaryOp.NOT ? Type.BOOL : Type.INT;
            expect(u.operand(), want, "the operand of '" + (u.op() == Expr.UnaryOp.NOT ? "!" : "-") + "'");
            return want;
        }
        return binary((Expr.Binary) e);
    }

    /** The lexer's keywords ('lock' -> lock), read once: a name spelt so was refused by the parser. */
    private static final Set<String> KEYWORDS = keywords();

    private static Set<String> keywords() {
        Vocabulary v = MmuLexer.VOCABULARY;
        Set<String> words = new java.util.HashSet<>();
        for (int t = 1; t <= v.getMaxTokenType(); t++) {
            String literal = v.getLiteralName(t);
            if (literal != null && literal.matches("'[a-z_0-9]+'")) words.add(literal.substring(1, literal.length() - 1));
        }
        return Set.copyOf(words);
    }

    /** The builtin `root` as a walk's root: no local of that name hides it. */
    private boolean builtinRoot(Expr e) {
        return e instanceof Expr.Name n && n.name().equals("root") && scopes.stream().noneMatch(s -> s.containsKey("root"));
    }

    private Type name(Expr.Name n) {
        for (Map<String, Type> scope : scopes) {
            if (scope.containsKey(n.name())) {
                return scope.get(n.name());
            }
        }
        if (row.containsKey(n.name())) {
            return Type.INT;
        }
        if (globals.containsKey(n.name())) {
            return typeOf(globals.get(n.name()));
        }
        if (n.name().equals("need_resched")) {
            if (unit.equals("expectation")) {
                diagnostics.error(n.pos(), "need_resched is the scheduler's answer to a running thread: "
                        + "an expectation cannot read it");
            }
            return Type.BOOL;
        }
        Optional<Builtin> global = Builtins.lookup(n.name()).filter(b -> b.kind() == Kind.GLOBAL);
        if (n.name().equals("root")) {
            // No kernel thread has a current root: only a walk that holds a reference on it can name it.
            diagnostics.error(n.pos(), "the builtin 'root' is only the root a 'tdp_pte' walk names (the valid root "
                    + "of address space 0, referenced for the walk); to pass a root on, take one from a root loop: "
                    + "'for r in valid_tdp_mmu_roots_yield_safe { f(r, ..) }'");
            return null;
        }
        if (global.isPresent()) {
            return global.get().returns();
        }
        if (KEYWORDS.contains(n.name())) {
            return null; // a keyword as an argument, refused by the parser already
        }
        List<String> candidates = new ArrayList<>(locals());
        candidates.addAll(row.keySet());
        candidates.addAll(globals.keySet());
        candidates.addAll(Builtins.namesOf(Kind.GLOBAL));
        String hint = Suggestions.hint(n.name(), candidates);
        if (n.name().equals("kvm")) {
            // A pasted kernel argument: f(kvm, sp). "did you mean 'vm'?" misled.
            hint = ": the model has one VM, which kernel paths and primitives take without an argument: leave 'kvm' out";
        }
        if (hint.isEmpty() && Builtins.lookup(n.name()).map(b -> b.kind() == Kind.STAT).orElse(false)) {
            hint = "; did you mean 'stat." + n.name() + "'?";
        }
        diagnostics.error(n.pos(), "unknown name '" + n.name() + "'" + hint);
        return null;
    }

    private Type field(Expr.Field f) {
        Type target = expr(f.target());
        if (target == Type.BOOL && f.target() instanceof Expr.Call c && c.name().name().equals("tlb")) {
            target = Type.TLB_ENTRY; // tlb(vcpu, gpa) is a bool, and has the cached translation's fields
        }
        if (target == null) {
            return null;
        }
        Map<String, Type> fields = Builtins.fieldsOf(target);
        String name = f.field().name();
        if (fields.containsKey(name)) {
            return fields.get(name);
        }
        String hint = Suggestions.hint(name, fields.keySet());
        if (target == Type.STATS) {
            diagnostics.error(f.field().pos(), "unknown stat '" + name + "'" + hint);
        } else if (target == Type.VM) {
            diagnostics.error(f.field().pos(), "unknown vm setting '" + name + "'" + hint);
        } else if (target == Type.ITER && name.equals("old_spte")) {
            diagnostics.error(f.field().pos(), "tdp_pte's iterator has no field 'old_spte': read it with"
                    + " kvm_tdp_mmu_read_spte(iter.gfn, iter.level), or walk the leaves with 'for iter in "
                    + Stmt.ForTdpPte.LEAF_WALK + "(root, start, end)', whose step reads iter.old_spte");
        } else if (target == Type.SHADOW_ITER && name.equals("old_spte")) {
            // struct kvm_shadow_walk_iterator (mmu.c, v6.12) keeps sptep, not the value read: under the
            // write lock nothing changes it, there is no cmpxchg to expect a value.
            diagnostics.error(f.field().pos(), "for_each_shadow_entry's iterator has no field 'old_spte' (that is"
                    + " tdp_mmu_for_each_pte's, the value its cmpxchg expects): it has " + String.join(", ", fields.keySet()));
        } else if (fields.isEmpty()) {
            diagnostics.error(f.field().pos(), "a value of type " + target.display + " has no fields");
        } else {
            diagnostics.error(f.field().pos(), "a value of type " + target.display + " has no field '" + name + "'"
                    + (hint.isEmpty() ? ": it has " + String.join(", ", fields.keySet()) : hint));
        }
        return null;
    }

    private Type binary(Expr.Binary b) {
        switch (b.op()) {
            case AND, OR -> {
                expect(b.left(), Type.BOOL, "the operand of '" + b.op().symbol + "'");
                expect(b.right(), Type.BOOL, "the operand of '" + b.op().symbol + "'");
                return Type.BOOL;
            }
            case LT, LE, GT, GE -> {
                expect(b.left(), Type.INT, "the operand of '" + b.op().symbol + "'");
                expect(b.right(), Type.INT, "the operand of '" + b.op().symbol + "'");
                return Type.BOOL;
            }
            case EQ, NE -> {
                Type left = expr(b.left());
                Type right = expr(b.right());
                if (left != null && right != null && left != right) {
                    diagnostics.error(b.pos(), "'" + b.op().symbol + "' compares " + left.display + " with " + right.display);
                }
                return Type.BOOL;
            }
            default -> {
                expect(b.left(), Type.INT, "the operand of '" + b.op().symbol + "'");
                expect(b.right(), Type.INT, "the operand of '" + b.op().symbol + "'");
                return Type.INT;
            }
        }
    }

    private void expect(Expr e, Type want, String what) {
        expect(e, want, what, e instanceof Expr.Name n ? n.name() : null);
    }

    /** The same, where {@code variable} is the one whose type decides (the argument, or the assigned). */
    private void expect(Expr e, Type want, String what, String variable) {
        Type got = expr(e);
        if (got != null && !Type.fits(got, want)) {
            diagnostics.error(e.pos(), what + " must be " + article(want) + ", found " + article(got)
                    + untypedHint(variable, got == Type.INT ? want : got));
        }
    }

    /** Why a parameter is an int when the user meant a bool: it was declared without a type. */
    private String untypedHint(String variable, Type meant) {
        boolean param = variable != null && untypedParams.contains(variable)
                && scopes.stream().filter(m -> m.containsKey(variable)).findFirst().orElse(null) == scopes.peekLast();
        return param && meant != null && meant != Type.INT && Type.ofParam(meant.display) != null
                ? " (parameter '" + variable + "' has no type, so it is an int: declare it '" + variable + ": "
                        + meant.display + "')"
                : "";
    }

    // ------------------------------------------------------------------ calls

    private Type call(Expr.Call c, boolean statement, boolean command) {
        String name = c.name().name();
        PathDecl path = paths.get(name);
        if (path != null) {
            List<Param> params = path.params().stream()
                    .map(p -> new Param(p.name(), p.type().isEmpty() ? Type.INT : Type.ofParam(p.type())))
                    .toList();
            // A prelude path is the kernel path the user called, by the name written (an alias too).
            String callee = (KernelPrelude.isPrelude(path.pos().file()) ? "kernel path '" : "path '") + name + "'";
            Map<String, Expr> bound = arguments(c, callee, params);
            if (machine != null && Builtins.lookup(name).filter(b -> b.kind() == Kind.KERNEL_PATH).isPresent()) {
                kernelPathArguments(bound); // a prelude kernel path, or the user's copy of one
            }
            Type returns = path.returns().map(t -> Type.ofParam(t.name())).orElse(Type.VOID);
            if (!statement && returns == Type.VOID) {
                diagnostics.error(c.name().pos(), callee + " returns no value: call it as a statement");
                return null;
            }
            return statement ? Type.VOID : returns;
        }
        Optional<String> own = renamed(name);
        if (own.isPresent()) {
            // The other version's name of a prelude function (kvm_mmu_zap_collapsible_sptes under 7.2):
            // its kernel has only its own.
            boolean older = Prelude.rename(name).orElseThrow().older().equals(name);
            diagnostics.error(c.name().pos(), KernelPrelude.renameMessage("kernel path", name, kernel(own.get()), own.get())
                    + (older ? "; call that, or select a kernel of the older name (`vm { kernel 6.12 }`)"
                            : "; call that, or leave the kernel out for today's (" + Prelude.LATEST + ")"));
            return null;
        }
        Optional<Builtin> builtin = Builtins.lookup(name)
                .filter(b -> b.kind() == Kind.KERNEL_PATH || b.kind() == Kind.PRIMITIVE || b.kind() == Kind.QUERY);
        if (builtin.isEmpty()) {
            unknownCall(c, statement, command);
            return null;
        }
        Builtin b = builtin.get();
        Optional<String> ownPrimitive = b.kind() != Kind.PRIMITIVE || kernel == null ? Optional.empty()
                : Prelude.primitiveRenamedIn(kernel, name);
        if (ownPrimitive.isPresent()) {
            // The other version's name of a renamed primitive (kvm_mmu_invalidate_begin under 7.2).
            diagnostics.error(c.name().pos(), KernelPrelude.primitiveRenameMessage(name, kernel, ownPrimitive.get()));
            return null;
        }
        Map<String, Expr> bound = arguments(c, describe(b), b.params());
        if (name.equals("try_cmpxchg")) {
            tryCmpxchgArguments(bound);
        }
        if (b.kind() == Kind.KERNEL_PATH && machine != null) {
            kernelPathArguments(bound);
        }
        backedArgument(name, bound);
        if (!statement && b.returns() == Type.VOID) {
            diagnostics.error(c.name().pos(), describe(b) + " returns no value");
            return null;
        }
        return b.returns();
    }

    /** The name the prelude in scope has for a function it knows under another version's name (Prelude.RENAMES). */
    private Optional<String> renamed(String name) {
        return Prelude.rename(name).map(r -> r.other(name))
                .filter(other -> paths.containsKey(other) && KernelPrelude.isPrelude(paths.get(other).pos().file()));
    }

    /** The kernel the paths in scope are: the scenario's, or (a file-level path) that of the file the prelude path is in. */
    private String kernel(String preludePath) {
        return machine != null ? machine.kernel() : Prelude.versionOf(paths.get(preludePath).pos().file());
    }

    private void unknownCall(Expr.Call c, boolean statement, boolean command) {
        String name = c.name().name();
        Set<String> candidates = new LinkedHashSet<>(paths.keySet());
        candidates.addAll(Builtins.namesOf(Kind.KERNEL_PATH));
        candidates.addAll(Builtins.namesOf(Kind.PRIMITIVE));
        if (!statement) {
            candidates.addAll(Builtins.namesOf(Kind.QUERY));
        }
        String what = command ? "kernel path or user path" : statement ? "primitive, kernel path or user path" : "function";
        List<Builtin> models = Builtins.modelling(name);
        if (!models.isEmpty()) {
            // A kernel function pasted under its own name, which the language calls otherwise: one
            // error naming the built-in, not one per kernel argument (kvm, &invalid_list).
            diagnostics.error(c.name().pos(), "unknown " + what + " '" + name + "': the model calls it "
                    + String.join(" or ", models.stream().map(b -> "'" + b.name() + "("
                            + String.join(", ", b.params().stream().map(Param::text).toList()) + ")'").toList()));
            return;
        }
        diagnostics.error(c.name().pos(), "unknown " + what + " '" + name + "'" + Suggestions.hint(name, candidates));
        c.args().forEach(a -> {
            if (!(a.value() instanceof Expr.Range)) {
                expr(a.value());
            }
        });
    }

    /** Checks the arguments against the parameters; returns the argument bound to each parameter. */
    private Map<String, Expr> arguments(Expr.Call c, String callee, List<Param> params) {
        Map<String, Expr> bound = new HashMap<>();
        Set<String> given = new HashSet<>();
        int positional = 0;
        int misnamed = 0; // each probably meant a missing parameter, which is then not reported again
        boolean named = false;
        for (Arg arg : c.args()) {
            Param param;
            if (arg.name().isPresent()) {
                named = true;
                String argName = arg.name().get().name();
                param = params.stream().filter(p -> p.name().equals(argName)).findFirst().orElse(null);
                if (param == null) {
                    diagnostics.error(arg.name().get().pos(), callee + " has no parameter '" + argName + "'"
                            + Suggestions.hint(argName, params.stream().map(Param::name).toList()));
                    misnamed++;
                    continue;
                }
                if (!given.add(argName)) {
                    diagnostics.error(arg.name().get().pos(), "argument '" + argName + "' is given twice");
                    continue;
                }
            } else {
                if (named) {
                    diagnostics.error(arg.pos(), "a positional argument cannot follow a named one");
                    continue;
                }
                if (pastedKvm(arg.value())) {
                    // f(kvm, sp) pasted from the kernel: one error, and sp still binds the first parameter.
                    expr(arg.value());
                    continue;
                }
                if (positional >= params.size()) {
                    diagnostics.error(arg.pos(), "too many arguments: " + callee + " takes " + params.size()
                            + signature(params));
                    break;
                }
                param = params.get(positional++);
                given.add(param.name());
            }
            argument(arg, param, callee);
            bound.put(param.name(), arg.value());
        }
        List<String> missing = params.stream().filter(p -> p.defaultValue().isEmpty()).map(Param::name)
                .filter(n -> !given.contains(n)).toList();
        if (missing.size() > misnamed) {
            diagnostics.error(c.name().pos(), callee + " needs " + String.join(", ", missing.stream().map(m -> "'" + m + "'").toList())
                    + signature(params) + (missing.contains("mmu_type") ? MMU_TYPE_HINT : ""));
        }
        return bound;
    }

    /**
     * The NX recovery took no argument until 6.17, and a scenario written for 6.12 (the default
     * until the sixteenth session) calls it so: say what today's kernel takes instead.
     */
    private static final String MMU_TYPE_HINT = ": since 6.18 (and in 7.2, the default) NX recovery is one pass per"
            + " MMU type: pass KVM_TDP_MMU or KVM_SHADOW_MMU, call kvm_nx_huge_page_recovery_worker for both passes,"
            + " or say `vm { kernel 6.12 }` for the one-list loop";

    private void argument(Arg arg, Param param, String callee) {
        if (param.type() == Type.RANGE) {
            if (arg.value() instanceof Expr.Range r) {
                expect(r.start(), Type.INT, "the start of the range");
                expect(r.end(), Type.INT, "the end of the range");
            } else {
                diagnostics.error(arg.value().pos(), "argument '" + param.name() + "' of " + callee
                        + " must be a range 'start .. end'");
            }
            return;
        }
        if (param.type() == Type.LOCK) {
            if (!(arg.value() instanceof Expr.Name n && lockName(n.name()) != null)) {
                diagnostics.error(arg.value().pos(), "argument '" + param.name() + "' of " + callee + " is a lock: "
                        + String.join(", ", java.util.Arrays.stream(Stmt.LockName.values()).map(l -> l.kernelName).toList())
                        + " (the kernel's &kvm->mmu_lock is written mmu_lock)");
            }
            return;
        }
        if (arg.value() instanceof Expr.Range r) {
            diagnostics.error(r.pos(), "argument '" + param.name() + "' of " + callee + " must be "
                    + article(param.type()) + ", found a range");
            return;
        }
        if (param.type() != null) {
            expect(arg.value(), param.type(), "argument '" + param.name() + "' of " + callee);
        }
        if (param.name().equals("vcpu")) {
            vcpuIndex(arg.value());
        }
    }

    /** The lock a lockdep_assert_held*() argument names, or null. */
    static Stmt.LockName lockName(String word) {
        return java.util.Arrays.stream(Stmt.LockName.values()).filter(l -> l.kernelName.equals(word)).findFirst().orElse(null);
    }

    /** try_cmpxchg(ptr, old, new): ptr names a global, old a local variable that a failure updates. */
    private void tryCmpxchgArguments(Map<String, Expr> bound) {
        if (bound.get("ptr") instanceof Expr.Name n && globals.containsKey(n.name()) && !isLocal(n.name())) {
            // the global itself, not its value
        } else if (bound.containsKey("ptr")) {
            diagnostics.error(bound.get("ptr").pos(), "the first argument of try_cmpxchg is a global variable"
                    + (globals.isEmpty() ? " (declare one at file level: 'global x = 0')" : ": one of "
                    + String.join(", ", globals.keySet())));
        }
        if (bound.containsKey("old") && !(bound.get("old") instanceof Expr.Name n && isLocal(n.name()))) {
            diagnostics.error(bound.get("old").pos(), "the second argument of try_cmpxchg is a local variable: "
                    + "a failed exchange loads the current value into it");
        }
    }

    private boolean isLocal(String name) {
        return scopes.stream().anyMatch(m -> m.containsKey(name));
    }

    /** A global's type is its initial value's: false/true make a bool. */
    static Type typeOf(GlobalDecl g) {
        return g.value() instanceof Expr.BoolLit ? Type.BOOL : Type.INT;
    }

    /** Kernel paths take guest address ranges and slot ids: those must exist in the machine. */
    private void kernelPathArguments(Map<String, Expr> bound) {
        if (bound.get("range") instanceof Expr.Range r) {
            OptionalLong start = eval.eval(r.start());
            OptionalLong end = eval.eval(r.end());
            if (start.isPresent() && end.isPresent() && end.getAsLong() <= start.getAsLong()) {
                diagnostics.error(r.pos(), "empty range: the end " + MachineChecker.hex(end.getAsLong())
                        + " is not above the start " + MachineChecker.hex(start.getAsLong()));
                return;
            }
            address(r.start());
            if (end.isPresent() && machine.slotOf(end.getAsLong() - 1).isEmpty()) {
                diagnostics.error(r.end().pos(), "range end " + MachineChecker.hex(end.getAsLong())
                        + " is outside every memslot" + slotsSummary());
            }
        }
        Expr slot = bound.get("slot");
        OptionalLong id = slot == null || slot instanceof Expr.Range ? OptionalLong.empty() : eval.eval(slot);
        if (id.isPresent() && machine.slot(id.getAsLong()).isEmpty()) {
            diagnostics.error(slot.pos(), "unknown memslot " + id.getAsLong() + ": declared slots are "
                    + machine.memslots().stream().map(m -> String.valueOf(m.id())).toList());
            return;
        }
        // memslot_move: the model maps huge pages only where gfn and hva agree, so a slot keeps its alignment.
        Expr base = bound.get("base_gpa");
        OptionalLong gpa = base == null || id.isEmpty() ? OptionalLong.empty() : eval.eval(base);
        long align = gpa.isPresent() ? machine.slot(id.getAsLong()).get().backing() : 1;
        if (gpa.isPresent() && gpa.getAsLong() % align != 0) {
            diagnostics.error(base.pos(), "memslot " + id.getAsLong() + " moves to " + MachineChecker.hex(gpa.getAsLong())
                    + ": must be aligned to its backing size (" + MachineChecker.hex(align) + ")");
        }
    }

    /** host(gpa) and set_spte(gfn, ...) look up the host page behind the address: it must be in a memslot. */
    private void backedArgument(String callee, Map<String, Expr> bound) {
        if (callee.equals("host") && bound.containsKey("gpa")) {
            address(bound.get("gpa"));
        }
        OptionalLong gfn = callee.equals("set_spte") && bound.containsKey("gfn")
                ? eval.eval(bound.get("gfn")) : OptionalLong.empty();
        if (machine != null && gfn.isPresent() && machine.slotOf(gfn.getAsLong() << 12).isEmpty()) {
            diagnostics.error(bound.get("gfn").pos(), "gfn " + MachineChecker.hex(gfn.getAsLong())
                    + " is outside every memslot" + slotsSummary());
        }
    }

    private void vcpuIndex(Expr e) {
        OptionalLong v = eval.eval(e);
        if (machine != null && v.isPresent() && (v.getAsLong() < 0 || v.getAsLong() >= machine.vcpus())) {
            diagnostics.error(e.pos(), "unknown vCPU " + v.getAsLong() + ": the scenario has " + machine.vcpus()
                    + " vCPU" + (machine.vcpus() == 1 ? " (vcpu 0)" : "s (vcpu 0.." + (machine.vcpus() - 1) + ")"));
        }
    }

    private void address(Expr e) {
        OptionalLong v = eval.eval(e);
        if (machine != null && v.isPresent() && machine.slotOf(v.getAsLong()).isEmpty()) {
            diagnostics.error(e.pos(), "address " + MachineChecker.hex(v.getAsLong()) + " is outside every memslot"
                    + slotsSummary());
        }
    }

    private String slotsSummary() {
        if (machine.memslots().isEmpty()) {
            return " (the scenario declares none)";
        }
        return " (" + String.join(", ", machine.memslots().stream()
                .map(s -> "memslot " + s.id() + " is [" + MachineChecker.hex(s.gpa()) + ", " + MachineChecker.hex(s.end()) + ")")
                .toList()) + ")";
    }

    /** A bare 'kvm' that names no variable: the kernel's first argument, which the model leaves out. */
    private boolean pastedKvm(Expr value) {
        return value instanceof Expr.Name n && n.name().equals("kvm") && !locals().contains("kvm")
                && !row.containsKey("kvm") && !globals.containsKey("kvm");
    }

    private Set<String> locals() {
        Set<String> names = new LinkedHashSet<>();
        scopes.forEach(m -> names.addAll(m.keySet()));
        return names;
    }

    private static String describe(Builtin b) {
        return switch (b.kind()) {
            case KERNEL_PATH -> "kernel path '" + b.name() + "'";
            case PRIMITIVE -> "primitive '" + b.name() + "'";
            default -> "'" + b.name() + "'";
        };
    }

    private static String signature(List<Param> params) {
        return " (" + String.join(", ", params.stream()
                .map(Param::text).toList()) + ")";
    }

    private static String article(Type t) {
        return switch (t) {
            case INT -> "an int";
            case ITER -> "an iter";
            default -> "a " + t.display;
        };
    }
}
