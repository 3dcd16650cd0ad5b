package dev.mmu.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.compile.CompiledScenario;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.model.Stat;
import dev.mmu.runtime.model.VmState;
import dev.mmu.runtime.paths.FastZap;
import dev.mmu.runtime.paths.Footprint;
import dev.mmu.runtime.paths.MmuOps;
import dev.mmu.runtime.paths.MmuSystem;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Ops;
import dev.mmu.runtime.paths.Program;
import dev.mmu.runtime.paths.Rcu;
import dev.mmu.runtime.paths.Resource;
import dev.mmu.runtime.paths.SlotOps;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The footprints every op declares, checked against what the ops do, on the reachable states of
 * every scenario explored op by op: a step changes only the resources its op says it writes (and
 * its own thread's pc and locals), and two states that agree on what the op says it reads (and
 * on the thread's locals) give the same effect. A footprint that under-states would make step
 * merging, symmetry and partial-order reduction unsound; this catches it for every op a scenario
 * reaches, including ops added later. The same for the locals an op says it reads (Op#localsRead),
 * which dead-locals elimination relies on: its other locals cannot change what the step does.
 * And the same for the resources it leaves out, each changed by hand ({@link Perturbation}): the
 * reachable states alone seldom differ in one of them where the op runs.
 */
class FootprintsTest {
    /** Per scenario: enough for every reachable op of the examples but a few deep in the larger ones. */
    private static final int STATES = 3000;

    /** Every primitive and kind of expression, racing vCPUs: what the examples may not reach. */
    private static final Path COVERAGE = Path.of("../interpreter/src/test/resources/footprints/coverage.mmu");

    /** Every op of the TDP iterator, each way it can go, in two roots. */
    private static final Path ITERATORS = Path.of("../interpreter/src/test/resources/footprints/iterators.mmu");

    /** The ops that keep a struct tdp_iter in locals: each declares the fields it reads. */
    private static final Set<Class<?>> ITERATOR_OPS = Set.of(MmuOps.IterStart.class, MmuOps.IterStartIn.class,
            MmuOps.IterNext.class, MmuOps.IterCondResched.class, MmuOps.IterRestart.class, MmuOps.IterNextRoot.class,
            MmuOps.IterPutRoot.class, MmuOps.ZapStep.class, SlotOps.WrprotStep.class, SlotOps.SplitStep.class,
            SlotOps.CollapsibleStep.class, SlotOps.ZapAtomicFinish.class, FastZap.RootIterStart.class,
            FastZap.ZapRootStep.class);

    @TestFactory
    Stream<DynamicTest> everyStepStaysInsideItsFootprint() throws Exception {
        return Stream.concat(Scenarios.all().stream(), Stream.of(COVERAGE, ITERATORS)).map(f -> DynamicTest.dynamicTest(f.toString(), () -> {
            for (CompiledScenario sc : ScenarioLoader.load(f).scenarios()) check(sc.program());
        }));
    }

    /**
     * Each counter is in the resource {@link Resource#of(Stat)} names for it (what `stat.NAME` and
     * the invariants declare): changing it changes that unit of the state and no other.
     */
    @Test
    void eachCounterIsInTheResourceOfItsStat() throws Exception {
        VmState s = new MmuSystem(ScenarioLoader.load(COVERAGE).scenarios().get(0).program(), false).initial();
        for (Stat st : Stat.values()) {
            VmState n = s.copy();
            n.addStat(st, 1);
            for (ResourceView.Unit r : ResourceView.units(s)) {
                boolean changed = !r.view().apply(s).equals(r.view().apply(n));
                assertThat(changed).as("%s changes %s", st, r.name()).isEqualTo(r.bits() == Resource.of(st).bit());
            }
        }
    }

    /**
     * The iterators' scenarios step every iterator op to each of its targets, so that the check of
     * their declared locals above sees an iterator field each one reads change what it does.
     */
    @Test
    void theIteratorScenariosTakeEveryIteratorOpEveryWay() throws Exception {
        Map<Class<?>, BitSet> taken = new HashMap<>();
        for (CompiledScenario sc : ScenarioLoader.load(ITERATORS).scenarios()) {
            check(sc.program()).forEach((op, targets) -> taken.computeIfAbsent(op, k -> new BitSet()).or(targets));
        }
        for (Class<?> op : ITERATOR_OPS) {
            BitSet targets = taken.getOrDefault(op, new BitSet());
            // bit 2i: target i of the op's targets(pc); bit 2i+1: taken
            for (int i = 0; targets.get(2 * i); i++) {
                assertThat(targets.get(2 * i + 1)).as(op.getSimpleName() + " goes to its target " + i).isTrue();
            }
            assertThat(targets.isEmpty()).as(op.getSimpleName() + " is stepped").isFalse();
        }
    }

    /** The checks of each step: what {@link FootprintChecksFireTest} runs one at a time on a lying op. */
    enum Check { WRITES, READS, UNREAD, LOCALS }

    /**
     * Checks every step of p's first states; per op class, its targets (bit 2i: it has a target i
     * in targets(pc), bit 2i+1: a step went there).
     */
    static Map<Class<?>, BitSet> check(Program p) {
        return check(p, EnumSet.allOf(Check.class));
    }

    /** As {@link #check(Program)}, with only these checks. */
    static Map<Class<?>, BitSet> check(Program p, Set<Check> checks) {
        Map<Class<?>, BitSet> taken = new HashMap<>();
        MmuSystem system = new MmuSystem(p, false);
        Map<String, Seen> effects = new HashMap<>();
        Set<VmState> seen = new HashSet<>();
        Deque<VmState> todo = new ArrayDeque<>();
        todo.add(system.initial());
        seen.add(system.initial());
        while (!todo.isEmpty() && seen.size() < STATES) {
            VmState s = todo.pollLast(); // depth-first: the cap still reaches the ends of the paths
            for (int t = 0; t < s.threads.length; t++) {
                Op[] ops = p.threads().get(t).ops();
                int pc = s.threads[t].pc;
                if (pc >= ops.length) continue;
                for (int c = 0; c < ops[pc].choices(s, t); c++) {
                    VmState n = system.step(s, t, c, null);
                    Footprint f = stepFootprint(ops, pc, s, t);
                    if (n.threads[t].pc >= ops.length) f = f.union(MmuSystem.FINISH);
                    // As step merging and partial-order reduction take it: without the end of a grace
                    // period where the thread holds them off and the op leaves that alone
                    f = Rcu.inPlace(s, t, f.ofThread(t));
                    String what = p.threads().get(t).name() + " pc " + pc + " `" + ops[pc].describe() + "` choice " + c;
                    if (checks.contains(Check.WRITES)) checkWrites(s, n, t, f, what);
                    if (checks.contains(Check.READS)) checkReads(s, n, t, f, what, effects);
                    if (checks.contains(Check.UNREAD)) checkUnread(system, ops[pc], s, n, t, c, f, what);
                    if (checks.contains(Check.LOCALS)) {
                        checkLocals(system, s, n, t, c, stepLocals(ops, pc), written(ops, pc, n.threads[t].pc), what);
                    }
                    int[] targets = Arrays.stream(ops[pc].targets(pc)).distinct().toArray();
                    BitSet mine = taken.computeIfAbsent(ops[pc].getClass(), k -> new BitSet());
                    for (int i = 0; i < targets.length; i++) {
                        mine.set(2 * i);
                        if (targets[i] == n.threads[t].pc) mine.set(2 * i + 1);
                    }
                    if (seen.add(n)) todo.add(n);
                }
            }
        }
        return taken;
    }

    /**
     * The op at pc, in s (its narrowest footprint, {@link Op#footprint(VmState, int)}, which must not
     * exceed its static one), and the atomic-block ops that run in its step even when nothing is merged:
     * those its targets lead to through atomic ops (a jump to one too, as to fast_page_fault's return).
     */
    private static Footprint stepFootprint(Op[] ops, int pc, VmState s, int t) {
        Footprint f = ops[pc].footprint(s, t);
        Footprint whole = ops[pc].footprint(s.config).union(ops[pc].footprint());
        assertThat(f.reads() & ~whole.reads()).as(ops[pc].describe() + " reads beyond its footprint in " + s).isZero();
        assertThat(f.writes() & ~whole.writes()).as(ops[pc].describe() + " writes beyond its footprint in " + s).isZero();
        Deque<Integer> next = new ArrayDeque<>();
        Set<Integer> atomic = new HashSet<>();
        for (int q : ops[pc].targets(pc)) next.add(q);
        while (!next.isEmpty()) {
            int q = next.pop();
            if (q >= ops.length || !(ops[q] instanceof Ops.Atomic) || !atomic.add(q)) continue;
            f = f.union(ops[q].footprint());
            for (int r : ops[q].targets(q)) next.add(r);
        }
        return f;
    }

    /**
     * The locals the step at pc declares it reads: its op's and those of the atomic-block ops that run
     * in its step (as {@link #stepFootprint}); null if one declares none (every local counts as read).
     */
    private static int[] stepLocals(Op[] ops, int pc) {
        int[] r = ops[pc].localsRead();
        Deque<Integer> next = new ArrayDeque<>();
        Set<Integer> atomic = new HashSet<>();
        for (int q : ops[pc].targets(pc)) next.add(q);
        while (!next.isEmpty() && r != null) {
            int q = next.pop();
            if (q >= ops.length || !(ops[q] instanceof Ops.Atomic) || !atomic.add(q)) continue;
            int[] more = ops[q].localsRead();
            r = more == null ? null : java.util.stream.IntStream.concat(Arrays.stream(r), Arrays.stream(more)).toArray();
            for (int q2 : ops[q].targets(q)) next.add(q2);
        }
        return r;
    }

    /**
     * The locals the op at pc declares it has written on its way to next (Op#localsWritten), if
     * next is one of its targets (no atomic-block op ran after it in the step); else none.
     */
    private static Set<Integer> written(Op[] ops, int pc, int next) {
        Set<Integer> w = new HashSet<>();
        if (Arrays.stream(ops[pc].targets(pc)).anyMatch(q -> q == next)) {
            for (int j : ops[pc].localsWritten(pc, next)) w.add(j);
        }
        return w;
    }

    /**
     * The step again from s with every local the step does not declare it reads changed, once to
     * other values and once to 0 (a flag): it must go to the same pc and leave the same state, but
     * for those locals where neither run wrote them; a local it declares written must hold the same
     * value after both runs (it did write it).
     */
    private static void checkLocals(MmuSystem system, VmState s, VmState n, int t, int c, int[] read,
                                    Set<Integer> written, String what) {
        if (read == null) return;
        checkLocals(system, s, n, t, c, read, written, what, false);
        checkLocals(system, s, n, t, c, read, written, what, true);
    }

    private static void checkLocals(MmuSystem system, VmState s, VmState n, int t, int c, int[] read,
                                    Set<Integer> written, String what, boolean zero) {
        VmState other = s.copy();
        long[] l = other.threadForWrite(t).locals;
        Set<Integer> declared = new HashSet<>();
        for (int r : read) declared.add(r);
        for (int j = 0; j < l.length; j++) if (!declared.contains(j)) l[j] = zero ? 0 : l[j] * 31 + 0x5a5a + j;
        VmState m = system.step(other, t, c, null).copy();
        long[] ml = m.threadForWrite(t).locals;
        for (int j = 0; j < ml.length; j++) {
            boolean untouched = ml[j] == l[j] && n.threads[t].locals[j] == s.threads[t].locals[j];
            if (untouched && !written.contains(j)) ml[j] = n.threads[t].locals[j];
        }
        assertThat(m).as(what + " reads locals beyond " + Arrays.toString(read) + " or leaves one of " + written + " unwritten: "
                + Arrays.toString(s.threads[t].locals) + " -> " + Arrays.toString(n.threads[t].locals) + ", with "
                + Arrays.toString(l) + " -> " + Arrays.toString(ml)).isEqualTo(n);
    }

    /**
     * Only declared writes change, other threads' pcs and locals never do, and the resources with
     * the threads are the whole state.
     */
    private static void checkWrites(VmState s, VmState n, int t, Footprint f, String what) {
        boolean same = true;
        for (ResourceView.Unit r : ResourceView.units(s)) {
            boolean changed = !r.view().apply(s).equals(r.view().apply(n));
            same &= !changed;
            if ((f.writes() & r.bits()) == 0 && ResourceView.mayFill(r, f)) {
                assertThat(ResourceView.onlyFilled(s, n)).as(what + " changes a present " + r.name() + " entry, its footprint says " + f).isTrue();
            } else if ((f.writes() & r.bits()) == 0) {
                assertThat(changed).as(what + " writes " + r.name() + ", its footprint says " + f).isFalse();
            }
        }
        for (int u = 0; u < s.threads.length; u++) {
            // A thread's rcu_read_lock() nesting is its own, as its pc (the others see its rcu unit)
            long nesting = (s.rcuReaders ^ n.rcuReaders) >> u & 1;
            same &= s.threads[u].pc == n.threads[u].pc && Arrays.equals(s.threads[u].locals, n.threads[u].locals)
                    && nesting == 0;
            if (u == t) continue;
            assertThat(n.threads[u].pc).as(what + " moves thread " + u).isEqualTo(s.threads[u].pc);
            assertThat(n.threads[u].locals).as(what + " writes thread " + u + "'s locals").isEqualTo(s.threads[u].locals);
            assertThat(nesting).as(what + " changes thread " + u + "'s rcu_read_lock() nesting").isZero();
        }
        if (same) assertThat(n).as(what + ": a field outside every resource changed").isEqualTo(s);
    }

    /**
     * The step again from s with every unit it neither reads nor writes changed ({@link Perturbation}):
     * it must go to the same pc and do the same, which leaves those units changed. The reachable
     * states alone seldom differ in one such unit where the op runs ({@link #checkReads}). A unit
     * whose change changes the op's narrowest footprint is left alone: that footprint holds where
     * its condition does (slots_lock's release leaves the memslots alone where no dirty-log window
     * is open, and only the lock's holder opens one), which that check covers.
     */
    private static void checkUnread(MmuSystem system, Op op, VmState s, VmState n, int t, int c, Footprint f, String what) {
        List<Perturbation> ps = Perturbation.untouched(s, t, f.reads(), f.writes());
        Footprint narrow = op.footprint(s, t);
        if (!narrow.equals(op.footprint(s.config).union(op.footprint()))) {
            ps.removeIf(p -> {
                VmState x = s.copy();
                p.apply().accept(x);
                return !op.footprint(x, t).equals(narrow);
            });
        }
        if (ps.isEmpty() || agrees(system, op, s, n, t, c, ps)) return;
        // Name the units that change the step by themselves (or all of them, if only together)
        List<String> culprits = new ArrayList<>();
        for (Perturbation p : ps) if (!agrees(system, op, s, n, t, c, List.of(p))) culprits.add(p.name());
        if (culprits.isEmpty()) ps.forEach(p -> culprits.add(p.name()));
        assertThat(culprits).as(what + " reads " + String.join(", ", culprits) + ", its footprint says " + f).isEmpty();
    }

    /**
     * Whether the step from s with ps applied is enabled as from s (op's choices: synchronize_srcu
     * waits for the other threads' srcu readers) and does what it does from s, with ps applied after.
     */
    private static boolean agrees(MmuSystem system, Op op, VmState s, VmState n, int t, int c, List<Perturbation> ps) {
        VmState changed = s.copy();
        VmState expected = n.copy();
        for (Perturbation p : ps) {
            p.apply().accept(changed);
            p.apply().accept(expected);
        }
        try {
            return op.choices(changed, t) == op.choices(s, t) && system.step(changed, t, c, null).equals(expected);
        } catch (RuntimeException | AssertionError e) {
            return false; // it read what was changed and failed on it
        }
    }

    /**
     * States that agree on the declared reads and the thread's locals (and whether it holds
     * mmu_lock or srcu) must see the same effect.
     * A write of part of a resource keeps the rest, so it counts as a read too (an update).
     */
    private static void checkReads(VmState s, VmState n, int t, Footprint f, String what,
                                   Map<String, Seen> effects) {
        // A thread's own lock holdings and invalid_list are its own: no other thread changes them
        // (Primitive#footprint, MmuSystem.FINISH).
        StringBuilder key = new StringBuilder(what).append(Arrays.toString(s.threads[t].locals))
                .append(s.mmuWriter == t).append(s.holdsMmuLock(t)).append(s.srcuReaders >> t & 1)
                .append(s.rcuReaders >> t & 1).append(Arrays.stream(s.mutexOwner).map(o -> o == t ? 1 : 0).boxed().toList())
                .append(Arrays.toString(s.threads[t].invalidList));
        StringBuilder effect = new StringBuilder().append(n.threads[t].pc).append(Arrays.toString(n.threads[t].locals));
        for (ResourceView.Unit r : ResourceView.units(s)) {
            if ((f.reads() & r.bits()) != 0) key.append('|').append(r.name()).append('=').append(r.view().apply(s));
            if ((f.writes() & r.bits()) != 0 || ResourceView.mayFill(r, f)) effect.append('|').append(r.name()).append('=').append(r.view().apply(n));
        }
        Seen before = effects.putIfAbsent(key.toString(), new Seen(s, effect.toString()));
        if (before != null && !before.effect().equals(effect.toString())) {
            // The units the two states differ in: the footprint leaves out one of them (or a lock or pc of another thread)
            List<String> differ = new ArrayList<>();
            for (ResourceView.Unit r : ResourceView.units(s)) {
                if (!r.view().apply(s).equals(r.view().apply(before.state()))) differ.add(r.name());
            }
            assertThat(effect.toString()).as(what + " depends on more than it reads, on one of " + differ
                    + ": its footprint says " + f).isEqualTo(before.effect());
        }
    }

    /** The first state of a key of {@link #checkReads} and the effect of the step there. */
    private record Seen(VmState state, String effect) {}
}
