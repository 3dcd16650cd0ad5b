package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010).
 * Threads get distinct random priorities d .. d+n-1 and the highest-priority enabled thread
 * runs; at d-1 random steps the running thread drops to priority 1 .. d-1. A bug of depth d is
 * then found with probability at least 1/(n k^(d-1)) per run, for runs of k steps.
 * Choices within the running thread (need_resched yes/no) are drawn uniformly.
 */
final class PctScheduler<S> implements RunScheduler<S> {

    private final Random random;
    private final int threads;
    private final int depth;
    private final int[] priority;
    private int[] changePoints = new int[0];
    private int step;

    PctScheduler(Random random, int threads, int depth) {
        this.random = random;
        this.threads = threads;
        this.depth = depth;
        this.priority = new int[threads];
    }

    @Override
    public void startRun(int expectedLength) {
        List<Integer> values = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            values.add(depth + i);
        }
        Collections.shuffle(values, random);
        for (int i = 0; i < threads; i++) {
            priority[i] = values.get(i);
        }
        // d-1 change points in 1..k; the i-th (0-based) lowers the running thread to priority i+1.
        int k = Math.max(1, expectedLength);
        changePoints = new int[depth - 1];
        for (int i = 0; i < changePoints.length; i++) {
            changePoints[i] = 1 + random.nextInt(k);
        }
        step = 0;
    }

    @Override
    public Transition<S> pick(List<Transition<S>> enabled) {
        int best = -1;
        for (Transition<S> t : enabled) {
            if (best < 0 || priority[t.thread()] > priority[best]) {
                best = t.thread();
            }
        }
        List<Transition<S>> mine = new ArrayList<>();
        for (Transition<S> t : enabled) {
            if (t.thread() == best) {
                mine.add(t);
            }
        }
        Transition<S> chosen = mine.get(random.nextInt(mine.size()));
        step++;
        for (int i = 0; i < changePoints.length; i++) {
            if (changePoints[i] == step) {
                priority[best] = i + 1;
            }
        }
        return chosen;
    }

    @Override
    public String name() {
        return "PCT depth " + depth;
    }

    @Override
    public String toString() {
        return name() + " priorities " + Arrays.toString(priority);
    }
}
