package dev.mmu.runtime.model;

import java.util.Arrays;

/**
 * Builds the compact exact encoding of a {@link VmState}: every value as a zigzag varint (most
 * are small: pcs, ids, lock owners, flags; SPTEs and pfns as differences from their neighbour),
 * every array behind its length, so the byte string is injective on the states of one system.
 * Not thread-safe; one writer at a time per thread (they share a scratch buffer).
 */
public final class StateWriter {
    /** One buffer and one cut list per thread, reused: an encoding is built for every generated state. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        byte[] buf = new byte[1024];
        int[] cuts = new int[32];
    }

    private byte[] buf;
    private int n;

    /** This thread's scratch, or null: a detached writer with arrays of its own. */
    private final Scratch scratch;
    /** Where each part written so far ends ({@link #cut}). */
    private int[] cuts;
    private int cutCount;

    /** A writer on this thread's scratch buffer: finish it (toBytes) before starting another. */
    public StateWriter() {
        this(SCRATCH.get());
    }

    private StateWriter(Scratch scratch) {
        this.scratch = scratch;
        this.buf = scratch != null ? scratch.buf : new byte[64];
        this.cuts = scratch != null ? scratch.cuts : null;
    }

    /** A writer with a buffer of its own, usable while a scratch writer is open. */
    public static StateWriter detached() {
        return new StateWriter(null);
    }

    public StateWriter value(long v) {
        long z = (v << 1) ^ (v >> 63);
        if (n + 10 > buf.length) {
            grow();
        }
        while ((z & ~0x7FL) != 0) {
            buf[n++] = (byte) ((z & 0x7F) | 0x80);
            z >>>= 7;
        }
        buf[n++] = (byte) z;
        return this;
    }

    /**
     * How {@code value(a)}'s bytes compare with {@code value(b)}'s as {@link Arrays#compare(byte[],
     * byte[])} does (signed bytes), without writing them.
     */
    public static int compareValues(long a, long b) {
        long za = (a << 1) ^ (a >> 63);
        long zb = (b << 1) ^ (b >> 63);
        while (true) {
            boolean more = (za & ~0x7FL) != 0;
            byte x = (byte) (more ? (za & 0x7F) | 0x80 : za);
            byte y = (byte) ((zb & ~0x7FL) != 0 ? (zb & 0x7F) | 0x80 : zb);
            if (x != y) return Byte.compare(x, y);
            if (!more) return 0; // equal bytes: both end here
            za >>>= 7;
            zb >>>= 7;
        }
    }

    public StateWriter flag(boolean b) {
        return value(b ? 1 : 0);
    }

    public StateWriter values(long[] a) {
        value(a.length);
        for (long v : a) value(v);
        return this;
    }

    public StateWriter values(int[] a) {
        value(a.length);
        for (int v : a) value(v);
        return this;
    }

    /** Ascending or clustered values (SPTEs, pfns): each as the difference from the one before. */
    public StateWriter deltas(long[] a) {
        value(a.length);
        long prev = 0;
        for (long v : a) {
            value(v - prev);
            prev = v;
        }
        return this;
    }

    /**
     * Mostly-zero arrays (host pfn per backing page): the length, then (gap, delta) per non-zero
     * entry (gap >= 1), then a 0 that no gap can be.
     */
    public StateWriter sparse(long[] a) {
        value(a.length);
        int last = -1;
        long prev = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != 0) {
                value(i - last).value(a[i] - prev);
                last = i;
                prev = a[i];
            }
        }
        return value(0);
    }

    /** Appends bytes written by another StateWriter (a cached part of an encoding). */
    public StateWriter raw(byte[] bytes) {
        while (n + bytes.length > buf.length) {
            grow();
        }
        System.arraycopy(bytes, 0, buf, n, bytes.length);
        n += bytes.length;
        return this;
    }

    /**
     * Ends a part of the encoding here: a visited set may store each part once for all the states
     * that share it (a page table, a TLB, a thread). Parts must be cut at the same places for
     * the same bytes.
     */
    public StateWriter cut() {
        if (cuts == null) cuts = new int[32];
        if (cutCount == cuts.length) {
            cuts = Arrays.copyOf(cuts, 2 * cutCount);
            if (scratch != null) scratch.cuts = cuts;
        }
        cuts[cutCount++] = n;
        return this;
    }

    /** Where the parts end, but the last, ascending (see {@link #cut}). */
    public int[] cuts() {
        int k = cutCount;
        while (k > 0 && cuts[k - 1] == n) k--;
        return cuts == null ? new int[0] : Arrays.copyOf(cuts, k);
    }

    private void grow() {
        buf = Arrays.copyOf(buf, buf.length * 2);
        if (scratch != null) scratch.buf = buf;
    }

    /** Bytes written so far. */
    public int length() {
        return n;
    }

    public byte[] toBytes() {
        return Arrays.copyOf(buf, n);
    }
}
