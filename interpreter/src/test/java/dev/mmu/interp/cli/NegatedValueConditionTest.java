package dev.mmu.interp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primitive's value compared with 0 or false under a `!` is tested by the call's own op with both
 * negations: `!(root_hpa_valid(0) == false)` holds when the root is valid (it read as
 * `!root_hpa_valid(0)` before, the comparison's sense overwriting the `!`).
 */
class NegatedValueConditionTest {
    @TempDir
    Path dir;

    @Test
    void bothNegationsCount() throws IOException {
        for (String cond : new String[] {"!(root_hpa_valid(0) == false)",
                "!(root_hpa_valid(0) != false) == false", "root_hpa_valid(0) != false", "!!root_hpa_valid(0)"}) {
            Path f = dir.resolve("s.mmu");
            Files.writeString(f, """
                    global g = 0

                    scenario "s" {
                      memslot 0 { gpa 0x0 size 2M }
                      setup { vcpu 0 read 0x1000 }
                      thread t {
                        if COND {
                          g = 1
                        } else {
                          g = 2
                        }
                      }
                      expect final g == 1
                    }
                    """.replace("COND", cond));
            CliRun r = CliRun.of("check", f.toString());
            assertThat(r.code()).as("%s: %s", cond, r.out()).isZero();
        }
    }
}
