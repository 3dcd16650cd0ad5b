package dev.mmu.runtime.model;

/** Which MMU builds the guest's second-level tables (kvm.tdp_mmu=Y/N); BOTH: TDP MMU for L1, shadow pages for a nested L2. */
public enum Mmu { TDP, SHADOW, BOTH }
