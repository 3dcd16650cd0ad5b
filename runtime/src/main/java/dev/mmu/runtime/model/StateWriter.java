package dev.mmu.runtime.model;

import java.util.Arrays;

/**
 * Builds the compact exact encoding of a {@link VmState}: every value as a zigzag varint (most
 * are small: pcs, ids, lock owners, flags; SPTEs and pfns as differences from their neighbour),
 * every array behind its length, so the byte string is injective on the states of one system.
 */
public final class StateWriter {
    private byte[] buf = new byte[128];
    private int n;

    public StateWriter value(long v) {
        long z = (v << 1) ^ (v >> 63);
        if (n + 10 > buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
        while ((z & ~0x7FL) != 0) {
            buf[n++] = (byte) ((z & 0x7F) | 0x80);
            z >>>= 7;
        }
        buf[n++] = (byte) z;
        return this;
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

    /** Mostly-zero arrays (host pfn per backing page): the length, then (gap, delta) per non-zero. */
    public StateWriter sparse(long[] a) {
        int nonZero = 0;
        for (long v : a) if (v != 0) nonZero++;
        value(a.length).value(nonZero);
        int last = -1;
        long prev = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != 0) {
                value(i - last).value(a[i] - prev);
                last = i;
                prev = a[i];
            }
        }
        return this;
    }

    public byte[] toBytes() {
        return Arrays.copyOf(buf, n);
    }
}
