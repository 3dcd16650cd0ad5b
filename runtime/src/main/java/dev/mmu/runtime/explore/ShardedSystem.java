package dev.mmu.runtime.explore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One part of a systematic search split into {@link Shard}s: the states at distance below a cut
 * depth k are explored by every part, as a layered graph (a state once per distance, so that the
 * cut is well defined); a state at distance exactly k belongs to part {@code hash(key) mod n + 1}
 * and only its part explores on from it, as an ordinary search with a visited set. Every
 * reachable state is within k steps or reachable from a state at distance k, so the union of the
 * parts is the whole search; a state reachable from the cut states of several parts is explored
 * by each of them. A cut state of another part is "pruned": a dead end that no expectation judges
 * (not a terminal or stuck state); cycles through the layers repeat beyond the cut, so a part
 * still sees every fair cycle its states lie on. k is the first distance with at least 32 states
 * per part (computed alike by every part), so that parts get similar shares.
 */
final class ShardedSystem<S> implements TransitionSystem<ShardedSystem.Node<S>> {

    /** {@link Node#layer} of a state past the cut, explored as usual. */
    static final int PAST = -1;
    /** {@link Node#layer} of a cut state that belongs to another part. */
    static final int PRUNED = -2;
    private static final int STATES_PER_PART = 32;
    private static final int MAX_CUT = 1_000;
    private static final int MAX_LAYER = 1 << 16;

    /** A state, with its distance from the initial state while below the cut, or PAST, or PRUNED. */
    record Node<S>(S state, int layer) {}

    /** The key of a node when the inner key is not a {@link PackedKey}. */
    private record Tagged(int layer, Object inner) {}

    private final TransitionSystem<S> inner;
    private final Shard shard;
    private final int cut;

    ShardedSystem(TransitionSystem<S> inner, Shard shard) {
        this.inner = inner;
        this.shard = shard;
        this.cut = cutDepth(inner, shard.count());
    }

    /** Explores part {@code options.shard()}; outcomes judge that part only (see {@link Shard}). */
    static <S> ExploreResult<S> explore(
            TransitionSystem<S> system, List<Expectation<S>> expectations, ExploreOptions options) {
        Shard shard = options.shard();
        ExploreOptions.Builder whole = options.toBuilder().shard(null);
        ExploreOptions.Strategy strategy = options.strategy();
        if (strategy == ExploreOptions.Strategy.RANDOM || strategy == ExploreOptions.Strategy.PCT) {
            ExploreResult<S> r = Explorer.explore(system, expectations, whole.seed(shard.seed(options.seed())).build());
            return noted(r, expectations, "shard " + shard + " (seed " + shard.seed(options.seed()) + ")");
        }
        ShardedSystem<S> sharded = new ShardedSystem<>(system, shard);
        ExploreResult<Node<S>> r = Explorer.explore(sharded, lift(expectations), whole.build());
        return noted(r, expectations, "shard " + shard + " of the search (cut at depth " + sharded.cut + ")");
    }

    private static <S, T> ExploreResult<S> noted(ExploreResult<T> r, List<Expectation<S>> expectations, String part) {
        List<Outcome<S>> outcomes = new ArrayList<>();
        for (int i = 0; i < expectations.size(); i++) {
            Outcome<T> o = r.outcomes().get(i);
            String note = o.note().isEmpty() ? part : o.note() + "; " + part;
            outcomes.add(new Outcome<>(expectations.get(i), o.verdict(), o.trace(), note, o.cycleStart(), o.maximum()));
        }
        return new ExploreResult<>(outcomes, r.stats(), r.coverage());
    }

    /** The expectations on nodes: a pruned node is judged by its own part, so here by none. */
    static <S> List<Expectation<Node<S>>> lift(List<Expectation<S>> expectations) {
        List<Expectation<Node<S>>> lifted = new ArrayList<>();
        for (Expectation<S> e : expectations) {
            if (e instanceof Expectation.Never<S> n) {
                lifted.add(new Expectation.Never<>(n.text(), (s, t) -> s.layer != PRUNED && n.bad().test(s.state, t),
                        n.watch()));
            } else if (e instanceof Expectation.Violation<S> v) {
                lifted.add(new Expectation.Violation<>(v.text(), (s, t) -> s.layer != PRUNED && v.bad().test(s.state, t)));
            } else if (e instanceof Expectation.Final<S> f) {
                lifted.add(new Expectation.Final<>(f.text(), s -> s.layer == PRUNED || f.ok().test(s.state)));
            } else if (e instanceof Expectation.Reachable<S> r) {
                lifted.add(new Expectation.Reachable<>(r.text(), s -> s.layer != PRUNED && r.goal().test(s.state)));
            } else if (e instanceof Expectation.MaxMetric<S> m) {
                lifted.add(new Expectation.MaxMetric<>(m.text(), s -> m.metric().applyAsLong(s.state), m.bound()));
            } else if (e instanceof Expectation.Terminates<S> t) {
                lifted.add(new Expectation.Terminates<>(t.text(), t.livelockExpected()));
            } else {
                lifted.add(new Expectation.NoDeadlock<>(e.text()));
            }
        }
        return lifted;
    }

    /** The first distance with STATES_PER_PART states per part, or where the states run out. */
    static <S> int cutDepth(TransitionSystem<S> system, int parts) {
        if (parts == 1) {
            return 0;
        }
        List<S> layer = List.of(system.initial());
        List<Transition<S>> out = new ArrayList<>();
        for (int d = 0; d < MAX_CUT; d++) {
            if (layer.isEmpty() || layer.size() >= (long) STATES_PER_PART * parts || layer.size() > MAX_LAYER) {
                return d;
            }
            Set<Object> seen = new HashSet<>();
            List<S> next = new ArrayList<>();
            for (S s : layer) {
                out.clear();
                system.successors(s, out);
                for (Transition<S> t : out) {
                    if (seen.add(system.key(t.target()))) {
                        next.add(t.target());
                    }
                }
            }
            layer = next;
        }
        return MAX_CUT;
    }

    private boolean owned(S s) {
        Object k = inner.key(s);
        long h = k instanceof PackedKey p ? p.fingerprint() : Fingerprints.mix(k.hashCode());
        return Math.floorMod(h, (long) shard.count()) == shard.index() - 1;
    }

    private Node<S> node(S s, int layer) {
        if (layer < cut) {
            return new Node<>(s, layer);
        }
        return new Node<>(s, layer > cut || owned(s) ? PAST : PRUNED);
    }

    @Override
    public Node<S> initial() {
        return node(inner.initial(), 0);
    }

    @Override
    public void successors(Node<S> n, List<Transition<Node<S>>> out) {
        if (n.layer == PRUNED) {
            return;
        }
        List<Transition<S>> steps = new ArrayList<>();
        inner.successors(n.state, steps);
        for (Transition<S> t : steps) {
            Node<S> target = n.layer == PAST ? new Node<>(t.target(), PAST) : node(t.target(), n.layer + 1);
            out.add(new Transition<>(t.thread(), t.choice(), target));
        }
    }

    /** A pruned node is no deadlock: its part explores on from it. */
    @Override
    public boolean finished(Node<S> n) {
        return n.layer == PRUNED || inner.finished(n.state);
    }

    @Override
    public int threadCount() {
        return inner.threadCount();
    }

    @Override
    public String threadName(int thread) {
        return inner.threadName(thread);
    }

    /**
     * The inner key behind a fixed-size tag (the layer, PAST or PRUNED), so that a layer node, a
     * pruned node and the same state past the cut are three nodes, and no tagged encoding can
     * equal another whatever the inner encodings look like.
     */
    @Override
    public Object key(Node<S> n) {
        Object k = inner.key(n.state);
        if (k instanceof PackedKey p) {
            byte[] bytes = new byte[p.length() + 4];
            int tag = n.layer - PRUNED;
            bytes[0] = (byte) (tag >>> 24);
            bytes[1] = (byte) (tag >>> 16);
            bytes[2] = (byte) (tag >>> 8);
            bytes[3] = (byte) tag;
            System.arraycopy(p.bytes(), 0, bytes, 4, p.length());
            int[] cuts = p.cuts() == null ? null : p.cuts().clone();
            if (cuts != null) {
                for (int i = 0; i < cuts.length; i++) cuts[i] += 4;
            }
            return new PackedKey(bytes, cuts); // a 64-bit hash of its own: hash compaction stores it
        }
        return new Tagged(n.layer, k);
    }

    @Override
    public Node<S> canonical(Node<S> n) {
        return new Node<>(inner.canonical(n.state), n.layer);
    }
}
