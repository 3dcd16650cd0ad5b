package dev.mmu.interp.ast;

import java.util.List;

/** Expressions. Values are 64-bit integers (addresses, gfns, sizes), booleans and handles. */
public sealed interface Expr {

    /** Where the expression starts; binary expressions span from their left operand. */
    Pos pos();

    /** A decimal, hex or size literal ({@code 4K} is 4096). */
    record IntLit(Pos pos, long value) implements Expr {
    }

    record BoolLit(Pos pos, boolean value) implements Expr {
    }

    /** A variable, parameter, outline value, or a global such as {@code vm}, {@code stat}, {@code root}. */
    record Name(Pos pos, String name) implements Expr {
    }

    /** {@code target.field}: {@code sp.gfn}, {@code stat.nx_lpage_splits}, {@code spte(x).level}. */
    record Field(Pos pos, Expr target, Ident field) implements Expr {
    }

    /** A primitive, query ({@code spte}, {@code tlb}, {@code host}), kernel path or user path call. */
    record Call(Pos pos, Ident name, List<Arg> args) implements Expr {
    }

    /** {@code start .. end}, a half-open gpa or gfn range; only ever a call or command argument. */
    record Range(Pos pos, Expr start, Expr end) implements Expr {
    }

    record Unary(Pos pos, UnaryOp op, Expr operand) implements Expr {
    }

    record Binary(Pos pos, BinaryOp op, Expr left, Expr right) implements Expr {
    }

    enum UnaryOp { NOT, NEG }

    /** Binary operators with their source spelling. */
    enum BinaryOp {
        MUL("*"), DIV("/"), MOD("%"), ADD("+"), SUB("-"), BIT_OR("|"),
        LT("<"), LE("<="), GT(">"), GE(">="), EQ("=="), NE("!="), AND("&&"), OR("||");

        public final String symbol;

        BinaryOp(String symbol) {
            this.symbol = symbol;
        }
    }
}
