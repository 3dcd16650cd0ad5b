package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** Dead-local liveness: which locals a thread may still read, per pc (what the state key keeps). */
class LiveLocalsTest {
    static BitSet set(int... locals) {
        BitSet b = new BitSet();
        for (int l : locals) b.set(l);
        return b;
    }

    /** An op that declares nothing, as undeclared code does: it may read every local. */
    static final Op OPAQUE = new Op() {
        public void exec(Exec e, int choice) {
        }

        public Footprint footprint() {
            return Footprint.LOCAL;
        }

        public String describe() {
            return "opaque";
        }
    };

    @Test
    void aLoopCounterIsLiveThroughItsLoopAndDeadAfterIt() {
        // 0: if n   1: n = n - 1   2: goto 0   3: x = 1   4: assert x   (5: finished); y never read
        BitSet[] live = LiveLocals.of(InvariantsTest.program(OpsTest.VM, b -> { }, InvariantsTest.thread("t", b -> {
            int n = b.local("n");
            int x = b.local("x");
            b.local("y");
            b.emit(new Ops.JumpUnless(Expr.local(n), 3, "n"));
            b.emit(new Ops.Assign(n, new Expr.Decrement(n), "n = n - 1"));
            b.emit(new Ops.Jump(0));
            b.emit(new Ops.Assign(x, Expr.constant(1), "x = 1"));
            b.emit(new Ops.Assert(Expr.local(x), "x"));
        })))[0];
        assertThat(live).containsExactly(set(0), set(0), set(0), set(), set(1), set());
    }

    @Test
    void aChooseReadsNoLocal() {
        // 0: x = 1   1: choose { 2: goto 4 } or { 3: x = 2 }   (4: finished): x is read nowhere after 0
        BitSet[] live = LiveLocals.of(InvariantsTest.program(OpsTest.VM, b -> { }, InvariantsTest.thread("t", b -> {
            int x = b.local("x");
            b.emit(new Ops.Assign(x, Expr.constant(1), "x = 1"));
            b.emit(new Ops.Choose(java.util.List.of(2, 3)));
            b.emit(new Ops.Jump(4));
            b.emit(new Ops.Assign(x, Expr.constant(2), "x = 2"));
        })))[0];
        assertThat(live[1]).as("live at the choose: only what a branch reads").isEqualTo(set());
    }

    @Test
    void undeclaredCodeKeepsEveryLocalAliveAndNoLocalsIsNotEveryLocal() {
        BitSet[][] live = LiveLocals.of(InvariantsTest.program(OpsTest.VM, b -> { },
                InvariantsTest.thread("opaque", b -> {
                    b.local("a");
                    b.local("b");
                    b.emit(OPAQUE);
                }),
                InvariantsTest.thread("none", b -> b.emit(new Ops.Note("no locals")))));
        assertThat(live[0][0]).as("null: every local live").isNull();
        assertThat(live[0][1]).as("finished: none").isEqualTo(set());
        assertThat(live[1]).containsExactly(set(), set());
    }

    @Test
    void aJumpOutOfThePathLeavesNothingLive() {
        BitSet[][] live = LiveLocals.of(InvariantsTest.program(OpsTest.VM, b -> { },
                InvariantsTest.thread("before", b -> {
                    b.local("a");
                    b.emit(new Ops.Jump(-1));
                }),
                InvariantsTest.thread("past", b -> {
                    b.local("a");
                    b.emit(new Ops.Jump(2));
                })));
        assertThat(live[0][0]).isEqualTo(set());
        assertThat(live[1][0]).isEqualTo(set());
    }
}
