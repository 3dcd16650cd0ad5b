package dev.mmu.runtime.explore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.explore.Toys.Counter;
import dev.mmu.runtime.explore.Toys.Steps;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link TraceReduction} on {@link Steps} toys whose widths are worked out by hand: which pass
 * (whole thread, then each thread's last ops) leaves an op out, at which width a candidate is
 * still kept, and how a replay runs a step's merged ops. The traces are given, not searched, so
 * that each case reaches exactly one decision of the reduction.
 */
class TraceReductionTest {

    private static final int[] NO_CHOICES = {0, 0, 0};

    private static TraceReduction.Replayed<Steps.State> reduce(Steps system, String trace, StatePredicate<Steps.State> goal) {
        return TraceReduction.reduce(system, Schedule.parse(trace), goal);
    }

    private static int[] choices(int threads) {
        return java.util.Arrays.copyOf(NO_CHOICES, threads);
    }

    @Test
    void nothingWhenEveryStepRanOneOpOrTheTraceDoesNotReplayToTheGoal() {
        Counter counter = new Counter();
        assertThat(TraceReduction.reduce(counter, Schedule.parse("0.1.0.1"), (s, terminal) -> Counter.lostUpdate(s, counter)))
                .as("one op a step: the search's count is the kernel's").isNull();

        // Thread 0's one step runs both its ops.
        Steps merged = new Steps(new int[] {2, 1}, (pcs, t) -> 2);
        assertThat(reduce(merged, "0.1", (s, terminal) -> s.pc(1) == 1)).isNotNull();
        assertThat(reduce(merged, "0.1.1", (s, terminal) -> s.pc(1) == 1)).as("a step not enabled").isNull();
        assertThat(reduce(merged, "0.2", (s, terminal) -> s.pc(1) == 1)).as("no thread 2").isNull();
        assertThat(reduce(merged, "0", (s, terminal) -> s.pc(1) == 1)).as("the goal never holds").isNull();
    }

    /**
     * Thread 0's first step runs two ops (choice 1), its second one; nothing can go. The replay
     * skips the first step's second op, keeps its choice and runs the thread's later step.
     */
    @Test
    void aTraceNothingCanLeaveReplaysAsItIsWithItsChoices() {
        Steps system = new Steps(new int[] {3, 1}, new int[] {2, 1}, (pcs, t) -> t == 0 && pcs.get(0) == 0 ? 2 : 1,
                (pcs, t) -> true);
        TraceReduction.Replayed<Steps.State> r = reduce(system, "0:1.1.0",
                (s, terminal) -> s.pc(0) == 3 && s.pc(1) == 1 && s.picks().get(0) == 1);
        assertThat(r.schedule().token()).isEqualTo("0:1.1.0");
        assertThat(r.width()).isEqualTo(4);
        assertThat(r.state()).isEqualTo(new Steps.State(List.of(3, 1), List.of(1, 0)));
    }

    /**
     * Thread 0 takes a lock and releases it (one op each) while thread 1, which needs the lock,
     * runs its two ops as one step. Without thread 0's last op alone, thread 1 is blocked: only
     * the whole-thread pass leaves thread 0 out.
     */
    @Test
    void aThreadWhoseLastOpAloneCannotGoIsLeftOutWhole() {
        Steps system = new Steps(new int[] {2, 2}, choices(2), (pcs, t) -> t == 1 ? 2 : 1,
                (pcs, t) -> t == 0 || pcs.get(0) != 1);
        TraceReduction.Replayed<Steps.State> r = reduce(system, "0.0.1", (s, terminal) -> s.pc(1) == 2);
        assertThat(r.schedule().token()).isEqualTo("1");
        assertThat(r.width()).isEqualTo(2);
        assertThat(r.state().pcs()).containsExactly(0, 2);
    }

    /**
     * As above (thread 0 holds a lock over its first op; its second step runs two ops), but
     * without thread 0 thread 1's step runs four ops: the goal in as many ops (4) as with thread
     * 0, and the trace without the thread that takes no part is the one kept. Leaving out thread
     * 0's ops one at a time does not get there (without its last step, thread 1 is blocked).
     */
    @Test
    void aThreadIsLeftOutWholeWhenTheRestNeedsAsManyOps() {
        Steps system = new Steps(new int[] {3, 4}, choices(2),
                (pcs, t) -> t == 0 ? (pcs.get(0) == 1 ? 2 : 1) : (pcs.get(0) == 0 ? 4 : 1),
                (pcs, t) -> t == 0 || pcs.get(0) == 0 || pcs.get(0) == 3);
        StatePredicate<Steps.State> goal = (s, terminal) -> s.pc(0) == 3 && s.pc(1) >= 1 || s.pc(1) >= 4;
        TraceReduction.Replayed<Steps.State> r = reduce(system, "0.0.1", goal);
        assertThat(r.schedule().token()).isEqualTo("1");
        assertThat(r.width()).isEqualTo(4);
    }

    /**
     * Thread 0's first op (choice 1) is needed (thread 1 waits for it, the goal wants the
     * choice), its last step (two ops) is not. The last-op pass leaves out that step's merged op
     * first, which changes nothing (the replay's step runs both ops anyway; as many ops is kept),
     * then the step itself, then stops at the needed op.
     */
    @Test
    void eachThreadsLastOpsGoWhileTheGoalNeedsNoMoreOps() {
        Steps system = new Steps(new int[] {3, 1}, new int[] {2, 1}, (pcs, t) -> t == 0 && pcs.get(0) == 1 ? 2 : 1,
                (pcs, t) -> t == 0 || pcs.get(0) >= 1);
        TraceReduction.Replayed<Steps.State> r = reduce(system, "0:1.0.1", (s, terminal) -> s.pc(1) == 1 && s.picks().get(0) == 1);
        assertThat(r.schedule().token()).isEqualTo("0:1.1");
        assertThat(r.width()).isEqualTo(2);
        assertThat(r.state().pcs()).containsExactly(1, 1);
    }

    /**
     * Thread 0's step (two ops) is no part of the goal, but without it thread 1's step runs four
     * ops instead of one: neither pass leaves it out, as the trace would need more ops.
     */
    @Test
    void aCandidateThatNeedsMoreOpsIsNotKept() {
        Steps system = new Steps(new int[] {2, 4}, (pcs, t) -> t == 0 ? 2 : pcs.get(0) == 0 ? 4 : 1);
        TraceReduction.Replayed<Steps.State> r = reduce(system, "0.1", (s, terminal) -> s.pc(1) >= 1);
        assertThat(r.schedule().token()).isEqualTo("0.1");
        assertThat(r.width()).isEqualTo(3);
    }

    /**
     * Only each thread's last ops are tried: thread 1's first op (choice 0) is not needed, but
     * its last (choice 1) is, so the pass stops there and the first stays. Thread 0, which did
     * not run, has nothing to leave out (leaving out the trace's first entry for it would give a
     * shorter trace than the reduction promises to look for).
     */
    @Test
    void onlyTheLastOpsAreTriedAndAThreadThatDidNotRunHasNone() {
        Steps system = new Steps(new int[] {1, 2, 2}, new int[] {1, 2, 1}, (pcs, t) -> t == 2 ? 2 : 1, (pcs, t) -> true);
        TraceReduction.Replayed<Steps.State> r = reduce(system, "1.1:1.2", (s, terminal) -> s.picks().get(1) == 1 && s.pc(2) == 2);
        assertThat(r.schedule().token()).isEqualTo("1.1:1.2");
        assertThat(r.width()).isEqualTo(4);
    }

    /**
     * Thread 1's one step runs 1 op alone, 2 after thread 0, 5 after thread 2, 3 after both; its
     * first op is the goal. Thread 0 cannot go while thread 2 is there (6 ops > 5), thread 2 can
     * (3 ops); then the last-op pass leaves out thread 0's op, the first of the trace (1 op).
     */
    @Test
    void theLastOpPassReachesTheTracesFirstEntry() {
        Steps system = new Steps(new int[] {1, 5, 1}, (pcs, t) -> {
            if (t != 1) return 1;
            boolean zero = pcs.get(0) > 0;
            boolean two = pcs.get(2) > 0;
            return zero && two ? 3 : two ? 5 : zero ? 2 : 1;
        });
        TraceReduction.Replayed<Steps.State> r = reduce(system, "0.2.1", (s, terminal) -> s.pc(1) >= 1);
        assertThat(r.schedule().token()).isEqualTo("1");
        assertThat(r.width()).isEqualTo(1);
    }

    /**
     * Without the bystander (thread 0), thread 1's two steps become one of two ops: the replay
     * skips thread 1's second entry, which that step already ran, and runs thread 2's after it.
     */
    @Test
    void aStepThatRunsMoreOpsInTheCandidateSkipsTheThreadsLaterEntries() {
        Steps system = new Steps(new int[] {2, 2, 1}, (pcs, t) -> t == 0 ? 2 : t == 1 && pcs.get(0) == 0 ? 2 : 1);
        TraceReduction.Replayed<Steps.State> r = reduce(system, "0.1.1.2", (s, terminal) -> s.pc(1) == 2 && s.pc(2) == 1);
        assertThat(r.schedule().token()).isEqualTo("1.2");
        assertThat(r.width()).isEqualTo(3);
    }

    /**
     * A goal that holds only in a terminal state (a wrong final state, a deadlock): thread 1's
     * op reaches the right values, but thread 0 can still run, so the trace needs thread 0 too.
     */
    @Test
    void aGoalThatNeedsATerminalStateIsReachedOnlyThere() {
        Steps system = new Steps(new int[] {2, 1}, (pcs, t) -> 2);
        TraceReduction.Replayed<Steps.State> r = reduce(system, "1.0", (s, terminal) -> terminal && s.pc(1) == 1);
        assertThat(r.schedule().token()).isEqualTo("1.0");
        assertThat(r.width()).isEqualTo(3);

        TraceReduction.Replayed<Steps.State> notTerminal = reduce(system, "1.0", (s, terminal) -> !terminal && s.pc(1) == 1);
        assertThat(notTerminal.schedule().token()).as("and one that needs a state that is not").isEqualTo("1");
    }
}
