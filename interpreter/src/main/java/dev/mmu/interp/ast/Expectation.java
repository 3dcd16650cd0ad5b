package dev.mmu.interp.ast;

/** An {@code expect ...} line: what the explorer must prove, or must refute. */
public sealed interface Expectation {

    Pos pos();

    /** {@code expect never INVARIANT}: the built-in invariant holds in every reachable state. */
    record Never(Pos pos, Ident invariant) implements Expectation {
    }

    record Always(Pos pos, Expr cond) implements Expectation {
    }

    /** Holds in every terminal state. */
    record Final(Pos pos, Expr cond) implements Expectation {
    }

    /** Some interleaving reaches a state where it holds (herd's {@code exists}). */
    record Reachable(Pos pos, Expr cond) implements Expectation {
    }

    /** The scenario must find a counterexample to the invariant (a regression test for a bug). */
    record Violation(Pos pos, Ident invariant) implements Expectation {
    }

    /** No thread can run forever; a cycle is reported as a lasso. */
    record Terminates(Pos pos) implements Expectation {
    }

    /** {@code expect max METRIC <= N}: a cost metric stays bounded in every state. */
    record Max(Pos pos, Ident metric, Expr bound) implements Expectation {
    }

    /**
     * {@code expect fails always|final|reachable|terminates|max ...}: a regression test of a known
     * bug, passing only if some interleaving breaks {@code expected} (its trace is the evidence).
     */
    record Fails(Pos pos, Expectation expected) implements Expectation {
    }

    /** {@code expect fails assert}: some interleaving makes an {@code assert} fail. */
    record AssertFails(Pos pos) implements Expectation {
    }
}
