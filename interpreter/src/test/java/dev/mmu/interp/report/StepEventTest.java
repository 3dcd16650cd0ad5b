package dev.mmu.interp.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The structured events of the JSON report's steps, read from the model's fixed phrases. */
class StepEventTest {
    private static StepEvent one(String text) {
        List<StepEvent> events = StepEvent.of(text);
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    @Test
    void aStepIsOneEventPerClause() {
        List<StepEvent> events = StepEvent.of("SPTE L2[0] gfn 0x0 table sp3 -> non-present; "
                + "unaccount_nx_huge_page(sp3(L1 gfn 0x0)): nx_lpage_splits=0; handle_removed_pt(sp3(L1 gfn 0x0)): call_rcu; "
                + "flush pending");

        assertThat(events).extracting(StepEvent::kind).containsExactly("spte", "kernel", "kernel", "flush");
        assertThat(events).extracting(StepEvent::function)
                .containsExactly(null, "unaccount_nx_huge_page", "handle_removed_pt", null);
        assertThat(events.get(0).fields()).isEqualTo(Map.of("gfn", 0L, "level", 2, "from", "table sp3", "to", "non-present"));
        assertThat(events.get(1).fields()).isEqualTo(Map.of("gfn", 0L, "level", 1));
    }

    @Test
    void accessesNameTheVcpuGfnAndPfn() {
        StepEvent e = one("vCPU 1 read 0x1000: TLB hit -> pfn 0x1001");

        assertThat(e.kind()).isEqualTo("access");
        assertThat(e.fields()).isEqualTo(Map.of("vcpu", 1, "access", "read", "gpa", 0x1000L, "gfn", 1L, "pfn", 0x1001L));
    }

    @Test
    void locksHostPagesRcuAndInvariants() {
        StepEvent lock = one("write_lock(mmu_lock): held, queued (newcomers wait behind)");
        assertThat(lock.kind()).isEqualTo("lock");
        assertThat(lock.function()).isEqualTo("write_lock");
        assertThat(lock.fields()).isEqualTo(Map.of("lock", "mmu_lock"));
        assertThat(one("rcu_read_lock()").fields()).isEqualTo(Map.of("lock", "rcu"));
        assertThat(one("srcu_read_unlock(&kvm->srcu)").function()).isEqualTo("srcu_read_unlock");

        StepEvent host = one("host frees pfns 0x1000..0x11ff");
        assertThat(host.kind()).isEqualTo("host");
        assertThat(host.fields()).isEqualTo(Map.of("pfn", 0x1000L, "pfnLast", 0x11ffL));

        StepEvent rcu = one("RCU grace period: tdp_mmu_free_sp_rcu_callback frees sp3");
        assertThat(rcu.kind()).isEqualTo("rcu");
        assertThat(rcu.function()).isEqualTo("tdp_mmu_free_sp_rcu_callback");

        StepEvent broken = one("!! use_after_free: pfn 0x1001 was freed by the host");
        assertThat(broken.kind()).isEqualTo("invariant");
        assertThat(broken.fields()).isEqualTo(Map.of("invariant", "use_after_free", "pfn", 0x1001L));
    }

    @Test
    void kernelCallsConditionsAndStatements() {
        StepEvent begin = one("kvm_mmu_invalidate_start gfn 0x0..0x200");
        assertThat(begin.kind()).isEqualTo("kernel");
        assertThat(begin.function()).isEqualTo("kvm_mmu_invalidate_start");
        assertThat(begin.fields()).isEqualTo(Map.of("gfn", 0L));
        assertThat(one("tdp_iter: L4 gfn 0x0 is a table covering more than the range: step down").function()).isEqualTo("tdp_iter");
        assertThat(one("kvm_flush_remote_tlbs (1 TLB entry dropped)").kind()).isEqualTo("flush");
        assertThat(one("if need_resched").kind()).isEqualTo("condition");
        assertThat(one("need_resched() true").kind()).isEqualTo("condition");

        StepEvent first = one("sp = list_first_entry(lpage_disallowed)");
        assertThat(first.kind()).isEqualTo("statement");
        assertThat(first.function()).isEqualTo("list_first_entry");
        StepEvent toZap = one("to_zap = DIV_ROUND_UP(nx_lpage_splits, ratio)");
        assertThat(toZap.kind()).isEqualTo("statement");
        assertThat(toZap.function()).isNull();
    }
}
