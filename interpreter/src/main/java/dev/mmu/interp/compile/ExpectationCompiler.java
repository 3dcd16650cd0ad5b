package dev.mmu.interp.compile;

import dev.mmu.interp.ast.Expectation;
import dev.mmu.runtime.model.Invariant;
import dev.mmu.runtime.model.VmState;

/** `expect ...` lines as predicates the explorer checks. Expressions see no thread (-1). */
final class ExpectationCompiler {
    private final ExprCompiler exprs;

    ExpectationCompiler(ExprCompiler exprs) {
        this.exprs = exprs;
    }

    dev.mmu.runtime.explore.Expectation<VmState> compile(Expectation e) {
        if (e instanceof Expectation.Never n) {
            String name = n.invariant().name();
            if (name.equals("deadlock")) return new dev.mmu.runtime.explore.Expectation.NoDeadlock<>("never deadlock");
            Invariant inv = Invariant.valueOf(name);
            return new dev.mmu.runtime.explore.Expectation.Never<>("never " + name, (s, t) -> inv.violatedIn(s));
        }
        if (e instanceof Expectation.Violation v) {
            String name = v.invariant().name();
            Invariant inv = Invariant.valueOf(name);
            return new dev.mmu.runtime.explore.Expectation.Violation<>("violation " + name, (s, t) -> inv.violatedIn(s));
        }
        if (e instanceof Expectation.Always a) {
            var c = exprs.compile(a.cond(), null);
            return new dev.mmu.runtime.explore.Expectation.Never<>("always " + SourceText.of(a.cond()),
                    (s, t) -> c.eval(s, -1) == 0);
        }
        if (e instanceof Expectation.Final f) {
            var c = exprs.compile(f.cond(), null);
            return new dev.mmu.runtime.explore.Expectation.Final<>("final " + SourceText.of(f.cond()),
                    s -> c.eval(s, -1) != 0);
        }
        if (e instanceof Expectation.Reachable r) {
            var c = exprs.compile(r.cond(), null);
            return new dev.mmu.runtime.explore.Expectation.Reachable<>("reachable " + SourceText.of(r.cond()),
                    s -> c.eval(s, -1) != 0);
        }
        if (e instanceof Expectation.Terminates) {
            return new dev.mmu.runtime.explore.Expectation.Terminates<>("terminates");
        }
        Expectation.Max m = (Expectation.Max) e;
        long bound = exprs.compile(m.bound(), null).eval(null, -1);
        String metric = m.metric().name();
        return new dev.mmu.runtime.explore.Expectation.MaxMetric<>("max " + metric + " <= " + bound,
                metric.equals("commit_batch") ? (VmState s) -> s.commitBatch : (VmState s) -> s.lockHoldWork, bound);
    }
}
