package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Looks for a weakly fair cycle, the counterexample of {@link Expectation.Terminates}: a cycle on
 * which every thread that is enabled in every state of the cycle takes at least one step. A
 * thread is enabled in a state when it has a transition there.
 *
 * <p>The search stores the whole reachable graph (a BFS from the initial state, states numbered
 * in discovery order, edges as int arrays), then splits it into strongly connected components
 * with an iterative Tarjan. A component with an internal edge contains a fair cycle iff every
 * thread has an edge inside it or has no transition in one of its states: going round the
 * component through one internal edge of each thread of the first kind and one state of each
 * thread of the second kind is such a cycle, and every fair cycle lies in one component.
 *
 * <p>The lasso reported: the shortest stem (BFS tree) to the first state, in BFS order, of a
 * component that has a fair cycle; then that cycle, built greedily inside the component.
 */
final class FairCycleSearch<S> {

    private final TransitionSystem<S> system;
    private final Monitor<S> monitor;
    private final Budget budget;
    private final int threads;
    private final Map<S, Integer> ids = new HashMap<>();
    private final List<S> states = new ArrayList<>();
    private int[] parent = new int[1024];
    private int[] parentEdge = new int[1024];
    private int[] depth = new int[1024];
    /** Edges of state v: indices edgeStart[v] .. edgeStart[v + 1] - 1 (BFS expands in id order). */
    private int[] edgeStart = new int[1025];
    private int[] edgeThread = new int[4096];
    private int[] edgeChoice = new int[4096];
    private int[] edgeTarget = new int[4096];
    private int edges;
    /** After the search: component of each state, and the states of component c. */
    private int[] comp;
    private int componentCount;
    private int[] memberStart;
    private int[] members;

    /** Under symmetry: the graph above is the lifted one ({@link #exploreLifted}), n its node count. */
    private final boolean symmetric;
    private int lifted;
    /** Under symmetry, the quotient's figures: what was stored and expanded. */
    private int quotientStates;
    private int quotientEdges;

    private FairCycleSearch(TransitionSystem<S> system, Monitor<S> monitor, Budget budget, boolean symmetric) {
        this.system = system;
        this.monitor = monitor;
        this.budget = budget;
        this.threads = system.threadCount();
        this.symmetric = symmetric;
    }

    static <S> SearchReport run(TransitionSystem<S> system, Monitor<S> monitor, Budget budget) {
        return run(system, monitor, budget, false);
    }

    /**
     * @param symmetric expand one state per orbit ({@link TransitionSystem#canonical}); the system
     *     must map threads ({@link TransitionSystem#canonicalThreads} not null)
     */
    static <S> SearchReport run(TransitionSystem<S> system, Monitor<S> monitor, Budget budget, boolean symmetric) {
        return new FairCycleSearch<>(system, monitor, budget, symmetric).run();
    }

    /** The number of nodes of the graph searched: states, or the lifted graph's nodes. */
    private int size() {
        return symmetric ? lifted : states.size();
    }

    private SearchReport run() {
        try {
            StopReason stopped = symmetric ? exploreLifted() : explore();
            int n = size();
            int maxDepth = n == 0 ? 0 : depth[n - 1];
            if (stopped == null) {
                stopped = findFairCycle();
            }
            return symmetric
                    ? new SearchReport(quotientStates, quotientEdges, maxDepth, stopped, stopped == null, -1, 0)
                    : new SearchReport(n, edges, maxDepth, stopped, stopped == null, -1, 0);
        } catch (OutOfMemoryError e) {
            long stored = states.size();
            ids.clear();
            states.clear();
            parent = parentEdge = depth = edgeStart = edgeThread = edgeChoice = edgeTarget = null;
            comp = memberStart = members = null;
            return new SearchReport(stored, edges, 0, budget.outOfMemory(), false, -1, 0);
        }
    }

    /** BFS over the reachable graph, storing every edge; a budget may stop it. */
    private StopReason explore() {
        add(system.initial(), -1, -1);
        List<Transition<S>> successors = new ArrayList<>();
        for (int id = 0; id < states.size(); id++) {
            StopReason stopped = budget.tick(states.size(), edges, depth[id], states.size() - id);
            if (stopped != null) {
                return stopped;
            }
            successors.clear();
            system.successors(states.get(id), successors);
            edgeStart[id] = edges;
            for (Transition<S> t : successors) {
                Integer target = ids.get(t.target());
                int e = addEdge(t.thread(), t.choice());
                if (target == null) {
                    target = add(t.target(), id, e);
                }
                edgeTarget[e] = target;
            }
            edgeStart[id + 1] = edges;
        }
        return null;
    }

    /**
     * Under symmetry: a BFS that expands one state per orbit (the first one met), recording on
     * each edge u -t-> x the permutation sigma with which x is its orbit's stored state s_v
     * (x's thread i is s_v's thread sigma[i]); then the lifted graph, built from the initial node
     * only: nodes (u, g) stand for the real state whose thread i is s_u's thread g[i], and s_u's
     * edge by thread t is the real state's edge by thread g^-1[t], to (v, sigma o g). Every real
     * edge lifts from each node standing for its source, so a fair cycle of the lifted graph is a
     * fair cycle of the real one, and a real fair cycle, repeated until its lift closes, is a
     * lifted one: the SCC judgement below and the lasso run on the lifted graph unchanged.
     * Choices mean the same for a thread and its image (ReductionsAgreeTest checks it).
     */
    private StopReason exploreLifted() {
        Map<S, Integer> orbit = new HashMap<>();
        List<int[]> pis = new ArrayList<>(); // canonicalThreads of each stored state
        List<int[]> out = new ArrayList<>(); // per stored state: thread, choice, target, permutation
        List<int[]> perms = new ArrayList<>();
        Map<String, Integer> permIds = new HashMap<>();
        int[] identity = new int[threads];
        for (int t = 0; t < threads; t++) identity[t] = t;
        intern(identity, perms, permIds);
        S init = system.initial();
        orbit.put(system.canonical(init), 0);
        states.add(init);
        pis.add(system.canonicalThreads(init));
        List<Transition<S>> successors = new ArrayList<>();
        for (int id = 0; id < states.size(); id++) {
            StopReason stopped = budget.tick(states.size(), quotientEdges, 0, states.size() - id);
            if (stopped != null) {
                return stopped;
            }
            successors.clear();
            system.successors(states.get(id), successors);
            int[] row = new int[successors.size() * 4];
            for (int i = 0; i < successors.size(); i++) {
                Transition<S> t = successors.get(i);
                S x = t.target();
                int[] pix = system.canonicalThreads(x);
                S cx = system.canonical(x);
                Integer v = orbit.get(cx);
                int sigma = 0;
                if (v == null) {
                    v = states.size();
                    orbit.put(cx, v);
                    states.add(x);
                    pis.add(pix);
                } else {
                    int[] piv = pis.get(v);
                    int[] inv = new int[threads];
                    for (int k = 0; k < threads; k++) inv[piv[k]] = k;
                    int[] sg = new int[threads];
                    for (int k = 0; k < threads; k++) sg[k] = inv[pix[k]];
                    sigma = intern(sg, perms, permIds);
                }
                row[4 * i] = t.thread();
                row[4 * i + 1] = t.choice();
                row[4 * i + 2] = v;
                row[4 * i + 3] = sigma;
            }
            out.add(row);
            quotientEdges += successors.size();
        }
        quotientStates = states.size();
        // The lifted graph, BFS from (initial, identity): node ids in discovery order.
        Map<Long, Integer> liftedId = new HashMap<>();
        Map<Long, Integer> composed = new HashMap<>();
        List<int[]> nodes = new ArrayList<>(); // lifted id -> {stored state, permutation}
        nodes.add(new int[] {0, 0});
        liftedId.put(0L, 0);
        growNodes(1);
        parent[0] = -1;
        parentEdge[0] = -1;
        depth[0] = 0;
        lifted = 1;
        for (int id = 0; id < lifted; id++) {
            StopReason stopped = budget.tick(quotientStates, quotientEdges, depth[id], lifted - id);
            if (stopped != null) {
                return stopped;
            }
            int u = nodes.get(id)[0];
            int[] g = perms.get(nodes.get(id)[1]);
            int[] gInv = new int[threads];
            for (int k = 0; k < threads; k++) gInv[g[k]] = k;
            int[] row = out.get(u);
            edgeStart[id] = edges;
            for (int i = 0; i < row.length; i += 4) {
                int v = row[i + 2];
                long pair = ((long) row[i + 3] << 32) | nodes.get(id)[1];
                Integer gv = composed.get(pair);
                if (gv == null) {
                    int[] sg = perms.get(row[i + 3]);
                    int[] c = new int[threads];
                    for (int k = 0; k < threads; k++) c[k] = sg[g[k]];
                    gv = intern(c, perms, permIds);
                    composed.put(pair, gv);
                }
                long key = ((long) v << 32) | gv;
                int e = addEdge(gInv[row[i]], row[i + 1]);
                Integer target = liftedId.get(key);
                if (target == null) {
                    target = lifted++;
                    liftedId.put(key, target);
                    nodes.add(new int[] {v, gv});
                    growNodes(lifted);
                    parent[target] = id;
                    parentEdge[target] = e;
                    depth[target] = depth[id] + 1;
                }
                edgeTarget[e] = target;
            }
            edgeStart[id + 1] = edges;
        }
        return null;
    }

    /** The permutation's number, giving it one if new. */
    private static int intern(int[] p, List<int[]> perms, Map<String, Integer> ids) {
        return ids.computeIfAbsent(Arrays.toString(p), k -> {
            perms.add(p);
            return perms.size() - 1;
        });
    }

    /** Room for n nodes in the per-node arrays. */
    private void growNodes(int n) {
        if (n <= parent.length) {
            return;
        }
        int m = Math.max(n, parent.length * 2);
        parent = Arrays.copyOf(parent, m);
        parentEdge = Arrays.copyOf(parentEdge, m);
        depth = Arrays.copyOf(depth, m);
        edgeStart = Arrays.copyOf(edgeStart, m + 1);
    }

    private int add(S s, int from, int viaEdge) {
        int id = states.size();
        if (id == parent.length) {
            int n = id * 2;
            parent = Arrays.copyOf(parent, n);
            parentEdge = Arrays.copyOf(parentEdge, n);
            depth = Arrays.copyOf(depth, n);
            edgeStart = Arrays.copyOf(edgeStart, n + 1);
        }
        ids.put(s, id);
        states.add(s);
        parent[id] = from;
        parentEdge[id] = viaEdge;
        depth[id] = from < 0 ? 0 : depth[from] + 1;
        return id;
    }

    private int addEdge(int thread, int choice) {
        if (edges == edgeTarget.length) {
            int n = edges * 2;
            edgeThread = Arrays.copyOf(edgeThread, n);
            edgeChoice = Arrays.copyOf(edgeChoice, n);
            edgeTarget = Arrays.copyOf(edgeTarget, n);
        }
        edgeThread[edges] = thread;
        edgeChoice[edges] = choice;
        return edges++;
    }

    /** SCCs, then the first (in BFS order) state of a component with a fair cycle; reports the lasso. */
    private StopReason findFairCycle() {
        int n = size();
        comp = new int[n];
        StopReason stopped = components();
        if (stopped != null) {
            return stopped;
        }
        // The states of each component, contiguous in members (a counting sort on comp).
        memberStart = new int[componentCount + 1];
        for (int v = 0; v < n; v++) {
            memberStart[comp[v] + 1]++;
        }
        for (int c = 0; c < componentCount; c++) {
            memberStart[c + 1] += memberStart[c];
        }
        members = new int[n];
        int[] fill = Arrays.copyOf(memberStart, componentCount);
        for (int v = 0; v < n; v++) {
            members[fill[comp[v]]++] = v;
        }
        // Per component: 0 not yet judged, 1 has a fair cycle, 2 has none.
        byte[] judged = new byte[componentCount];
        for (int v = 0; v < n; v++) {
            int c = comp[v];
            if (judged[c] == 0) {
                judged[c] = (byte) (fair(c) ? 1 : 2);
            }
            if (judged[c] == 1) {
                report(v);
                return null;
            }
        }
        return null;
    }

    /** Iterative Tarjan; {@code comp[v]} gets a component number in 0 .. componentCount - 1. */
    private StopReason components() {
        int n = size();
        int[] index = new int[n];
        int[] low = new int[n];
        Arrays.fill(index, -1);
        boolean[] onStack = new boolean[n];
        int[] sccStack = new int[n];
        int sccTop = 0;
        int[] callStack = new int[n];
        int[] nextEdge = new int[n];
        int callTop = 0;
        int counter = 0;
        for (int root = 0; root < n; root++) {
            if (index[root] >= 0) {
                continue;
            }
            index[root] = low[root] = counter++;
            sccStack[sccTop++] = root;
            onStack[root] = true;
            callStack[callTop] = root;
            nextEdge[callTop++] = edgeStart[root];
            while (callTop > 0) {
                StopReason stopped = budget.tick(n, edges, callTop, callTop);
                if (stopped != null) {
                    return stopped;
                }
                int v = callStack[callTop - 1];
                int e = nextEdge[callTop - 1];
                if (e < edgeStart[v + 1]) {
                    nextEdge[callTop - 1]++;
                    int w = edgeTarget[e];
                    if (index[w] < 0) {
                        index[w] = low[w] = counter++;
                        sccStack[sccTop++] = w;
                        onStack[w] = true;
                        callStack[callTop] = w;
                        nextEdge[callTop++] = edgeStart[w];
                    } else if (onStack[w]) {
                        low[v] = Math.min(low[v], index[w]);
                    }
                    continue;
                }
                callTop--;
                if (callTop > 0) {
                    int u = callStack[callTop - 1];
                    low[u] = Math.min(low[u], low[v]);
                }
                if (low[v] == index[v]) {
                    int w;
                    do {
                        w = sccStack[--sccTop];
                        onStack[w] = false;
                        comp[w] = componentCount;
                    } while (w != v);
                    componentCount++;
                }
            }
        }
        return null;
    }

    /** Whether component {@code c} has an internal edge and every thread steps in it or is disabled somewhere in it. */
    private boolean fair(int c) {
        boolean[] steps = new boolean[threads];
        boolean[] disabled = new boolean[threads];
        boolean[] enabled = new boolean[threads];
        boolean internal = false;
        for (int i = memberStart[c]; i < memberStart[c + 1]; i++) {
            int v = members[i];
            Arrays.fill(enabled, false);
            for (int e = edgeStart[v]; e < edgeStart[v + 1]; e++) {
                enabled[edgeThread[e]] = true;
                if (comp[edgeTarget[e]] == c) {
                    internal = true;
                    steps[edgeThread[e]] = true;
                }
            }
            for (int t = 0; t < threads; t++) {
                disabled[t] |= !enabled[t];
            }
        }
        if (!internal) {
            return false;
        }
        for (int t = 0; t < threads; t++) {
            if (!steps[t] && !disabled[t]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Builds the lasso for the fair component of state {@code s0} and hands it to the monitor: for
     * each thread in order, walk to one of its internal edges and take it, or, if it has none, walk
     * to a state where it is disabled; then walk back to {@code s0}.
     */
    private void report(int s0) {
        int c = comp[s0];
        List<Integer> cycle = new ArrayList<>();
        int[] prevEdge = new int[size()];
        int[] stamp = new int[size()];
        int[] queue = new int[size()];
        int round = 0;
        int at = s0;
        for (int t = 0; t < threads; t++) {
            int thread = t;
            if (hasInternalEdge(c, thread)) {
                at = walk(at, v -> internalEdge(v, thread) >= 0, prevEdge, stamp, ++round, queue, cycle);
                int e = internalEdge(at, thread);
                cycle.add(e);
                at = edgeTarget[e];
            } else {
                at = walk(at, v -> !enabled(v, thread), prevEdge, stamp, ++round, queue, cycle);
            }
        }
        int start = s0;
        walk(at, v -> v == start, prevEdge, stamp, ++round, queue, cycle);

        List<Schedule.Step> stemSteps = new ArrayList<>();
        for (int v = s0; parent[v] >= 0; v = parent[v]) {
            int e = parentEdge[v];
            stemSteps.add(new Schedule.Step(edgeThread[e], edgeChoice[e]));
        }
        Collections.reverse(stemSteps);
        List<Schedule.Step> cycleSteps = new ArrayList<>();
        boolean[] stepped = new boolean[threads];
        for (int e : cycle) {
            cycleSteps.add(new Schedule.Step(edgeThread[e], edgeChoice[e]));
            stepped[edgeThread[e]] = true;
        }
        // Under symmetry s0 is a lifted node: its real state is the stem's end.
        S entry = symmetric ? last(Explorer.replay(system, new Schedule(stemSteps))) : states.get(s0);
        monitor.onCycle(entry, () -> new Schedule(stemSteps), () -> new Schedule(cycleSteps),
                describe(system, stepped) + "; shortest stem (BFS)");
    }

    private static <T> T last(List<T> l) {
        return l.get(l.size() - 1);
    }

    /**
     * "fair cycle (weak fairness): A, B step in it; C is disabled in it". Every thread that takes
     * no step in a fair cycle is disabled in one of its states.
     */
    static String describe(TransitionSystem<?> system, boolean[] stepped) {
        List<String> steps = new ArrayList<>();
        List<String> blocked = new ArrayList<>();
        for (int t = 0; t < stepped.length; t++) {
            (stepped[t] ? steps : blocked).add(system.threadName(t));
        }
        StringBuilder b = new StringBuilder("fair cycle (weak fairness): ");
        b.append(String.join(", ", steps)).append(steps.size() == 1 ? " steps" : " step").append(" in it");
        if (!blocked.isEmpty()) {
            b.append("; ").append(String.join(", ", blocked))
                    .append(blocked.size() == 1 ? " is" : " are").append(" disabled in one of its states");
        }
        return b.toString();
    }

    private boolean enabled(int v, int thread) {
        for (int e = edgeStart[v]; e < edgeStart[v + 1]; e++) {
            if (edgeThread[e] == thread) {
                return true;
            }
        }
        return false;
    }

    /** The first edge of {@code thread} from {@code v} that stays in v's component, or -1. */
    private int internalEdge(int v, int thread) {
        for (int e = edgeStart[v]; e < edgeStart[v + 1]; e++) {
            if (edgeThread[e] == thread && comp[edgeTarget[e]] == comp[v]) {
                return e;
            }
        }
        return -1;
    }

    private boolean hasInternalEdge(int c, int thread) {
        for (int i = memberStart[c]; i < memberStart[c + 1]; i++) {
            if (internalEdge(members[i], thread) >= 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * BFS inside the component of {@code from} to the nearest state satisfying {@code goal};
     * appends the edges taken to {@code path} and returns the state reached.
     */
    private int walk(int from, IntPredicate goal, int[] prevEdge, int[] stamp, int round, int[] queue,
            List<Integer> path) {
        if (goal.test(from)) {
            return from;
        }
        int c = comp[from];
        int head = 0;
        int tail = 0;
        queue[tail++] = from;
        stamp[from] = round;
        while (head < tail) {
            int v = queue[head++];
            for (int e = edgeStart[v]; e < edgeStart[v + 1]; e++) {
                int w = edgeTarget[e];
                if (comp[w] != c || stamp[w] == round) {
                    continue;
                }
                stamp[w] = round;
                prevEdge[w] = e;
                if (goal.test(w)) {
                    List<Integer> back = new ArrayList<>();
                    for (int x = w; x != from; x = sourceOf(prevEdge[x])) {
                        back.add(prevEdge[x]);
                    }
                    Collections.reverse(back);
                    path.addAll(back);
                    return w;
                }
                queue[tail++] = w;
            }
        }
        throw new IllegalStateException("component " + c + " is not strongly connected");
    }

    /** The source state of edge {@code e}: edges are stored in source order. */
    private int sourceOf(int e) {
        int lo = 0;
        int hi = size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (edgeStart[mid] <= e) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
