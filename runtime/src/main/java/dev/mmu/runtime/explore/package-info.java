/**
 * The generic state-space explorer: it knows nothing of the MMU model.
 *
 * <p>A model implements {@link dev.mmu.runtime.explore.TransitionSystem}; a caller passes it, a
 * list of {@link dev.mmu.runtime.explore.Expectation}s and {@link dev.mmu.runtime.explore.ExploreOptions}
 * to {@link dev.mmu.runtime.explore.Explorer#explore}, and gets one
 * {@link dev.mmu.runtime.explore.Outcome} per expectation, each with a replayable
 * {@link dev.mmu.runtime.explore.Schedule} token.
 *
 * <p>One class per job: {@code DepthFirstSearch}, {@code BreadthFirstSearch},
 * {@code PreemptionBoundedSearch} and {@code RandomSearch} (with {@code UniformScheduler} or
 * {@code PctScheduler}) walk the state space; {@code Monitor} turns what they see into verdicts;
 * {@code Budget} decides when to stop; {@code Explorer} chooses and combines the passes.
 */
package dev.mmu.runtime.explore;
