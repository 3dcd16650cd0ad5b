package dev.mmu.interp.ast;

import java.util.Optional;

/**
 * {@code thread NAME { }} (a kernel thread) or {@code thread vcpu N { }} (a vCPU thread whose
 * guest accesses default to vCPU N). A vCPU thread's name is "vcpu N" with N as written.
 */
public record ThreadDecl(Pos pos, String name, Optional<Expr> vcpu, Block body) {
}
