package dev.mmu.interp.compile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.model.LockId;
import dev.mmu.runtime.paths.Lock.Mode;
import dev.mmu.runtime.paths.Lockdep;
import dev.mmu.runtime.paths.Op;
import dev.mmu.runtime.paths.Ops;
import dev.mmu.runtime.paths.Primitives;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The locks of the walks the compiler expands in Java (trial 16): each asserts its kernel
 * function's lock on entry, before its first step; its yields retake mmu_lock in the mode the path
 * took it; inside a non-blockable invalidate_range_start() each yield is a sleep.
 */
class ExpandedWalkLocksTest {
    private static final String SCENARIO = """
            scenario "s" {
              vm { mmu tdp }
              memslot 0 { gpa 0x0 size 2M backing 4K }
              vcpus 1
              path PATH(range: range) {
                lock MODE
                rcu_read_lock()
                CALL
                rcu_read_unlock()
                unlock
              }
              thread host { THREAD 0x0 .. 0x200000 }
            }
            """;

    /** Each walk, called as the prelude calls it. */
    private static final List<String> WALKS = List.of(
            "tdp_zap_range:let f = tdp_zap_range(0, 512, flush: false, can_yield: true)",
            "__tdp_mmu_zap_root:for root in invalidated_roots { __tdp_mmu_zap_root(root, 3) }",
            "__tdp_mmu_zap_root_advancing:for root in invalidated_roots { __tdp_mmu_zap_root_advancing(root, 3) }",
            "wrprot_gfn_range:wrprot_gfn_range(0, 512)",
            "tdp_mmu_split_huge_pages_root:tdp_mmu_split_huge_pages_root(0, 512, true)",
            "zap_collapsible_spte_range:zap_collapsible_spte_range(0)",
            "recover_huge_pages_range:recover_huge_pages_range(0)");

    private static Op[] ops(String path, String mode, String call) {
        Loaded loaded = ScenarioLoader.load("s.mmu",
                SCENARIO.replace("PATH", path).replace("MODE", mode).replace("CALL", call).replace("THREAD",
                        path.endsWith("_nonblock") ? "kvm_mmu_notifier_invalidate_range_nonblock" : "kvm_mmu_notifier_invalidate_range"));
        assertThat(loaded.hasErrors()).as("%s", loaded.diagnostics()).isFalse();
        return Arrays.stream(loaded.scenarios().get(0).program().threads().get(0).ops())
                .map(op -> op instanceof Ops.Atomic a ? a.inner() : op).toArray(Op[]::new);
    }

    private static int first(Op[] ops, Class<?> kind) {
        for (int i = 0; i < ops.length; i++) if (kind.isInstance(ops[i])) return i;
        return -1;
    }

    /** Its own words: the kernel function and the lock it asserts, before the walk's first op. */
    @Test
    void eachWalkAssertsItsDeclaredLockOnEntry() {
        for (String w : WALKS) {
            String name = w.substring(0, w.indexOf(':'));
            Op[] ops = ops("kvm_mmu_notifier_invalidate_range_start", "write", w.substring(w.indexOf(':') + 1));
            int at = first(ops, Ops.LockdepAssert.class);
            assertThat(at).as(name + ": " + Arrays.stream(ops).map(Op::describe).toList()).isNotNegative();
            // The split asserts the mode its `shared` names (kvm_lockdep_assert_mmu_lock_held(kvm, shared)): read for true.
            Lockdep expected = name.equals("tdp_mmu_split_huge_pages_root") ? Lockdep.MMU_READ : Primitives.get(name).lockdep();
            assertThat(ops[at]).as(name).isEqualTo(new Ops.LockdepAssert(expected, Primitives.get(name).kernel()));
            int walk = first(ops, dev.mmu.runtime.paths.MmuOps.IterCondResched.class);
            assertThat(at).as(name + ": before the walk").isLessThan(walk);
        }
    }

    /** tdp_zap_range's yield retook mmu_lock for write under a path that took it for read. */
    @Test
    void aZapsYieldRetakesMmuLockInTheModeThePathTookIt() {
        Op[] ops = ops("kvm_mmu_notifier_invalidate_range_start", "read", WALKS.get(0).substring(WALKS.get(0).indexOf(':') + 1));
        int yield = first(ops, dev.mmu.runtime.paths.MmuOps.IterCondResched.class);
        assertThat(ops[yield + 1]).isEqualTo(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
    }

    /** Every walk's yield (and the split's allocation) sleeps in the non-blockable start, right before it retakes mmu_lock. */
    @Test
    void eachWalksYieldIsASleepOnlyInTheNonBlockableStart() {
        for (String w : WALKS) {
            String name = w.substring(0, w.indexOf(':'));
            String call = w.substring(w.indexOf(':') + 1);
            Op[] nonblock = ops("mmu_notifier_invalidate_range_start_nonblock", "read", call);
            int sleeps = 0;
            for (int i = 0; i < nonblock.length; i++) {
                if (nonblock[i] instanceof Ops.MightResched) {
                    sleeps++;
                    assertThat(nonblock[i + 1]).as(name).isEqualTo(new Ops.Acquire(LockId.mmu_lock, Mode.READ));
                }
            }
            assertThat(sleeps).as(name).isEqualTo(name.equals("tdp_mmu_split_huge_pages_root") ? 2 : 1);
            assertThat(first(ops("kvm_mmu_notifier_invalidate_range_start", "read", call), Ops.MightResched.class)).as(name).isNegative();
        }
    }
}
