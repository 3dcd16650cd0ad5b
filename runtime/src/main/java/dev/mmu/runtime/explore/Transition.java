package dev.mmu.runtime.explore;

/** One step: thread `thread` ran, taking scheduler choice `choice` (0 unless the step branches, e.g. need_resched yes/no), reaching `target`. */
public record Transition<S>(int thread, int choice, S target) {}
