package dev.mmu.interp.explain;

import dev.mmu.interp.ast.Arg;
import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.Expectation;
import dev.mmu.interp.ast.ExploreSetting;
import dev.mmu.interp.ast.Expr;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.Stmt;
import dev.mmu.interp.ast.ThreadDecl;
import dev.mmu.interp.ast.VmSetting;
import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.KernelPrelude;
import dev.mmu.interp.check.CheckedScenario;
import dev.mmu.interp.check.Machine;
import dev.mmu.interp.check.MemslotSpec;
import dev.mmu.interp.compile.CompileError;
import dev.mmu.interp.compile.Compiler;
import dev.mmu.interp.fmt.Formatter;
import dev.mmu.runtime.explore.ExploreOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code mmu explain}: a checked scenario in words. The machine with its defaults filled in, the
 * memory map in gpa and gfn, what each thread runs down to the kernel function every built-in
 * models, the user paths it reaches, what each expectation demands and how the explorer will
 * search. Nothing is explored.
 */
public final class Explainer {

    private static final int PAGE_SHIFT = 12;

    private final Map<String, String> sources; // file name in positions → text
    private final Map<String, Formatter.Source> prepared = new HashMap<>(); // each file lexed once
    private final StringBuilder out = new StringBuilder();

    private Explainer(Map<String, String> sources) {
        this.sources = sources;
    }

    public static String explain(List<CheckedScenario> scenarios, Map<String, String> sources) {
        Explainer e = new Explainer(sources);
        for (int i = 0; i < scenarios.size(); i++) {
            if (i > 0) {
                e.out.append('\n');
            }
            e.scenario(scenarios.get(i));
        }
        return e.out.toString();
    }

    private void scenario(CheckedScenario sc) {
        line(0, "scenario \"" + sc.name() + "\"  (" + sc.scenario().pos() + ")");
        if (!sc.tags().isEmpty()) {
            line(1, "tags: " + sc.tags().stream().map(t -> "@" + t).collect(Collectors.joining(" ")));
        }
        if (!sc.row().isEmpty()) {
            line(1, "outline row: " + sc.row().entrySet().stream().map(e -> e.getKey() + " = " + e.getValue())
                    .sorted().collect(Collectors.joining(", ")));
        }
        machine(sc.machine());
        if (!sc.globals().isEmpty()) {
            line(1, "globals (shared by every thread; each load and store is a step): " + sc.globals().stream()
                    .map(g -> g.name().name() + " = " + Formatter.expr(g.value(), source(g.pos().file())))
                    .collect(Collectors.joining(", ")));
        }
        setup(sc);
        threads(sc);
        userPaths(sc);
        expectations(sc);
        explore(sc);
    }

    private void machine(Machine m) {
        line(1, "machine");
        line(2, "mmu " + m.mmu().name().toLowerCase(Locale.ROOT)
                + ", nx_huge_pages " + onOff(m.nxHugePages())
                + ", nx_recovery_ratio " + m.nxRecoveryRatio()
                + ", eager_page_split " + onOff(m.eagerPageSplit())
                + (m.pml() ? ", pml on" : "")
                + (m.flushRemoteTlbsRange() ? ", flush_remote_tlbs_range on" : "")
                + (m.slotZapAll() ? "" : ", quirk slot_zap_all off")
                + ", tdp_levels " + m.tdpLevels()
                + ", preempt " + m.preempt().name().toLowerCase(Locale.ROOT));
        line(2, "vcpus " + m.vcpus() + " (" + (m.vcpus() == 1 ? "vCPU 0" : "vCPUs 0.." + (m.vcpus() - 1)) + ")");
        line(1, "memory map (ranges end-exclusive, as '..' in the language)");
        if (m.memslots().isEmpty()) {
            line(2, "(no memslots: every guest access would be outside guest memory)");
        }
        for (MemslotSpec s : m.memslots()) {
            List<String> flags = new ArrayList<>();
            if (s.dirtyLog()) {
                flags.add("dirty_log");
            }
            if (s.readonly()) {
                flags.add("readonly");
            }
            line(2, "slot " + s.id()
                    + "  gpa " + hex(s.gpa()) + " .. " + hex(s.end())
                    + "  gfn " + hex(s.gpa() >>> PAGE_SHIFT) + " .. " + hex(s.end() >>> PAGE_SHIFT)
                    + "  size " + size(s.size())
                    + "  backing " + size(s.backing()) + " (" + s.size() / s.backing() + " host page"
                    + (s.size() / s.backing() == 1 ? "" : "s") + ", mappings up to " + size(s.backing()) + ")"
                    + (flags.isEmpty() ? "" : "  flags " + String.join(", ", flags))
                    + (s.gupFastMayFail() ? "  gup_fast_may_fail on (a read fault may map the page read-only)" : ""));
        }
    }

    private void setup(CheckedScenario sc) {
        if (sc.scenario().setups().isEmpty()) {
            return;
        }
        line(1, "setup (runs once, one step at a time, before exploring)");
        for (Block b : sc.scenario().setups()) {
            text(3, Formatter.statements(b, source(b.pos().file())));
            calls(2, b, sc, new LinkedHashSet<>());
        }
    }

    private void threads(CheckedScenario sc) {
        line(1, "threads (" + sc.scenario().threads().size() + ", interleaved by the explorer)");
        for (ThreadDecl t : sc.scenario().threads()) {
            String kind = t.vcpu().isPresent() ? "vCPU thread: its accesses run on " + t.name().replace("vcpu", "vCPU")
                    : "kernel thread";
            line(2, "thread " + t.name() + "  (" + kind + ", " + t.pos() + ")");
            text(4, Formatter.statements(t.body(), source(t.pos().file())));
            calls(3, t.body(), sc, new LinkedHashSet<>());
        }
    }

    /** What a block reaches, built-ins by the kernel function they model, user paths inlined. */
    private void calls(int depth, Block body, CheckedScenario sc, Set<String> inlined) {
        Set<String> seen = new LinkedHashSet<>();
        Set<String> accesses = new LinkedHashSet<>();
        for (Stmt s : statements(body)) {
            if (s instanceof Stmt.Access a) {
                accesses.add((a.nested() ? "nested " : "") + a.kind().name().toLowerCase(Locale.ROOT));
            }
        }
        if (!accesses.isEmpty()) {
            line(depth, "- " + String.join(", ", accesses) + ": guest access: TLB, else hardware walk, "
                    + "else EPT-violation fault " + faultPath(sc.machine()));
        }
        String needbreak = sc.machine().preempt() == VmSetting.PreemptModel.FULL
                ? " or rwlock_needbreak() (true while a waiter is queued on mmu_lock: preempt full)"
                : "; rwlock_needbreak() is 0 (preempt " + sc.machine().preempt().name().toLowerCase(Locale.ROOT) + ")";
        for (Stmt s : statements(body)) {
            if (s instanceof Stmt.Yield && seen.add("yield")) {
                line(depth, "- yield: cond_resched_rwlock_*(): drops and retakes mmu_lock if need_resched() (the "
                        + "explorer tries both answers)" + needbreak);
            }
            if (s instanceof Stmt.IfNeedResched && seen.add("need_resched")) {
                line(depth, "- if need_resched: need_resched() (the explorer tries both answers)" + needbreak);
            }
            if (s instanceof Stmt.Choose c && seen.add("choose")) {
                line(depth, "- choose: the scenario's free choice (the explorer tries each of the "
                        + c.branches().size() + " branches)");
            }
        }
        for (Expr.Call c : callsIn(body)) {
            String name = c.name().name();
            if (!seen.add(name)) {
                continue;
            }
            PathDecl user = sc.paths().get(name);
            if (user != null && KernelPrelude.isPrelude(user.pos().file())) {
                line(depth, "- " + name + ": " + Builtins.lookup(name).map(Explainer::describe).orElse("kernel path")
                        + " (prelude " + user.pos() + ")");
                continue;
            }
            if (user != null) {
                line(depth, "- " + name + ": user path (" + user.pos() + ")"
                        + (inlined.contains(name) ? ", recursive: not expanded again" : ""));
                if (inlined.add(name)) {
                    calls(depth + 1, user.body(), sc, inlined);
                    inlined.remove(name);
                }
                continue;
            }
            Builtins.lookup(name).ifPresent(b -> line(depth, "- " + name + ": " + describe(b)));
        }
    }

    private static String faultPath(Machine m) {
        return m.mmu() == dev.mmu.interp.ast.VmSetting.Flavour.SHADOW
                ? "(kvm_mmu_page_fault -> direct_page_fault -> direct_map, disallowed_hugepage_adjust; mmu_lock held for write)"
                : "(kvm_tdp_page_fault -> kvm_tdp_mmu_map, disallowed_hugepage_adjust; mmu_lock held for read)";
    }

    private static String describe(Builtins.Builtin b) {
        String kind = switch (b.kind()) {
            case KERNEL_PATH -> "kernel path, models " + b.kernelFunction();
            case PRIMITIVE -> "primitive, models " + b.kernelFunction() + lock(b.lock());
            case QUERY -> "query of the model state";
            default -> b.kind().name().toLowerCase(Locale.ROOT);
        };
        return kind + ": " + b.doc();
    }

    private static String lock(dev.mmu.runtime.paths.Lockdep lock) {
        return !lock.asserts() ? "" : " (needs " + lock.describe() + ")";
    }

    private void userPaths(CheckedScenario sc) {
        Set<String> reached = new LinkedHashSet<>();
        sc.scenario().setups().forEach(b -> reach(b, sc, reached));
        sc.scenario().threads().forEach(t -> reach(t.body(), sc, reached));
        if (reached.isEmpty()) {
            return;
        }
        line(1, "user paths");
        for (String name : reached) {
            PathDecl p = sc.paths().get(name);
            text(2, Formatter.path(p, source(p.pos().file())));
        }
    }

    private void reach(Block body, CheckedScenario sc, Set<String> reached) {
        for (Expr.Call c : callsIn(body)) {
            PathDecl p = sc.paths().get(c.name().name());
            if (p != null && !KernelPrelude.isPrelude(p.pos().file()) && reached.add(c.name().name())) {
                reach(p.body(), sc, reached);
            }
        }
    }

    private void expectations(CheckedScenario sc) {
        line(1, "expectations");
        if (sc.scenario().expectations().isEmpty()) {
            line(2, "(none: only the setup's and threads' asserts are checked)");
        }
        for (Expectation e : sc.scenario().expectations()) {
            line(2, expectation(e, source(e.pos().file())));
        }
    }

    private static String expectation(Expectation e, Formatter.Source text) {
        if (e instanceof Expectation.Fails f) {
            return Formatter.expectation(f, text) + ": some interleaving must break it (a regression test for the bug)";
        }
        if (e instanceof Expectation.AssertFails) {
            return "expect fails assert: some interleaving must fail an assert (a regression test for the bug)";
        }
        if (e instanceof Expectation.Never n) {
            return "expect never " + n.invariant().name() + ": in no reachable state " + doc(n.invariant().name());
        }
        if (e instanceof Expectation.Always a) {
            return "expect always " + Formatter.expr(a.cond(), text) + ": holds in every reachable state";
        }
        if (e instanceof Expectation.Final f) {
            return "expect final " + Formatter.expr(f.cond(), text) + ": holds when every thread has finished";
        }
        if (e instanceof Expectation.Reachable r) {
            return "expect reachable " + Formatter.expr(r.cond(), text) + ": some interleaving reaches it";
        }
        if (e instanceof Expectation.Violation v) {
            return "expect violation " + v.invariant().name() + ": some interleaving must show "
                    + doc(v.invariant().name()) + " (a regression test for the bug)";
        }
        if (e instanceof Expectation.Terminates) {
            return "expect terminates: no thread can run forever (a cycle is shown as a lasso)";
        }
        Expectation.Max m = (Expectation.Max) e;
        return "expect max " + m.metric().name() + " <= " + Formatter.expr(m.bound(), text) + ": in every state, "
                + Builtins.lookup(m.metric().name()).map(Builtins.Builtin::doc).orElse(m.metric().name());
    }

    private static String doc(String invariant) {
        return Builtins.lookup(invariant).map(b -> "(" + b.doc() + ")").orElse(invariant);
    }

    private void explore(CheckedScenario sc) {
        line(1, "explore");
        for (ExploreSetting s : sc.scenario().explore()) {
            line(2, "as written: " + setting(s, source(s.pos().file())));
        }
        ExploreOptions o;
        try {
            o = Compiler.compile(sc).options();
        } catch (CompileError e) {
            line(2, "the runtime cannot run it yet: " + e.getMessage() + " (" + e.pos + ")");
            return;
        }
        String strategy = switch (o.strategy()) {
            case DFS -> "exhaustive depth-first search";
            case BFS -> "exhaustive breadth-first search (shortest counterexamples)";
            case PREEMPTION_BOUNDED -> "every interleaving with at most " + o.preemptionBound() + " preemptions";
            case RANDOM -> o.runs() + " random runs, seed " + o.seed();
            case PCT -> o.runs() + " PCT runs at depth " + o.pctDepth() + ", seed " + o.seed();
        };
        line(2, "search: " + strategy);
        line(2, "budget: " + o.maxStates() + " states, " + (o.timeLimit() == null ? "no time limit"
                : o.timeLimit().toMillis() / 1000.0 + "s") + (o.portfolioFallback()
                ? "; when it runs out: random and PCT runs (portfolio), seed printed" : ""));
    }

    private static String setting(ExploreSetting s, Formatter.Source text) {
        if (s instanceof ExploreSetting.Preemptions p) {
            return "preemptions <= " + Formatter.expr(p.bound(), text);
        }
        if (s instanceof ExploreSetting.Strategy k) {
            return "strategy " + k.kind().name().toLowerCase(Locale.ROOT);
        }
        if (s instanceof ExploreSetting.Runs r) {
            return "runs " + Formatter.expr(r.count(), text);
        }
        if (s instanceof ExploreSetting.Seed seed) {
            return "seed " + Formatter.expr(seed.seed(), text);
        }
        if (s instanceof ExploreSetting.MaxStates m) {
            return "max_states " + Formatter.expr(m.count(), text);
        }
        if (s instanceof ExploreSetting.Time t) {
            return "time " + Formatter.duration(t.millis());
        }
        return "symmetry vcpus";
    }

    // ------------------------------------------------------------------ walking bodies

    /** Every statement of a block, nested ones included, in source order. */
    private static List<Stmt> statements(Block b) {
        List<Stmt> all = new ArrayList<>();
        for (Stmt s : b.statements()) {
            all.add(s);
            for (Block inner : Stmt.blocks(s)) {
                all.addAll(statements(inner));
            }
        }
        return all;
    }

    /** Calls in statements and in the expressions they hold, in source order (the compiler's too). */
    public static List<Expr.Call> callsIn(Block b) {
        List<Expr.Call> calls = new ArrayList<>();
        for (Stmt s : statements(b)) {
            for (Expr e : exprs(s)) {
                collect(e, calls);
            }
        }
        return calls;
    }

    private static List<Expr> exprs(Stmt s) {
        if (s instanceof Stmt.CallStmt c) {
            return List.of(c.call());
        }
        if (s instanceof Stmt.Let l) {
            return List.of(l.value());
        }
        if (s instanceof Stmt.Assign a) {
            return List.of(a.value());
        }
        if (s instanceof Stmt.If i) {
            return List.of(i.cond());
        }
        if (s instanceof Stmt.While w) {
            return List.of(w.cond());
        }
        if (s instanceof Stmt.Assert a) {
            return List.of(a.cond());
        }
        if (s instanceof Stmt.Return r) {
            return r.value().map(List::of).orElse(List.of());
        }
        if (s instanceof Stmt.ForLpageDisallowed f) {
            return f.list() == null ? List.of(f.take()) : List.of(f.list(), f.take());
        }
        if (s instanceof Stmt.ForTdpPte f) {
            return List.of(f.root(), f.range());
        }
        if (s instanceof Stmt.ForFaultWalk f) {
            return List.of(f.fault());
        }
        if (s instanceof Stmt.Repeat r) {
            return List.of(r.count());
        }
        return List.of();
    }

    private static void collect(Expr e, List<Expr.Call> calls) {
        if (e instanceof Expr.Call c) {
            calls.add(c);
            for (Arg a : c.args()) {
                collect(a.value(), calls);
            }
        } else if (e instanceof Expr.Field f) {
            collect(f.target(), calls);
        } else if (e instanceof Expr.Range r) {
            collect(r.start(), calls);
            collect(r.end(), calls);
        } else if (e instanceof Expr.Unary u) {
            collect(u.operand(), calls);
        } else if (e instanceof Expr.Binary b) {
            collect(b.left(), calls);
            collect(b.right(), calls);
        }
    }

    // ------------------------------------------------------------------ output

    private Formatter.Source source(String file) {
        return prepared.computeIfAbsent(file, f -> new Formatter.Source(sources.getOrDefault(f, "")));
    }

    private void line(int depth, String text) {
        out.append("  ".repeat(depth)).append(text).append('\n');
    }

    private void text(int depth, String block) {
        block.lines().forEach(l -> line(depth, l));
    }

    private static String onOff(boolean on) {
        return on ? "on" : "off";
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** 2M rather than 0x200000 when the size is a whole number of K, M or G. */
    static String size(long bytes) {
        if (bytes != 0 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "G";
        }
        if (bytes != 0 && bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "M";
        }
        if (bytes != 0 && bytes % (1L << 10) == 0) {
            return (bytes >> 10) + "K";
        }
        return Long.toString(bytes);
    }
}
