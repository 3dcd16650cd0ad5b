package dev.mmu.interp.compile;

import dev.mmu.interp.ast.Block;
import dev.mmu.interp.ast.ExploreSetting;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.ast.Expectation;
import dev.mmu.interp.ast.GlobalDecl;
import java.util.Map;
import dev.mmu.interp.ast.PathDecl;
import dev.mmu.interp.ast.ThreadDecl;
import dev.mmu.interp.check.CheckedScenario;
import dev.mmu.interp.check.Machine;
import dev.mmu.interp.check.MemslotSpec;
import dev.mmu.runtime.explore.ExploreOptions;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.Level;
import dev.mmu.runtime.model.Memslot;
import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.Preempt;
import dev.mmu.runtime.model.VmConfig;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Invariants;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.PathBuilder;
import dev.mmu.runtime.paths.Prelude;
import dev.mmu.runtime.paths.ScenarioError;
import dev.mmu.runtime.paths.Program;
import dev.mmu.runtime.paths.Program.ThreadProgram;
import dev.mmu.runtime.paths.VcpuSymmetry;
import dev.mmu.interp.diag.Diagnostic;
import dev.mmu.runtime.model.Stat;
import java.util.EnumSet;
import java.util.function.Consumer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Checked scenario in, runtime program and expectations out. */
public final class Compiler {
    private Compiler() {}

    public static CompiledScenario compile(CheckedScenario sc) {
        return compile(sc, warning -> { });
    }

    /** Compiles, telling {@code warnings} what the scenario asked for but does not get (symmetry). */
    public static CompiledScenario compile(CheckedScenario sc, Consumer<Diagnostic> warnings) {
        Machine m = sc.machine();
        VmConfig config = config(m);
        Map<String, Integer> globals = new java.util.HashMap<>();
        for (GlobalDecl g : sc.globals()) globals.put(g.name().name(), globals.size());
        ExprCompiler exprs = new ExprCompiler(m, sc.row(), globals);
        BodyCompiler setup = new BodyCompiler(sc, config, exprs, -1);
        for (GlobalDecl g : sc.globals()) setup.initGlobal(g);
        for (Block b : sc.scenario().setups()) setup.block(b, new Env(null));
        List<ThreadProgram> threads = new ArrayList<>();
        List<List<Pos>> threadPositions = new ArrayList<>();
        java.util.Set<String> ran = new java.util.HashSet<>(setup.inlined());
        for (ThreadDecl t : sc.scenario().threads()) {
            int vcpu = -1;
            if (t.vcpu().isPresent()) vcpu = (int) exprs.compile(t.vcpu().get(), null).eval(null, 0);
            BodyCompiler body = new BodyCompiler(sc, config, exprs, vcpu);
            body.block(t.body(), new Env(null));
            threads.add(ThreadProgram.of(t.name(), vcpu, body.builder()));
            threadPositions.add(body.positions());
            ran.addAll(body.inlined());
        }
        unrunPastes(sc, ran, warnings);
        boolean metrics = sc.scenario().expectations().stream().anyMatch(e -> e instanceof Expectation.Max
                || e instanceof Expectation.Fails f && f.expected() instanceof Expectation.Max);
        Program program = new Program(config, ThreadProgram.of("setup", -1, setup.builder()), threads, metrics);
        List<dev.mmu.runtime.explore.Expectation<VmState>> expectations = new ArrayList<>();
        ExpectationCompiler ec = new ExpectationCompiler(exprs, finishedIn(program));
        for (Expectation e : sc.scenario().expectations()) expectations.add(ec.compile(e));
        // A stat no expression reads may be left out of the state key; not with `expect
        // terminates`, whose lassos must return to the very same state.
        boolean terminates = sc.scenario().expectations().stream().anyMatch(e -> e instanceof Expectation.Terminates
                || e instanceof Expectation.Fails f && f.expected() instanceof Expectation.Terminates);
        program = new Program(program.config(), program.setup(), program.threads(), program.trackMetrics(),
                terminates ? EnumSet.allOf(Stat.class) : exprs.statsRead, ec.vcpusNamed, ec.reads);
        runsSetup(program, setup.positions(), sc);
        boolean assertsMayFail = sc.scenario().expectations().stream().anyMatch(e -> e instanceof Expectation.AssertFails);
        if (!assertsMayFail && (hasAssert(program.setup()) || program.threads().stream().anyMatch(Compiler::hasAssert))) {
            expectations.add(new dev.mmu.runtime.explore.Expectation.Never<>("every assert holds",
                    (s, terminal) -> s.assertFailed));
        }
        for (Invariant inv : LOCKDEP) {
            if (!named(sc.scenario().expectations(), inv)) {
                expectations.add(new dev.mmu.runtime.explore.Expectation.Never<>("never " + inv.name(),
                        (s, terminal) -> Invariants.violated(inv, s), true));
            }
        }
        ExploreOptions options = options(sc, exprs);
        for (ExploreSetting s : sc.scenario().explore()) {
            if (!(s instanceof ExploreSetting.SymmetryVcpus)) continue;
            for (String why : VcpuSymmetry.limits(program)) {
                warnings.accept(Diagnostic.warning(s.pos(), "symmetry vcpus " + why));
            }
            String off = dev.mmu.runtime.explore.Explorer.symmetryOff(expectations, options);
            if (off != null) warnings.accept(Diagnostic.warning(s.pos(), "symmetry vcpus is not applied: " + off));
        }
        return new CompiledScenario(sc, program, expectations, options, List.copyOf(threadPositions));
    }

    /**
     * A scenario's copy of a prelude path that nothing it runs calls: the patch in it is never
     * checked, and the verdict is the unedited kernel's (trial13: an empty kvm_flush_remote_tlbs()
     * passed a memslot delete whose flush is inside kvm_arch_flush_shadow_memslot's primitives).
     */
    private static void unrunPastes(CheckedScenario sc, java.util.Set<String> ran, Consumer<Diagnostic> warnings) {
        String version = sc.machine().kernel();
        Map<String, PathDecl> prelude = dev.mmu.interp.check.KernelPrelude.paths(version);
        for (Map.Entry<String, PathDecl> e : sc.paths().entrySet()) {
            String name = e.getKey();
            PathDecl p = e.getValue();
            if (dev.mmu.interp.check.KernelPrelude.isPrelude(p.pos().file()) || !prelude.containsKey(name)
                    || ran.contains(p.name().name())) continue;
            List<String> callers = dev.mmu.interp.check.KernelPrelude.callers(version, name);
            warnings.accept(Diagnostic.warning(p.name().pos(), "path '" + name + "' replaces the prelude's, but nothing this"
                    + " scenario runs calls it: the edit is not checked" + (callers.isEmpty()
                    ? " (no prelude path calls it; a thread or setup statement may)"
                    : " (the prelude calls it from " + String.join(", ", callers) + "; the model's other callers'"
                    + " work is inside primitives)")));
        }
    }

    /**
     * What a kernel built with CONFIG_PROVE_LOCKING splats on: an assert_held that fails, locks out
     * of order, a bad unlock balance, a lock held on return; and a WARN_ON_ONCE() that fires, which
     * syzbot's panic_on_warn makes a crash. Always watched, as lockdep is always on, unless an
     * expectation names the invariant (`expect violation lockdep` of a buggy variant).
     */
    private static final List<Invariant> LOCKDEP = List.of(Invariant.lockdep, Invariant.lock_balance, Invariant.kernel_warning);

    private static boolean named(List<Expectation> expectations, Invariant inv) {
        for (Expectation e : expectations) {
            Expectation x = e instanceof Expectation.Fails f ? f.expected() : e;
            if (x instanceof Expectation.Never n && n.invariant().name().equals(inv.name())) return true;
            if (x instanceof Expectation.Violation v && v.invariant().name().equals(inv.name())) return true;
        }
        return false;
    }

    /**
     * The setup is deterministic: run it once now, so that a setup that blocks, loops or reaches
     * outside the memslots is an error at its statement instead of a fault while exploring.
     */
    private static void runsSetup(Program program, List<Pos> positions, CheckedScenario sc) {
        try {
            new MmuSystem(program);
        } catch (ScenarioError e) {
            Pos at = e.setupPc >= 0 && e.setupPc < positions.size() && positions.get(e.setupPc) != null
                    ? positions.get(e.setupPc) : sc.scenario().pos();
            throw new CompileError(at, e.getMessage());
        }
    }

    static VmConfig config(Machine m) {
        List<Memslot> slots = new ArrayList<>();
        for (MemslotSpec s : m.memslots()) {
            slots.add(new Memslot(s.id(), s.gpa() >>> 12, s.size() >>> 12, Level.ofSize(s.backing()), s.dirtyLog(),
                    s.readonly(), s.gupFastMayFail()));
        }
        return new VmConfig(Mmu.valueOf(m.mmu().name()), m.nxHugePages(), (int) m.nxRecoveryRatio(),
                m.eagerPageSplit(), m.tdpLevels(), slots, m.vcpus(), Preempt.valueOf(m.preempt().name()), m.pml(),
                Prelude.nxListPerMmu(m.kernel()), Prelude.accessedBitVolatile(m.kernel()),
                Prelude.setsPfnDirtyOnZap(m.kernel()), m.flushRemoteTlbsRange(), Prelude.tdpIterRcu(m.kernel()));
    }

    private static ExploreOptions options(CheckedScenario sc, ExprCompiler exprs) {
        // language.md part 7: a scenario too big to exhaust falls back to random + PCT runs (seed printed).
        ExploreOptions.Builder o = ExploreOptions.builder().portfolioFallback(true);
        boolean strategyGiven = sc.scenario().explore().stream().anyMatch(s -> s instanceof ExploreSetting.Strategy);
        for (ExploreSetting s : sc.scenario().explore()) {
            if (s instanceof ExploreSetting.Preemptions p) {
                o.preemptionBound((int) constant(exprs, p.bound()));
                if (!strategyGiven) o.strategy(ExploreOptions.Strategy.PREEMPTION_BOUNDED);
            } else if (s instanceof ExploreSetting.Strategy st) {
                o.strategy(switch (st.kind()) {
                    case EXHAUSTIVE -> ExploreOptions.Strategy.DFS;
                    case BFS -> ExploreOptions.Strategy.BFS;
                    case RANDOM -> ExploreOptions.Strategy.RANDOM;
                    case PCT -> ExploreOptions.Strategy.PCT;
                });
            } else if (s instanceof ExploreSetting.Runs r) {
                o.runs((int) constant(exprs, r.count()));
            } else if (s instanceof ExploreSetting.Seed sd) {
                o.seed(constant(exprs, sd.seed()));
            } else if (s instanceof ExploreSetting.MaxStates ms) {
                o.maxStates(constant(exprs, ms.count()));
            } else if (s instanceof ExploreSetting.Time t) {
                o.timeLimit(Duration.ofMillis(t.millis()));
            } else if (s instanceof ExploreSetting.SymmetryVcpus) {
                o.symmetry(true); // vCPUs that something names stay out of it (VcpuSymmetry)
            }
        }
        return o.build();
    }

    private static long constant(ExprCompiler exprs, dev.mmu.interp.ast.Expr e) {
        return exprs.compile(e, null).eval(null, 0);
    }

    /** Every thread ran to its end: a terminal state that is not, is a deadlock. */
    private static java.util.function.Predicate<VmState> finishedIn(Program p) {
        return s -> {
            for (int t = 0; t < s.threads.length; t++) {
                if (s.threads[t].pc < p.threads().get(t).ops().length) return false;
            }
            return true;
        };
    }

    private static boolean hasAssert(ThreadProgram t) {
        for (var op : t.ops()) {
            if (op instanceof dev.mmu.runtime.paths.Ops.Assert) return true;
        }
        return false;
    }
}
