package dev.mmu.interp.compile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.Loaded;
import dev.mmu.interp.run.ScenarioLoader;
import dev.mmu.runtime.paths.Op;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Expectation and trace texts print each expression as written: every parenthesis it needs, no more. */
class ReportTextTest {
    @TempDir
    Path dir;

    private CompiledScenario load(String text) throws IOException {
        Path f = dir.resolve("texts.mmu");
        Files.writeString(f, text);
        Loaded loaded = ScenarioLoader.load(f);
        assertThat(loaded.diagnostics()).isEmpty();
        return loaded.scenarios().get(0);
    }

    @Test
    void expectationTextsKeepTheParenthesesTheyNeed() throws IOException {
        CompiledScenario sc = load("""
                scenario "texts" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread vcpu 0 { read 0x1000 }
                  expect always !(stat.pages_4k == 1 && false)
                  expect final -(1 - 2) == 1
                  expect final (1 + 2) * 3 == 9 && 1 + 2 * 3 == 7
                  expect final 10 - (4 - 3) == 9 && 10 - 4 - 3 == 3 && ((10 - 4) - 3) == 3
                  expect final !(!true || false) || !false && (true || false)
                  expect final -(-1) == 1 && -(2 * 3) == -6 && -stat.pages_4k <= 0
                  expect reachable (spte(0x1000).present || false) && !(tlb(0, 0x1000) && true)
                  expect always (1 < 2) == true && (1 | 2) % 2 == 1
                }
                """);
        assertThat(sc.expectations()).extracting(e -> e.text()).containsExactly(
                "always !(stat.pages_4k == 1 && false)",
                "final -(1 - 2) == 1",
                "final (1 + 2) * 3 == 9 && 1 + 2 * 3 == 7",
                "final 10 - (4 - 3) == 9 && 10 - 4 - 3 == 3 && 10 - 4 - 3 == 3",
                "final !(!true || false) || !false && (true || false)",
                "final - -1 == 1 && -(2 * 3) == -6 && -stat.pages_4k <= 0",
                "reachable (spte(0x1000).present || false) && !(tlb(0, 0x1000) && true)",
                "always 1 < 2 == true && (1 | 2) % 2 == 1",
                "never lockdep", "never lock_balance", "never kernel_warning"); // lockdep and WARNs, always watched
    }

    @Test
    void traceLinesKeepTheParenthesesTheyNeed() throws IOException {
        CompiledScenario sc = load("""
                scenario "trace texts" {
                  memslot 0 { gpa 0x0 size 2M }
                  thread vcpu 0 { read 0x1000 }
                  thread t {
                    let x = -(1 - 2) * 3
                    if !(x == 3 && tlb(0, 0x1000)) { x = (x + 1) * 2 }
                    while !(x < 3 || x > 4) { x = x - (1 - 2) }
                    assert !(tlb(0, 0x1000) && false)
                  }
                }
                """);
        List<String> ops = Arrays.stream(sc.program().threads().get(1).ops()).map(Op::describe).toList();
        assertThat(ops).contains("x = -(1 - 2) * 3", "if !(x == 3 && tlb(0, 0x1000))", "x = (x + 1) * 2",
                "if !(x < 3 || x > 4)", "x = x - (1 - 2)");
        assertThat(ops).anyMatch(o -> o.startsWith("assert !(tlb(0, 0x1000) && false) ("));
    }
}
