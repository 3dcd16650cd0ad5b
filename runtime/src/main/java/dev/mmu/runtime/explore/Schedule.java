package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An interleaving: the steps taken from the initial state. Its {@link #token()} is what a user
 * copies from a report to replay one counterexample ({@code mmu check --schedule 0.0.1:1.2}).
 *
 * <p>Token format: steps joined by '.', a step is {@code T} or {@code T:C} when choice C != 0;
 * the empty schedule is the empty string.
 */
public record Schedule(List<Step> steps) {

    /** One step: thread {@code thread} ran, taking scheduler choice {@code choice}. */
    public record Step(int thread, int choice) {

        public Step {
            if (thread < 0 || choice < 0) {
                throw new IllegalArgumentException("negative thread or choice: " + thread + ":" + choice);
            }
        }

        /** {@code T}, or {@code T:C} when the choice is not 0. */
        public String token() {
            return choice == 0 ? Integer.toString(thread) : thread + ":" + choice;
        }
    }

    private static final Schedule EMPTY = new Schedule(List.of());

    public Schedule {
        steps = List.copyOf(steps);
    }

    public static Schedule empty() {
        return EMPTY;
    }

    public int length() {
        return steps.size();
    }

    public Step get(int index) {
        return steps.get(index);
    }

    /** This schedule followed by {@code tail}. */
    public Schedule concat(Schedule tail) {
        List<Step> all = new ArrayList<>(steps.size() + tail.steps.size());
        all.addAll(steps);
        all.addAll(tail.steps);
        return new Schedule(all);
    }

    /** Steps {@code from} (inclusive) to {@code to} (exclusive). */
    public Schedule slice(int from, int to) {
        return new Schedule(steps.subList(from, to));
    }

    public String token() {
        return steps.stream().map(Step::token).collect(Collectors.joining("."));
    }

    /**
     * Parses a token written by {@link #token()}.
     *
     * @throws IllegalArgumentException naming the first malformed step
     */
    public static Schedule parse(String token) {
        String text = token.strip();
        if (text.isEmpty()) {
            return EMPTY;
        }
        String[] parts = text.split("\\.", -1);
        List<Step> steps = new ArrayList<>(parts.length);
        for (int i = 0; i < parts.length; i++) {
            steps.add(parseStep(parts[i], i + 1, text));
        }
        return new Schedule(steps);
    }

    private static Step parseStep(String part, int position, String token) {
        int colon = part.indexOf(':');
        try {
            if (colon < 0) {
                return new Step(parseNumber(part), 0);
            }
            return new Step(parseNumber(part.substring(0, colon)), parseNumber(part.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "bad step '" + part + "' at position " + position + " of schedule '" + token
                            + "': expected THREAD or THREAD:CHOICE");
        }
    }

    /** Digits only: Integer.parseInt would also accept "+1" and "-1". */
    private static int parseNumber(String digits) {
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException(digits);
        }
        return Integer.parseInt(digits);
    }

    @Override
    public String toString() {
        return token();
    }
}
