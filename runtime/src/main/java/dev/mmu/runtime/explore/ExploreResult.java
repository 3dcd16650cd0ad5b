package dev.mmu.runtime.explore;

import java.util.List;
import java.util.Optional;

/**
 * The answer to one {@link Explorer#explore} call: one {@link Outcome} per expectation, in the
 * order given.
 *
 * @param outcomes one per expectation
 * @param stats figures about the search
 * @param coverage what was covered when the search was not complete; null when it was
 */
public record ExploreResult<S>(List<Outcome<S>> outcomes, Stats stats, Coverage coverage) {
    /** How an outcome's note says that partial-order reduction left steps out: this, the count, " states". */
    public static final String PARTIAL_ORDER_NOTE = "partial-order reduction: fewer steps at ";

    public ExploreResult {
        outcomes = List.copyOf(outcomes);
    }

    /** FAIL if any outcome failed, else UNKNOWN if any is unknown, else PASS. */
    public Verdict verdict() {
        if (outcomes.stream().anyMatch(o -> o.verdict() == Verdict.FAIL)) {
            return Verdict.FAIL;
        }
        if (outcomes.stream().anyMatch(o -> o.verdict() == Verdict.UNKNOWN)) {
            return Verdict.UNKNOWN;
        }
        return Verdict.PASS;
    }

    public Optional<Coverage> coverageIfIncomplete() {
        return Optional.ofNullable(coverage);
    }
}
