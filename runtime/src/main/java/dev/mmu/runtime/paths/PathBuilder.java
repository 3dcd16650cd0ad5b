package dev.mmu.runtime.paths;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds one thread's op list: built-in kernel paths and user-written paths are emitted through the
 * same builder, so they run on the same ops. Locals are slots in the thread's state.
 */
public final class PathBuilder {
    private final List<Op> ops = new ArrayList<>();
    private final List<String> locals = new ArrayList<>();

    /** Allocates a fresh local slot; the name is only for explain output. */
    public int local(String name) {
        locals.add(name);
        return locals.size() - 1;
    }

    /** Allocates n consecutive slots and returns the first. */
    public int locals(String name, int n) {
        int first = locals.size();
        for (int i = 0; i < n; i++) locals.add(name + "." + i);
        return first;
    }

    public int emit(Op op) {
        ops.add(op);
        return ops.size() - 1;
    }

    /** Reserves a slot for an op whose jump target is not known yet. */
    public int placeholder() {
        ops.add(null);
        return ops.size() - 1;
    }

    public void patch(int at, Op op) {
        ops.set(at, op);
    }

    /** Index of the next op to be emitted (a jump target). */
    public int here() {
        return ops.size();
    }

    /** Makes ops [from, here) run inside the step of the op before them: an atomic { } block. */
    public void atomic(int from) {
        for (int i = from; i < ops.size(); i++) ops.set(i, new Ops.Atomic(ops.get(i)));
    }

    public Op[] ops() {
        if (ops.contains(null)) throw new IllegalStateException("unpatched jump");
        return ops.toArray(new Op[0]);
    }

    public List<String> localNames() {
        return List.copyOf(locals);
    }
}
