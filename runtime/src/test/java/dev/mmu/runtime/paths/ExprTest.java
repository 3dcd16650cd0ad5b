package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The value expressions: what they read (footprint, locals) is what step merging and dead locals trust. */
class ExprTest {
    @Test
    void theLocalsTwoExpressionsReadTogether() {
        assertThat(Expr.locals(Expr.local(1), Expr.local(2))).containsExactly(1, 2);
        assertThat(Expr.locals(new Expr.Decrement(3), null)).containsExactly(3);
        assertThat(Expr.locals(Expr.constant(4), Expr.local(0))).containsExactly(0);
        Expr unknown = Expr.of(Footprint.LOCAL, (s, t) -> 0);
        assertThat(Expr.locals(unknown, Expr.local(0))).as("unknown reads: any local").isNull();
        assertThat(Expr.locals(Expr.local(0), unknown)).isNull();
        Expr declared = Expr.of(Footprint.LOCAL, new int[] {2}, (s, t) -> 0);
        assertThat(Expr.locals(declared, null)).as("the locals an expression declares").containsExactly(2);
    }

    @Test
    void aDecrementReadsItsLocalOnly() {
        Run r = Run.of(OpsTest.VM, b -> {
            int n = b.local("n");
            b.emit(new Ops.Assign(n, Expr.constant(5), "n = 5"));
            b.emit(new Ops.Assign(n, new Expr.Decrement(n), "n = n - 1"));
        });
        assertThat(r.local(0)).isEqualTo(4);
        assertThat(new Expr.Decrement(2).locals()).containsExactly(2);
        assertThat(new Expr.Decrement(2).footprint()).isEqualTo(Footprint.LOCAL);
        assertThat(Expr.constant(-7)).hasToString("-7");
    }

    /** DIV_ROUND_UP() on the kernel's unsigned long: (n + d - 1) / d wraps and divides unsigned. */
    @Test
    void divRoundUpIsTheKernelsOnAU64() {
        Expr.Operator op = Expr.Operator.DIV_ROUND_UP;
        assertThat(op.apply(3, 2)).isEqualTo(2);
        assertThat(op.apply(0, 60)).isZero();
        assertThat(op.apply(5, 0)).as("no division by a zero ratio").isZero();
        assertThat(op.apply(-1, 1)).as("2^64 - 1 pages, ratio 1").isEqualTo(-1);
        assertThat(op.apply(-1, 2)).as("2^64 - 1 + 1 wraps to 0").isZero();
        assertThat(op.apply(-2, 2)).as("(2^64 - 1) / 2, unsigned").isEqualTo(Long.MAX_VALUE);
        assertThat(op.apply(-60, 60)).isEqualTo(Long.divideUnsigned(-1L, 60));
        assertThat(op.apply(-59, 60)).as("a deficit below the ratio: 0").isZero();
    }
}
