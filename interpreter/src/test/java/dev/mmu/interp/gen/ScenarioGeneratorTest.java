package dev.mmu.interp.gen;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The generator keeps writing what the soundness suite is meant to exercise: a run says nothing
 * about a feature the generator does not write (docs/testing.md, "What the generator writes").
 * Each shape must appear in a few of the suite's seeds (1..200), and every text must pass the
 * checker; the same seed gives the same text.
 */
class ScenarioGeneratorTest {

    private static final int SEEDS = 200;

    /** A shape, as a pattern over the text, and the fewest of the 200 seeds that must write it. */
    private static final Map<String, Integer> SHAPES = new LinkedHashMap<>();

    static {
        // whitespace as \\s+: a path is indented once more inside its scenario than at file level
        SHAPES.put("preempt (full|voluntary|none)", 30);
        SHAPES.put("kernel 5\\.1[02]", 10);
        SHAPES.put("kernel 6\\.18", 5);
        SHAPES.put("kernel 7\\.[23]", 10);
        SHAPES.put("pml on", 10);
        SHAPES.put("kvm_mmu_notifier_(clear_flush_young|clear_young|test_young)", 5);
        SHAPES.put("mmu_notifier_invalidate_nonblock|kvm_mmu_slot_remove_write_access", 5);
        SHAPES.put("atomic \\{ (?!lock|let|g\\d)[a-z_]+ ", 10);        // a built-in path inside atomic
        SHAPES.put("lock (read|write)\\s+let x = g\\d", 5);             // the counter in a locked region
        SHAPES.put("lock read srcu\\s+let x = g\\d", 2);
        SHAPES.put("if g\\d >= \\d|let y = g\\d", 5);                  // a vCPU reads the counter
        SHAPES.put("\\s+return true\\s+}\\s+}", 1);                     // a return from inside a loop
        SHAPES.put("goto out\\s+}\\s+}\\s+out:", 1);                   // a goto out of a loop
        SHAPES.put("wrprot_gfn_range|clear_dirty_gfn_range|__kvm_tdp_mmu_age_gfn_range", 5);
        SHAPES.put("\\s+continue\\s+", 2);
        SHAPES.put("yield\\s+}\\s+}\\s+unlock\\s+}", 5);            // a yield in a loop under mmu_lock
        // gen2 (twenty-third session): the prelude's kvm_zap_gfn_range and root references
        SHAPES.put("kvm_zap_gfn_range\\(", 10);
        // the zap raced by the notifier, the memslot's deletion, a vCPU's fault; a root walk by the fast zap
        SHAPES.put("kvm_zap_gfn_range\\([^)]*\\)\\s+}\\s+thread (host|mn) \\{\\s+mmu_notifier_invalidate", 5);
        SHAPES.put("kvm_zap_gfn_range\\([^)]*\\)\\s+}\\s+thread (host|mn) \\{\\s+memslot_delete", 2);
        SHAPES.put("kvm_zap_gfn_range\\([^)]*\\)\\s+}(\\s+thread [a-z]+ \\{[^}]*})*\\s+thread vcpu", 5);
        SHAPES.put("thread host \\{\\s+kvm_mmu_zap_all_fast", 2);
        SHAPES.put("kvm_tdp_mmu_put_root\\(root\\)\\s+unlock\\s+return true", 1); // a return with its put
        SHAPES.put("kvm_tdp_mmu_put_root\\(root\\)\\s+break", 1);  // a break out of a yield-safe loop, its put
        SHAPES.put("if kvm_tdp_mmu_get_root\\(root\\)", 1);
        SHAPES.put("path kvm_tdp_mmu_zap_invalidated_roots\\(\\)", 1);
        // gen3: the root census, a yield-safe walk of every root racing the fast zap's last put
        SHAPES.put("kvm_smm_changed \\d true\\s+}", 10);             // the setup leaves the TDP MMU's reference alone
        SHAPES.put("for root in tdp_mmu_roots_yield_safe \\{\\s+g\\d = g\\d \\+ 1", 5);
        SHAPES.put("if kvm_tdp_mmu_get_root\\(root\\) \\{\\s+g\\d = g\\d \\+ 1", 2);
        SHAPES.put("g\\d = 1\\s+unlock\\s+}", 10);                  // the zap copy's end, under the read lock
        SHAPES.put("expect reachable g\\d == 0 && g\\d == 1", 10);
    }

    @Test
    void everySeedPassesTheCheckerAndEveryShapeIsWritten() {
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (long seed = 1; seed <= SEEDS; seed++) {
            String text = ScenarioGenerator.generate(seed);
            Loaded loaded = ScenarioLoader.load("generated-" + seed + ".mmu", text);
            assertThat(loaded.hasErrors()).as("seed %d:\n%s\n%s", seed, loaded.diagnostics(), text).isFalse();
            for (String shape : SHAPES.keySet()) {
                if (Pattern.compile(shape).matcher(text).find()) seen.merge(shape, 1, Integer::sum);
            }
        }
        Map<String, Integer> short_ = new LinkedHashMap<>();
        SHAPES.forEach((shape, least) -> {
            if (seen.getOrDefault(shape, 0) < least) short_.put(shape, seen.getOrDefault(shape, 0));
        });
        assertThat(short_).as("shapes written by too few of seeds 1..%d (all: %s)", SEEDS, seen).isEmpty();
    }

    @Test
    void aSeedGivesTheSameText() {
        for (long seed : new long[] {1, 77, 208, 1000}) {
            assertThat(ScenarioGenerator.generate(seed)).isEqualTo(ScenarioGenerator.generate(seed));
        }
    }
}
