package dev.mmu.runtime.explore;

import java.util.List;

/** A transition system that behaves as another one; subclasses change how states are keyed. */
public abstract class ForwardingSystem<S> implements TransitionSystem<S> {
    protected final TransitionSystem<S> inner;

    protected ForwardingSystem(TransitionSystem<S> inner) {
        this.inner = inner;
    }

    @Override
    public Object key(S s) {
        return inner.key(s);
    }

    @Override
    public S initial() {
        return inner.initial();
    }

    @Override
    public void successors(S s, List<Transition<S>> out) {
        inner.successors(s, out);
    }

    @Override
    public boolean finished(S s) {
        return inner.finished(s);
    }

    @Override
    public int threadCount() {
        return inner.threadCount();
    }

    @Override
    public String threadName(int thread) {
        return inner.threadName(thread);
    }

    @Override
    public Dependencies<S> dependencies() {
        return inner.dependencies();
    }

    @Override
    public S canonical(S s) {
        return inner.canonical(s);
    }

    @Override
    public int[] canonicalThreads(S s) {
        return inner.canonicalThreads(s);
    }

    @Override
    public int width(S s, Transition<S> t) {
        return inner.width(s, t);
    }
}
