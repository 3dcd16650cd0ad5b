package dev.mmu.lsp;

import dev.mmu.grammar.MmuLexer;
import dev.mmu.interp.ast.Pos;
import dev.mmu.interp.check.Builtins;
import dev.mmu.interp.check.KernelPrelude;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
        return prepare(uri, text, line, character, Workspace.none());
    }

    static Range prepare(String uri, String text, int line, int character, Workspace workspace) {
        Occurrences.Symbol s = renameable(uri, text, line, character, workspace).symbol();
        Pos at = s.all().stream().filter(p -> p.line() - 1 == line && p.column() - 1 <= character
                && character <= p.column() - 1 + s.name.length()).findFirst().orElseThrow();
        return References.range(at, s.name);
    }

    static WorkspaceEdit rename(String uri, String text, int line, int character, String newName) {
        return rename(uri, text, line, character, newName, Workspace.none());
    }

    /**
     * The edits, in every file that writes the name: a path that files import (one of this file's,
     * or one this file calls from an import) is renamed in its file and in each file found importing
     * that file (see {@link Workspace}), or refused if one of them does not parse or has that name.
     */
    static WorkspaceEdit rename(String uri, String text, int line, int character, String newName, Workspace workspace) {
        Target target = renameable(uri, text, line, character, workspace);
        Occurrences.Symbol s = target.symbol();
        if (!isIdentifier(newName)) {
            throw refused("'" + newName + "' is not a name: a name is a letter or '_' then letters, digits or '_',"
                    + " and no keyword");
        }
        if (s.kind != Occurrences.Kind.LABEL && Builtins.lookup(newName).isPresent()) {
            throw refused("'" + newName + "' is a built-in " + Hovers.kindLabel(Builtins.lookup(newName).get().kind())
                    + ": a " + what(s) + " of that name would hide it or be refused");
        }
        if ((s.kind == Occurrences.Kind.PATH || s.kind == Occurrences.Kind.CALLEE)
                && KernelPrelude.paths(new Outline(text).kernelAt(uri, line, character).version()).containsKey(newName)) {
            throw refused("'" + newName + "' is a kernel path of the prelude: a path of that name replaces it");
        }
        if (s.visible.contains(newName)) {
            throw refused("'" + newName + "' is already a " + what(s) + " where '" + s.name + "' is used: renamed, the two"
                    + " would be one");
        }
        if (target.declaredIn() == null) {
            List<TextEdit> edits = s.all().stream().map(p -> new TextEdit(References.range(p, s.name), newName)).toList();
            return new WorkspaceEdit(Map.of(uri, edits));
        }
        return acrossFiles(uri, text, s.name, newName, target.declaredIn(), workspace);
    }

    /**
     * What a rename answers for: the symbol under the cursor and, for a path files import, the file
     * that declares it (else null: the rename stays in this document).
     */
    private record Target(Occurrences.Symbol symbol, Path declaredIn) {
    }

    /** A path of {@code declaredIn} renamed there and in every file found importing it, where its calls resolve to it. */
    private static WorkspaceEdit acrossFiles(String uri, String text, String name, String newName, Path declaredIn,
                                             Workspace workspace) {
        Map<String, List<TextEdit>> changes = new LinkedHashMap<>();
        for (FileUse u : uses(uri, text, declaredIn, workspace)) {
            if (u.occurrences() == null) {
                throw refused("'" + name + "' is declared in " + declaredIn.getFileName() + ", which cannot be read: rename it by hand");
            }
            if (u.occurrences().broken().isPresent()) {
                throw refused(u.file().getFileName() + " " + (u.declares() ? "declares" : "imports") + " '" + name
                        + "' and does not parse (" + u.occurrences().broken().get() + "): a rename must see every use, fix it first");
            }
            if (u.occurrences().pathNames().contains(newName)
                    || Definitions.path(newName, u.file(), u.text(), workspace.openText()).isPresent()) {
                throw refused("'" + newName + "' is already a path " + u.file().getFileName() + " sees: renamed, the two would be one");
            }
            u.symbol(name, declaredIn, workspace).ifPresent(s -> changes.put(u.uri(), s.all().stream()
                    .map(p -> new TextEdit(References.range(p, s.name), newName)).toList()));
        }
        return new WorkspaceEdit(changes);
    }

    /**
     * A file that declares a path files import ({@code declares}) or imports its file: its URI as the
     * client knows the document, its text and names (null: it cannot be read).
     */
    record FileUse(Path file, String uri, String text, Occurrences occurrences, boolean declares) {
        /** The path of declaredIn as this file writes it: declared and exported there, or called here and resolving to it. */
        Optional<Occurrences.Symbol> symbol(String name, Path declaredIn, Workspace workspace) {
            return occurrences.path(name).filter(s -> declares ? occurrences.exported(s)
                    : s.kind == Occurrences.Kind.CALLEE && Definitions.path(name, file, text, workspace.openText())
                            .filter(l -> Renames.file(l.getUri()).equals(declaredIn)).isPresent());
        }
    }

    /** declaredIn and each file found importing it (this document's unsaved text for itself; see {@link Workspace}). */
    static List<FileUse> uses(String uri, String text, Path declaredIn, Workspace workspace) {
        Path self = file(uri);
        java.util.function.Function<Path, Optional<String>> textOf = f -> f.equals(self) ? Optional.of(text) : workspace.text(f);
        Set<Path> files = new LinkedHashSet<>();
        files.add(declaredIn);
        files.add(self);
        files.addAll(workspace.files(self, declaredIn));
        List<FileUse> out = new java.util.ArrayList<>();
        for (Path f : files) {
            boolean declares = f.equals(declaredIn);
            if (!declares && !workspace.imports(f, declaredIn, textOf)) continue;
            Optional<String> fText = textOf.apply(f);
            String fUri = f.equals(self) ? uri : workspace.uri(f); // the URI the client knows the document by
            out.add(new FileUse(f, fUri, fText.orElse(null), fText.map(t -> Occurrences.of(fUri, t)).orElse(null), declares));
        }
        return out;
    }

    /**
     * Where a path of another file, or one of this file that files may import, is declared: that
     * file; else (a local, a label, a kernel path, a document with no file) empty.
     */
    static Optional<Path> importedFrom(String uri, String text, Occurrences.Symbol s, Occurrences occurrences,
                                       Workspace workspace) {
        return switch (s.kind) {
            case CALLEE -> Definitions.path(s.name, file(uri), text, workspace.openText()).map(l -> file(l.getUri()))
                    .filter(f -> !f.equals(file(uri)));
            case PATH -> occurrences.exported(s) && uri.startsWith("file:") ? Optional.of(file(uri)) : Optional.empty();
            default -> Optional.empty();
        };
    }

    static Path file(String uri) {
        return Path.of(Documents.fileName(uri)).toAbsolutePath().normalize();
    }

    /** The symbol at the position if the document may rename it, and where a path files import is declared; else a refusal. */
    private static Target renameable(String uri, String text, int line, int character, Workspace workspace) {
        Optional<String> copy = PreludeFiles.versionOfCopy(uri);
        if (copy.isPresent()) {
            throw refused("this is a copy of the prelude of kernel " + copy.get() + ", which is read-only: its paths are the"
                    + " kernel's; a path of the same name in a scenario file replaces one there");
        }
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
            throw refused("no local, label or path of this file here");
        }
        Occurrences.Symbol s = found.get();
        String version = new Outline(text).kernelAt(uri, line, character).version();
        switch (s.kind) {
            case CALLEE -> {
                if (Builtins.lookup(s.name).isPresent()) {
                    throw refused("'" + s.name + "' is not declared in this file (a built-in "
                            + Hovers.kindLabel(Builtins.lookup(s.name).get().kind()) + "): it cannot be renamed");
                }
                Optional<Path> declared = importedFrom(uri, text, s, occurrences, workspace);
                if (declared.isPresent()) return new Target(s, declared.get()); // a path of an import
                if (KernelPrelude.paths(version).containsKey(s.name)) {
                    throw refused("'" + s.name + "' is a kernel path of the prelude (kernel " + version + "), which is"
                            + " read-only: it cannot be renamed; a path of that name in this file would replace it");
                }
                throw refused("'" + s.name + "' is declared nowhere this file sees: nothing to rename");
            }
            case GLOBAL -> throw refused("'" + s.name + "' is a global: the files that import this one share it, rename it by hand");
            case OUTLINE -> throw refused("'" + s.name + "' is a scenario outline's value: rename it by hand");
            case PATH -> {
                if (Builtins.lookup(s.name).isPresent() || KernelPrelude.paths(version).containsKey(s.name)) {
                    throw refused("'" + s.name + "' replaces the kernel path of the prelude: renamed, the kernel's would run again");
                }
                // a document with no file (untitled) is imported by none
                return new Target(s, importedFrom(uri, text, s, occurrences, workspace).orElse(null));
            }
            default -> {
                return new Target(s, null);
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
