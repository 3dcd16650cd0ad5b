package dev.mmu.interp.ast;

/** A setting of {@code explore { }}; the command line may override each. */
public sealed interface ExploreSetting {

    Pos pos();

    /** {@code preemptions <= K}: the CHESS preemption bound. */
    record Preemptions(Pos pos, Expr bound) implements ExploreSetting {
    }

    record Strategy(Pos pos, Kind kind) implements ExploreSetting {
    }

    /** Number of random or PCT runs. */
    record Runs(Pos pos, Expr count) implements ExploreSetting {
    }

    record Seed(Pos pos, Expr seed) implements ExploreSetting {
    }

    record MaxStates(Pos pos, Expr count) implements ExploreSetting {
    }

    /** {@code time 30s}; stored in milliseconds. */
    record Time(Pos pos, long millis) implements ExploreSetting {
    }

    /** {@code symmetry vcpus}: treat vCPUs with equal programs as interchangeable. */
    record SymmetryVcpus(Pos pos) implements ExploreSetting {
    }

    enum Kind { EXHAUSTIVE, BFS, RANDOM, PCT }
}
