package dev.mmu.runtime.explore;

import java.util.Arrays;

/**
 * The breadth-first searches' parent pointers: for each state id, in the order ids are given, the
 * state it was reached from and the step that reached it (10 bytes a state), so that any state's
 * trace can be rebuilt. Ids are given level by level (a state's depth never falls below the one
 * before it), so depths are kept as the first id of each level.
 */
final class ParentLinks {
    private int count;
    private int[] parent = new int[1024];
    private short[] thread = new short[1024];
    private int[] choice = new int[1024];
    /** levelStart[d]: the first id at depth d, for d < levels. */
    private int[] levelStart = new int[16];
    private int levels;

    /** Gives the next id to a state reached from {@code from} (-1: the initial state) by {@code t}. */
    int add(int from, Transition<?> t) {
        int id = count++;
        if (id == parent.length) {
            int n = id + id / 2;
            parent = Arrays.copyOf(parent, n);
            thread = Arrays.copyOf(thread, n);
            choice = Arrays.copyOf(choice, n);
        }
        if (t != null && t.thread() > Short.MAX_VALUE) throw new IllegalStateException("more than 32,767 threads");
        parent[id] = from;
        thread[id] = t == null ? 0 : (short) t.thread();
        choice[id] = t == null ? 0 : t.choice();
        int depth = from < 0 ? 0 : depth(from) + 1;
        if (depth < levels - 1) throw new IllegalStateException("ids must be given level by level");
        if (depth == levels) {
            if (levels == levelStart.length) levelStart = Arrays.copyOf(levelStart, 2 * levels);
            levelStart[levels++] = id;
        }
        return id;
    }

    int count() {
        return count;
    }

    int depth(int id) {
        int d = Arrays.binarySearch(levelStart, 0, levels, id);
        return d >= 0 ? d : -d - 2; // the last level starting at or before id
    }

    /** The steps from the initial state to state {@code id}. */
    Schedule traceTo(int id) {
        Schedule.Step[] steps = new Schedule.Step[depth(id)];
        for (int at = id, d = steps.length; parent[at] >= 0; at = parent[at]) {
            steps[--d] = new Schedule.Step(thread[at], choice[at]);
        }
        return new Schedule(Arrays.asList(steps));
    }
}
