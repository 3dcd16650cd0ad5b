package dev.mmu.runtime.paths;

import java.util.Arrays;

/**
 * The state's lists of shadow-page ids (kvm->arch.tdp_mmu_roots, the NX lists, the invalidated
 * roots) are immutable int arrays shared between states: a change makes a new array.
 */
final class IdLists {
    private IdLists() {}

    static boolean contains(int[] ids, int id) {
        return indexOf(ids, id) >= 0;
    }

    /** Where id first is on the list; -1 if it is not. */
    static int indexOf(int[] ids, int id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) return i;
        }
        return -1;
    }

    /** The list without the first occurrence of id; the same array if id is not on it. */
    static int[] without(int[] ids, int id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != id) continue;
            int[] n = Arrays.copyOf(ids, ids.length - 1);
            System.arraycopy(ids, i + 1, n, i, ids.length - i - 1);
            return n;
        }
        return ids;
    }
}
