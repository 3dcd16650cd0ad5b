package dev.mmu.interp.check;

import dev.mmu.interp.ast.Stmt;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A C declaration pasted from the kernel, {@code bool flush = false;}: it parses as a command
 * {@code bool} and an assignment to an undeclared {@code flush} on the same line. The checker
 * reports it with the fix and reads it as the {@code let} it means; the language server resolves
 * its names the same way (one rule for both).
 */
public final class CDeclarations {

    /** C's scalar types, as a pasted declaration starts. */
    private static final Set<String> C_TYPES = Set.of("bool", "int", "long", "unsigned", "u8", "u16", "u32", "u64",
            "s8", "s16", "s32", "s64", "gfn_t", "gpa_t", "hpa_t", "kvm_pfn_t", "size_t");

    private CDeclarations() {
    }

    /**
     * The assignment {@code next} if {@code type} and it are one C declaration: a bare command named
     * after a C type (and no user path, {@code isPath}) then a plain {@code NAME = value} on its line.
     */
    public static java.util.Optional<Stmt.Assign> of(Stmt type, Stmt next, Predicate<String> isPath) {
        if (type instanceof Stmt.CallStmt c && c.command() && c.call().args().isEmpty()
                && C_TYPES.contains(c.call().name().name()) && !isPath.test(c.call().name().name())
                && next instanceof Stmt.Assign a && !a.orAssign() && a.pos().line() == c.pos().line()) {
            return java.util.Optional.of(a);
        }
        return java.util.Optional.empty();
    }
}
