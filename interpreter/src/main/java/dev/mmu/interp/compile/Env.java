package dev.mmu.interp.compile;

import java.util.HashMap;
import java.util.Map;

/** Names in scope while compiling a body: locals (slots), user-path parameters, outline values. */
final class Env {
    private final Env parent;
    private final Map<String, Integer> slots = new HashMap<>();
    private final Map<String, dev.mmu.runtime.paths.KernelPaths.TdpLoop> iters = new HashMap<>();
    private final Map<String, Integer> ranges = new HashMap<>();
    private final Map<String, Long> constants = new HashMap<>();
    private final Map<String, dev.mmu.runtime.paths.TdpMap.Fault> faults = new HashMap<>();
    private final Map<String, Integer> vcpus = new HashMap<>();

    Env(Env parent) {
        this.parent = parent;
    }

    void bind(String name, int slot) {
        slots.put(name, slot);
    }

    /**
     * A parameter passed a constant that its path never assigns: still read from its slot at run
     * time, and known at compile time where an argument must be constant (a memslot id).
     */
    void bindConstant(String name, long value) {
        constants.put(name, value);
    }

    /** The compile-time value of a parameter bound by {@link #bindConstant}, or null. */
    Long constant(String name) {
        if (slots.containsKey(name)) return constants.get(name);
        return parent == null ? null : parent.constant(name);
    }

    /** A range parameter: its start in slot, its end in slot + 1. */
    void bindRange(String name, int slot) {
        ranges.put(name, slot);
    }

    /** The slot of a range parameter's start, or null. */
    Integer range(String name) {
        Integer s = ranges.get(name);
        return s != null || parent == null ? s : parent.range(name);
    }

    void bindIter(String name, dev.mmu.runtime.paths.KernelPaths.TdpLoop loop) {
        iters.put(name, loop);
    }

    /** The for_each_tdp_pte loop a name iterates, or null. */
    dev.mmu.runtime.paths.KernelPaths.TdpLoop iter(String name) {
        var l = iters.get(name);
        return l != null || parent == null ? l : parent.iter(name);
    }

    /** A guest access's fault, or the iterator of its walk: fields are its locals (TdpMap.Fault#slot). */
    void bindFault(String name, dev.mmu.runtime.paths.TdpMap.Fault fault) {
        faults.put(name, fault);
    }

    /** The fault (or fault walk's iterator) a name stands for, or null. */
    dev.mmu.runtime.paths.TdpMap.Fault fault(String name) {
        if (slots.containsKey(name) || iters.containsKey(name)) return null;
        var f = faults.get(name);
        return f != null || parent == null ? f : parent.fault(name);
    }

    /**
     * A vcpu_id parameter: the vCPU it names, known when compiling and kept in no local, so that
     * the ops of twin vCPUs differ only in the vCPU (Ops.VcpuCall).
     */
    void bindVcpu(String name, int vcpu) {
        vcpus.put(name, vcpu);
    }

    /** The vCPU a vcpu_id parameter names, or null. */
    Integer vcpu(String name) {
        if (slots.containsKey(name)) return null;
        Integer v = vcpus.get(name);
        return v != null || parent == null ? v : parent.vcpu(name);
    }

    Integer slot(String name) {
        Integer s = slots.get(name);
        return s != null || parent == null ? s : parent.slot(name);
    }
}
