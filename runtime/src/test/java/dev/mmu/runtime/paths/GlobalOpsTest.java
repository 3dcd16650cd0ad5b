package dev.mmu.runtime.paths;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.runtime.model.Mmu;
import dev.mmu.runtime.model.VmConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A scenario's globals (plain store, try_cmpxchg) and its free choice between branches. */
class GlobalOpsTest {
    static final VmConfig VM = InvariantsTest.vm(Mmu.TDP, false, 1, InvariantsTest.SMALL);

    /** x = 5; old = oldValue; ok = try_cmpxchg(x, old, 9): x is global 0, ok local 0, old local 1. */
    static Run tryCmpxchg(long oldValue) {
        return Run.of(VM, b -> {
            int ok = b.local("ok");
            int old = b.local("old");
            b.emit(new Ops.SetGlobal(0, Expr.constant(5), "x = 5"));
            b.emit(new Ops.Assign(old, Expr.constant(oldValue), "old = " + oldValue));
            b.emit(new Ops.Assign(ok, Expr.constant(7), "ok = 7"));
            b.emit(new Ops.TryCmpxchg(0, old, Expr.constant(9), ok, "ok = try_cmpxchg(x, old, 9)"));
        });
    }

    @Test
    void tryCmpxchgStoresNewWhenTheGlobalStillHoldsOld() {
        Run r = tryCmpxchg(5);
        assertThat(r.s.globals[0]).isEqualTo(9);
        assertThat(r.local(1)).as("old untouched on success").isEqualTo(5);
        assertThat(r.local(0)).as("success").isEqualTo(1);
        assertThat(r.trace()).contains("ok = try_cmpxchg(x, old, 9): swapped");
    }

    @Test
    void tryCmpxchgLoadsTheCurrentValueIntoOldWhenItFails() {
        Run r = tryCmpxchg(4);
        assertThat(r.s.globals[0]).as("x unchanged").isEqualTo(5);
        assertThat(r.local(1)).as("old = x").isEqualTo(5);
        assertThat(r.local(0)).as("failure").isZero();
        assertThat(r.trace()).contains("ok = try_cmpxchg(x, old, 9): failed, old = 5");
    }

    @Test
    void tryCmpxchgWithoutAResultStillSwaps() {
        Run r = Run.of(VM, b -> {
            int old = b.local("old");
            b.emit(new Ops.SetGlobal(0, Expr.constant(3), "x = 3"));
            b.emit(new Ops.Assign(old, Expr.constant(3), "old = 3"));
            b.emit(new Ops.TryCmpxchg(0, old, Expr.constant(8), -1, "try_cmpxchg(x, old, 8)"));
        });
        assertThat(r.s.globals[0]).isEqualTo(8);
    }

    @Test
    void globalOpsDeclareTheirReadsAndWrites() {
        Expr local = Expr.local(0);
        var cmpxchg = new Ops.TryCmpxchg(0, 0, Ops.global(1), 1, "ok = try_cmpxchg(x, old, y)");
        assertThat(Resource.in(cmpxchg.footprint().reads())).contains(Resource.GLOBALS);
        assertThat(Resource.in(cmpxchg.footprint().writes())).containsExactly(Resource.GLOBALS);
        assertThat(cmpxchg.describe()).isEqualTo("ok = try_cmpxchg(x, old, y)");
        var store = new Ops.SetGlobal(0, Queries.NX_LENGTH, "x = nx_length");
        assertThat(Resource.in(store.footprint().reads())).containsExactly(Resource.NX_LIST);
        assertThat(Resource.in(store.footprint().writes())).containsExactly(Resource.GLOBALS);
        assertThat(store.describe()).isEqualTo("x = nx_length");
        assertThat(Resource.in(new Ops.SetGlobal(0, local, "x = a").footprint().reads())).isEmpty();
        assertThat(Resource.in(Ops.global(0).footprint().reads())).containsExactly(Resource.GLOBALS);
    }

    @Test
    void aStoreWritesTheValueOfItsExpression() {
        Run r = Run.of(VM, b -> {
            int a = b.local("a");
            b.emit(new Ops.Assign(a, Expr.constant(41), "a = 41"));
            b.emit(new Ops.SetGlobal(1, new Expr.Decrement(a), "y = a - 1"));
            b.emit(new Ops.Assign(a, Ops.global(1), "a = y"));
        });
        assertThat(r.s.globals[1]).isEqualTo(40);
        assertThat(r.local(0)).isEqualTo(40);
    }

    @Test
    void chooseOffersOneChoicePerBranchAndGoesToTheChosenOne() {
        var choose = new Ops.Choose(List.of(3, 7));
        assertThat(choose.choices(null, 0)).isEqualTo(2);
        assertThat(choose.targets(0)).containsExactly(3, 7);
        assertThat(choose.footprint()).isEqualTo(Footprint.LOCAL);
        assertThat(choose.describe()).isEqualTo("choose");
        // choice 0 (Run's choice) takes the first branch: a = 1, not a = 2
        Run r = Run.of(VM, b -> {
            int a = b.local("a");
            b.emit(new Ops.Choose(List.of(1, 3)));
            b.emit(new Ops.Assign(a, Expr.constant(1), "a = 1"));
            b.emit(new Ops.Jump(4));
            b.emit(new Ops.Assign(a, Expr.constant(2), "a = 2"));
        });
        assertThat(r.local(0)).isEqualTo(1);
        assertThat(r.trace()).contains("choose: branch 1 of 2");
    }
}
