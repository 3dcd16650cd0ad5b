package dev.mmu.interp.compile;

import java.util.HashMap;
import java.util.Map;

/** Names in scope while compiling a body: locals (slots), user-path parameters, outline values. */
final class Env {
    private final Env parent;
    private final Map<String, Integer> slots = new HashMap<>();

    Env(Env parent) {
        this.parent = parent;
    }

    void bind(String name, int slot) {
        slots.put(name, slot);
    }

    Integer slot(String name) {
        Integer s = slots.get(name);
        return s != null || parent == null ? s : parent.slot(name);
    }
}
