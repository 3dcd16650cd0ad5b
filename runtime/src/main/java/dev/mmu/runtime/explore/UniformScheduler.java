package dev.mmu.runtime.explore;

import java.util.List;
import java.util.Random;

/** Each enabled transition equally likely: a cheap baseline that finds shallow races. */
final class UniformScheduler<S> implements RunScheduler<S> {

    private final Random random;

    UniformScheduler(Random random) {
        this.random = random;
    }

    @Override
    public void startRun(int expectedLength) {
    }

    @Override
    public Transition<S> pick(List<Transition<S>> enabled) {
        return enabled.get(random.nextInt(enabled.size()));
    }

    @Override
    public String name() {
        return "random";
    }
}
