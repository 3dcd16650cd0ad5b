package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.runtime.paths.Prelude;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.antlr.v4.runtime.Token;

/**
 * The kernel version whose prelude answers hover, definition and completion at a position, by the
 * checker's rule: inside a scenario, the version its {@code vm { kernel V }} pins (the last such
 * line; none is latest); elsewhere (a path at top level), the one version every scenario of the
 * file runs, else latest, as the front end checks the file's paths (Frontend's kernelOf); in a
 * prelude file that go-to-definition opened, its version. Read from the tokens, as the file being
 * typed need not parse.
 *
 * @param version a version of {@link Prelude#VERSIONS}
 * @param why     why that version, for the hover ("scenario \"s\" pins it")
 */
record PinnedKernel(String version, String why) {

    /** A scenario's tokens from its keyword to its closing brace (the end of the file if open), and its version. */
    private record Scenario(String name, Token first, Token last, String written) {
    }

    static PinnedKernel at(String uri, List<Token> tokens, int line, int character) {
        var copy = PreludeFiles.versionOfCopy(uri); // a prelude file go-to-definition opened
        if (copy.isPresent()) {
            return new PinnedKernel(copy.get(), "this file is kernel " + copy.get() + "'s prelude");
        }
        List<Scenario> scenarios = scenarios(tokens);
        for (Scenario s : scenarios) {
            if (!before(line, character, s.first()) && (s.last() == null || !after(line, character, s.last()))) {
                return of(s.written(), "scenario " + s.name());
            }
        }
        TreeSet<String> versions = new TreeSet<>((a, b) -> Prelude.VERSIONS.indexOf(a) - Prelude.VERSIONS.indexOf(b));
        scenarios.forEach(s -> versions.add(of(s.written(), "").version()));
        if (versions.size() == 1) {
            return new PinnedKernel(versions.first(), (scenarios.size() == 1 ? "the file's scenario runs it"
                    : "every scenario of the file runs it") + ", so its paths are checked against it");
        }
        return new PinnedKernel(Prelude.LATEST, versions.isEmpty() ? "the file has no scenario, so latest"
                : "the file's scenarios run " + String.join(" and ", versions) + ", so its paths are checked against latest");
    }

    /** The version a scenario writes ({@code 6.12}, {@code latest}; null for none) as the prelude's. */
    private static PinnedKernel of(String written, String scenario) {
        if (written == null) {
            return new PinnedKernel(Prelude.LATEST, scenario + " pins no kernel, so latest");
        }
        if (written.equals("latest")) {
            return new PinnedKernel(Prelude.LATEST, scenario + " pins latest");
        }
        if (!Prelude.VERSIONS.contains(written)) { // the checker's error; latest answers meanwhile
            return new PinnedKernel(Prelude.LATEST, "kernel " + written + " is not a version of the prelude, so latest");
        }
        return new PinnedKernel(written, scenario + " pins it");
    }

    /** The file's scenarios: `scenario` at depth 0, and the `kernel V` lines of their vm blocks. */
    private static List<Scenario> scenarios(List<Token> tokens) {
        List<Scenario> found = new ArrayList<>();
        int depth = 0;
        Token start = null;
        String name = "";
        String written = null;
        boolean inVm = false;
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            switch (t.getType()) {
                case MmuLexer.SCENARIO -> {
                    if (depth == 0) {
                        start = t;
                        name = i + 1 < tokens.size() ? tokens.get(i + 1).getText() : "";
                        written = null;
                    }
                }
                case MmuLexer.LBRACE -> {
                    depth++;
                    inVm = start != null && depth == 2 && i > 0 && tokens.get(i - 1).getType() == MmuLexer.VM;
                }
                case MmuLexer.RBRACE -> {
                    depth = Math.max(0, depth - 1);
                    inVm = false;
                    if (depth == 0 && start != null) {
                        found.add(new Scenario(name, start, t, written));
                        start = null;
                    }
                }
                case MmuLexer.KERNEL -> {
                    if (inVm && depth == 2) {
                        String v = version(tokens, i + 1);
                        if (v != null) written = v;
                    }
                }
                default -> { }
            }
        }
        if (start != null) {
            found.add(new Scenario(name, start, null, written));
        }
        return found;
    }

    /** The tokens of a version after `kernel`, as Mmu.g4's kernelSetting has them: {@code 6 . 12}, or one word. */
    private static final List<Integer> VERSION_TOKENS = List.of(MmuLexer.DECIMAL, MmuLexer.DOT, MmuLexer.DECIMAL);

    /**
     * The index of the {@code kernel} whose version the tokens end in, or -1: after it, on its line,
     * the start of the grammar's version ({@code 6}, {@code 6 .}, {@code 6 . 12}, spaces or not) or
     * one word ({@code latest}). The one look-back of hover (on a version) and completion (of one
     * being typed): hover took any three numbers, dots or words on the line, completion only
     * numbers and dots written without a space, so each answered where the other did not.
     */
    static int kernelSettingEndingIn(List<Token> tokens) {
        int n = tokens.size();
        for (int k = 1; k <= VERSION_TOKENS.size() && k < n; k++) {
            Token kernel = tokens.get(n - 1 - k);
            if (kernel.getType() != MmuLexer.KERNEL) continue;
            List<Token> version = tokens.subList(n - k, n);
            boolean shape = k == 1 && version.get(0).getType() == MmuLexer.IDENT;
            if (!shape) {
                shape = true;
                for (int j = 0; j < k; j++) shape &= version.get(j).getType() == VERSION_TOKENS.get(j);
            }
            boolean oneLine = version.stream().allMatch(t -> t.getLine() == kernel.getLine());
            return shape && oneLine ? n - 1 - k : -1;
        }
        return -1;
    }

    /** The version written from index i: {@code 6.12} (DECIMAL DOT DECIMAL) or a word; null while half-typed. */
    private static String version(List<Token> tokens, int i) {
        if (i < tokens.size() && tokens.get(i).getType() == MmuLexer.IDENT) {
            return tokens.get(i).getText();
        }
        if (i + 2 < tokens.size() && tokens.get(i).getType() == MmuLexer.DECIMAL
                && tokens.get(i + 1).getType() == MmuLexer.DOT && tokens.get(i + 2).getType() == MmuLexer.DECIMAL) {
            return tokens.get(i).getText() + "." + tokens.get(i + 2).getText();
        }
        return null;
    }

    /** Whether a 0-based position comes before the token starts. */
    private static boolean before(int line, int character, Token t) {
        return line < t.getLine() - 1 || (line == t.getLine() - 1 && character < t.getCharPositionInLine());
    }

    /** Whether a 0-based position comes after the token ends (its end is still in it: the cursor after `}`). */
    private static boolean after(int line, int character, Token t) {
        return line > t.getLine() - 1 || (line == t.getLine() - 1 && character > t.getCharPositionInLine() + 1);
    }
}
