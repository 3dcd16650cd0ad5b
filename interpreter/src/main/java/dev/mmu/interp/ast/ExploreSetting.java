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

        /**
         * A duration as the language writes it ({@code 500ms}, {@code 30s}, {@code 2m}, digits
         * grouped by {@code _}) in milliseconds, saturated at {@code Long.MAX_VALUE}; -1 if it is not one.
         */
        public static long millis(String text) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9][0-9_]*)(ms|s|m)").matcher(text);
            if (!m.matches()) {
                return -1;
            }
            long scale = m.group(2).equals("ms") ? 1 : m.group(2).equals("s") ? 1000 : 60_000;
            return new java.math.BigInteger(m.group(1).replace("_", "")).multiply(java.math.BigInteger.valueOf(scale))
                    .min(java.math.BigInteger.valueOf(Long.MAX_VALUE)).longValue();
        }
    }

    /** {@code symmetry vcpus}: treat vCPUs with equal programs as interchangeable. */
    record SymmetryVcpus(Pos pos) implements ExploreSetting {
    }

    enum Kind { EXHAUSTIVE, BFS, RANDOM, PCT }
}
