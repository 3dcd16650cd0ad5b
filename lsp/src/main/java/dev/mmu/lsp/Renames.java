package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.KernelPrelude;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.WorkspaceEdit;
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException;
import org.eclipse.lsp4j.jsonrpc.messages.ResponseError;
import org.eclipse.lsp4j.jsonrpc.messages.ResponseErrorCode;

/**
 * textDocument/prepareRename and rename of a local, a label or a path this document declares: every
 * occurrence {@link Occurrences} resolves to it, nothing in a comment or a string (they are no
 * names of the AST). Refused, with the reason, for a name the document does not own (a kernel
 * path, a primitive, a keyword, a global importers share) and for a new name that is no identifier
 * or that another name of the same kind already has where the renamed one is written.
 */
final class Renames {

    private Renames() {
    }

    /** The range of the name to rename, or a refusal saying why it cannot be. */
    static Range prepare(String uri, String text, int line, int character) {
        Occurrences.Symbol s = renameable(uri, text, line, character);
        Pos at = s.all().stream().filter(p -> p.line() - 1 == line && p.column() - 1 <= character
                && character <= p.column() - 1 + s.name.length()).findFirst().orElseThrow();
        return References.range(at, s.name);
    }

    static WorkspaceEdit rename(String uri, String text, int line, int character, String newName) {
        Occurrences.Symbol s = renameable(uri, text, line, character);
        if (!isIdentifier(newName)) {
            throw refused("'" + newName + "' is not a name: a name is a letter or '_' then letters, digits or '_',"
                    + " and no keyword");
        }
        if (s.kind != Occurrences.Kind.LABEL && Builtins.lookup(newName).isPresent()) {
            throw refused("'" + newName + "' is a built-in " + Hovers.kindLabel(Builtins.lookup(newName).get().kind())
                    + ": a " + what(s) + " of that name would hide it or be refused");
        }
        if (s.kind == Occurrences.Kind.PATH
                && KernelPrelude.paths(new Outline(text).kernelAt(uri, line, character).version()).containsKey(newName)) {
            throw refused("'" + newName + "' is a kernel path of the prelude: a path of that name replaces it");
        }
        if (s.visible.contains(newName)) {
            throw refused("'" + newName + "' is already a " + what(s) + " where '" + s.name + "' is used: renamed, the two"
                    + " would be one");
        }
        List<TextEdit> edits = s.all().stream().map(p -> new TextEdit(References.range(p, s.name), newName)).toList();
        return new WorkspaceEdit(Map.of(uri, edits));
    }

    /** The symbol at the position if the document may rename it; else a refusal. */
    private static Occurrences.Symbol renameable(String uri, String text, int line, int character) {
        Occurrences occurrences = Occurrences.of(uri, text);
        Optional<String> broken = occurrences.broken();
        if (broken.isPresent()) {
            // what the other requests answer from then leaves out the lines being typed, which may use the name
            throw refused("the file does not parse (" + broken.get() + "): a rename must see every use of the name,"
                    + " fix the syntax error first");
        }
        Optional<Occurrences.Symbol> found = occurrences.at(line, character);
        if (found.isEmpty()) {
            Optional<Token> t = new Outline(text).tokenAt(line, character);
            if (t.isPresent() && t.get().getType() != MmuLexer.IDENT && Completions.allKeywords().contains(t.get().getText())) {
                throw refused("'" + t.get().getText() + "' is a keyword of the language: it cannot be renamed");
            }
            if (t.isPresent() && Builtins.lookup(t.get().getText()).isPresent()) {
                throw refused("'" + t.get().getText() + "' is a built-in "
                        + Hovers.kindLabel(Builtins.lookup(t.get().getText()).get().kind()) + ": it cannot be renamed");
            }
            throw refused("no local, label or path of this file here (or the file does not parse)");
        }
        Occurrences.Symbol s = found.get();
        switch (s.kind) {
            case CALLEE -> {
                String what = Builtins.lookup(s.name).map(b -> "a built-in " + Hovers.kindLabel(b.kind()))
                        .orElse("a kernel path of the prelude or a path of an import");
                throw refused("'" + s.name + "' is not declared in this file (" + what + "): it cannot be renamed here");
            }
            case GLOBAL -> throw refused("'" + s.name + "' is a global: the files that import this one share it, rename it by hand");
            case OUTLINE -> throw refused("'" + s.name + "' is a scenario outline's value: rename it by hand");
            case PATH -> {
                if (Builtins.lookup(s.name).isPresent() || KernelPrelude.paths(
                        new Outline(text).kernelAt(uri, line, character).version()).containsKey(s.name)) {
                    throw refused("'" + s.name + "' replaces the kernel path of the prelude: renamed, the kernel's would run again");
                }
                return s;
            }
            default -> {
                return s;
            }
        }
    }

    private static String what(Occurrences.Symbol s) {
        return switch (s.kind) {
            case LOCAL -> "variable";
            case LABEL -> "label of the path";
            default -> "path";
        };
    }

    /** One identifier token of the lexer (a keyword lexes as its own token, not IDENT). */
    static boolean isIdentifier(String name) {
        MmuLexer lexer = new MmuLexer(CharStreams.fromString(name));
        lexer.removeErrorListeners();
        Token first = lexer.nextToken();
        return first.getType() == MmuLexer.IDENT && first.getText().equals(name) && lexer.nextToken().getType() == Token.EOF;
    }

    private static ResponseErrorException refused(String why) {
        return new ResponseErrorException(new ResponseError(ResponseErrorCode.RequestFailed, why, null));
    }
}
