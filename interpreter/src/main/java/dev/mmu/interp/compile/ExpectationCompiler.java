package dev.mmu.interp.compile;

import dev.mmu.interp.ast.Expectation;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.Invariants;

/** `expect ...` lines as predicates the explorer checks. Expressions see no thread (-1). */
final class ExpectationCompiler {
    private final ExprCompiler exprs;

    private final java.util.function.Predicate<VmState> finished;

    /** The vCPUs the compiled expectations name (bit set; -1: any): symmetry must leave them in place. */
    long vcpusNamed;

    /**
     * The resources the compiled expectations read (bit set; see Program#expectationReads).
     * Violation bits and failed asserts are not resources: a step that sets one is visible anyway;
     * `final` and deadlock look at terminal states only, which partial-order reduction keeps.
     */
    long reads;

    ExpectationCompiler(ExprCompiler exprs, java.util.function.Predicate<VmState> finished) {
        this.exprs = exprs;
        this.finished = finished;
    }

    /** An invariant the runtime detects; one it cannot detect yet would pass vacuously, so it is refused. */
    private static Invariant checked(dev.mmu.interp.ast.Ident name) {
        Invariant inv = Invariant.valueOf(name.name());
        if (!Invariants.CHECKED.contains(inv)) {
            throw new CompileError(name.pos(), "invariant '" + name.name() + "' is not checked by the runtime yet");
        }
        return inv;
    }

    private dev.mmu.runtime.paths.Expr named(dev.mmu.runtime.paths.Expr c) {
        vcpusNamed |= c.footprint().vcpus();
        return c;
    }

    /** A state condition checked on every state: what it reads is visible. */
    private dev.mmu.runtime.paths.Expr everyState(dev.mmu.runtime.paths.Expr c) {
        reads |= c.footprint().reads();
        return named(c);
    }

    private Invariant watched(Invariant inv) {
        reads |= Invariants.reads(inv).reads();
        return inv;
    }

    dev.mmu.runtime.explore.Expectation<VmState> compile(Expectation e) {
        if (e instanceof Expectation.Fails f) return fails(f.expected());
        if (e instanceof Expectation.AssertFails) {
            return new dev.mmu.runtime.explore.Expectation.Violation<>("fails assert", (s, t) -> s.assertFailed);
        }
        if (e instanceof Expectation.Never n) {
            String name = n.invariant().name();
            if (name.equals("deadlock")) return new dev.mmu.runtime.explore.Expectation.NoDeadlock<>("never deadlock");
            Invariant inv = watched(checked(n.invariant()));
            return new dev.mmu.runtime.explore.Expectation.Never<>("never " + name, (s, t) -> Invariants.violated(inv, s));
        }
        if (e instanceof Expectation.Violation v) {
            String name = v.invariant().name();
            if (name.equals("deadlock")) {
                return new dev.mmu.runtime.explore.Expectation.Violation<>("violation deadlock",
                        (s, terminal) -> terminal && !finished.test(s));
            }
            Invariant inv = watched(checked(v.invariant()));
            return new dev.mmu.runtime.explore.Expectation.Violation<>("violation " + name,
                    (s, t) -> Invariants.violated(inv, s));
        }
        if (e instanceof Expectation.Always a) {
            var c = everyState(exprs.compile(a.cond(), null));
            return new dev.mmu.runtime.explore.Expectation.Never<>("always " + BodyCompiler.text(a.cond()),
                    (s, t) -> c.eval(s, -1) == 0);
        }
        if (e instanceof Expectation.Final f) {
            var c = named(exprs.compile(f.cond(), null));
            return new dev.mmu.runtime.explore.Expectation.Final<>("final " + BodyCompiler.text(f.cond()),
                    s -> c.eval(s, -1) != 0);
        }
        if (e instanceof Expectation.Reachable r) {
            var c = everyState(exprs.compile(r.cond(), null));
            return new dev.mmu.runtime.explore.Expectation.Reachable<>("reachable " + BodyCompiler.text(r.cond()),
                    s -> c.eval(s, -1) != 0);
        }
        if (e instanceof Expectation.Terminates) {
            return new dev.mmu.runtime.explore.Expectation.Terminates<>("terminates");
        }
        Expectation.Max m = (Expectation.Max) e;
        reads |= dev.mmu.runtime.paths.Resource.METRICS.bit();
        long bound = exprs.compile(m.bound(), null).eval(null, -1);
        return new dev.mmu.runtime.explore.Expectation.MaxMetric<>("max " + m.metric().name() + " <= " + bound,
                metric(m), bound);
    }

    private static java.util.function.ToLongFunction<VmState> metric(Expectation.Max m) {
        return m.metric().name().equals("commit_batch") ? s -> s.commitBatch : s -> s.lockHoldWork;
    }

    /**
     * {@code expect fails X}: X's counterexample is the evidence. A state expectation's negation is
     * the existence of a bad state, which Violation searches for (its trace is kept and shortened);
     * {@code fails reachable} is {@code never}; {@code fails terminates} wants a fair cycle.
     */
    private dev.mmu.runtime.explore.Expectation<VmState> fails(Expectation e) {
        if (e instanceof Expectation.Always a) {
            var c = everyState(exprs.compile(a.cond(), null));
            return new dev.mmu.runtime.explore.Expectation.Violation<>("fails always " + BodyCompiler.text(a.cond()),
                    (s, t) -> c.eval(s, -1) == 0);
        }
        if (e instanceof Expectation.Final f) {
            var c = named(exprs.compile(f.cond(), null));
            return new dev.mmu.runtime.explore.Expectation.Violation<>("fails final " + BodyCompiler.text(f.cond()),
                    (s, terminal) -> terminal && c.eval(s, -1) == 0);
        }
        if (e instanceof Expectation.Reachable r) {
            var c = everyState(exprs.compile(r.cond(), null));
            return new dev.mmu.runtime.explore.Expectation.Never<>("fails reachable " + BodyCompiler.text(r.cond()),
                    (s, t) -> c.eval(s, -1) != 0);
        }
        if (e instanceof Expectation.Terminates) {
            return new dev.mmu.runtime.explore.Expectation.Terminates<>("fails terminates", true);
        }
        Expectation.Max m = (Expectation.Max) e;
        long bound = exprs.compile(m.bound(), null).eval(null, -1);
        var metric = metric(m);
        return new dev.mmu.runtime.explore.Expectation.Violation<>("fails max " + m.metric().name() + " <= " + bound,
                (s, t) -> metric.applyAsLong(s) > bound);
    }
}
