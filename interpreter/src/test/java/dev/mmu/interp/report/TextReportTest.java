package dev.mmu.interp.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mmu.interp.run.FileResult;
import dev.mmu.interp.run.ScenarioResult;
import dev.mmu.interp.run.ScenarioRunner;
import dev.mmu.runtime.explore.ExploreResult;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextReportTest {

    /**
     * COLUMNS=80: every line of `mmu check` and `mmu test` fits, the replay command too (the figures
     * explored and the header with a long scenario name were one line of 100-odd columns;
     * invalidated-root's trace threw StringIndexOutOfBoundsException at this width; the replay line
     * was 130 columns long).
     */
    @Test
    void aReportFitsAnEightyColumnTerminal() {
        for (String file : new String[] {"src/test/resources/engine/holds.mmu", "src/test/resources/engine/fails.mmu",
                "../examples/ad-bits/invalidated-root.mmu"}) {
            FileResult f = new ScenarioRunner().runFile(Path.of(file));
            for (ScenarioResult r : f.scenarios()) {
                String text = TextReport.scenario(r, 80);
                assertThat(text).contains("explored ").contains(" ms\n  (").contains("expect ");
                String brief = TextReport.brief(r, 80);
                assertThat(brief.replaceAll("\\s+", " ")).contains("\"" + r.name() + "\"");
                (text + brief).lines().forEach(l -> assertThat(l.length()).as("%s: %s", file, l).isLessThanOrEqualTo(80));
            }
        }
    }

    /**
     * The runner records where each op merged into a step starts, so that the last step ends with
     * the op that broke the invariant: 6.18's recovery without its flush broke stale_tlb_at_unlock
     * at read_unlock, and the srcu_read_unlock merged after it was printed below the "!!" line.
     */
    @Test
    void aKernelThreadsOpsAfterTheViolationAreLeftOut() {
        ScenarioResult r = new ScenarioRunner().runFile(Path.of("../examples/nx/recovery-6.18.mmu")).scenarios().get(1);
        List<ScenarioResult.Step> steps = r.outcomes().get(0).steps();
        assertThat(steps.get(steps.size() - 1).opStarts()).isNotEmpty();
        String text = TextReport.scenario(r, 100);
        assertThat(text.replaceAll("\\s+", " ")).contains("!! stale_tlb_at_unlock", "read_unlock(mmu_lock)")
                .contains("(then 1 more event later in this step: mmu replay prints it)")
                .doesNotContain("srcu_read_unlock");
    }

    /**
     * trial18: the spinning retry of examples/tdp/fast-page-fault-patch.mmu, checked with `expect
     * terminates` so that its lasso is a failure, printed its last step's "cmpxchg lost the race"
     * once per retry until the silent-op cap: 21,910 lines of text report, as many table cells in
     * the HTML and events in the JSON. Every format now says the run once with its count.
     */
    @Test
    void aSpinningLoopsRepeatedClauseIsSaidOnceInEveryFormat(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String text = java.nio.file.Files.readString(Path.of("../examples/tdp/fast-page-fault-patch.mmu"));
        int from = text.indexOf("scenario \"a patch that retries forever without walking again\"");
        String scenario = text.substring(from, text.indexOf("\n}\n", from) + 3).replace("expect fails terminates", "expect terminates");
        Path file = java.nio.file.Files.writeString(dir.resolve("spin.mmu"), scenario);
        FileResult f = new ScenarioRunner().runFile(file);
        ScenarioResult r = f.scenarios().get(0);
        assertThat(r.status()).isEqualTo(ScenarioResult.Status.FAIL);
        String lost = "fast_pf_fix_direct_spte: cmpxchg lost the race (SPTE changed)";
        String raw = r.outcomes().get(0).steps().get(r.outcomes().get(0).steps().size() - 1).text();
        int times = raw.split(java.util.regex.Pattern.quote(lost), -1).length - 1;
        assertThat(times).isGreaterThan(10_000);
        String counted = lost + String.format(" (x %,d)", times);

        String report = TextReport.scenario(r, 100);
        assertThat(report).containsOnlyOnce(lost).contains(counted);
        assertThat(report.lines().count()).isLessThan(80);
        var run = new dev.mmu.interp.run.RunResult(List.of(f), 0);
        assertThat(new JunitXmlReport().render(run)).containsOnlyOnce(lost);
        assertThat(new TapReport().render(run)).containsOnlyOnce(lost);
        assertThat(new KtapReport().render(run)).containsOnlyOnce(lost);
        assertThat(new HtmlReport().render(run)).containsOnlyOnce(lost).contains(counted);

        // the step's text and its one event; the event carries the count, no other event one
        String json = new JsonReport().render(run);
        assertThat(json.split(java.util.regex.Pattern.quote(lost), -1)).hasSize(3);
        assertThat(json).contains(counted).containsOnlyOnce("\"repeat\"")
                .containsPattern("\"text\"\\s*:\\s*\"" + java.util.regex.Pattern.quote(lost) + "\",\\s*\"repeat\"\\s*:\\s*" + times + "\\b");
    }

    /**
     * Partial-order reduction is said once per scenario, in words that say what it means for the
     * verdict (it was repeated on every expectation line as "partial-order reduction: fewer steps
     * at N states"); the JSON keeps it in each expectation's note.
     */
    @Test
    void partialOrderReductionIsSaidOncePerScenarioInPlainWords() {
        ScenarioResult r = new ScenarioRunner().runFile(Path.of("../examples/ad-bits/invalidated-root.mmu"))
                .scenarios().get(0);
        assertThat(r.outcomes()).hasSizeGreaterThan(1)
                .allSatisfy(o -> assertThat(o.note()).startsWith(ExploreResult.PARTIAL_ORDER_NOTE));
        String text = TextReport.scenario(r, 100);
        assertThat(text).doesNotContain("partial-order").doesNotContain("fewer steps")
                .containsOnlyOnce("were run in one order only").contains("cannot change a verdict")
                .contains("--no-por");
        assertThat(text.lines().filter(l -> l.contains("expect ")))
                .hasSize(r.outcomes().size()).noneMatch(l -> l.contains("("));
    }

    /**
     * The replay command broken to fit is still one command: the shell joins its lines back into
     * the arguments of the one-line form. A name wider than the line is broken at its spaces; a
     * schedule is left whole for the terminal to wrap (trial18: at COLUMNS=80 a lasso's schedule was cut inside a number,
     * "0.1.\\" / "2.1", so the schedule copied from its line alone was another schedule).
     */
    @Test
    void aReplayCommandBrokenToFitRunsAsPasted() throws Exception {
        List<String> args = List.of("mmu replay examples/nx/seed-yield-pre-fix.mmu",
                "--scenario \"NX recovery yields with a TDP flush pending (pre-fix), a name longer than a line\"",
                "--schedule " + "0.1.2.".repeat(20) + "0");
        assertThat(TextReport.replay(args, 400)).isEqualTo("  replay: " + String.join(" ", args) + "\n");
        String text = TextReport.replay(args, 60);
        List<String> lines = text.lines().toList();
        assertThat(lines.get(lines.size() - 1)).isEqualTo("    " + args.get(2)); // the schedule whole, wider than 60
        assertThat(lines.subList(0, lines.size() - 1)).hasSizeGreaterThan(2)
                .allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(60))
                .allSatisfy(l -> assertThat(l).endsWith(" \\")); // the name broken at its spaces
        assertThat(text.replace(" \\\n    ", " ").replace(" \\\n", " ")).isEqualTo("  replay: " + String.join(" ", args) + "\n");
        Process bash = new ProcessBuilder("bash", "-c", "set -- " + text.substring("  replay: ".length())
                + "\nprintf '%s\\n' \"$@\"").redirectErrorStream(true).start();
        String parsed = new String(bash.getInputStream().readAllBytes());
        assertThat(bash.waitFor()).isZero();
        assertThat(parsed.lines()).containsExactly("mmu", "replay", "examples/nx/seed-yield-pre-fix.mmu", "--scenario",
                "NX recovery yields with a TDP flush pending (pre-fix), a name longer than a line", "--schedule",
                "0.1.2.".repeat(20) + "0");
    }

    /**
     * The HTML report says the partial-order reduction once per scenario too (each failed
     * scenario's expectation list repeated "partial-order reduction: fewer steps at N states").
     */
    @Test
    void theHtmlReportSaysTheReductionOncePerScenario(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String text = java.nio.file.Files.readString(Path.of("../examples/ad-bits/invalidated-root.mmu"));
        text = text.substring(0, text.indexOf("scenario \"without the request")).replace("  expect never page_table_leak\n",
                "  expect never page_table_leak\n  expect final stat.pages_4k == 99\n");
        Path file = java.nio.file.Files.writeString(dir.resolve("reduced.mmu"), text);
        FileResult f = new ScenarioRunner().runFile(file);
        assertThat(f.scenarios().get(0).outcomes()).hasSize(4)
                .allSatisfy(o -> assertThat(o.note()).contains(ExploreResult.PARTIAL_ORDER_NOTE));
        String html = new HtmlReport().render(new dev.mmu.interp.run.RunResult(List.of(f), 0));
        assertThat(html).doesNotContain("partial-order").containsOnlyOnce("were run in one order only");
    }
}
