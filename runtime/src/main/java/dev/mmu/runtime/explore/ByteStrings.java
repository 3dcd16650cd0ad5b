package dev.mmu.runtime.explore;

import java.util.Arrays;

/**
 * An exact set of byte strings without an object per string: each is copied once into a chunked
 * byte arena (a varint length, then the bytes), and an open-addressing table of longs (linear
 * probing) finds it: each slot holds the top 30 bits of the string's hash, which place it in the
 * table and rule out almost every mismatch without touching the arena, and a 34-bit reference,
 * the string's arena address (up to 16 GB of arena) or, in a numbered set, its id (0, 1, 2, ...
 * in the order added), with the addresses by id beside it.
 * The table grows by half, so it stays between half and three quarters full: 11-16 bytes a string.
 */
final class ByteStrings {
    /**
     * Arena chunks grow from 4 KB to 256 KB: small sets stay small, and no chunk is a G1
     * humongous object (half a region or more: regions are 1 MB at least), which would take a
     * whole region (or two, for a 1 MB chunk plus its header) and double the arena's footprint.
     * A string longer than a chunk gets a chunk of its own, at offset 0.
     */
    private static final int FIRST_CHUNK = 4 << 10;
    private static final int MAX_CHUNK = 256 << 10;
    /** An address is (chunk << OFFSET_BITS | offset); every string starts below MAX_CHUNK. */
    private static final int OFFSET_BITS = 18;
    private static final int REF_BITS = 34;
    private static final long REF_MASK = (1L << REF_BITS) - 1;

    private final boolean numbered;
    /** Bits of the 64-bit hash kept: all but in tests that force collisions. */
    private final long hashMask;
    /** Slots: the hash's top 30 bits, then reference + 1 in the low 34 bits; 0 = empty. */
    private long[] table = new long[16];
    private int count;
    /** Numbered sets: each id's arena address. */
    private long[] addressOf;
    private byte[][] chunks = new byte[4][];
    private int chunkCount;
    private int chunkUsed;

    /** @param numbered whether each string gets an id ({@link #id}); otherwise only {@link #add} */
    ByteStrings(boolean numbered) {
        this(numbered, -1L);
    }

    /** With only the {@code hashMask} bits of each hash kept (tests: colliding hashes). */
    ByteStrings(boolean numbered, long hashMask) {
        this.numbered = numbered;
        this.hashMask = hashMask;
        this.addressOf = numbered ? new long[16] : null;
    }

    int size() {
        return count;
    }

    /** The bytes its arrays take on the heap (16-byte headers): the set's own accounting. */
    long bytes() {
        long b = 16 + 8L * table.length + 16 + 8L * chunks.length + (addressOf == null ? 0 : 16 + 8L * addressOf.length);
        for (int i = 0; i < chunkCount; i++) b += 16 + chunks[i].length;
        return b;
    }

    /** Adds the {@code len} bytes of {@code b} from {@code off}; true if new. */
    boolean add(byte[] b, int off, int len) {
        long hash = hash(b, off, len);
        int i = find(b, off, len, hash);
        if (i < 0) return false;
        insert(i, b, off, len, hash);
        return true;
    }

    /** The id of the string (a numbered set), added first if new. */
    int id(byte[] b, int off, int len) {
        long hash = hash(b, off, len);
        int i = find(b, off, len, hash);
        if (i < 0) return (int) ((table[-i - 1] & REF_MASK) - 1);
        return (int) insert(i, b, off, len, hash);
    }

    /** The arena address of the string with that id (a numbered set); read it with {@link #chunk}, {@link #start}, {@link #length}. */
    long address(int id) {
        return addressOf[id];
    }

    /** Calls {@code visitor} with the arena address of every string, in table order. */
    void forEach(java.util.function.LongConsumer visitor) {
        for (long slot : table) {
            if (slot != 0) visitor.accept(numbered ? addressOf[(int) ((slot & REF_MASK) - 1)] : (slot & REF_MASK) - 1);
        }
    }

    byte[] chunk(long address) {
        return chunks[(int) (address >>> OFFSET_BITS)];
    }

    /** Where the bytes of the string at {@code address} start in its chunk (after its length). */
    int start(long address) {
        return (int) entry(address);
    }

    int length(long address) {
        return (int) (entry(address) >>> 32);
    }

    /** The string at {@code address}: its varint length (high half) and where its bytes start (low half). */
    private long entry(long address) {
        byte[] c = chunk(address);
        int at = (int) address & ((1 << OFFSET_BITS) - 1);
        int len = 0;
        int shift = 0;
        byte x;
        do {
            x = c[at++];
            len |= (x & 0x7f) << shift;
            shift += 7;
        } while (x < 0);
        return (long) len << 32 | at;
    }

    private long hash(byte[] b, int off, int len) {
        return PackedKey.hash64(b, off, len) & hashMask;
    }

    /** The slot of the string: -(slot + 1) if present, else the empty slot where it goes. */
    private int find(byte[] b, int off, int len, long hash) {
        long tag = hash & ~REF_MASK;
        int n = table.length;
        int i = slot(tag, n);
        for (long s; (s = table[i]) != 0; i = i + 1 == n ? 0 : i + 1) {
            if ((s & ~REF_MASK) == tag && same((s & REF_MASK) - 1, b, off, len)) return -i - 1;
        }
        return i;
    }

    /** The tag (the hash's top bits) scaled to [0, n) (Lemire's fast range reduction), so that growing needs no hashing. */
    private static int slot(long tag, int n) {
        return (int) (((tag >>> 32) * n) >>> 32);
    }

    private boolean same(long ref, byte[] b, int off, int len) {
        long address = numbered ? addressOf[(int) ref] : ref;
        long entry = entry(address);
        int at = (int) entry;
        return (int) (entry >>> 32) == len && Arrays.equals(chunk(address), at, at + len, b, off, off + len);
    }

    /** Stores the string in slot i; returns its reference (id or address). */
    private long insert(int i, byte[] b, int off, int len, long hash) {
        long address = store(b, off, len);
        long ref = address;
        if (numbered) {
            if (count == addressOf.length) addressOf = Arrays.copyOf(addressOf, count + count / 2);
            addressOf[count] = address;
            ref = count;
        }
        if (ref >= REF_MASK) throw new OutOfMemoryError("visited set: arena past 16 GB");
        table[i] = (hash & ~REF_MASK) | (ref + 1);
        if (++count > table.length * 3L / 4) grow();
        return ref;
    }

    private void grow() {
        long[] old = table;
        int n = old.length + old.length / 2;
        table = new long[n];
        for (long s : old) {
            if (s == 0) continue;
            int j = slot(s & ~REF_MASK, n);
            while (table[j] != 0) j = j + 1 == n ? 0 : j + 1;
            table[j] = s;
        }
    }

    /** Copies the bytes (after their varint length) into the arena; a string never spans two chunks. */
    private long store(byte[] b, int off, int len) {
        int need = len + 5;
        if (chunkCount == 0 || chunkUsed + need > chunks[chunkCount - 1].length) {
            if (chunkCount == chunks.length) chunks = Arrays.copyOf(chunks, chunkCount * 2);
            int size = chunkCount == 0 ? FIRST_CHUNK : Math.min(MAX_CHUNK, chunks[chunkCount - 1].length * 2);
            chunks[chunkCount++] = new byte[Math.max(size, need)];
            chunkUsed = 0;
        }
        byte[] c = chunks[chunkCount - 1];
        long address = (long) (chunkCount - 1) << OFFSET_BITS | chunkUsed;
        int at = chunkUsed;
        int rest = len;
        while (rest >= 0x80) {
            c[at++] = (byte) (rest | 0x80);
            rest >>>= 7;
        }
        c[at++] = (byte) rest;
        System.arraycopy(b, off, c, at, len);
        chunkUsed = at + len;
        return address;
    }
}
