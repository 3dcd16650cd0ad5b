package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.interp.check.Builtins;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;

/**
 * What the editor features need from a file, read from the lexer's tokens rather than the AST:
 * a file being typed rarely parses, but it always lexes, so completion and go-to-definition keep
 * working between two keystrokes that leave it broken.
 */
final class Outline {

    /** A name declared in the file and the token that declares it. */
    record Declaration(String name, Token token) {
    }

    private final List<Token> tokens;                                       // default channel, no EOF
    private final Map<String, Declaration> paths = new LinkedHashMap<>();   // path NAME(...)
    private final Map<String, Declaration> threads = new LinkedHashMap<>(); // thread NAME { }
    private final List<Declaration> imports = new ArrayList<>();             // import "f.mmu", unquoted
    private int vcpus;                                                       // the largest `vcpus N`

    Outline(String text) {
        MmuLexer lexer = new MmuLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        tokens = new ArrayList<>();
        for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
            tokens.add(t);
        }
        for (int i = 0; i + 1 < tokens.size(); i++) {
            Token next = tokens.get(i + 1);
            switch (tokens.get(i).getType()) {
                case MmuLexer.PATH -> declare(paths, next);
                case MmuLexer.THREAD -> declare(threads, next);
                case MmuLexer.IMPORT -> {
                    if (next.getType() == MmuLexer.STRING) {
                        String quoted = next.getText();
                        imports.add(new Declaration(quoted.substring(1, quoted.length() - 1), next));
                    }
                }
                case MmuLexer.VCPUS -> {
                    if (next.getType() == MmuLexer.DECIMAL) {
                        vcpus = Math.max(vcpus, Integer.parseInt(next.getText().replace("_", "")));
                    }
                }
                default -> { }
            }
        }
    }

    private static void declare(Map<String, Declaration> into, Token name) {
        if (name.getType() == MmuLexer.IDENT) {
            into.putIfAbsent(name.getText(), new Declaration(name.getText(), name));
        }
    }

    Map<String, Declaration> paths() {
        return paths;
    }

    /**
     * The path this file declares for a name: a path named after a kernel path or one of its
     * aliases replaces it under every name (a patch copy of kvm_recover_nx_huge_pages also runs
     * where a thread calls kvm_recover_nx_lpages).
     */
    Optional<Declaration> path(String name) {
        return Builtins.namesOfSame(name).stream().map(paths::get).filter(Objects::nonNull).findFirst();
    }

    /** Whether a declared path returns a value: {@code path f(...) -> bool}. */
    boolean returnsValue(Declaration path) {
        int depth = 0;
        for (int i = tokens.indexOf(path.token()) + 1; i < tokens.size(); i++) {
            int type = tokens.get(i).getType();
            if (type == MmuLexer.LPAREN) depth++;
            if (type == MmuLexer.RPAREN && --depth == 0) {
                return i + 1 < tokens.size() && tokens.get(i + 1).getType() == MmuLexer.ARROW;
            }
            if (type == MmuLexer.LBRACE) return false;
        }
        return false;
    }

    /** The kernel version whose prelude answers at a 0-based position (the enclosing scenario's, else the file's). */
    PinnedKernel kernelAt(String uri, int line, int character) {
        return PinnedKernel.at(uri, tokens, line, character);
    }

    Map<String, Declaration> threads() {
        return threads;
    }

    List<Declaration> imports() {
        return imports;
    }

    /** The file an import names, beside {@code file}; empty for a name no path can hold (a NUL in the string). */
    static Optional<java.nio.file.Path> imported(java.nio.file.Path file, Declaration imp) {
        try {
            return Optional.of(file.resolveSibling(imp.name()).toAbsolutePath().normalize());
        } catch (java.nio.file.InvalidPathException e) {
            return Optional.empty();
        }
    }

    int vcpus() {
        return vcpus;
    }

    /** The token under a 0-based LSP position, or the one just before it (the cursor ends a word). */
    Optional<Token> tokenAt(int line, int character) {
        Token before = null;
        for (Token t : tokens) {
            int tLine = t.getLine() - 1;
            int start = t.getCharPositionInLine();
            int end = end(t);
            if (tLine == line && start <= character && character < end) {
                return Optional.of(t);
            }
            if (tLine == line && end == character) {
                before = t;
            }
        }
        return Optional.ofNullable(before);
    }

    /**
     * The labels ({@code NAME:} at statement level, not a named argument's {@code flush:}) of the
     * path whose body holds a 0-based position, in source order: what a goto there may name. Every
     * label of the path, before the position too: the checker, not completion, says which way a goto may jump.
     */
    List<Declaration> labelsAt(int line, int character) {
        List<Token> before = tokensBefore(line, character);
        int body = Block.outermostBody(before);
        if (body < 0 || !StatementContext.after(before).inPath()) return List.of();
        List<Declaration> labels = new ArrayList<>();
        int depth = 0;
        int parens = 0;
        for (int i = body; i + 1 < tokens.size(); i++) { // before is a prefix of tokens: body indexes both
            Token t = tokens.get(i);
            switch (t.getType()) {
                case MmuLexer.LBRACE -> depth++;
                case MmuLexer.RBRACE -> depth--;
                case MmuLexer.LPAREN -> parens++;
                case MmuLexer.RPAREN -> parens--;
                case MmuLexer.IDENT -> {
                    if (parens == 0 && tokens.get(i + 1).getType() == MmuLexer.COLON
                            && labels.stream().noneMatch(d -> d.name().equals(t.getText()))) {
                        labels.add(new Declaration(t.getText(), t));
                    }
                }
                default -> { }
            }
            if (depth == 0) break;
        }
        return labels;
    }

    /** The tokens that end before a 0-based position, most recent last: the completion context. */
    List<Token> tokensBefore(int line, int character) {
        List<Token> before = new ArrayList<>();
        for (Token t : tokens) {
            int tLine = t.getLine() - 1;
            int end = end(t);
            if (tLine < line || (tLine == line && end <= character)) {
                before.add(t);
            }
        }
        return before;
    }

    /** Where a token ends on its line, in code points as its start is (a string may hold an emoji). */
    static int end(Token t) {
        return t.getCharPositionInLine() + t.getText().codePointCount(0, t.getText().length());
    }
}
