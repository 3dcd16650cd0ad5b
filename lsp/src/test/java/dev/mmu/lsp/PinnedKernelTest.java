package dev.mmu.lsp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which kernel answers where: the edges of a scenario, the file's rule at top level, half-typed lines. */
class PinnedKernelTest {
    private static final String FILE = "file:///tmp/k.mmu";

    private static final String TWO = """
            path mine() {
            }
            scenario "a" {
              vm { kernel 5.12 }
            }
            scenario "b" {
              vm { kernel latest }
            }
            """;

    private static PinnedKernel at(String text, int line, int character) {
        return new Outline(text).kernelAt(FILE, line, character);
    }

    /** A scenario runs from its keyword's first character to just after its closing brace. */
    @Test
    void aScenarioSpansItsKeywordToItsClosingBrace() {
        assertThat(at(TWO, 2, 0)).isEqualTo(new PinnedKernel("5.12", "scenario \"a\" pins it"));
        assertThat(at(TWO, 4, 1).version()).isEqualTo("5.12"); // the cursor just after `}`
        assertThat(at(TWO, 4, 2).version()).isEqualTo("7.2");  // past it: top level
        assertThat(at(TWO, 1, 1).why()).isEqualTo("the file's scenarios run 5.12 and 7.2, so its paths are checked against latest");
        assertThat(at(TWO, 6, 10)).isEqualTo(new PinnedKernel("7.2", "scenario \"b\" pins latest"));
        assertThat(at("  scenario \"a\" {\n  vm { kernel 5.12 }\n}\n", 0, 1).why()) // before the keyword: top level
                .startsWith("the file's scenario runs it");
    }

    @Test
    void atTopLevelTheOneVersionOfTheFilesScenariosElseLatest() {
        String one = "path mine() {\n}\nscenario \"a\" {\n  vm { kernel 6.12 }\n}\n";
        assertThat(at(one, 0, 0)).isEqualTo(new PinnedKernel("6.12", "the file's scenario runs it, so its paths are checked against it"));
        assertThat(at(one + one.replace("path mine() {\n}\n", "").replace("\"a\"", "\"b\""), 0, 0).why())
                .isEqualTo("every scenario of the file runs it, so its paths are checked against it");
        assertThat(at("path mine() {\n}\n", 0, 0)).isEqualTo(new PinnedKernel("7.2", "the file has no scenario, so latest"));
        assertThat(at(one.replace("  vm { kernel 6.12 }\n", ""), 0, 0).version()).isEqualTo("7.2");
    }

    /**
     * Hover and completion read `kernel V` by one look-back, the grammar's shape of a version on
     * the line of `kernel`. Where they differed: completion took `kernel 6 .` (a space, as the
     * grammar allows) for no version and offered the statement words, and hover took `kernel 6 6`
     * (any three numbers, dots or words) for the setting.
     */
    @Test
    void hoverAndCompletionReadTheSameVersionAfterKernel() {
        String spaced = "scenario \"a\" {\n  vm { kernel 6 . }\n}\n";
        var items = Completions.at(FILE, spaced, 1, 17);
        assertThat(items).extracting(i -> i.getLabel()).containsExactlyElementsOf(Completions.KERNEL_VERSIONS);
        assertThat(items.get(0).getTextEdit().getLeft().getRange())
                .isEqualTo(new org.eclipse.lsp4j.Range(new org.eclipse.lsp4j.Position(1, 14), new org.eclipse.lsp4j.Position(1, 17)));
        assertThat(Hovers.at(FILE, spaced, 1, 16)).as("hover on the dot of the same text").isPresent();
        String twice = "scenario \"a\" {\n  vm { kernel 6 6 }\n}\n";
        assertThat(Hovers.at(FILE, twice, 1, 16)).as("hover on a second number: no version").isEmpty();
        assertThat(Hovers.at(FILE, twice, 1, 14)).isPresent();
        String word = "scenario \"a\" {\n  vm { kernel latest }\n}\n";
        assertThat(Hovers.at(FILE, word, 1, 16).orElseThrow().getContents().getRight().getValue()).startsWith("**kernel** · vm setting");
        var tokens = new Outline(spaced).tokensBefore(1, 17);
        assertThat(PinnedKernel.kernelSettingEndingIn(tokens)).isEqualTo(tokens.size() - 3);
        assertThat(PinnedKernel.kernelSettingEndingIn(new Outline("kernel\n6.12\n").tokensBefore(1, 4))).as("on two lines").isEqualTo(-1);
    }

    /** An unknown version is the checker's error; meanwhile latest answers, and says why. */
    @Test
    void anUnknownVersionAnswersWithLatest() {
        assertThat(at("scenario \"a\" {\n  vm { kernel 6.1 }\n}\n", 1, 2))
                .isEqualTo(new PinnedKernel("7.2", "kernel 6.1 is not a version of the prelude, so latest"));
    }

    /**
     * A version half-typed (`kernel 6.`, `kernel 6`) is not read: the line before it stands, and an
     * unclosed scenario (being typed) runs to the end of the file.
     */
    @Test
    void aHalfTypedVersionIsNotReadAndAnOpenScenarioRunsToTheEnd() {
        String text = "scenario \"a\" {\n  vm {\n    kernel 5.10\n    kernel 6.\n    kernel 6\n  }\n  thread t {\n";
        assertThat(at(text, 6, 4)).isEqualTo(new PinnedKernel("5.10", "scenario \"a\" pins it"));
        assertThat(at("scenario \"a\" {\n  vm { kernel 6. }\n", 1, 2).why()).isEqualTo("scenario \"a\" pins no kernel, so latest");
        // The file ends in the middle of the line: nothing is read past its last token.
        assertThat(at("scenario \"a\" {\n  vm { kernel 6.", 1, 2).version()).isEqualTo("7.2");
        assertThat(at("scenario \"a\" {\n  vm { kernel", 1, 2).version()).isEqualTo("7.2");
        assertThat(at("scenario", 0, 3).version()).isEqualTo("7.2");
    }

    /** Only a vm block's `kernel` counts: the word elsewhere in the scenario pins nothing. */
    @Test
    void onlyTheVmBlocksKernelCounts() {
        String text = "scenario \"a\" {\n  explore { kernel 5.10 }\n  vm { mmu tdp }\n}\n";
        assertThat(at(text, 2, 2).version()).isEqualTo("7.2");
    }
}
