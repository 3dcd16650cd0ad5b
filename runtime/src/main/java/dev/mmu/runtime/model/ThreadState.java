package dev.mmu.runtime.model;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Where one thread is: its program counter, its locals (C stack variables such as {@code flush},
 * {@code to_zap}, {@code sp}, {@code mmu_seq}), and the {@code invalid_list} on its stack.
 */
public final class ThreadState {
    public int pc;
    public final long[] locals;
    /** LIST_HEAD(invalid_list) of the running path: shadow-page ids prepared but not committed. */
    public int[] invalidList;
    /** SPTE operations since this thread last took mmu_lock (the lock_hold_work metric). */
    public int holdWork;

    public ThreadState(int nlocals) {
        this.locals = new long[nlocals];
        this.invalidList = new int[0];
    }

    private ThreadState(ThreadState o) {
        pc = o.pc;
        locals = o.locals.clone();
        invalidList = o.invalidList;
        holdWork = o.holdWork;
    }

    ThreadState copy() {
        return new ThreadState(this);
    }

    /** The bytes of {@link #encode} kept for one set of live locals: a record, so that both are published together. */
    private record Encoding(BitSet live, byte[] bytes) {
    }

    /**
     * This thread's encoding, kept once computed for a thread that no state will write again (see
     * {@link VmState#encode()}); never copied. Not part of equality. Volatile: threads of the
     * parallel search share states.
     */
    private volatile Encoding encoded;

    /**
     * This thread's part of a state's encoding: pc, the locals live there (others written as 0)
     * sparse, invalid_list, hold work.
     */
    public void encode(StateWriter w, BitSet live) {
        w.value(pc);
        w.value(locals.length);
        int last = -1;
        // Sparse, as the stats: most locals are 0 or dead, so only the live ones are looked at.
        for (int j = live == null ? 0 : live.nextSetBit(0); j >= 0 && j < locals.length;
                j = live == null ? j + 1 : live.nextSetBit(j + 1)) {
            long v = locals[j];
            if (v != 0) {
                w.value(j - last).value(v);
                last = j;
            }
        }
        w.value(0);
        w.values(invalidList).value(holdWork);
    }

    /** {@link #encode}'s bytes, kept: only for a frozen thread (one its state shares copy-on-write). */
    byte[] encoding(BitSet live) {
        Encoding e = encoded;
        if (e == null || e.live != live) {
            StateWriter w = StateWriter.detached();
            encode(w, live);
            e = new Encoding(live, w.toBytes());
            encoded = e;
        }
        return e.bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ThreadState t && pc == t.pc && holdWork == t.holdWork
                && Arrays.equals(locals, t.locals) && Arrays.equals(invalidList, t.invalidList);
    }

    @Override
    public int hashCode() {
        return (pc * 31 + holdWork) * 31 + Arrays.hashCode(locals) * 17 + Arrays.hashCode(invalidList);
    }
}
