package dev.mmu.runtime.explore;

import java.util.Arrays;

/**
 * The breadth-first searches' parent pointers: for each state id, in the order ids are given, the
 * state it was reached from, the step that reached it and its depth, in int arrays (16 bytes a
 * state), so that any state's trace can be rebuilt.
 */
final class ParentLinks {
    private int count;
    private int[] parent = new int[1024];
    private int[] thread = new int[1024];
    private int[] choice = new int[1024];
    private int[] depth = new int[1024];

    /** Gives the next id to a state reached from {@code from} (-1: the initial state) by {@code t}. */
    int add(int from, Transition<?> t) {
        int id = count++;
        if (id == parent.length) {
            int n = id * 2;
            parent = Arrays.copyOf(parent, n);
            thread = Arrays.copyOf(thread, n);
            choice = Arrays.copyOf(choice, n);
            depth = Arrays.copyOf(depth, n);
        }
        parent[id] = from;
        thread[id] = t == null ? 0 : t.thread();
        choice[id] = t == null ? 0 : t.choice();
        depth[id] = from < 0 ? 0 : depth[from] + 1;
        return id;
    }

    int count() {
        return count;
    }

    int depth(int id) {
        return depth[id];
    }

    /** The steps from the initial state to state {@code id}. */
    Schedule traceTo(int id) {
        Schedule.Step[] steps = new Schedule.Step[depth[id]];
        for (int at = id; parent[at] >= 0; at = parent[at]) {
            steps[depth[at] - 1] = new Schedule.Step(thread[at], choice[at]);
        }
        return new Schedule(Arrays.asList(steps));
    }
}
